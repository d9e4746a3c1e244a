;; Float32 <-> IEEE binary16 (FP16) bit patterns, bit-exact, 8 lanes per iteration + scalar tail.
;; Both functions work on this module's memory; the caller grows it to fit its buffers.
(module
  (memory (export "memory") 1)

  ;; f32_to_f16(src, dst, n, saturate): each of the n float32 at src becomes the u16 at dst
  ;; that IEEE 754 roundTiesToEven gives (normals: re-bias the exponent, add 0xfff plus the kept
  ;; lsb, shift by 13; subnormals: one f32 addition of 0.5, which rounds to a multiple of 2^-24,
  ;; then subtract its bits), overflow gives +-Inf 0x7c00, or +-max 0x7bff for both finite
  ;; overflow and infinite input when saturate = 1, NaN gives the quiet NaN sign | 0x7e00.
  (func (export "f32_to_f16") (param $src i32) (param $dst i32) (param $n i32) (param $sat i32)
    (local $absMask v128) (local $roundBias v128) (local $one v128) (local $limit v128)
    (local $half v128) (local $normalFrom v128) (local $inf v128) (local $qnan v128)
    (local $signBit v128) (local $x v128) (local $a v128) (local $lo v128) (local $h v128)
    (local $end i32) (local $xs i32) (local $as i32) (local $hs i32) (local $limits i32)
    (local.set $limits (select (i32.const 0x7bff) (i32.const 0x7c00) (local.get $sat)))
    (local.set $absMask (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    ;; 0xfff - (127 - 15) << 23, modulo 2^32
    (local.set $roundBias (v128.const i32x4 0xc8000fff 0xc8000fff 0xc8000fff 0xc8000fff))
    (local.set $one (v128.const i32x4 1 1 1 1))
    (local.set $limit (i32x4.splat (local.get $limits)))
    (local.set $half (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $normalFrom (v128.const i32x4 0x38800000 0x38800000 0x38800000 0x38800000))
    (local.set $inf (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
    (local.set $qnan (v128.const i32x4 0x7e00 0x7e00 0x7e00 0x7e00))
    (local.set $signBit (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8))
      (i32.const 2))))
    (block $vdone
      (loop $vnext
        (br_if $vdone (i32.ge_u (local.get $src) (local.get $end)))
        ;; lanes 0..3 into $lo, lanes 4..7 into $h; the body is the same for both
        (local.set $x (v128.load (local.get $src)))
        (local.set $a (v128.and (local.get $x) (local.get $absMask)))
        (local.set $lo
          (v128.or
            (i32x4.max_u
              (v128.bitselect
                (i32x4.sub (f32x4.add (local.get $a) (local.get $half)) (local.get $half))
                (i32x4.min_u
                  (i32x4.shr_u
                    (i32x4.add (i32x4.add (local.get $a) (local.get $roundBias))
                      (v128.and (i32x4.shr_u (local.get $a) (i32.const 13)) (local.get $one)))
                    (i32.const 13))
                  (local.get $limit))
                (i32x4.lt_s (local.get $a) (local.get $normalFrom)))
              (v128.and (i32x4.gt_s (local.get $a) (local.get $inf)) (local.get $qnan)))
            (v128.and (i32x4.shr_u (local.get $x) (i32.const 16)) (local.get $signBit))))
        (local.set $x (v128.load offset=16 (local.get $src)))
        (local.set $a (v128.and (local.get $x) (local.get $absMask)))
        (local.set $h
          (v128.or
            (i32x4.max_u
              (v128.bitselect
                (i32x4.sub (f32x4.add (local.get $a) (local.get $half)) (local.get $half))
                (i32x4.min_u
                  (i32x4.shr_u
                    (i32x4.add (i32x4.add (local.get $a) (local.get $roundBias))
                      (v128.and (i32x4.shr_u (local.get $a) (i32.const 13)) (local.get $one)))
                    (i32.const 13))
                  (local.get $limit))
                (i32x4.lt_s (local.get $a) (local.get $normalFrom)))
              (v128.and (i32x4.gt_s (local.get $a) (local.get $inf)) (local.get $qnan)))
            (v128.and (i32x4.shr_u (local.get $x) (i32.const 16)) (local.get $signBit))))
        ;; every lane is in [0, 0xffff], so the saturating narrow is exact
        (v128.store (local.get $dst) (i16x8.narrow_i32x4_u (local.get $lo) (local.get $h)))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $vnext)))
    ;; scalar tail: the same steps on one lane
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7))
      (i32.const 2))))
    (block $sdone
      (loop $snext
        (br_if $sdone (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (i32.load (local.get $src)))
        (local.set $as (i32.and (local.get $xs) (i32.const 0x7fffffff)))
        (local.set $hs
          (i32.shr_u
            (i32.add (i32.add (local.get $as) (i32.const 0xc8000fff))
              (i32.and (i32.shr_u (local.get $as) (i32.const 13)) (i32.const 1)))
            (i32.const 13)))
        (local.set $hs
          (select (local.get $hs) (local.get $limits)
            (i32.lt_u (local.get $hs) (local.get $limits))))
        (if (i32.lt_u (local.get $as) (i32.const 0x38800000))
          (then
            (local.set $hs
              (i32.sub
                (i32.reinterpret_f32
                  (f32.add (f32.reinterpret_i32 (local.get $as)) (f32.const 0.5)))
                (i32.const 0x3f000000)))))
        (if (i32.gt_u (local.get $as) (i32.const 0x7f800000))
          (then (local.set $hs (i32.const 0x7e00))))
        (i32.store16 (local.get $dst)
          (i32.or (local.get $hs)
            (i32.and (i32.shr_u (local.get $xs) (i32.const 16)) (i32.const 0x8000))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
        (br $snext))))

  ;; f16_to_f32(src, dst, n): each of the n u16 at src becomes the float32 at dst with exactly
  ;; its value (normals, infinities: shift by 13 and re-bias the exponent; subnormals m: the f32
  ;; with bits 0x3f000000 + m, i.e. 0.5 + m * 2^-24, minus 0.5), NaN gives a quiet NaN with the
  ;; same sign and payload.
  (func (export "f16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $absMask v128) (local $rebias v128) (local $infFrom v128) (local $nanFrom v128)
    (local $quiet v128) (local $subBelow v128) (local $halfBits v128)
    (local $u v128) (local $x v128) (local $a v128)
    (local $end i32) (local $xs i32) (local $as i32) (local $ys i32)
    (local.set $absMask (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    ;; (127 - 15) << 23; added once for finite values and twice for infinities and NaNs
    (local.set $rebias (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
    (local.set $infFrom (v128.const i32x4 0x7bff 0x7bff 0x7bff 0x7bff))
    (local.set $nanFrom (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))
    (local.set $quiet (v128.const i32x4 0x400000 0x400000 0x400000 0x400000))
    (local.set $subBelow (v128.const i32x4 0x400 0x400 0x400 0x400))
    (local.set $halfBits (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8))
      (i32.const 1))))
    (block $vdone
      (loop $vnext
        (br_if $vdone (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $u (v128.load (local.get $src)))
        ;; lanes 0..3
        (local.set $x (i32x4.extend_low_i16x8_u (local.get $u)))
        (local.set $a (v128.and (local.get $x) (local.get $absMask)))
        (v128.store (local.get $dst)
          (v128.or
            (v128.bitselect
              (f32x4.sub (v128.or (local.get $a) (local.get $halfBits)) (local.get $halfBits))
              (v128.or
                (i32x4.add
                  (i32x4.add (i32x4.shl (local.get $a) (i32.const 13)) (local.get $rebias))
                  (v128.and (i32x4.gt_s (local.get $a) (local.get $infFrom)) (local.get $rebias)))
                (v128.and (i32x4.gt_s (local.get $a) (local.get $nanFrom)) (local.get $quiet)))
              (i32x4.lt_s (local.get $a) (local.get $subBelow)))
            (i32x4.shl (v128.xor (local.get $x) (local.get $a)) (i32.const 16))))
        ;; lanes 4..7
        (local.set $x (i32x4.extend_high_i16x8_u (local.get $u)))
        (local.set $a (v128.and (local.get $x) (local.get $absMask)))
        (v128.store offset=16 (local.get $dst)
          (v128.or
            (v128.bitselect
              (f32x4.sub (v128.or (local.get $a) (local.get $halfBits)) (local.get $halfBits))
              (v128.or
                (i32x4.add
                  (i32x4.add (i32x4.shl (local.get $a) (i32.const 13)) (local.get $rebias))
                  (v128.and (i32x4.gt_s (local.get $a) (local.get $infFrom)) (local.get $rebias)))
                (v128.and (i32x4.gt_s (local.get $a) (local.get $nanFrom)) (local.get $quiet)))
              (i32x4.lt_s (local.get $a) (local.get $subBelow)))
            (i32x4.shl (v128.xor (local.get $x) (local.get $a)) (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $vnext)))
    ;; scalar tail: the same steps on one lane
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 7))
      (i32.const 1))))
    (block $sdone
      (loop $snext
        (br_if $sdone (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (i32.load16_u (local.get $src)))
        (local.set $as (i32.and (local.get $xs) (i32.const 0x7fff)))
        (local.set $ys (i32.add (i32.shl (local.get $as) (i32.const 13)) (i32.const 0x38000000)))
        (if (i32.gt_u (local.get $as) (i32.const 0x7bff))
          (then (local.set $ys (i32.add (local.get $ys) (i32.const 0x38000000)))))
        (if (i32.gt_u (local.get $as) (i32.const 0x7c00))
          (then (local.set $ys (i32.or (local.get $ys) (i32.const 0x400000)))))
        (if (i32.lt_u (local.get $as) (i32.const 0x400))
          (then
            (local.set $ys
              (i32.reinterpret_f32
                (f32.sub (f32.reinterpret_i32 (i32.or (local.get $as) (i32.const 0x3f000000)))
                  (f32.const 0.5))))))
        (i32.store (local.get $dst)
          (i32.or (local.get $ys)
            (i32.shl (i32.xor (local.get $xs) (local.get $as)) (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $snext)))))
