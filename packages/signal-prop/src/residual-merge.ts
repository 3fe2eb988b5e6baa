/**
 * How a layer class tells the analysis "I am a residual merge; this input is the branch, the others
 * are shortcuts", without depending on this package: a static property on the class,
 *
 *     class MyResidual extends tf.layers.Layer {
 *       static className = 'MyResidual';
 *       static residualMerge = { branch: 0 };   // call([branch, shortcut])
 *     }
 *
 * read here by duck typing (`layer.constructor.residualMerge`), so it works for classes from any
 * package and any copy of tfjs-layers. @nf/models' `NfResidual` declares `{ branch: 0 }`. Subclasses
 * inherit the declaration (static properties are inherited). Classes you cannot edit are named with
 * `residual.residualClasses` (API) or `--residual-class NAME[:BRANCH]` (CLI) instead.
 */
import { SignalPropError } from './errors.js';

/** What a residual merge layer declares: which of its inputs is the residual branch. */
export interface ResidualMergeDeclaration {
  /** Index of the input that is the residual branch; the other inputs are shortcuts. */
  readonly branch: number;
}

/** The static property a layer class sets to declare itself a residual merge. */
export const RESIDUAL_MERGE_PROPERTY = 'residualMerge';

/**
 * The declaration of `layer`'s class, or null when it declares nothing. A declaration that is not
 * `{ branch: <integer ≥ 0> }` is an error naming the class (a bug in the layer, not in the model).
 */
export function declaredResidualMerge(layer: object, className: string): ResidualMergeDeclaration | null {
  const ctor = (layer as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return null;
  const value = (ctor as unknown as Record<string, unknown>)[RESIDUAL_MERGE_PROPERTY];
  if (value === undefined || value === null) return null;
  const branch = (value as { branch?: unknown }).branch;
  if (typeof value !== 'object' || typeof branch !== 'number' || !Number.isInteger(branch) || branch < 0) {
    throw new SignalPropError(
      'UNSUPPORTED_LAYER',
      `layer class '${className}' declares static ${RESIDUAL_MERGE_PROPERTY} = ${describe(value)}; expected { branch: <index of the branch input> }, e.g. { branch: 0 }.`,
    );
  }
  return { branch };
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    /* not JSON */
  }
  return typeof value;
}
