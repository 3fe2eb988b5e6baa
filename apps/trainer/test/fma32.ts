/**
 * float32 multiply-add references for the host kernels' two builds: fused (one rounding, as
 * relaxed SIMD on an FMA CPU) and unfused (the product rounded first). A copy of
 * packages/wasm-kernels/src/test-support/fma32.ts (an app does not import a package's test files).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to `r` (a float32) in the direction of `toward`. */
function nextFloat32(r: number, toward: number): number {
  if (r === 0) return toward > 0 ? 2 ** -149 : -(2 ** -149);
  f32[0] = r;
  u32[0] = u32[0]! + ((toward > r) === (r > 0) ? 1 : -1);
  return f32[0]!;
}

/**
 * a·b + c rounded once to float32 (a, b, c float32): a·b is exact in float64, s = a·b + c rounds there
 * and TwoSum gives the exact remainder e; fround(s) is right unless s lies exactly half-way between
 * two float32 values, where e's sign decides.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return Math.fround(s);
  const bv = s - p;
  const e = p - (s - bv) + (c - bv);
  const r = Math.fround(s);
  if (e === 0 || r === s) return r;
  const other = nextFloat32(r, s);
  if (s !== (r + other) / 2) return r;
  return (e > 0) === (other > r) ? other : r;
}

/** a·b + c with the product rounded to float32 first. */
export function mulAdd32(a: number, b: number, c: number): number {
  return Math.fround(Math.fround(a * b) + c);
}

/** Whether this engine's relaxed madd is fused: (1 + 2⁻²³)(1 − 2⁻²³) − 1 is −2⁻⁴⁶ fused, 0 unfused. */
export function relaxedMaddFuses(madd: (a: number, b: number, c: number) => number): boolean {
  return madd(Math.fround(1 + 2 ** -23), Math.fround(1 - 2 ** -23), -1) !== 0;
}
