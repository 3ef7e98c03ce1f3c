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

# ---- pair evaluation through files made here: a click track (16-bit WAV, 16 kHz, a 1 kHz click every
# 0.5 s) and two 2-joint JSON motions whose speed minima fall on the clicks / half a beat later.
LC_ALL=C awk 'BEGIN {
    sr = 16000; n = 6 * sr; printf "RIFF"; le32(36 + 2 * n); printf "WAVEfmt "; le32(16); le16(1); le16(1);
    le32(sr); le32(2 * sr); le16(2); le16(16); printf "data"; le32(2 * n);
    for (i = 0; i < n; i++) {
        k = i % 8000; v = 0;
        if (i >= 8000 && k < 800) v = int(26000 * exp(-k / 120.0) * sin(6.283185307 * 1000 * k / sr));
        if (v < 0) v += 65536; le16(v);
    }
}
function le16(x) { printf "%c%c", x % 256, int(x / 256) % 256 }
function le32(x) { le16(x % 65536); le16(int(x / 65536)) }' > "$d/clicks.wav"
for shift in 0.013 0.263; do
    awk -v s=$shift 'BEGIN { printf "{\"fps\": 25, \"frames\": [";
        for (t = 0; t < 150; t++) { x = 30 * cos(3.14159265 * (t / 25 - s) / 0.5);
            printf "%s[[%.4f, 100, 0], [%.4f, 150, 0]]", (t ? "," : ""), x, x + 10 }
        printf "]}\n" }' > "$d/m$shift.json"
done
printf 'name\tmusic\tmotion\treference_music\treference_motion\non\tclicks.wav\tm0.013.json\tclicks.wav\tm0.263.json\noff\tclicks.wav\tm0.263.json\tclicks.wav\tm0.013.json\n' > "$d/pairs.tsv"
out=$("$M" eval --pairs "$d/pairs.tsv" --split unit-test --out "$d/r.json" 2>&1); rc=$?
bas_on=$(sed -n 's/.*"name":"on".*"bas":\([0-9.e-]*\).*/\1/p' "$d/r.json" 2>/dev/null)
bas_off=$(sed -n 's/.*"name":"off".*"bas":\([0-9.e-]*\).*/\1/p' "$d/r.json" 2>/dev/null)
# on the beat BAS > 0.8, half a beat off < 0.3 (tests/test_eval.c sanity_pair_files has the reasoning)
if [ $rc -eq 0 ] && grep -q '"split":"unit-test"' "$d/r.json" && grep -q '"count":2' "$d/r.json" &&
   awk -v a="$bas_on" -v b="$bas_off" 'BEGIN { exit !(a > 0.8 && b < 0.3) }'; then
    ok eval_pairs_json; else ko eval_pairs_json; echo "$out"; echo "bas on '$bas_on' off '$bas_off'"; fi
if echo "$out" | grep -q 'split unit-test, 2 pairs, fps 25' && echo "$out" | grep -q 'FID_k'; then
    ok eval_pairs_table; else ko eval_pairs_table; echo "$out"; fi
"$M" eval --music "$d/clicks.wav" --motion "$d/m0.013.json" --split one --out "$d/r.tsv" >/dev/null 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^# momu eval; split one; fps 25' "$d/r.tsv" && grep -q '^BAS	0.9' "$d/r.tsv"; then
    ok eval_one_pair_tsv; else ko eval_one_pair_tsv; cat "$d/r.tsv"; fi
err=$("$M" eval --music "$d/clicks.wav" --motion "$d/missing.json" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'missing.json'; then ok eval_missing_motion; else ko eval_missing_motion; echo "$err"; fi
"$M" eval --music "$d/clicks.wav" >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok eval_needs_motion; else ko eval_needs_motion; fi
"$M" eval --pairs "$d/pairs.tsv" --out "$d/r.txt" >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok eval_out_extension; else ko eval_out_extension; fi
# BAS of ref {1,2,3,4} vs est: d = .05, .1, 0 (3.0), 1 -> (e^-.125 + e^-.5 + 1 + e^-50)/4 = 0.6223;
# LORIS with 4.5-s / 5.5-s clips: ref bins {1,2,3,4}, est bins {1,2,3,5}: BCS = BHS = 3/4
out=$("$M" eval beats --ref "$d/ref.txt" --est "$d/est.txt" --ref-duration 4.5 --est-duration 5.5 2>&1)
if echo "$out" | grep -q '^BAS	0.6223' && echo "$out" | grep -q '^BCS	0.7500' && echo "$out" | grep -q '^BHS	0.7500'; then
    ok eval_beats_bas_loris; else ko eval_beats_bas_loris; echo "$out"; fi
