#!/bin/sh
# CLI checks of `momu model pack|info` on tiny VAEs trained here (tests/test_model_pack.c tests the library):
# pack to F16 and F32, info, the packed file through momu vae encode, and corrupted copies refused by name.
. "$(dirname "$0")/lib.sh"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
lib_silent_prepared "$d" || { ko model_prepare_fixture; exit 0; }
lib_vae_configs "$d"
"$M" train vae --stage motion --data "$d/prep" --steps 2 --batch 2 --crop-seconds 0.8 --warmup 1 --no-contrast -q \
  --out "$d/mo.safetensors" --model-config "$d/motion.json" >/dev/null 2>&1 || { ko model_train_fixture; exit 0; }
out=$("$M" model pack "$d/mo.safetensors" "$d/mo16.safetensors" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'weights F16' && echo "$out" | grep -q 'max rel' && [ -s "$d/mo16.safetensors" ]; then
  ok model_pack_f16; else ko model_pack_f16; echo "$out"; fi
out=$("$M" model pack "$d/mo.safetensors" "$d/mo32.safetensors" --dtype f32 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'exact'; then ok model_pack_f32; else ko model_pack_f32; echo "$out"; fi
s16=$(wc -c < "$d/mo16.safetensors"); s32=$(wc -c < "$d/mo32.safetensors"); sck=$(wc -c < "$d/mo.safetensors")
if [ $((s16 * 3)) -lt "$sck" ] && [ "$s32" -lt "$sck" ]; then ok model_pack_sizes; else ko model_pack_sizes; echo "$sck $s32 $s16"; fi
out=$("$M" model info "$d/mo16.safetensors" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^kind        motion_vae' && echo "$out" | grep -q 'verified' \
   && echo "$out" | grep -q 'momu.packed_from = ' && echo "$out" | grep -q 'momu.vae_config = ' && echo "$out" | grep -q 'F16: '; then
  ok model_info; else ko model_info; echo "$out"; fi
out=$("$M" model info "$d/mo.safetensors" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'packed      no'; then ok model_info_checkpoint; else ko model_info_checkpoint; echo "$out"; fi
# the packed file where a checkpoint goes
out=$("$M" vae encode --vae "$d/mo16.safetensors" "$d/clips/A.motion.npy" --out "$d/z.npy" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$d/z.npy" ]; then ok model_packed_encode; else ko model_packed_encode; echo "$out"; fi
# corrupted copies: truncated, one flipped byte in the header, in the data; each refused naming the file
n=$(wc -c < "$d/mo16.safetensors")
head -c $((n - 100)) "$d/mo16.safetensors" > "$d/cut.safetensors"
out=$("$M" vae encode --vae "$d/cut.safetensors" "$d/clips/A.motion.npy" --out "$d/x.npy" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'cut.safetensors'; then ok model_truncated_refused; else ko model_truncated_refused; echo "$out"; fi
flip() { # $1 offset, $2 output: copy with the byte at $1 replaced by one that differs
  cp "$d/mo16.safetensors" "$2"
  b=$(od -An -tu1 -j "$1" -N1 "$d/mo16.safetensors" | tr -d ' ')
  printf "\\$(printf '%03o' $(( (b + 1) % 256 )))" | dd of="$2" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
flip 200 "$d/hdr.safetensors"
out=$("$M" model info "$d/hdr.safetensors" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'hdr.safetensors'; then ok model_header_flip_refused; else ko model_header_flip_refused; echo "$out"; fi
flip $((n - 7)) "$d/data.safetensors"
out=$("$M" vae encode --vae "$d/data.safetensors" "$d/clips/A.motion.npy" --out "$d/x.npy" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'data.safetensors.*CRC-32'; then ok model_data_flip_refused; else ko model_data_flip_refused; echo "$out"; fi
# refusals of the command itself
"$M" model pack "$d/mo.safetensors" "$d/mo.safetensors" >/dev/null 2>&1; [ $? -eq 1 ] && ok model_pack_onto_itself || ko model_pack_onto_itself
out=$("$M" model pack "$d/mo.safetensors.state" "$d/s.safetensors" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q 'not a momu model checkpoint'; then ok model_pack_state_refused; else ko model_pack_state_refused; echo "$out"; fi
"$M" model pack "$d/mo.safetensors" "$d/y.safetensors" --dtype bf16 >/dev/null 2>&1; [ $? -eq 2 ] && ok model_pack_bad_dtype || ko model_pack_bad_dtype
"$M" model --help >/dev/null 2>&1 && ok model_help || ko model_help
exit 0
