#!/bin/sh
# Evaluates the trained BiCoR-VAE checkpoints (docs/MODELS.md "Training"): the music VAE with the motion VAE
# trained WITH the rhythmic contrastive loss and with the one trained WITHOUT it (--no-contrast), on the
# validation windows of a prepared folder. Runs a private copy of the binary (keeps `make` usable) on one
# OpenMP thread (on a shared, oversubscribed machine 2 threads stall at every barrier).
#   sh bench/vae_eval.sh [RUNS_DIR=runs] [PREPARED_DIR=runs/data/prep]
# expects RUNS_DIR/vae/{music,motion,motion_nocontrast}.safetensors; writes RUNS_DIR/vae/eval_*.json.
set -e
R=${1:-runs}
P=${2:-$R/data/prep}
B=$(mktemp /tmp/momu-eval.XXXXXX)
cp ./momu "$B"
chmod +x "$B"
trap 'rm -f "$B"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for m in motion motion_nocontrast; do
    [ -f "$R/vae/$m.safetensors" ] || { echo "skip $m: $R/vae/$m.safetensors missing"; continue; }
    echo "== $m"
    t0=$(date +%s)
    "$B" eval vae --music-vae "$R/vae/music.safetensors" --motion-vae "$R/vae/$m.safetensors" --data "$P" \
        --split val --gl-windows "${GL_WINDOWS:-4}" --out "$R/vae/eval_$m.json" -q
    echo "($(( $(date +%s) - t0 )) s)"
done
