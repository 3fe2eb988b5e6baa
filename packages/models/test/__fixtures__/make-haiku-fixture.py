"""Writes tiny_dm_haiku.npz: the timm fixture's weights (fixtures/timm) under DeepMind's haiku names and
layouts, as the documented conversion of a DeepMind `F*_haiku.npz` pickle produces them.

Run from this folder:  python3 make-haiku-fixture.py
(needs numpy only; reads ../../../../fixtures/timm/tiny_dm_nfnet_public.safetensors)

Name map (nfnet-facts.md section 8): stem.conv{i+1} <- NFNet/~/stem_conv{i}; stages.s.b.conv1/conv2/conv2b/conv3
<- NFNet/~/nf_block{_k}/~/conv0/conv1/conv1b/conv2; downsample.conv <- conv_shortcut; attn_last.fc1/fc2 <-
squeeze_excite/~/linear / linear_1; skipinit_gain <- nf_block{_k} skip_gain; final_conv; head.fc <- NFNet/~/linear.
Layouts: conv OIHW -> HWIO; gains [C,1,1,1] -> [C]; SE 1x1 conv [out,in,1,1] -> linear [in,out]; fc [out,in] -> [in,out].
"""
import json, struct, re
import numpy as np

path = '../../../../fixtures/timm/tiny_dm_nfnet_public.safetensors'
raw = open(path, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
tensors = {}
for k, v in header.items():
    if k == '__metadata__':
        continue
    b, e = v['data_offsets']
    tensors[k] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype='<f4').reshape(v['shape'])

depths = json.loads(header['__metadata__']['cfg_overlay'])['depths']
block_of = {}
k = 0
for s, d in enumerate(depths):
    for b in range(d):
        block_of[(s, b)] = 'nf_block' if k == 0 else f'nf_block_{k}'
        k += 1

out = {}
conv_names = {'conv1': 'conv0', 'conv2': 'conv1', 'conv2b': 'conv1b', 'conv3': 'conv2', 'downsample.conv': 'conv_shortcut'}
for key, t in tensors.items():
    m = re.match(r'stem\.conv(\d)\.(weight|gain|bias)$', key)
    if m:
        mod, p = f'NFNet/~/stem_conv{int(m[1]) - 1}', m[2]
    elif key.startswith('final_conv.'):
        mod, p = 'NFNet/~/final_conv', key.split('.')[-1]
    elif key.startswith('head.fc.'):
        mod, p = 'NFNet/~/linear', key.split('.')[-1]
    else:
        m = re.match(r'stages\.(\d+)\.(\d+)\.(.+)\.(weight|gain|bias)$', key)
        if m:
            blk = 'NFNet/~/' + block_of[(int(m[1]), int(m[2]))]
            part = m[3]
            if part in conv_names:
                mod, p = f'{blk}/~/{conv_names[part]}', m[4]
            elif part == 'attn_last.fc1':
                mod, p = f'{blk}/~/squeeze_excite/~/linear', m[4]
            elif part == 'attn_last.fc2':
                mod, p = f'{blk}/~/squeeze_excite/~/linear_1', m[4]
            else:
                raise SystemExit(f'unmapped {key}')
        else:
            m = re.match(r'stages\.(\d+)\.(\d+)\.skipinit_gain$', key)
            mod, p = 'NFNet/~/' + block_of[(int(m[1]), int(m[2]))], 'skip_gain'
    p = {'weight': 'w', 'bias': 'b' if ('linear' in mod) else 'bias'}.get(p, p)
    if t.ndim == 4 and 'squeeze_excite' in mod:
        t = t.reshape(t.shape[0], t.shape[1]).T
    elif t.ndim == 4 and p == 'w':
        t = t.transpose(2, 3, 1, 0)
    elif t.ndim == 4:
        t = t.reshape(-1)
    elif t.ndim == 2:
        t = t.T
    out[f'{mod}/{p}'] = np.array(t, dtype=np.float32, order='C')  # keeps 0-d scalars 0-d

np.savez_compressed('tiny_dm_haiku.npz', **out)
print(len(out), 'arrays written')
