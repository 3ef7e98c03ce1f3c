#!/bin/sh
# By hand, on the real data (research-only, never copied into the repo): per-clip alignment of
# Dance-with-Melody, own- vs mismatched-music sync scores, and a summary table.
#   sh bench/align_report.sh [DATA_DIR] [OUT_DIR]
# Writes OUT_DIR/align.tsv (momu data align), OUT_DIR/cross.tsv (every motion x every music) and prints
# the summary of bench/align_summary.py. About 2 minutes on the 2 shared cores (61 s: decode + 34 x 25
# searches; 50 s: 34 x 34 full searches for the fair mismatched comparison); output byte-identical
# between runs and thread counts.
set -e
DATA=${1:-../shared/data/dance-with-melody}
OUT=${2:-bench/out/align}
mkdir -p "$OUT"
# run a private copy: a long run of ./momu itself would make `make` fail ("Text file busy") for everyone
M=$(mktemp); trap 'rm -f "$M"' EXIT
cp "${MOMU_BIN:-./momu}" "$M" && chmod 755 "$M"
"$M" data align --data "$DATA" --out "$OUT/align.tsv" --cross "$OUT/cross.tsv" --cross-search --null 24 --seed 1
/usr/bin/python3 bench/align_summary.py "$OUT/align.tsv" "$OUT/cross.tsv"
