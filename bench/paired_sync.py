#!/usr/bin/python3
"""Paired statistics of the report's dance and music rows against their baselines, segment by segment.

    OMP_NUM_THREADS=2 ./momu eval report --data $D --align runs/data/align.tsv --model models --no-joint \
        --keep --work /tmp/work --out /tmp/R.md
    /usr/bin/python3 bench/paired_sync.py /tmp/work [--momu ./momu]

`momu eval report --keep` leaves the validation segments (val_music_SONG_KK.wav, val_motion_SONG_KK.npy) and
the generated files (gen_dance_III.npy, gen_music_III.wav, III = the segment's index in the report's
round-robin order) in the work folder. This rebuilds that order (songs in name order, the first segment of
every song, then the second, ...) and the report's mismatched partner (the next segment in that order from
another song), scores each set of pairs with `momu eval --pairs`, and prints, per metric, the mean of the
per-segment differences, its standard error and t, and on how many segments the first row wins. It checks
that its means equal the report's (the same files, the same scorer)."""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("work", help="the work folder of `momu eval report --keep --work DIR`")
    ap.add_argument("--momu", default="./momu", help="the momu binary (default ./momu)")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    names = os.listdir(work)
    segs = {}
    for f in names:
        m = re.fullmatch(r"val_music_(.+)_(\d\d)\.wav", f)
        if m:
            segs.setdefault(m.group(1), []).append(int(m.group(2)))
    if not segs:
        sys.exit("paired_sync: no val_music_*.wav in %s (run momu eval report with --keep --work)" % work)
    songs = sorted(segs)
    order, r = [], 0
    total = sum(len(v) for v in segs.values())
    while len(order) < total:
        for s in songs:
            if r in segs[s]:
                order.append((s, r))
        r += 1
    n = len(order)
    if not all(("gen_dance_%03d.npy" % i) in names and ("gen_music_%03d.wav" % i) in names for i in range(n)):
        sys.exit("paired_sync: %d segments but not every gen_dance_III.npy / gen_music_III.wav is there" % n)
    mis = []
    for i in range(n):
        j = next(((i + d) % n for d in range(1, n) if order[(i + d) % n][0] != order[i][0]), None)
        if j is None:
            sys.exit("paired_sync: one song only: no mismatched partner")
        mis.append(j)

    def vm(i):
        return "%s/val_music_%s_%02d.wav" % (work, *order[i])

    def vo(i):
        return "%s/val_motion_%s_%02d.npy" % (work, *order[i])

    sets = {
        "dance: momu": [(vm(i), "%s/gen_dance_%03d.npy" % (work, i)) for i in range(n)],
        "dance: ground truth": [(vm(i), vo(i)) for i in range(n)],
        "dance: mismatched": [(vm(i), vo(mis[i])) for i in range(n)],
        "music: momu": [("%s/gen_music_%03d.wav" % (work, i), vo(i)) for i in range(n)],
        "music: mismatched": [(vm(mis[i]), vo(i)) for i in range(n)],
    }
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, pairs in sets.items():
            tsv, js = os.path.join(tmp, "p.tsv"), os.path.join(tmp, "e.json")
            with open(tsv, "w") as f:
                for i, (mu, mo) in enumerate(pairs):
                    f.write("s%d\t%s\t%s\n" % (i, mu, mo))
            subprocess.run([a.momu, "eval", "--pairs", tsv, "--out", js, "-q"], check=True)
            d = json.load(open(js))
            res[k] = {m: [p[m] for p in d["pairs"]] for m in ("sync", "beat_f", "bas")}
    print("%d segments; means: %s" % (n, "; ".join("%s sync %.4f beat F %.4f" % (k, mean(v["sync"]), mean(v["beat_f"]))
                                                     for k, v in res.items())))
    print("| comparison | metric | mean difference | sd | SE | t | segments where the first is higher |")
    print("|---|---|---|---|---|---|---|")
    for a_, b_ in (("dance: momu", "dance: mismatched"), ("dance: ground truth", "dance: momu"),
                   ("music: momu", "music: mismatched")):
        for m in ("sync", "beat_f", "bas"):
            d = [x - y for x, y in zip(res[a_][m], res[b_][m])]
            mu = mean(d)
            sd = math.sqrt(sum((x - mu) ** 2 for x in d) / (n - 1))
            se = sd / math.sqrt(n)
            print("| %s − %s | %s | %+.4f | %.4f | %.4f | %.2f | %d / %d |" % (
                a_, b_.split(": ")[1], m.replace("beat_f", "beat F").replace("bas", "BAS"), mu, sd, se,
                mu / se if se > 0 else float("nan"), sum(x > 0 for x in d), n))


def mean(v):
    return sum(v) / len(v)


if __name__ == "__main__":
    main()
