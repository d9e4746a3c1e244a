;; Single-precision GEMM for @lowbit/kernels (built by `deno task build:wasm`).
;;
;; C (m×n, row-major) (+)= A (m×k, row-major) · B, with B packed into panels of 8 columns:
;; panel jp holds B[p][8·jp .. 8·jp+7] for p = 0..k-1 contiguously (zero-padded past n).
;; Blocking (GotoBLAS): k in blocks of KC = 256 (a 6×KC slice of A and a KC×8 panel of B
;; stay in L1), rows in blocks of MC = 192 (an MC×KC block of A stays in L2); the
;; microkernel is 6×8 with fused multiply-add (f32x4.relaxed_madd: fused or not depending on
;; the hardware, so results may differ from the reference by the rounding of the products;
;; the error bound in gemm_f32.ts covers both).
;; Memory is imported (shared between the worker pool's threads); the caller lays out the
;; operands and per-thread scratch (a 6×8 C tile and a 6×KC A slice for ragged edges).
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; C[0:6, 0:8] (+)= A[0:6, 0:kc] · Bpanel[0:kc, 0:8].
  ;; $a: row 0 of A (rows $lda bytes apart), $b: packed panel (8 floats per k step),
  ;; $c: row 0 of C ($ldc bytes apart). $load = 1 adds into C, 0 overwrites it.
  ;; 12 accumulators + 2 B vectors + 1 broadcast A value fit the 16 SIMD registers of x64.
  (func $kernel_6x8 (param $a i32) (param $lda i32) (param $b i32) (param $c i32)
                    (param $ldc i32) (param $kc i32) (param $load i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32) (local $a5 i32)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $c4 i32) (local $c5 i32)
    (local $end i32) (local $x v128) (local $b0 v128) (local $b1 v128)
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
    (local.set $end (i32.add (local.get $b) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $k
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $acc00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc00)))
      (local.set $acc01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc01)))
      (local.set $x (v128.load32_splat (local.get $a1)))
      (local.set $acc10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc10)))
      (local.set $acc11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc11)))
      (local.set $x (v128.load32_splat (local.get $a2)))
      (local.set $acc20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc20)))
      (local.set $acc21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc21)))
      (local.set $x (v128.load32_splat (local.get $a3)))
      (local.set $acc30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc30)))
      (local.set $acc31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc31)))
      (local.set $x (v128.load32_splat (local.get $a4)))
      (local.set $acc40 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc40)))
      (local.set $acc41 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc41)))
      (local.set $x (v128.load32_splat (local.get $a5)))
      (local.set $acc50 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $acc50)))
      (local.set $acc51 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $acc51)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
      (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
      (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
      (local.set $a4 (i32.add (local.get $a4) (i32.const 4)))
      (local.set $a5 (i32.add (local.get $a5) (i32.const 4)))
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

  ;; Packs B (k×n row-major, or n×k when $trans) into 8-column panels at $dst.
  (func (export "pack_b") (param $src i32) (param $k i32) (param $n i32) (param $trans i32)
                          (param $dst i32)
    (local $jp i32) (local $p i32) (local $jj i32) (local $col i32) (local $s i32)
    (local $panels i32) (local $v f32)
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $done_jp (loop $jp_loop
      (br_if $done_jp (i32.ge_u (local.get $jp) (local.get $panels)))
      (local.set $p (i32.const 0))
      (block $done_p (loop $p_loop
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $k)))
        (if (i32.and (i32.eqz (local.get $trans))
                     (i32.le_u (i32.shl (i32.add (local.get $jp) (i32.const 1)) (i32.const 3))
                               (local.get $n)))
          (then
            ;; full panel, B row-major: two vector copies
            (local.set $s (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $p) (local.get $n))
                                (i32.shl (local.get $jp) (i32.const 3))) (i32.const 2))))
            (v128.store (local.get $dst) (v128.load (local.get $s)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s))))
          (else
            (local.set $jj (i32.const 0))
            (loop $jj_loop
              (local.set $col (i32.add (i32.shl (local.get $jp) (i32.const 3)) (local.get $jj)))
              (local.set $v (f32.const 0))
              (if (i32.lt_u (local.get $col) (local.get $n))
                (then
                  (local.set $v (f32.load (i32.add (local.get $src) (i32.shl
                    (select
                      (i32.add (i32.mul (local.get $col) (local.get $k)) (local.get $p))
                      (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $col))
                      (local.get $trans))
                    (i32.const 2)))))))
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $jj) (i32.const 2)))
                         (local.get $v))
              (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
              (br_if $jj_loop (i32.lt_u (local.get $jj) (i32.const 8))))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $p_loop)))
      (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
      (br $jp_loop)))
  )

  ;; Copies an r×c block of floats between row strides (bytes).
  (func $copy_block (param $dst i32) (param $ldd i32) (param $src i32) (param $lds i32)
                    (param $r i32) (param $c i32)
    (block $done (loop $rows
      (br_if $done (i32.eqz (local.get $r)))
      (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $c) (i32.const 2)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
      (local.set $src (i32.add (local.get $src) (local.get $lds)))
      (local.set $r (i32.sub (local.get $r) (i32.const 1)))
      (br $rows)))
  )

  ;; Rows [$i0, $i1) of C (ldc = n floats) (+)= A · Bpacked. $load = 1 adds into C.
  ;; $scratch: 6·8 + 6·256 floats of thread-private memory for ragged tiles.
  (func (export "gemm") (param $a i32) (param $bp i32) (param $c i32) (param $k i32)
                        (param $n i32) (param $i0 i32) (param $i1 i32) (param $load i32)
                        (param $scratch i32)
    (local $lda i32) (local $ldc i32) (local $pc i32) (local $kc i32) (local $ld i32)
    (local $ic i32) (local $iend i32) (local $jp i32) (local $panels i32) (local $j i32)
    (local $i i32) (local $mr i32) (local $nr i32) (local $bpan i32) (local $arow i32)
    (local $crow i32) (local $apan i32)
    (local.set $lda (i32.shl (local.get $k) (i32.const 2)))
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $apan (i32.add (local.get $scratch) (i32.const 192)))
    (block $done_pc (loop $pc_loop
      (br_if $done_pc (i32.ge_u (local.get $pc) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $ld (i32.or (local.get $load) (i32.ne (local.get $pc) (i32.const 0))))
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
            (i32.add (i32.mul (local.get $jp) (local.get $k)) (local.get $pc)) (i32.const 5))))
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
                ;; ragged tile: A rows through the private slice when fewer than 6 rows remain
                ;; (never reads past A), C through the private 6×8 tile
                (if (i32.lt_u (local.get $mr) (i32.const 6))
                  (then
                    (call $copy_block (local.get $apan) (i32.const 1024) (local.get $arow)
                      (local.get $lda) (local.get $mr) (local.get $kc))
                    (local.set $arow (local.get $apan))))
                (if (local.get $ld)
                  (then (call $copy_block (local.get $scratch) (i32.const 32) (local.get $crow)
                    (local.get $ldc) (local.get $mr) (local.get $nr))))
                (call $kernel_6x8 (local.get $arow)
                  (select (i32.const 1024) (local.get $lda) (i32.lt_u (local.get $mr) (i32.const 6)))
                  (local.get $bpan) (local.get $scratch) (i32.const 32) (local.get $kc)
                  (local.get $ld))
                (call $copy_block (local.get $crow) (local.get $ldc) (local.get $scratch)
                  (i32.const 32) (local.get $mr) (local.get $nr))))
            (local.set $i (i32.add (local.get $i) (i32.const 6)))
            (br $i_loop)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 1)))
          (br $jp_loop)))
        (local.set $ic (local.get $iend))
        (br $ic_loop)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
      (br $pc_loop)))
  )

  ;; Rows [$i0, $i1) of C (n columns): C = act(C + bias). $bias = 0: none.
  ;; $act: 0 none, 1 ReLU (max(x, +0), NaN kept), 2 ReLU6 (then min(x, 6)).
  (func (export "bias_act") (param $c i32) (param $n i32) (param $i0 i32) (param $i1 i32)
                            (param $bias i32) (param $act i32)
    (local $p i32) (local $end i32) (local $j i32) (local $v v128) (local $s f32)
    (local $zero v128) (local $six v128)
    (local.set $six (f32x4.splat (f32.const 6)))
    (local.set $p (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i0) (local.get $n))
                                                  (i32.const 2))))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i0) (local.get $i1)))
      (local.set $j (i32.const 0))
      (block $vdone (loop $vec
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $v (v128.load (local.get $p)))
        (if (local.get $bias)
          (then (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (local.get $bias)
            (i32.shl (local.get $j) (i32.const 2))))))))
        (if (local.get $act)
          (then (local.set $v (f32x4.max (local.get $v) (local.get $zero)))))
        (if (i32.eq (local.get $act) (i32.const 2))
          (then (local.set $v (f32x4.min (local.get $v) (local.get $six)))))
        (v128.store (local.get $p) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
      (block $sdone (loop $scalar
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f32.load (local.get $p)))
        (if (local.get $bias)
          (then (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $bias)
            (i32.shl (local.get $j) (i32.const 2))))))))
        (if (local.get $act) (then (local.set $s (f32.max (local.get $s) (f32.const 0)))))
        (if (i32.eq (local.get $act) (i32.const 2))
          (then (local.set $s (f32.min (local.get $s) (f32.const 6)))))
        (f32.store (local.get $p) (local.get $s))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $scalar)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
      (br $rows)))
  )
)
