#!/usr/bin/env python3
"""Reference outputs of Pillow for the pixel ops of RandAugment, used by src/augment/*.test.ts.

    /usr/bin/python3 scripts/make-pil-fixtures.py   (Debian bookworm: python3-pil 9.4, python3-numpy)

Writes src/augment/__fixtures__/pil-ops.json: small seeded RGB and L images and, for each op and
argument, Pillow's output bytes (row-major HWC).
"""
import json
import os

import numpy as np
import PIL
from PIL import Image, ImageEnhance, ImageOps

rng = np.random.default_rng(20210211)


def images():
    out = {}
    out["rgb_random"] = rng.integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    ramp = np.linspace(60, 170, 6 * 7).reshape(6, 7)
    out["rgb_narrow"] = np.stack([ramp, ramp[::-1] * 0.8 + 20, np.full_like(ramp, 90) + rng.integers(0, 5, size=(6, 7))], -1).round().astype(np.uint8)
    out["gray_random"] = rng.integers(0, 256, size=(5, 8), dtype=np.uint8)
    out["gray_skewed"] = np.clip(rng.normal(40, 20, size=(9, 9)), 0, 255).round().astype(np.uint8)
    return out


def to_list(img):
    return np.asarray(img).reshape(-1).tolist()


fixtures = {"pillow": PIL.__version__, "images": {}, "cases": []}
for name, arr in images().items():
    shape = list(arr.shape) + ([1] if arr.ndim == 2 else [])
    fixtures["images"][name] = {"height": shape[0], "width": shape[1], "channels": shape[2], "data": arr.reshape(-1).tolist()}
    im = Image.fromarray(arr)

    def case(op, arg, out):
        fixtures["cases"].append({"image": name, "op": op, "arg": arg, "data": to_list(out)})

    case("autocontrast", None, ImageOps.autocontrast(im))
    case("equalize", None, ImageOps.equalize(im))
    case("invert", None, ImageOps.invert(im))
    for bits in [0, 1, 2, 4, 6, 8]:
        case("posterize", bits, ImageOps.posterize(im, bits) if bits > 0 else Image.fromarray(np.zeros_like(arr)))
    for threshold in [0, 64, 128, 200, 256]:
        case("solarize", threshold, ImageOps.solarize(im, threshold))
    for factor in [0.0, 0.1, 0.55, 1.0, 1.27, 1.9, 2.8]:
        case("color", factor, ImageEnhance.Color(im).enhance(factor))
        case("contrast", factor, ImageEnhance.Contrast(im).enhance(factor))
        case("brightness", factor, ImageEnhance.Brightness(im).enhance(factor))
        case("sharpness", factor, ImageEnhance.Sharpness(im).enhance(factor))
    if im.mode == "RGB":
        case("luma", None, im.convert("L"))

path = os.path.join(os.path.dirname(__file__), "..", "src", "augment", "__fixtures__", "pil-ops.json")
with open(path, "w") as f:
    json.dump(fixtures, f, separators=(",", ":"))
print(f"wrote {len(fixtures['cases'])} cases to {os.path.normpath(path)}")
