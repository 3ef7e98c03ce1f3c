#!/bin/sh
# CLI checks of `momu train vae`, `momu vae encode|decode` and `momu eval vae` on a tiny prepared folder made
# here from silent clips (tests/test_vae_train.c and tests/test_bicor.c test the library on informative data).
. "$(dirname "$0")/lib.sh"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
lib_silent_prepared "$d" || { ko vae_prepare_fixture; exit 0; }
# a motion of another skeleton: (125, 5, 3)
{ printf "\223NUMPY\001\000\166\000{'descr': '<f4', 'fortran_order': False, 'shape': (125, 5, 3), }"
  printf '%*s\n' 53 ''; head -c 7500 /dev/zero; } > "$d/five.npy"
lib_vae_configs "$d"
T="--data $d/prep --steps 4 --batch 2 --crop-seconds 0.8 --warmup 1 -q"
out=$("$M" train vae --stage music $T --out "$d/mu.safetensors" --model-config "$d/music.json" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/mu.safetensors" ] && [ -s "$d/mu.safetensors.state" ] && echo "$out" | grep -q '^step 4 '; then
  ok train_vae_music; else ko train_vae_music; echo "$out"; fi
out=$("$M" train vae --stage motion $T --out "$d/mo.safetensors" --model-config "$d/motion.json" --music-vae "$d/mu.safetensors" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'contrast'; then ok train_vae_motion; else ko train_vae_motion; echo "$out"; fi
# resume to more steps continues from step 4
out=$("$M" train vae --stage music --data "$d/prep" --steps 6 --resume --out "$d/mu.safetensors" -q 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^step 6 '; then ok train_vae_resume; else ko train_vae_resume; echo "$out"; fi
# wrong stage on resume, music VAE of the wrong kind, missing options
out=$("$M" train vae --stage motion --data "$d/prep" --resume --out "$d/mu.safetensors" --no-contrast 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'music_vae checkpoint'; then ok train_vae_wrong_stage; else ko train_vae_wrong_stage; echo "$out"; fi
out=$("$M" train vae --stage motion $T --out "$d/x.safetensors" --music-vae "$d/mo.safetensors" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'motion_vae'; then ok train_vae_wrong_music_vae; else ko train_vae_wrong_music_vae; echo "$out"; fi
"$M" train vae --data "$d/prep" --out "$d/x.safetensors" >/dev/null 2>&1; [ $? -eq 2 ] && ok train_vae_no_stage || ko train_vae_no_stage
"$M" train vae --help >/dev/null 2>&1 && ok train_vae_help || ko train_vae_help
# encode / decode, any length
out=$("$M" vae encode --vae "$d/mo.safetensors" "$d/clips/A.motion.npy" --out "$d/zm.npy" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/zm.npy" ]; then ok vae_encode_motion; else ko vae_encode_motion; echo "$out"; fi
out=$("$M" vae decode --vae "$d/mo.safetensors" "$d/zm.npy" --out "$d/re.bvh" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^Frames:.*126' "$d/re.bvh"; then ok vae_decode_motion_bvh; else ko vae_decode_motion_bvh; echo "$out"; head -c 300 "$d/re.bvh"; fi
"$M" vae decode --vae "$d/mo.safetensors" "$d/zm.npy" --out "$d/re.json" -q && ok vae_decode_motion_json || ko vae_decode_motion_json
out=$("$M" vae encode --vae "$d/mu.safetensors" "$d/clips/A.music.wav" --out "$d/za.npy" 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok vae_encode_music; else ko vae_encode_music; echo "$out"; fi
out=$("$M" vae decode --vae "$d/mu.safetensors" "$d/za.npy" --out "$d/re.wav" --gl-iters 2 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/re.wav" ]; then ok vae_decode_music_wav; else ko vae_decode_music_wav; echo "$out"; fi
out=$("$M" vae encode --vae "$d/mo.safetensors" "$d/five.npy" --out "$d/z5.npy" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q '5 joints'; then ok vae_encode_other_skeleton; else ko vae_encode_other_skeleton; echo "$out"; fi
out=$("$M" vae decode --vae "$d/mo.safetensors" "$d/za.npy" --out "$d/x.npy" 2>&1); rc=$?
[ $rc -eq 0 ] && ok vae_decode_shared_latent || { ko vae_decode_shared_latent; echo "$out"; }
out=$("$M" vae decode --vae "$d/mo.safetensors" "$d/five.npy" --out "$d/x.npy" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'latent'; then ok vae_decode_bad_latent; else ko vae_decode_bad_latent; echo "$out"; fi
# eval
out=$("$M" eval vae --music-vae "$d/mu.safetensors" --motion-vae "$d/mo.safetensors" --data "$d/prep" --gl-windows 1 --out "$d/ev.json" -q 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '"top1_same_window"' "$d/ev.json" && grep -q '"mpjpe_root_aligned_mm"' "$d/ev.json"; then
  ok eval_vae; else ko eval_vae; echo "$out"; cat "$d/ev.json"; fi
out=$("$M" eval vae --music-vae "$d/mo.safetensors" --data "$d/prep" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'motion_vae'; then ok eval_vae_wrong_kind; else ko eval_vae_wrong_kind; echo "$out"; fi
exit 0
