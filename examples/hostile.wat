;; Guests that never stop on their own, for `plumb run`'s limits:
;;   plumb run --timeout 1s examples/hostile.wat --invoke spin
;;   plumb run --fuel 100000 examples/hostile.wat --invoke spin
;;   plumb run --max-memory 16MiB examples/hostile.wat --invoke bomb
;;   plumb run --max-wasm-stack 64KiB examples/hostile.wat --invoke recurse
(module
  (memory 1)
  ;; Loops forever.
  (func (export "spin") (loop $l (br $l)))
  ;; Grows its memory a page at a time until refused; then traps.
  (func (export "bomb") (result i32)
    (loop $l
      (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)
  ;; Recurses forever.
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
