;; 8-bit GEMM for @lowbit/kernels (built by `deno task build:wasm`).
;;
;; C (m×n, i32) = (A − z_A)·(B − z_B) + bias, computed as
;;   C_ij = Σ_p A16_ip · B8_pj − z_B[j] · rowsum(A16)_i + bias_j,   A16 = A − z_A (as i16)
;; i.e. A's zero point is folded into the i16 widening of A (|A16| ≤ 255) and B's zero point
;; is applied with A's row sums (Jacob et al. 2018 §2.3). B is packed once into int8 panels
;; of 8 columns, k-pairs interleaved (16 bytes per pair); unsigned B is stored as b − 128 with
;; its zero point lowered by 128, so the kernel always sign-extends. Products of i16 pairs are
;; summed by i32x4.dot_i16x8_s (exact: |a·b + a'·b'| ≤ 2·255·128); accumulation wraps modulo
;; 2^32 like the reference. Blocking: KC = 256 k-pairs, MC = 192 rows, 6×8 microkernel; a
;; 1×32 kernel streams the weights once for batch 1 (GEMV).
;; Output stages (requant_float, requant_fixed) implement output_stage.ts exactly.
;; gemm_narrow: the ≤4-bit path, 6×16 kernel with i16 accumulation (pmaddubsw), 2× the
;; multiply throughput of the i16×i16→i32 path, exact under the caller-checked bound.
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; C[0:6, 0:8] (+)= A16[0:6, 0:2·pairs] · Bpanel, i32 accumulators.
  ;; $a: row 0 of the i16 A block (rows $lda bytes apart, k-pairs adjacent), $b: int8 panel
  ;; (16 bytes per k-pair: (b[p][j], b[p+1][j]) for j = 0..7), $c: row 0 of C ($ldc bytes
  ;; apart). Each k-pair: the panel is sign-extended to two i16x8 vectors and every row's
  ;; (a[p], a[p+1]) pair is broadcast and multiplied with i32x4.dot_i16x8_s (pmaddwd).
  (func $kernel_6x8 (param $a i32) (param $lda i32) (param $b i32) (param $c i32)
                    (param $ldc i32) (param $pairs i32) (param $load i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $end i32) (local $x v128) (local $bv v128) (local $b0 v128) (local $b1 v128)
    (local $acc00 v128) (local $acc01 v128) (local $acc10 v128) (local $acc11 v128) (local $acc20 v128) (local $acc21 v128) (local $acc30 v128) (local $acc31 v128) (local $acc40 v128) (local $acc41 v128) (local $acc50 v128) (local $acc51 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $lda)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
    (local.set $a4 (i32.add (local.get $a3) (local.get $lda)))
    (local.set $a5 (i32.add (local.get $a4) (local.get $lda)))
    (local.set $c1 (i32.add (local.get $c) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (local.set $c4 (i32.add (local.get $c3) (local.get $ldc)))
    (local.set $c5 (i32.add (local.get $c4) (local.get $ldc)))
    (if (local.get $load) (then
      (local.set $acc00 (v128.load offset=0 (local.get $c)))
      (local.set $acc01 (v128.load offset=16 (local.get $c)))
      (local.set $acc10 (v128.load offset=0 (local.get $c1)))
      (local.set $acc11 (v128.load offset=16 (local.get $c1)))
      (local.set $acc20 (v128.load offset=0 (local.get $c2)))
      (local.set $acc21 (v128.load offset=16 (local.get $c2)))
      (local.set $acc30 (v128.load offset=0 (local.get $c3)))
      (local.set $acc31 (v128.load offset=16 (local.get $c3)))
      (local.set $acc40 (v128.load offset=0 (local.get $c4)))
      (local.set $acc41 (v128.load offset=16 (local.get $c4)))
      (local.set $acc50 (v128.load offset=0 (local.get $c5)))
      (local.set $acc51 (v128.load offset=16 (local.get $c5)))
    ))
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $pairs) (i32.const 4))))
    (loop $k
      (local.set $bv (v128.load (local.get $b)))
      (local.set $b0 (i16x8.extend_low_i8x16_s (local.get $bv)))
      (local.set $b1 (i16x8.extend_high_i8x16_s (local.get $bv)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $acc00 (i32x4.add (local.get $acc00) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc01 (i32x4.add (local.get $acc01) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (local.get $a1)))
      (local.set $acc10 (i32x4.add (local.get $acc10) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc11 (i32x4.add (local.get $acc11) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (local.get $a2)))
      (local.set $acc20 (i32x4.add (local.get $acc20) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc21 (i32x4.add (local.get $acc21) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (local.get $a3)))
      (local.set $acc30 (i32x4.add (local.get $acc30) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc31 (i32x4.add (local.get $acc31) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (local.get $a4)))
      (local.set $acc40 (i32x4.add (local.get $acc40) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc41 (i32x4.add (local.get $acc41) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat (local.get $a5)))
      (local.set $acc50 (i32x4.add (local.get $acc50) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
      (local.set $acc51 (i32x4.add (local.get $acc51) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
      (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
      (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
      (local.set $a4 (i32.add (local.get $a4) (i32.const 4)))
      (local.set $a5 (i32.add (local.get $a5) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $k (i32.lt_u (local.get $b) (local.get $end))))
    (v128.store offset=0 (local.get $c) (local.get $acc00))
    (v128.store offset=16 (local.get $c) (local.get $acc01))
    (v128.store offset=0 (local.get $c1) (local.get $acc10))
    (v128.store offset=16 (local.get $c1) (local.get $acc11))
    (v128.store offset=0 (local.get $c2) (local.get $acc20))
    (v128.store offset=16 (local.get $c2) (local.get $acc21))
    (v128.store offset=0 (local.get $c3) (local.get $acc30))
    (v128.store offset=16 (local.get $c3) (local.get $acc31))
    (v128.store offset=0 (local.get $c4) (local.get $acc40))
    (v128.store offset=16 (local.get $c4) (local.get $acc41))
    (v128.store offset=0 (local.get $c5) (local.get $acc50))
    (v128.store offset=16 (local.get $c5) (local.get $acc51))
  )

  ;; One row of C, 32 columns (four panels $pstride bytes apart) over all k-pairs: the
  ;; batch-1 (GEMV) path, which streams the int8 weights once.
  (func $kernel_1x32 (param $a i32) (param $b i32) (param $pstride i32) (param $c i32)
                     (param $pairs i32)
    (local $end i32) (local $x v128) (local $bv v128)
    (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $acc00 v128) (local $acc01 v128) (local $acc10 v128) (local $acc11 v128) (local $acc20 v128) (local $acc21 v128) (local $acc30 v128) (local $acc31 v128)
    (local.set $q1 (i32.add (local.get $b) (local.get $pstride)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $pstride)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $pstride)))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $pairs) (i32.const 2))))
    (loop $k
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $bv (v128.load (local.get $b)))
      (local.set $acc00 (i32x4.add (local.get $acc00) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_low_i8x16_s (local.get $bv)))))
      (local.set $acc01 (i32x4.add (local.get $acc01) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_high_i8x16_s (local.get $bv)))))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $bv (v128.load (local.get $q1)))
      (local.set $acc10 (i32x4.add (local.get $acc10) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_low_i8x16_s (local.get $bv)))))
      (local.set $acc11 (i32x4.add (local.get $acc11) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_high_i8x16_s (local.get $bv)))))
      (local.set $q1 (i32.add (local.get $q1) (i32.const 16)))
      (local.set $bv (v128.load (local.get $q2)))
      (local.set $acc20 (i32x4.add (local.get $acc20) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_low_i8x16_s (local.get $bv)))))
      (local.set $acc21 (i32x4.add (local.get $acc21) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_high_i8x16_s (local.get $bv)))))
      (local.set $q2 (i32.add (local.get $q2) (i32.const 16)))
      (local.set $bv (v128.load (local.get $q3)))
      (local.set $acc30 (i32x4.add (local.get $acc30) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_low_i8x16_s (local.get $bv)))))
      (local.set $acc31 (i32x4.add (local.get $acc31) (i32x4.dot_i16x8_s (local.get $x) (i16x8.extend_high_i8x16_s (local.get $bv)))))
      (local.set $q3 (i32.add (local.get $q3) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br_if $k (i32.lt_u (local.get $a) (local.get $end))))
    (v128.store offset=0 (local.get $c) (local.get $acc00))
    (v128.store offset=16 (local.get $c) (local.get $acc01))
    (v128.store offset=32 (local.get $c) (local.get $acc10))
    (v128.store offset=48 (local.get $c) (local.get $acc11))
    (v128.store offset=64 (local.get $c) (local.get $acc20))
    (v128.store offset=80 (local.get $c) (local.get $acc21))
    (v128.store offset=96 (local.get $c) (local.get $acc30))
    (v128.store offset=112 (local.get $c) (local.get $acc31))
  )

  ;; A (m×k bytes, int8 when $signed else uint8) → A16 (m×kp i16, zero-padded) = A − $za, and
  ;; the row sums of A16 into $rs (i32).
  (func (export "pack_a16") (param $src i32) (param $m i32) (param $k i32) (param $kp i32)
                            (param $signed i32) (param $za i32) (param $dst i32) (param $rs i32)
    (local $i i32) (local $p i32) (local $v i32) (local $sum i32) (local $row i32)
    (local $x v128) (local $lo v128) (local $hi v128) (local $zv v128) (local $sv v128)
    (local.set $zv (i16x8.splat (local.get $za)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $p (i32.const 0))
      (local.set $sv (v128.const i32x4 0 0 0 0))
      (local.set $row (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $k))))
      ;; 16 codes per step: widened, minus z_A, stored as i16; sums in four i32 lanes
      ;; (|a − z_A| ≤ 255, so a lane's pair sum fits i16 and its total fits i32)
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $k)))
        (local.set $x (v128.load (i32.add (local.get $row) (local.get $p))))
        (if (local.get $signed)
          (then
            (local.set $lo (i16x8.sub (i16x8.extend_low_i8x16_s (local.get $x)) (local.get $zv)))
            (local.set $hi (i16x8.sub (i16x8.extend_high_i8x16_s (local.get $x)) (local.get $zv))))
          (else
            (local.set $lo (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $x)) (local.get $zv)))
            (local.set $hi (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $x)) (local.get $zv)))))
        (v128.store offset=0 (local.get $dst) (local.get $lo))
        (v128.store offset=16 (local.get $dst) (local.get $hi))
        (local.set $sv (i32x4.add (local.get $sv) (i32x4.add
          (i32x4.extadd_pairwise_i16x8_s (local.get $lo))
          (i32x4.extadd_pairwise_i16x8_s (local.get $hi)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
      (local.set $sum (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $sv)) (i32x4.extract_lane 1 (local.get $sv)))
        (i32.add (i32x4.extract_lane 2 (local.get $sv)) (i32x4.extract_lane 3 (local.get $sv)))))
      (block $pdone (loop $cols
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $v (i32.sub
          (if (result i32) (local.get $signed)
            (then (i32.load8_s (i32.add (local.get $row) (local.get $p))))
            (else (i32.load8_u (i32.add (local.get $row) (local.get $p)))))
          (local.get $za)))
        (i32.store16 (local.get $dst) (local.get $v))
        (local.set $sum (i32.add (local.get $sum) (local.get $v)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $cols)))
      (if (i32.lt_u (local.get $k) (local.get $kp))
        (then
          (i32.store16 (local.get $dst) (i32.const 0))
          (local.set $dst (i32.add (local.get $dst) (i32.const 2)))))
      (i32.store (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2))) (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )

  ;; B[p][j] xor $flip (B k×n bytes, or n×k when $trans), 0 past k and n.
  (func $b8_at (param $src i32) (param $k i32) (param $n i32) (param $trans i32)
               (param $flip i32) (param $j i32) (param $p i32) (result i32)
    (if (result i32) (i32.and (i32.lt_u (local.get $j) (local.get $n)) (i32.lt_u (local.get $p) (local.get $k)))
      (then (i32.xor (local.get $flip) (i32.load8_u (i32.add (local.get $src)
        (select
          (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p))
          (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j))
          (local.get $trans))))))
      (else (i32.const 0)))
  )

  ;; B (k×n bytes, or n×k when $trans) → int8 panels at $dst: panel jp, pair pp, column jj,
  ;; half t at ((jp·pairs + pp)·8 + jj)·2 + t, holding B[2pp+t][8jp+jj] xor $flip (0x80 turns
  ;; uint8 into int8 − 128); zero past k and n. A full panel's full pair is one vector: two
  ;; 8-byte rows interleaved by a shuffle (k×n), or eight 2-byte lane loads (n×k).
  (func (export "pack_b8") (param $src i32) (param $k i32) (param $n i32) (param $trans i32)
                           (param $flip i32) (param $dst i32) (param $pairs i32)
    (local $jp i32) (local $panels i32) (local $pp i32) (local $jj i32) (local $t i32)
    (local $full i32) (local $v v128) (local $fv v128) (local $at i32)
    (local.set $fv (i8x16.splat (local.get $flip)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $done (loop $panel
      (br_if $done (i32.ge_u (local.get $jp) (local.get $panels)))
      (local.set $full (i32.le_u (i32.shl (i32.add (local.get $jp) (i32.const 1)) (i32.const 3)) (local.get $n)))
      (local.set $pp (i32.const 0))
      (block $ppdone (loop $pair
        (br_if $ppdone (i32.ge_u (local.get $pp) (local.get $pairs)))
        (if (i32.and (local.get $full)
              (i32.lt_u (i32.add (i32.shl (local.get $pp) (i32.const 1)) (i32.const 1)) (local.get $k)))
          (then
            (if (local.get $trans)
              (then
                ;; column j = 8jp + jj is row j of the n×k source: its pair is 2 adjacent bytes
                (local.set $at (i32.add (local.get $src) (i32.add
                  (i32.mul (i32.shl (local.get $jp) (i32.const 3)) (local.get $k))
                  (i32.shl (local.get $pp) (i32.const 1)))))
                (local.set $v (v128.load16_splat (local.get $at)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 1 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 2 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 3 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 4 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 5 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 6 (local.get $at) (local.get $v)))
                (local.set $at (i32.add (local.get $at) (local.get $k)))
                (local.set $v (v128.load16_lane 7 (local.get $at) (local.get $v))))
              (else
                ;; rows 2pp and 2pp + 1, columns 8jp … 8jp + 7, interleaved
                (local.set $at (i32.add (local.get $src) (i32.add
                  (i32.mul (i32.shl (local.get $pp) (i32.const 1)) (local.get $n))
                  (i32.shl (local.get $jp) (i32.const 3)))))
                (local.set $v (v128.load64_zero (local.get $at)))
                (local.set $v (v128.load64_lane 1 (i32.add (local.get $at) (local.get $n)) (local.get $v)))
                (local.set $v (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
                  (local.get $v) (local.get $v)))))
            (v128.store (local.get $dst) (v128.xor (local.get $v) (local.get $fv)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16))))
          (else
            (local.set $jj (i32.const 0))
            (loop $col
              (local.set $t (i32.const 0))
              (loop $half
                (i32.store8 (local.get $dst) (call $b8_at (local.get $src) (local.get $k)
                  (local.get $n) (local.get $trans) (local.get $flip)
                  (i32.add (i32.shl (local.get $jp) (i32.const 3)) (local.get $jj))
                  (i32.add (i32.shl (local.get $pp) (i32.const 1)) (local.get $t))))
                (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br_if $half (i32.lt_u (local.get $t) (i32.const 2))))
              (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
              (br_if $col (i32.lt_u (local.get $jj) (i32.const 8))))))
        (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
        (br $pair)))
      (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
      (br $panel)))
  )

  ;; Copies $r rows of $bytes bytes between strides.
  (func $copy_rows (param $dst i32) (param $ldd i32) (param $src i32) (param $lds i32)
                   (param $r i32) (param $bytes i32)
    (block $done (loop $rows
      (br_if $done (i32.eqz (local.get $r)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))
      (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
      (local.set $src (i32.add (local.get $src) (local.get $lds)))
      (local.set $r (i32.sub (local.get $r) (i32.const 1)))
      (br $rows)))
  )

  ;; Rows [$i0, $i1) of C (n columns, i32) = A16 · Bpacked (raw products, no correction).
  (func (export "gemm") (param $a i32) (param $kp i32) (param $bp i32) (param $c i32)
                        (param $n i32) (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $lda i32) (local $ldc i32) (local $pairs i32) (local $pc i32) (local $kc i32)
    (local $ld i32) (local $ic i32) (local $iend i32) (local $jp i32) (local $panels i32)
    (local $j i32) (local $i i32) (local $mr i32) (local $nr i32) (local $bpan i32)
    (local $arow i32) (local $crow i32) (local $apan i32)
    (local.set $lda (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pairs (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $apan (i32.add (local.get $scratch) (i32.const 192)))
    (block $done_pc (loop $pc_loop
      (br_if $done_pc (i32.ge_u (local.get $pc) (local.get $pairs)))
      (local.set $kc (i32.sub (local.get $pairs) (local.get $pc)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $ld (i32.ne (local.get $pc) (i32.const 0)))
      (local.set $ic (local.get $i0))
      (block $done_ic (loop $ic_loop
        (br_if $done_ic (i32.ge_u (local.get $ic) (local.get $i1)))
        (local.set $iend (i32.add (local.get $ic) (i32.const 192)))
        (if (i32.gt_u (local.get $iend) (local.get $i1)) (then (local.set $iend (local.get $i1))))
        (local.set $jp (i32.const 0))
        (block $done_jp (loop $jp_loop
          (br_if $done_jp (i32.ge_u (local.get $jp) (local.get $panels)))
          (local.set $j (i32.shl (local.get $jp) (i32.const 3)))
          (local.set $nr (i32.sub (local.get $n) (local.get $j)))
          (if (i32.gt_u (local.get $nr) (i32.const 8)) (then (local.set $nr (i32.const 8))))
          (local.set $bpan (i32.add (local.get $bp) (i32.shl
            (i32.add (i32.mul (local.get $jp) (local.get $pairs)) (local.get $pc)) (i32.const 4))))
          (local.set $i (local.get $ic))
          (block $done_i (loop $i_loop
            (br_if $done_i (i32.ge_u (local.get $i) (local.get $iend)))
            (local.set $mr (i32.sub (local.get $iend) (local.get $i)))
            (if (i32.gt_u (local.get $mr) (i32.const 6)) (then (local.set $mr (i32.const 6))))
            (local.set $arow (i32.add (local.get $a) (i32.add
              (i32.mul (local.get $i) (local.get $lda)) (i32.shl (local.get $pc) (i32.const 2)))))
            (local.set $crow (i32.add (local.get $c) (i32.add
              (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (i32.and (i32.eq (local.get $mr) (i32.const 6)) (i32.eq (local.get $nr) (i32.const 8)))
              (then
                (call $kernel_6x8 (local.get $arow) (local.get $lda) (local.get $bpan)
                  (local.get $crow) (local.get $ldc) (local.get $kc) (local.get $ld)))
              (else
                (if (i32.lt_u (local.get $mr) (i32.const 6))
                  (then
                    (call $copy_rows (local.get $apan) (i32.const 1024) (local.get $arow)
                      (local.get $lda) (local.get $mr) (i32.shl (local.get $kc) (i32.const 2)))
                    (local.set $arow (local.get $apan))))
                (if (local.get $ld)
                  (then (call $copy_rows (local.get $scratch) (i32.const 32) (local.get $crow)
                    (local.get $ldc) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))))
                (call $kernel_6x8 (local.get $arow)
                  (select (i32.const 1024) (local.get $lda) (i32.lt_u (local.get $mr) (i32.const 6)))
                  (local.get $bpan) (local.get $scratch) (i32.const 32) (local.get $kc)
                  (local.get $ld))
                (call $copy_rows (local.get $crow) (local.get $ldc) (local.get $scratch)
                  (i32.const 32) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))))
            (local.set $i (i32.add (local.get $i) (i32.const 6)))
            (br $i_loop)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
          (br $jp_loop)))
        (local.set $ic (local.get $iend))
        (br $ic_loop)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
      (br $pc_loop)))
  )

  ;; One row: C[0:n] = A16row · Bpacked, 32 columns at a time (GEMV). Columns [$j0, $j1).
  (func (export "gemv") (param $a i32) (param $kp i32) (param $bp i32) (param $c i32)
                        (param $n i32) (param $j0 i32) (param $j1 i32) (param $scratch i32)
    (local $pairs i32) (local $pstride i32) (local $j i32) (local $w i32)
    (local.set $pairs (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $pstride (i32.shl (local.get $pairs) (i32.const 4)))
    (local.set $j (local.get $j0))
    (block $done (loop $cols
      (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
      (local.set $w (i32.sub (local.get $j1) (local.get $j)))
      (if (i32.ge_u (local.get $w) (i32.const 32))
        (then
          (call $kernel_1x32 (local.get $a)
            (i32.add (local.get $bp) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $pstride)))
            (local.get $pstride)
            (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $pairs))
          (local.set $j (i32.add (local.get $j) (i32.const 32))))
        (else
          ;; tail: one panel (8 columns or fewer) through the scratch tile
          (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
          (call $kernel_1x32 (local.get $a)
            (i32.add (local.get $bp) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $pstride)))
            (i32.const 0) (local.get $scratch) (local.get $pairs))
          (memory.copy (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
            (local.get $scratch) (i32.shl (local.get $w) (i32.const 2)))
          (local.set $j (i32.add (local.get $j) (local.get $w)))))
      (br $cols)))
  )

  ;; Rows [$i0, $i1): C_ij += bias_j − zb_j · rs_i (wrapping i32).
  (func (export "finish") (param $c i32) (param $n i32) (param $i0 i32) (param $i1 i32)
                          (param $rs i32) (param $bias i32) (param $zb i32)
    (local $p i32) (local $j i32) (local $r i32) (local $rv v128) (local $off i32)
    (local.set $p (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i0) (local.get $n)) (i32.const 2))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i0) (local.get $i1)))
      (local.set $r (i32.load (i32.add (local.get $rs) (i32.shl (local.get $i0) (i32.const 2)))))
      (local.set $rv (i32x4.splat (local.get $r)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (v128.store (local.get $p) (i32x4.sub
          (i32x4.add (v128.load (local.get $p)) (v128.load (i32.add (local.get $bias) (local.get $off))))
          (i32x4.mul (v128.load (i32.add (local.get $zb) (local.get $off))) (local.get $rv))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (i32.store (local.get $p) (i32.sub
          (i32.add (i32.load (local.get $p)) (i32.load (i32.add (local.get $bias) (local.get $off))))
          (i32.mul (i32.load (i32.add (local.get $zb) (local.get $off))) (local.get $r))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
      (br $rows)))
  )

  ;; Rows [$i0, $i1) of accumulators → codes at $dst (same indexing, one byte each):
  ;; onnxruntime float semantics: clamp(float32(float32(acc)·m_j)) to [lo−zp, hi−zp], round
  ;; half to even, + zp. $mult: f32 per column.
  (func (export "requant_float") (param $c i32) (param $n i32) (param $i0 i32) (param $i1 i32)
                                 (param $mult i32) (param $zp i32) (param $lo i32) (param $hi i32)
                                 (param $dst i32) (param $unsigned i32)
    (local $p i32) (local $d i32) (local $j i32) (local $v v128) (local $f f32)
    (local $flo v128) (local $fhi v128) (local $zv v128) (local $magic v128) (local $mzv v128) (local $s f32)
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    (local.set $zv (i32x4.splat (local.get $zp)))
    ;; round half to even and add zp in two instructions: for |v| < 2^22, float32(v + 1.5·2^23)
    ;; holds rne(v) in its low mantissa bits (the add's own rounding), so its bits − 0x4B400000
    ;; is rne(v); the clamp comes first, so v stays within a few hundred. The clamp is pmax/pmin
    ;; (one instruction each, unlike max/min): no NaN reaches it, acc·m has a finite m > 0
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (local.set $p (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i0) (local.get $n)) (i32.const 2))))
    (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $i0) (local.get $n))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i0) (local.get $i1)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $v (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax
          (f32x4.mul (f32x4.convert_i32x4_s (v128.load (local.get $p)))
                     (v128.load (i32.add (local.get $mult) (i32.shl (local.get $j) (i32.const 2)))))
          (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
        (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
        (local.set $v (select (result v128)
          (i8x16.narrow_i16x8_u (local.get $v) (local.get $v))
          (i8x16.narrow_i16x8_s (local.get $v) (local.get $v))
          (local.get $unsigned)))
        (v128.store32_lane 0 (local.get $d) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f32.nearest (f32.min (f32.max
          (f32.mul (f32.convert_i32_s (i32.load (local.get $p)))
                   (f32.load (i32.add (local.get $mult) (i32.shl (local.get $j) (i32.const 2)))))
          (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp))))
          (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp))))))
        (i32.store8 (local.get $d) (i32.add (i32.trunc_f32_s (local.get $s)) (local.get $zp)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
      (br $rows)))
  )

  ;; Rows [$i0, $i1) → codes, TFLite MultiplyByQuantizedMultiplier per column ($mult, $shift:
  ;; i32 per column), + zp, clamp to [lo, hi].
  (func (export "requant_fixed") (param $c i32) (param $n i32) (param $i0 i32) (param $i1 i32)
                                 (param $mult i32) (param $shift i32) (param $zp i32)
                                 (param $lo i32) (param $hi i32) (param $dst i32)
    (local $p i32) (local $d i32) (local $j i32) (local $x i32) (local $s i32) (local $right i32)
    (local $ab i64) (local $mask i32) (local $q i32)
    (local.set $p (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i0) (local.get $n)) (i32.const 2))))
    (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $i0) (local.get $n))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i0) (local.get $i1)))
      (local.set $j (i32.const 0))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $x (i32.load (local.get $p)))
        (local.set $s (i32.load (i32.add (local.get $shift) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $right (i32.const 0))
        (if (i32.gt_s (local.get $s) (i32.const 0))
          (then (local.set $x (i32.shl (local.get $x) (local.get $s))))
          (else (local.set $right (i32.sub (i32.const 0) (local.get $s)))))
        ;; SRDHM: trunc((x·M + nudge) / 2^31); the multiplier is ≥ 0, so no saturation case
        (local.set $ab (i64.mul (i64.extend_i32_s (local.get $x))
          (i64.extend_i32_s (i32.load (i32.add (local.get $mult) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $ab (i64.add (local.get $ab)
          (select (i64.const 1073741824) (i64.const -1073741823)
            (i64.ge_s (local.get $ab) (i64.const 0)))))
        (if (i64.lt_s (local.get $ab) (i64.const 0))
          (then (local.set $ab (i64.add (local.get $ab) (i64.const 2147483647)))))
        (local.set $q (i32.wrap_i64 (i64.shr_s (local.get $ab) (i64.const 31))))
        ;; RoundingDivideByPOT(q, right): ties away from zero
        (if (local.get $right)
          (then
            (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $right)) (i32.const 1)))
            (if (i32.eq (local.get $right) (i32.const 31))
              (then (local.set $mask (i32.const 0x7fffffff))))
            (local.set $q (i32.add (i32.shr_s (local.get $q) (local.get $right))
              (i32.gt_s (i32.and (local.get $q) (local.get $mask))
                (i32.add (i32.shr_u (local.get $mask) (i32.const 1))
                         (i32.lt_s (local.get $q) (i32.const 0))))))))
        (local.set $q (i32.add (local.get $q) (local.get $zp)))
        (if (i32.lt_s (local.get $q) (local.get $lo)) (then (local.set $q (local.get $lo))))
        (if (i32.gt_s (local.get $q) (local.get $hi)) (then (local.set $q (local.get $hi))))
        (i32.store8 (local.get $d) (local.get $q))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
      (br $rows)))
  )
  ;; C[0:6, 0:16] += A8[0:6, 0:2·pairs] · (two int8 panels $pstride bytes apart), with i16
  ;; accumulation: i16x8.relaxed_dot_i8x16_i7x16_s (pmaddubsw) multiplies the panel bytes
  ;; (int8, weights in [-8, 7]) by each row's broadcast (a[p], a[p+1]) byte pair (activations
  ;; in [0, 15], inside the i7 operand's [0, 127] range, so no pair sum saturates), 16 products
  ;; per instruction; i16 sums stay exact for $pairs ≤ 32767 / (2·max|a|·max|b|) (the caller
  ;; checks the bound), then are widened and added into the i32 C rows.
  (func $kernel_6x16_i16 (param $a i32) (param $lda i32) (param $b i32) (param $pstride i32)
                         (param $c i32) (param $ldc i32) (param $pairs i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32)
    (local $b2 i32) (local $end i32) (local $x v128) (local $p0 v128) (local $p1 v128)
    (local $acc00 v128) (local $acc01 v128) (local $acc10 v128) (local $acc11 v128) (local $acc20 v128) (local $acc21 v128) (local $acc30 v128) (local $acc31 v128) (local $acc40 v128) (local $acc41 v128) (local $acc50 v128) (local $acc51 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $lda)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
    (local.set $a4 (i32.add (local.get $a3) (local.get $lda)))
    (local.set $a5 (i32.add (local.get $a4) (local.get $lda)))
    (local.set $b2 (i32.add (local.get $b) (local.get $pstride)))
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $pairs) (i32.const 4))))
    (loop $k
      (local.set $p0 (v128.load (local.get $b)))
      (local.set $p1 (v128.load (local.get $b2)))
      (local.set $x (v128.load16_splat (local.get $a)))
      (local.set $acc00 (i16x8.add (local.get $acc00) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc01 (i16x8.add (local.get $acc01) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $x (v128.load16_splat (local.get $a1)))
      (local.set $acc10 (i16x8.add (local.get $acc10) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc11 (i16x8.add (local.get $acc11) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $x (v128.load16_splat (local.get $a2)))
      (local.set $acc20 (i16x8.add (local.get $acc20) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc21 (i16x8.add (local.get $acc21) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $x (v128.load16_splat (local.get $a3)))
      (local.set $acc30 (i16x8.add (local.get $acc30) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc31 (i16x8.add (local.get $acc31) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $x (v128.load16_splat (local.get $a4)))
      (local.set $acc40 (i16x8.add (local.get $acc40) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc41 (i16x8.add (local.get $acc41) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $x (v128.load16_splat (local.get $a5)))
      (local.set $acc50 (i16x8.add (local.get $acc50) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p0) (local.get $x))))
      (local.set $acc51 (i16x8.add (local.get $acc51) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $p1) (local.get $x))))
      (local.set $a (i32.add (local.get $a) (i32.const 2)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 2)))
      (local.set $a2 (i32.add (local.get $a2) (i32.const 2)))
      (local.set $a3 (i32.add (local.get $a3) (i32.const 2)))
      (local.set $a4 (i32.add (local.get $a4) (i32.const 2)))
      (local.set $a5 (i32.add (local.get $a5) (i32.const 2)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $b2 (i32.add (local.get $b2) (i32.const 16)))
      (br_if $k (i32.lt_u (local.get $b) (local.get $end))))
    ;; widen and add into C (columns 0..15 of each row)
    (call $add_widened (local.get $c) (local.get $acc00) (local.get $acc01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $add_widened (local.get $c) (local.get $acc10) (local.get $acc11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $add_widened (local.get $c) (local.get $acc20) (local.get $acc21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $add_widened (local.get $c) (local.get $acc30) (local.get $acc31))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $add_widened (local.get $c) (local.get $acc40) (local.get $acc41))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (call $add_widened (local.get $c) (local.get $acc50) (local.get $acc51))
  )

  ;; C[0:16] += the 16 i16 lanes of $lo (columns 0..7) and $hi (columns 8..15), widened.
  (func $add_widened (param $c i32) (param $lo v128) (param $hi v128)
    (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (i32x4.extend_low_i16x8_s (local.get $lo))))
    (v128.store offset=16 (local.get $c) (i32x4.add (v128.load offset=16 (local.get $c)) (i32x4.extend_high_i16x8_s (local.get $lo))))
    (v128.store offset=32 (local.get $c) (i32x4.add (v128.load offset=32 (local.get $c)) (i32x4.extend_low_i16x8_s (local.get $hi))))
    (v128.store offset=48 (local.get $c) (i32x4.add (v128.load offset=48 (local.get $c)) (i32x4.extend_high_i16x8_s (local.get $hi))))
  )


  ;; A (m×k codes) → A8 (m×kp bytes, zero-padded) = A + $add, its row sums into $rs; returns 1
  ;; when some A + $add lies outside [0, $max] (the caller's bit-width contract), else 0.
  (func (export "prep_a_narrow") (param $src i32) (param $m i32) (param $k i32) (param $kp i32)
                                 (param $signed i32) (param $add i32) (param $max i32)
                                 (param $dst i32) (param $rs i32) (result i32)
    (local $i i32) (local $p i32) (local $v i32) (local $sum i32) (local $bad i32) (local $row i32)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $sum (i32.const 0))
      (local.set $p (i32.const 0))
      (local.set $row (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $k))))
      (block $pdone (loop $cols
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $v (i32.add (local.get $add)
          (if (result i32) (local.get $signed)
            (then (i32.load8_s (i32.add (local.get $row) (local.get $p))))
            (else (i32.load8_u (i32.add (local.get $row) (local.get $p)))))))
        (local.set $bad (i32.or (local.get $bad) (i32.gt_u (local.get $v) (local.get $max))))
        (i32.store8 (local.get $dst) (local.get $v))
        (local.set $sum (i32.add (local.get $sum) (local.get $v)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $cols)))
      (if (i32.lt_u (local.get $k) (local.get $kp))
        (then
          (i32.store8 (local.get $dst) (i32.const 0))
          (local.set $dst (i32.add (local.get $dst) (i32.const 1)))))
      (i32.store (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2))) (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (local.get $bad)
  )

  ;; Rows [$i0, $i1) of C (n columns, i32, zeroed by the caller) += A8 · Bpacked with i16
  ;; accumulation over blocks of $block k-pairs (≤ 256; exact when the caller's bound holds).
  ;; $scratch: a 6×16 i32 C tile (384 bytes), then a 6×512-byte A slice at +512.
  (func (export "gemm_narrow") (param $a i32) (param $kp i32) (param $bp i32) (param $c i32)
                               (param $n i32) (param $i0 i32) (param $i1 i32) (param $block i32)
                               (param $scratch i32)
    (local $ldc i32) (local $pairs i32) (local $pc i32) (local $kc i32) (local $ic i32)
    (local $iend i32) (local $jp i32) (local $panels i32) (local $j i32) (local $i i32)
    (local $mr i32) (local $nr i32) (local $bpan i32) (local $pstride i32) (local $arow i32)
    (local $crow i32) (local $apan i32) (local $lda i32)
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pairs (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $apan (i32.add (local.get $scratch) (i32.const 512)))
    (block $done_pc (loop $pc_loop
      (br_if $done_pc (i32.ge_u (local.get $pc) (local.get $pairs)))
      (local.set $kc (i32.sub (local.get $pairs) (local.get $pc)))
      (if (i32.gt_u (local.get $kc) (local.get $block)) (then (local.set $kc (local.get $block))))
      (local.set $ic (local.get $i0))
      (block $done_ic (loop $ic_loop
        (br_if $done_ic (i32.ge_u (local.get $ic) (local.get $i1)))
        (local.set $iend (i32.add (local.get $ic) (i32.const 192)))
        (if (i32.gt_u (local.get $iend) (local.get $i1)) (then (local.set $iend (local.get $i1))))
        (local.set $jp (i32.const 0))
        (block $done_jp (loop $jp_loop
          (br_if $done_jp (i32.ge_u (local.get $jp) (local.get $panels)))
          (local.set $j (i32.shl (local.get $jp) (i32.const 3)))
          (local.set $nr (i32.sub (local.get $n) (local.get $j)))
          (if (i32.gt_u (local.get $nr) (i32.const 16)) (then (local.set $nr (i32.const 16))))
          (local.set $bpan (i32.add (local.get $bp) (i32.shl
            (i32.add (i32.mul (local.get $jp) (local.get $pairs)) (local.get $pc)) (i32.const 4))))
          ;; the second panel of the pair, or the first again when it does not exist
          (local.set $pstride (select (i32.shl (local.get $pairs) (i32.const 4)) (i32.const 0)
            (i32.lt_u (i32.add (local.get $jp) (i32.const 1)) (local.get $panels))))
          (local.set $i (local.get $ic))
          (block $done_i (loop $i_loop
            (br_if $done_i (i32.ge_u (local.get $i) (local.get $iend)))
            (local.set $mr (i32.sub (local.get $iend) (local.get $i)))
            (if (i32.gt_u (local.get $mr) (i32.const 6)) (then (local.set $mr (i32.const 6))))
            (local.set $arow (i32.add (local.get $a) (i32.add
              (i32.mul (local.get $i) (local.get $kp)) (i32.shl (local.get $pc) (i32.const 1)))))
            (local.set $lda (local.get $kp))
            (local.set $crow (i32.add (local.get $c) (i32.add
              (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (i32.and (i32.eq (local.get $mr) (i32.const 6)) (i32.eq (local.get $nr) (i32.const 16)))
              (then
                (call $kernel_6x16_i16 (local.get $arow) (local.get $lda) (local.get $bpan)
                  (local.get $pstride) (local.get $crow) (local.get $ldc) (local.get $kc)))
              (else
                (if (i32.lt_u (local.get $mr) (i32.const 6))
                  (then
                    (call $copy_rows (local.get $apan) (i32.const 512) (local.get $arow)
                      (local.get $kp) (local.get $mr) (i32.shl (local.get $kc) (i32.const 1)))
                    (local.set $arow (local.get $apan))
                    (local.set $lda (i32.const 512))))
                (call $copy_rows (local.get $scratch) (i32.const 64) (local.get $crow)
                  (local.get $ldc) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))
                (call $kernel_6x16_i16 (local.get $arow) (local.get $lda) (local.get $bpan)
                  (local.get $pstride) (local.get $scratch) (i32.const 64) (local.get $kc))
                (call $copy_rows (local.get $crow) (local.get $ldc) (local.get $scratch)
                  (i32.const 64) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))))
            (local.set $i (i32.add (local.get $i) (i32.const 6)))
            (br $i_loop)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 2)))
          (br $jp_loop)))
        (local.set $ic (local.get $iend))
        (br $ic_loop)))
      (local.set $pc (i32.add (local.get $pc) (local.get $block)))
      (br $pc_loop)))
  )

  ;; ---- The full-range u8×s8 path (relaxed dot where it lowers to VNNI vpdpbusd) ----
  ;; Used only when the load-time probe (_probe.ts) found that
  ;; i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c) = c + Σ_t s8(a_4i+t)·u8(b_4i+t) exactly (b read
  ;; as unsigned 8-bit, no pair saturation, wrapping add). A' = A (uint8) or A xor 0x80
  ;; (int8 + 128) is the unsigned operand; B' = B (int8) or B xor 0x80 (uint8 − 128) the signed
  ;; one; zero points and the offsets are corrected outside with row sums of A' and column sums
  ;; of B' (docs/kernels.md). One instruction does 16 multiply-adds into 4 i32 lanes.
  ;; Layouts: A' in 6-row panels, [panel][quad][row][4 bytes] (24 bytes per k-quad, rows past m
  ;; and k past the end zero); B' in 8-column panels, [panel][quad][column][4 bytes] (32 bytes per
  ;; k-quad: columns 0..3 then 4..7), zero past k and n.

  ;; C[0:6, 0:8] (+)= A'panel · B'panel over $quads k-quads.
  (func $kernel_dp_6x8 (param $a i32) (param $b i32) (param $c i32) (param $ldc i32)
                       (param $quads i32) (param $load i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $end i32) (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $acc00 v128) (local $acc01 v128) (local $acc10 v128) (local $acc11 v128) (local $acc20 v128) (local $acc21 v128) (local $acc30 v128) (local $acc31 v128) (local $acc40 v128) (local $acc41 v128) (local $acc50 v128) (local $acc51 v128)
    (local.set $c1 (i32.add (local.get $c) (local.get $ldc)))
    (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
    (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
    (local.set $c4 (i32.add (local.get $c3) (local.get $ldc)))
    (local.set $c5 (i32.add (local.get $c4) (local.get $ldc)))
    (if (local.get $load) (then
      (local.set $acc00 (v128.load offset=0 (local.get $c)))
      (local.set $acc01 (v128.load offset=16 (local.get $c)))
      (local.set $acc10 (v128.load offset=0 (local.get $c1)))
      (local.set $acc11 (v128.load offset=16 (local.get $c1)))
      (local.set $acc20 (v128.load offset=0 (local.get $c2)))
      (local.set $acc21 (v128.load offset=16 (local.get $c2)))
      (local.set $acc30 (v128.load offset=0 (local.get $c3)))
      (local.set $acc31 (v128.load offset=16 (local.get $c3)))
      (local.set $acc40 (v128.load offset=0 (local.get $c4)))
      (local.set $acc41 (v128.load offset=16 (local.get $c4)))
      (local.set $acc50 (v128.load offset=0 (local.get $c5)))
      (local.set $acc51 (v128.load offset=16 (local.get $c5)))
    ))
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $quads) (i32.const 5))))
    (loop $k
      (local.set $b0 (v128.load offset=0 (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x (v128.load32_splat offset=0 (local.get $a)))
      (local.set $acc00 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc00)))
      (local.set $acc01 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc01)))
      (local.set $x (v128.load32_splat offset=4 (local.get $a)))
      (local.set $acc10 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc10)))
      (local.set $acc11 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc11)))
      (local.set $x (v128.load32_splat offset=8 (local.get $a)))
      (local.set $acc20 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc20)))
      (local.set $acc21 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc21)))
      (local.set $x (v128.load32_splat offset=12 (local.get $a)))
      (local.set $acc30 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc30)))
      (local.set $acc31 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc31)))
      (local.set $x (v128.load32_splat offset=16 (local.get $a)))
      (local.set $acc40 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc40)))
      (local.set $acc41 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc41)))
      (local.set $x (v128.load32_splat offset=20 (local.get $a)))
      (local.set $acc50 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b0) (local.get $x) (local.get $acc50)))
      (local.set $acc51 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $b1) (local.get $x) (local.get $acc51)))
      (local.set $a (i32.add (local.get $a) (i32.const 24)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $b) (local.get $end))))
    (v128.store offset=0 (local.get $c) (local.get $acc00))
    (v128.store offset=16 (local.get $c) (local.get $acc01))
    (v128.store offset=0 (local.get $c1) (local.get $acc10))
    (v128.store offset=16 (local.get $c1) (local.get $acc11))
    (v128.store offset=0 (local.get $c2) (local.get $acc20))
    (v128.store offset=16 (local.get $c2) (local.get $acc21))
    (v128.store offset=0 (local.get $c3) (local.get $acc30))
    (v128.store offset=16 (local.get $c3) (local.get $acc31))
    (v128.store offset=0 (local.get $c4) (local.get $acc40))
    (v128.store offset=16 (local.get $c4) (local.get $acc41))
    (v128.store offset=0 (local.get $c5) (local.get $acc50))
    (v128.store offset=16 (local.get $c5) (local.get $acc51))
  )

  ;; One row of C, 32 columns (four panels $pstride bytes apart), all k-quads: the batch-1
  ;; path. $a: the row's first quad inside its A' panel, quads $astride bytes apart.
  (func $kernel_dp_1x32 (param $a i32) (param $astride i32) (param $b i32) (param $pstride i32)
                        (param $c i32) (param $quads i32)
    (local $end i32) (local $x v128) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $acc00 v128) (local $acc01 v128) (local $acc10 v128) (local $acc11 v128) (local $acc20 v128) (local $acc21 v128) (local $acc30 v128) (local $acc31 v128)
    (local.set $q1 (i32.add (local.get $b) (local.get $pstride)))
    (local.set $q2 (i32.add (local.get $q1) (local.get $pstride)))
    (local.set $q3 (i32.add (local.get $q2) (local.get $pstride)))
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $quads) (i32.const 5))))
    (loop $k
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $acc00 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=0 (local.get $b)) (local.get $x) (local.get $acc00)))
      (local.set $acc01 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=16 (local.get $b)) (local.get $x) (local.get $acc01)))
      (local.set $acc10 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=0 (local.get $q1)) (local.get $x) (local.get $acc10)))
      (local.set $acc11 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=16 (local.get $q1)) (local.get $x) (local.get $acc11)))
      (local.set $acc20 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=0 (local.get $q2)) (local.get $x) (local.get $acc20)))
      (local.set $acc21 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=16 (local.get $q2)) (local.get $x) (local.get $acc21)))
      (local.set $acc30 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=0 (local.get $q3)) (local.get $x) (local.get $acc30)))
      (local.set $acc31 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=16 (local.get $q3)) (local.get $x) (local.get $acc31)))
      (local.set $a (i32.add (local.get $a) (local.get $astride)))
      (local.set $q1 (i32.add (local.get $q1) (i32.const 32)))
      (local.set $q2 (i32.add (local.get $q2) (i32.const 32)))
      (local.set $q3 (i32.add (local.get $q3) (i32.const 32)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $b) (local.get $end))))
    (v128.store offset=0 (local.get $c) (local.get $acc00))
    (v128.store offset=16 (local.get $c) (local.get $acc01))
    (v128.store offset=32 (local.get $c) (local.get $acc10))
    (v128.store offset=48 (local.get $c) (local.get $acc11))
    (v128.store offset=64 (local.get $c) (local.get $acc20))
    (v128.store offset=80 (local.get $c) (local.get $acc21))
    (v128.store offset=96 (local.get $c) (local.get $acc30))
    (v128.store offset=112 (local.get $c) (local.get $acc31))
  )

  ;; A (m×k bytes) → A' panels at $dst (xor $flip: 0x80 turns int8 into int8 + 128), row sums
  ;; of A' (as unsigned) into $rs.
  (func (export "pack_a_dp") (param $src i32) (param $m i32) (param $k i32) (param $quads i32)
                             (param $flip i32) (param $dst i32) (param $rs i32)
    (local $i i32) (local $p i32) (local $row i32) (local $out i32) (local $v v128)
    (local $fv v128) (local $sum v128) (local $s i32) (local $b i32) (local $pstride i32)
    (local.set $pstride (i32.mul (local.get $quads) (i32.const 24)))
    (memory.fill (local.get $dst) (i32.const 0)
      (i32.mul (local.get $pstride) (i32.div_u (i32.add (local.get $m) (i32.const 5)) (i32.const 6))))
    (local.set $fv (i8x16.splat (local.get $flip)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $row (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $k))))
      (local.set $out (i32.add (local.get $dst) (i32.add
        (i32.mul (i32.div_u (local.get $i) (i32.const 6)) (local.get $pstride))
        (i32.shl (i32.rem_u (local.get $i) (i32.const 6)) (i32.const 2)))))
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.const 0))
      ;; 16 bytes (4 quads) at a time
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $k)))
        (local.set $v (v128.xor (v128.load (i32.add (local.get $row) (local.get $p))) (local.get $fv)))
        (local.set $sum (i32x4.add (local.get $sum)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $v)))))
        (v128.store32_lane offset=0 0 (local.get $out) (local.get $v))
        (v128.store32_lane offset=24 1 (local.get $out) (local.get $v))
        (v128.store32_lane offset=48 2 (local.get $out) (local.get $v))
        (v128.store32_lane offset=72 3 (local.get $out) (local.get $v))
        (local.set $out (i32.add (local.get $out) (i32.const 96)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
      (local.set $s (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
        (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
      ;; the tail, byte by byte (quads past k stay zero)
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $b (i32.xor (i32.load8_u (i32.add (local.get $row) (local.get $p))) (local.get $flip)))
        (i32.store8 (i32.add (local.get $out) (i32.add
          (i32.mul (i32.shr_u (i32.and (local.get $p) (i32.const 15)) (i32.const 2)) (i32.const 24))
          (i32.and (local.get $p) (i32.const 3)))) (local.get $b))
        (local.set $s (i32.add (local.get $s) (local.get $b)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scalar)))
      (i32.store (i32.add (local.get $rs) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )

  ;; Address of B'[p][j] in the 8-column panels.
  (func $at_b_dp (param $dst i32) (param $quads i32) (param $p i32) (param $j i32) (result i32)
    (i32.add (local.get $dst) (i32.add
      (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $quads))
        (i32.shr_u (local.get $p) (i32.const 2))) (i32.const 5))
      (i32.add (i32.shl (i32.and (local.get $j) (i32.const 7)) (i32.const 2))
        (i32.and (local.get $p) (i32.const 3)))))
  )

  ;; B (k×n bytes, or n×k when $trans) → B' panels at $dst (xor $flip), zero past k and n.
  (func (export "pack_b_dp") (param $src i32) (param $k i32) (param $n i32) (param $trans i32)
                             (param $flip i32) (param $dst i32) (param $quads i32)
    (local $kq i32) (local $nf i32) (local $j i32) (local $q i32) (local $p i32) (local $jp i32)
    (local $f32 i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t01 v128) (local $t23 v128) (local $fv v128) (local $s i32) (local $o i32)
    (memory.fill (local.get $dst) (i32.const 0) (i32.shl (i32.mul (local.get $quads)
      (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3))) (i32.const 5)))
    (local.set $kq (i32.shr_u (local.get $k) (i32.const 2)))
    (local.set $f32 (i32.mul (local.get $flip) (i32.const 0x01010101)))
    (local.set $fv (i8x16.splat (local.get $flip)))
    (if (local.get $trans)
      (then
        ;; rows of the source are columns of B: whole quads are 4 contiguous bytes
        (local.set $j (i32.const 0))
        (block $jdone (loop $jl
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $s (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $k))))
          (local.set $o (call $at_b_dp (local.get $dst) (local.get $quads) (i32.const 0) (local.get $j)))
          (local.set $q (i32.const 0))
          (block $qdone (loop $ql
            (br_if $qdone (i32.ge_u (local.get $q) (local.get $kq)))
            (i32.store (local.get $o) (i32.xor (i32.load (local.get $s)) (local.get $f32)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ql)))
          (local.set $p (i32.shl (local.get $kq) (i32.const 2)))
          (block $pdone (loop $pl
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $k)))
            (i32.store8 (call $at_b_dp (local.get $dst) (local.get $quads) (local.get $p) (local.get $j))
              (i32.xor (i32.load8_u (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p)))) (local.get $flip)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pl)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl))))
      (else
        ;; full 8-column panels × full quads: a 4×8 byte transpose per quad
        (local.set $nf (i32.and (local.get $n) (i32.const -8)))
        (local.set $jp (i32.const 0))
        (block $jpdone (loop $jpl
          (br_if $jpdone (i32.ge_u (i32.shl (local.get $jp) (i32.const 3)) (local.get $nf)))
          (local.set $o (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $jp) (local.get $quads)) (i32.const 5))))
          (local.set $s (i32.add (local.get $src) (i32.shl (local.get $jp) (i32.const 3))))
          (local.set $q (i32.const 0))
          (block $qdone2 (loop $ql2
            (br_if $qdone2 (i32.ge_u (local.get $q) (local.get $kq)))
            (local.set $r0 (v128.load64_zero (local.get $s)))
            (local.set $r1 (v128.load64_zero (i32.add (local.get $s) (local.get $n))))
            (local.set $r2 (v128.load64_zero (i32.add (local.get $s) (i32.shl (local.get $n) (i32.const 1)))))
            (local.set $r3 (v128.load64_zero (i32.add (local.get $s) (i32.mul (local.get $n) (i32.const 3)))))
            (local.set $t01 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r0) (local.get $r1)))
            (local.set $t23 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r2) (local.get $r3)))
            (v128.store offset=0 (local.get $o) (v128.xor (local.get $fv)
              (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $t01) (local.get $t23))))
            (v128.store offset=16 (local.get $o) (v128.xor (local.get $fv)
              (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $t01) (local.get $t23))))
            (local.set $s (i32.add (local.get $s) (i32.shl (local.get $n) (i32.const 2))))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ql2)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
          (br $jpl)))
        ;; the rest byte by byte: columns past nf of whole quads, then the k tail
        (local.set $p (i32.const 0))
        (block $pdone2 (loop $pl2
          (br_if $pdone2 (i32.ge_u (local.get $p) (local.get $k)))
          (local.set $j (select (local.get $nf) (i32.const 0)
            (i32.lt_u (local.get $p) (i32.shl (local.get $kq) (i32.const 2)))))
          (block $jdone2 (loop $jl2
            (br_if $jdone2 (i32.ge_u (local.get $j) (local.get $n)))
            (i32.store8 (call $at_b_dp (local.get $dst) (local.get $quads) (local.get $p) (local.get $j))
              (i32.xor (i32.load8_u (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j)))) (local.get $flip)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl2)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $pl2)))))
  )

  ;; Column sums of B' (as int8) from its panels into $cs (i32 per column, 8 per panel).
  ;; The unsigned operand is 1, inside [0, 127], so every lowering agrees.
  (func (export "colsum_b_dp") (param $bp i32) (param $quads i32) (param $n i32) (param $cs i32)
    (local $jp i32) (local $panels i32) (local $b i32) (local $end i32) (local $s0 v128) (local $s1 v128)
    (local $ones v128)
    (local.set $ones (i8x16.splat (i32.const 1)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $b (local.get $bp))
    (block $done (loop $pl
      (br_if $done (i32.ge_u (local.get $jp) (local.get $panels)))
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $end (i32.add (local.get $b) (i32.shl (local.get $quads) (i32.const 5))))
      (block $qdone (loop $ql
        (br_if $qdone (i32.ge_u (local.get $b) (local.get $end)))
        (local.set $s0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=0 (local.get $b)) (local.get $ones) (local.get $s0)))
        (local.set $s1 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load offset=16 (local.get $b)) (local.get $ones) (local.get $s1)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $ql)))
      (v128.store offset=0 (i32.add (local.get $cs) (i32.shl (local.get $jp) (i32.const 5))) (local.get $s0))
      (v128.store offset=16 (i32.add (local.get $cs) (i32.shl (local.get $jp) (i32.const 5))) (local.get $s1))
      (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
      (br $pl)))
  )

  ;; Rows [$i0, $i1) of C (n columns, i32) = A'·B' (raw products); $i0 a multiple of 6.
  ;; Blocking: KC = 256 quads, MC = 192 rows; tiles smaller than 6×8 go through $scratch.
  (func (export "gemm_dp") (param $a i32) (param $quads i32) (param $bp i32) (param $c i32)
                           (param $n i32) (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $ldc i32) (local $pc i32) (local $kc i32) (local $ld i32) (local $ic i32)
    (local $iend i32) (local $jp i32) (local $panels i32) (local $j i32) (local $i i32)
    (local $mr i32) (local $nr i32) (local $bpan i32) (local $apan i32) (local $crow i32)
    (local $astride i32)
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $astride (i32.mul (local.get $quads) (i32.const 24)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $done_pc (loop $pc_loop
      (br_if $done_pc (i32.ge_u (local.get $pc) (local.get $quads)))
      (local.set $kc (i32.sub (local.get $quads) (local.get $pc)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $ld (i32.ne (local.get $pc) (i32.const 0)))
      (local.set $ic (local.get $i0))
      (block $done_ic (loop $ic_loop
        (br_if $done_ic (i32.ge_u (local.get $ic) (local.get $i1)))
        (local.set $iend (i32.add (local.get $ic) (i32.const 192)))
        (if (i32.gt_u (local.get $iend) (local.get $i1)) (then (local.set $iend (local.get $i1))))
        (local.set $jp (i32.const 0))
        (block $done_jp (loop $jp_loop
          (br_if $done_jp (i32.ge_u (local.get $jp) (local.get $panels)))
          (local.set $j (i32.shl (local.get $jp) (i32.const 3)))
          (local.set $nr (i32.sub (local.get $n) (local.get $j)))
          (if (i32.gt_u (local.get $nr) (i32.const 8)) (then (local.set $nr (i32.const 8))))
          (local.set $bpan (i32.add (local.get $bp) (i32.shl
            (i32.add (i32.mul (local.get $jp) (local.get $quads)) (local.get $pc)) (i32.const 5))))
          (local.set $i (local.get $ic))
          (block $done_i (loop $i_loop
            (br_if $done_i (i32.ge_u (local.get $i) (local.get $iend)))
            (local.set $mr (i32.sub (local.get $iend) (local.get $i)))
            (if (i32.gt_u (local.get $mr) (i32.const 6)) (then (local.set $mr (i32.const 6))))
            (local.set $apan (i32.add (local.get $a) (i32.add
              (i32.mul (i32.div_u (local.get $i) (i32.const 6)) (local.get $astride))
              (i32.mul (local.get $pc) (i32.const 24)))))
            (local.set $crow (i32.add (local.get $c) (i32.add
              (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (i32.and (i32.eq (local.get $mr) (i32.const 6)) (i32.eq (local.get $nr) (i32.const 8)))
              (then
                (call $kernel_dp_6x8 (local.get $apan) (local.get $bpan) (local.get $crow)
                  (local.get $ldc) (local.get $kc) (local.get $ld)))
              (else
                (if (local.get $ld)
                  (then (call $copy_rows (local.get $scratch) (i32.const 32) (local.get $crow)
                    (local.get $ldc) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))))
                (call $kernel_dp_6x8 (local.get $apan) (local.get $bpan) (local.get $scratch)
                  (i32.const 32) (local.get $kc) (local.get $ld))
                (call $copy_rows (local.get $crow) (local.get $ldc) (local.get $scratch)
                  (i32.const 32) (local.get $mr) (i32.shl (local.get $nr) (i32.const 2)))))
            (local.set $i (i32.add (local.get $i) (i32.const 6)))
            (br $i_loop)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
          (br $jp_loop)))
        (local.set $ic (local.get $iend))
        (br $ic_loop)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
      (br $pc_loop)))
  )

  ;; Row $i of C: columns [$j0, $j1) = A'row · B' (GEMV, 32 columns at a time; $j0 a
  ;; multiple of 8).
  (func (export "gemv_dp") (param $a i32) (param $i i32) (param $quads i32) (param $bp i32)
                           (param $c i32) (param $n i32) (param $j0 i32) (param $j1 i32)
                           (param $scratch i32)
    (local $pstride i32) (local $j i32) (local $w i32) (local $arow i32)
    (local.set $pstride (i32.shl (local.get $quads) (i32.const 5)))
    (local.set $arow (i32.add (local.get $a) (i32.add
      (i32.mul (i32.div_u (local.get $i) (i32.const 6)) (i32.mul (local.get $quads) (i32.const 24)))
      (i32.shl (i32.rem_u (local.get $i) (i32.const 6)) (i32.const 2)))))
    (local.set $j (local.get $j0))
    (block $done (loop $cols
      (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
      (local.set $w (i32.sub (local.get $j1) (local.get $j)))
      (if (i32.ge_u (local.get $w) (i32.const 32))
        (then
          (call $kernel_dp_1x32 (local.get $arow) (i32.const 24)
            (i32.add (local.get $bp) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $pstride)))
            (local.get $pstride)
            (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $quads))
          (local.set $j (i32.add (local.get $j) (i32.const 32))))
        (else
          ;; tail: one panel (8 columns or fewer) through the scratch tile
          (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
          (call $kernel_dp_1x32 (local.get $arow) (i32.const 24)
            (i32.add (local.get $bp) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $pstride)))
            (i32.const 0) (local.get $scratch) (local.get $quads))
          (memory.copy (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
            (local.get $scratch) (i32.shl (local.get $w) (i32.const 2)))
          (local.set $j (i32.add (local.get $j) (local.get $w)))))
      (br $cols)))
  )

  ;; Rows [0, $m) of C (n columns, i32): C_ij += bias_i (per-row bias, wrapping).
  (func (export "add_row_bias") (param $c i32) (param $n i32) (param $m i32) (param $bias i32)
    (local $i i32) (local $j i32) (local $b i32) (local $bv v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $b (i32.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $bv (i32x4.splat (local.get $b)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (v128.store (local.get $c) (i32x4.add (v128.load (local.get $c)) (local.get $bv)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (local.get $b)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )
  ;; Rows [0, $m) of accumulators → codes at $dst, one output channel per row (a convolution
  ;; computed as weights · activations): acc + off_i (i32, wrapping: the row's bias minus its
  ;; zero-point correction), then requant_float's float semantics with the row's multiplier
  ;; m_i: clamp(float32(float32(acc + off_i)·m_i)) to [lo−zp, hi−zp], round half to even, + zp.
  ;; 16 outputs per step. $off: i32 per row, $mult: f32 per row.
  (func (export "requant_rows_float") (param $c i32) (param $n i32) (param $m i32)
                                      (param $off i32) (param $mult i32) (param $zp i32)
                                      (param $lo i32) (param $hi i32) (param $dst i32)
                                      (param $unsigned i32)
    (local $i i32) (local $j i32) (local $ov v128) (local $mv v128) (local $o i32) (local $mf f32)
    (local $flo v128) (local $fhi v128) (local $zv v128) (local $magic v128) (local $mzv v128) (local $s f32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    (local.set $zv (i32x4.splat (local.get $zp)))
    ;; round half to even and add zp in two instructions: for |v| < 2^22, float32(v + 1.5·2^23)
    ;; holds rne(v) in its low mantissa bits (the add's own rounding), so its bits − 0x4B400000
    ;; is rne(v); the clamp comes first, so v stays within a few hundred. The clamp is pmax/pmin
    ;; (one instruction each, unlike max/min): no NaN reaches it, acc·m has a finite m > 0
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $o (i32.load (i32.add (local.get $off) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $mf (f32.load (i32.add (local.get $mult) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $ov (i32x4.splat (local.get $o)))
      (local.set $mv (f32x4.splat (local.get $mf)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
        (local.set $v0 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
            (i32x4.add (v128.load offset=0 (local.get $c)) (local.get $ov))) (local.get $mv))
            (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
        (local.set $v1 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
            (i32x4.add (v128.load offset=16 (local.get $c)) (local.get $ov))) (local.get $mv))
            (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
        (local.set $v2 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
            (i32x4.add (v128.load offset=32 (local.get $c)) (local.get $ov))) (local.get $mv))
            (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
        (local.set $v3 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
            (i32x4.add (v128.load offset=48 (local.get $c)) (local.get $ov))) (local.get $mv))
            (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
        (local.set $v0 (i16x8.narrow_i32x4_s (local.get $v0) (local.get $v1)))
        (local.set $v2 (i16x8.narrow_i32x4_s (local.get $v2) (local.get $v3)))
        (if (local.get $unsigned)
          (then (v128.store (local.get $dst) (i8x16.narrow_i16x8_u (local.get $v0) (local.get $v2))))
          (else (v128.store (local.get $dst) (i8x16.narrow_i16x8_s (local.get $v0) (local.get $v2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vec)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f32.nearest (f32.min (f32.max
          (f32.mul (f32.convert_i32_s (i32.add (i32.load (local.get $c)) (local.get $o)))
                   (local.get $mf))
          (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp))))
          (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp))))))
        (i32.store8 (local.get $dst) (i32.add (i32.trunc_f32_s (local.get $s)) (local.get $zp)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )

  ;; Rows [$i0, $i1) of C = A16 · Bpacked requantized tile by tile, for one K block (pairs ≤
  ;; 256): each 6×8 tile of raw accumulators goes to the scratch (L1) and straight to codes at
  ;; $dst (row-major, $n per row) with requant_rows_float's per-row stage (acc + off_i, ×
  ;; m_i, clamp, round half to even, + zp) — the int32 matrix is never written. $scratch: the
  ;; tile at +0 (32-byte rows), A rows of a partial panel at +192 (1024-byte rows), a byte tail
  ;; at +8192.
  (func (export "gemm_rows_q") (param $a i32) (param $kp i32) (param $bp i32) (param $n i32)
                               (param $i0 i32) (param $i1 i32) (param $scratch i32)
                               (param $off i32) (param $mult i32) (param $zp i32) (param $lo i32)
                               (param $hi i32) (param $dst i32) (param $unsigned i32)
    (local $lda i32) (local $pairs i32) (local $jp i32) (local $panels i32) (local $j i32)
    (local $i i32) (local $mr i32) (local $nr i32) (local $bpan i32) (local $arow i32)
    (local $apan i32) (local $ic i32) (local $iend i32) (local $r i32) (local $row i32) (local $t i32) (local $d i32)
    (local $ov v128) (local $mv v128) (local $v0 v128) (local $v1 v128)
    (local $flo v128) (local $fhi v128) (local $zv v128) (local $magic v128) (local $mzv v128)
    (local.set $flo (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $lo) (local.get $zp)))))
    (local.set $fhi (f32x4.splat (f32.convert_i32_s (i32.sub (local.get $hi) (local.get $zp)))))
    (local.set $zv (i32x4.splat (local.get $zp)))
    ;; round half to even and add zp in two instructions: for |v| < 2^22, float32(v + 1.5·2^23)
    ;; holds rne(v) in its low mantissa bits (the add's own rounding), so its bits − 0x4B400000
    ;; is rne(v); the clamp comes first, so v stays within a few hundred. The clamp is pmax/pmin
    ;; (one instruction each, unlike max/min): no NaN reaches it, acc·m has a finite m > 0
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    (local.set $mzv (i32x4.splat (i32.sub (i32.const 0x4B400000) (local.get $zp))))
    (local.set $lda (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $pairs (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $apan (i32.add (local.get $scratch) (i32.const 192)))
    (local.set $ic (local.get $i0))
    (block $done_ic (loop $ic_loop
      (br_if $done_ic (i32.ge_u (local.get $ic) (local.get $i1)))
      (local.set $iend (i32.add (local.get $ic) (i32.const 192)))
      (if (i32.gt_u (local.get $iend) (local.get $i1)) (then (local.set $iend (local.get $i1))))
      (local.set $jp (i32.const 0))
      (block $done_jp (loop $jp_loop
        (br_if $done_jp (i32.ge_u (local.get $jp) (local.get $panels)))
        (local.set $j (i32.shl (local.get $jp) (i32.const 3)))
        (local.set $nr (i32.sub (local.get $n) (local.get $j)))
        (if (i32.gt_u (local.get $nr) (i32.const 8)) (then (local.set $nr (i32.const 8))))
        (local.set $bpan (i32.add (local.get $bp)
          (i32.shl (i32.mul (local.get $jp) (local.get $pairs)) (i32.const 4))))
        (local.set $i (local.get $ic))
        (block $done_i (loop $i_loop
          (br_if $done_i (i32.ge_u (local.get $i) (local.get $iend)))
          (local.set $mr (i32.sub (local.get $iend) (local.get $i)))
          (if (i32.gt_u (local.get $mr) (i32.const 6)) (then (local.set $mr (i32.const 6))))
          (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
          (if (i32.lt_u (local.get $mr) (i32.const 6))
            (then
              (call $copy_rows (local.get $apan) (i32.const 1024) (local.get $arow)
                (local.get $lda) (local.get $mr) (i32.shl (local.get $pairs) (i32.const 2)))
              (local.set $arow (local.get $apan))))
          (call $kernel_6x8 (local.get $arow)
            (select (i32.const 1024) (local.get $lda) (i32.lt_u (local.get $mr) (i32.const 6)))
            (local.get $bpan) (local.get $scratch) (i32.const 32) (local.get $pairs) (i32.const 0))
          (local.set $r (i32.const 0))
          (block $done_r (loop $r_loop
            (br_if $done_r (i32.ge_u (local.get $r) (local.get $mr)))
            (local.set $row (i32.add (local.get $i) (local.get $r)))
            (local.set $ov (v128.load32_splat (i32.add (local.get $off) (i32.shl (local.get $row) (i32.const 2)))))
            (local.set $mv (v128.load32_splat (i32.add (local.get $mult) (i32.shl (local.get $row) (i32.const 2)))))
            (local.set $t (i32.add (local.get $scratch) (i32.shl (local.get $r) (i32.const 5))))
            (local.set $v0 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
                (i32x4.add (v128.load offset=0 (local.get $t)) (local.get $ov))) (local.get $mv))
                (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
            (local.set $v1 (i32x4.sub (f32x4.add (f32x4.pmin (f32x4.pmax (f32x4.mul (f32x4.convert_i32x4_s
                (i32x4.add (v128.load offset=16 (local.get $t)) (local.get $ov))) (local.get $mv))
                (local.get $flo)) (local.get $fhi)) (local.get $magic)) (local.get $mzv)))
            (local.set $v0 (i16x8.narrow_i32x4_s (local.get $v0) (local.get $v1)))
            (local.set $v0 (if (result v128) (local.get $unsigned)
              (then (i8x16.narrow_i16x8_u (local.get $v0) (local.get $v0)))
              (else (i8x16.narrow_i16x8_s (local.get $v0) (local.get $v0)))))
            (local.set $d (i32.add (local.get $dst)
              (i32.add (i32.mul (local.get $row) (local.get $n)) (local.get $j))))
            (if (i32.eq (local.get $nr) (i32.const 8))
              (then (v128.store64_lane 0 (local.get $d) (local.get $v0)))
              (else
                (v128.store (i32.add (local.get $scratch) (i32.const 8192)) (local.get $v0))
                (memory.copy (local.get $d) (i32.add (local.get $scratch) (i32.const 8192))
                  (local.get $nr))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $r_loop)))
          (local.set $i (i32.add (local.get $i) (i32.const 6)))
          (br $i_loop)))
        (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
        (br $jp_loop)))
      (local.set $ic (local.get $iend))
      (br $ic_loop)))
  )

)
