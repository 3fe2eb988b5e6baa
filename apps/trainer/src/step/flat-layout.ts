/** The layout of a model's variables in one flat Float32Array: each variable's element offset, in order. */
export function flatOffsets(shapes: readonly (readonly number[])[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const s of shapes) {
    offsets.push(total);
    total += s.reduce((a, b) => a * b, 1);
  }
  return { offsets, total };
}
