/** Float64 references for the tests of our SIMD kernels. */

/** erf in float64: its Maclaurin series below 3 (terms up to ~2e3 in size: ~1e-13 relative lost), the
 * continued fraction of erfc above. */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a >= 3) {
    // erfc(a) = e^{−a²}/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + 2/(a + …)))))
    let f = a;
    for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
    return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
  }
  let term = a;
  let sum = a;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * sum; n++) {
    term *= (-a * a) / n;
    sum += term / (2 * n + 1);
  }
  return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
}

