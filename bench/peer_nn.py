#!/usr/bin/python3
"""bench/peer_nn.py — the PyTorch 1.13 (CPU) peer of bench/bench_nn.c: the identical models, the SAME weights
(read from the safetensors files bench_nn writes; parsed here with json + numpy since torch 1.13 has no
safetensors module), the same inputs, the same step; prints the time per step and the max relative error
between the C and the PyTorch outputs.

Usage: peer_nn.py OUTDIR [--threads N] [--reps R] [--only dit|res]
Run under different OMP_NUM_THREADS / OPENBLAS_NUM_THREADS by bench/run.sh, which keeps the best.

Max relative error: max |c - torch| / max |torch| over the tensor (a scale-free norm that does not blow up
on entries near zero)."""
import argparse
import json
import os
import struct
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from nn_block_fixtures import DiTStack, ResBlock1d  # noqa: E402  (the modules the C tests are checked against)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        buf = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(buf[b:e], dtype="<f4").reshape(info["shape"]).copy())
    return out


def load(d, name):
    return torch.from_numpy(np.load(os.path.join(d, name + ".npy")))


def relerr(a, ref):
    a, ref = a.detach().double(), ref.detach().double()
    return float((a - ref).abs().max() / ref.abs().max().clamp_min(1e-30))


CPU = {}


def timeit(fn, reps, warm=2, tag=None):
    """Median wall seconds; the median process CPU seconds go to CPU[tag] (a steadier yardstick on a busy
    machine with one thread)."""
    for _ in range(warm):
        fn()
    t, tc = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t.append(time.perf_counter() - t0)
        tc.append(time.process_time() - c0)
    if tag:
        CPU[tag] = float(np.median(tc))
    return float(np.median(t))


class ResStack(torch.nn.Module):
    def __init__(self, n, C, G):
        super().__init__()
        self.res = torch.nn.ModuleList([ResBlock1d(C, C, G) for _ in range(n)])

    def forward(self, x):          # x: (B, C, T)
        for r in self.res:
            x = r(x)
        return x


def bench_dit(d, reps, C=384, H=8, NB=4):
    m = DiTStack(NB, C, H, use_rope=False)
    sd = read_safetensors(os.path.join(d, "dit.safetensors"))
    m.load_state_dict(sd, strict=True)
    x, c, dy = load(d, "dit_train_x"), load(d, "dit_train_c"), load(d, "dit_train_dy")
    # correctness on the weights as saved (before any optimizer step), as the C side did
    xg = x.clone().requires_grad_(True)
    y = m(xg, c)
    y.backward(dy)
    print("dit-train  max rel err C vs torch: y %.2e  dx %.2e  d(blocks.0.attn.qkv.weight) %.2e" % (
        relerr(load(d, "dit_train_y"), y), relerr(load(d, "dit_train_dx"), xg.grad),
        relerr(load(d, "dit_train_g_qkv0"), m.blocks[0].attn.qkv.weight.grad)), flush=True)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)

    def train_step():
        opt.zero_grad(set_to_none=False)
        xx = x.clone().requires_grad_(True)
        out = m(xx, c)
        out.backward(dy)
        opt.step()

    t_train = timeit(train_step, reps, tag="dit-train")
    print("RESULT_PEER dit-train %.5f cpu %.5f" % (t_train, CPU["dit-train"]), flush=True)

    m.load_state_dict(sd, strict=True)
    xs, cs = load(d, "dit_sample_x"), load(d, "dit_sample_c")
    best = None
    # eager under no_grad and inference_mode, and TorchScript (trace + freeze, which folds the weights and
    # may pick oneDNN kernels): the fastest of the three is PyTorch's number
    m.eval()
    frozen = None
    for mode in ("no_grad", "inference_mode", "jit_freeze"):
        ctx = torch.inference_mode if mode == "inference_mode" else torch.no_grad
        if mode == "jit_freeze":                  # traced after the eager runs, so it cannot affect them
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")   # TracerWarning: math.sqrt(D) becomes a constant (it is one)
                frozen = torch.jit.freeze(torch.jit.trace(m, (xs, cs)))
        fn = frozen if mode == "jit_freeze" else m
        with ctx():
            ys = fn(xs, cs)
            t = timeit(lambda: fn(xs, cs), reps, tag=mode)
        print("dit-sample %-15s %.4f s (cpu %.4f s), max rel err C vs torch: y %.2e" % (
            mode, t, CPU[mode], relerr(load(d, "dit_sample_y"), ys)), flush=True)
        if best is None or t < best:
            best, best_cpu = t, CPU[mode]
    print("RESULT_PEER dit-sample %.5f cpu %.5f" % (best, best_cpu), flush=True)


def bench_res(d, reps, C=256, G=32, NB=4):
    path = os.path.join(d, "res.safetensors")
    if not os.path.exists(path):
        return
    m = ResStack(NB, C, G)
    sd = read_safetensors(path)
    m.load_state_dict(sd, strict=True)
    x, dy = load(d, "res_x"), load(d, "res_dy")          # (B, T, C) as momu stores them
    xt, dyt = x.transpose(1, 2).contiguous(), dy.transpose(1, 2).contiguous()
    xg = xt.clone().requires_grad_(True)
    y = m(xg)
    y.backward(dyt)
    print("res-train  max rel err C vs torch: y %.2e  dx %.2e" % (
        relerr(load(d, "res_y"), y.transpose(1, 2)), relerr(load(d, "res_dx"), xg.grad.transpose(1, 2))), flush=True)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=False)
        xx = xt.clone().requires_grad_(True)
        m(xx).backward(dyt)
        opt.step()

    t = timeit(step, reps, tag="res-train")
    print("RESULT_PEER res-train %.5f cpu %.5f" % (t, CPU["res-train"]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--only", default="all")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    print("torch %s, %d threads, OMP_NUM_THREADS=%s OPENBLAS_NUM_THREADS=%s" % (
        torch.__version__, torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS", "-"),
        os.environ.get("OPENBLAS_NUM_THREADS", "-")), flush=True)
    if a.only in ("all", "dit"):
        bench_dit(a.outdir, a.reps)
    if a.only in ("all", "res"):
        bench_res(a.outdir, a.reps)


if __name__ == "__main__":
    main()
