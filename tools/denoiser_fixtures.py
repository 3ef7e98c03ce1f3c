#!/usr/bin/python3
"""Reference tensors for tests/test_denoiser.c: the whole cross-modal denoiser (include/momu/denoiser.h) in
torch 1.13, float64, random weights everywhere (not the DiT zero init, so no gradient is trivially zero),
written as ONE float32 safetensors file tests/fixtures/denoiser/tiny.safetensors:

  p.<name>   every parameter, under momu's (= DiT's state_dict) names
  g.<name>   dL/d parameter for L = sum(eps * dy)
  x, cond, t, drop (1.0 = null condition for that sample), dy, eps, dx   inputs, output and dL/dx
  eps_infer_uncond   the same weights with the null condition for every sample
Metadata: the config as JSON ("config").

Run by hand:  /usr/bin/python3 tools/denoiser_fixtures.py [outdir]
The DiT block (with RoPE) and timestep embedding are the ones of tools/nn_block_fixtures.py / nn_fixtures.py.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_block_fixtures import DiTBlock, modulate  # noqa: E402  (importing writes nothing: guarded main)


def timestep_embedding(t, dim, max_period=10000):
    """DiT TimestepEmbedder.timestep_embedding, verbatim (float32 as there)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class TimestepEmbedder(nn.Module):
    def __init__(self, F, D):
        super().__init__()
        self.F = F
        self.mlp = nn.Sequential(nn.Linear(F, D), nn.SiLU(), nn.Linear(D, D))

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.F).double())


class FinalLayer(nn.Module):
    def __init__(self, D, C):
        super().__init__()
        self.norm_final = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(D, C)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class Denoiser(nn.Module):
    def __init__(self, C, D, H, n_blocks, F):
        super().__init__()
        self.x_embedder = nn.Linear(2 * C, D)
        self.t_embedder = TimestepEmbedder(F, D)
        self.null_cond = nn.Parameter(torch.zeros(C))
        self.blocks = nn.ModuleList([DiTBlock(D, H, use_rope=True) for _ in range(n_blocks)])
        self.final_layer = FinalLayer(D, C)

    def forward(self, x, cond, drop, t):
        B, T, C = x.shape
        nul = self.null_cond.view(1, 1, C).expand(B, T, C)
        c_in = cond if cond is not None else nul
        if drop is not None:
            c_in = torch.where(drop.view(B, 1, 1) > 0.5, nul, c_in)
        h = self.x_embedder(torch.cat([x, c_in], dim=-1))
        c = self.t_embedder(t)
        for b in self.blocks:
            h = b(h, c)
        return self.final_layer(h, c)


def write_safetensors(path, tensors, meta):
    header, off, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/denoiser"
    os.makedirs(outdir, exist_ok=True)
    cfg = dict(latent_ch=4, width=16, heads=2, n_blocks=2, freq_dim=16, rope=1)
    B, T = 3, 7
    gen = torch.Generator().manual_seed(4)

    def f32(*shape, std=1.0):
        return (torch.randn(shape, generator=gen, dtype=torch.float32) * std).double()

    m = Denoiser(cfg["latent_ch"], cfg["width"], cfg["heads"], cfg["n_blocks"], cfg["freq_dim"]).double()
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(f32(*p.shape, std=0.3))
    x = f32(B, T, cfg["latent_ch"]).requires_grad_(True)
    cond = f32(B, T, cfg["latent_ch"])
    t = torch.tensor([3.0, 500.0, 999.0])
    drop = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    dy = f32(B, T, cfg["latent_ch"])
    eps = m(x, cond, drop, t)
    (eps * dy).sum().backward()
    with torch.no_grad():
        eps_u = m(x, None, None, t)
    out = {}
    for name, p in m.named_parameters():
        out["p." + name] = p.detach().numpy()
    for name, p in m.named_parameters():
        out["g." + name] = p.grad.numpy()
    out.update(x=x.detach().numpy(), cond=cond.numpy(), t=t.numpy(), drop=drop.numpy(), dy=dy.numpy(),
               eps=eps.detach().numpy(), dx=x.grad.numpy(), eps_infer_uncond=eps_u.numpy())
    path = os.path.join(outdir, "tiny.safetensors")
    write_safetensors(path, out, {"config": json.dumps(cfg, separators=(",", ":"))})
    print(path, os.path.getsize(path), "bytes,", len(out), "tensors")


if __name__ == "__main__":
    main()
