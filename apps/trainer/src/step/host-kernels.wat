;; The host optimizer's arithmetic in WebAssembly SIMD (see host-kernels.ts, which copies chunks of
;; the flat JavaScript buffers into this module's memory and calls these on them). Each function
;; rounds exactly as the JavaScript reference does (float32 ops where it applies Math.fround after
;; each op, float64 sums of squares per unit in row order), so the two agree bit for bit; only
;; `sum_squares` adds in another order (four running sums instead of one).
;;
;; Pointers are byte offsets into the memory; counts are elements. Built into host-kernels-wasm.ts
;; by `pnpm build:wasm` (../../scripts/wat-to-ts.mjs, wabt); a test checks that they match this file.
(module
  (memory (export "memory") 1)

  ;; Σ x² over n float32 values at p, in float64 (the promotions and squares are exact), as four
  ;; running sums: lanes 0, 1 of each 4 in $acc0, lanes 2, 3 (shuffled low, then promoted) in $acc1.
  (func (export "sum_squares") (param $p i32) (param $n i32) (result f64)
    (local $vend i32) (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $acc0 v128) (local $acc1 v128) (local $x f64) (local $s f64)
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $p) (local.get $vend)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vloop)))
    (local.set $s
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0)))
        (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1)))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f64.promote_f32 (f32.load (local.get $p))))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $x) (local.get $x))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; For `rows` rows of `units` float32 values at g and at w: gsq[u] += Σ_r g[r,u]², wsq[u] += Σ_r w[r,u]²,
  ;; gsq and wsq float64 arrays of `units`, accumulated row by row (the reference's order).
  (func (export "unit_squares") (param $g i32) (param $w i32) (param $rows i32) (param $units i32) (param $gsq i32) (param $wsq i32)
    (local $r i32) (local $u i32) (local $vunits i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $q i32) (local $x f64)
    (local.set $vunits (i32.and (local.get $units) (i32.const -4)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $u (i32.const 0))
        (block $vdone
          (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $u) (local.get $vunits)))
            ;; gradient
            (local.set $v (v128.load (local.get $g)))
            (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $hi (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
            (local.set $q (i32.add (local.get $gsq) (i32.shl (local.get $u) (i32.const 3))))
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $lo) (local.get $lo))))
            (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $hi) (local.get $hi))))
            ;; weight
            (local.set $v (v128.load (local.get $w)))
            (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $hi (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
            (local.set $q (i32.add (local.get $wsq) (i32.shl (local.get $u) (i32.const 3))))
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $lo) (local.get $lo))))
            (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $hi) (local.get $hi))))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (local.set $u (i32.add (local.get $u) (i32.const 4)))
            (br $vloop)))
        (block $tdone
          (loop $tloop
            (br_if $tdone (i32.ge_u (local.get $u) (local.get $units)))
            (local.set $q (i32.add (local.get $gsq) (i32.shl (local.get $u) (i32.const 3))))
            (local.set $x (f64.promote_f32 (f32.load (local.get $g))))
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.mul (local.get $x) (local.get $x))))
            (local.set $q (i32.add (local.get $wsq) (i32.shl (local.get $u) (i32.const 3))))
            (local.set $x (f64.promote_f32 (f32.load (local.get $w))))
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.mul (local.get $x) (local.get $x))))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (local.set $w (i32.add (local.get $w) (i32.const 4)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $tloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; SGD with momentum over `rows` rows of `units` float32 values, in place on w and a (all float32):
  ;;   g ← g·scale[u] when `scaled` (AGC's per-unit factors, float32 at `scales`)
  ;;   g ← g + w·decay when decay > 0
  ;;   a ← a·m + g
  ;;   w ← w + c·(g + a·m) when `nesterov`, else w ← w + c·a      (c = −learning rate)
  (func (export "momentum_rows")
    (param $g i32) (param $w i32) (param $a i32) (param $rows i32) (param $units i32)
    (param $scales i32) (param $scaled i32) (param $m f32) (param $c f32) (param $decay f32) (param $nesterov i32)
    (local $r i32) (local $u i32) (local $vunits i32) (local $decays i32)
    (local $vm v128) (local $vc v128) (local $vd v128) (local $vg v128) (local $vw v128) (local $va v128)
    (local $sg f32) (local $sw f32) (local $sa f32)
    (local.set $vunits (i32.and (local.get $units) (i32.const -4)))
    (local.set $decays (f32.gt (local.get $decay) (f32.const 0)))
    (local.set $vm (f32x4.splat (local.get $m)))
    (local.set $vc (f32x4.splat (local.get $c)))
    (local.set $vd (f32x4.splat (local.get $decay)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $u (i32.const 0))
        (block $vdone
          (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $u) (local.get $vunits)))
            (local.set $vg (v128.load (local.get $g)))
            (local.set $vw (v128.load (local.get $w)))
            (if (local.get $scaled)
              (then (local.set $vg (f32x4.mul (local.get $vg)
                (v128.load (i32.add (local.get $scales) (i32.shl (local.get $u) (i32.const 2))))))))
            (if (local.get $decays)
              (then (local.set $vg (f32x4.add (;fma;) (local.get $vg) (f32x4.mul (local.get $vw) (local.get $vd))))))
            (local.set $va (f32x4.add (;fma;) (f32x4.mul (v128.load (local.get $a)) (local.get $vm)) (local.get $vg)))
            (v128.store (local.get $a) (local.get $va))
            (if (local.get $nesterov)
              (then (local.set $vw (f32x4.add (;fma;)
                (f32x4.mul (local.get $vc) (f32x4.add (;fma;) (local.get $vg) (f32x4.mul (local.get $va) (local.get $vm))))
                (local.get $vw))))
              (else (local.set $vw (f32x4.add (;fma;) (f32x4.mul (local.get $vc) (local.get $va)) (local.get $vw)))))
            (v128.store (local.get $w) (local.get $vw))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (local.set $u (i32.add (local.get $u) (i32.const 4)))
            (br $vloop)))
        (block $tdone
          (loop $tloop
            (br_if $tdone (i32.ge_u (local.get $u) (local.get $units)))
            (local.set $sg (f32.load (local.get $g)))
            (local.set $sw (f32.load (local.get $w)))
            (if (local.get $scaled)
              (then (local.set $sg (f32.mul (local.get $sg)
                (f32.load (i32.add (local.get $scales) (i32.shl (local.get $u) (i32.const 2))))))))
            (if (local.get $decays)
              (then (local.set $sg (f32.add (;fma;) (local.get $sg) (f32.mul (local.get $sw) (local.get $decay))))))
            (local.set $sa (f32.add (;fma;) (f32.mul (f32.load (local.get $a)) (local.get $m)) (local.get $sg)))
            (f32.store (local.get $a) (local.get $sa))
            (if (local.get $nesterov)
              (then (local.set $sw (f32.add (;fma;)
                (f32.mul (local.get $c) (f32.add (;fma;) (local.get $sg) (f32.mul (local.get $sa) (local.get $m))))
                (local.get $sw))))
              (else (local.set $sw (f32.add (;fma;) (f32.mul (local.get $c) (local.get $sa)) (local.get $sw)))))
            (f32.store (local.get $w) (local.get $sw))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (local.set $w (i32.add (local.get $w) (i32.const 4)))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $tloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; dst[i] ← dst[i] + src[i] for n float32 values (float32 adds).
  (func (export "add_into") (param $dst i32) (param $src i32) (param $n i32)
    (local $vend i32) (local $end i32)
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vloop)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $tail))))
)
