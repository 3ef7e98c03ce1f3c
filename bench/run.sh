#!/bin/sh
# bench/run.sh — the whole network benchmark in one command: builds bench/out/{bench_nn,sgemm_ceiling},
# measures the sgemm ceiling, runs momu (2 threads, and 1 thread for reference) and the PyTorch peer in
# several thread configurations, and prints a summary with momu/PyTorch speed ratios (best PyTorch config).
#   bench/run.sh [reps]          (default 7; median of reps after 2 warm-up steps)
# Environment: BENCH_OUT (default bench/out/run) holds the weights, inputs and outputs exchanged with Python.
set -e
cd "$(dirname "$0")/.."
REPS=${1:-7}
OUT=${BENCH_OUT:-bench/out/run}
mkdir -p "$OUT"
make -s -C bench -f nn.mk >/dev/null
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load before: $(uptime | sed 's/.*load average/load average/')"
echo "== sgemm ceiling (OpenBLAS, 2048^2)"
bench/out/sgemm_ceiling 2048 5
LOG=$(mktemp); trap 'rm -f "$LOG"' EXIT
echo "== momu, OMP_NUM_THREADS=2"
OMP_NUM_THREADS=2 bench/out/bench_nn "$OUT" "$REPS" all | tee -a "$LOG" | sed 's/^RESULT/  RESULT/'
echo "== momu, OMP_NUM_THREADS=1 (reference)"
OMP_NUM_THREADS=1 bench/out/bench_nn "$OUT" "$REPS" all | sed -n 's/^RESULT /  RESULT1 /p'
# PyTorch configurations: its intra-op pool (torch.set_num_threads) x the OpenBLAS/OpenMP pools it links
for cfg in "2 2 2" "2 2 1" "1 1 1"; do
    set -- $cfg
    echo "== PyTorch, torch threads $1, OMP_NUM_THREADS=$2, OPENBLAS_NUM_THREADS=$3"
    OMP_NUM_THREADS=$2 OPENBLAS_NUM_THREADS=$3 /usr/bin/python3 bench/peer_nn.py "$OUT" --threads "$1" --reps "$REPS" \
        | tee -a "$LOG" | sed 's/^/  /'
done
echo "== load after: $(uptime | sed 's/.*load average/load average/')"
echo "== summary (wall time per step, median; PyTorch: its best configuration above)"
awk '
/^RESULT /      { t[$2] = $3; gf[$2] = $4; gfs[$2] = $5 }
/^RESULT_PEER / { if (!($2 in p) || $3 < p[$2]) p[$2] = $3 }
END {
    printf "  %-11s %10s %10s %12s %14s\n", "shape", "momu s", "torch s", "torch/momu", "momu GFLOP/s"
    n = split("dit-train dit-sample res-train", k, " ")
    for (i = 1; i <= n; i++) if (k[i] in t)
        printf "  %-11s %10.4f %10.4f %11.2fx %14.1f\n", k[i], t[k[i]], p[k[i]], p[k[i]] / t[k[i]], gfs[k[i]]
    print "  targets: dit-train >= 1.0x, dit-sample >= 1.5x (torch/momu = momu speed relative to PyTorch)"
}' "$LOG"
