;; Typed function references on the interpreter, beyond the spec scripts:
;; exact reference types take part in indirect-call signature checks and in
;; import matching, where concrete types of different modules are compared
;; by structure.

(module
  (type $t (func (result i32)))
  (type $takes-ref (func (param (ref $t)) (result i32)))
  (type $takes-null (func (param (ref null $t)) (result i32)))
  (func $one (type $t) (i32.const 1))
  (func $call (type $takes-ref) (call_ref $t (local.get 0)))
  (table $tab 2 (ref null $takes-ref) (ref.func $call))
  (elem declare func $one)
  (func (export "same-type") (result i32)
    (call_indirect $tab (type $takes-ref) (ref.func $one) (i32.const 0)))
  ;; The functions differ only in the nullability of their parameter.
  (func (export "nullability-differs") (result i32)
    (call_indirect $tab (type $takes-null) (ref.func $one) (i32.const 0)))
  ;; The initialiser filled every slot.
  (func (export "last-slot") (result i32)
    (call_indirect $tab (type $takes-ref) (ref.func $one) (i32.const 1)))
  (global (export "g") (ref $t) (ref.func $one))
  (export "tab" (table $tab))
)
(register "M")
(assert_return (invoke "same-type") (i32.const 1))
(assert_trap (invoke "nullability-differs") "indirect call type mismatch")
(assert_return (invoke "last-slot") (i32.const 1))

;; An equivalent type spelled in another module matches; a subtype matches
;; an immutable global's type.
(module
  (type $u (func (result i32)))
  (type $takes-ref (func (param (ref $u)) (result i32)))
  (global (import "M" "g") (ref $u))
  (global (import "M" "g") (ref null func))
  (table (import "M" "tab") 2 (ref null $takes-ref))
  (func (export "get") (result i32) (call_ref $u (global.get 0)))
)
(assert_return (invoke "get") (i32.const 1))

(assert_unlinkable
  (module
    (type $v (func (result i64)))
    (global (import "M" "g") (ref $v)))
  "incompatible import type")
;; Table element types must be equivalent, not merely subtypes.
(assert_unlinkable
  (module (table (import "M" "tab") 2 funcref))
  "incompatible import type")
