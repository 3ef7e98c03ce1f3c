#!/usr/bin/python3
"""Reference tensors for tests/test_vae.c: a tiny momu VAE (include/momu/vae.h) built from plain torch 1.13
modules, run in float64 on float32-rounded weights and inputs, dumped as one F32 safetensors file.

Run by hand:  /usr/bin/python3 tools/vae_fixtures.py [outdir]     (default tests/fixtures/vae)

The network is LDM's 1-D Encoder/Decoder without attention, exactly as src/model/vae.c builds it:
  encoder: conv_in(k3) -> per level i: n_res_enc ResnetBlocks (-> ch[i]) [+ Conv1d(k4|k3, s2, p1) if i < L-1]
           -> n_mid ResnetBlocks -> GroupNorm -> SiLU -> conv_out(k3, -> 2C)
  decoder: conv_in(k3, C -> ch[L-1]) -> n_mid ResnetBlocks -> per level i = L-1..0: n_res_dec ResnetBlocks
           (-> ch[i]) [+ nearest x2 + Conv1d(k3) if i > 0] -> GroupNorm -> SiLU -> conv_out(k3, -> F)
  ResnetBlock: h = conv1(SiLU(norm1(x))); h = conv2(SiLU(norm2(h))); y = nin_shortcut(x) + h (1x1 iff widths
  differ); GroupNorm(G, eps 1e-6, affine).
  posterior: mean, logvar = moments.chunk(2, channels); logvar.clamp(-30, 20); z = mean + exp(logvar/2) eps.
  any length: x (B,T,F) is padded at the end by replicating its last frame to a multiple of f = 2^(L-1); the
  decoder output is cropped back to T.
Loss (momu_vae_loss + an extra gradient on the mean, as the contrastive loss gives):
  L = recon_loss(recon, x) + kl_weight * 0.5 * mean(mean^2 + exp(logvar) - 1 - logvar) + sum(mean * dextra)
  recon_loss: mean |recon - x| (l1) or mean (recon - x)^2 (mse).

File contents (activations in momu's (B, T, C) layout; weights in PyTorch layout and names):
  w.<name> weights, g.<name> dL/d weight, x, eps, dextra, recon, mean, logvar, z, loss [total, recon, kl];
  metadata "momu.vae_config" = the config JSON (momu_vae_config_to_json format).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = {"kind": "motion_vae", "version": 1, "in_dim": 5, "fps": 25, "z_channels": 3, "n_levels": 3,
       "ch": [4, 8, 8], "n_res_enc": 1, "n_res_dec": 2, "n_mid": 1, "groups": 2, "down_kernel": 4,
       "mid_attn": 0, "recon_loss": "l1", "kl_weight": 0.25}
B, T = 2, 10          # T = 10 is padded to 12 (f = 4): exercises the replicate padding and the crop


class Res(nn.Module):
    def __init__(self, ci, co, g):
        super().__init__()
        self.norm1 = nn.GroupNorm(g, ci, eps=1e-6)
        self.conv1 = nn.Conv1d(ci, co, 3, padding=1)
        self.norm2 = nn.GroupNorm(g, co, eps=1e-6)
        self.conv2 = nn.Conv1d(co, co, 3, padding=1)
        self.nin_shortcut = nn.Conv1d(ci, co, 1) if ci != co else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class Level(nn.Module):
    pass


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        L, G, ch = c["n_levels"], c["groups"], c["ch"]
        self.conv_in = nn.Conv1d(c["in_dim"], ch[0], 3, padding=1)
        cur = ch[0]
        self.down = nn.ModuleList()
        for i in range(L):
            lv = Level()
            lv.res = nn.ModuleList()
            for _ in range(c["n_res_enc"]):
                lv.res.append(Res(cur, ch[i], G))
                cur = ch[i]
            if i < L - 1:
                lv.downsample = Level()
                lv.downsample.conv = nn.Conv1d(cur, cur, c["down_kernel"], stride=2, padding=1)
            self.down.append(lv)
        self.mid = Level()
        self.mid.res = nn.ModuleList([Res(cur, cur, G) for _ in range(c["n_mid"])])
        self.norm_out = nn.GroupNorm(G, cur, eps=1e-6)
        self.conv_out = nn.Conv1d(cur, 2 * c["z_channels"], 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for lv in self.down:
            for r in lv.res:
                h = r(h)
            if hasattr(lv, "downsample"):
                h = lv.downsample.conv(h)
        for r in self.mid.res:
            h = r(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        L, G, ch = c["n_levels"], c["groups"], c["ch"]
        cur = ch[L - 1]
        self.conv_in = nn.Conv1d(c["z_channels"], cur, 3, padding=1)
        self.mid = Level()
        self.mid.res = nn.ModuleList([Res(cur, cur, G) for _ in range(c["n_mid"])])
        self.up = nn.ModuleList([Level() for _ in range(L)])
        for i in reversed(range(L)):
            lv = self.up[i]
            lv.res = nn.ModuleList()
            for _ in range(c["n_res_dec"]):
                lv.res.append(Res(cur, ch[i], G))
                cur = ch[i]
            if i > 0:
                lv.upsample = Level()
                lv.upsample.conv = nn.Conv1d(cur, cur, 3, padding=1)
        self.norm_out = nn.GroupNorm(G, cur, eps=1e-6)
        self.conv_out = nn.Conv1d(cur, c["in_dim"], 3, padding=1)
        self.L = L

    def forward(self, z):
        h = self.conv_in(z)
        for r in self.mid.res:
            h = r(h)
        for i in reversed(range(self.L)):
            lv = self.up[i]
            for r in lv.res:
                h = r(h)
            if i > 0:
                h = lv.upsample.conv(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class VAE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = Encoder(c)
        self.decoder = Decoder(c)


def write_safetensors(path, tensors, meta):
    header, off, blobs = {}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32(a):
    return torch.tensor(np.asarray(a, dtype=np.float32), dtype=torch.float64)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "vae")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    c = CFG
    model = VAE(c).double()
    # random weights everywhere (norm affines too), rounded to float32 so C and torch share them exactly
    with torch.no_grad():
        for name, p in model.named_parameters():
            v = rng.standard_normal(p.shape) * (0.5 if p.dim() == 3 else 0.2)
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("norm_out.weight"):
                v = 1.0 + v
            p.copy_(f32(v))
    f = 2 ** (c["n_levels"] - 1)
    Tz = -(-T // f)
    Tp, C, Fd = Tz * f, c["z_channels"], c["in_dim"]
    x = f32(rng.standard_normal((B, T, Fd)))
    eps = f32(rng.standard_normal((B, Tz, C)))
    dextra = f32(rng.standard_normal((B, Tz, C)) * 0.1)

    xp = torch.cat([x, x[:, -1:, :].expand(B, Tp - T, Fd)], dim=1)        # replicate padding at the end
    moments = model.encoder(xp.transpose(1, 2))                              # (B, 2C, Tz)
    mean, logvar = torch.chunk(moments, 2, dim=1)
    logvar = torch.clamp(logvar, -30.0, 20.0)
    mean_t, logvar_t = mean.transpose(1, 2), logvar.transpose(1, 2)          # (B, Tz, C)
    z = mean_t + torch.exp(0.5 * logvar_t) * eps
    recon = model.decoder(z.transpose(1, 2)).transpose(1, 2)[:, :T, :]        # crop
    if c["recon_loss"] == "l1":
        rec = (recon - x).abs().mean()
    else:
        rec = ((recon - x) ** 2).mean()
    kl = 0.5 * (mean_t ** 2 + torch.exp(logvar_t) - 1.0 - logvar_t).mean()
    loss = rec + c["kl_weight"] * kl + (mean_t * dextra).sum()
    loss.backward()

    tensors = []
    for name, p in model.named_parameters():
        tensors.append(("w." + name, p.detach().numpy()))
    for name, p in model.named_parameters():
        tensors.append(("g." + name, p.grad.numpy()))
    for name, a in [("x", x), ("eps", eps), ("dextra", dextra), ("recon", recon), ("mean", mean_t),
                    ("logvar", logvar_t), ("z", z)]:
        tensors.append((name, a.detach().numpy()))
    tensors.append(("loss", np.array([loss.item(), rec.item(), kl.item()])))
    meta = {"momu.vae_config": json.dumps(c, separators=(",", ":")), "B": str(B), "T": str(T)}
    path = os.path.join(out, "tiny.safetensors")
    write_safetensors(path, tensors, meta)
    n = sum(p.numel() for p in model.parameters())
    print("wrote %s (%d bytes, %d parameters, loss %.6f)" % (path, os.path.getsize(path), n, loss.item()))


if __name__ == "__main__":
    main()
