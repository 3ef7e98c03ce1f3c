#!/usr/bin/python3
"""PyTorch reference vectors for the momu layers (tests/test_nn_layers.c reads them).

Usage: /usr/bin/python3 tools/nn_fixtures.py [outdir]      (default tests/fixtures/nn; torch 1.13, numpy)

For each layer, tiny random float32 inputs, parameters and an upstream gradient dy are drawn from a fixed
seed; PyTorch then computes the forward output and every input and parameter gradient in float64 from those
float32 values (so the reference carries no float32 rounding of its own), and everything is written as
float32 .npy in momu's layout: sequences (B, T, C) with C contiguous (PyTorch's Conv1d wants (B, C, T): we
transpose around the call), weights in PyTorch's own layout. File names: <case>_<tensor>.npy.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "nn")
os.makedirs(OUT, exist_ok=True)
gen = torch.Generator().manual_seed(1234)


def rnd(*shape, scale=1.0):
    """float32 random values, returned as a float64 leaf tensor that requires grad."""
    x = (torch.randn(tuple(shape), generator=gen, dtype=torch.float32) * scale).to(torch.float64)
    return x.requires_grad_(True)


def save(case, **tensors):
    for name, t in tensors.items():
        a = t.detach().to(torch.float32).numpy() if torch.is_tensor(t) else np.asarray(t, dtype=np.float32)
        np.save(os.path.join(OUT, f"{case}_{name}.npy"), np.ascontiguousarray(a.astype(np.float32)))


def run(case, fn, inputs, **extra):
    """y = fn(*inputs); backward with a random dy; saves inputs, dy, y and d<input> for each input."""
    y = fn(*inputs.values())
    dy = rnd(*y.shape).detach()
    y.backward(dy)
    out = dict(inputs)
    out["dy"] = dy
    out["y"] = y
    for k, v in inputs.items():
        out["d" + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    out.update(extra)
    save(case, **out)


# ---- linear
run("linear", lambda x, w, b: F.linear(x, w, b), {"x": rnd(3, 5), "w": rnd(4, 5, scale=0.5), "b": rnd(4, scale=0.5)})


# ---- conv1d / conv_transpose1d on (B, T, C) tensors
def conv_case(case, B, T, Ci, Co, k, s, p, d, g, transpose=False, op=0):
    wshape = (Ci, Co // g, k) if transpose else (Co, Ci // g, k)

    def fn(x, w, b):
        xt = x.transpose(1, 2)
        if transpose:
            y = F.conv_transpose1d(xt, w, b, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        else:
            y = F.conv1d(xt, w, b, stride=s, padding=p, dilation=d, groups=g)
        return y.transpose(1, 2)

    run(case, fn, {"x": rnd(B, T, Ci), "w": rnd(*wshape, scale=0.4), "b": rnd(Co, scale=0.5)},
        geom=[k, s, p, d, g, op, B, T, Ci, Co])


conv_case("conv1d_a", 2, 9, 4, 6, 3, 2, 1, 2, 2)       # strided, dilated, grouped
conv_case("conv1d_b", 2, 12, 5, 3, 5, 1, 2, 1, 1)      # 'same' conv of the VAEs
conv_case("conv1d_c", 2, 7, 6, 4, 1, 1, 0, 1, 2)       # pointwise, grouped (direct path)
conv_case("convt_a", 2, 5, 4, 6, 4, 2, 1, 1, 2, transpose=True)             # x2 upsampler, grouped
conv_case("convt_b", 2, 4, 3, 5, 3, 3, 1, 2, 1, transpose=True, op=1)       # stride 3, dilation, output_padding

# ---- resampling (x is (B, T, C); torch pools over the last axis, so transpose)
run("upsample", lambda x: F.interpolate(x.transpose(1, 2), scale_factor=2, mode="nearest").transpose(1, 2),
    {"x": rnd(2, 5, 3)})
run("avgpool", lambda x: F.avg_pool1d(x.transpose(1, 2), 3).transpose(1, 2), {"x": rnd(2, 8, 3)})
run("maxpool", lambda x: F.max_pool1d(x.transpose(1, 2), 3, 2).transpose(1, 2), {"x": rnd(2, 9, 3)})

# ---- norms
run("layernorm", lambda x, w, b: F.layer_norm(x, (8,), w, b, 1e-5),
    {"x": rnd(2, 3, 8, scale=2), "w": rnd(8), "b": rnd(8)})
run("layernorm_plain", lambda x: F.layer_norm(x, (8,), None, None, 1e-6), {"x": rnd(2, 3, 8, scale=2)})
run("groupnorm", lambda x, w, b: F.group_norm(x.transpose(1, 2), 4, w, b, 1e-5).transpose(1, 2),
    {"x": rnd(2, 5, 8, scale=2), "w": rnd(8), "b": rnd(8)})
run("groupnorm_plain", lambda x: F.group_norm(x.transpose(1, 2), 2, None, None, 1e-6).transpose(1, 2),
    {"x": rnd(2, 5, 8, scale=2)})

# ---- activations
run("silu", F.silu, {"x": rnd(4, 16, scale=3)})
run("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), {"x": rnd(4, 16, scale=3)})
run("gelu_erf", F.gelu, {"x": rnd(4, 16, scale=3)})

# ---- DiT modulate and gated residual (DiT models.py: x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1))
run("modulate", lambda x, shift, scale: x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1),
    {"x": rnd(2, 3, 5), "shift": rnd(2, 5, scale=0.5), "scale": rnd(2, 5, scale=0.5)})
run("gate_add", lambda res, gate, h: res + gate.unsqueeze(1) * h,
    {"res": rnd(2, 3, 5), "gate": rnd(2, 5, scale=0.5), "h": rnd(2, 3, 5)})


# ---- timestep embedding: DiT TimestepEmbedder.timestep_embedding, verbatim (float32 as there)
def timestep_embedding(t, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = torch.cat([embedding, torch.zeros_like(embedding[:, :1])], dim=-1)
    return embedding


tt = torch.tensor([0.0, 1.0, 17.5, 999.0])
save("timestep", t=tt, y=timestep_embedding(tt, 9))
save("timestep_even", t=tt, y=timestep_embedding(tt, 16))


# ---- RoPE, rotate_half convention (GPT-NeoX / HF LLaMA), positions pos0 + t
def rope(x, H, D, pos0=0, base=10000.0):
    B, T, _ = x.shape
    inv = base ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    ang = (pos0 + torch.arange(T, dtype=torch.float64))[:, None] * inv[None]   # (T, D/2)
    cos = torch.cat([ang.cos(), ang.cos()], -1)[None, :, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], -1)[None, :, None, :]
    xh = x.view(B, T, H, D)
    rot = torch.cat([-xh[..., D // 2:], xh[..., : D // 2]], -1)
    return (xh * cos + rot * sin).reshape(B, T, H * D)


run("rope", lambda x: rope(x, 2, 6, pos0=3), {"x": rnd(2, 5, 12)})


# ---- attention core on projected q, k, v of shape (B, T, H*D)
def attention(q, k, v, H):
    B, Tq, C = q.shape
    Tk, D = k.shape[1], C // H
    qh = q.view(B, Tq, H, D).transpose(1, 2)
    kh = k.view(B, Tk, H, D).transpose(1, 2)
    vh = v.view(B, Tk, H, D).transpose(1, 2)
    p = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(D), dim=-1)
    return (p @ vh).transpose(1, 2).reshape(B, Tq, C)


run("attn_self", lambda q, k, v: attention(q, k, v, 2), {"q": rnd(2, 6, 8), "k": rnd(2, 6, 8), "v": rnd(2, 6, 8)})
run("attn_cross", lambda q, k, v: attention(q, k, v, 4), {"q": rnd(2, 5, 16), "k": rnd(2, 9, 16), "v": rnd(2, 9, 16)})

# ---- losses (scalar output; dy is the upstream dloss)
run("mse", lambda p, t: F.mse_loss(p, t), {"p": rnd(3, 7), "t": rnd(3, 7)})
run("l1", lambda p, t: F.l1_loss(p, t), {"p": rnd(3, 7), "t": rnd(3, 7)})
run("kl", lambda mu, lv: 0.5 * torch.sum(mu ** 2 + lv.exp() - 1 - lv) / 2.0, {"mu": rnd(2, 3, 4), "lv": rnd(2, 3, 4)})


def infonce(a, m, tau=0.07):
    u, w = F.normalize(a, dim=-1), F.normalize(m, dim=-1)
    logits = u @ w.t() / tau
    lab = torch.arange(a.shape[0])
    return 0.5 * (F.cross_entropy(logits, lab) + F.cross_entropy(logits.t(), lab))


run("infonce", infonce, {"a": rnd(6, 5), "m": rnd(6, 5)})

total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")
