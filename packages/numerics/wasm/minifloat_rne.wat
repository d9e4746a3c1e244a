;; Float32 -> minifloat bit patterns, round to nearest even (docs/number-formats.md Eq. 7).
;; One kernel for every format: the format's constants are read from memory[0..64).
;;
;; Contract of rne_f32(src, dst, n, width): for each of n float32 values at src (n a multiple
;; of 4) writes the pattern that FloatFormat.encode gives with rounding "nearest-even" to dst,
;; as little-endian u8, u16 or u32 words (width = 1, 2 or 4). Rounding is exact: normals by
;; integer re-bias + round-half-even bias + shift, subnormals by one f32 addition of a power of
;; two (which rounds half to even in hardware); overflow, infinity and NaN lanes are replaced by
;; the format's patterns with an unsigned min and a select. Returns 1 if a NaN was seen, else 0.
;;
;; Parameter block (i32 little-endian at byte offset 4*k):
;;   0 shift (23 - m)        1 round bias 2^(shift-1)-1   2 overflowFrom   3 normalFrom
;;   4 rebias (127-b)*2^23   5 magic (f32 bits)           6 signBit        7 keepNegZero
;;   8 nan pattern           9 overflow and infinity magnitude (see below)
;;   11 storage shift
;; Word 7 is -1 (all ones) when the format has -0, else 0. Word 9 must be the pattern that
;; both a finite overflow and an infinite input produce, and must not be below the pattern the
;; normal path computes for the overflow threshold (true for every FloatFormat: it is either
;; max, or max + 1 = infinity or the fn NaN, or the fnuz NaN 0x80 = max + 1).
(module
  (memory (export "memory") 10)
  (func (export "rne_f32") (param $src i32) (param $dst i32) (param $n i32) (param $width i32)
        (result i32)
    (local $roundBias v128) (local $overflowFrom v128) (local $normalFrom v128)
    (local $rebias v128) (local $magic v128) (local $signBit v128) (local $keepNegZero v128)
    (local $nanPattern v128) (local $overflow v128)
    (local $shift i32) (local $storageShift i32) (local $end i32)
    (local $u v128) (local $a v128) (local $mag v128) (local $nan v128) (local $seen v128)
    (local $one v128) (local $absMask v128) (local $inf v128) (local $zero v128)
    (local.set $shift (i32.load (i32.const 0)))
    (local.set $roundBias (i32x4.splat (i32.load (i32.const 4))))
    (local.set $overflowFrom (i32x4.splat (i32.load (i32.const 8))))
    (local.set $normalFrom (i32x4.splat (i32.load (i32.const 12))))
    (local.set $rebias (i32x4.splat (i32.load (i32.const 16))))
    (local.set $magic (i32x4.splat (i32.load (i32.const 20))))
    (local.set $signBit (i32x4.splat (i32.load (i32.const 24))))
    (local.set $keepNegZero (i32x4.splat (i32.load (i32.const 28))))
    (local.set $nanPattern (i32x4.splat (i32.load (i32.const 32))))
    (local.set $overflow (i32x4.splat (i32.load (i32.const 36))))
    (local.set $storageShift (i32.load (i32.const 44)))
    (local.set $one (i32x4.splat (i32.const 1)))
    (local.set $absMask (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $inf (i32x4.splat (i32.const 0x7f800000)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $u (v128.load (local.get $src)))
        (local.set $a (v128.and (local.get $u) (local.get $absMask)))
        ;; normal: (a - rebias + roundBias + ((a >> shift) & 1)) >> shift
        (local.set $mag
          (i32x4.shr_u
            (i32x4.add
              (i32x4.add (i32x4.sub (local.get $a) (local.get $rebias)) (local.get $roundBias))
              (v128.and (i32x4.shr_u (local.get $a) (local.get $shift)) (local.get $one)))
            (local.get $shift)))
        ;; subnormal (a < normalFrom): bits(f32(a) + magic) - bits(magic)
        (local.set $mag
          (v128.bitselect
            (i32x4.sub (f32x4.add (local.get $a) (local.get $magic)) (local.get $magic))
            (local.get $mag)
            (i32x4.lt_s (local.get $a) (local.get $normalFrom))))
        ;; overflow and infinity: both map to one pattern just above (or at) the largest
        ;; finite one, and the normal-path result grows monotonically with a, so an unsigned
        ;; min clamps every overflowing lane at once
        (local.set $mag (i32x4.min_u (local.get $mag) (local.get $overflow)))
        ;; NaN lanes get the canonical pattern (the sign is added below, as native Float16Array)
        (local.set $nan (i32x4.gt_s (local.get $a) (local.get $inf)))
        (local.set $seen (v128.or (local.get $seen) (local.get $nan)))
        (local.set $mag (v128.bitselect (local.get $nanPattern) (local.get $mag) (local.get $nan)))
        ;; sign, unless the result is a zero in a format without -0 (keepNegZero = all ones)
        (local.set $mag
          (v128.or (local.get $mag)
            (v128.and
              (v128.and (i32x4.shr_s (local.get $u) (i32.const 31)) (local.get $signBit))
              (v128.or (v128.not (i32x4.eq (local.get $mag) (local.get $zero)))
                (local.get $keepNegZero)))))
        (local.set $mag (i32x4.shl (local.get $mag) (local.get $storageShift)))
        (if (i32.eq (local.get $width) (i32.const 4))
          (then
            (v128.store (local.get $dst) (local.get $mag))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16))))
          (else
            (local.set $mag (i16x8.narrow_i32x4_u (local.get $mag) (local.get $mag)))
            (if (i32.eq (local.get $width) (i32.const 2))
              (then
                (v128.store64_lane 0 (local.get $dst) (local.get $mag))
                (local.set $dst (i32.add (local.get $dst) (i32.const 8))))
              (else
                (v128.store32_lane 0 (local.get $dst)
                  (i8x16.narrow_i16x8_u (local.get $mag) (local.get $mag)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $next)))
    (v128.any_true (local.get $seen))))
