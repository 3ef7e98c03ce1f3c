#!/bin/sh
# How much of the music-motion synchrony survives a VAE round trip: the sync score (and beat F) of the 5
# validation songs' real pairs, whole clips, re-timed with align.tsv, with one side replaced by its VAE
# reconstruction (encode -> posterior mean -> decode). A generated modality cannot be more in sync than its
# VAE lets it be: docs/MODELS.md "Sync through the VAEs".
#   sh bench/vae_sync.sh [MOTION_VAE ...]     (default: models/motion_vae.safetensors)
# Environment: DATA (../shared/data/dance-with-melody), ALIGN (runs/data/align.tsv), MUSIC_VAE
# (models/music_vae.safetensors), SONGS (the validation songs of `momu data prepare` seed 1).
set -e
DATA=$(realpath "${DATA:-../shared/data/dance-with-melody}")
ALIGN=${ALIGN:-runs/data/align.tsv}
MUSIC_VAE=${MUSIC_VAE:-models/music_vae.safetensors}
SONGS=${SONGS:-DANCE_C_2 DANCE_W_15 DANCE_W_20 DANCE_W_25 DANCE_W_5}
[ $# -gt 0 ] || set -- models/motion_vae.safetensors
W=$(mktemp -d /tmp/momu-vae-sync.XXXXXX)
trap 'rm -rf "$W"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
score() { # $1 label, $2 pairs file
    ./momu eval --pairs "$2" --align "$ALIGN" -q --out "$W/ev.tsv" > /dev/null
    awk -F'\t' -v l="$1" '$1=="sync"{s=$2} $1=="beat_F"{f=$2} END{printf "%-44s sync %.4f  beat F %.4f\n", l, s, f}' "$W/ev.tsv"
}
: > "$W/gt.tsv"; : > "$W/music.tsv"
for s in $SONGS; do
    printf '%s\t%s\t%s\n' "$s" "$DATA/$s.music.ogg" "$DATA/$s.motion.npy" >> "$W/gt.tsv"
    ./momu vae encode -q --vae "$MUSIC_VAE" "$DATA/$s.music.ogg" --out "$W/z.npy"
    ./momu vae decode -q --vae "$MUSIC_VAE" "$W/z.npy" --out "$W/$s.wav"
    printf '%s\t%s\t%s\n' "$s" "$W/$s.wav" "$DATA/$s.motion.npy" >> "$W/music.tsv"
done
score "real pairs" "$W/gt.tsv"
score "music through $(basename "$MUSIC_VAE")" "$W/music.tsv"
for v in "$@"; do
    : > "$W/motion.tsv"
    for s in $SONGS; do
        ./momu vae encode -q --vae "$v" "$DATA/$s.motion.npy" --out "$W/z.npy"
        ./momu vae decode -q --vae "$v" "$W/z.npy" --out "$W/$s.npy"
        printf '%s\t%s\t%s\n' "$s" "$DATA/$s.music.ogg" "$W/$s.npy" >> "$W/motion.tsv"
    done
    score "motion through $v" "$W/motion.tsv"
done
