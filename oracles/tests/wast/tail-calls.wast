;; Tail calls run in constant stack space: 10,000,000 mutual tail calls,
;; direct, through a table, through function references (return_call_ref)
;; and into an imported function, where the same
;; recursion with ordinary calls exhausts the stack. Run on the reference
;; interpreter (oracles/tests/tail_calls.rs) and the JIT (tests/tail_calls.rs).

(module $callee
  (func (export "id") (param i64) (result i64) (local.get 0)))
(register "callee" $callee)

(module
  (import "callee" "id" (func $id (param i64) (result i64)))
  (type $step (func (param i64 i64) (result i64)))
  (table funcref (elem $even_indirect $odd_indirect))

  ;; even(n, acc): n steps, each adding 1 to acc; returns acc.
  (func $even (export "even") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (return_call $id (local.get 1)))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1))))))
  (func $odd (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1))))))

  (func $even_indirect (export "even_indirect") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_indirect (type $step)
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2)) (i32.const 1)))))
  (func $odd_indirect (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_indirect (type $step)
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2)) (i32.const 0)))))

  ;; Through function references (typed function references):
  ;; return_call_ref of the other function's ref.func.
  (elem declare func $even_ref $odd_ref)
  (func $even_ref (export "even_ref") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_ref $step
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 3)) (ref.func $odd_ref)))))
  (func $odd_ref (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call_ref $step
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 3)) (ref.func $even_ref)))))

  ;; The same recursion with ordinary calls.
  (func $plain (export "plain") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (local.get 1))
      (else (call $plain (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1)))))))

(assert_return (invoke "even" (i64.const 0) (i64.const 7)) (i64.const 7))
(assert_return (invoke "even" (i64.const 1) (i64.const 0)) (i64.const 1))
(assert_return (invoke "even" (i64.const 10000000) (i64.const 0)) (i64.const 10000000))
(assert_return (invoke "even" (i64.const 10000001) (i64.const 5)) (i64.const 10000006))
(assert_return (invoke "even_indirect" (i64.const 10000000) (i64.const 0)) (i64.const 20000000))
(assert_return (invoke "even_ref" (i64.const 10000000) (i64.const 0)) (i64.const 30000000))
(assert_return (invoke "plain" (i64.const 1000) (i64.const 0)) (i64.const 1000))
(assert_exhaustion (invoke "plain" (i64.const 10000000) (i64.const 0)) "call stack exhausted")
