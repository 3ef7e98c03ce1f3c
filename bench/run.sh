#!/bin/sh
# bench/run.sh — the whole network benchmark in one command: builds bench/out/{bench_nn,sgemm_ceiling},
# measures the sgemm ceiling, then runs momu and the PyTorch peer (same weights, same inputs) alternately
# for ROUNDS rounds with 2 threads, once more each with 1 thread, and prints a summary with the
# momu/PyTorch speed ratios and momu's GFLOP/s against the ceiling.
#   bench/run.sh [reps] [rounds]     (defaults 7 and 3)
# Each number is the median of `reps` steps after 2 warm-up steps; with several rounds the summary keeps the
# best (lowest) median of each side, which filters out rounds disturbed by other load on the machine.
# Environment: BENCH_OUT (default bench/out/run) holds the weights, inputs and outputs exchanged with Python.
set -e
cd "$(dirname "$0")/.."
REPS=${1:-7}
ROUNDS=${2:-3}
OUT=${BENCH_OUT:-bench/out/run}
mkdir -p "$OUT"
make -s -C bench -f nn.mk >/dev/null
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load before: $(uptime | sed 's/.*load average/load average/')"
echo "== sgemm ceiling (OpenBLAS, 2048^2)"
bench/out/sgemm_ceiling 2048 9 | tee "$OUT/ceiling.txt"
LOG=$(mktemp); trap 'rm -f "$LOG"' EXIT
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "== round $r: momu, OMP_NUM_THREADS=2"
    OMP_NUM_THREADS=2 bench/out/bench_nn "$OUT" "$REPS" all | tee -a "$LOG" | sed 's/^/  /'
    echo "== round $r: PyTorch, torch.set_num_threads(2), OMP_NUM_THREADS=2"
    OMP_NUM_THREADS=2 /usr/bin/python3 bench/peer_nn.py "$OUT" --threads 2 --reps "$REPS" | tee -a "$LOG" | sed 's/^/  /'
    r=$((r + 1))
done
echo "== PyTorch, torch.set_num_threads(2), OMP_NUM_THREADS=2, OPENBLAS_NUM_THREADS=1 (BLAS single-threaded)"
OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_nn.py "$OUT" --threads 2 --reps "$REPS" \
    | tee -a "$LOG" | sed 's/^/  /'
echo "== one thread: momu OMP_NUM_THREADS=1, PyTorch set_num_threads(1) OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
OMP_NUM_THREADS=1 bench/out/bench_nn "$OUT" "$REPS" all | sed -n 's/^RESULT /RESULT1 /p' | tee -a "$LOG" | sed 's/^/  /'
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_nn.py "$OUT" --threads 1 --reps "$REPS" \
    | sed -n 's/^RESULT_PEER /RESULT1_PEER /p' | tee -a "$LOG" | sed 's/^/  /'
echo "== load after: $(uptime | sed 's/.*load average/load average/')"
# the ceiling is an upper bound: keep the best run of each thread count
ceil2=$(sed -n 's/.*2 threads: .* best \([0-9.]*\) GFLOP.*/\1/p' "$OUT/ceiling.txt")
ceil1=$(sed -n 's/.*1 thread : .* best \([0-9.]*\) GFLOP.*/\1/p' "$OUT/ceiling.txt")
echo "== summary: wall seconds per step (best of $ROUNDS round medians), torch/momu = momu's speed relative to PyTorch"
awk -v c2="$ceil2" -v c1="$ceil1" '
function keep(a, k, v) { if (!(k in a) || v < a[k]) a[k] = v }
/^RESULT /       { keep(t, $2, $3); gf[$2] = $4 }
/^RESULT_PEER /  { keep(p, $2, $3) }
/^RESULT1 /      { keep(t1, $2, $3) }
/^RESULT1_PEER / { keep(p1, $2, $3) }
END {
    printf "  %-11s %9s %9s %7s %9s %9s %7s %16s\n", "shape", "momu 2T", "torch 2T", "ratio", "momu 1T", "torch 1T", "ratio", "momu GFLOP/s 2T"
    n = split("dit-train dit-sample res-train", k, " ")
    for (i = 1; i <= n; i++) if (k[i] in t)
        printf "  %-11s %9.4f %9.4f %6.2fx %9.4f %9.4f %6.2fx %8.1f (%2.0f%%)\n", k[i], t[k[i]], p[k[i]], p[k[i]] / t[k[i]],
               t1[k[i]], p1[k[i]], p1[k[i]] / t1[k[i]], gf[k[i]] / t[k[i]], 100 * gf[k[i]] / t[k[i]] / c2
    printf "  sgemm ceiling (best of 9): %s GFLOP/s (2 threads), %s (1 thread); (%%) = share of the 2-thread ceiling\n", c2, c1
    print  "  targets: dit-train >= 1.0x, dit-sample >= 1.5x"
}' "$LOG"
