#!/usr/bin/python3
"""Seam analysis of a generated motion: are the frame-to-frame jumps at the window borders of windowed sampling
larger than elsewhere?  (bench/README.md, "Long dance and seams"; run by hand; numpy only.)

  bench/seams.py OUT.npy --window 125 --overlap 25 [--latent-frames TZ] [--expect-windows N] [--per-border]

OUT.npy: (T, J, 3) float32 world positions in cm, 25 fps (include/momu/motion.h). Windows are laid out in latent
frames exactly as src/diffusion/window.c (momu_windowed_init / momu_windowed_start) does: Tz latent frames,
windows of W starting every W - O frames, n = ceil((Tz - W) / (W - O)) + 1, the last one moved back to end at Tz.
One latent frame = T / Tz motion frames (2 for the DwM motion VAE: 25 fps / 12.5 Hz).

Jump at frame t (t = 0 .. T-2) = |P(t+1, j) - P(t, j)| (Euclidean, cm per frame), reduced over joints j by max
("max") and by mean ("mean"). A window border is an interior window edge: the start of window k >= 1 and the end
of window k <= n-2, at motion frame b = edge * T / Tz; the jump across it is jump b-1. Groups of jumps:
  border   jumps b-3 .. b+1 (the one across each border and 2 on each side: "within +-2 frames")
  overlap  jumps inside an overlap region [start of window k, end of window k-1) (where two windows blend)
  control  jumps within +-2 frames of the middle of each window's single-coverage part (same count and width as
           the border set, away from any border: what "border" would show if borders did nothing)
  interior every jump not in border or overlap ("elsewhere")
"""
import argparse
import sys

import numpy as np


def window_starts(Tz, W, O):
    """momu_windowed_init / momu_windowed_start (src/diffusion/window.c)."""
    if Tz <= W:
        return [0]
    stride = W - O
    n = (Tz - W + stride - 1) // stride + 1
    return [min(k * stride, Tz - W) for k in range(n)]


def pct_rank(ref_sorted, v):
    """Percentage of reference jumps strictly below v (ties count half): 100 = above every reference jump."""
    lo = np.searchsorted(ref_sorted, v, side="left")
    hi = np.searchsorted(ref_sorted, v, side="right")
    return 100.0 * (lo + 0.5 * (hi - lo)) / max(len(ref_sorted), 1)


def dist(x):
    if len(x) == 0:
        return "(none)"
    p = np.percentile(x, [50, 95, 99])
    return f"median {p[0]:8.3f}  p95 {p[1]:8.3f}  p99 {p[2]:8.3f}  max {np.max(x):8.3f}  (n = {len(x)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("npy")
    ap.add_argument("--window", type=int, default=125, help="latent frames per window (generate's W) [125]")
    ap.add_argument("--overlap", type=int, default=None, help="overlap in latent frames (generate's O) [window/5]")
    ap.add_argument("--latent-frames", type=int, default=0, help="Tz (generate's summary line); 0: T/2")
    ap.add_argument("--expect-windows", type=int, default=0, help="fail unless the layout has this many windows")
    ap.add_argument("--per-border", action="store_true", help="print one line per border and overlap (max over joints)")
    ap.add_argument("--fps", type=float, default=25.0, help="motion frame rate [25]")
    a = ap.parse_args()
    W = a.window
    O = W // 5 if a.overlap is None else a.overlap
    P = np.load(a.npy).astype(np.float64)
    if P.ndim != 3 or P.shape[2] != 3 or P.shape[0] < 3:
        sys.exit(f"seams: {a.npy}: expected (T, J, 3) positions, got {P.shape}")
    T, J = P.shape[0], P.shape[1]
    Tz = a.latent_frames or T // 2
    if T % Tz:
        sys.exit(f"seams: {T} motion frames is not a whole number of frames per latent frame for Tz = {Tz}")
    f = T // Tz
    if not (0 <= O < W):
        sys.exit(f"seams: need 0 <= overlap < window (got {O}, {W})")
    starts = window_starts(Tz, W, O)
    n = len(starts)
    if a.expect_windows and a.expect_windows != n:
        sys.exit(f"seams: layout W={W} O={O} over Tz={Tz} gives {n} windows, generate reported {a.expect_windows}")

    d = np.linalg.norm(np.diff(P, axis=0), axis=2)            # (T-1, J) cm per frame
    jumps = {"max": d.max(axis=1), "mean": d.mean(axis=1)}
    nj = T - 1

    print(f"seams: {a.npy}: {T} frames ({T / a.fps:.2f} s at {a.fps:g} fps), {J} joints; "
          f"Tz = {Tz} latent frames ({f} motion frames each)")
    print(f"layout: window W = {W}, overlap O = {O} latent frames, {n} windows, starts (latent frames) "
          + (", ".join(str(s) for s in starts) if n <= 12 else
             ", ".join(str(s) for s in starts[:6]) + ", ..., " + ", ".join(str(s) for s in starts[-3:])))
    if n == 1:
        print("one window: no borders, nothing to compare")
        return

    borders = sorted(set([starts[k] for k in range(1, n)] + [starts[k] + W for k in range(n - 1)]))
    overlaps = [(starts[k], starts[k - 1] + W) for k in range(1, n)]            # latent [lo, hi)
    in_border = np.zeros(nj, bool)
    in_overlap = np.zeros(nj, bool)
    border_idx = []
    for b in borders:
        c = b * f - 1                                            # the jump across the border
        idx = np.arange(max(c - 2, 0), min(c + 3, nj))
        border_idx.append((b, idx))
        in_border[idx] = True
    for lo, hi in overlaps:
        in_overlap[lo * f:min(hi * f - 1, nj)] = True          # jumps between frames inside [lo*f, hi*f)
    single = np.ones(Tz, bool)                                   # latent frames covered by one window only
    cover = np.zeros(Tz, int)
    for s in starts:
        cover[s:s + W] += 1
    single = cover == 1
    control_idx = []
    for k, s in enumerate(starts):
        fr = np.nonzero(single[s:s + W])[0]
        if len(fr) >= 5:
            mid = (s + fr[len(fr) // 2]) * f
            control_idx.append(np.arange(max(mid - 3, 0), min(mid + 2, nj)))
    control = np.concatenate(control_idx) if control_idx else np.zeros(0, int)
    interior = ~(in_border | in_overlap)
    nb = len(borders)
    print(f"{nb} interior window borders (latent frames {', '.join(str(b) for b in borders[:8])}"
          + (", ..." if nb > 8 else "") + f"); {len(overlaps)} overlap regions of {O} latent frames"
          + (f" (last {overlaps[-1][1] - overlaps[-1][0]})" if overlaps[-1][1] - overlaps[-1][0] != O else ""))
    print("jump = |P(t+1) - P(t)| per joint in cm per frame (x 25 = cm/s); 'max' and 'mean' over joints")
    summary = []
    for name, x in jumps.items():
        ref = np.sort(x[interior])
        bx = x[in_border]
        worst_b = max(border_idx, key=lambda bi: x[bi[1]].max())
        wb = x[worst_b[1]].max()
        print(f"\n[{name} over joints]")
        print(f"  interior (elsewhere) {dist(x[interior])}")
        print(f"  border +-2 frames    {dist(bx)}")
        print(f"  overlap regions      {dist(x[in_overlap])}")
        print(f"  control (mid-window) {dist(x[control])}")
        rb = pct_rank(ref, wb)
        rc = pct_rank(ref, x[control].max()) if len(control) else float("nan")
        m = len(bx)
        print(f"  worst border jump {wb:.3f} at latent frame {worst_b[0]} (t = {worst_b[0] / 12.5:.1f} s): "
              f"percentile rank {rb:.2f} among interior jumps; x {wb / np.median(ref):.2f} the interior median, "
              f"x {wb / np.percentile(ref, 99):.2f} its p99")
        print(f"  reference: the worst of the {len(control)} control jumps ranks {rc:.2f}; the max of {m} "
              f"jumps drawn from the interior would rank about {100.0 * m / (m + 1):.2f} on average")
        med_b, med_i = np.median(bx), np.median(ref)
        summary.append(f"summary ({name} over joints): border/interior median {med_b / med_i:.2f}, overlap/interior "
                       f"median {np.median(x[in_overlap]) / med_i:.2f}; worst border jump {wb:.2f} cm/frame ranks "
                       f"{rb:.2f} (control {rc:.2f}, chance ~{100.0 * m / (m + 1):.2f}); interior median {med_i:.2f} "
                       f"p99 {np.percentile(ref, 99):.2f} max {ref[-1]:.2f}")
        print(f"  border median / interior median = {med_b / med_i:.3f};  overlap median / interior median = "
              f"{np.median(x[in_overlap]) / med_i:.3f}")
        if a.per_border and name == "max":
            print("  border  latent  time_s  max_jump  rank")
            for i, (b, idx) in enumerate(border_idx):
                v = x[idx].max()
                print(f"  {i:6d}  {b:6d}  {b / 12.5:6.1f}  {v:8.3f}  {pct_rank(ref, v):6.2f}")
            print("  overlap  latent_range  max_jump  mean_jump")
            for i, (lo, hi) in enumerate(overlaps):
                seg = x[lo * f:min(hi * f - 1, nj)]
                print(f"  {i:7d}  {lo:5d}-{hi:<6d}  {seg.max():8.3f}  {seg.mean():9.3f}")
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
