;; Depthwise convolution for @lowbit/kernels (built by `deno task build:wasm`).
;;
;; One input plane at a time is copied into zero-padded rows; outputs are vectorized along the
;; row, and the caller gives each tap's (or tap pair's) byte offset and weight.
;;   int8: elements are i16 (x − z_x) in plain padded rows (no phases), weights i16 (w − z_w);
;;         two horizontally adjacent taps per i32x4.dot_i16x8_s on lane pairs (see
;;         plane_pairs_i16), int32 accumulators seeded with the bias (exact: |pair sum| ≤
;;         2·255², and the sum wraps like int32 in any order).
;;   f32:  elements are f64 (exact conversions) in a "phase" layout: padded row r holds sw
;;         column phases of wq elements each (phase p = padded columns p, p + sw, ...), so
;;         output column ow of tap (i, j) reads element ow + j div sw of phase j mod sw of row
;;         oh·sh + i, one contiguous vector load for stride 1 and 2 alike; products and sums
;;         in f64 in tap order, then + bias, rounded once to f32, activation — the
;;         reference's arithmetic step by step.
(module
  (import "env" "memory" (memory 1 32768 shared))
  ;; gemm_int8's per-row float requantization (the same instance memory), for channels_i16
  (import "env" "requant_rows_float" (func $requant_rows_float (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  ;; Plane (h×w bytes, int8 when $signed) → plain zero-padded i16 rows at $dst (hp rows of
  ;; $wq elements, padded column padL + c holding x − $zx).
  (func $pad_i16 (export "pad_i16") (param $src i32) (param $h i32) (param $w i32) (param $signed i32)
                           (param $zx i32) (param $dst i32) (param $padT i32) (param $padL i32)
                           (param $hp i32) (param $wq i32)
    (local $rs i32) (local $y i32) (local $c i32) (local $row i32) (local $srow i32)
    (local $v v128) (local $zv v128) (local $x i32)
    (local.set $rs (i32.shl (local.get $wq) (i32.const 1)))
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $hp) (local.get $rs)))
    (local.set $zv (i16x8.splat (local.get $zx)))
    (block $ydone (loop $yl
      (br_if $ydone (i32.ge_u (local.get $y) (local.get $h)))
      (local.set $row (i32.add (i32.add (local.get $dst)
        (i32.mul (i32.add (local.get $y) (local.get $padT)) (local.get $rs)))
        (i32.shl (local.get $padL) (i32.const 1))))
      (local.set $srow (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $w))))
      (local.set $c (i32.const 0))
      (block $vdone (loop $vl
        (br_if $vdone (i32.gt_u (i32.add (local.get $c) (i32.const 8)) (local.get $w)))
        (local.set $v (v128.load64_zero (i32.add (local.get $srow) (local.get $c))))
        (local.set $v (if (result v128) (local.get $signed)
          (then (i16x8.extend_low_i8x16_s (local.get $v)))
          (else (i16x8.extend_low_i8x16_u (local.get $v)))))
        (v128.store (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 1)))
          (i16x8.sub (local.get $v) (local.get $zv)))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $vl)))
      ;; the rest of the row, element by element
      (block $sdone (loop $sl
        (br_if $sdone (i32.ge_u (local.get $c) (local.get $w)))
        (local.set $x (if (result i32) (local.get $signed)
          (then (i32.load8_s (i32.add (local.get $srow) (local.get $c))))
          (else (i32.load8_u (i32.add (local.get $srow) (local.get $c))))))
        (i32.store16 (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 1)))
          (i32.sub (local.get $x) (local.get $zx)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $sl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl)))
  )

  ;; Plane (h×w f32) → padded f64 phase layout at $dst, zero in the padding.
  (func (export "pad_f64") (param $src i32) (param $h i32) (param $w i32) (param $dst i32)
                           (param $padT i32) (param $padL i32) (param $hp i32) (param $s i32)
                           (param $wq i32)
    (local $rs i32) (local $y i32) (local $c i32) (local $row i32) (local $srow i32)
    (local $cc i32) (local $v v128)
    (local.set $rs (i32.shl (i32.mul (local.get $s) (local.get $wq)) (i32.const 3)))
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $hp) (local.get $rs)))
    (block $ydone (loop $yl
      (br_if $ydone (i32.ge_u (local.get $y) (local.get $h)))
      (local.set $row (i32.add (local.get $dst)
        (i32.mul (i32.add (local.get $y) (local.get $padT)) (local.get $rs))))
      (local.set $srow (i32.add (local.get $src) (i32.shl (i32.mul (local.get $y) (local.get $w)) (i32.const 2))))
      (local.set $c (i32.const 0))
      (if (i32.eq (local.get $s) (i32.const 1))
        (then
          (block $vdone (loop $vl
            (br_if $vdone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $w)))
            (local.set $v (v128.load (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2)))))
            (local.set $cc (i32.add (local.get $row) (i32.shl (i32.add (local.get $padL) (local.get $c)) (i32.const 3))))
            (v128.store offset=0 (local.get $cc) (f64x2.promote_low_f32x4 (local.get $v)))
            (v128.store offset=16 (local.get $cc) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $vl))))
        (else
          (if (i32.eq (local.get $s) (i32.const 2))
            (then
              ;; four columns: the even ones to one phase, the odd ones to the other
              (block $v2done (loop $v2l
                (br_if $v2done (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $w)))
                (local.set $v (v128.load (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2)))))
                (local.set $cc (i32.add (local.get $padL) (local.get $c)))
                (v128.store (i32.add (local.get $row) (i32.add
                  (i32.shl (i32.mul (i32.and (local.get $cc) (i32.const 1)) (local.get $wq)) (i32.const 3))
                  (i32.shl (i32.shr_u (local.get $cc) (i32.const 1)) (i32.const 3))))
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $v) (local.get $v))))
                (local.set $cc (i32.add (local.get $cc) (i32.const 1)))
                (v128.store (i32.add (local.get $row) (i32.add
                  (i32.shl (i32.mul (i32.and (local.get $cc) (i32.const 1)) (local.get $wq)) (i32.const 3))
                  (i32.shl (i32.shr_u (local.get $cc) (i32.const 1)) (i32.const 3))))
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15 (local.get $v) (local.get $v))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $v2l)))))))
      (block $sdone (loop $sl
        (br_if $sdone (i32.ge_u (local.get $c) (local.get $w)))
        (local.set $cc (i32.add (local.get $padL) (local.get $c)))
        (f64.store (i32.add (local.get $row) (i32.add
          (i32.shl (i32.mul (i32.rem_u (local.get $cc) (local.get $s)) (local.get $wq)) (i32.const 3))
          (i32.shl (i32.div_u (local.get $cc) (local.get $s)) (i32.const 3))))
          (f64.promote_f32 (f32.load (i32.add (local.get $srow) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $sl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl)))
  )

  ;; Stride-1 pair rows: row r of $dst (4·$wq bytes) holds the i32 lanes (R[o], R[o+1]) for
  ;; o < $wq, R row r of $src (plain padded i16 rows of $wq elements, at least 2 more readable
  ;; after the last row). $wq: a multiple of 8.
  (func $pairs_i16 (export "pairs_i16") (param $src i32) (param $rows i32) (param $wq i32) (param $dst i32)
    (local $r i32) (local $o i32) (local $s i32) (local $d i32) (local $v0 v128) (local $v1 v128)
    (block $rdone (loop $rl
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $r) (local.get $wq)) (i32.const 1))))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $wq)) (i32.const 2))))
      (local.set $o (i32.const 0))
      (block $odone (loop $ol
        (br_if $odone (i32.ge_u (local.get $o) (local.get $wq)))
        (local.set $v0 (v128.load (local.get $s)))
        (local.set $v1 (v128.load offset=2 (local.get $s)))
        (v128.store offset=0 (local.get $d) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23
          (local.get $v0) (local.get $v1)))
        (v128.store offset=16 (local.get $d) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31
          (local.get $v0) (local.get $v1)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $ol)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; int8 plane on pair lanes: acc (outH×outW i32, compact) = bias + Σ_t dot(lane pair at
  ;; row base + offs[t] + 4·ow, wts[t]) — each pair tap t covers two horizontally adjacent
  ;; taps (w_j − z_w, w_j+1 − z_w) as i16 halves of one i32 (the high half 0 for a last odd
  ;; tap), one i32x4.dot_i16x8_s (pmaddwd) per four outputs. Output ow's lane is 4·ow bytes
  ;; from the row base for stride 1 (pair rows) and stride 2 (plain i16 rows: the pair
  ;; (R[2ow + j], R[2ow + j + 1]) is one aligned lane). Row base of output row oh: $plane +
  ;; oh·$rowstep. Output row oh sums only the pair taps [spans[2oh], spans[2oh + 1]) (i32s at
  ;; $spans): the taps of kernel rows that fall on input rows rather than on the zero rows of
  ;; the padding, whose terms are 0 (the rows hold x − z_x). $scratch: 16 bytes.
  (func $plane_pairs_i16 (export "plane_pairs_i16") (param $plane i32) (param $rowstep i32) (param $outH i32)
                                   (param $outW i32) (param $spans i32) (param $offs i32)
                                   (param $wts i32) (param $bias i32) (param $acc i32)
                                   (param $scratch i32)
    (local $oh i32) (local $ow i32) (local $base i32) (local $t i32) (local $p i32)
    (local $t0 i32) (local $t1 i32)
    (local $wv v128) (local $bv v128) (local $dst i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $bv (i32x4.splat (local.get $bias)))
    (block $hdone (loop $hl
      (br_if $hdone (i32.ge_u (local.get $oh) (local.get $outH)))
      (local.set $base (i32.add (local.get $plane) (i32.mul (local.get $oh) (local.get $rowstep))))
      (local.set $t0 (i32.load (i32.add (local.get $spans) (i32.shl (local.get $oh) (i32.const 3)))))
      (local.set $t1 (i32.load offset=4 (i32.add (local.get $spans) (i32.shl (local.get $oh) (i32.const 3)))))
      (local.set $ow (i32.const 0))
      ;; 16 outputs at a time
      (block $wdone (loop $wl
        (br_if $wdone (i32.gt_u (i32.add (local.get $ow) (i32.const 16)) (local.get $outW)))
        (local.set $a0 (local.get $bv)) (local.set $a1 (local.get $bv))
        (local.set $a2 (local.get $bv)) (local.set $a3 (local.get $bv))
        (local.set $t (local.get $t0))
        (block $tx (br_if $tx (i32.ge_u (local.get $t) (local.get $t1))) (loop $tl
          (local.set $p (i32.add (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 2)))
            (i32.load (i32.add (local.get $offs) (i32.shl (local.get $t) (i32.const 2))))))
          (local.set $wv (v128.load32_splat (i32.add (local.get $wts) (i32.shl (local.get $t) (i32.const 2)))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load offset=0 (local.get $p)) (local.get $wv))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load offset=16 (local.get $p)) (local.get $wv))))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load offset=32 (local.get $p)) (local.get $wv))))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load offset=48 (local.get $p)) (local.get $wv))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $tl (i32.lt_u (local.get $t) (local.get $t1)))))
        (local.set $dst (i32.add (local.get $acc)
          (i32.shl (i32.add (i32.mul (local.get $oh) (local.get $outW)) (local.get $ow)) (i32.const 2))))
        (v128.store offset=0 (local.get $dst) (local.get $a0))
        (v128.store offset=16 (local.get $dst) (local.get $a1))
        (v128.store offset=32 (local.get $dst) (local.get $a2))
        (v128.store offset=48 (local.get $dst) (local.get $a3))
        (local.set $ow (i32.add (local.get $ow) (i32.const 16)))
        (br $wl)))
      ;; 4 at a time, the last chunk through the scratch
      (block $w4done (loop $w4l
        (br_if $w4done (i32.ge_u (local.get $ow) (local.get $outW)))
        (local.set $a0 (local.get $bv))
        (local.set $t (local.get $t0))
        (block $tx4 (br_if $tx4 (i32.ge_u (local.get $t) (local.get $t1))) (loop $tl4
          (local.set $p (i32.add (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 2)))
            (i32.load (i32.add (local.get $offs) (i32.shl (local.get $t) (i32.const 2))))))
          (local.set $wv (v128.load32_splat (i32.add (local.get $wts) (i32.shl (local.get $t) (i32.const 2)))))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load (local.get $p)) (local.get $wv))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $tl4 (i32.lt_u (local.get $t) (local.get $t1)))))
        (local.set $dst (i32.add (local.get $acc)
          (i32.shl (i32.add (i32.mul (local.get $oh) (local.get $outW)) (local.get $ow)) (i32.const 2))))
        (if (i32.le_u (i32.add (local.get $ow) (i32.const 4)) (local.get $outW))
          (then (v128.store (local.get $dst) (local.get $a0)))
          (else
            (v128.store (local.get $scratch) (local.get $a0))
            (memory.copy (local.get $dst) (local.get $scratch)
              (i32.shl (i32.sub (local.get $outW) (local.get $ow)) (i32.const 2)))))
        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
        (br $w4l)))
      (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
      (br $hl)))
  )

  ;; Every plane of an int8 depthwise convolution in one call: per input plane (image n,
  ;; channel c at $in + (n·inC + c)·h·w) pad_i16 into $rows (and pairs_i16 into $pairs for
  ;; stride 1, $sw1), then per output channel o = c·$mult + q plane_pairs_i16 with its pair taps
  ;; at $wts + 4·o·$taps, the row spans at $spans and its bias (i32 at $bias + 4o; 0 when $bias is 0). Accumulators
  ;; ($codes 0) go to $acc + 4·plane·(n·outC + o); codes ($codes 1) go through one plane at $acc
  ;; and requant_rows_float (row offset: the i32 at $zero, multiplier: the f32 at $multf + 4o)
  ;; to $out + plane·(n·outC + o).
  (func (export "channels_i16") (param $in i32) (param $batch i32) (param $inC i32)
                                (param $mult i32) (param $h i32) (param $w i32)
                                (param $signed i32) (param $zx i32) (param $rows i32)
                                (param $pairs i32) (param $padT i32) (param $padL i32)
                                (param $hp i32) (param $wq i32) (param $sw1 i32)
                                (param $rowstep i32) (param $outH i32) (param $outW i32)
                                (param $taps i32) (param $spans i32) (param $offs i32)
                                (param $wts i32) (param $bias i32) (param $acc i32) (param $scratch i32)
                                (param $codes i32) (param $zero i32) (param $multf i32)
                                (param $zp i32) (param $lo i32) (param $hi i32) (param $out i32)
                                (param $unsigned i32)
    (local $n i32) (local $c i32) (local $q i32) (local $o i32) (local $plane i32)
    (local $outC i32) (local $idx i32) (local $b i32)
    (local.set $plane (i32.mul (local.get $outH) (local.get $outW)))
    (local.set $outC (i32.mul (local.get $inC) (local.get $mult)))
    (block $ndone (loop $nl
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $batch)))
      (local.set $c (i32.const 0))
      (block $cdone (loop $cl
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $inC)))
        (call $pad_i16
          (i32.add (local.get $in) (i32.mul (i32.add (i32.mul (local.get $n) (local.get $inC)) (local.get $c))
            (i32.mul (local.get $h) (local.get $w))))
          (local.get $h) (local.get $w) (local.get $signed) (local.get $zx) (local.get $rows)
          (local.get $padT) (local.get $padL) (local.get $hp) (local.get $wq))
        (if (local.get $sw1)
          (then (call $pairs_i16 (local.get $rows) (local.get $hp) (local.get $wq) (local.get $pairs))))
        (local.set $q (i32.const 0))
        (block $qdone (loop $ql
          (br_if $qdone (i32.ge_u (local.get $q) (local.get $mult)))
          (local.set $o (i32.add (i32.mul (local.get $c) (local.get $mult)) (local.get $q)))
          (local.set $idx (i32.add (i32.mul (local.get $n) (local.get $outC)) (local.get $o)))
          (local.set $b (if (result i32) (local.get $bias)
            (then (i32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (else (i32.const 0))))
          (call $plane_pairs_i16
            (select (local.get $pairs) (local.get $rows) (local.get $sw1))
            (local.get $rowstep) (local.get $outH) (local.get $outW) (local.get $spans) (local.get $offs)
            (i32.add (local.get $wts) (i32.shl (i32.mul (local.get $o) (local.get $taps)) (i32.const 2)))
            (local.get $b)
            (select (local.get $acc)
              (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $plane) (local.get $idx)) (i32.const 2)))
              (local.get $codes))
            (local.get $scratch))
          (if (local.get $codes)
            (then (call $requant_rows_float (local.get $acc) (local.get $plane) (i32.const 1)
              (local.get $zero) (i32.add (local.get $multf) (i32.shl (local.get $o) (i32.const 2)))
              (local.get $zp) (local.get $lo) (local.get $hi)
              (i32.add (local.get $out) (i32.mul (local.get $plane) (local.get $idx)))
              (local.get $unsigned))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cl)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nl)))
  )

  ;; f32 plane: dst (outH×outW f32) = act(f32(Σ_t wts[t]·plane[...] + bias)), sums in f64 in
  ;; tap order. $act: 0 none, 1 ReLU, 2 ReLU6. $scratch: 32 bytes.
  (func (export "plane_f64") (param $plane i32) (param $rowstep i32) (param $outH i32)
                             (param $outW i32) (param $taps i32) (param $offs i32) (param $wts i32)
                             (param $bias f64) (param $act i32) (param $dst i32) (param $scratch i32)
    (local $oh i32) (local $ow i32) (local $base i32) (local $t i32) (local $p i32)
    (local $wv v128) (local $bv v128) (local $r0 v128) (local $r1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $d i32)
    (local.set $bv (f64x2.splat (local.get $bias)))
    (block $hdone (loop $hl
      (br_if $hdone (i32.ge_u (local.get $oh) (local.get $outH)))
      (local.set $base (i32.add (local.get $plane) (i32.mul (local.get $oh) (local.get $rowstep))))
      (local.set $ow (i32.const 0))
      (block $wdone (loop $wl
        (br_if $wdone (i32.ge_u (local.get $ow) (local.get $outW)))
        (local.set $a0 (v128.const f64x2 0 0)) (local.set $a1 (v128.const f64x2 0 0))
        (local.set $a2 (v128.const f64x2 0 0)) (local.set $a3 (v128.const f64x2 0 0))
        (local.set $t (i32.const 0))
        (loop $tl
          (local.set $p (i32.add (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 3)))
            (i32.load (i32.add (local.get $offs) (i32.shl (local.get $t) (i32.const 2))))))
          (local.set $wv (v128.load64_splat (i32.add (local.get $wts) (i32.shl (local.get $t) (i32.const 3)))))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=0 (local.get $p)) (local.get $wv))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $p)) (local.get $wv))))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=32 (local.get $p)) (local.get $wv))))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=48 (local.get $p)) (local.get $wv))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $tl (i32.lt_u (local.get $t) (local.get $taps))))
        ;; + bias, round once to f32, activation
        (local.set $r0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.add (local.get $a0) (local.get $bv)))
          (f32x4.demote_f64x2_zero (f64x2.add (local.get $a1) (local.get $bv)))))
        (local.set $r1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.add (local.get $a2) (local.get $bv)))
          (f32x4.demote_f64x2_zero (f64x2.add (local.get $a3) (local.get $bv)))))
        ;; the reference's activation on the rounded value: v ≤ 0 (−0 included) → +0, v > 6 →
        ;; 6 (ReLU6); NaN passes with its bits (compare-and-select, not min/max)
        (if (local.get $act)
          (then
            (local.set $r0 (v128.bitselect (v128.const f32x4 0 0 0 0) (local.get $r0)
              (f32x4.le (local.get $r0) (v128.const f32x4 0 0 0 0))))
            (local.set $r1 (v128.bitselect (v128.const f32x4 0 0 0 0) (local.get $r1)
              (f32x4.le (local.get $r1) (v128.const f32x4 0 0 0 0))))
            (if (i32.eq (local.get $act) (i32.const 2))
              (then
                (local.set $r0 (v128.bitselect (v128.const f32x4 6 6 6 6) (local.get $r0)
                  (f32x4.gt (local.get $r0) (v128.const f32x4 6 6 6 6))))
                (local.set $r1 (v128.bitselect (v128.const f32x4 6 6 6 6) (local.get $r1)
                  (f32x4.gt (local.get $r1) (v128.const f32x4 6 6 6 6))))))))
        (local.set $d (i32.add (local.get $dst)
          (i32.shl (i32.add (i32.mul (local.get $oh) (local.get $outW)) (local.get $ow)) (i32.const 2))))
        (if (i32.le_u (i32.add (local.get $ow) (i32.const 8)) (local.get $outW))
          (then
            (v128.store offset=0 (local.get $d) (local.get $r0))
            (v128.store offset=16 (local.get $d) (local.get $r1)))
          (else
            (v128.store offset=0 (local.get $scratch) (local.get $r0))
            (v128.store offset=16 (local.get $scratch) (local.get $r1))
            (memory.copy (local.get $d) (local.get $scratch)
              (i32.shl (i32.sub (local.get $outW) (local.get $ow)) (i32.const 2)))))
        (local.set $ow (i32.add (local.get $ow) (i32.const 8)))
        (br $wl)))
      (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
      (br $hl)))
  )
)
