#!/usr/bin/env python3
"""torchvision side of apps/trainer/bench/pipeline-vs-torchvision.mjs (run that, not this).

The NFNet-F0 training transform as torchvision writes it, on PIL images from datasets.ImageFolder
through a DataLoader:

    RandomResizedCrop(224, bicubic) -> RandomHorizontalFlip -> RandAugment(4 ops) -> ToTensor -> Normalize(ImageNet)

RandAugment magnitude: DeepMind's M = 5 on its 0..10 scale is half of each op's largest strength
(level = M / 10). torchvision's RandAugment takes a bin index m out of num_magnitude_bins = 31 and
uses linspace(0, max, 31)[m], so the same half-way point is m = 5 / 10 * (31 - 1) = 15:
rotate 15 deg (DeepMind 15), shear 0.15 (0.15), translate 150/331 * 224 / 2 = 50.8 px (50 px at 224),
solarize threshold 127.5 (128), Brightness/Color/Contrast/Sharpness factor 1 +- 0.45 (DeepMind:
1.8 * 0.5 + 0.1 = 1.0), Posterize keeps 6 bits (DeepMind's TF code keeps int(4 * 0.5) = 2). The op
sets differ: torchvision's 14 ops include Identity and lack Invert, Cutout and SolarizeAdd, which
DeepMind's 16 include. Geometric ops use nearest neighbour and fill 128, as DeepMind's.

Modes (JSON lines on stdout):
  --versions                       torch / torchvision / Pillow versions, then exit
  ROOT --workers N --batches K     images/s through DataLoader(batch_size, num_workers=N) after one
                                   warm-up batch, K timed batches; plus the CPU the workers and the
                                   main process used in the timed window
  ROOT --breakdown N               CPU ms per image of each step on one thread, in this process, on the
                                   first N images of ROOT (after an untimed pass over 8 of them)

Reads only ROOT (the temporary image folder the .mjs writes). Needs python3-torchvision (Debian);
exits 3 with {"missing": ...} when torch or torchvision cannot be imported.
"""
import argparse
import io
import json
import resource
import sys
import time

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
DM_MAGNITUDE = 5  # NFNet-F0: RandAugment 4 layers at magnitude 5 of 10
BINS = 31
TV_MAGNITUDE = round(DM_MAGNITUDE / 10 * (BINS - 1))  # 15


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('root', nargs='?')
    p.add_argument('--versions', action='store_true')
    p.add_argument('--workers', type=int, default=1)
    p.add_argument('--batches', type=int, default=14)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--breakdown', type=int, default=0)
    args = p.parse_args()

    try:
        import PIL
        import torch
        import torchvision
        from torch.utils.data import DataLoader, RandomSampler, get_worker_info
        from torchvision import datasets, transforms as T
        from torchvision.transforms import InterpolationMode
    except ImportError as e:  # the .mjs prints a skip line
        emit({'side': 'torchvision', 'missing': str(e)})
        sys.exit(3)

    if args.versions:
        emit({'side': 'torchvision', 'versions': {'torch': torch.__version__, 'torchvision': torchvision.__version__,
                                                  'pillow': PIL.__version__, 'python': sys.version.split()[0]}})
        return

    size = args.size
    fill = [128, 128, 128]
    rrc = T.RandomResizedCrop(size, interpolation=InterpolationMode.BICUBIC)
    ra = T.RandAugment(num_ops=4, magnitude=TV_MAGNITUDE, num_magnitude_bins=BINS,
                       interpolation=InterpolationMode.NEAREST, fill=fill)
    to_tensor = T.ToTensor()
    normalize = T.Normalize(MEAN, STD)
    transform = T.Compose([rrc, T.RandomHorizontalFlip(), ra, to_tensor, normalize])

    if args.breakdown:
        breakdown(args, torch, datasets, T, rrc, ra, to_tensor, normalize, fill)
        return

    class TimedFolder(datasets.ImageFolder):
        """ImageFolder whose samples also carry (worker id, monotonic time, that process's CPU time),
        so the main process can tell how much CPU each worker used in the timed window."""

        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            info = get_worker_info()
            return image, label, -1 if info is None else info.id, time.monotonic(), time.process_time()

    torch.manual_seed(0)
    ds = TimedFolder(args.root, transform=transform)
    total = (1 + args.batches) * args.batch_size
    # One iterator over as many shuffled passes as needed (no pipeline restart at epoch ends).
    sampler = RandomSampler(ds, replacement=False, num_samples=total)
    loader = DataLoader(ds, batch_size=args.batch_size, sampler=sampler, num_workers=args.workers, drop_last=True)
    it = iter(loader)
    next(it)  # warm-up: worker start-up, first decode
    t0 = time.monotonic()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    images = 0
    per_worker = {}
    for images_t, _labels, wid, mono, cpu in it:
        images += images_t.shape[0]
        for w, m, c in zip(wid.tolist(), mono.tolist(), cpu.tolist()):
            per_worker.setdefault(w, []).append((m, c))
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    del it
    seconds = t1 - t0
    worker_cores = 0.0
    for samples in per_worker.values():
        inside = sorted(s for s in samples if t0 <= s[0] <= t1)
        if len(inside) >= 2 and inside[-1][0] > inside[0][0]:
            worker_cores += (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
    main_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    emit({'side': 'torchvision', 'workers': args.workers, 'images': images, 'seconds': seconds,
          'imagesPerSecond': images / seconds, 'workerCores': worker_cores, 'mainCores': main_cpu / seconds,
          'magnitudeBin': TV_MAGNITUDE, 'bins': BINS})


def breakdown(args, torch, datasets, T, rrc, ra, to_tensor, normalize, fill):
    """CPU ms per image of each step, one thread, in this process (what one DataLoader worker runs)."""
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.autoaugment import _apply_op

    torch.set_num_threads(1)  # a DataLoader worker runs with one torch thread
    torch.manual_seed(0)
    paths = [p for p, _ in datasets.ImageFolder(args.root).samples][: args.breakdown]
    step(paths[:8], rrc, ra, to_tensor, normalize, F)  # warm-up, not reported
    ms, crops = step(paths, rrc, ra, to_tensor, normalize, F)
    n = len(paths)
    clock = time.process_time
    ops = {}
    space = ra._augmentation_space(BINS, (args.size, args.size))
    for op, (magnitudes, _signed) in space.items():
        value = float(magnitudes[TV_MAGNITUDE].item()) if magnitudes.ndim > 0 else 0.0
        t = clock()
        for crop in crops:
            _apply_op(crop, op, value, interpolation=InterpolationMode.NEAREST, fill=fill)
        ops[op] = (clock() - t) * 1000 / n
    emit({'side': 'torchvision', 'breakdown': {k: v / n for k, v in ms.items()}, 'ops': ops, 'images': n,
          'threads': torch.get_num_threads()})


def step(paths, rrc, ra, to_tensor, normalize, F):
    """Total CPU ms of each step over `paths`, and the 224² crops."""
    from PIL import Image

    clock = time.process_time  # CPU time: other processes' load does not count
    ms = {}

    def add(name, seconds):
        ms[name] = ms.get(name, 0.0) + seconds * 1000

    crops = []
    for path in paths:
        t = clock()
        with open(path, 'rb') as f:
            data = f.read()
        add('read', clock() - t)
        t = clock()
        image = Image.open(io.BytesIO(data)).convert('RGB')  # what ImageFolder's pil_loader does
        add('decode', clock() - t)
        t = clock()
        crop = rrc(image)
        add('randomResizedCrop', clock() - t)
        t = clock()
        F.hflip(crop)
        add('flipWhenApplied', clock() - t)
        t = clock()
        augmented = ra(crop)
        add('randAugment', clock() - t)
        t = clock()
        x = to_tensor(augmented)
        add('toTensor', clock() - t)
        t = clock()
        normalize(x)
        add('normalize', clock() - t)
        crops.append(crop)
    return ms, crops


if __name__ == '__main__':
    main()
