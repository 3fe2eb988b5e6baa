/**
 * Which parameters a transform leaves alone: a separate selector, not a flag in the math
 * (as optax's `masked` combinator). The paper never clips the classifier's weight.
 */
import { AgcError, formatValue, kindOf } from './errors.js';

export type ParamPredicate = (name: string, shape: readonly number[]) => boolean;

/** Names (exact), a RegExp tested against the name, or a predicate on name and shape. */
export type ExcludeSpec = readonly string[] | RegExp | ParamPredicate;

/**
 * Turns an `ExcludeSpec` into a predicate; `undefined` (or null) excludes nothing. Names are
 * looked up in a Set, so any name ('toString', '__proto__', …) matches only itself. Throws an
 * AgcError (BAD_OPTION) for anything else, such as a single string (wrap it in an array).
 */
export function toPredicate(spec: ExcludeSpec | undefined): ParamPredicate {
  if (spec === undefined || spec === null) return () => false;
  if (typeof spec === 'function') return spec;
  if (spec instanceof RegExp) {
    // A global/sticky RegExp keeps state between .test() calls; use a fresh stateless copy.
    const re = new RegExp(spec.source, spec.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  if (!Array.isArray(spec)) {
    const hint = typeof spec === 'string' ? `; for one name pass [${formatValue(spec)}]` : '';
    throw new AgcError('BAD_OPTION', `exclude must be an array of names, a RegExp or a function (name, shape) => boolean, received ${kindOf(spec)}${hint}.`);
  }
  const bad = spec.findIndex((n) => typeof n !== 'string');
  if (bad >= 0) {
    throw new AgcError('BAD_OPTION', `exclude[${bad}] must be a parameter name (a string), received ${formatValue(spec[bad])}.`);
  }
  const names = new Set<string>(spec);
  return (name) => names.has(name);
}
