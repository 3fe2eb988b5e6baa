/**
 * DeepMind's haiku parameter names → ours (nfnet-facts.md §8), without reading anything: the mapping
 * `loadHaikuCheckpoint` (`@nf/models/node`) applies, usable anywhere.
 */
const CONV_PART: Record<string, string> = { conv0: 'conv1', conv1: 'conv2', conv1b: 'conv2b', conv2: 'conv3', conv_shortcut: 'downsample.conv' };

/** Our `layer/weight` name for a haiku key, given the blocks per stage. */
export function haikuToOurs(key: string, depths: readonly number[]): string | undefined {
  const blockName = (k: number): string => {
    let rest = k;
    for (let s = 0; s < depths.length; s++) {
      if (rest < depths[s]!) return `stages.${s}.${rest}`;
      rest -= depths[s]!;
    }
    return `stages.?.${k}`;
  };
  const param = (p: string) => ({ w: 'kernel', b: 'bias', bias: 'bias', gain: 'gain' })[p];
  let m = /^NFNet\/~\/stem_conv(\d+)\/(w|gain|bias)$/.exec(key);
  if (m) return `stem.conv${Number(m[1]) + 1}/${param(m[2]!)}`;
  m = /^NFNet\/~\/final_conv\/(w|gain|bias)$/.exec(key);
  if (m) return `final_conv/${param(m[1]!)}`;
  m = /^NFNet\/~\/linear\/(w|b)$/.exec(key);
  if (m) return `head.fc/${param(m[1]!)}`;
  m = /^NFNet\/~\/nf_block(?:_(\d+))?(?:\/~\/(.+))?\/(\w+)$/.exec(key);
  if (!m) return undefined;
  const block = blockName(Number(m[1] ?? 0));
  const [, , path, p] = m;
  if (path === undefined) return p === 'skip_gain' ? `${block}.residual/skip_gain` : undefined;
  if (CONV_PART[path]) return `${block}.${CONV_PART[path]}/${param(p!)}`;
  if (path === 'squeeze_excite/~/linear') return `${block}.attn_last/fc1_${p === 'w' ? 'kernel' : 'bias'}`;
  if (path === 'squeeze_excite/~/linear_1') return `${block}.attn_last/fc2_${p === 'w' ? 'kernel' : 'bias'}`;
  return undefined;
}
