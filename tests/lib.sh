# Shared set-up of the CLI tests: a tests/cli_*.sh script sources it with
#   . "$(dirname "$0")/lib.sh"
# (tests/run.sh runs `sh tests/cli_x.sh`; so does a run by hand from any folder). It sets M (the momu
# binary: $MOMU_BIN or ./momu), ok / ko (print a case's PASS / FAIL line) and runs OpenMP on one thread.
M=${MOMU_BIN:-./momu}
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }
export OMP_NUM_THREADS=1

# lib_silent_clips DIR: DIR/{A,B}.{music.wav,motion.npy}, two songs of 5 s: 16 kHz 16-bit mono silence and
# (125, 23, 3) float32 zeros
lib_silent_clips() {
  mkdir -p "$1"
  for s in A B; do
    { printf 'RIFF\044\161\002\000WAVEfmt \020\000\000\000\001\000\001\000\200\076\000\000\000\175\000\000\002\000\020\000'
      printf 'data\000\161\002\000'; head -c 160000 /dev/zero; } > "$1/$s.music.wav"
    { printf "\223NUMPY\001\000\166\000{'descr': '<f4', 'fortran_order': False, 'shape': (125, 23, 3), }"
      printf '%*s\n' 52 ''; head -c 34500 /dev/zero; } > "$1/$s.motion.npy"
  done
}

# lib_silent_prepared DIR: the silent clips in DIR/clips prepared as DIR/prep (2-s windows, stride 1 s, one
# val song); the status of `momu data prepare`
lib_silent_prepared() {
  lib_silent_clips "$1/clips"
  "$M" data prepare --data "$1/clips" --out "$1/prep" --window-seconds 2 --stride-seconds 1 --val-songs 1 -q
}

# lib_vae_configs DIR: DIR/music.json and DIR/motion.json, tiny VAE configs (4 latent channels, 8 channels
# per level; music 4 levels, motion 2)
lib_vae_configs() {
  cat > "$1/music.json" <<EOF
{"kind":"music_vae","version":1,"in_dim":80,"fps":100,"z_channels":4,"n_levels":4,"ch":[8,8,8,8],"n_res_enc":1,"n_res_dec":1,"n_mid":1,"groups":4,"down_kernel":4,"mid_attn":0,"recon_loss":"l1","kl_weight":0.0001}
EOF
  cat > "$1/motion.json" <<EOF
{"kind":"motion_vae","version":1,"in_dim":146,"fps":25,"z_channels":4,"n_levels":2,"ch":[8,8],"n_res_enc":1,"n_res_dec":1,"n_mid":1,"groups":4,"down_kernel":4,"mid_attn":0,"recon_loss":"mse","kl_weight":0.0001}
EOF
}

# lib_train_tiny_vaes PREP CONF OUT: OUT/music_vae.safetensors and OUT/motion_vae.safetensors (configs
# CONF/music.json and CONF/motion.json of lib_vae_configs), 2 steps each on the prepared folder PREP
lib_train_tiny_vaes() {
  lib_T="--data $1 --steps 2 --batch 2 --crop-seconds 0.8 --warmup 1 -q"
  "$M" train vae --stage music $lib_T --out "$3/music_vae.safetensors" --model-config "$2/music.json" || return 1
  "$M" train vae --stage motion $lib_T --out "$3/motion_vae.safetensors" --model-config "$2/motion.json" \
    --music-vae "$3/music_vae.safetensors"
}

# lib_train_tiny_denoiser TASK PREP OUT: OUT/denoiser_TASK.safetensors (width 16, 2 heads, 1 block) for 2
# steps on PREP with the VAEs of lib_train_tiny_vaes in OUT
lib_train_tiny_denoiser() {
  "$M" train diffusion --task "$1" --music-vae "$3/music_vae.safetensors" --motion-vae "$3/motion_vae.safetensors" \
    --data "$2" --out "$3/denoiser_$1.safetensors" --steps 2 --batch 2 --warmup 1 --width 16 --heads 2 --blocks 1 -q
}
