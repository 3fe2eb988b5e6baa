#!/usr/bin/env python3
"""Plain-PyTorch twin of our CPU training benchmark (apps/trainer/bench/side-by-side.mjs).

Defines, in plain PyTorch (no timm), structural twins of the three networks our TypeScript
benchmark times, and measures on the CPU with a fixed thread count:

  * torch-matmul : median GFLOP/s of torch.mm on 1024x1024 and 2048x2048 fp32 (torch's BLAS;
                   Debian's build reports BLAS_INFO=generic = reference netlib BLAS, ~6 GFLOP/s);
  * torch-gemm-onednn : the same GEMMs as 1x1 convs through oneDNN, the library the convs use;
  * torch-conv   : forward / dX / dW GFLOP/s for NFNet-F0's per-group stage conv shapes at 64x64
                   input, batch 8 (the SHAPES of packages/wasm-kernels/bench/kernels.bench.mjs);
  * torch-train  : img/s of one training step = forward, label-smoothed cross-entropy, backward,
                   AGC (lambda 0.01, eps 1e-3, every parameter but the classifier weight), coupled
                   weight decay 2e-5 on weights only, SGD with Nesterov momentum 0.9 -- the
                   trainer's step (apps/trainer/src/train-step.ts).

Networks (see packages/models/src/model-configs.ts, stage-plan.ts, build-model.ts):
  * tiny_nfnet  : dm_nfnet_f0 with depths (1,1,1,1), channels (32,64,96,128), group width 8,
                  stem 32, 256 final features, 10 classes, 3 input channels; 32x32, batch 32.
  * nf_resnet26 : timm-style NF-ResNet-26 (7x7 stem + max pool, bottleneck 0.25, ReLU, gamma folded
                  into the convs, avg-pool + 1x1 shortcuts, last-conv gain zero); 64x64, batch 16.
  * nfnet_f0    : DeepMind NFNet-F0 (deep_quad stem, group width 128, two 3x3 convs, SE 0.5 x2,
                  gamma in the activations, TF-SAME padding, SkipInit scalar); 64x64, batch 8.

SE and classifier linears run as 1x1 convs (oneDNN) unless --linear blas. Large buffers are kept
in the glibc heap (mallopt) unless --malloc system; see tune_malloc.

Scaled WS is recomputed in every forward pass (timm convention: gain*gamma*(W-mean)/sqrt(N*(var+1e-5))),
as in training. Stochastic depth and dropout are OFF (timing stability; also off in our benchmark).

Every measurement is one JSON line on stdout. If torch cannot be imported, prints
{"bench":"torch-missing",...} and exits 0.

Usage: /usr/bin/python3 bench/pytorch/nf_bench.py [--only tiny_nfnet,nf_resnet26,nfnet_f0]
       [--threads 2] [--steps 10] [--warmup 3] [--json-only] [--skip-kernels]
       [--linear onednn|blas] [--malloc reuse|system]
"""
import argparse
import json
import math
import re
import sys
import time

NETS = ("tiny_nfnet", "nf_resnet26", "nfnet_f0")

# Our parameter / MAC counts (packages/models countParams / countMacs, at the benchmark resolution),
# recorded when this script was written, for the "paramsMatchOurs" check.
OURS = {
    "tiny_nfnet": {"params": 145138, "macs": 1349120},
    "nf_resnet26": {"params": 15995176, "macs": 193085440},
    "nfnet_f0": {"params": 71489284, "macs": 797351936},
}

# Per-group conv shapes of NFNet-F0 at 64x64 input, batch 8 (group width 128).
CONV_SHAPES = [
    {"name": "stem 3×3 3→16 s2 @64²", "hw": 64, "cin": 3, "cout": 16, "k": 3, "stride": 2},
    {"name": "stage1 3×3 128→128 @16²", "hw": 16, "cin": 128, "cout": 128, "k": 3, "stride": 1},
    {"name": "stage1 1×1 128→256 @16²", "hw": 16, "cin": 128, "cout": 256, "k": 1, "stride": 1},
    {"name": "stage2 3×3 128→128 s2 @16²", "hw": 16, "cin": 128, "cout": 128, "k": 3, "stride": 2},
    {"name": "stage2 3×3 128→128 @8²", "hw": 8, "cin": 128, "cout": 128, "k": 3, "stride": 1},
    {"name": "stage3 3×3 128→128 @4²", "hw": 4, "cin": 128, "cout": 128, "k": 3, "stride": 1},
]


def emit(obj):
    print(json.dumps(obj), flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(NETS), help="comma list of " + ",".join(NETS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10, help="timed steps (median reported)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json-only", action="store_true", help="no human-readable summary")
    p.add_argument("--skip-kernels", action="store_true", help="skip the matmul and conv kernel benchmarks")
    p.add_argument("--linear", choices=("onednn", "blas"), default="onednn",
                   help="how SE and classifier linears run: as 1x1 convs through oneDNN (default) or nn.Linear "
                        "through torch's BLAS (Debian's build: BLAS_INFO=generic, the reference netlib BLAS)")
    p.add_argument("--malloc", choices=("reuse", "system"), default="reuse",
                   help="reuse (default): glibc mallopt so freed buffers stay in the heap and are reused "
                        "(no page faults on every large allocation, like the wasm heap or jemalloc/tcmalloc); "
                        "system: glibc's defaults (dynamic mmap threshold, heap trimming)")
    args = p.parse_args(argv)
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    bad = [n for n in args.only if n not in NETS]
    if bad:
        p.error(f"unknown net(s) {bad}; known: {', '.join(NETS)}")
    return args


ARGS = parse_args(sys.argv[1:])


def tune_malloc():
    """Keep large buffers in the glibc heap instead of mmap/munmap per allocation.

    With glibc's defaults, every step's large temporaries (weight-standardized kernels, optimizer
    temporaries, activations) are mmapped fresh and first-touched page by page; on this VM a page
    fault costs microseconds, so a 64 MB add takes ~110 ms instead of ~7 ms and the figures depend on
    which network ran first (glibc raises its mmap threshold dynamically). M_MMAP_THRESHOLD and
    M_TRIM_THRESHOLD at INT_MAX make the allocator reuse freed memory, as the wasm heap (which never
    shrinks) and jemalloc/tcmalloc do. Returns what was applied."""
    if ARGS.malloc != "reuse":
        return "system"
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok = libc.mallopt(m_mmap_threshold, 2 ** 31 - 1) == 1 and libc.mallopt(m_trim_threshold, 2 ** 31 - 1) == 1
        return "reuse" if ok else "system (mallopt refused)"
    except (OSError, AttributeError):
        return "system (not glibc)"


MALLOC = tune_malloc()

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no usable torch"
    emit({"bench": "torch-missing", "python": sys.executable, "reason": f"{type(e).__name__}: {e}"})
    sys.exit(0)


def log(msg):
    if not ARGS.json_only:
        print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------

GAMMA = {"relu": 1.7139588594436646, "gelu": 1.7015043497085571}  # DeepMind base.py constants
ACT = {"relu": F.relu, "gelu": F.gelu}  # exact (erf) GELU, as ours and timm


def make_divisible(v, divisor=8, round_limit=0.9):
    """timm make_divisible (= packages/models stage-plan.ts makeDivisible)."""
    out = max(divisor, int(math.floor((v + divisor / 2) / divisor)) * divisor)
    if out < round_limit * v:
        out += divisor
    return out


class ScaledStdConv2d(nn.Conv2d):
    """Scaled WS conv (timm ScaledStdConv2d / ScaledStdConv2dSame, our WSConv2D 'timm' convention).

    W_hat = gain * gamma * (W - mean) / sqrt(var + eps) / sqrt(fan_in), per output channel, biased
    variance, recomputed every forward pass. `same=True` uses TF/JAX SAME padding (asymmetric on
    even inputs at stride 2); otherwise PyTorch symmetric padding ((s-1) + (k-1)) // 2.
    """

    def __init__(self, cin, cout, k, stride=1, groups=1, gamma=1.0, eps=1e-5, same=False, gain_init=1.0):
        sym = ((stride - 1) + (k - 1)) // 2
        self.same_dynamic = same and not (stride == 1 and (k - 1) % 2 == 0)
        pad = 0 if self.same_dynamic else ((k - 1) // 2 if same else sym)
        super().__init__(cin, cout, k, stride=stride, padding=pad, groups=groups, bias=True)
        self.gain = nn.Parameter(torch.full((cout,), float(gain_init)))
        self.scale = gamma * self.weight[0].numel() ** -0.5
        self.eps = eps
        nn.init.kaiming_normal_(self.weight, mode="fan_in", nonlinearity="linear")  # N(0, 1/fan_in)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        if self.same_dynamic:
            ih, iw = x.shape[-2:]
            k, s = self.kernel_size[0], self.stride[0]
            ph = max((math.ceil(ih / s) - 1) * s + k - ih, 0)
            pw = max((math.ceil(iw / s) - 1) * s + k - iw, 0)
            if ph or pw:
                x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        w = F.batch_norm(
            self.weight.reshape(1, self.out_channels, -1), None, None,
            weight=self.gain * self.scale, training=True, momentum=0.0, eps=self.eps,
        ).reshape_as(self.weight)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ScaledAct(nn.Module):
    """act(x) * scale (gamma and/or beta), our ScaledActivation."""

    def __init__(self, act, scale=1.0):
        super().__init__()
        self.fn = ACT[act]
        self.s = float(scale)

    def forward(self, x):
        y = self.fn(x)
        return y if self.s == 1.0 else y * self.s


class Linear(nn.Linear):
    """nn.Linear ([out, in] weight, bias) that, with --linear onednn, runs as a 1x1 conv on [B, C, 1, 1]:
    the same arithmetic, through oneDNN instead of torch's BLAS. Debian's torch is built with
    BLAS_INFO=generic (reference netlib BLAS, ~3-6 GFLOP/s here), which would make the classifier and
    SE layers cost several times the convs around them. (timm's SE is a pair of 1x1 convs too.)"""

    def forward(self, x):
        if ARGS.linear == "blas":
            return F.linear(x, self.weight, self.bias)
        return F.conv2d(x[:, :, None, None], self.weight[:, :, None, None], self.bias).flatten(1)


class SqueezeExcite(nn.Module):
    """x * gain * sigmoid(fc2(relu(fc1(mean_hw(x))))) with plain ReLU (DM base.py, our SqueezeExcite)."""

    def __init__(self, channels, hidden, gain=2.0):
        super().__init__()
        self.fc1 = Linear(channels, hidden)
        self.fc2 = Linear(hidden, channels)
        self.gain = gain
        for fc in (self.fc1, self.fc2):
            nn.init.kaiming_normal_(fc.weight, mode="fan_in", nonlinearity="linear")
            nn.init.zeros_(fc.bias)

    def forward(self, x):
        s = x.mean((2, 3))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * (s * self.gain)[:, :, None, None]


class NfBlock(nn.Module):
    """Pre-activation NF bottleneck (DM NFBlock / timm NormFreeBlock / our build-model.ts block loop).

    out = act(x)*gamma*beta; shortcut = x | conv1x1(out) | conv1x1(avgpool2x2(out));
    h = conv1(out) -> act -> conv2 (3x3, stride, groups) [-> act -> conv2b] -> act -> conv3 [-> SE x2];
    return h * alpha [* skip_gain] + shortcut.
    """

    def __init__(self, cfg, cin, cout, mid, groups, stride, beta, se_hidden):
        super().__init__()
        act, same = cfg["act"], cfg["same"]
        act_gamma = GAMMA[act] if cfg["gamma_in_act"] else 1.0
        conv_gamma = 1.0 if cfg["gamma_in_act"] else GAMMA[act]

        def conv(i, o, k, s=1, g=1, gain_init=1.0):
            return ScaledStdConv2d(i, o, k, s, g, gamma=conv_gamma, same=same, gain_init=gain_init)

        self.act1 = ScaledAct(act, act_gamma * beta)
        self.downsample = None
        if cin != cout or stride != 1:
            pool = nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
            self.downsample = nn.Sequential(pool, conv(cin, cout, 1))
        self.conv1 = conv(cin, mid, 1)
        self.act2 = ScaledAct(act, act_gamma)
        self.conv2 = conv(mid, mid, 3, stride, groups)
        if cfg["extra_conv"]:
            self.act2b = ScaledAct(act, act_gamma)
            self.conv2b = conv(mid, mid, 3, 1, groups)
        else:
            self.act2b = self.conv2b = None
        self.act3 = ScaledAct(act, act_gamma)
        # timm-native (skipinit off): the last conv's gain starts at zero instead of a skip gain.
        self.conv3 = conv(mid, cout, 1, gain_init=0.0 if not cfg["skip_init"] else 1.0)
        self.se = SqueezeExcite(cout, se_hidden, cfg["attn_gain"]) if se_hidden else None
        self.skip_gain = nn.Parameter(torch.zeros(())) if cfg["skip_init"] else None
        self.alpha = cfg["alpha"]

    def forward(self, x):
        out = self.act1(x)
        shortcut = x if self.downsample is None else self.downsample(out)
        h = self.conv1(out)
        h = self.conv2(self.act2(h))
        if self.conv2b is not None:
            h = self.conv2b(self.act2b(h))
        h = self.conv3(self.act3(h))
        if self.se is not None:
            h = self.se(h)
        h = h * self.alpha
        if self.skip_gain is not None:
            h = h * self.skip_gain
        return h + shortcut


class NormFreeNet(nn.Module):
    """Stem -> NF blocks -> [final 1x1 conv] -> act -> global average pool -> linear (no dropout)."""

    def __init__(self, cfg):
        super().__init__()
        act, same = cfg["act"], cfg["same"]
        act_gamma = GAMMA[act] if cfg["gamma_in_act"] else 1.0
        conv_gamma = 1.0 if cfg["gamma_in_act"] else GAMMA[act]
        div = 8
        stem_ch = make_divisible(cfg["stem_channels"], div)
        layers = []
        cin = cfg["in_channels"]
        if cfg["stem"] == "deep_quad":
            chs = [stem_ch // 8, stem_ch // 4, stem_ch // 2, stem_ch]
            for i, (c, s) in enumerate(zip(chs, (2, 1, 1, 2))):
                layers.append(ScaledStdConv2d(cin, c, 3, s, gamma=conv_gamma, same=same))
                if i < 3:
                    layers.append(ScaledAct(act, act_gamma))
                cin = c
            stem_stride = 4
        elif cfg["stem"] == "7x7_pool":
            layers.append(ScaledStdConv2d(cin, stem_ch, 7, 2, gamma=conv_gamma, same=same))
            layers.append(nn.MaxPool2d(3, 2, padding=1))
            stem_stride = 4
        else:
            raise ValueError(cfg["stem"])
        self.stem = nn.Sequential(*layers)
        cin = stem_ch

        blocks = []
        expected_var = 1.0
        for s, (depth, ch) in enumerate(zip(cfg["depths"], cfg["channels"])):
            stage_stride = 1 if (s == 0 and stem_stride > 2) else 2
            for b in range(depth):
                cout = make_divisible(ch, div)
                stride = stage_stride if b == 0 else 1
                mid = make_divisible(cout * cfg["bottle_ratio"], div)
                groups = 1
                gs = cfg.get("group_size")
                if gs:
                    groups = max(1, mid // gs)
                    if gs % div == 0 and mid >= gs:
                        mid = gs * groups
                se_hidden = make_divisible(cout * cfg["se_ratio"], 8, 0) if cfg.get("se_ratio") else 0
                blocks.append(NfBlock(cfg, cin, cout, mid, groups, stride, 1.0 / math.sqrt(expected_var), se_hidden))
                if b == 0:
                    expected_var = 1.0
                expected_var += cfg["alpha"] ** 2
                cin = cout
        self.blocks = nn.Sequential(*blocks)

        self.final_conv = None
        if cfg["num_features"] > 0:
            nf = make_divisible(cfg["num_features"], div)
            self.final_conv = ScaledStdConv2d(cin, nf, 1, gamma=conv_gamma, same=same)
            cin = nf
        self.final_act = ScaledAct(act, act_gamma)
        self.fc = Linear(cin, cfg["num_classes"])
        nn.init.normal_(self.fc.weight, 0.0, 0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        if self.final_conv is not None:
            x = self.final_conv(x)
        x = self.final_act(x).mean((2, 3))
        return self.fc(x)


DM_NFNET_F0 = dict(
    depths=(1, 2, 6, 3), channels=(256, 512, 1536, 1536), stem="deep_quad", stem_channels=128,
    group_size=128, bottle_ratio=0.5, se_ratio=0.5, extra_conv=True, num_features=3072, act="gelu",
    gamma_in_act=True, same=True, skip_init=True, alpha=0.2, attn_gain=2.0, num_classes=1000, in_channels=3,
)
CONFIGS = {
    "tiny_nfnet": dict(DM_NFNET_F0, depths=(1, 1, 1, 1), channels=(32, 64, 96, 128), stem_channels=32,
                       group_size=8, num_features=256, num_classes=10),
    "nf_resnet26": dict(
        depths=(2, 2, 2, 2), channels=(256, 512, 1024, 2048), stem="7x7_pool", stem_channels=64,
        group_size=None, bottle_ratio=0.25, se_ratio=None, extra_conv=False, num_features=0, act="relu",
        gamma_in_act=False, same=False, skip_init=False, alpha=0.2, attn_gain=2.0, num_classes=1000, in_channels=3,
    ),
    "nfnet_f0": DM_NFNET_F0,
}
RUN = {"tiny_nfnet": (32, 32), "nf_resnet26": (64, 16), "nfnet_f0": (64, 8)}  # (resolution, batch)


def count_macs(model, res, in_ch):
    """Per-image multiply-accumulates by our countMacs rules: conv out_hw*(cin/g)*k²*cout; linears in*out."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    with torch.no_grad():
        model(torch.zeros(1, in_ch, res, res))
    for h in hooks:
        h.remove()
    return total[0]


# ---------------------------------------------------------------------------------------------
# Training step: CE(label smoothing 0.1) -> backward -> AGC -> weight decay -> Nesterov SGD
# ---------------------------------------------------------------------------------------------


class Agc:
    """Unit-wise AGC (P-NF Sec. 4; timm adaptive_clip_grad): per output unit (dim 0 of tensors with
    ndim > 1, the whole tensor otherwise), G <- G * min(1, lambda*max(|W|, eps)/max(|G|, 1e-6)).
    Vectorised: one norm reduction per tensor, the clip arithmetic once over every unit of every
    tensor (concatenated), then one in-place broadcast multiply per tensor."""

    def __init__(self, params, clipping=0.01, eps=1e-3):
        self.params = list(params)
        self.clipping, self.eps = clipping, eps
        self.units = [p.shape[0] if p.ndim > 1 else 1 for p in self.params]

    @staticmethod
    def _norms(ts):
        return torch.cat([(t.reshape(t.shape[0], -1) if t.ndim > 1 else t.reshape(1, -1)).norm(dim=1) for t in ts])

    @torch.no_grad()
    def __call__(self):
        grads = [p.grad for p in self.params]
        w_norm = self._norms(self.params).clamp_(min=self.eps)
        g_norm = self._norms(grads)
        max_norm = w_norm * self.clipping
        scale = torch.where(g_norm > max_norm, max_norm / g_norm.clamp(min=1e-6), torch.ones_like(g_norm))
        for g, s in zip(grads, scale.split(self.units)):
            g.mul_(s.view(-1, *([1] * (g.ndim - 1))) if g.ndim > 1 else s[0])


def make_step(model, batch, res, num_classes):
    named = list(model.named_parameters())
    fc_weight = model.fc.weight
    # Weight decay on weights only (no biases, gains, skip gains); AGC on all but the classifier weight.
    no_decay = lambda n, p: p.ndim <= 1  # noqa: E731 - biases, gains, skip gains are the rank<=1 params
    decay = [p for n, p in named if not no_decay(n, p)]
    other = [p for n, p in named if no_decay(n, p)]
    opt = torch.optim.SGD(
        [{"params": decay, "weight_decay": 2e-5}, {"params": other, "weight_decay": 0.0}],
        lr=0.01, momentum=0.9, nesterov=True,
    )
    agc = Agc([p for _, p in named if p is not fc_weight], clipping=0.01)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 3, res, res, generator=gen)
    y = torch.arange(batch) % num_classes
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        loss.backward()
        agc()
        opt.step()  # SGD adds weight_decay*p to the (clipped) grad before momentum: the trainer's order
        return loss.item()

    return step


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def time_fn(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return median(t)


def blas_info():
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return m.group(1) if m else "unknown"


def bench_matmul(threads):
    """torch.mm (torch's BLAS) and the same GEMM as a 1x1 conv through oneDNN (what the convs use)."""
    out = []
    blas = blas_info()
    for n in (1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        sec = time_fn(lambda: torch.mm(a, b), reps=5 if n == 1024 else 3, warmup=1)
        g = 2 * n ** 3 / sec / 1e9
        emit({"bench": "torch-matmul", "n": n, "gflops": g, "ms": sec * 1e3, "blas": blas, "threads": threads, "torch": torch.__version__})
        out.append((f"torch.mm {n}² (BLAS {blas})", g))
    for n in (1024, 2048):
        # [1, K=n, 32, n/32] x [M=n, K=n, 1, 1]: an n x n x n GEMM.
        x, w = torch.randn(1, n, 32, n // 32), torch.randn(n, n, 1, 1)
        sec = time_fn(lambda: F.conv2d(x, w), reps=7, warmup=2)
        g = 2 * n ** 3 / sec / 1e9
        emit({"bench": "torch-gemm-onednn", "n": n, "gflops": g, "ms": sec * 1e3, "via": "1x1 conv2d (oneDNN)", "threads": threads, "torch": torch.__version__})
        out.append((f"oneDNN GEMM {n}² (1x1 conv)", g))
    return out


def bench_convs(threads, peak):
    rows = []
    for s in CONV_SHAPES:
        k, st = s["k"], s["stride"]
        x = torch.randn(8, s["cin"], s["hw"], s["hw"])
        w = torch.randn(s["cout"], s["cin"], k, k) * 0.1
        # Symmetric k//2 padding: same output size (ceil(hw/s)) and FLOPs as TF 'same' in ours.
        pad = (k // 2, k // 2)
        y = F.conv2d(x, w, None, st, pad)
        dy = torch.ones_like(y)
        flops = 2 * y.numel() * s["cin"] * k * k

        def bwd(mask):
            return torch.ops.aten.convolution_backward(dy, x, w, None, [st, st], list(pad), [1, 1], False, [0, 0], 1, mask)

        fwd = time_fn(lambda: F.conv2d(x, w, None, st, pad), reps=5)
        dx = time_fn(lambda: bwd([True, False, False]), reps=5)
        dw = time_fn(lambda: bwd([False, True, False]), reps=5)
        g = lambda sec: flops / sec / 1e9  # noqa: E731
        row = {"bench": "torch-conv", "shape": s["name"], "fwdGflops": g(fwd), "dxGflops": g(dx), "dwGflops": g(dw),
               "peakGflops": peak, "peakOf": "oneDNN GEMM 1024² (1x1 conv)", "batch": 8, "threads": threads, "torch": torch.__version__}
        emit(row)
        rows.append(row)
    return rows


def bench_train(name, threads):
    torch.manual_seed(0)
    cfg = CONFIGS[name]
    res, batch = RUN[name]
    model = NormFreeNet(cfg)
    params = sum(p.numel() for p in model.parameters())
    macs = count_macs(model, res, cfg["in_channels"])
    step = make_step(model, batch, res, cfg["num_classes"])
    for _ in range(ARGS.warmup):
        loss = step()
    times = []
    for _ in range(ARGS.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    sec = median(times)
    ours = OURS[name]
    row = {
        "bench": "torch-train", "net": name, "imgPerSec": batch / sec, "stepMs": sec * 1e3,
        "minStepMs": min(times) * 1e3, "batch": batch, "res": res, "params": params,
        "oursParams": ours["params"], "paramsMatchOurs": params == ours["params"],
        "macsPerImage": macs, "oursMacsPerImage": ours["macs"],
        # fwd + bwd ~ 3x the forward MACs, 2 FLOPs per MAC
        "approxTrainGflops": 6 * macs * batch / sec / 1e9,
        "threads": threads, "steps": ARGS.steps, "warmup": ARGS.warmup, "lastLoss": loss,
        "stochasticDepth": 0, "dropout": 0, "linear": ARGS.linear, "malloc": MALLOC, "step": "CE(ls 0.1)+backward+AGC(0.01, not fc.weight)+wd 2e-5+Nesterov SGD 0.9",
        "torch": torch.__version__,
    }
    emit(row)
    return row


def main():
    torch.set_num_threads(ARGS.threads)
    threads = torch.get_num_threads()
    emit({"bench": "torch-config", "torch": torch.__version__, "threads": threads, "nets": ARGS.only,
          "steps": ARGS.steps, "warmup": ARGS.warmup, "stochasticDepth": "off", "dropout": "off",
          "wsRecomputedEveryStep": True, "linear": ARGS.linear, "blas": blas_info(), "malloc": MALLOC, "python": sys.executable})
    peaks, convs = [], []
    if not ARGS.skip_kernels:
        peaks = bench_matmul(threads)
        convs = bench_convs(threads, peaks[2][1])  # fraction of the oneDNN GEMM rate (1024²)
    trains = [bench_train(n, threads) for n in ARGS.only]

    log(f"\nPyTorch {torch.__version__}, {threads} threads")
    for label, g in peaks:
        log(f"  {label}: {g:.1f} GFLOP/s")
    if convs:
        log("\n| F0 conv, 64² input, batch 8 | forward | dX | dW | GFLOP/s")
        for r in convs:
            log(f"| {r['shape']} | {r['fwdGflops']:.1f} | {r['dxGflops']:.1f} | {r['dwGflops']:.1f} |")
    log("\n| network | res | batch | params (ours) | img/s | step ms |")
    for r in trains:
        log(f"| {r['net']} | {r['res']} | {r['batch']} | {r['params']:,} ({r['oursParams']:,}) | {r['imgPerSec']:.1f} | {r['stepMs']:.0f} |")
    log("stochastic depth and dropout off; Scaled WS recomputed every forward pass.")


if __name__ == "__main__":
    main()
