#!/usr/bin/python3
"""Reference values for tests/test_eval.c (run by hand; writes tests/fixtures/eval/{kinetic,fid}.txt).

A line-by-line port of the AIST++ API kinetic features (aist_plusplus/features/kinetic.py and
utils/features.py, from fairmotion), with one fix: calc_average_acceleration's
    v1 = (positions[i + j][joint_idx] - positions[i + j - 1][joint_idx] / frame_time)
has a misplaced parenthesis; here v1 = (p[i+j] - p[i+j-1]) / frame_time, as momu does.
Positions are taken in centimetres and converted to metres, frame_time = 1/fps (momu's convention).

Also tests/fixtures/eval/fid.txt: two small feature sets, their Fréchet distance computed through the
eigenvalues of the non-symmetric product S1 S2 (numpy), and Bailando's normalised FID and diversities.

usage: /usr/bin/python3 tools/eval_reference.py
"""
import os
import numpy as np


def calc_average_velocity(positions, i, joint_idx, sliding_window, frame_time):
    current_window = 0
    average_velocity = np.zeros(len(positions[0][joint_idx]))
    for j in range(-sliding_window, sliding_window + 1):
        if i + j - 1 < 0 or i + j >= len(positions):
            continue
        average_velocity += positions[i + j][joint_idx] - positions[i + j - 1][joint_idx]
        current_window += 1
    return average_velocity / (current_window * frame_time)


def calc_average_acceleration(positions, i, joint_idx, sliding_window, frame_time):
    current_window = 0
    average_acceleration = np.zeros(len(positions[0][joint_idx]))
    for j in range(-sliding_window, sliding_window + 1):
        if i + j - 1 < 0 or i + j + 1 >= len(positions):
            continue
        v2 = (positions[i + j + 1][joint_idx] - positions[i + j][joint_idx]) / frame_time
        v1 = (positions[i + j][joint_idx] - positions[i + j - 1][joint_idx]) / frame_time  # fixed
        average_acceleration += (v2 - v1) / frame_time
        current_window += 1
    return np.linalg.norm(average_acceleration / current_window)


def kinetic_features(pos_cm, fps):
    positions = pos_cm.astype(np.float64) * 0.01
    frame_time, w = 1.0 / fps, 2
    out = []
    for joint in range(positions.shape[1]):
        h = v = ee = 0.0
        for i in range(1, len(positions)):
            av = calc_average_velocity(positions, i, joint, w, frame_time)
            h += np.linalg.norm(np.array([av[0], av[2]])) ** 2  # up_vec "y"
            v += np.linalg.norm(np.array([av[1]])) ** 2
            ee += calc_average_acceleration(positions, i, joint, w, frame_time)
        n = len(positions) - 1.0
        out += [h / n, v / n, ee / n]
    return np.array(out)


def frechet(x1, x2):
    """FID as Heusel et al.; Tr((S1 S2)^1/2) from the eigenvalues of the (non-symmetric) product, a different
    route from momu's symmetric Jacobi square root."""
    m1, m2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    ev = np.linalg.eigvals(s1 @ s2)
    tr = np.sqrt(np.clip(ev.real, 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr)


def diversity(x):
    n = len(x)
    return sum(np.linalg.norm(x[i] - x[j]) for i in range(n) for j in range(i + 1, n)) / (n * (n - 1) / 2)


def fid_div(ref, gen):
    """Bailando metrics_new.py: normalize(gt, pred) with the gt mean/std (+1e-10), then FID and diversity."""
    mean, std = ref.mean(0), ref.std(0)
    r, g = (ref - mean) / (std + 1e-10), (gen - mean) / (std + 1e-10)
    return frechet(r, g), diversity(r), diversity(g)


def write_fid_fixture(here, rng):
    n1, n2, d = 7, 6, 4
    x1 = np.round(rng.standard_normal((n1, d)) * [1, 2, 3, 0.5] + [0, 1, 0, 2], 4)
    x2 = np.round(rng.standard_normal((n2, d)) * [2, 1, 1, 1] + [1, 0, 0, 1], 4)
    x2[:, 1] += 0.8 * x2[:, 0]  # correlated, so the covariances do not commute
    x2 = np.round(x2, 4)
    fid = frechet(x1, x2)
    nf, dr, dg = fid_div(x1, x2)
    path = os.path.join(here, "..", "tests", "fixtures", "eval", "fid.txt")
    with open(path, "w") as f:
        f.write(f"# tools/eval_reference.py: set 1 ({n1}x{d}), set 2 ({n2}x{d}); FID raw; FID, div_ref, div_gen "
                "after Bailando normalisation by set 1\n")
        f.write(f"{n1} {n2} {d}\n")
        for x in np.concatenate([x1.reshape(-1), x2.reshape(-1)]):
            f.write(f"{x:.4f}\n")
        for x in (fid, nf, dr, dg):
            f.write(f"{x:.12e}\n")
    print(path, fid, nf, dr, dg)


def main():
    rng = np.random.default_rng(20261125)
    T, J, fps = 9, 2, 25.0
    pos = (rng.standard_normal((T, J, 3)) * 10.0).astype(np.float32)
    pos = np.round(pos, 3).astype(np.float32)  # exactly representable in the text file at 3 decimals
    feat = kinetic_features(pos, fps)
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "tests", "fixtures", "eval", "kinetic.txt")
    with open(path, "w") as f:
        f.write(f"# tools/eval_reference.py: AIST++ kinetic features (fixed acceleration), T {T} J {J} fps {fps:g}\n")
        f.write(f"{T} {J} {fps:g}\n")
        for x in pos.reshape(-1):
            f.write(f"{x:.3f}\n")
        for x in feat:
            f.write(f"{x:.12e}\n")
    print(path, feat)
    write_fid_fixture(here, rng)


if __name__ == "__main__":
    main()
