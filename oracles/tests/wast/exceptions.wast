;; Exception handling (Wasm 3.0) on both backends: what the
;; spec scripts leave out. Tags are store addresses, so two instances of one
;; module throw exceptions the other's `catch` does not match; traps and
;; stack exhaustion are never caught; `throw_ref` of null traps.

(module definition $thrower
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) (local.get 0) (throw $e))
)
(module instance $a $thrower)
(module instance $b $thrower)
(register "a" $a)
(register "b" $b)

(module
  (import "a" "e" (tag $ea (param i32)))
  (import "a" "throw" (func $throw_a (param i32)))
  (import "b" "throw" (func $throw_b (param i32)))
  ;; The exception of instance a's tag, thrown in another instance, is caught
  ;; by the imported tag with its payload.
  (func (export "catch-a") (result i32)
    (block $h (result i32)
      (try_table (catch $ea $h) (call $throw_a (i32.const 7)))
      (i32.const -1)))
  ;; Instance b's tag is another tag: `catch $ea` lets it pass, and the
  ;; invocation ends with it uncaught.
  (func (export "miss-b")
    (block $h (result i32)
      (try_table (catch $ea $h) (call $throw_b (i32.const 7)))
      (i32.const -1))
    (drop))
  ;; `catch_all` catches it.
  (func (export "catch-all-b") (result i32)
    (block $h
      (try_table (catch_all $h) (call $throw_b (i32.const 7)))
      (return (i32.const -1)))
    (i32.const 1))
  ;; Traps are not exceptions.
  (func (export "trap-not-caught") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 1))
  (func $deep (call $deep))
  (func (export "exhaustion-not-caught") (result i32)
    (block $h
      (try_table (catch_all $h) (call $deep)))
    (i32.const 1))
  (func (export "throw-ref-null")
    (throw_ref (ref.null exn)))
  ;; `catch_ref` then `throw_ref` rethrows the same exception, which an
  ;; outer `catch` still matches by tag.
  (func (export "rethrow") (result i32)
    (block $outer (result i32)
      (try_table (catch $ea $outer)
        (block $inner (result i32 exnref)
          (try_table (catch_ref $ea $inner) (call $throw_a (i32.const 9)))
          (unreachable))
        (throw_ref))
      (i32.const -1)))
)

(assert_return (invoke "catch-a") (i32.const 7))
(assert_exception (invoke "miss-b"))
(assert_return (invoke "catch-all-b") (i32.const 1))
(assert_trap (invoke "trap-not-caught") "unreachable")
(assert_exhaustion (invoke "exhaustion-not-caught") "call stack exhausted")
(assert_trap (invoke "throw-ref-null") "null exception reference")
(assert_return (invoke "rethrow") (i32.const 9))
(assert_exception (invoke $a "throw" (i32.const 1)))
