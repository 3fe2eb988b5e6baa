#!/usr/bin/env python3
"""Reference pixels of the two evaluation transforms, used by src/augment/eval-transform.test.ts.

    /usr/bin/python3 scripts/make-eval-fixtures.py   (Debian bookworm: python3-pil 9.4, python3-numpy 1.24)

Draws three deterministic non-square pictures (gradients, stripes, a disc, a ring and hard-edged
boxes, so that squashing or a shifted crop shows) and writes, under src/augment/__fixtures__/eval/:
the pictures (input-*.png), one PNG per case with the reference output, and cases.json (what each
case is). Nothing random; rerunning rewrites the same files.

timm (huggingface/pytorch-image-models @ aa4b5850, timm/data/transforms_factory.py
`transforms_imagenet_eval`, timm/data/transforms.py `ResizeKeepRatio`) with torchvision's `Resize`
and `CenterCrop` on PIL images, written out here so that torch is not needed:
  scale_size = floor(size / crop_pct);
  crop_mode 'center', square target: torchvision Resize(scale_size): the shorter side becomes
    scale_size, the longer int(scale_size * long / short); PIL Image.resize (antialiased);
  crop_mode 'center', non-square target: ResizeKeepRatio(scale_size): ratio = min(h / th, w / tw),
    size round(h / ratio) x round(w / ratio), always bilinear (timm does not pass the interpolation);
  crop_mode 'squash': Resize((sh, sw)), both sides, aspect not kept;
  CenterCrop(size): top = int(round((h - th) / 2.0)), Python's round (half to even).
PIL's resize is Pillow's own C code (the same as torchvision's PIL path).

DeepMind (google-deepmind/deepmind-research @ f5de0ed, nfnets/dataset.py):
  eval_preproc 'crop_resize' (`_decode_and_center_crop` + `tf.image.resize(..., BICUBIC)`):
    scale = min(float32(h) / (S_h + 32), float32(w) / (S_w + 32)), crop = int32(scale * S) per side,
    offsets ((h - crop_h + 1) // 2, (w - crop_w + 1) // 2), then resize to S;
  eval_preproc 'resize_crop_32' (`_decode_and_resize_then_crop`, what experiment_nfnets.py sets):
    resize the whole image to (S_h + 32, S_w + 32), aspect not kept, crop offset 16.
TensorFlow 2's `tf.image.resize` without antialias is written out in NumPy float32 from
tensorflow/core/kernels/image/resize_bicubic_op.cc and resize_bilinear_op.cc (half_pixel_centers):
bicubic = Keys a = -0.5 from a 1024-entry float32 table, taps outside the image get weight 0 and the
rest are renormalised, columns interpolated along y first, then along x; bilinear = indices clamped,
lerp along x, then y. TF returns floats; they are rounded half up and clipped to bytes here, as the
pipeline does.
"""
import json
import math
import os

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "augment", "__fixtures__", "eval")
PIL_FILTER = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


# ---------------------------------------------------------------- pictures

def picture(width, height, channels):
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / (width - 1), y / (height - 1)
    cx, cy = 0.42 * width, 0.55 * height
    r = np.hypot(x - cx, y - cy)
    disc = r < 0.22 * min(width, height)
    ring = np.abs(r - 0.36 * min(width, height)) < 2.0
    stripes = (np.floor(x / 3) % 2 == 0) & (y < 0.2 * height)
    box = (x > 0.72 * width) & (x < 0.9 * width) & (y > 0.12 * height) & (y < 0.8 * height)
    diag = np.abs((x - 0.1 * width) - 0.6 * (y - 0.6 * height)) < 1.5
    red = 30 + 200 * u
    green = 20 + 180 * v
    blue = 120 + 100 * np.sin(2 * np.pi * (u * 1.5 + v * 0.7))
    img = np.stack([red, green, blue], -1)
    img[disc] = [240, 200, 40]
    img[ring] = [10, 10, 10]
    img[stripes] = img[stripes] * 0.25
    img[box] = [250, 250, 250]
    img[diag] = [200, 20, 160]
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if channels == 1:
        return np.asarray(Image.fromarray(img).convert("L"))
    return img


PICTURES = {
    "landscape": picture(160, 120, 3),  # the 160 x 120
    "portrait": picture(120, 200, 3),
    "gray": picture(101, 67, 1),  # odd sizes: crop offsets with halves
}


# ---------------------------------------------------------------- timm / torchvision on PIL

def timm_eval(arr, size, crop_pct, interpolation, crop_mode):
    im = Image.fromarray(arr)
    th, tw = size
    scale = (math.floor(th / crop_pct), math.floor(tw / crop_pct))
    w, h = im.size
    if crop_mode == "squash":
        new_h, new_w = scale
        interp = interpolation
    elif scale[0] == scale[1]:
        s = scale[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        interp = interpolation
    else:
        ratio = min(h / scale[0], w / scale[1])
        new_h, new_w = round(h / ratio), round(w / ratio)
        interp = "bilinear"
    if (new_w, new_h) != im.size:
        im = im.resize((new_w, new_h), PIL_FILTER[interp])
    w, h = im.size
    top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
    return np.asarray(im.crop((left, top, left + tw, top + th)))


# ---------------------------------------------------------------- TensorFlow 2 tf.image.resize

K_TABLE = 1024


def _coeffs_table(a=-0.5):
    table = np.zeros((K_TABLE + 1) * 2, np.float32)
    for i in range(K_TABLE + 1):
        x = float(np.float32(i * 1.0 / K_TABLE))
        table[i * 2] = ((a + 2) * x - (a + 3)) * x * x + 1
        x = float(np.float32(x + 1.0))
        table[i * 2 + 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return table


TABLE = _coeffs_table()
F32 = np.float32


def _cubic_taps(in_size, out_size):
    scale = F32(in_size) / F32(out_size)
    idx = np.zeros((out_size, 4), np.int64)
    wts = np.zeros((out_size, 4), np.float32)
    for o in range(out_size):
        in_f = (F32(o) + F32(0.5)) * scale - F32(0.5)
        base = int(math.floor(in_f))
        delta = F32(in_f - F32(base))
        off = int(np.rint(F32(delta * F32(K_TABLE))))
        raw = [TABLE[off * 2 + 1], TABLE[off * 2], TABLE[(K_TABLE - off) * 2], TABLE[(K_TABLE - off) * 2 + 1]]
        for k in range(4):
            want = base - 1 + k
            got = min(in_size - 1, max(0, want))
            idx[o, k] = got
            wts[o, k] = raw[k] if got == want else F32(0)
        total = F32(F32(F32(wts[o, 0] + wts[o, 1]) + wts[o, 2]) + wts[o, 3])
        if abs(total) >= 1000 * np.finfo(np.float32).tiny:
            inv = F32(F32(1) / total)
            wts[o] = wts[o] * inv
    return idx, wts


def tf_resize_bicubic(arr, out_h, out_w):
    src = arr.astype(np.float32)
    if src.ndim == 2:
        src = src[:, :, None]
    yi, yw = _cubic_taps(src.shape[0], out_h)
    xi, xw = _cubic_taps(src.shape[1], out_w)
    # along y for every source column: cols[o_y, x, c]
    acc = src[yi[:, 0]] * yw[:, 0, None, None]
    for k in range(1, 4):
        acc = acc + src[yi[:, k]] * yw[:, k, None, None]
    out = acc[:, xi[:, 0]] * xw[None, :, 0, None]
    for k in range(1, 4):
        out = out + acc[:, xi[:, k]] * xw[None, :, k, None]
    return out.astype(np.float32)


def _linear_taps(in_size, out_size):
    scale = F32(in_size) / F32(out_size)
    lo = np.zeros(out_size, np.int64)
    hi = np.zeros(out_size, np.int64)
    lerp = np.zeros(out_size, np.float32)
    for o in range(out_size):
        v = (F32(o) + F32(0.5)) * scale - F32(0.5)
        fl = F32(math.floor(v))
        lo[o] = max(int(fl), 0)
        hi[o] = min(int(math.ceil(v)), in_size - 1)
        lerp[o] = F32(v - fl)
    return lo, hi, lerp


def tf_resize_bilinear(arr, out_h, out_w):
    src = arr.astype(np.float32)
    if src.ndim == 2:
        src = src[:, :, None]
    ylo, yhi, yl = _linear_taps(src.shape[0], out_h)
    xlo, xhi, xl = _linear_taps(src.shape[1], out_w)
    xl = xl[None, :, None]
    top = src[ylo][:, xlo] + (src[ylo][:, xhi] - src[ylo][:, xlo]) * xl
    bottom = src[yhi][:, xlo] + (src[yhi][:, xhi] - src[yhi][:, xlo]) * xl
    return (top + (bottom - top) * yl[:, None, None]).astype(np.float32)


def to_bytes(f, channels):
    out = np.clip(np.floor(f.astype(np.float64) + 0.5), 0, 255).astype(np.uint8)
    return out[:, :, 0] if channels == 1 else out


def deepmind_eval(arr, size, padding, interpolation, crop_mode):
    h, w = arr.shape[:2]
    th, tw = size
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    resize = tf_resize_bicubic if interpolation == "bicubic" else tf_resize_bilinear
    if crop_mode == "squash":
        sh, sw = th + padding, tw + padding
        full = resize(arr, sh, sw)
        top, left = (sh - th + 1) // 2, (sw - tw + 1) // 2
        return to_bytes(full[top:top + th, left:left + tw], channels)
    scale = min(F32(h) / F32(th + padding), F32(w) / F32(tw + padding))
    ch, cw = int(F32(scale * F32(th))), int(F32(scale * F32(tw)))
    top, left = (h - ch + 1) // 2, (w - cw + 1) // 2
    return to_bytes(resize(arr[top:top + ch, left:left + cw], th, tw), channels)


# ---------------------------------------------------------------- cases

CASES = [
    # name, picture, convention, cropMode, [h, w], cropPct or padding, interpolation
    ("timm-landscape-64", "landscape", "timm", "center", [64, 64], 0.875, "bilinear"),
    ("timm-landscape-64-nfnet", "landscape", "timm", "center", [64, 64], 0.9, "bicubic"),
    ("timm-portrait-64", "portrait", "timm", "center", [64, 64], 0.875, "bilinear"),
    ("timm-portrait-128-up", "portrait", "timm", "center", [128, 128], 0.875, "bicubic"),
    ("timm-gray-48-full", "gray", "timm", "center", [48, 48], 1.0, "bilinear"),
    ("timm-landscape-48x64", "landscape", "timm", "center", [48, 64], 0.875, "bilinear"),
    ("timm-landscape-64-squash", "landscape", "timm", "squash", [64, 64], 0.9, "bicubic"),
    ("deepmind-landscape-64", "landscape", "deepmind", "center", [64, 64], 32, "bicubic"),
    ("deepmind-portrait-64", "portrait", "deepmind", "center", [64, 64], 32, "bicubic"),
    ("deepmind-portrait-128-up", "portrait", "deepmind", "center", [128, 128], 32, "bicubic"),
    ("deepmind-gray-48", "gray", "deepmind", "center", [48, 48], 32, "bicubic"),
    ("deepmind-landscape-48x64", "landscape", "deepmind", "center", [48, 64], 32, "bicubic"),
    ("deepmind-portrait-64-bilinear", "portrait", "deepmind", "center", [64, 64], 32, "bilinear"),
    ("deepmind-landscape-64-squash", "landscape", "deepmind", "squash", [64, 64], 32, "bicubic"),
]


def save_png(arr, name):
    Image.fromarray(arr).save(os.path.join(OUT, name), optimize=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"pillow": PIL.__version__, "numpy": np.__version__, "pictures": {}, "cases": []}
    for name, arr in PICTURES.items():
        save_png(arr, f"input-{name}.png")
        manifest["pictures"][name] = {"file": f"input-{name}.png", "height": arr.shape[0], "width": arr.shape[1],
                                      "channels": 1 if arr.ndim == 2 else arr.shape[2]}
    for name, pic, convention, crop_mode, size, amount, interpolation in CASES:
        arr = PICTURES[pic]
        if convention == "timm":
            out = timm_eval(arr, tuple(size), amount, interpolation, crop_mode)
        else:
            out = deepmind_eval(arr, tuple(size), amount, interpolation, crop_mode)
        assert out.shape[:2] == tuple(size), (name, out.shape)
        save_png(out, f"{name}.png")
        case = {"name": name, "picture": pic, "convention": convention, "cropMode": crop_mode, "size": size,
                "interpolation": interpolation, "file": f"{name}.png"}
        case["cropPct" if convention == "timm" else "padding"] = amount
        manifest["cases"].append(case)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(manifest['cases'])} cases and {len(PICTURES)} pictures to {os.path.normpath(OUT)} ({total} bytes)")


if __name__ == "__main__":
    main()
