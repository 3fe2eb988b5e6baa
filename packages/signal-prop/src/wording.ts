/**
 * Advice in error messages in the caller's own terms: option names for the API
 * (`size: 28`), flags for nf-spp (`--size 28`). The same analysis code serves both; the CLI runs it
 * with the `'cli'` wording.
 */
export type Wording = 'api' | 'cli';

/** How to fill unknown input dimensions, with `example` as the size shown. */
export function sizeAdvice(wording: Wording, example = 64): string {
  return wording === 'cli'
    ? `pass --size (e.g. --size ${example} or --size ${example}x${example})`
    : `pass size (e.g. size: ${example} or size: [${example}, ${example}]) or probe tensors as input`;
}

/** How to name a residual merge class that does not declare `static residualMerge`. */
export function residualClassAdvice(wording: Wording, className = 'MyResidual', branch = 0): string {
  return wording === 'cli' ? `--residual-class ${className}:${branch}` : `residual: { residualClasses: { ${className}: { branch: ${branch} } } }`;
}

/** How to select layers to measure by name. */
export function measureAdvice(wording: Wording): string {
  return wording === 'cli' ? '--measure <regex> or --all' : "measure: { names: [...] } or measure: 'all'";
}
