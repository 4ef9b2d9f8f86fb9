;; Found by the op_specs fuzz target (fixed: the evaluator now quiets NaN operands of unary ops): the concrete evaluator of plumb-rules
;; (isle-rules/src/eval.rs) returns a signalling NaN operand of
;; ceil/floor/trunc/nearest unchanged, but WebAssembly requires an
;; arithmetic (quiet) NaN result. The engine constant-folds through that
;; evaluator, so a rounding of a signalling NaN constant returns it as is.
;; The interpreter passes this script; the JIT engine fails it.
(module
  (func (export "f32.trunc") (result f32) (f32.trunc (f32.const nan:0x200000)))
  (func (export "f32.ceil") (result f32) (f32.ceil (f32.const -nan:0x1)))
  (func (export "f32.floor") (result f32) (f32.floor (f32.const nan:0x1)))
  (func (export "f32.nearest") (result f32) (f32.nearest (f32.const nan:0x1)))
  (func (export "f64.trunc") (result f64) (f64.trunc (f64.const nan:0x1)))
  (func (export "f64.ceil") (result f64) (f64.ceil (f64.const nan:0x4000000000000)))
  (func (export "f64.floor") (result f64) (f64.floor (f64.const -nan:0x1)))
  (func (export "f64.nearest") (result f64) (f64.nearest (f64.const nan:0x1))))
(assert_return (invoke "f32.trunc") (f32.const nan:arithmetic))
(assert_return (invoke "f32.ceil") (f32.const nan:arithmetic))
(assert_return (invoke "f32.floor") (f32.const nan:arithmetic))
(assert_return (invoke "f32.nearest") (f32.const nan:arithmetic))
(assert_return (invoke "f64.trunc") (f64.const nan:arithmetic))
(assert_return (invoke "f64.ceil") (f64.const nan:arithmetic))
(assert_return (invoke "f64.floor") (f64.const nan:arithmetic))
(assert_return (invoke "f64.nearest") (f64.const nan:arithmetic))
