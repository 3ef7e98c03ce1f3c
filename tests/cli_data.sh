#!/bin/sh
# CLI checks of `momu data align|prepare` on a tiny silent fixture made here (tests/test_sync.c and
# tests/test_data.c test the library on informative synthetic data).
M=${MOMU_BIN:-./momu}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }
mkdir "$d/clips"
# 5 s of 16 kHz 16-bit mono silence (160000 data bytes = 0x027100)
{ printf 'RIFF\044\161\002\000WAVEfmt \020\000\000\000\001\000\001\000\200\076\000\000\000\175\000\000\002\000\020\000'
  printf 'data\000\161\002\000'; head -c 160000 /dev/zero; } > "$d/clips/S.music.wav"
# (125, 23, 3) float32 zeros: a 128-byte npy header + 34500 bytes
{ printf "\223NUMPY\001\000\166\000{'descr': '<f4', 'fortran_order': False, 'shape': (125, 23, 3), }"
  printf '%*s\n' 52 ''; head -c 34500 /dev/zero; } > "$d/clips/S.motion.npy"
"$M" data align --data "$d/clips" --out "$d/align.tsv" --null 2 -q; rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l < "$d/align.tsv")" -eq 2 ] && grep -q '^S	' "$d/align.tsv"; then
    ok data_align_runs; else ko data_align_runs; cat "$d/align.tsv"; fi
"$M" data align >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok data_align_missing_data; else ko data_align_missing_data; fi
rm "$d/clips/S.music.wav"
err=$("$M" data align --data "$d/clips" --out "$d/a2.tsv" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'missing pair'; then ok data_align_missing_pair; else ko data_align_missing_pair; echo "$err"; fi
"$M" data prepare --data "$d/clips" >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok data_prepare_missing_out; else ko data_prepare_missing_out; fi
"$M" data prepare --help >/dev/null 2>&1 && ok data_prepare_help || ko data_prepare_help
