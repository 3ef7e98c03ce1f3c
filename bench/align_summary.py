"""Summary of `momu data align` on a data set: the per-clip table, how many clips stand above the random-
alignment level and above the searched null, and own- vs mismatched-music sync scores.
usage: python3 bench/align_summary.py align.tsv cross.tsv"""
import csv
import sys

import numpy as np


def read(path):
    return list(csv.DictReader(open(path), delimiter="\t"))


al = read(sys.argv[1])
f = lambda rows, k: np.array([float(r[k]) for r in rows])
print("%-11s %7s %8s %7s %7s %8s %8s %6s %5s" % ("clip", "scale", "offset_s", "before", "after", "rand_p99",
                                                 "null_max", "z", "pct"))
for r in al:
    print("%-11s %7.4f %+8.3f %7.3f %7.3f %8.3f %8.3f %6.2f %5.0f" % (
        r["name"], float(r["scale"]), float(r["offset_s"]), float(r["score_before"]), float(r["score_after"]),
        float(r["rand_p99"]), float(r["null_max"]), float(r["z"]), float(r["percentile"])))
b, a, p99, z, pct = (f(al, k) for k in ("score_before", "score_after", "rand_p99", "z", "percentile"))
sc = f(al, "scale")
n = len(al)
print("\nclips: %d" % n)
print("sync score before alignment: mean %.3f (range %.3f..%.3f)" % (b.mean(), b.min(), b.max()))
print("sync score after alignment:  mean %.3f (range %.3f..%.3f)" % (a.mean(), a.min(), a.max()))
print("scale: median %.4f (true fps %.2f), IQR %.4f..%.4f, %d of %d in 0.96..1.00" % (
    np.median(sc), 25 * np.median(sc), np.percentile(sc, 25), np.percentile(sc, 75), np.sum(sc <= 1.0), n))
print("above the random-alignment level (after > own rand_p99): %d of %d" % (np.sum(a > p99), n))
print("above the searched circular-shift null (z >= 2 and percentile 100): %d of %d" % (
    np.sum((z >= 2) & (pct >= 100)), n))
cr = read(sys.argv[2])
own = [r for r in cr if r["own"] == "1"]
mis = [r for r in cr if r["own"] == "0"]
for k, what in (("score_at_alignment", "at the motion's own alignment (no search for mismatched pairs)"),
                ("search_corr", "best of the same full search on every pair (fair)")):
    o, m = f(own, k), f(mis, k)
    if len(m) == 0 or not np.all(np.isfinite(m)):
        continue
    print("\nsync %s:" % what)
    print("  own music:        mean %.3f median %.3f (n=%d)" % (o.mean(), np.median(o), len(o)))
    print("  mismatched music: mean %.3f median %.3f p95 %.3f p99 %.3f (n=%d)" % (
        m.mean(), np.median(m), np.percentile(m, 95), np.percentile(m, 99), len(m)))
    names = sorted(set(r["motion"] for r in cr))
    ranks = []
    for nm in names:
        rows = sorted((r for r in cr if r["motion"] == nm), key=lambda r: -float(r[k]))
        ranks.append([r["music"] for r in rows].index(nm) + 1)
    ranks = np.array(ranks)
    print("  rank of the own music among all %d songs: top-1 %d, top-3 %d, median rank %.1f" % (
        len(names), np.sum(ranks == 1), np.sum(ranks <= 3), np.median(ranks)))
