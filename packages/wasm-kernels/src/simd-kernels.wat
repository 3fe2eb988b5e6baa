;; Kernels of our own, in WebAssembly SIMD, that run on the tfjs wasm backend's memory itself (it is
;; imported): they read and write tensors where the backend keeps them, by their heap offsets, with
;; no copy. simd-module.ts instantiates this once per backend memory.
;;
;; Pointers are byte offsets into the memory; counts and strides are elements. Built into
;; simd-kernels-wasm.ts by `pnpm build:wasm` (../../scripts/wat-to-ts.mjs, wabt); a test checks
;; that they match this file.
(module
  (import "env" "memory" (memory 1))

  ;; Constants of the elementwise functions (immutable globals: V8 rebuilds a v128.const at every use).
  (global $exp_lo v128 (v128.const f32x4 -104 -104 -104 -104))
  (global $exp_hi v128 (v128.const f32x4 88.72283935546875 88.72283935546875 88.72283935546875 88.72283935546875))
  (global $log2e v128 (v128.const f32x4 1.44269502162933349609375 1.44269502162933349609375 1.44269502162933349609375 1.44269502162933349609375))
  (global $ln2hi v128 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
  (global $ln2lo v128 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
  (global $e5 v128 (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
  (global $e4 v128 (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3))
  (global $e3 v128 (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3))
  (global $e2 v128 (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2))
  (global $e1 v128 (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1))
  (global $e0 v128 (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1))
  (global $one v128 (v128.const f32x4 1 1 1 1))
  (global $half v128 (v128.const f32x4 0.5 0.5 0.5 0.5))
  (global $minus1 v128 (v128.const f32x4 -1 -1 -1 -1))
  (global $inf v128 (v128.const f32x4 inf inf inf inf))
  (global $magic v128 (v128.const f32x4 12582912 12582912 12582912 12582912))
  (global $bias v128 (v128.const i32x4 127 127 127 127))
  (global $minus4 v128 (v128.const f32x4 -4 -4 -4 -4))
  (global $plus4 v128 (v128.const f32x4 4 4 4 4))
  (global $sqrt_half v128 (v128.const f32x4 0.70710678118654752440 0.70710678118654752440 0.70710678118654752440 0.70710678118654752440))
  (global $minus_half v128 (v128.const f32x4 -0.5 -0.5 -0.5 -0.5))
  (global $inv_sqrt_2pi v128 (v128.const f32x4 0.39894228040143267794 0.39894228040143267794 0.39894228040143267794 0.39894228040143267794))
  (global $a13 v128 (v128.const f32x4 -2.72614225801306e-10 -2.72614225801306e-10 -2.72614225801306e-10 -2.72614225801306e-10))
  (global $a11 v128 (v128.const f32x4 2.77068142495902e-08 2.77068142495902e-08 2.77068142495902e-08 2.77068142495902e-08))
  (global $a9 v128 (v128.const f32x4 -2.10102402082508e-06 -2.10102402082508e-06 -2.10102402082508e-06 -2.10102402082508e-06))
  (global $a7 v128 (v128.const f32x4 -5.69250639462346e-05 -5.69250639462346e-05 -5.69250639462346e-05 -5.69250639462346e-05))
  (global $a5 v128 (v128.const f32x4 -7.34990630326855e-04 -7.34990630326855e-04 -7.34990630326855e-04 -7.34990630326855e-04))
  (global $a3 v128 (v128.const f32x4 -2.95459980854025e-03 -2.95459980854025e-03 -2.95459980854025e-03 -2.95459980854025e-03))
  (global $a1 v128 (v128.const f32x4 -1.60960333262415e-02 -1.60960333262415e-02 -1.60960333262415e-02 -1.60960333262415e-02))
  (global $b8 v128 (v128.const f32x4 -1.45660718464996e-05 -1.45660718464996e-05 -1.45660718464996e-05 -1.45660718464996e-05))
  (global $b6 v128 (v128.const f32x4 -2.13374055278905e-04 -2.13374055278905e-04 -2.13374055278905e-04 -2.13374055278905e-04))
  (global $b4 v128 (v128.const f32x4 -1.68282697438203e-03 -1.68282697438203e-03 -1.68282697438203e-03 -1.68282697438203e-03))
  (global $b2 v128 (v128.const f32x4 -7.37332916720468e-03 -7.37332916720468e-03 -7.37332916720468e-03 -7.37332916720468e-03))
  (global $b0 v128 (v128.const f32x4 -1.42647390514189e-02 -1.42647390514189e-02 -1.42647390514189e-02 -1.42647390514189e-02))

  ;; out[M, N] = A·B, then + bias[N] on every row when $bias ≠ 0, for B [K, N] row-major and A's element (r, i) at a + 4·(r·ars + i·acs)
  ;; (ars = K, acs = 1 for A [M, K]; ars = 1, acs = M for A stored [K, M] and transposed).
  ;; Float32 sums in order of i for every output (so the result does not depend on where an output
  ;; lies, vector lanes or tail): four rows of B at a time, kept in cache while each row of A uses them.
  (func (export "matmul_rows")
    (param $a i32) (param $ars i32) (param $acs i32) (param $b i32) (param $out i32)
    (param $m i32) (param $k i32) (param $n i32) (param $bias i32)
    (local $i i32) (local $r i32) (local $j i32) (local $nv i32) (local $rowBytes i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $o i32) (local $ap i32) (local $astep i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $acc v128) (local $x f32)
    (local $end i32)
    (local.set $nv (i32.and (local.get $n) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $astep (i32.shl (local.get $acs) (i32.const 2)))
    ;; zero the output
    (local.set $o (local.get $out))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2))))
    (block $zdone
      (loop $zloop
        (br_if $zdone (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.const 0))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $zloop)))
    (block $zdone
      (loop $zloop
        (br_if $zdone (i32.ge_u (local.get $o) (local.get $end)))
        (if (local.get $bias)
          (then (f32.store (local.get $o) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
          (else (f32.store (local.get $o) (f32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (if (i32.eq (local.get $j) (local.get $n)) (then (local.set $j (i32.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $zloop)))
    (local.set $j (i32.const 0))
    ;; four rows of B at a time
    (block $idone
      (loop $iloop
        (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $k)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $rowBytes)))
        (local.set $b2 (i32.add (local.get $b1) (local.get $rowBytes)))
        (local.set $b3 (i32.add (local.get $b2) (local.get $rowBytes)))
        (local.set $r (i32.const 0))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $ap (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ars)) (i32.mul (local.get $i) (local.get $acs))) (i32.const 2))))
            (local.set $s0 (f32.load (local.get $ap)))
            (local.set $s1 (f32.load (i32.add (local.get $ap) (local.get $astep))))
            (local.set $s2 (f32.load (i32.add (local.get $ap) (i32.mul (local.get $astep) (i32.const 2)))))
            (local.set $s3 (f32.load (i32.add (local.get $ap) (i32.mul (local.get $astep) (i32.const 3)))))
            (local.set $v0 (f32x4.splat (local.get $s0)))
            (local.set $v1 (f32x4.splat (local.get $s1)))
            (local.set $v2 (f32x4.splat (local.get $s2)))
            (local.set $v3 (f32x4.splat (local.get $s3)))
            (local.set $o (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $jdone
              (loop $jloop
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $nv)))
                (local.set $acc (v128.load (local.get $o)))
                (local.set $acc (f32x4.add (;fma;) (local.get $acc) (f32x4.mul (local.get $v0) (v128.load (local.get $b0)))))
                (local.set $acc (f32x4.add (;fma;) (local.get $acc) (f32x4.mul (local.get $v1) (v128.load (local.get $b1)))))
                (local.set $acc (f32x4.add (;fma;) (local.get $acc) (f32x4.mul (local.get $v2) (v128.load (local.get $b2)))))
                (local.set $acc (f32x4.add (;fma;) (local.get $acc) (f32x4.mul (local.get $v3) (v128.load (local.get $b3)))))
                (v128.store (local.get $o) (local.get $acc))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
                (local.set $b1 (i32.add (local.get $b1) (i32.const 16)))
                (local.set $b2 (i32.add (local.get $b2) (i32.const 16)))
                (local.set $b3 (i32.add (local.get $b3) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jloop)))
            (block $tdone
              (loop $tloop
                (br_if $tdone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $x (f32.load (local.get $o)))
                (local.set $x (f32.add (;fma;) (local.get $x) (f32.mul (local.get $s0) (f32.load (local.get $b0)))))
                (local.set $x (f32.add (;fma;) (local.get $x) (f32.mul (local.get $s1) (f32.load (local.get $b1)))))
                (local.set $x (f32.add (;fma;) (local.get $x) (f32.mul (local.get $s2) (f32.load (local.get $b2)))))
                (local.set $x (f32.add (;fma;) (local.get $x) (f32.mul (local.get $s3) (f32.load (local.get $b3)))))
                (f32.store (local.get $o) (local.get $x))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (local.set $b0 (i32.add (local.get $b0) (i32.const 4)))
                (local.set $b1 (i32.add (local.get $b1) (i32.const 4)))
                (local.set $b2 (i32.add (local.get $b2) (i32.const 4)))
                (local.set $b3 (i32.add (local.get $b3) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tloop)))
            ;; back to the start of the four rows for the next row of A
            (local.set $b0 (i32.sub (local.get $b0) (local.get $rowBytes)))
            (local.set $b1 (i32.sub (local.get $b1) (local.get $rowBytes)))
            (local.set $b2 (i32.sub (local.get $b2) (local.get $rowBytes)))
            (local.set $b3 (i32.sub (local.get $b3) (local.get $rowBytes)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rloop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $iloop)))
    ;; the last K mod 4 rows of B, one at a time
    (block $i1done
      (loop $i1loop
        (br_if $i1done (i32.ge_u (local.get $i) (local.get $k)))
        (local.set $r (i32.const 0))
        (block $rdone1
          (loop $rloop1
            (br_if $rdone1 (i32.ge_u (local.get $r) (local.get $m)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $i) (local.get $rowBytes))))
            (local.set $s0 (f32.load (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ars)) (i32.mul (local.get $i) (local.get $acs))) (i32.const 2)))))
            (local.set $v0 (f32x4.splat (local.get $s0)))
            (local.set $o (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $jdone1
              (loop $jloop1
                (br_if $jdone1 (i32.ge_u (local.get $j) (local.get $nv)))
                (v128.store (local.get $o)
                  (f32x4.add (;fma;) (v128.load (local.get $o)) (f32x4.mul (local.get $v0) (v128.load (local.get $b0)))))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jloop1)))
            (block $tdone1
              (loop $tloop1
                (br_if $tdone1 (i32.ge_u (local.get $j) (local.get $n)))
                (f32.store (local.get $o)
                  (f32.add (;fma;) (f32.load (local.get $o)) (f32.mul (local.get $s0) (f32.load (local.get $b0)))))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (local.set $b0 (i32.add (local.get $b0) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tloop1)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rloop1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $i1loop)))
    ;; the bias, added to the finished products
    (if (local.get $bias)
      (then
        (local.set $o (local.get $out))
        (local.set $j (i32.const 0))
        (block $bdone
          (loop $bloop
            (br_if $bdone (i32.ge_u (local.get $o) (local.get $end)))
            (f32.store (local.get $o) (f32.add (f32.load (local.get $o))
              (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (if (i32.eq (local.get $j) (local.get $n)) (then (local.set $j (i32.const 0))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $bloop))))))

  ;; e^x of four values: e^x = 2^k · e^r, k = round(x·log2 e) (rounded by adding 1.5·2^23, whose sum's
  ;; low bits are then k as an integer), r = x − k·ln 2 (ln 2 in two parts, k·C1 exact), e^r by Cephes
  ;; expf's polynomial; 2^k applied as 2^(k>>1) · 2^(k−(k>>1)) so that k from −150 (subnormal results)
  ;; to 128 stays exact. x > 88.7228 gives +inf, x < −104 gives 0, NaN stays NaN. Clamps are compare +
  ;; bitselect: wasm's f32x4.min/max (NaN and signed-zero rules) cost V8 several instructions each.
  (func $exp4 (param $v v128) (result v128)
    (local $xc v128) (local $t v128) (local $k v128) (local $r v128) (local $p v128) (local $ki v128) (local $khalf v128) (local $y v128)
    (local.set $xc (v128.bitselect (global.get $exp_lo) (local.get $v) (f32x4.lt (local.get $v) (global.get $exp_lo))))
    (local.set $xc (v128.bitselect (global.get $exp_hi) (local.get $xc) (f32x4.gt (local.get $xc) (global.get $exp_hi))))
    (local.set $t (f32x4.add (;fma;) (f32x4.mul (local.get $xc) (global.get $log2e)) (global.get $magic)))
    (local.set $k (f32x4.sub (local.get $t) (global.get $magic)))
    (local.set $r (f32x4.sub (;fma;) (f32x4.sub (;fma;) (local.get $xc) (f32x4.mul (local.get $k) (global.get $ln2hi)))
      (f32x4.mul (local.get $k) (global.get $ln2lo))))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (global.get $e5) (local.get $r)) (global.get $e4)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $p) (local.get $r)) (global.get $e3)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $p) (local.get $r)) (global.get $e2)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $p) (local.get $r)) (global.get $e1)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $p) (local.get $r)) (global.get $e0)))
    (local.set $p (f32x4.add (f32x4.add (;fma;) (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (global.get $one)))
    (local.set $ki (i32x4.sub (local.get $t) (global.get $magic)))
    (local.set $khalf (i32x4.shr_s (local.get $ki) (i32.const 1)))
    (local.set $y (f32x4.mul
      (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $khalf) (global.get $bias)) (i32.const 23)))
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $ki) (local.get $khalf)) (global.get $bias)) (i32.const 23))))
    (v128.bitselect (global.get $inf) (local.get $y) (f32x4.gt (local.get $v) (global.get $exp_hi))))

  ;; erf of four values: x·P(x²)/Q(x²) on x clamped to [−4, 4] (beyond, erf is ±1 in float32), the
  ;; rational approximation of Eigen's and XLA's float erf (odd degree-13 numerator, even degree-8
  ;; denominator); x times the ratio (the ratio of x·P would lose tiny arguments to subnormals), kept
  ;; in [−1, 1]. NaN stays NaN.
  (func $erf4 (param $v v128) (result v128)
    (local $xc v128) (local $x2 v128) (local $p v128) (local $q v128) (local $y v128)
    (local.set $xc (v128.bitselect (global.get $minus4) (local.get $v) (f32x4.lt (local.get $v) (global.get $minus4))))
    (local.set $xc (v128.bitselect (global.get $plus4) (local.get $xc) (f32x4.gt (local.get $xc) (global.get $plus4))))
    (local.set $x2 (f32x4.mul (local.get $xc) (local.get $xc)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (global.get $a13)) (global.get $a11)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $p)) (global.get $a9)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $p)) (global.get $a7)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $p)) (global.get $a5)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $p)) (global.get $a3)))
    (local.set $p (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $p)) (global.get $a1)))
    (local.set $q (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (global.get $b8)) (global.get $b6)))
    (local.set $q (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $q)) (global.get $b4)))
    (local.set $q (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $q)) (global.get $b2)))
    (local.set $q (f32x4.add (;fma;) (f32x4.mul (local.get $x2) (local.get $q)) (global.get $b0)))
    (local.set $y (f32x4.mul (local.get $xc) (f32x4.div (local.get $p) (local.get $q))))
    (local.set $y (v128.bitselect (global.get $minus1) (local.get $y) (f32x4.lt (local.get $y) (global.get $minus1))))
    (v128.bitselect (global.get $one) (local.get $y) (f32x4.gt (local.get $y) (global.get $one))))

  ;; GELU (exact, erf form) of four values: ½x(1 + erf(x/√2)).
  (func $gelu4 (param $v v128) (result v128)
    (f32x4.mul (f32x4.mul (local.get $v) (global.get $half))
      (f32x4.add (call $erf4 (f32x4.mul (local.get $v) (global.get $sqrt_half))) (global.get $one))))

  ;; dy·GELU′(x) of four values: dy·(½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π)).
  (func $gelu_grad4 (param $dy v128) (param $v v128) (result v128)
    (f32x4.mul (local.get $dy)
      (f32x4.add (;fma;)
        (f32x4.mul (f32x4.add (call $erf4 (f32x4.mul (local.get $v) (global.get $sqrt_half))) (global.get $one)) (global.get $half))
        (f32x4.mul (local.get $v)
          (f32x4.mul (call $exp4 (f32x4.mul (f32x4.mul (local.get $v) (local.get $v)) (global.get $minus_half))) (global.get $inv_sqrt_2pi))))))

  ;; out = e^x, within 2 ulp of the exact value (tested against Math.exp).
  ;; n float32 values (out may be an input); the last n mod 4 go through the same vector code,
  ;; loaded and stored lane by lane.
  (func (export "exp_f32") (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $left i32) (local $v v128) (local $g v128) (local $y v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $left (i32.shr_u (i32.sub (local.get $end) (local.get $x)) (i32.const 2)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (local.set $v (v128.load (local.get $x))))
          (else
            (local.set $v (v128.load32_lane 0 (local.get $x) (v128.const i32x4 0 0 0 0)))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (local.set $v (v128.load32_lane offset=4 1 (local.get $x) (local.get $v)))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (local.set $v (v128.load32_lane offset=8 2 (local.get $x) (local.get $v)))))))
        (local.set $y (call $exp4 (local.get $v)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (v128.store (local.get $out) (local.get $y)))
          (else
            (v128.store32_lane 0 (local.get $out) (local.get $y))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (v128.store32_lane offset=4 1 (local.get $out) (local.get $y))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (v128.store32_lane offset=8 2 (local.get $out) (local.get $y))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next))))

  ;; out = erf(x), within 6 ulp (3.6e-7 absolute near ±1; tested against a float64 erf).
  ;; n float32 values (out may be an input); the last n mod 4 go through the same vector code,
  ;; loaded and stored lane by lane.
  (func (export "erf_f32") (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $left i32) (local $v v128) (local $g v128) (local $y v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $left (i32.shr_u (i32.sub (local.get $end) (local.get $x)) (i32.const 2)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (local.set $v (v128.load (local.get $x))))
          (else
            (local.set $v (v128.load32_lane 0 (local.get $x) (v128.const i32x4 0 0 0 0)))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (local.set $v (v128.load32_lane offset=4 1 (local.get $x) (local.get $v)))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (local.set $v (v128.load32_lane offset=8 2 (local.get $x) (local.get $v)))))))
        (local.set $y (call $erf4 (local.get $v)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (v128.store (local.get $out) (local.get $y)))
          (else
            (v128.store32_lane 0 (local.get $out) (local.get $y))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (v128.store32_lane offset=4 1 (local.get $out) (local.get $y))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (v128.store32_lane offset=8 2 (local.get $out) (local.get $y))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next))))

  ;; out = GELU(x) = ½x(1 + erf(x/√2)).
  ;; n float32 values (out may be an input); the last n mod 4 go through the same vector code,
  ;; loaded and stored lane by lane.
  (func (export "gelu_f32") (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $left i32) (local $v v128) (local $g v128) (local $y v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $left (i32.shr_u (i32.sub (local.get $end) (local.get $x)) (i32.const 2)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (local.set $v (v128.load (local.get $x))))
          (else
            (local.set $v (v128.load32_lane 0 (local.get $x) (v128.const i32x4 0 0 0 0)))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (local.set $v (v128.load32_lane offset=4 1 (local.get $x) (local.get $v)))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (local.set $v (v128.load32_lane offset=8 2 (local.get $x) (local.get $v)))))))
        (local.set $y (call $gelu4 (local.get $v)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (v128.store (local.get $out) (local.get $y)))
          (else
            (v128.store32_lane 0 (local.get $out) (local.get $y))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (v128.store32_lane offset=4 1 (local.get $out) (local.get $y))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (v128.store32_lane offset=8 2 (local.get $out) (local.get $y))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next))))

  ;; out = dy·GELU′(x), GELU's backward.
  ;; n float32 values (out may be an input); the last n mod 4 go through the same vector code,
  ;; loaded and stored lane by lane.
  (func (export "gelu_grad_f32") (param $dy i32) (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $left i32) (local $v v128) (local $g v128) (local $y v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $left (i32.shr_u (i32.sub (local.get $end) (local.get $x)) (i32.const 2)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (local.set $v (v128.load (local.get $x))))
          (else
            (local.set $v (v128.load32_lane 0 (local.get $x) (v128.const i32x4 0 0 0 0)))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (local.set $v (v128.load32_lane offset=4 1 (local.get $x) (local.get $v)))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (local.set $v (v128.load32_lane offset=8 2 (local.get $x) (local.get $v)))))))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (local.set $g (v128.load (local.get $dy))))
          (else
            (local.set $g (v128.load32_lane 0 (local.get $dy) (v128.const i32x4 0 0 0 0)))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (local.set $g (v128.load32_lane offset=4 1 (local.get $dy) (local.get $g)))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (local.set $g (v128.load32_lane offset=8 2 (local.get $dy) (local.get $g)))))))
        (local.set $y (call $gelu_grad4 (local.get $g) (local.get $v)))
        (if (i32.ge_u (local.get $left) (i32.const 4))
          (then (v128.store (local.get $out) (local.get $y)))
          (else
            (v128.store32_lane 0 (local.get $out) (local.get $y))
            (if (i32.gt_u (local.get $left) (i32.const 1))
              (then (v128.store32_lane offset=4 1 (local.get $out) (local.get $y))))
            (if (i32.gt_u (local.get $left) (i32.const 2))
              (then (v128.store32_lane offset=8 2 (local.get $out) (local.get $y))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $next))))

  ;; Sum (and mean) over a middle block of axes: x viewed as [outer, rows, cols], for every o
  ;; out[o, c] = (Σ_r x[o, r, c]) / divisor, float32 sums in order of r (the order upstream sums in
  ;; after transposing the reduced axes innermost). divisor 1 for a sum.
  (func (export "sum_middle") (param $x i32) (param $out i32) (param $outer i32) (param $rows i32) (param $cols i32) (param $divisor f32)
    (local $o i32) (local $r i32) (local $j i32) (local $cv i32) (local $p i32) (local $q i32) (local $rowBytes i32)
    (local.set $cv (i32.and (local.get $cols) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $odone
      (loop $oloop
        (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
        ;; the first row is copied, the others added
        (local.set $j (i32.const 0))
        (local.set $p (local.get $x))
        (local.set $q (local.get $out))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $j) (local.get $cols)))
            (f32.store (local.get $q) (f32.load (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cloop)))
        (local.set $r (i32.const 1))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $q (local.get $out))
            (local.set $j (i32.const 0))
            (block $vdone
              (loop $vloop
                (br_if $vdone (i32.ge_u (local.get $j) (local.get $cv)))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (v128.load (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $vloop)))
            (block $tdone
              (loop $tloop
                (br_if $tdone (i32.ge_u (local.get $j) (local.get $cols)))
                (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tloop)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rloop)))
        (if (f32.ne (local.get $divisor) (f32.const 1))
          (then
            (local.set $q (local.get $out))
            (local.set $j (i32.const 0))
            (block $ddone
              (loop $dloop
                (br_if $ddone (i32.ge_u (local.get $j) (local.get $cols)))
                (f32.store (local.get $q) (f32.div (f32.load (local.get $q)) (local.get $divisor)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $dloop)))))
        (local.set $x (local.get $p))
        (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oloop))))

  ;; `count` transposes (transpose_one) of blocks `srcStep` and `dstStep` elements apart: a batch of
  ;; matrices, or [A, M, B] → [B, M, A] as M strided blocks, in one call from JavaScript.
  (func (export "transpose_2d")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $srcStride i32) (param $dstStride i32)
    (param $count i32) (param $srcStep i32) (param $dstStep i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $transpose_one (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $srcStride) (local.get $dstStride))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $srcStep) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $dstStep) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; dst[c·dstStride + r] = src[r·srcStride + c] for r < rows, c < cols (a [rows, cols] matrix
  ;; transposed; strides cols and rows for whole row-major matrices): 32 × 32 tiles, inside them 4 × 4 blocks transposed in registers by shuffles; the
  ;; edges of a tile that are not whole blocks one value at a time.
  (func $transpose_one (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $srcStride i32) (param $dstStride i32)
    (local $r0 i32) (local $r1 i32) (local $c0 i32) (local $c1 i32) (local $rv i32) (local $cv i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $rowBytes i32) (local $colBytes i32)
    (local $a v128) (local $b v128) (local $cc v128) (local $d v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $srcStride) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $dstStride) (i32.const 2)))
    (block $r0done
      (loop $r0loop
        (br_if $r0done (i32.ge_u (local.get $r0) (local.get $rows)))
        (local.set $r1 (select (local.get $rows) (i32.add (local.get $r0) (i32.const 32))
          (i32.gt_u (i32.add (local.get $r0) (i32.const 32)) (local.get $rows))))
        (local.set $rv (i32.add (local.get $r0) (i32.and (i32.sub (local.get $r1) (local.get $r0)) (i32.const -4))))
        (local.set $c0 (i32.const 0))
        (block $c0done
          (loop $c0loop
            (br_if $c0done (i32.ge_u (local.get $c0) (local.get $cols)))
            (local.set $c1 (select (local.get $cols) (i32.add (local.get $c0) (i32.const 32))
              (i32.gt_u (i32.add (local.get $c0) (i32.const 32)) (local.get $cols))))
            (local.set $cv (i32.add (local.get $c0) (i32.and (i32.sub (local.get $c1) (local.get $c0)) (i32.const -4))))
            ;; whole 4 × 4 blocks
            (local.set $r (local.get $r0))
            (block $rdone
              (loop $rloop
                (br_if $rdone (i32.ge_u (local.get $r) (local.get $rv)))
                (local.set $c (local.get $c0))
                (block $cdone
                  (loop $cloop
                    (br_if $cdone (i32.ge_u (local.get $c) (local.get $cv)))
                    (local.set $p (i32.add (local.get $src)
                      (i32.shl (i32.add (i32.mul (local.get $r) (local.get $srcStride)) (local.get $c)) (i32.const 2))))
                    (local.set $a (v128.load (local.get $p)))
                    (local.set $b (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
                    (local.set $cc (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1)))))
                    (local.set $d (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))
                    ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
                    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
                    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
                    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $cc) (local.get $d)))
                    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $cc) (local.get $d)))
                    (local.set $q (i32.add (local.get $dst)
                      (i32.shl (i32.add (i32.mul (local.get $c) (local.get $dstStride)) (local.get $r)) (i32.const 2))))
                    (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                    (v128.store (i32.add (local.get $q) (local.get $colBytes))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                    (v128.store (i32.add (local.get $q) (i32.shl (local.get $colBytes) (i32.const 1)))
                      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                    (v128.store (i32.add (local.get $q) (i32.mul (local.get $colBytes) (i32.const 3)))
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (br $cloop)))
                (local.set $r (i32.add (local.get $r) (i32.const 4)))
                (br $rloop)))
            ;; the tile's last columns for its whole rows, and its last rows for all its columns
            (call $transpose_scalar (local.get $src) (local.get $dst) (local.get $srcStride) (local.get $dstStride)
              (local.get $r0) (local.get $rv) (local.get $cv) (local.get $c1))
            (call $transpose_scalar (local.get $src) (local.get $dst) (local.get $srcStride) (local.get $dstStride)
              (local.get $rv) (local.get $r1) (local.get $c0) (local.get $c1))
            (local.set $c0 (local.get $c1))
            (br $c0loop)))
        (local.set $r0 (local.get $r1))
        (br $r0loop))))

  ;; transpose_2d's element by element part, for rows [ra, rb) and columns [ca, cb).
  (func $transpose_scalar (param $src i32) (param $dst i32) (param $srcStride i32) (param $dstStride i32)
    (param $ra i32) (param $rb i32) (param $ca i32) (param $cb i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $ra))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rb)))
        (local.set $c (local.get $ca))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cb)))
            (f32.store
              (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $dstStride)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $srcStride)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

;; Column moments of x viewed as [rows, cols] (a conv kernel [kh·kw·in, out]), for Scaled WS, in
  ;; float64 accumulated row by row: s1[c] += x, s2[c] += x², and when $dy ≠ 0 also s3[c] += dy·x,
  ;; s4[c] += dy (dy shaped as x). One pass gives the mean, the variance (E[x²] − mean², exact enough
  ;; in float64 for weights whose mean is not far above their spread) and the backward's dot products.
  (func (export "col_moments") (param $x i32) (param $dy i32) (param $rows i32) (param $cols i32) (param $s1 i32) (param $s2 i32) (param $s3 i32) (param $s4 i32)
    (local $r i32) (local $u i32) (local $cv i32) (local $v v128) (local $d v128) (local $lo v128) (local $hi v128)
    (local $dlo v128) (local $dhi v128) (local $q i32) (local $e f64) (local $f f64)
    (local.set $cv (i32.and (local.get $cols) (i32.const -4)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $u (i32.const 0))
        (block $vdone
          (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $u) (local.get $cv)))
            (local.set $v (v128.load (local.get $x)))
            (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
            (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
            (local.set $q (i32.shl (local.get $u) (i32.const 3)))
            (v128.store (i32.add (local.get $s1) (local.get $q)) (f64x2.add (v128.load (i32.add (local.get $s1) (local.get $q))) (local.get $lo)))
                (v128.store offset=16 (i32.add (local.get $s1) (local.get $q)) (f64x2.add (v128.load offset=16 (i32.add (local.get $s1) (local.get $q))) (local.get $hi)))
            (v128.store (i32.add (local.get $s2) (local.get $q)) (f64x2.add (v128.load (i32.add (local.get $s2) (local.get $q))) (f64x2.mul (local.get $lo) (local.get $lo))))
                (v128.store offset=16 (i32.add (local.get $s2) (local.get $q)) (f64x2.add (v128.load offset=16 (i32.add (local.get $s2) (local.get $q))) (f64x2.mul (local.get $hi) (local.get $hi))))
            (if (local.get $dy)
              (then
                (local.set $d (v128.load (local.get $dy)))
                (local.set $dlo (f64x2.promote_low_f32x4 (local.get $d)))
                (local.set $dhi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))))
                (v128.store (i32.add (local.get $s3) (local.get $q)) (f64x2.add (v128.load (i32.add (local.get $s3) (local.get $q))) (f64x2.mul (local.get $dlo) (local.get $lo))))
                (v128.store offset=16 (i32.add (local.get $s3) (local.get $q)) (f64x2.add (v128.load offset=16 (i32.add (local.get $s3) (local.get $q))) (f64x2.mul (local.get $dhi) (local.get $hi))))
                (v128.store (i32.add (local.get $s4) (local.get $q)) (f64x2.add (v128.load (i32.add (local.get $s4) (local.get $q))) (local.get $dlo)))
                (v128.store offset=16 (i32.add (local.get $s4) (local.get $q)) (f64x2.add (v128.load offset=16 (i32.add (local.get $s4) (local.get $q))) (local.get $dhi)))
                (local.set $dy (i32.add (local.get $dy) (i32.const 16)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $u (i32.add (local.get $u) (i32.const 4)))
            (br $vloop)))
        (block $tdone
          (loop $tloop
            (br_if $tdone (i32.ge_u (local.get $u) (local.get $cols)))
            (local.set $e (f64.promote_f32 (f32.load (local.get $x))))
            (local.set $q (i32.shl (local.get $u) (i32.const 3)))
            (f64.store (i32.add (local.get $s1) (local.get $q)) (f64.add (f64.load (i32.add (local.get $s1) (local.get $q))) (local.get $e)))
            (f64.store (i32.add (local.get $s2) (local.get $q)) (f64.add (f64.load (i32.add (local.get $s2) (local.get $q))) (f64.mul (local.get $e) (local.get $e))))
            (if (local.get $dy)
              (then
                (local.set $f (f64.promote_f32 (f32.load (local.get $dy))))
                (f64.store (i32.add (local.get $s3) (local.get $q)) (f64.add (f64.load (i32.add (local.get $s3) (local.get $q))) (f64.mul (local.get $f) (local.get $e))))
                (f64.store (i32.add (local.get $s4) (local.get $q)) (f64.add (f64.load (i32.add (local.get $s4) (local.get $q))) (local.get $f)))
                (local.set $dy (i32.add (local.get $dy) (i32.const 4)))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $tloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; out[r, c] = a[c]·dy[r, c] + (x[r, c] − mean[c])·b[c] − shift[c] in float32 (the a·dy term only
  ;; when $dy ≠ 0): Scaled WS's forward (b = the scale, shift 0) and backward (a = the scale, b the
  ;; slope, shift the column mean of the rest). a, b, shift and mean are float32 arrays of cols.
  ;; Its multiply-add is left unfused in the relaxed build too: the pass is memory-bound (fusing it
  ;; measured 0.92–1.03× in bench/simd-flavours.bench.mjs), and so both builds standardize alike.
  (func (export "ws_apply") (param $x i32) (param $dy i32) (param $mean i32) (param $a i32) (param $b i32) (param $shift i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $u i32) (local $cv i32) (local $o i32) (local $y v128) (local $s f32)
    (local.set $cv (i32.and (local.get $cols) (i32.const -4)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $u (i32.const 0))
        (block $vdone
          (loop $vloop
            (br_if $vdone (i32.ge_u (local.get $u) (local.get $cv)))
            (local.set $o (i32.shl (local.get $u) (i32.const 2)))
            (local.set $y (f32x4.mul (f32x4.sub (v128.load (local.get $x)) (v128.load (i32.add (local.get $mean) (local.get $o))))
              (v128.load (i32.add (local.get $b) (local.get $o)))))
            (if (local.get $dy)
              (then
                (local.set $y (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $o))) (v128.load (local.get $dy))) (local.get $y)))
                (local.set $dy (i32.add (local.get $dy) (i32.const 16)))))
            (v128.store (local.get $out) (f32x4.sub (local.get $y) (v128.load (i32.add (local.get $shift) (local.get $o)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $u (i32.add (local.get $u) (i32.const 4)))
            (br $vloop)))
        (block $tdone
          (loop $tloop
            (br_if $tdone (i32.ge_u (local.get $u) (local.get $cols)))
            (local.set $o (i32.shl (local.get $u) (i32.const 2)))
            (local.set $s (f32.mul (f32.sub (f32.load (local.get $x)) (f32.load (i32.add (local.get $mean) (local.get $o))))
              (f32.load (i32.add (local.get $b) (local.get $o)))))
            (if (local.get $dy)
              (then
                (local.set $s (f32.add (f32.mul (f32.load (i32.add (local.get $a) (local.get $o))) (f32.load (local.get $dy))) (local.get $s)))
                (local.set $dy (i32.add (local.get $dy) (i32.const 4)))))
            (f32.store (local.get $out) (f32.sub (local.get $s) (f32.load (i32.add (local.get $shift) (local.get $o)))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $tloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))
)
