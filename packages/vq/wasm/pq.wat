;; Nearest-centroid search and asymmetric distance computation for @lowbit/vq (built by
;; `deno task build:wasm`).
;;
;; nearest: for each of n sub-vectors (dsub floats, $xstride bytes apart) the index of the
;; nearest of ksub centroids by squared L2 distance, computed exactly as the TypeScript
;; reference does: d = ((x_0 − c_0)² + (x_1 − c_1)²) + … in float32, operation by operation.
;; SIMD lanes hold four centroids (centroids stored transposed, [dsub][kp] with kp = ksub
;; rounded up to 4 and padding centroids at ±3.4e38 so their distance is +∞); each lane keeps
;; its first minimum (strict <), and the lanes are merged with ties to the lowest index, so the
;; result is the lowest-index nearest centroid, bit for bit the reference's.
;;
;; adc: distances of n PQ codes (M sub-codes each, 1 byte when $wide = 0, else 2 bytes) from
;; lookup tables (M × ksub float32): d = ((t_0[c_0] + t_1[c_1]) + …) in float32.
(module
  (import "env" "memory" (memory 1 32768))

  (func (export "nearest") (param $x i32) (param $n i32) (param $xstride i32) (param $dsub i32)
                           (param $cent i32) (param $kp i32) (param $out i32) (param $ostride i32)
                           (param $dist i32)
    (local $i i32) (local $g i32) (local $groups i32) (local $d i32) (local $c i32)
    (local $acc v128) (local $t v128) (local $bv v128) (local $bi v128) (local $idx v128)
    (local $mask v128) (local $rowbytes i32) (local $four v128)
    (local $v f32) (local $w f32) (local $bestI i32) (local $li i32)
    (local.set $groups (i32.shr_u (local.get $kp) (i32.const 2)))
    (local.set $rowbytes (i32.shl (local.get $kp) (i32.const 2)))
    (local.set $four (i32x4.splat (i32.const 4)))
    (block $done (loop $points
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $idx (v128.const i32x4 0 1 2 3))
      (local.set $g (i32.const 0))
      (block $gdone (loop $group
        (br_if $gdone (i32.ge_u (local.get $g) (local.get $groups)))
        (local.set $c (i32.add (local.get $cent) (i32.shl (local.get $g) (i32.const 4))))
        (local.set $t (f32x4.sub (v128.load32_splat (local.get $x)) (v128.load (local.get $c))))
        (local.set $acc (f32x4.mul (local.get $t) (local.get $t)))
        (local.set $d (i32.const 1))
        (block $ddone (loop $dims
          (br_if $ddone (i32.ge_u (local.get $d) (local.get $dsub)))
          (local.set $c (i32.add (local.get $c) (local.get $rowbytes)))
          (local.set $t (f32x4.sub
            (v128.load32_splat (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
            (v128.load (local.get $c))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (br $dims)))
        (if (i32.eqz (local.get $g))
          (then
            (local.set $bv (local.get $acc))
            (local.set $bi (local.get $idx)))
          (else
            (local.set $mask (f32x4.lt (local.get $acc) (local.get $bv)))
            (local.set $bv (v128.bitselect (local.get $acc) (local.get $bv) (local.get $mask)))
            (local.set $bi (v128.bitselect (local.get $idx) (local.get $bi) (local.get $mask)))))
        (local.set $idx (i32x4.add (local.get $idx) (local.get $four)))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $group)))
      ;; merge the lanes: smallest distance, ties to the lowest index
      (local.set $v (f32x4.extract_lane 0 (local.get $bv)))
      (local.set $bestI (i32x4.extract_lane 0 (local.get $bi)))
      (local.set $w (f32x4.extract_lane 1 (local.get $bv)))
      (local.set $li (i32x4.extract_lane 1 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $w) (local.get $v))
                  (i32.and (f32.eq (local.get $w) (local.get $v))
                           (i32.lt_s (local.get $li) (local.get $bestI))))
        (then (local.set $v (local.get $w)) (local.set $bestI (local.get $li))))
      (local.set $w (f32x4.extract_lane 2 (local.get $bv)))
      (local.set $li (i32x4.extract_lane 2 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $w) (local.get $v))
                  (i32.and (f32.eq (local.get $w) (local.get $v))
                           (i32.lt_s (local.get $li) (local.get $bestI))))
        (then (local.set $v (local.get $w)) (local.set $bestI (local.get $li))))
      (local.set $w (f32x4.extract_lane 3 (local.get $bv)))
      (local.set $li (i32x4.extract_lane 3 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $w) (local.get $v))
                  (i32.and (f32.eq (local.get $w) (local.get $v))
                           (i32.lt_s (local.get $li) (local.get $bestI))))
        (then (local.set $v (local.get $w)) (local.set $bestI (local.get $li))))
      (i32.store (local.get $out) (local.get $bestI))
      (if (local.get $dist) (then
        (f32.store (i32.add (local.get $dist) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))))
      (local.set $out (i32.add (local.get $out) (local.get $ostride)))
      (local.set $x (i32.add (local.get $x) (local.get $xstride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $points)))
  )

  (func (export "adc") (param $codes i32) (param $n i32) (param $m i32) (param $ksub i32)
                       (param $tables i32) (param $wide i32) (param $out i32)
    (local $i i32) (local $j i32) (local $s f32) (local $t i32) (local $tstride i32)
    (local $code i32)
    (local.set $tstride (i32.shl (local.get $ksub) (i32.const 2)))
    (block $done (loop $codes_loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $t (local.get $tables))
      (local.set $s (f32.const 0))
      (local.set $j (i32.const 0))
      (if (local.get $wide)
        (then
          (loop $sub16
            (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $t)
              (i32.shl (i32.load16_u (local.get $codes)) (i32.const 2))))))
            (local.set $codes (i32.add (local.get $codes) (i32.const 2)))
            (local.set $t (i32.add (local.get $t) (local.get $tstride)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $sub16 (i32.lt_u (local.get $j) (local.get $m)))))
        (else
          (loop $sub8
            (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $t)
              (i32.shl (i32.load8_u (local.get $codes)) (i32.const 2))))))
            (local.set $codes (i32.add (local.get $codes) (i32.const 1)))
            (local.set $t (i32.add (local.get $t) (local.get $tstride)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $sub8 (i32.lt_u (local.get $j) (local.get $m))))))
      (f32.store (local.get $out) (local.get $s))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $codes_loop)))
  )
)
