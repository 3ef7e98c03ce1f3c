#!/usr/bin/python3
"""Reference values of torch.optim.AdamW + torch.nn.utils.clip_grad_norm_ for tests/test_nn_params.c.

Run by hand: /usr/bin/python3 tools/nn_optim_reference.py tests/fixtures/nn
Writes (float32 .npy, a flat vector = weight (24,32) row-major then bias (24), 792 values):
  adamw_init.npy    (792)    the initial parameters
  adamw_grads.npy   (3,792)  the gradient given at each step (before clipping)
  adamw_params.npy  (3,792)  the parameters after each step
  adamw_norms.npy   (3)      the pre-clip total norm returned by clip_grad_norm_
Setup: lr 0.01, betas (0.9, 0.999), eps 1e-8, weight_decay 0.1 on the weight and 0 on the bias (two param
groups, as momu's per-tensor decay mask), clip max_norm 1.0. Step 2's gradient is scaled by 10 so that
clipping engages; steps 1 and 3 are below the threshold (gradients scaled by 0.02).
"""
import os
import sys

import numpy as np
import torch


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/nn"
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    w = torch.nn.Parameter(torch.randn(24, 32, generator=g))
    b = torch.nn.Parameter(torch.randn(24, generator=g))
    init = torch.cat([w.detach().flatten(), b.detach().flatten()]).numpy().copy()
    opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                            lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    grads, params, norms = [], [], []
    for step in range(3):
        gw = torch.randn(24, 32, generator=g) * (0.02 if step != 1 else 10.0)
        gb = torch.randn(24, generator=g) * (0.02 if step != 1 else 10.0)
        grads.append(torch.cat([gw.flatten(), gb.flatten()]).numpy().copy())
        opt.zero_grad()
        w.grad = gw.clone()
        b.grad = gb.clone()
        n = torch.nn.utils.clip_grad_norm_([w, b], max_norm=1.0)
        norms.append(float(n))
        opt.step()
        params.append(torch.cat([w.detach().flatten(), b.detach().flatten()]).numpy().copy())
        print(f"step {step + 1}: pre-clip norm {float(n):.9g}; params[:4] {params[-1][:4]}")
    np.save(os.path.join(out, "adamw_init.npy"), init.astype(np.float32))
    np.save(os.path.join(out, "adamw_grads.npy"), np.stack(grads).astype(np.float32))
    np.save(os.path.join(out, "adamw_params.npy"), np.stack(params).astype(np.float32))
    np.save(os.path.join(out, "adamw_norms.npy"), np.array(norms, dtype=np.float32))
    print(f"wrote adamw_*.npy to {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
