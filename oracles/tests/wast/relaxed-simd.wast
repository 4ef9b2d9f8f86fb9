;; Relaxed SIMD (WebAssembly 3.0): Plumb's one documented choice of result
;; for each relaxed instruction (the semantics in isle-rules/simd_ops.isle),
;; exactly, where the spec allows several. The interpreter and the JIT must
;; both give these bits, on every host.

(module
  (func (export "swizzle") (param v128 v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "trunc_s") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "trunc_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "trunc_s_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func (export "trunc_u_zero") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func (export "madd32") (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd32") (param v128 v128 v128) (result v128) (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "madd64") (param v128 v128 v128) (result v128) (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd64") (param v128 v128 v128) (result v128) (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect") (param v128 v128 v128) (result v128) (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "min") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "max") (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func (export "q15") (param v128 v128) (result v128) (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func (export "dot") (param v128 v128) (result v128) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "dot_add") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2))))

;; An index of 16 or more gives 0, as i8x16.swizzle.
(assert_return (invoke "swizzle" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                                 (v128.const i8x16 15 16 17 255 0 31 128 1 2 3 4 5 6 7 8 9))
  (v128.const i8x16 15 0 0 0 0 0 0 1 2 3 4 5 6 7 8 9))
;; Out of range saturates, NaN gives 0, as trunc_sat.
(assert_return (invoke "trunc_s" (v128.const f32x4 nan 1e10 -1e10 -2.5))
  (v128.const i32x4 0 0x7fffffff 0x80000000 -2))
(assert_return (invoke "trunc_u" (v128.const f32x4 nan 5e9 -1 2.5))
  (v128.const i32x4 0 0xffffffff 0 2))
(assert_return (invoke "trunc_s_zero" (v128.const f64x2 -1e300 nan)) (v128.const i32x4 0x80000000 0 0 0))
(assert_return (invoke "trunc_u_zero" (v128.const f64x2 1e300 -0.5)) (v128.const i32x4 0xffffffff 0 0 0))
;; Unfused: (1 + 2^-23)^2 - (1 + 2^-22) is 0 when the product is rounded
;; first (fused, it would be 2^-46); 2 * 3 + 1; 0 * 0 + -0; MAX * MAX
;; overflows to inf, and inf + -inf is NaN (canonical, below).
(assert_return (invoke "madd32" (v128.const i32x4 0x3f800001 0x40000000 0 0x7f7fffff)
                                (v128.const i32x4 0x3f800001 0x40400000 0 0x7f7fffff)
                                (v128.const i32x4 0xbf800002 0x3f800000 0x80000000 0xff800000))
  (v128.const i32x4 0 0x40e00000 0 0x7fc00000))
;; Every NaN lane is the positive canonical NaN, bit for bit: inf - inf, a
;; NaN operand with a payload, a negative NaN.
(assert_return (invoke "madd32" (v128.const f32x4 inf 1 1 0)
                                (v128.const f32x4 1 1 1 inf)
                                (v128.const f32x4 -inf nan:0x200001 -nan:0x1 1))
  (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000))
(assert_return (invoke "nmadd32" (v128.const f32x4 2 inf -0 1) (v128.const f32x4 3 1 0 1) (v128.const f32x4 10 inf 0 -1))
  (v128.const i32x4 0x40800000 0x7fc00000 0 0xc0000000))
(assert_return (invoke "madd64" (v128.const f64x2 0.5 inf) (v128.const f64x2 4 0) (v128.const f64x2 -2 0))
  (v128.const i64x2 0 0x7ff8000000000000))
(assert_return (invoke "nmadd64" (v128.const f64x2 0.5 -nan:0x1) (v128.const f64x2 4 1) (v128.const f64x2 3 0))
  (v128.const i64x2 0x3ff0000000000000 0x7ff8000000000000))
;; Bit by bit, as v128.bitselect, whatever the lane shape says.
(assert_return (invoke "laneselect" (v128.const i16x8 -1 -1 -1 -1 0 0 0 0)
                                    (v128.const i16x8 0 0 0 0 -1 -1 -1 -1)
                                    (v128.const i16x8 0x00ff 0xff00 -1 0 0x0f0f 0 -1 0x8000))
  (v128.const i16x8 0x00ff 0xff00 -1 0 0xf0f0 -1 0 0x7fff))
;; As min and max: -0 below +0.
(assert_return (invoke "min" (v128.const f32x4 -0 0 1 -1) (v128.const f32x4 0 -0 2 -2)) (v128.const f32x4 -0 -0 1 -2))
(assert_return (invoke "max" (v128.const f64x2 -0 3) (v128.const f64x2 0 2)) (v128.const f64x2 0 3))
;; (MIN, MIN) saturates to MAX, as q15mulr_sat_s.
(assert_return (invoke "q15" (v128.const i16x8 -32768 16384 -1 0 0 0 0 0) (v128.const i16x8 -32768 16384 1 0 0 0 0 0))
  (v128.const i16x8 32767 8192 0 0 0 0 0 0))
;; Both operands signed; the 16-bit sums wrap: (-128)(-128) + (-128)(-128)
;; is 32768, which wraps to -32768. With b in 0..127 (i7) every choice agrees.
(assert_return (invoke "dot" (v128.const i8x16 -128 -128 1 2 -3 4 127 127 0 0 0 0 0 0 0 0)
                             (v128.const i8x16 -128 -128 5 6 7 -8 127 127 0 0 0 0 0 0 0 0))
  (v128.const i16x8 -32768 17 -53 32258 0 0 0 0))
(assert_return (invoke "dot_add" (v128.const i8x16 -128 -128 -128 -128 1 2 3 4 0 0 0 0 -1 -1 -1 -1)
                                 (v128.const i8x16 -128 -128 -128 -128 1 1 1 1 0 0 0 0 127 127 127 127)
                                 (v128.const i32x4 1 10 -5 0))
  (v128.const i32x4 -65535 20 -5 -508))
