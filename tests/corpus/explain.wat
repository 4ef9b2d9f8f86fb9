;; The explain corpus: small functions covering every operator family. Their
;; `plumb explain` output is snapshot-tested (tests/snapshots/), so any
;; change in the rules fired or the CLIF produced is reviewed.
(module
  (memory 1)
  ;; integer arithmetic
  (func $add_i32 (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $sub_mul_i64 (param i64 i64) (result i64) (i64.mul (i64.sub (local.get 0) (local.get 1)) (local.get 1)))
  (func $mul_by_8 (param i32) (result i32) (i32.mul (local.get 0) (i32.const 8)))
  (func $add_zero (param i64) (result i64) (i64.add (local.get 0) (i64.const 0)))
  (func $div_s_i32 (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $div_u_by_16 (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 16)))
  (func $rem_u_by_8 (param i64) (result i64) (i64.rem_u (local.get 0) (i64.const 8)))
  (func $rem_s_i64 (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  ;; bitwise, shifts, rotates, bit counts
  (func $and_or_xor (param i32 i32) (result i32)
    (i32.xor (i32.and (local.get 0) (local.get 1)) (i32.or (local.get 0) (local.get 1))))
  (func $xor_self (param i32) (result i32) (i32.xor (local.get 0) (local.get 0)))
  (func $shifts_i32 (param i32 i32) (result i32)
    (i32.shr_u (i32.shl (local.get 0) (local.get 1)) (i32.const 3)))
  (func $shr_s_i64 (param i64) (result i64) (i64.shr_s (local.get 0) (i64.const 63)))
  (func $rotates (param i64 i64) (result i64) (i64.rotr (i64.rotl (local.get 0) (local.get 1)) (i64.const 7)))
  (func $bit_counts (param i32) (result i32)
    (i32.add (i32.clz (local.get 0)) (i32.add (i32.ctz (local.get 0)) (i32.popcnt (local.get 0)))))
  ;; comparisons and select
  (func $eqz_i64 (param i64) (result i32) (i64.eqz (local.get 0)))
  (func $lt_u (param i32 i32) (result i32) (i32.lt_u (local.get 0) (local.get 1)))
  (func $ge_s_i64 (param i64 i64) (result i32) (i64.ge_s (local.get 0) (local.get 1)))
  (func $select_i32 (param i32 i32 i32) (result i32) (select (local.get 0) (local.get 1) (local.get 2)))
  (func $select_on_compare (param i64 i64) (result i64)
    (select (local.get 0) (local.get 1) (i64.gt_s (local.get 0) (local.get 1))))
  (func $branch_on_compare (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 10)) (then (i32.const 1)) (else (i32.const 2))))
  ;; conversions between integers
  (func $wrap (param i64) (result i32) (i32.wrap_i64 (local.get 0)))
  (func $extend_u (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
  (func $extend_s_then_wrap (param i32) (result i32) (i32.wrap_i64 (i64.extend_i32_s (local.get 0))))
  (func $sign_extension (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (i32.extend8_s (local.get 0))) (i64.extend32_s (local.get 1))))
  ;; float arithmetic
  (func $fadd_fmul (param f64 f64) (result f64) (f64.mul (f64.add (local.get 0) (local.get 1)) (local.get 1)))
  (func $fmin_fmax (param f32 f32) (result f32) (f32.max (f32.min (local.get 0) (local.get 1)) (local.get 1)))
  (func $fneg_fabs_copysign (param f64 f64) (result f64)
    (f64.copysign (f64.abs (f64.neg (local.get 0))) (local.get 1)))
  (func $rounding (param f32) (result f32)
    (f32.add (f32.ceil (local.get 0)) (f32.add (f32.floor (local.get 0))
      (f32.add (f32.trunc (local.get 0)) (f32.nearest (local.get 0))))))
  (func $sqrt_div (param f64 f64) (result f64) (f64.div (f64.sqrt (local.get 0)) (local.get 1)))
  (func $fcompare (param f32 f32) (result i32)
    (i32.and (f32.lt (local.get 0) (local.get 1)) (f32.ne (local.get 0) (local.get 1))))
  ;; conversions involving floats
  (func $trunc_s (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func $trunc_u_i64 (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func $trunc_sat (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
  (func $convert (param i64) (result f64) (f64.convert_i64_u (local.get 0)))
  (func $promote_demote (param f32) (result f32) (f32.demote_f64 (f64.promote_f32 (local.get 0))))
  (func $reinterpret (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
  ;; constants fold
  (func $folded (result i32) (i32.mul (i32.add (i32.const 2) (i32.const 3)) (i32.const 7)))
  ;; pure operands of memory accesses
  (func $address_arith (param i32) (result i64) (i64.load offset=8 (i32.add (local.get 0) (i32.const 16)))))
