#!/bin/sh
# Leave-one-song-out check of the tracker's defaults against overfitting to the 8 songs of bench/beats_fof.sh:
# runs the benchmark for a grid of settings (steady grid on/off x tightness 50/100/400 x prior 100/120/140 BPM,
# i.e. 18 runs, ~3 min on 2 cores), then for each song picks the setting with the best mean F on the other
# 7 (ties to the defaults) and scores it on the held-out song. Prints the LOO mean and the settings picked.
#   bench/beats_loo.sh        (needs ./momu; uses a copy of it so that a rebuild cannot interfere)
set -eu
cd "$(dirname "$0")/.."
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
cp ./momu "$D/momu"
for st in steady no-steady; do
    for a in 50 100 400; do
        for p in 100 120 140; do
            flag=""; [ $st = no-steady ] && flag="--no-steady"
            BEATS_CMD="$D/momu audio beats --bpm $flag --tightness $a --prior-bpm $p" bench/beats_fof.sh \
                > "$D/${st}_a${a}_p${p}.txt"
        done
    done
done
/usr/bin/python3 - "$D" <<'PY'
import glob, os, sys
res = {}
for f in glob.glob(os.path.join(sys.argv[1], '*.txt')):
    rows = [l.split() for l in open(f) if l.strip() and not l.startswith(('song', 'MEAN', 'cross', 'columns'))]
    res[os.path.basename(f)[:-4]] = {r[0]: (float(r[4]), float(r[5])) for r in rows}
songs = sorted(next(iter(res.values())))
default = 'steady_a100_p120'
for m, name in ((0, 'F (annotated tempo)'), (1, 'F (double/half accepted)')):
    tot, picks = 0.0, []
    for s in songs:
        best = max(res, key=lambda c: (sum(res[c][t][m] for t in songs if t != s), c == default))
        tot += res[best][s][m]
        picks.append(best)
    full = sum(res[default][t][m] for t in songs) / len(songs)
    print('%-26s defaults %.4f   leave-one-out %.4f   settings picked: %s' % (name, full, tot / len(songs),
          ', '.join(sorted(set(picks)))))
PY
