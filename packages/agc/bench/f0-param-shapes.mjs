/**
 * Every parameter shape of NFNet-F0 (DeepMind definition, 1000 classes) in tfjs layouts,
 * derived from the architecture (deepmind-research nfnets/nfnet.py): 4-conv stem, stages of
 * bottleneck blocks with group width 128, SE ratio 0.5, final conv 2x1536, linear classifier.
 * The count is checked against the published 71,489,284 parameters.
 */
export function f0ParamShapes() {
  const shapes = [];
  const conv = (name, k, cin, cout) => {
    shapes.push([`${name}/w`, [k, k, cin, cout]], [`${name}/gain`, [cout]], [`${name}/bias`, [cout]]);
  };
  const stem = [16, 32, 64, 128];
  let cin = 3;
  stem.forEach((c, i) => {
    conv(`stem_conv${i}`, 3, cin, c);
    cin = c;
  });
  const widths = [256, 512, 1536, 1536];
  const depths = [1, 2, 6, 3];
  const strides = [1, 2, 2, 2];
  let block = 0;
  widths.forEach((out, s) => {
    for (let b = 0; b < depths[s]; b++, block++) {
      const stride = b === 0 ? strides[s] : 1;
      const groups = Math.floor(Math.floor(out * 0.5) / 128);
      const mid = 128 * groups;
      const p = `block${block}`;
      conv(`${p}/conv0`, 1, cin, mid);
      conv(`${p}/conv1`, 3, mid / groups, mid);
      conv(`${p}/conv1b`, 3, mid / groups, mid);
      conv(`${p}/conv2`, 1, mid, out);
      if (stride > 1 || cin !== out) conv(`${p}/conv_shortcut`, 1, cin, out);
      const hidden = Math.max(1, Math.floor(out * 0.5));
      shapes.push([`${p}/squeeze_excite/linear/w`, [out, hidden]], [`${p}/squeeze_excite/linear/b`, [hidden]]);
      shapes.push([`${p}/squeeze_excite/linear_1/w`, [hidden, out]], [`${p}/squeeze_excite/linear_1/b`, [out]]);
      shapes.push([`${p}/skip_gain`, []]);
      cin = out;
    }
  });
  conv('final_conv', 1, cin, 2 * cin);
  shapes.push(['linear/w', [2 * cin, 1000]], ['linear/b', [1000]]);
  const total = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  if (total !== 71_489_284) throw new Error(`F0 parameter count ${total} != 71,489,284: the shape table is wrong`);
  return shapes;
}
