#!/bin/sh
# CLI checks of `momu eval report` on a tiny Dance-with-Melody-like folder made here: six songs of 9 s, each
# a click track at its own tempo with a 23-point motion that sways so that its speed minima (the kinematic
# beats) fall on the clicks; align.tsv says scale 1, offset 0. Aligned pairs are therefore in sync by
# construction and mismatched pairs (another song, another tempo) are not. A tiny model set is trained here
# for a few steps (as tests/cli_vae.sh does), so the generated rows only have to be finite.
. "$(dirname "$0")/lib.sh"
d=${KEEP_DIR:-$(mktemp -d)}; [ -n "$KEEP_DIR" ] || trap 'rm -rf "$d"' EXIT
mkdir "$d/dwm"
i=0
printf 'name\tscale\toffset_s\n' > "$d/align.tsv"
for period in 0.50 0.62 0.44 0.56 0.70 0.47; do
    i=$((i + 1)); n="DANCE_T_$i"
    # 9 s of 16-bit 16 kHz clicks (a decaying 1 kHz burst) every `period` s from 0.1 s
    LC_ALL=C awk -v p=$period 'BEGIN {
        sr = 16000; n = 9 * sr; printf "RIFF"; le32(36 + 2 * n); printf "WAVEfmt "; le32(16); le16(1); le16(1);
        le32(sr); le32(2 * sr); le16(2); le16(16); printf "data"; le32(2 * n);
        for (i = 0; i < n; i++) {
            t = i / sr - 0.1; v = 0;
            if (t >= 0) { k = t - p * int(t / p); if (k < 0.05) v = int(26000 * exp(-k * 16000 / 120.0) * sin(6.283185307 * 1000 * k)); }
            if (v < 0) v += 65536; le16(v);
        }
    }
    function le16(x) { printf "%c%c", x % 256, int(x / 256) % 256 }
    function le32(x) { le16(x % 65536); le16(int(x / 65536)) }' > "$d/dwm/$n.music.wav"
    # 225 frames at 25 fps: a standing 23-point figure whose whole body sways along x with speed
    # |sin(pi (t - 0.1) / period)|, zero (a kinematic beat) on every click
    awk -v p=$period 'BEGIN { printf "{\"fps\": 25, \"frames\": [";
        for (f = 0; f < 225; f++) { t = f / 25; s = 30 * cos(3.14159265 * (t - 0.1) / p);
            printf "%s[", (f ? "," : "");
            for (j = 0; j < 23; j++) printf "%s[%.3f, %.3f, %.3f]", (j ? "," : ""), s + 4 * (j % 5) - 8, 10 + 7 * (22 - j), 3 * (j % 3);
            printf "]" }
        printf "]}\n" }' > "$d/dwm/$n.motion.json"
    printf '%s\t1\t0\n' "$n" >> "$d/align.tsv"
done

# a tiny model set: prepare, two VAEs, two denoisers, a few steps each
"$M" data prepare --data "$d/dwm" --align "$d/align.tsv" --out "$d/prep" --window-seconds 2 --stride-seconds 1 \
    --val-songs 2 -q >/dev/null 2>&1 || { ko eval_report_fixture_prepare; exit 0; }
lib_vae_configs "$d"
mkdir "$d/models"
lib_train_tiny_vaes "$d/prep" "$d" "$d/models" >"$d/log" 2>&1 || { ko eval_report_fixture_vae; cat "$d/log"; exit 0; }
for task in music motion; do
    lib_train_tiny_denoiser $task "$d/prep" "$d/models" >>"$d/log" 2>&1 ||
        { ko eval_report_fixture_denoiser_$task; cat "$d/log"; exit 0; }
done
rm -f "$d"/models/*.state

R="--data $d/dwm --align $d/align.tsv --val-songs 2 --seconds 4 --steps 2 --gl-iters 4"
out=$("$M" eval report $R --model "$d/models" --max-clips 2 --out "$d/R.md" --plot "$d/b.png" --commit abc1234 \
      --work "$d/work" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/R.md" ] && [ -s "$d/b.png" ]; then ok eval_report_runs; else ko eval_report_runs; echo "$out"; fi
# every table, with its rows, and the header facts
for h in '^## Dance from music' '^## Music from dance' '^## Joint generation' '^| ground truth (real aligned motion) | val | 4.0 | 2 |' \
         '^| momu (dance from music) | val | 4.0 | 2 | 1+i |' '^| momu (music from dance) |' \
         '^| independent unconditional samples (T_c = 0) |' '^| momu cross-guidance, T_c = 0.30 |' \
         '^| momu cross-guidance, T_c = 0.50 |' '^| momu cross-guidance, T_c = 0.70 |' \
         '^| NN retrieval (train motion of nearest music) |' '^| mismatched (another val song' \
         'commit `abc1234`' '\*\*4 segments\*\*' 'results_beats\|b.png' '^Reproduce: `momu eval report '; do
    grep -q "$h" "$d/R.md" || { echo "missing: $h"; miss=1; }
done
[ -z "$miss" ] && ok eval_report_tables || { ko eval_report_tables; cat "$d/R.md"; }
# every table row of the momu and baseline rows holds finite numbers only (n/a allowed for nothing but
# the columns that need more clips: none here, 2 clips per set)
bad=$(grep '^| ' "$d/R.md" | grep -v '^| motion \|^| music \|^| pair ' | grep -c 'n/a\|nan\|inf\|not run')
[ "$bad" -eq 0 ] && ok eval_report_finite || { ko eval_report_finite; grep 'n/a\|nan\|inf\|not run' "$d/R.md"; }
# aligned fixture pairs are in sync, mismatched ones are not (column 11 of the dance table: sync)
sg=$(grep '^| ground truth (real aligned motion)' "$d/R.md" | awk -F'|' '{ gsub(/ /, "", $12); print $12 }')
sm=$(grep '^| mismatched (another val song.s motion)' "$d/R.md" | awk -F'|' '{ gsub(/ /, "", $12); print $12 }')
if awk -v a="$sg" -v b="$sm" 'BEGIN { exit !(a + 0 > b + 0.15 && a + 0 > 0.2) }'; then ok eval_report_sync_gt_beats_mismatched
else ko eval_report_sync_gt_beats_mismatched; echo "sync ground truth '$sg' mismatched '$sm'"; fi
# the click tracks have a steady pulse (column 10 of the music table: pulse clarity), and the joint table
# reports the same figure for the real pairs
pg=$(grep '^| ground truth (real music)' "$d/R.md" | head -1 | awk -F'|' '{ gsub(/ /, "", $11); print $11 }')
pj=$(grep '^| real pairs (reference)' "$d/R.md" | awk -F'|' '{ gsub(/ /, "", $11); print $11 }')
if awk -v a="$pg" -v b="$pj" 'BEGIN { exit !(a + 0 > 0.5 && a == b) }'; then ok eval_report_pulse_of_click_tracks
else ko eval_report_pulse_of_click_tracks; echo "pulse music table '$pg' joint table '$pj'"; fi
# the work folder is emptied (the report keeps nothing it does not need)
[ -z "$(ls "$d/work" 2>/dev/null)" ] && ok eval_report_work_cleaned || { ko eval_report_work_cleaned; ls "$d/work"; }

# baselines only, no joint table; a missing align row, a missing folder, a bad option
out=$("$M" eval report $R --no-model --no-joint --out "$d/R2.md" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'not run (--no-model)' "$d/R2.md" && ! grep -q '^## Joint' "$d/R2.md" &&
   grep -q '\*\*4 segments\*\*' "$d/R2.md"; then ok eval_report_no_model; else ko eval_report_no_model; echo "$out"; fi
head -4 "$d/align.tsv" > "$d/short.tsv"
out=$("$M" eval report --data "$d/dwm" --align "$d/short.tsv" --no-model --out "$d/R3.md" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'short.tsv.*DANCE_T_4' && [ ! -e "$d/R3.md" ]; then ok eval_report_missing_align_row
else ko eval_report_missing_align_row; echo "$out"; fi
out=$("$M" eval report --data "$d/nowhere" --align "$d/align.tsv" --no-model --out "$d/R3.md" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'nowhere'; then ok eval_report_missing_data; else ko eval_report_missing_data; echo "$out"; fi
out=$("$M" eval report $R --model "$d/nomodels" --out "$d/R3.md" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'nomodels'; then ok eval_report_missing_model; else ko eval_report_missing_model; echo "$out"; fi
"$M" eval report $R --no-model --tc-sweep 0.3,x >/dev/null 2>&1; [ $? -eq 2 ] && ok eval_report_bad_tc || ko eval_report_bad_tc
"$M" eval report --align "$d/align.tsv" >/dev/null 2>&1; [ $? -eq 2 ] && ok eval_report_needs_data || ko eval_report_needs_data
"$M" eval report --help >/dev/null 2>&1 && ok eval_report_help || ko eval_report_help
# a model folder without the music denoiser (a model in training): the dance rows run, the others say why
mkdir "$d/m2" && cp "$d/models/music_vae.safetensors" "$d/models/motion_vae.safetensors" "$d/models/denoiser_motion.safetensors" "$d/m2/"
out=$("$M" eval report $R --model "$d/m2" --max-clips 2 --out "$d/R4.md" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'denoiser_music.safetensors` (missing)' "$d/R4.md" &&
   grep -q '^| momu (music from dance) | val | 4.0 | — | — | no music denoiser' "$d/R4.md" &&
   grep -q '^| momu (dance from music) | val | 4.0 | 2 | 1+i | [0-9]' "$d/R4.md"; then ok eval_report_partial_model
else ko eval_report_partial_model; echo "$out"; grep '^| momu' "$d/R4.md"; fi
