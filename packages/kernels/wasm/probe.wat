;; Relaxed-SIMD semantics probe for @lowbit/kernels (built by `deno task build:wasm`).
;;
;; Relaxed SIMD lets an engine pick among several results for some instructions; the kernels
;; ask at load time which one this engine/CPU pair gives, from crafted operands (see
;; _probe.ts). No memory: operands travel as i64 halves of the v128 values.
(module
  ;; i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c) with a = (a0, a1), b = (b0, b1), c = splat c;
  ;; returns the four i32 lanes.
  (func (export "dot_add") (param $a0 i64) (param $a1 i64) (param $b0 i64) (param $b1 i64)
                           (param $c i32) (result i32 i32 i32 i32)
    (local $r v128)
    (local.set $r (i32x4.relaxed_dot_i8x16_i7x16_add_s
      (i64x2.replace_lane 1 (i64x2.splat (local.get $a0)) (local.get $a1))
      (i64x2.replace_lane 1 (i64x2.splat (local.get $b0)) (local.get $b1))
      (i32x4.splat (local.get $c))))
    (i32x4.extract_lane 0 (local.get $r))
    (i32x4.extract_lane 1 (local.get $r))
    (i32x4.extract_lane 2 (local.get $r))
    (i32x4.extract_lane 3 (local.get $r))
  )

  ;; Runs dot_add $n times on its own result (keeps the function hot, so the optimizing tier
  ;; compiles it too); returns lane 0. The probe compares this with the first call's answer.
  (func (export "dot_add_loop") (param $a0 i64) (param $a1 i64) (param $b0 i64) (param $b1 i64)
                                (param $n i32) (result i32)
    (local $r v128) (local $a v128) (local $b v128)
    (local.set $a (i64x2.replace_lane 1 (i64x2.splat (local.get $a0)) (local.get $a1)))
    (local.set $b (i64x2.replace_lane 1 (i64x2.splat (local.get $b0)) (local.get $b1)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $r (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $a) (local.get $b) (local.get $r)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (i32x4.extract_lane 0 (local.get $r))
  )

  ;; f32x4.relaxed_madd(a, b, c), lane 0: fused (one rounding) or not.
  (func (export "madd") (param $a f32) (param $b f32) (param $c f32) (result f32)
    (f32x4.extract_lane 0 (f32x4.relaxed_madd (f32x4.splat (local.get $a))
      (f32x4.splat (local.get $b)) (f32x4.splat (local.get $c))))
  )
)
