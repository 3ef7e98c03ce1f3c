#!/bin/sh
# CLI checks of `momu eval` (hand-computed values; see tests/test_eval.c for the library tests).
M=${MOMU_BIN:-./momu}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }

printf '1\n2\n3\n4\n' > "$d/ref.txt"
printf '1.05\n2.1\n2.95\n3.0\n5\n' > "$d/est.txt"
# m = 2: P 0.4, R 0.5, F 0.4444
out=$("$M" eval beats --ref "$d/ref.txt" --est "$d/est.txt" 2>&1)
if echo "$out" | grep -q '^P	0.4000' && echo "$out" | grep -q '^R	0.5000' && echo "$out" | grep -q '^F	0.4444'; then
    ok eval_beats_values; else ko eval_beats_values; echo "$out"; fi
# a wider window (0.11 s) lets 2.1 hit 2: m = 3, P 0.6, R 0.75, F 0.6667
out=$("$M" eval beats --ref "$d/ref.txt" --est "$d/est.txt" --tolerance 0.11 2>&1)
if echo "$out" | grep -q '^F	0.6667'; then ok eval_beats_tolerance; else ko eval_beats_tolerance; echo "$out"; fi
"$M" eval beats --ref "$d/ref.txt" >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok eval_beats_missing_arg; else ko eval_beats_missing_arg; fi
printf '1\nx\n' > "$d/bad.txt"
err=$("$M" eval beats --ref "$d/bad.txt" --est "$d/est.txt" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'bad.txt:2'; then ok eval_beats_bad_file; else ko eval_beats_bad_file; echo "$err"; fi
"$M" eval beats --help >/dev/null 2>&1 && ok eval_beats_help || ko eval_beats_help
