"""Reference for momu's kinematic amplitude Q and kinematic beats (src/motion/beats.c), run by hand.

    /usr/bin/python3 tools/motion_beats_check.py fixture tests/fixtures/motion   # regenerate the test fixture
    /usr/bin/python3 tools/motion_beats_check.py compare CLIP.motion.npy [./momu] # momu CLI vs this reference

Independent of the C code:
  - speed beats exactly as Bailando's calc_db (utils/metrics_new.py): mean joint speed per frame,
    scipy.ndimage.gaussian_filter1d(sigma), scipy.signal.argrelextrema(np.less); sigma = 5 at 60 fps, scaled
    to 5 * fps / 60 (momu's documented choice); beat time = index / fps;
  - Q(r) from the MoMu formula (notes §3.3) on the camera plane (x, y), K = 8 windows of +-45 degrees
    (inclusive, 1e-9 rad tolerance), and peaks by the LORIS pick_peak rule (forward windows mean 4 / max 6,
    zero-padded, threshold 0.1 * mean(env), the last of consecutive peaks).
Needs python3-numpy and python3-scipy (scripts/deps.sh --dev).
"""
import os
import subprocess
import sys

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import argrelextrema

K = 8


def kinematic_amplitude(pos):
    T = pos.shape[0]
    q = np.zeros(T, dtype=np.float64)
    if T < 3:
        return q
    P = pos.astype(np.float64)
    F = P[1:, :, :2] - P[:-1, :, :2]                       # (T-1, J, 2)
    mag = np.sqrt((F ** 2).sum(-1))
    phi = np.mod(np.arctan2(F[..., 1], F[..., 0]), 2 * np.pi)
    D = np.zeros((T - 1, K))
    for k in range(K):
        d = np.mod(np.abs(2 * np.pi * k / K - phi), 2 * np.pi)
        d = np.minimum(d, 2 * np.pi - d)
        D[:, k] = (mag * ((d <= 2 * np.pi / K + 1e-9) & (mag > 0))).sum(1)
    flux = np.maximum(D[1:] - D[:-1], 0).sum(1)             # r = 1 .. T-2
    q[1:T - 1] = flux
    return q


def pick_peak_loris(env):
    env = np.asarray(env, dtype=np.float64)
    if env.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    env = env / env.max()
    N = len(env)
    pad = np.concatenate([env, np.zeros(6)])
    lmean = np.array([pad[n:n + 4].sum() / 4.0 for n in range(N)])
    lmax = np.array([pad[n:n + 6].max() for n in range(N)])
    peak = ((lmax - lmean > 0.1 * env.mean()) & (env == lmax)).astype(np.int64)
    nxt = np.append(peak[1:], 0)
    keep = peak * (nxt - peak != 0)
    return np.nonzero(keep)[0]


def speed_bailando(pos, fps):
    v = np.mean(np.sqrt(np.sum((pos[1:].astype(np.float64) - pos[:-1]) ** 2, axis=2)), axis=1)
    return gaussian_filter1d(v, 5.0 * fps / 60.0)


def speed_beats(pos, fps):
    v = speed_bailando(pos, fps)
    return argrelextrema(v, np.less)[0], v


def fixture(outdir):
    """A small synthetic motion (not the research data): 3 joints, 160 frames at 25 fps, smooth random
    oscillations plus a few direction reversals, stored with its reference Q, smoothed speed and beats."""
    rng = np.random.default_rng(20261125)
    T, J = 160, 3
    t = np.arange(T)[:, None]
    pos = np.zeros((T, J, 3))
    for j in range(J):
        for c in range(3):
            f1, f2 = rng.uniform(0.05, 0.3, 2)
            pos[:, j, c] = (20 * np.sin(f1 * t[:, 0] + rng.uniform(0, 6)) + 8 * np.sign(np.sin(f2 * t[:, 0]))
                            + rng.normal(0, 0.3, T))
    pos = pos.astype(np.float32)
    q = kinematic_amplitude(pos)
    bq = pick_peak_loris(q.astype(np.float32))
    bs, v = speed_beats(pos, 25.0)
    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "beats_motion.npy"), pos)
    np.save(os.path.join(outdir, "beats_q.npy"), q.astype(np.float32))
    np.save(os.path.join(outdir, "beats_speed.npy"), v.astype(np.float32))
    np.save(os.path.join(outdir, "beats_q_idx.npy"), bq.astype(np.float32))
    np.save(os.path.join(outdir, "beats_speed_idx.npy"), bs.astype(np.float32))
    print(f"wrote {outdir}: T {T}, {len(bq)} Q beats, {len(bs)} speed beats")


def compare(clip, momu):
    pos = np.load(clip)
    fps = 25.0
    ok = True
    for method in ("speed", "q"):
        out = subprocess.run([momu, "motion", "beats", "--method", method, clip], capture_output=True, text=True,
                             check=True).stdout.split()
        got = np.array([float(x) for x in out])
        if method == "speed":
            ref = speed_beats(pos, fps)[0] / fps
        else:
            ref = pick_peak_loris(kinematic_amplitude(pos).astype(np.float32)) / fps
        same = len(got) == len(ref) and np.allclose(got, ref, atol=1e-4)
        ok &= same
        n_common = len(set(np.round(got * fps).astype(int)) & set(np.round(ref * fps).astype(int)))
        print(f"{method}: momu {len(got)} beats, reference {len(ref)}, common {n_common}: {'same' if same else 'DIFFERENT'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "fixture":
        fixture(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "./momu")
    else:
        print(__doc__)
        sys.exit(2)
