#!/bin/sh
# By-hand sanity checks of the metrics on the real Dance-with-Melody data (research-only: everything derived
# is written under $OUT, outside the repository). Takes a few minutes on 2 cores.
#   DWM=/work/shared/data/dance-with-melody OUT=/tmp/momu-eval-sanity [ALIGN=align.tsv] sh bench/eval_sanity.sh
# 1. FID_k / FID_g between two halves of the real data (by clip, alternate in name order) against FID between
#    the same real half-B reference and static poses (each half-A clip's first frame held).
# 2. BAS / beat F / sync / LORIS of each real motion with its own music against another song's music, as
#    shipped and (with ALIGN, the table of `momu data align`) after re-timing the motion onto the music.
set -e
DWM=${DWM:-/work/shared/data/dance-with-melody}
OUT=${OUT:-/tmp/momu-eval-sanity}
M=${MOMU_BIN:-./momu}
mkdir -p "$OUT"
/usr/bin/python3 bench/eval_sanity_lists.py "$DWM" "$OUT"
run() { # name list [extra args]
    n=$1; l=$2; shift 2
    echo "== $n"
    "$M" eval --pairs "$OUT/$l" --split "train:$n" --out "$OUT/result_$n.tsv" -q "$@"
}
run halves halves.tsv
run static static.tsv
run own own.tsv
run other other.tsv
if [ -n "$ALIGN" ]; then
    run own_aligned own.tsv --align "$ALIGN"
    # other.tsv rows keep the motion's clip name, so the motion is re-timed with its own clip's alignment
    run other_aligned other.tsv --align "$ALIGN"
fi
echo "per-run results in $OUT/result_*.tsv"
