/**
 * Which tensors of a model an analysis measures: the residual blocks (found automatically, or
 * with your predicate), and any layers you name. Index 0 of an automatic plan is the input of the
 * first residual block (DeepMind's "stem output"), then one site per block output, as
 * deepmind-research `nfnets/nf_resnet.py` / `resnet.py` collect `signal_metrics` with
 * `return_metrics=True`.
 *
 * Heuristics, each overridable (see README "How residual blocks are found"):
 * - a residual merge is a call of a layer whose class declares `static residualMerge = { branch }`
 *   (residual-merge.ts; @nf/models' NfResidual does), is named in `residualClasses`, or is `Add`
 *   (`mergeClassNames`);
 * - its branch is the declared input, else the input with the longest path from the model inputs
 *   (ties: the last input); the other inputs are shortcuts (`branch` predicate to override);
 * - the branch is measured before trailing scale layers (Rescaling for α, dropout, stochastic
 *   depth, skip gains: `scaleClassNames`), as DeepMind measures before `skip_gain` and α;
 * - a block is a transition (a stage's first block: variance resets) when a shortcut passes
 *   through a layer with weights or one that changes the shape (projection, pooling);
 * - the stem site is the nearest common ancestor of the first merge's inputs, followed back
 *   through element-wise and normalization layers (pre-activation blocks start with act(x)·β).
 */
import { SignalPropError } from './errors.js';
import { isAncestorOrSelf, type GraphNode, type GraphTensor, type Layer, type LayerGraph } from './layer-graph.js';
import { declaredResidualMerge } from './residual-merge.js';
import { residualClassAdvice, type Wording } from './wording.js';

/** A layer name or class name: a string matches exactly, a RegExp by `test`. */
export type LayerPattern = string | RegExp;

/** What a `branch` predicate sees of one merge. */
export interface MergeInfo {
  readonly name: string;
  readonly className: string;
  readonly layer: Layer;
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly className: string; readonly shape: ReadonlyArray<number | null>; readonly depth: number }>;
  /** The branch input its class declares (`static residualMerge`) or `residualClasses` names; null when neither says. */
  readonly declaredBranch: number | null;
}

/** A residual merge class named from outside (for classes that do not declare `static residualMerge`). */
export interface ResidualClass {
  /** Index of the branch input. Omitted: the deepest input, as for `Add`. */
  readonly branch?: number;
}

export interface ResidualOptions {
  /**
   * Residual merge classes that do not declare `static residualMerge`, by class name, with the
   * index of their branch input: `{ MyResidual: { branch: 0 } }` (`{}`: the deepest input). They
   * are merges besides the declared classes and `mergeClassNames`; a branch given here overrides a
   * class's own declaration.
   */
  residualClasses?: Readonly<Record<string, ResidualClass>>;
  /**
   * Class names of merge layers whose branch is found by the `branch` rule (default: the deepest
   * input). Default `['Add']`. Classes that declare `static residualMerge` are merges whatever this says.
   */
  mergeClassNames?: readonly LayerPattern[];
  /**
   * Picks the residual branch of a merge: return the index of the branch input, or -1 when the
   * merge is not a residual block. Default: the declared branch (`merge.declaredBranch`), else the
   * deepest input (ties: the last).
   */
  branch?: (merge: MergeInfo) => number;
  /** Single-input layers stepped over back from the merge, so the branch is measured before its scaling. */
  scaleClassNames?: readonly LayerPattern[];
  /** Measure the first block's input as site 0 (default true). */
  includeStem?: boolean;
}

/** Which layers to measure besides (or instead of) the residual blocks. */
export interface SiteSelection {
  /** Find residual blocks automatically. Default: true when nothing else is selected, otherwise false. */
  residual?: boolean;
  /** Layer names to measure (scoped `outer/inner` for nested models). */
  names?: LayerPattern | readonly LayerPattern[];
  /** Layer class names to measure (your custom layers too). */
  classNames?: LayerPattern | readonly LayerPattern[];
  /** Any other rule. */
  where?: (layer: Layer, name: string) => boolean;
}

export type MeasureSpec = 'residual' | 'all' | SiteSelection;

export type SiteKind = 'stem' | 'residual' | 'layer';

export interface PlannedSite {
  readonly tensor: GraphTensor;
  readonly kind: SiteKind;
  readonly className: string;
  /** The branch tensor measured for a residual block. */
  readonly branch: GraphTensor | null;
  readonly transition: boolean;
  readonly stage: number;
}

export const DEFAULT_MERGE_CLASS_NAMES: readonly LayerPattern[] = ['Add'];
export const DEFAULT_SCALE_CLASS_NAMES: readonly LayerPattern[] = [
  'Rescaling',
  /Dropout/,
  /StochasticDepth/,
  /DropPath/,
  /SkipGain/,
  /SkipInit/,
  /LayerScale/,
];
/** Layers followed back from the first block's common input to its real input (act, β, norms). */
const STEM_WALK_CLASS_NAMES: readonly LayerPattern[] = [
  'Activation',
  /ReLU$/,
  'ELU',
  'Softmax',
  'Rescaling',
  /Normalization$/,
  /Dropout/,
];

export function matches(patterns: readonly LayerPattern[], value: string): boolean {
  return patterns.some((p) => (typeof p === 'string' ? p === value : p.test(value)));
}

function toList(p: LayerPattern | readonly LayerPattern[] | undefined): readonly LayerPattern[] {
  if (p === undefined) return [];
  return typeof p === 'string' || p instanceof RegExp ? [p] : p;
}

/** A tensor the statistics can describe: float, batch axis plus at least one more. */
export function isMeasurable(t: GraphTensor): boolean {
  return t.shape.length >= 2 && (t.dtype === 'float32' || t.dtype === 'int32');
}

const sameShape = (a: GraphTensor, b: GraphTensor) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The single-input, single-output producer of `t` when its class is in `patterns` and it keeps the shape. */
function passThrough(t: GraphTensor, patterns: readonly LayerPattern[]): GraphTensor | null {
  const p = t.producer;
  if (!p || p.inputs.length !== 1 || p.outputs.length !== 1 || !matches(patterns, p.className)) return null;
  const input = p.inputs[0]!;
  return sameShape(input, t) ? input : null;
}

function defaultBranch(merge: MergeInfo): number {
  let best = 0;
  merge.inputs.forEach((t, i) => {
    if (t.depth >= merge.inputs[best]!.depth) best = i;
  });
  return best;
}

interface Merge {
  node: GraphNode;
  output: GraphTensor;
  branchInput: GraphTensor;
  shortcuts: GraphTensor[];
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function checkResidualClasses(value: unknown): Readonly<Record<string, ResidualClass>> {
  // nf-spp builds this option from --residual-class, already checked: only API callers see these lines.
  if (value === undefined) return {};
  const fail = (where: string, why: string): never => {
    throw new SignalPropError('BAD_OPTION', `residual.residualClasses${where} ${why}; pass class names with their branch input, e.g. { MyResidual: { branch: 0 } } ({} for the deepest input).`);
  };
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('', `must be an object, received ${Array.isArray(value) ? 'an array' : show(value)}`);
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`['${name}']`, `must be an object, received ${show(entry)}`);
    const branch = (entry as ResidualClass).branch;
    if (branch !== undefined && !(Number.isInteger(branch) && branch >= 0)) fail(`['${name}'].branch`, `must be an integer >= 0, received ${show(branch)}`);
  }
  return value as Readonly<Record<string, ResidualClass>>;
}

function findMerges(graph: LayerGraph, options: ResidualOptions, wording: Wording): Merge[] {
  const mergeClasses = options.mergeClassNames ?? DEFAULT_MERGE_CLASS_NAMES;
  const named = checkResidualClasses(options.residualClasses);
  const merges: Merge[] = [];
  for (const node of graph.nodes) {
    if (node.inputs.length < 2 || node.outputs.length !== 1) continue;
    const declared = declaredResidualMerge(node.layer, node.className);
    const listed = hasOwn(named, node.className) ? named[node.className]! : undefined;
    if (!declared && !listed && !matches(mergeClasses, node.className)) continue;
    const declaredBranch = listed?.branch ?? declared?.branch ?? null;
    if (declaredBranch !== null && declaredBranch >= node.inputs.length) {
      const fromOption = listed?.branch !== undefined;
      const where = !fromOption ? `class '${node.className}' (static residualMerge)` : wording === 'cli' ? `--residual-class ${node.className}:${declaredBranch}` : `residual.residualClasses['${node.className}'].branch`;
      throw new SignalPropError(
        fromOption ? 'BAD_OPTION' : 'UNSUPPORTED_LAYER',
        `${where} names input ${declaredBranch} as the branch, but merge '${node.name}' has ${node.inputs.length} inputs; name an input index below ${node.inputs.length}${fromOption ? ` (${residualClassAdvice(wording, node.className, 0)})` : ''}.`,
      );
    }
    const info: MergeInfo = {
      name: node.name,
      className: node.className,
      layer: node.layer,
      inputs: node.inputs.map((t) => ({ name: t.name, className: t.producer?.className ?? 'InputLayer', shape: t.shape, depth: t.depth })),
      declaredBranch,
    };
    const b = options.branch ? options.branch(info) : (declaredBranch ?? defaultBranch(info));
    if (b === -1) continue;
    if (!Number.isInteger(b) || b < 0 || b >= node.inputs.length) {
      throw new SignalPropError('BAD_OPTION', `residual.branch returned ${String(b)} for merge '${node.name}' with ${node.inputs.length} inputs; return an input index or -1.`);
    }
    merges.push({ node, output: node.outputs[0]!, branchInput: node.inputs[b]!, shortcuts: node.inputs.filter((_, i) => i !== b) });
  }
  return merges;
}

/** A shortcut is a projection when, before reaching the branch's ancestry, it passes weights or a shape change. */
function isTransition(merge: Merge): boolean {
  return merge.shortcuts.some((s) => {
    let t = s;
    for (;;) {
      if (isAncestorOrSelf(t, merge.branchInput)) return false;
      const p = t.producer;
      if (!p || p.inputs.length !== 1 || p.layer.weights.length > 0 || !sameShape(p.inputs[0]!, t)) return p !== null;
      t = p.inputs[0]!;
    }
  });
}

/** The latest tensor that is an ancestor-or-self of every input of the merge. */
function commonAncestor(merge: Merge): GraphTensor | null {
  const ancestors = (start: GraphTensor) => {
    const seen = new Set<GraphTensor>();
    const stack = [start];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (t.producer) stack.push(...t.producer.inputs);
    }
    return seen;
  };
  const [first, ...rest] = merge.node.inputs.map(ancestors);
  let best: GraphTensor | null = null;
  for (const t of first!) if (rest.every((s) => s.has(t)) && (!best || t.id > best.id)) best = t;
  return best;
}

function stemOf(merge: Merge): GraphTensor | null {
  let t = commonAncestor(merge);
  if (!t || merge.node.inputs.includes(t)) return t;
  for (let next = passThrough(t, STEM_WALK_CLASS_NAMES); next && next.consumers.length === 1; next = passThrough(t, STEM_WALK_CLASS_NAMES)) t = next;
  return t;
}

/** Plans the measured sites of `graph`, in topological order. */
export function planSites(graph: LayerGraph, measure: MeasureSpec = 'residual', residual: ResidualOptions = {}): PlannedSite[] {
  return planSitesWorded(graph, measure, residual, 'api');
}

/** `planSites`, with errors worded for the API or the CLI. */
export function planSitesWorded(graph: LayerGraph, measure: MeasureSpec, residual: ResidualOptions, wording: Wording): PlannedSite[] {
  const selection: SiteSelection =
    measure === 'residual' ? { residual: true } : measure === 'all' ? { residual: true, where: () => true } : measure;
  const names = toList(selection.names);
  const classNames = toList(selection.classNames);
  const explicit = names.length > 0 || classNames.length > 0 || selection.where !== undefined;
  const findResidual = selection.residual ?? !explicit;
  const scaleClasses = residual.scaleClassNames ?? DEFAULT_SCALE_CLASS_NAMES;

  const sites = new Map<GraphTensor, PlannedSite>();
  if (findResidual) {
    const merges = findMerges(graph, residual, wording).filter((m) => isMeasurable(m.output));
    let stage = 0;
    merges.forEach((m, k) => {
      const transition = isTransition(m);
      if (k > 0 && transition) stage += 1;
      let branch = m.branchInput;
      for (let next = passThrough(branch, scaleClasses); next; next = passThrough(branch, scaleClasses)) branch = next;
      sites.set(m.output, { tensor: m.output, kind: 'residual', className: m.node.className, branch, transition, stage });
    });
    const first = merges[0];
    if (first && (residual.includeStem ?? true)) {
      const stem = stemOf(first);
      if (stem && isMeasurable(stem) && !sites.has(stem)) {
        sites.set(stem, { tensor: stem, kind: 'stem', className: stem.producer?.className ?? 'InputLayer', branch: null, transition: false, stage: 0 });
      }
    }
  }
  if (explicit) {
    for (const node of graph.nodes) {
      const chosen =
        matches(names, node.name) || matches(names, node.layer.name) || matches(classNames, node.className) || (selection.where?.(node.layer, node.name) ?? false);
      if (!chosen) continue;
      for (const t of node.outputs) {
        if (!sites.has(t) && isMeasurable(t)) sites.set(t, { tensor: t, kind: 'layer', className: node.className, branch: null, transition: false, stage: 0 });
      }
    }
  }
  const ordered = [...sites.values()].sort((a, b) => a.tensor.id - b.tensor.id);
  // Layer sites take the stage of the residual block before them.
  let stage = 0;
  return ordered.map((s) => {
    if (s.kind === 'residual') stage = s.stage;
    return s.kind === 'layer' ? { ...s, stage } : s;
  });
}
