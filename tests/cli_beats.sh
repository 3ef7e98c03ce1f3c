#!/bin/sh
# CLI checks of `momu audio beats` (tests/test_beats.c tests the library). The input is a click track
# written here: 8 kHz 16-bit mono WAV, 120 BPM, 16 clicks of 5 ms (a 2 kHz square burst) starting at 0.25 s.
M=${MOMU_BIN:-./momu}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }
byte() { printf "\\$(printf '%03o' $(($1 & 255)))"; }
le32() { byte "$1"; byte $(($1 >> 8)); byte $(($1 >> 16)); byte $(($1 >> 24)); }
le16() { byte "$1"; byte $(($1 >> 8)); }
n_clicks=16; click=40; gap=3960; lead=2000; tail=2000          # samples
n=$((lead + n_clicks * (click + gap) + tail))
{
    printf 'RIFF'; le32 $((36 + 2 * n)); printf 'WAVEfmt '; le32 16; le16 1; le16 1; le32 8000; le32 16000
    le16 2; le16 16; printf 'data'; le32 $((2 * n))
    head -c $((2 * lead)) /dev/zero
    i=0
    while [ $i -lt $n_clicks ]; do
        j=0; while [ $j -lt 10 ]; do printf '\000\100\000\100\000\300\000\300'; j=$((j + 1)); done
        head -c $((2 * gap)) /dev/zero
        i=$((i + 1))
    done
    head -c $((2 * tail)) /dev/zero
} > "$d/clicks.wav"

# one time per line with 3 decimals, each within 20 ms of a click (0.25 + 0.5 k s); tempo on stderr with --bpm
out=$("$M" audio beats --bpm "$d/clicks.wav" 2> "$d/err"); rc=$?
nb=$(echo "$out" | grep -c .)
bad=$(echo "$out" | awk '!/^[0-9]+\.[0-9][0-9][0-9]$/ { b++; next }
    { k = int(($1 - 0.25) / 0.5 + 0.5); d = $1 - (0.25 + 0.5 * k); if (d < -0.02 || d > 0.02 || k < 0 || k > 15) b++ }
    END { print b + 0 }')
bpm=$(sed -n 's/^bpm \([0-9.]*\)$/\1/p' "$d/err")
if [ $rc -eq 0 ] && [ "$nb" -ge 14 ] && [ "$nb" -le 16 ] && [ "$bad" -eq 0 ] &&
   awk -v b="$bpm" 'BEGIN { exit !(b >= 117.6 && b <= 122.4) }'; then ok audio_beats_clicks
else ko audio_beats_clicks; echo "rc $rc, $nb beats, $bad bad, bpm '$bpm'"; echo "$out" | head -20; cat "$d/err"; fi

# without --bpm nothing but errors on stderr (-q is not needed)
err=$("$M" audio beats "$d/clicks.wav" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && [ -z "$err" ]; then ok audio_beats_quiet_stderr; else ko audio_beats_quiet_stderr; echo "rc $rc: $err"; fi

# --fixed-bpm 60 tracks every other click
nb=$("$M" audio beats --fixed-bpm 60 "$d/clicks.wav" | grep -c .)
if [ "$nb" -ge 7 ] && [ "$nb" -le 9 ]; then ok audio_beats_fixed_bpm; else ko audio_beats_fixed_bpm; echo "$nb beats"; fi

# silence: no beats, exit 0
{ printf 'RIFF'; le32 $((36 + 32000)); printf 'WAVEfmt '; le32 16; le16 1; le16 1; le32 8000; le32 16000
  le16 2; le16 16; printf 'data'; le32 32000; head -c 32000 /dev/zero; } > "$d/silence.wav"
out=$("$M" audio beats "$d/silence.wav"); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok audio_beats_silence; else ko audio_beats_silence; echo "rc $rc: $out"; fi

# errors: a missing file (exit 1, named), no input (usage, exit 2), a bad option value (exit 1 or 2)
err=$("$M" audio beats "$d/nope.wav" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'nope.wav'; then ok audio_beats_missing_file
else ko audio_beats_missing_file; echo "rc $rc: $err"; fi
"$M" audio beats >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok audio_beats_no_input; else ko audio_beats_no_input; echo "rc $rc"; fi
err=$("$M" audio beats --min-bpm 300 --max-bpm 100 "$d/clicks.wav" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$err" | grep -q 'min_bpm'; then ok audio_beats_bad_range
else ko audio_beats_bad_range; echo "rc $rc: $err"; fi
"$M" audio beats --help >/dev/null 2>&1; rc=$?
if [ $rc -eq 0 ]; then ok audio_beats_help; else ko audio_beats_help; fi
