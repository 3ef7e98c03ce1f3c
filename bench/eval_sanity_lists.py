#!/usr/bin/python3
"""Pair lists for bench/eval_sanity.sh (run by hand; never writes into the repository).

usage: eval_sanity_lists.py DATA_DIR OUT_DIR

Writes into OUT_DIR (outside the repo: the data is research-only):
  own.tsv      every clip with its own music
  other.tsv    every clip's motion with the music of a clip of ANOTHER song (next clip in name order whose
               source_mp3_md5 differs)
  halves.tsv   clips of half A (even positions in name order) with music/motion, reference = half B clip
  static.tsv   the same rows with the motion replaced by a static pose (the clip's first frame held for the
               clip's length), reference = half B
  static/NAME.motion.npy   those static poses (derived data, kept in OUT_DIR only)
"""
import csv, os, sys
import numpy as np

data, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "static"), exist_ok=True)
rows = sorted(csv.DictReader(open(os.path.join(data, "manifest.tsv")), delimiter="\t"), key=lambda r: r["name"])
P = lambda r, k: os.path.abspath(os.path.join(data, r[k]))

with open(os.path.join(out, "own.tsv"), "w") as f:
    f.write("name\tmusic\tmotion\n")
    for r in rows:
        f.write(f"{r['name']}\t{P(r, 'music_file')}\t{P(r, 'motion_file')}\n")

with open(os.path.join(out, "other.tsv"), "w") as f:
    f.write("name\tmusic\tmotion\n")
    n = len(rows)
    for i, r in enumerate(rows):
        for k in range(1, n):
            o = rows[(i + k) % n]
            if o["source_mp3_md5"] != r["source_mp3_md5"]:
                break
        f.write(f"{r['name']}\t{P(o, 'music_file')}\t{P(r, 'motion_file')}\n")

A, B = rows[0::2], rows[1::2]
m = min(len(A), len(B))
with open(os.path.join(out, "halves.tsv"), "w") as f, open(os.path.join(out, "static.tsv"), "w") as g:
    f.write("name\tmusic\tmotion\treference_music\treference_motion\n")
    g.write("name\tmusic\tmotion\treference_music\treference_motion\n")
    for a, b in zip(A[:m], B[:m]):
        f.write(f"{a['name']}\t{P(a, 'music_file')}\t{P(a, 'motion_file')}\t{P(b, 'music_file')}\t{P(b, 'motion_file')}\n")
        x = np.load(P(a, "motion_file"))
        st = np.repeat(x[:1], x.shape[0], axis=0).astype(np.float32)
        sp = os.path.abspath(os.path.join(out, "static", a["name"] + ".motion.npy"))
        np.save(sp, st)
        g.write(f"{a['name']}\t{P(a, 'music_file')}\t{sp}\t{P(b, 'music_file')}\t{P(b, 'motion_file')}\n")
print(f"{len(rows)} clips; halves of {m}")
