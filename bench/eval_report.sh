#!/bin/sh
# Writes docs/RESULTS.md and docs/results_beats.png with `momu eval report` (docs/EVAL.md "The results
# report") using the settings of the committed report, and prints the wall time. Runs a private copy of the
# binary (keeps `make` usable meanwhile).
#   sh bench/eval_report.sh [extra momu eval report options, e.g. --max-clips 4 --out /tmp/R.md]
# Environment: DATA (../shared/data/dance-with-melody), ALIGN (runs/data/align.tsv), MODELS (models),
# ABLATION (a model folder trained without the contrastive loss; empty: no ablation row), ABLATION_LABEL (its
# rows' name), CLIP_SECONDS (10),
# STEPS (25), SEED (1), OMP_NUM_THREADS (2: the threads the report states).
set -e
DATA=${DATA:-../shared/data/dance-with-melody}
ALIGN=${ALIGN:-runs/data/align.tsv}
MODELS=${MODELS:-models}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
B=$(mktemp /tmp/momu-report.XXXXXX)
cp ./momu "$B"
chmod +x "$B"
trap 'rm -f "$B"' EXIT
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
set -- --data "$DATA" --align "$ALIGN" --model "$MODELS" --seconds "${CLIP_SECONDS:-10}" --steps "${STEPS:-25}" \
    --seed "${SEED:-1}" --tc-sweep 0.3,0.5,0.7 --out docs/RESULTS.md --plot docs/results_beats.png \
    --commit "$commit" --threads "OMP_NUM_THREADS=$OMP_NUM_THREADS on $(nproc --all) CPUs ($(uname -m))" \
    ${ABLATION:+--ablation-model "$ABLATION"} ${ABLATION_LABEL:+--ablation-label "$ABLATION_LABEL"} "$@"
t0=$(date +%s)
"$B" eval report "$@"
echo "eval report: $(( $(date +%s) - t0 )) s wall"
# momu's PNG writer stores its pixels uncompressed (1.6 MB for this plot); re-encode losslessly with ffmpeg's
# deflate before the plot is committed (same pixels, ≈ 60 KB)
plot=docs/results_beats.png
prev=""; for a in "$@"; do [ "$prev" = "--plot" ] && plot=$a; prev=$a; done
if [ -s "$plot" ] && command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -v error -y -i "$plot" -compression_level 100 -pred mixed "$plot.tmp.png" && mv "$plot.tmp.png" "$plot"
fi
