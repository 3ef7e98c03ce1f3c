#!/bin/sh
# CLI checks of `momu audio mel|onsets|invert` on the committed fixtures (tests/test_audio.c tests the library).
M=${MOMU_BIN:-./momu}
F=tests/fixtures/audio
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }

# mel: 1 s at 16 kHz -> (101, 80) float32 = 128-byte header + 32320 bytes
"$M" audio mel "$F/synth_16k.wav" --out "$d/m.npy" -q; rc=$?
if [ $rc -eq 0 ] && [ "$(wc -c < "$d/m.npy")" -eq 32448 ] && grep -q "'shape': (101, 80)" "$d/m.npy"; then
    ok audio_mel_shape; else ko audio_mel_shape; fi

# onsets: the synthetic clicks give the 8 onsets of the fixture, first at frame 5 = 0.116100 s
out=$("$M" audio onsets "$F/synth_22k.wav" --envelope "$d/env.npy" -q); rc=$?
if [ $rc -eq 0 ] && [ "$(echo "$out" | wc -l)" -eq 8 ] && [ "$(echo "$out" | head -1)" = "0.116100" ] &&
   [ "$(echo "$out" | tail -1)" = "1.880816" ] && [ -s "$d/env.npy" ]; then ok audio_onsets
else ko audio_onsets; echo "$out"; fi

# invert: mel -> WAV of (101 - 1) * 160 samples = 44 + 32000 bytes, summary on stderr
err=$("$M" audio invert "$d/m.npy" --out "$d/y.wav" --iters 4 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(wc -c < "$d/y.wav")" -eq 32044 ] && echo "$err" | grep -q 'spectral convergence'; then
    ok audio_invert; else ko audio_invert; echo "$err"; fi

# invert rejects a (3, 7) array with a message naming the file and the shape
{ printf "\223NUMPY\001\000\166\000{'descr': '<f4', 'fortran_order': False, 'shape': (3, 7), }"
  printf '%*s\n' 58 ''; head -c 84 /dev/zero; } > "$d/bad.npy"
err=$("$M" audio invert "$d/bad.npy" --out "$d/z.wav" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'bad.npy: shape (3, 7), expected' && [ ! -e "$d/z.wav" ]; then
    ok audio_invert_wrong_shape; else ko audio_invert_wrong_shape; echo "rc $rc: $err"; fi

# invert rejects values that are not a log10 mel (here 100 everywhere)
{ printf "\223NUMPY\001\000\166\000{'descr': '<f4', 'fortran_order': False, 'shape': (2, 80), }"
  printf '%*s\n' 57 ''; i=0; while [ $i -lt 160 ]; do printf '\000\000\310\102'; i=$((i + 1)); done; } > "$d/big.npy"
err=$("$M" audio invert "$d/big.npy" --out "$d/z.wav" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'big.npy: .*not a log10 mel'; then ok audio_invert_bad_values
else ko audio_invert_bad_values; echo "rc $rc: $err"; fi

# garbage input: exit 1, the message names the file
head -c 3000 /dev/urandom > "$d/noise.wav"
err=$("$M" audio mel "$d/noise.wav" --out "$d/n.npy" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'noise.wav' && [ ! -e "$d/n.npy" ]; then ok audio_mel_garbage
else ko audio_mel_garbage; echo "rc $rc: $err"; fi

# usage errors exit 2, --help exits 0
"$M" audio invert "$d/m.npy" >/dev/null 2>&1; [ $? -eq 2 ] && ok audio_invert_needs_out || ko audio_invert_needs_out
"$M" audio nosuchverb >/dev/null 2>&1; [ $? -eq 2 ] && ok audio_unknown_verb || ko audio_unknown_verb
"$M" audio mel --help >/dev/null 2>&1 && "$M" audio --help >/dev/null 2>&1 && ok audio_help || ko audio_help
