#!/usr/bin/python3
"""Reference values for tests/test_eval.c (run by hand; writes tests/fixtures/eval/kinetic.txt).

A line-by-line port of the AIST++ API kinetic features (aist_plusplus/features/kinetic.py and
utils/features.py, from fairmotion), with one fix: calc_average_acceleration's
    v1 = (positions[i + j][joint_idx] - positions[i + j - 1][joint_idx] / frame_time)
has a misplaced parenthesis; here v1 = (p[i+j] - p[i+j-1]) / frame_time, as momu does.
Positions are taken in centimetres and converted to metres, frame_time = 1/fps (momu's convention).

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


if __name__ == "__main__":
    main()
