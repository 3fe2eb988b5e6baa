/**
 * Which parameters a transform leaves alone: a separate selector, not a flag in the math
 * (as optax's `masked` combinator). The paper never clips the classifier's weight.
 */
export type ParamPredicate = (name: string, shape: readonly number[]) => boolean;

/** Names (exact), a RegExp tested against the name, or a predicate on name and shape. */
export type ExcludeSpec = readonly string[] | RegExp | ParamPredicate;

/** Turns an `ExcludeSpec` into a predicate; `undefined` excludes nothing. */
export function toPredicate(spec: ExcludeSpec | undefined): ParamPredicate {
  if (spec === undefined) return () => false;
  if (typeof spec === 'function') return spec;
  if (spec instanceof RegExp) {
    // A global/sticky RegExp keeps state between .test() calls; use a fresh stateless copy.
    const re = new RegExp(spec.source, spec.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  const names = new Set(spec);
  return (name) => names.has(name);
}
