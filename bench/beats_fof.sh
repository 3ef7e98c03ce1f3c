#!/bin/sh
# Beat-tracking benchmark on the 8 Frets on Fire recordings (ground truth: ../shared/data/fretsonfire-beats.tsv,
# beat k at offset + k*60/bpm s, k = 0..n_beats-1). For each song, song.ogg + guitar.ogg are mixed to mono
# 44.1 kHz WAV (ffmpeg amix) in the cache (never in the repository), then momu's tracker and aubio's
# `aubiotrack` (default options) run on the same file, and both are scored with the beat F-measure
# (+-70 ms, one-to-one; bench/beats_score.py), at the annotated tempo and with double/half tempo accepted.
#
#   bench/beats_fof.sh                      # uses ./momu audio beats --bpm FILE (make first)
#   BEATS_CMD="bench/out/beats_track" bench/beats_fof.sh   # any command printing one time per line
#   TSV=/path/to/fretsonfire-beats.tsv MOMU_CACHE=/cache bench/beats_fof.sh
#   WARP=1 bench/beats_fof.sh   # robustness to tempo changes: each mix re-timed in sections (x1 up to 60 s,
#                               # sped up 4 % from 60 s, slowed 4 % from 120 s; reference beats mapped alike)
#   WARP=2 bench/beats_fof.sh   # robustness to tempo drift: 10-s pieces sped up by 1 + 0.02 sin(2 pi t / 100 s)
set -eu
cd "$(dirname "$0")/.."
TSV=${TSV:-../shared/data/fretsonfire-beats.tsv}
[ -f "$TSV" ] || TSV=/work/shared/data/fretsonfire-beats.tsv
BEATS_CMD=${BEATS_CMD:-./momu audio beats --bpm}
PY=/usr/bin/python3
ROOT=$(scripts/fetch_fretsonfire.sh)
MIX=${MOMU_CACHE:-$HOME/.cache/momu}/fretsonfire/mix
OUT=$MIX/out
WARP=${WARP:-0}
WSPEC=""
WFILT=""
if [ "$WARP" = 1 ]; then
    WSPEC="60:1.04,120:0.96"; OUT=$MIX/out-warp
    WFILT="[0]atrim=0:60,asetpts=N/SR/TB[a];[0]atrim=60:120,asetpts=N/SR/TB,atempo=1.04[b];[0]atrim=120,asetpts=N/SR/TB,atempo=0.96[c];[a][b][c]concat=n=3:v=0:a=1"
elif [ "$WARP" = 2 ]; then
    OUT=$MIX/out-drift
    WSPEC=$($PY -c 'import math; print(",".join("%d:%.4f" % (10*i, 1 + 0.02*math.sin(2*math.pi*i/10)) for i in range(25)))')
    WFILT=$($PY -c 'import math
r = [1 + 0.02*math.sin(2*math.pi*i/10) for i in range(25)]
f = ["[0]atrim=%d:%s,asetpts=N/SR/TB,atempo=%.4f[s%d]" % (10*i, "" if i == 24 else str(10*i + 10), r[i], i) for i in range(25)]
print(";".join(f) + ";" + "".join("[s%d]" % i for i in range(25)) + "concat=n=25:v=0:a=1")')
fi
mkdir -p "$MIX" "$OUT"
rm -f "$OUT/fcheck.txt"
make -s -C bench out/beats_fcheck >/dev/null 2>&1 || true   # optional cross-check with eval.h
tab=$(printf '\t')
printf '%-24s %6s %7s | %7s %7s %7s | %7s %7s %7s\n' song bpm momu_bpm momu_F momu_F2 aubio_F aubio_F2 momu_s aubio_s
tail -n +2 "$TSV" | while IFS="$tab" read -r pkg dir lic bpm bpb dur off nb; do
    name=$(basename "$dir" | tr ' ' _)
    wav=$MIX/$name.wav
    if [ ! -f "$wav" ]; then
        ffmpeg -nostdin -loglevel error -y -i "$ROOT/$dir/song.ogg" -i "$ROOT/$dir/guitar.ogg" \
            -filter_complex amix=inputs=2:duration=longest -ac 1 -ar 44100 "$wav.tmp.wav"
        mv "$wav.tmp.wav" "$wav"
    fi
    if [ -n "$WSPEC" ]; then
        wwav=$MIX/$name.warp$WARP.wav
        if [ ! -f "$wwav" ]; then
            ffmpeg -nostdin -loglevel error -y -i "$wav" -filter_complex "$WFILT" "$wwav.tmp.wav"
            mv "$wwav.tmp.wav" "$wwav"
        fi
        wav=$wwav
    fi
    t0=$($PY -c 'import time; print(time.time())')
    $BEATS_CMD "$wav" > "$OUT/$name.momu" 2> "$OUT/$name.momu.err" || { cat "$OUT/$name.momu.err" >&2; exit 1; }
    t1=$($PY -c 'import time; print(time.time())')
    aubiotrack -i "$wav" > "$OUT/$name.aubio"
    t2=$($PY -c 'import time; print(time.time())')
    mb=$(sed -n 's/.*bpm[^0-9]*\([0-9.]*\).*/\1/p' "$OUT/$name.momu.err" | tail -n 1)
    m=$($PY bench/beats_score.py "$bpm" "$off" "$nb" "$OUT/$name.momu" $WSPEC)
    a=$($PY bench/beats_score.py "$bpm" "$off" "$nb" "$OUT/$name.aubio" $WSPEC)
    if [ -x bench/out/beats_fcheck ] && [ -z "$WSPEC" ]; then
        echo "$(bench/out/beats_fcheck "$bpm" "$off" "$nb" "$OUT/$name.momu") $(bench/out/beats_fcheck "$bpm" "$off" "$nb" "$OUT/$name.aubio")" >> "$OUT/fcheck.txt"
    fi
    set -- $m; mf=$1; mf2=$2
    set -- $a; af=$1; af2=$2
    ms=$($PY -c "print('%.2f' % ($t1 - $t0))"); as=$($PY -c "print('%.2f' % ($t2 - $t1))")
    printf '%-24s %6s %7s | %7s %7s %7s | %7s %7s %7s\n' "$name" "$bpm" "${mb:-?}" "$mf" "$mf2" "$af" "$af2" "$ms" "$as"
done | tee "$OUT/table.txt"
awk 'NR>0 { m+=$5; m2+=$6; a+=$7; a2+=$9; n++ }
     END { if (n) printf "%-24s %6s %7s | %7.4f %7.4f %7.4f | %7.4f\n", "MEAN (" n " songs)", "", "", m/n, m2/n, a/n, a2/n }' "$OUT/table.txt"
[ -s "$OUT/fcheck.txt" ] && awk '{ m += $1; a += $2; n++ } END { printf "cross-check, momu_beat_fmeasure (eval.h) at the annotated tempo: momu %.4f, aubio %.4f\n", m/n, a/n }' "$OUT/fcheck.txt"
echo "columns: F = F-measure at the annotated tempo, F2 = best of annotated / double / half tempo; +-70 ms, one-to-one"
