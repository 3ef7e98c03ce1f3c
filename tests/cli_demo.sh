#!/bin/sh
# CLI checks of `momu demo` (src/cli/cli_demo.c over include/momu/generate.h): a tiny model set is trained here
# for 2 steps each with the CLI itself (`momu train vae`, `momu train diffusion`) on silent clips, then the
# demo runs on it for 4 s: every file exists and reads back, the MP4 has the right length (when ffmpeg is
# installed, else --no-video), the same seed gives the same WAV/NPY bytes, another seed other bytes, --music
# works, and a missing model gives exit 1 naming the folder and docs/MODELS.md.
. "$(dirname "$0")/lib.sh"
case "$M" in /*) ;; */*) M="$(cd "$(dirname "$M")" && pwd)/$(basename "$M")";; esac
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
unset MOMU_MODELS

# ---- a tiny model set: 5-s silent clips, 2 training steps per model ----
mkdir "$d/tiny"
lib_vae_configs "$d"
mk() {
  lib_silent_prepared "$d" || return 1
  lib_train_tiny_vaes "$d/prep" "$d" "$d/tiny" || return 1
  for task in music motion; do lib_train_tiny_denoiser $task "$d/prep" "$d/tiny" || return 1; done
}
mk >"$d/mk.log" 2>&1 || { ko demo_tiny_models; cat "$d/mk.log"; exit 0; }

video=""
have_ff=0
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then have_ff=1; else
  video="--no-video"; echo "  info cli_demo: ffmpeg/ffprobe not installed, videos not checked"; fi
parts="1-dance-from-music 2-music-from-dance 3-both"

# ---- one run, every file ----
out=$("$M" demo --model "$d/tiny" --out "$d/o1/sub" --seconds 4 --seed 3 $video 2>&1); rc=$?
miss=""
for p in $parts; do
  for x in wav bvh npy; do [ -s "$d/o1/sub/$p.$x" ] || miss="$miss $p.$x"; done
  [ $have_ff -eq 0 ] || [ -s "$d/o1/sub/$p.mp4" ] || miss="$miss $p.mp4"
done
[ -s "$d/o1/sub/summary.txt" ] || miss="$miss summary.txt"
if [ $rc -eq 0 ] && [ -z "$miss" ] && ! ls "$d/o1/sub" | grep -q tmp; then ok demo_files; else
  ko demo_files; echo "rc $rc, missing:$miss"; echo "$out"; ls -la "$d/o1/sub"; fi
# a progress line per stage, the summary with beat scores
if echo "$out" | grep -q '^demo \[1/3\] dance from music' && echo "$out" | grep -q '^demo \[3/3\] both together' &&
   echo "$out" | grep -q 'beatF *BAS *sync' && [ "$(grep -c '^[123] ' "$d/o1/sub/summary.txt")" -eq 3 ]; then
  ok demo_summary; else ko demo_summary; echo "$out"; fi
# the files read back: BVH and NPY through `momu motion convert`, WAV longer than a header and ~4 s
bad=""
for p in $parts; do
  "$M" motion convert "$d/o1/sub/$p.bvh" "$d/rt.json" -q 2>/dev/null || bad="$bad $p.bvh"
  "$M" motion convert "$d/o1/sub/$p.npy" "$d/rt.json" -q 2>/dev/null || bad="$bad $p.npy"
  sz=$(wc -c < "$d/o1/sub/$p.wav")
  # 16 kHz 16-bit mono: 4 s = 128000 bytes of samples
  [ "$sz" -gt 110000 ] && [ "$sz" -lt 150000 ] || bad="$bad $p.wav($sz)"
done
if [ -z "$bad" ]; then ok demo_files_read_back; else ko demo_files_read_back; echo "bad:$bad"; fi
if [ $have_ff -eq 1 ]; then
  bad=""
  for p in $parts; do
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$d/o1/sub/$p.mp4" 2>/dev/null)
    st=$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$d/o1/sub/$p.mp4" 2>/dev/null | sort | tr '\n' ' ')
    awk -v x="$dur" 'BEGIN { exit !(x > 3.5 && x < 4.6) }' && [ "$st" = "audio video " ] || bad="$bad $p($dur,$st)"
  done
  if [ -z "$bad" ]; then ok demo_video; else ko demo_video; echo "bad:$bad"; fi
fi

# ---- same seed: same bytes; another seed: other bytes ----
out=$("$M" demo --model "$d/tiny" --out "$d/o2" --seconds 4 --seed 3 --no-video 2>&1); rc=$?
diff=""
for p in $parts; do for x in wav npy bvh; do cmp -s "$d/o1/sub/$p.$x" "$d/o2/$p.$x" || diff="$diff $p.$x"; done; done
if [ $rc -eq 0 ] && [ -z "$diff" ] && [ ! -e "$d/o2/1-dance-from-music.mp4" ]; then ok demo_same_seed_same_bytes; else
  ko demo_same_seed_same_bytes; echo "rc $rc, differ:$diff"; echo "$out"; fi
"$M" demo --model "$d/tiny" --out "$d/o3" --seconds 4 --seed 4 --no-video -q >/dev/null 2>&1
if ! cmp -s "$d/o1/sub/3-both.wav" "$d/o3/3-both.wav" && ! cmp -s "$d/o1/sub/1-dance-from-music.npy" "$d/o3/1-dance-from-music.npy"
then ok demo_other_seed; else ko demo_other_seed; fi

# ---- --music: dance to a given song (cropped to --seconds) ----
out=$("$M" demo --model "$d/tiny" --out "$d/o4" --seconds 2 --music "$d/o1/sub/2-music-from-dance.wav" --no-video 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/o4/3-both.npy" ] && echo "$out" | grep -q '2-music-from-dance.wav'; then ok demo_music_file; else
  ko demo_music_file; echo "rc $rc"; echo "$out"; fi

# ---- no model: exit 1, the folder named, how to train ----
out=$("$M" demo --model "$d/no such" --out "$d/o5" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "$d/no such" && echo "$out" | grep -q 'docs/MODELS.md' && [ ! -e "$d/o5" ]; then
  ok demo_no_model; else ko demo_no_model; echo "rc $rc: $out"; fi
# $MOMU_MODELS, then <momu's folder>/models, then ./models (run from $d, which has none)
if [ -e "$(dirname "$M")/models/music_vae.safetensors" ]; then
  echo "  info cli_demo: a model exists next to momu, demo_no_model_env not applicable"
else
  out=$(cd "$d" && MOMU_MODELS="$d/none" "$M" demo --out "$d/o5" 2>&1); rc=$?
  if [ $rc -eq 1 ] && echo "$out" | grep -q "$d/none" && echo "$out" | grep -q 'MOMU_MODELS' &&
     echo "$out" | grep -q "$(dirname "$M")/models"; then ok demo_no_model_env; else ko demo_no_model_env; echo "rc $rc: $out"; fi
fi
# MOMU_MODELS is used when --model is absent
out=$(MOMU_MODELS="$d/tiny" "$M" demo --out "$d/o6" --seconds 2 --steps 2 --no-video 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "models from $d/tiny"; then ok demo_models_env; else ko demo_models_env; echo "$out"; fi
"$M" demo --seconds 0 >/dev/null 2>&1; [ $? -eq 2 ] && ok demo_bad_seconds || ko demo_bad_seconds
"$M" demo --help >/dev/null 2>&1 && ok demo_help || ko demo_help
exit 0
