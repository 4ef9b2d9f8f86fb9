;; Edges of 64-bit memories and tables on the reference interpreter, where a
;; 32-bit truncation or a wrapping sum would go unnoticed by the spec scripts.

(module
  (memory $m64 i64 1)
  (memory $m32 1)
  (func (export "load") (param i64) (result i32) (i32.load8_u $m64 (local.get 0)))
  (func (export "load_max_offset") (param i64) (result i32)
    (i32.load8_u $m64 offset=0xffff_ffff_ffff_ffff (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store8 $m64 (local.get 0) (local.get 1)))
  (func (export "grow") (param i64) (result i64) (memory.grow $m64 (local.get 0)))
  (func (export "size") (result i64) (memory.size $m64))
  (func (export "fill") (param i64 i32 i64) (memory.fill $m64 (local.get 0) (local.get 1) (local.get 2)))
  ;; From the 64-bit memory into the 32-bit one: the length is an i32.
  (func (export "copy_64_to_32") (param i32 i64 i32)
    (memory.copy $m32 $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load32") (param i32) (result i32) (i32.load8_u $m32 (local.get 0)))
)

;; Address 2^32 is not address 0.
(invoke "store" (i64.const 0) (i32.const 7))
(assert_trap (invoke "load" (i64.const 0x1_0000_0000)) "out of bounds memory access")
(assert_return (invoke "load" (i64.const 0)) (i32.const 7))
;; addr + offset beyond 2^64 traps rather than wrapping to a small address.
(assert_trap (invoke "load_max_offset" (i64.const 1)) "out of bounds memory access")
(assert_trap (invoke "load_max_offset" (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "load" (i64.const -1)) "out of bounds memory access")
;; Growth the store or the spec cannot give returns -1 and leaves the size.
(assert_return (invoke "grow" (i64.const -1)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000_0000_0000)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000)) (i64.const -1))
(assert_return (invoke "size") (i64.const 1))
(assert_return (invoke "grow" (i64.const 1)) (i64.const 1))
(assert_return (invoke "size") (i64.const 2))
;; A fill whose end passes 2^64 traps and writes nothing.
(assert_trap (invoke "fill" (i64.const 1) (i32.const 9) (i64.const -1)) "out of bounds memory access")
(assert_return (invoke "load" (i64.const 1)) (i32.const 0))
(invoke "fill" (i64.const 0x1_ffff) (i32.const 9) (i64.const 1))
(assert_return (invoke "load" (i64.const 0x1_ffff)) (i32.const 9))
;; Copying between memories of both address types.
(invoke "copy_64_to_32" (i32.const 3) (i64.const 0x1_ffff) (i32.const 1))
(assert_return (invoke "load32" (i32.const 3)) (i32.const 9))
(assert_trap (invoke "copy_64_to_32" (i32.const 0) (i64.const 0x1_ffff) (i32.const 2))
  "out of bounds memory access")
(assert_trap (invoke "copy_64_to_32" (i32.const 0) (i64.const -1) (i32.const 1))
  "out of bounds memory access")

(module
  (type $f (func (result i32)))
  (table $t64 i64 2 funcref)
  (func $one (result i32) (i32.const 1))
  (elem (table $t64) (i64.const 0) func $one)
  (func (export "call") (param i64) (result i32) (call_indirect $t64 (type $f) (local.get 0)))
  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t64 (local.get 0))))
  (func (export "grow") (param i64) (result i64) (table.grow $t64 (ref.null func) (local.get 0)))
  (func (export "size") (result i64) (table.size $t64))
  (func (export "fill") (param i64 i64) (table.fill $t64 (local.get 0) (ref.null func) (local.get 1)))
)

;; Index 2^32 is not index 0.
(assert_return (invoke "call" (i64.const 0)) (i32.const 1))
(assert_trap (invoke "call" (i64.const 0x1_0000_0000)) "undefined element")
(assert_trap (invoke "is_null" (i64.const 0x1_0000_0000)) "out of bounds table access")
(assert_trap (invoke "is_null" (i64.const -1)) "out of bounds table access")
(assert_return (invoke "grow" (i64.const -1)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1_0000_0000)) (i64.const -1))
(assert_return (invoke "size") (i64.const 2))
(assert_trap (invoke "fill" (i64.const 1) (i64.const -1)) "out of bounds table access")
(assert_return (invoke "is_null" (i64.const 0)) (i32.const 0))

;; A 64-bit memory does not satisfy a 32-bit import, nor the reverse.
(module (memory (export "m64") i64 1) (table (export "t64") i64 1 funcref))
(register "edges")
(assert_unlinkable (module (import "edges" "m64" (memory 1))) "incompatible import type")
(assert_unlinkable (module (import "edges" "t64" (table 1 funcref))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory i64 1))) "incompatible import type")
(module (import "edges" "m64" (memory i64 1)) (import "edges" "t64" (table i64 1 funcref)))
