#!/bin/sh
# By hand, on the real data (research-only, never copied into the repo): per-clip alignment of
# Dance-with-Melody, own- vs mismatched-music sync scores, and a summary table.
#   sh bench/align_report.sh [DATA_DIR] [OUT_DIR]
# Writes OUT_DIR/align.tsv (momu data align), OUT_DIR/cross.tsv (every motion x every music) and prints
# the summary of bench/align_summary.py. About 3 minutes on 2 busy cores (decode + 34 x 25 searches +
# 34 x 34 full searches for the fair mismatched comparison).
set -e
DATA=${1:-../shared/data/dance-with-melody}
OUT=${2:-bench/out/align}
M=${MOMU_BIN:-./momu}
mkdir -p "$OUT"
"$M" data align --data "$DATA" --out "$OUT/align.tsv" --cross "$OUT/cross.tsv" --cross-search --null 24 --seed 1
/usr/bin/python3 bench/align_summary.py "$OUT/align.tsv" "$OUT/cross.tsv"
