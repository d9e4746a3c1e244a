;; Elementwise int8 ops with requantization for @lowbit/kernels (built by `deno task build:wasm`).
;;
;; mul_q: y_i = clamp(rne(f32(f32(f32(s_a·(a_i − z_a)) · f32(s_b·(b_i − z_b))) / s_y)) + z_y)
;; (onnxruntime QLinearMul's float semantics), four lanes at a time. Each step is one IEEE
;; float32 operation, so the result is what the same formula gives in JavaScript with
;; Math.fround after each step (products of a float32 and a small integer are exact in
;; binary64, and binary64 division rounds innocuously to float32). Operand codes are int8 (type
;; 0), uint8 (1) or int32 (2, e.g. codes gathered for broadcasting). lut8: 256-entry byte tables.
(module
  (import "env" "memory" (memory 1 32768 shared))

  (func $load4 (param $p i32) (param $type i32) (param $i i32) (result v128)
    (if (result v128) (i32.eq (local.get $type) (i32.const 2))
      (then (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (else
        (if (result v128) (local.get $type)
          (then (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load32_zero (i32.add (local.get $p) (local.get $i))))))
          (else (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s
            (v128.load32_zero (i32.add (local.get $p) (local.get $i))))))))))

  (func $load1 (param $p i32) (param $type i32) (param $i i32) (result i32)
    (if (result i32) (i32.eq (local.get $type) (i32.const 2))
      (then (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (else
        (if (result i32) (local.get $type)
          (then (i32.load8_u (i32.add (local.get $p) (local.get $i))))
          (else (i32.load8_s (i32.add (local.get $p) (local.get $i))))))))

  (func (export "mul_q") (param $a i32) (param $ta i32) (param $b i32) (param $tb i32)
                         (param $n i32) (param $za i32) (param $sa f32) (param $zb i32)
                         (param $sb f32) (param $sy f32) (param $zp i32) (param $lo i32)
                         (param $hi i32) (param $dst i32) (param $unsigned i32)
    (local $i i32) (local $v v128) (local $s f32)
    (local $zav v128) (local $zbv v128) (local $sav v128) (local $sbv v128) (local $syv v128)
    (local $flo v128) (local $fhi v128) (local $magic v128) (local $mzv v128)
    (local.set $zav (i32x4.splat (local.get $za)))
    (local.set $zbv (i32x4.splat (local.get $zb)))
    (local.set $sav (f32x4.splat (local.get $sa)))
    (local.set $sbv (f32x4.splat (local.get $sb)))
    (local.set $syv (f32x4.splat (local.get $sy)))
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    ;; rne(v) + zp in two instructions, as in gemm_int8.wat's requant_float; pmax/pmin
    ;; clamp in one instruction each: v is never NaN (the caller rejects scales for which
    ;; a scale × code difference overflows float32, the only way to Inf − Inf or 0 · Inf)
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (f32x4.div
        (f32x4.mul
          (f32x4.mul (local.get $sav) (f32x4.convert_i32x4_s
            (i32x4.sub (call $load4 (local.get $a) (local.get $ta) (local.get $i)) (local.get $zav))))
          (f32x4.mul (local.get $sbv) (f32x4.convert_i32x4_s
            (i32x4.sub (call $load4 (local.get $b) (local.get $tb) (local.get $i)) (local.get $zbv)))))
        (local.get $syv)))
      ;; clamp first (the bounds are integers, so clamp and round commute), round half to even
      (local.set $v (f32x4.add (f32x4.pmin (f32x4.pmax (local.get $v) (local.get $flo)) (local.get $fhi)) (local.get $magic)))
      (local.set $v (i32x4.sub (local.get $v) (local.get $mzv)))
      (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
      (local.set $v (select (result v128)
        (i8x16.narrow_i16x8_u (local.get $v) (local.get $v))
        (i8x16.narrow_i16x8_s (local.get $v) (local.get $v))
        (local.get $unsigned)))
      (v128.store32_lane 0 (i32.add (local.get $dst) (local.get $i)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (f32.div
        (f32.mul
          (f32.mul (local.get $sa) (f32.convert_i32_s
            (i32.sub (call $load1 (local.get $a) (local.get $ta) (local.get $i)) (local.get $za))))
          (f32.mul (local.get $sb) (f32.convert_i32_s
            (i32.sub (call $load1 (local.get $b) (local.get $tb) (local.get $i)) (local.get $zb)))))
        (local.get $sy)))
      (local.set $s (f32.nearest (f32.min (f32.max (local.get $s)
        (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp))))
        (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp))))))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.trunc_sat_f32_s (local.get $s)) (local.get $zp)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; add_q: y_i = clamp(rne(f32(f32(r_a·(a_i − z_a)) + f32(r_b·(b_i − z_b)))) + z_y), r = s/s_y as
  ;; float32 (onnxruntime QLinearAdd's float semantics); $sy is unused.
  (func (export "add_q") (param $a i32) (param $ta i32) (param $b i32) (param $tb i32)
                         (param $n i32) (param $za i32) (param $sa f32) (param $zb i32)
                         (param $sb f32) (param $sy f32) (param $zp i32) (param $lo i32)
                         (param $hi i32) (param $dst i32) (param $unsigned i32)
    (local $i i32) (local $v v128) (local $s f32)
    (local $zav v128) (local $zbv v128) (local $sav v128) (local $sbv v128) (local $syv v128)
    (local $flo v128) (local $fhi v128) (local $magic v128) (local $mzv v128)
    (local.set $zav (i32x4.splat (local.get $za)))
    (local.set $zbv (i32x4.splat (local.get $zb)))
    (local.set $sav (f32x4.splat (local.get $sa)))
    (local.set $sbv (f32x4.splat (local.get $sb)))
    (local.set $syv (f32x4.splat (local.get $sy)))
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    ;; rne + zp in two instructions after a pmax/pmin clamp, as in mul_q
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $v (f32x4.add
          (f32x4.mul (local.get $sav) (f32x4.convert_i32x4_s
            (i32x4.sub (call $load4 (local.get $a) (local.get $ta) (local.get $i)) (local.get $zav))))
          (f32x4.mul (local.get $sbv) (f32x4.convert_i32x4_s
            (i32x4.sub (call $load4 (local.get $b) (local.get $tb) (local.get $i)) (local.get $zbv))))))
      ;; clamp first (the bounds are integers, so clamp and round commute), round half to even
      (local.set $v (f32x4.add (f32x4.pmin (f32x4.pmax (local.get $v) (local.get $flo)) (local.get $fhi)) (local.get $magic)))
      (local.set $v (i32x4.sub (local.get $v) (local.get $mzv)))
      (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
      (local.set $v (select (result v128)
        (i8x16.narrow_i16x8_u (local.get $v) (local.get $v))
        (i8x16.narrow_i16x8_s (local.get $v) (local.get $v))
        (local.get $unsigned)))
      (v128.store32_lane 0 (i32.add (local.get $dst) (local.get $i)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (f32.add
          (f32.mul (local.get $sa) (f32.convert_i32_s
            (i32.sub (call $load1 (local.get $a) (local.get $ta) (local.get $i)) (local.get $za))))
          (f32.mul (local.get $sb) (f32.convert_i32_s
            (i32.sub (call $load1 (local.get $b) (local.get $tb) (local.get $i)) (local.get $zb))))))
      (local.set $s (f32.nearest (f32.min (f32.max (local.get $s)
        (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp))))
        (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp))))))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.trunc_sat_f32_s (local.get $s)) (local.get $zp)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; dst[i] = table[src[i]] for bytes (a 256-entry table of bytes, at $table): 16 swizzles of
  ;; 16-entry slices per 16 bytes; i8x16.swizzle gives 0 for indices ≥ 16, and x − 16k wraps
  ;; to ≥ 16 for x < 16k, so exactly one slice contributes each byte.
  (func (export "lut8") (param $table i32) (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $x v128) (local $r v128)
    (block $vdone (loop $vl
      (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
      (local.set $x (v128.load (i32.add (local.get $src) (local.get $i))))
      (local.set $r (i8x16.swizzle (v128.load (local.get $table)) (local.get $x)))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=16 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=32 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=48 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=64 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=80 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=96 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 96 96 96 96 96 96 96 96 96 96 96 96 96 96 96 96)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=112 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 112 112 112 112 112 112 112 112 112 112 112 112 112 112 112 112)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=128 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=144 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 144 144 144 144 144 144 144 144 144 144 144 144 144 144 144 144)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=160 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 160 160 160 160 160 160 160 160 160 160 160 160 160 160 160 160)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=176 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 176 176 176 176 176 176 176 176 176 176 176 176 176 176 176 176)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=192 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 192 192 192 192 192 192 192 192 192 192 192 192 192 192 192 192)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=208 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 208 208 208 208 208 208 208 208 208 208 208 208 208 208 208 208)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=224 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 224 224 224 224 224 224 224 224 224 224 224 224 224 224 224 224)))))
      (local.set $r (v128.or (local.get $r) (i8x16.swizzle (v128.load offset=240 (local.get $table))
        (i8x16.sub (local.get $x) (v128.const i8x16 240 240 240 240 240 240 240 240 240 240 240 240 240 240 240 240)))))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $r))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vl)))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.load8_u (i32.add (local.get $table) (i32.load8_u (i32.add (local.get $src) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; dst[i] = clamp(src[i], lo, hi) for bytes, signed ($signed) or unsigned: 16 per step.
  (func (export "clamp8") (param $src i32) (param $dst i32) (param $n i32) (param $lo i32)
                          (param $hi i32) (param $signed i32)
    (local $i i32) (local $lv v128) (local $hv v128) (local $x v128) (local $v i32)
    (local.set $lv (i8x16.splat (local.get $lo)))
    (local.set $hv (i8x16.splat (local.get $hi)))
    (block $vdone (loop $vl
      (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
      (local.set $x (v128.load (i32.add (local.get $src) (local.get $i))))
      (if (local.get $signed)
        (then (local.set $x (i8x16.min_s (i8x16.max_s (local.get $x) (local.get $lv)) (local.get $hv))))
        (else (local.set $x (i8x16.min_u (i8x16.max_u (local.get $x) (local.get $lv)) (local.get $hv)))))
      (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vl)))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (if (result i32) (local.get $signed)
        (then (i32.load8_s (i32.add (local.get $src) (local.get $i))))
        (else (i32.load8_u (i32.add (local.get $src) (local.get $i))))))
      (local.set $v (select (local.get $lo) (local.get $v) (i32.lt_s (local.get $v) (local.get $lo))))
      (local.set $v (select (local.get $hi) (local.get $v) (i32.gt_s (local.get $v) (local.get $hi))))
      (i32.store8 (i32.add (local.get $dst) (local.get $i)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; dst[r] (i32) = Σ_{j < len} src[r·len + j] for bytes, signed ($signed) or unsigned: 16 bytes
  ;; per step (pairwise widening adds into four i32 lanes, exact: |Σ| < 2^31 for len < 2^23).
  (func (export "row_sums8") (param $src i32) (param $rows i32) (param $len i32) (param $signed i32)
                             (param $dst i32)
    (local $r i32) (local $p i32) (local $end i32) (local $acc v128) (local $v v128) (local $s i32)
    (block $rdone (loop $rl
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $len))))
      (local.set $end (i32.add (local.get $p) (local.get $len)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (block $vdone (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $acc (i32x4.add (local.get $acc)
          (if (result v128) (local.get $signed)
            (then (i32x4.extadd_pairwise_i16x8_s (i16x8.extadd_pairwise_i8x16_s (local.get $v))))
            (else (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $v)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vl)))
      (local.set $s (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
        (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
      (block $sdone (loop $sl
        (br_if $sdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (i32.add (local.get $s) (if (result i32) (local.get $signed)
          (then (i32.load8_s (local.get $p)))
          (else (i32.load8_u (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $sl)))
      (i32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))) (local.get $s))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; mul_q with b broadcast in blocks: b_j multiplies outputs [j·inner, (j + 1)·inner) (a
  ;; per-channel gate on an NCHW tensor: inner = H·W). Same float32 steps as mul_q.
  (func (export "mul_q_blocks") (param $a i32) (param $ta i32) (param $b i32) (param $tb i32)
                                (param $nb i32) (param $inner i32) (param $za i32) (param $sa f32)
                                (param $zb i32) (param $sb f32) (param $sy f32) (param $zp i32)
                                (param $lo i32) (param $hi i32) (param $dst i32)
                                (param $unsigned i32)
    (local $j i32) (local $i i32) (local $base i32) (local $v v128) (local $s f32) (local $pb f32)
    (local $zav v128) (local $sav v128) (local $pbv v128) (local $syv v128)
    (local $flo v128) (local $fhi v128) (local $magic v128) (local $mzv v128)
    (local.set $zav (i32x4.splat (local.get $za)))
    (local.set $sav (f32x4.splat (local.get $sa)))
    (local.set $syv (f32x4.splat (local.get $sy)))
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    ;; rne + zp in two instructions after a pmax/pmin clamp, as in mul_q
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (block $bdone (loop $bl
      (br_if $bdone (i32.ge_u (local.get $j) (local.get $nb)))
      (local.set $pb (f32.mul (local.get $sb) (f32.convert_i32_s
        (i32.sub (call $load1 (local.get $b) (local.get $tb) (local.get $j)) (local.get $zb)))))
      (local.set $pbv (f32x4.splat (local.get $pb)))
      (local.set $base (i32.mul (local.get $j) (local.get $inner)))
      (local.set $i (i32.const 0))
      (block $vdone (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $inner)))
        (local.set $v (f32x4.div
          (f32x4.mul
            (f32x4.mul (local.get $sav) (f32x4.convert_i32x4_s
              (i32x4.sub (call $load4 (local.get $a) (local.get $ta) (i32.add (local.get $base) (local.get $i)))
                (local.get $zav))))
            (local.get $pbv))
          (local.get $syv)))
        (local.set $v (f32x4.add (f32x4.pmin (f32x4.pmax (local.get $v) (local.get $flo)) (local.get $fhi)) (local.get $magic)))
        (local.set $v (i32x4.sub (local.get $v) (local.get $mzv)))
        (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
        (local.set $v (select (result v128)
          (i8x16.narrow_i16x8_u (local.get $v) (local.get $v))
          (i8x16.narrow_i16x8_s (local.get $v) (local.get $v))
          (local.get $unsigned)))
        (v128.store32_lane 0 (i32.add (local.get $dst) (i32.add (local.get $base) (local.get $i))) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (block $sdone (loop $sl
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $inner)))
        (local.set $s (f32.div
          (f32.mul
            (f32.mul (local.get $sa) (f32.convert_i32_s
              (i32.sub (call $load1 (local.get $a) (local.get $ta) (i32.add (local.get $base) (local.get $i)))
                (local.get $za))))
            (local.get $pb))
          (local.get $sy)))
        (local.set $s (f32.nearest (f32.min (f32.max (local.get $s)
          (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp))))
          (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp))))))
        (i32.store8 (i32.add (local.get $dst) (i32.add (local.get $base) (local.get $i)))
          (i32.add (i32.trunc_sat_f32_s (local.get $s)) (local.get $zp)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $bl)))
  )
)
