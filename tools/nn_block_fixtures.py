#!/usr/bin/python3
"""Reference tensors for tests/test_nn_blocks.c: the DiT block (adaLN-Zero) and the 1-D conv residual block,
built from plain torch 1.13 modules, run in float64, dumped as float32 .npy under tests/fixtures/nn_blocks/.

Run by hand:  /usr/bin/python3 tools/nn_block_fixtures.py [outdir]

Conventions (what the C side reads):
  * activations are dumped as (B, T, C) row-major (momu's layout); torch's Conv1d works on (B, C, T), so the conv
    fixtures are transposed on the way in and out;
  * weights keep PyTorch's layout and PyTorch's parameter names (DiT's models.py, LDM's ResnetBlock);
  * the loss is L = sum(y * dy) for a fixed random dy, so every gradient is d L / d tensor;
  * every weight is random (not the adaLN-Zero zero init), so that no gradient is trivially zero.

DiT block (Peebles & Xie 2023, facebookresearch/DiT models.py, DiTBlock):
  shift1, scale1, gate1, shift2, scale2, gate2 = Linear(SiLU(c)).chunk(6)
  x = x + gate1 * attn(LN(x) * (1 + scale1) + shift1)        LN: no affine, eps 1e-6
  x = x + gate2 * mlp (LN(x) * (1 + scale2) + shift2)        mlp: fc1 (C->4C), GELU(tanh), fc2 (4C->C)
  attn (timm Attention): qkv Linear C->3C with bias, split as (3, H, D) per token; softmax(q k^T / sqrt(D)) v;
  proj Linear C->C. Optional RoPE on q and k (see rope() below for the convention).
Conv residual block (LDM ResnetBlock without time embedding / dropout):
  h = conv1(SiLU(norm1(x))); h = conv2(SiLU(norm2(h))); y = nin_shortcut(x) + h  (shortcut only if Cin != Cout)
  GroupNorm(G, eps 1e-6, affine), Conv1d k=3 padding 1, shortcut Conv1d k=1.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROPE_BASE = 10000.0


def rope(x):
    """RoPE (Su et al. 2021) on x of shape (B, H, T, D), position t = token index, in the "rotate_half"
    convention of GPT-NeoX / HF LLaMA (momu's nn_rope_forward): pairs (i, i + D/2), angle t * base^(-2i/D)."""
    B, H, T, D = x.shape
    half = D // 2
    i = torch.arange(half, dtype=x.dtype)
    inv = ROPE_BASE ** (-2.0 * i / D)
    ang = torch.arange(T, dtype=x.dtype)[:, None] * inv[None, :]     # (T, D/2)
    cos, sin = torch.cos(ang), torch.sin(ang)
    x0, x1 = x[..., :half], x[..., half:]
    return torch.cat([x0 * cos - x1 * sin, x1 * cos + x0 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, C, H, use_rope):
        super().__init__()
        self.H, self.use_rope = H, use_rope
        self.qkv = nn.Linear(C, 3 * C, bias=True)
        self.proj = nn.Linear(C, C)

    def forward(self, x):
        B, T, C = x.shape
        D = C // self.H
        qkv = self.qkv(x).reshape(B, T, 3, self.H, D).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.use_rope:
            q, k = rope(q), rope(k)
        a = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(D), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(o)


class Mlp(nn.Module):
    def __init__(self, C, hidden):
        super().__init__()
        self.fc1 = nn.Linear(C, hidden)
        self.act = nn.GELU(approximate="tanh")
        self.fc2 = nn.Linear(hidden, C)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    def __init__(self, C, H, use_rope=False, mlp_ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(C, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(C, H, use_rope)
        self.norm2 = nn.LayerNorm(C, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(C, mlp_ratio * C)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(C, 6 * C, bias=True))

    def forward(self, x, c):
        s1, sc1, g1, s2, sc2, g2 = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + g1.unsqueeze(1) * self.attn(modulate(self.norm1(x), s1, sc1))
        x = x + g2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), s2, sc2))
        return x


class DiTStack(nn.Module):
    def __init__(self, n_blocks, C, H, use_rope=False):
        super().__init__()
        self.blocks = nn.ModuleList([DiTBlock(C, H, use_rope) for _ in range(n_blocks)])

    def forward(self, x, c):
        for b in self.blocks:
            x = b(x, c)
        return x


class ResBlock1d(nn.Module):
    """LDM's ResnetBlock (ldm/modules/diffusionmodules/model.py) in 1-D, without temb and dropout."""

    def __init__(self, cin, cout, groups, eps=1e-6):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps, affine=True)
        self.conv1 = nn.Conv1d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps, affine=True)
        self.conv2 = nn.Conv1d(cout, cout, 3, padding=1)
        self.nin_shortcut = nn.Conv1d(cin, cout, 1) if cin != cout else None

    def forward(self, x):                      # x: (B, C, T)
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        s = self.nin_shortcut(x) if self.nin_shortcut is not None else x
        return s + h


def randomize(module, gen, std=0.3):
    """Random weights everywhere (round-tripped through float32 so C sees the same values)."""
    with torch.no_grad():
        for _, p in module.named_parameters():
            v = torch.randn(p.shape, generator=gen, dtype=torch.float32) * std
            if p.dim() == 1 and "norm" in _ and _.endswith("weight"):
                v = 1.0 + v                 # GroupNorm gamma around 1
            p.copy_(v.double())


def save(outdir, name, t):
    a = t.detach().cpu().numpy().astype(np.float32)
    np.save(os.path.join(outdir, name + ".npy"), np.ascontiguousarray(a))


def f32(shape, gen, std=1.0):
    return (torch.randn(shape, generator=gen, dtype=torch.float32) * std).double()


def dit_case(outdir, tag, n_blocks, B, T, C, H, use_rope, seed):
    gen = torch.Generator().manual_seed(seed)
    m = DiTStack(n_blocks, C, H, use_rope).double()
    randomize(m, gen, std=0.25)
    x = f32((B, T, C), gen).requires_grad_(True)
    c = f32((B, C), gen).requires_grad_(True)
    dy = f32((B, T, C), gen)
    y = m(x, c)
    (y * dy).sum().backward()
    save(outdir, f"{tag}_x", x)
    save(outdir, f"{tag}_c", c)
    save(outdir, f"{tag}_dy", dy)
    save(outdir, f"{tag}_y", y)
    save(outdir, f"{tag}_dx", x.grad)
    save(outdir, f"{tag}_dc", c.grad)
    for n, p in m.named_parameters():
        save(outdir, f"{tag}_w_{n}", p)
        save(outdir, f"{tag}_g_{n}", p.grad)
    with open(os.path.join(outdir, f"{tag}_shape.txt"), "w") as f:
        f.write(f"n_blocks {n_blocks} B {B} T {T} C {C} H {H} rope {int(use_rope)} seed {seed}\n")


def res_case(outdir, tag, B, T, cin, cout, G, seed):
    gen = torch.Generator().manual_seed(seed)
    m = ResBlock1d(cin, cout, G).double()
    randomize(m, gen, std=0.3)
    x_btc = f32((B, T, cin), gen).requires_grad_(True)
    dy_btc = f32((B, T, cout), gen)
    y_bct = m(x_btc.transpose(1, 2))
    y_btc = y_bct.transpose(1, 2)
    (y_btc * dy_btc).sum().backward()
    save(outdir, f"{tag}_x", x_btc)
    save(outdir, f"{tag}_dy", dy_btc)
    save(outdir, f"{tag}_y", y_btc)
    save(outdir, f"{tag}_dx", x_btc.grad)
    for n, p in m.named_parameters():
        save(outdir, f"{tag}_w_{n}", p)
        save(outdir, f"{tag}_g_{n}", p.grad)
    with open(os.path.join(outdir, f"{tag}_shape.txt"), "w") as f:
        f.write(f"B {B} T {T} cin {cin} cout {cout} G {G} seed {seed}\n")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn_blocks")
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    dit_case(outdir, "dit2", n_blocks=2, B=2, T=5, C=16, H=2, use_rope=False, seed=1)
    dit_case(outdir, "ditrope", n_blocks=1, B=2, T=6, C=16, H=2, use_rope=True, seed=2)
    res_case(outdir, "res_skip", B=2, T=7, cin=8, cout=16, G=4, seed=3)
    res_case(outdir, "res_same", B=2, T=6, cin=16, cout=16, G=4, seed=4)


if __name__ == "__main__":
    main()
