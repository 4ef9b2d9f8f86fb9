;; Extended constant expressions (WebAssembly 3.0): i32/i64 add, sub and mul,
;; with global.get of imported globals, in global initialisers and in data
;; and element segment offsets. Arithmetic wraps.

(module $base
  (global (export "g32") i32 (i32.const 10))
  (global (export "g64") i64 (i64.const 0x7fff_ffff_ffff_ffff))
  (memory (export "mem") 1)
  (table (export "tab") 10 funcref))
(register "base" $base)

(module
  (import "base" "g32" (global $g32 i32))
  (import "base" "g64" (global $g64 i64))
  (global (export "sum") i32 (i32.add (global.get $g32) (i32.const 5)))
  (global (export "poly") i32 (i32.sub (i32.mul (global.get $g32) (global.get $g32)) (i32.const 1)))
  (global (export "wrap32") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10000)))
  (global (export "wrap64") i64 (i64.add (global.get $g64) (i64.const 1)))
  (global (export "mix64") i64 (i64.sub (i64.const 3) (i64.mul (i64.const 2) (i64.const 5))))
  (memory 1)
  ;; data at 10 * 3 + 2 = 32
  (data (i32.add (i32.mul (global.get $g32) (i32.const 3)) (i32.const 2)) "\2a\2b")
  (table 8 funcref)
  (elem (i32.sub (global.get $g32) (i32.const 7)) $seven)
  (func $seven (result i32) (i32.const 7))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0))))

(assert_return (get "sum") (i32.const 15))
(assert_return (get "poly") (i32.const 99))
(assert_return (get "wrap32") (i32.const 0))
(assert_return (get "wrap64") (i64.const 0x8000_0000_0000_0000))
(assert_return (get "mix64") (i64.const -7))
(assert_return (invoke "byte" (i32.const 32)) (i32.const 0x2a))
(assert_return (invoke "byte" (i32.const 33)) (i32.const 0x2b))
(assert_return (invoke "byte" (i32.const 31)) (i32.const 0))
(assert_return (invoke "call" (i32.const 3)) (i32.const 7))
(assert_trap (invoke "call" (i32.const 2)) "uninitialized element")

;; Constant offsets (no global) are laid out in the memory image.
(module
  (memory 1)
  (data (i32.sub (i32.const 0x10000) (i32.const 1)) "\ff")
  (func (export "last") (result i32) (i32.load8_u (i32.const 0xffff))))
(assert_return (invoke "last") (i32.const 0xff))

;; An offset computed out of bounds fails instantiation.
(assert_trap
  (module
    (import "base" "g32" (global $g32 i32))
    (memory 1)
    (data (i32.mul (global.get $g32) (i32.const 0x2000)) "\00"))
  "out of bounds memory access")
(assert_trap
  (module
    (memory 1)
    (data (i32.add (i32.const 0xffff) (i32.const 1)) "\00"))
  "out of bounds memory access")
(assert_trap
  (module
    (import "base" "g32" (global $g32 i32))
    (table 1 funcref)
    (elem (i32.add (global.get $g32) (i32.const -9)) $f $f)
    (func $f))
  "out of bounds table access")

;; Only the extended operators are constant.
(assert_invalid
  (module (global i32 (i32.div_u (i32.const 1) (i32.const 1))))
  "constant expression required")
(assert_invalid
  (module (global i32 (i32.add (i32.const 1) (i64.const 1))))
  "type mismatch")
