#!/usr/bin/env python3
"""PyTorch side of scripts/gpu/bench-gpu.sh: the same measurements as bench-train.mjs and
bench-conv.mjs, with timm's model, on CUDA, in fp32 (TF32 off unless --tf32), NCHW.

  train: timm.create_model(MODEL) (drop_rate 0, random init), images randn [B,3,R,R], random labels;
         a step = forward, cross-entropy with label smoothing 0.1, backward, AGC (lambda 0.01,
         eps 1e-3, unit-wise, every parameter but the classifier weight; timm's adaptive_clip_grad),
         coupled weight decay 2e-5 on weights of rank >= 2, SGD Nesterov momentum 0.9; the loss is
         read (.item()) after each step, as the tfjs side reads it. Batches in the given order
         until one runs out of memory or the time budget would be exceeded.
  conv:  every shape of bench-conv.mjs's --shapes-out file: TF-'SAME' padding (F.pad) + F.conv2d
         with groups; forward, and forward + backward (dX, dW) counted as 3x the forward FLOPs.

One JSON line per measurement on stdout (impl "torch"). Without torch (or timm for train) one
line says so and the exit status is 0.

python3 scripts/gpu/bench_torch.py train --model dm_nfnet_f0 --res 224 --batches 16,32,64
        [--steps 5] [--warmup 2] [--budget-s 120] [--device cuda] [--tf32]
python3 scripts/gpu/bench_torch.py conv --shapes shapes.json [--iters 10] [--device cuda] [--tf32]
(--model selftest: a small plain-torch convnet, to try the script without timm or a GPU.)
"""
import argparse
import json
import math
import sys
import time


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "conv"])
    p.add_argument("--model", default="dm_nfnet_f0")
    p.add_argument("--res", type=int, default=224)
    p.add_argument("--batches", default="16,32,64")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--budget-s", type=float, default=120)
    p.add_argument("--shapes")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--device", default="cuda")
    p.add_argument("--tf32", action="store_true")
    a = p.parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        emit({"bench": a.what, "impl": "torch", "ok": False, "skipped": True, "error": f"torch not importable: {e}"})
        return
    if a.device == "cuda" and not torch.cuda.is_available():
        emit({"bench": a.what, "impl": "torch", "ok": False, "skipped": True, "error": "torch sees no CUDA device"})
        return
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    dev = torch.device(a.device)
    info = {
        "impl": "torch",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu",
        "precision": "tf32" if a.tf32 else "fp32",
    }
    if a.what == "train":
        train(torch, a, dev, info)
    else:
        conv(torch, a, dev, info)


def sync(torch, dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def is_oom(torch, e):
    return isinstance(e, getattr(torch.cuda, "OutOfMemoryError", ())) or "out of memory" in str(e).lower()


def make_model(torch, a):
    if a.model == "selftest":
        nn = torch.nn
        m = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.GELU(), nn.Conv2d(16, 32, 3, 1, 1, groups=2), nn.GELU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten())
        m.add_module("fc", nn.Linear(32, a.classes))
        return m, "selftest", "fc.weight"
    import timm
    m = timm.create_model(a.model, pretrained=False, num_classes=a.classes)
    classifier = m.get_classifier()
    names = {id(p): n for n, p in m.named_parameters()}
    return m, f"timm {timm.__version__}", names.get(id(classifier.weight), "head.fc.weight")


def unitwise_norm(torch, x):
    # timm.utils.agc.unitwise_norm: whole tensor for rank <= 1, else per output unit.
    if x.ndim <= 1:
        return x.norm(2.0)
    return x.norm(2.0, dim=tuple(range(1, x.ndim)), keepdim=True)


def train(torch, a, dev, info):
    try:
        model, source, classifier = make_model(torch, a)
    except Exception as e:  # noqa: BLE001
        emit({"bench": "train", **info, "model": a.model, "ok": False, "skipped": True, "error": f"cannot build the model: {e}"})
        return
    model = model.to(dev).train()
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.SGD([p for _, p in params], lr=0.1, momentum=0.9, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    n_params = sum(p.numel() for _, p in params)
    base = {"bench": "train", **info, "source": source, "model": a.model, "res": a.res, "params": n_params, "steps": a.steps, "warmup": a.warmup}

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for n, p in params:
                if p.grad is None:
                    continue
                if n != classifier:  # AGC
                    pn = unitwise_norm(torch, p).clamp_(min=1e-3)
                    gn = unitwise_norm(torch, p.grad)
                    max_norm = pn * 0.01
                    p.grad.copy_(torch.where(gn < max_norm, p.grad, p.grad * (max_norm / gn.clamp(min=1e-6))))
                if p.ndim >= 2:
                    p.grad.add_(p, alpha=2e-5)
        opt.step()
        return loss.item()

    started = time.perf_counter()
    last = 0.0
    for batch in [int(b) for b in a.batches.split(",") if b]:
        if time.perf_counter() - started + 2 * last > a.budget_s:
            emit({**base, "batch": batch, "ok": False, "skipped": True, "error": f"time budget ({a.budget_s:g} s) would be exceeded"})
            break
        t0 = time.perf_counter()
        record = {**base, "batch": batch}
        x = y = None
        try:
            if dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            x = torch.randn(batch, 3, a.res, a.res, device=dev)
            y = torch.randint(0, a.classes, (batch,), device=dev)
            losses = []
            s0 = time.perf_counter()
            for i in range(a.warmup):
                losses.append(step(x, y))
                if i == 0:
                    first = time.perf_counter() - s0
            sync(torch, dev)
            s0 = time.perf_counter()
            for _ in range(a.steps):
                losses.append(step(x, y))
            sync(torch, dev)
            seconds = time.perf_counter() - s0
            if not all(math.isfinite(v) for v in losses):
                raise RuntimeError(f"non-finite loss {losses}")
            record.update(ok=True, imgPerSec=batch * a.steps / seconds, stepMs=seconds * 1000 / a.steps,
                          firstStepS=first if a.warmup else None, losses=[round(v, 5) for v in losses])
            if dev.type == "cuda":
                record["peakMiB"] = round(torch.cuda.max_memory_allocated() / 2**20)
            emit(record)
        except Exception as e:  # noqa: BLE001
            emit({**record, "ok": False, "oom": is_oom(torch, e), "error": str(e).split("\n")[0][:300]})
            break
        finally:
            del x, y
            opt.zero_grad(set_to_none=True)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            last = time.perf_counter() - t0


def conv(torch, a, dev, info):
    import torch.nn.functional as F
    spec = json.load(open(a.shapes))
    batch = spec["batch"]

    def same_pad(size, k, s):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2

    def timed(fn):
        for _ in range(2):
            fn()
        sync(torch, dev)
        t0 = time.perf_counter()
        for _ in range(a.iters):
            fn()
        sync(torch, dev)
        return (time.perf_counter() - t0) / a.iters

    for s in spec["shapes"]:
        record = {"bench": "conv", **info, "model": spec["model"], "res": spec["res"], "batch": batch, **s}
        flops = 2 * batch * s["outHw"] ** 2 * s["cout"] * (s["cin"] // s["groups"]) * s["k"] ** 2
        try:
            x = torch.randn(batch, s["cin"], s["hw"], s["hw"], device=dev, requires_grad=True)
            w = (0.05 * torch.randn(s["cout"], s["cin"] // s["groups"], s["k"], s["k"], device=dev)).requires_grad_()
            pl, pr = same_pad(s["hw"], s["k"], s["stride"])

            def fwd():
                return F.conv2d(F.pad(x, (pl, pr, pl, pr)), w, stride=s["stride"], groups=s["groups"])

            def both():
                dx, dw = torch.autograd.grad(fwd().sum(), (x, w))
                return dx, dw

            with torch.no_grad():
                t_fwd = timed(fwd)
            t_both = timed(both)
            emit({**record, "ok": True, "gflop": flops / 1e9, "fwdMs": t_fwd * 1000, "fwdGflops": flops / t_fwd / 1e9,
                  "fwdBwdMs": t_both * 1000, "fwdBwdGflops": 3 * flops / t_both / 1e9})
        except Exception as e:  # noqa: BLE001
            emit({**record, "ok": False, "oom": is_oom(torch, e), "error": str(e).split("\n")[0][:300]})
        finally:
            x = w = None
            if dev.type == "cuda":
                torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
