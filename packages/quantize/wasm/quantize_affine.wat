;; Affine quantization of float32 to integer codes with one (scale, zero point) per call:
;; q = clamp(nearest_even(fl(x * inv)) + zp, qmin, qmax)   (uniform.ts Eq. U.1), or with
;; fl(x / scale) when divide = 1 (ONNX QuantizeLinear).
;;
;; Contract of quantize_f32(src, dst, n, inv, scale, zp, qmin, qmax, divide, width): reads n
;; float32 (n a multiple of 4) at src and writes n codes at dst as width-byte integers
;; (1 = i8/u8 chosen by signed, see below; 2 = i16/u16; 4 = i32). f32x4.nearest rounds half to
;; even exactly like the TypeScript kernel; the float -> int conversion saturates and is clamped
;; to [qmin - zp, qmax - zp] before zp is added (no wrap-around; the caller keeps |qmin|, |qmax|
;; <= 2^24 so the bounds fit), then the narrowing is exact. Returns 1 if a NaN was
;; seen (the caller reports its index), else 0. Width codes: 1 signed i8, 5 unsigned u8,
;; 2 signed i16, 6 unsigned u16, 4 i32.
(module
  (memory (export "memory") 10)
  (func (export "quantize_f32")
        (param $src i32) (param $dst i32) (param $n i32)
        (param $inv f32) (param $scale f32) (param $zp i32) (param $qmin i32) (param $qmax i32)
        (param $divide i32) (param $width i32) (result i32)
    (local $end i32) (local $vinv v128) (local $vscale v128) (local $vzp v128)
    (local $vmin v128) (local $vmax v128) (local $v v128) (local $q v128) (local $seen v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vinv (f32x4.splat (local.get $inv)))
    (local.set $vscale (f32x4.splat (local.get $scale)))
    (local.set $vzp (i32x4.splat (local.get $zp)))
    (local.set $vmin (i32x4.splat (i32.sub (local.get $qmin) (local.get $zp))))
    (local.set $vmax (i32x4.splat (i32.sub (local.get $qmax) (local.get $zp))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $v
          (if (result v128) (local.get $divide)
            (then (f32x4.div (local.get $v) (local.get $vscale)))
            (else (f32x4.mul (local.get $v) (local.get $vinv)))))
        (local.set $seen (v128.or (local.get $seen) (f32x4.ne (local.get $v) (local.get $v))))
        ;; clamp to [qmin - zp, qmax - zp] before adding zp, so a saturated +-inf never wraps
        (local.set $q
          (i32x4.add
            (i32x4.min_s (local.get $vmax)
              (i32x4.max_s (local.get $vmin)
                (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $v)))))
            (local.get $vzp)))
        (block $stored
          (if (i32.eq (local.get $width) (i32.const 4))
            (then
              (v128.store (local.get $dst) (local.get $q))
              (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
              (br $stored)))
          (if (i32.eq (local.get $width) (i32.const 2))
            (then
              (v128.store64_lane 0 (local.get $dst) (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
              (br $stored)))
          (if (i32.eq (local.get $width) (i32.const 6))
            (then
              (v128.store64_lane 0 (local.get $dst) (i16x8.narrow_i32x4_u (local.get $q) (local.get $q)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
              (br $stored)))
          (local.set $q (i16x8.narrow_i32x4_s (local.get $q) (local.get $q)))
          (if (i32.eq (local.get $width) (i32.const 1))
            (then (v128.store32_lane 0 (local.get $dst) (i8x16.narrow_i16x8_s (local.get $q) (local.get $q))))
            (else (v128.store32_lane 0 (local.get $dst) (i8x16.narrow_i16x8_u (local.get $q) (local.get $q)))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $next)))
    (v128.any_true (local.get $seen)))
  ;; The 8-bit case unrolled: 16 values per iteration (n a multiple of 16), one 16-byte store.
  ;; Same contract as quantize_f32 with width 1 (signed) or 5 (unsigned).
  (func $q4 (param $p i32) (param $divide i32) (param $vinv v128) (param $vscale v128)
            (param $vmin v128) (param $vmax v128) (param $vzp v128) (result v128 v128)
    ;; returns (codes as i32x4, NaN mask)
    (local $v v128)
    (local.set $v (v128.load (local.get $p)))
    (local.set $v
      (if (result v128) (local.get $divide)
        (then (f32x4.div (local.get $v) (local.get $vscale)))
        (else (f32x4.mul (local.get $v) (local.get $vinv)))))
    (i32x4.add
      (i32x4.min_s (local.get $vmax)
        (i32x4.max_s (local.get $vmin) (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $v)))))
      (local.get $vzp))
    (f32x4.ne (local.get $v) (local.get $v)))
  (func (export "quantize_f32_x16")
        (param $src i32) (param $dst i32) (param $n i32)
        (param $inv f32) (param $scale f32) (param $zp i32) (param $qmin i32) (param $qmax i32)
        (param $divide i32) (param $unsigned i32) (result i32)
    (local $end i32) (local $vinv v128) (local $vscale v128) (local $vzp v128)
    (local $vmin v128) (local $vmax v128) (local $seen v128) (local $m v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $lo v128) (local $hi v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vinv (f32x4.splat (local.get $inv)))
    (local.set $vscale (f32x4.splat (local.get $scale)))
    (local.set $vzp (i32x4.splat (local.get $zp)))
    (local.set $vmin (i32x4.splat (i32.sub (local.get $qmin) (local.get $zp))))
    (local.set $vmax (i32x4.splat (i32.sub (local.get $qmax) (local.get $zp))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (call $q4 (local.get $src) (local.get $divide) (local.get $vinv) (local.get $vscale)
          (local.get $vmin) (local.get $vmax) (local.get $vzp))
        (local.set $m) (local.set $a)
        (local.set $seen (v128.or (local.get $seen) (local.get $m)))
        (call $q4 (i32.add (local.get $src) (i32.const 16)) (local.get $divide) (local.get $vinv)
          (local.get $vscale) (local.get $vmin) (local.get $vmax) (local.get $vzp))
        (local.set $m) (local.set $b)
        (local.set $seen (v128.or (local.get $seen) (local.get $m)))
        (call $q4 (i32.add (local.get $src) (i32.const 32)) (local.get $divide) (local.get $vinv)
          (local.get $vscale) (local.get $vmin) (local.get $vmax) (local.get $vzp))
        (local.set $m) (local.set $c)
        (local.set $seen (v128.or (local.get $seen) (local.get $m)))
        (call $q4 (i32.add (local.get $src) (i32.const 48)) (local.get $divide) (local.get $vinv)
          (local.get $vscale) (local.get $vmin) (local.get $vmax) (local.get $vzp))
        (local.set $m) (local.set $d)
        (local.set $seen (v128.or (local.get $seen) (local.get $m)))
        (local.set $lo (i16x8.narrow_i32x4_s (local.get $a) (local.get $b)))
        (local.set $hi (i16x8.narrow_i32x4_s (local.get $c) (local.get $d)))
        (v128.store (local.get $dst)
          (if (result v128) (local.get $unsigned)
            (then (i8x16.narrow_i16x8_u (local.get $lo) (local.get $hi)))
            (else (i8x16.narrow_i16x8_s (local.get $lo) (local.get $hi)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (br $next)))
    (v128.any_true (local.get $seen)))
)
