#!/bin/sh
# A long dance from a long song, then the seam analysis of bench/seams.py (bench/README.md, "Long dance and seams").
#
#   bench/gen_long.sh MODEL_DIR MUSIC_FILE [OUTDIR [generate options...]]
#
# MUSIC_FILE is looped (ffmpeg -stream_loop) or cut to LONG_SECONDS (default 300 = 5 min) into OUTDIR/song.wav;
# `momu generate dance` writes OUTDIR/dance.npy (log: OUTDIR/generate.log); the window W and overlap O are
# resolved as generate resolves them (--window / --overlap among the extra options, else the motion denoiser's
# "momu.window_latent_frames" metadata, else 125; O = W / 5) and checked against the window count generate
# prints. Environment: LONG_SECONDS (300), OMP_NUM_THREADS (2), MOMU (./momu), PYTHON (/usr/bin/python3).
# OUTDIR defaults to bench/out/gen_long (git-ignored). Other generate options (--seed 3, --steps 50, ...)
# go after OUTDIR and are passed through.
set -eu
if [ $# -lt 2 ]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
MODEL=$1; MUSIC=$2; OUT=${3:-bench/out/gen_long}
[ $# -ge 3 ] && shift 3 || shift 2
SECS=${LONG_SECONDS:-300}
MOMU=${MOMU:-./momu}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(dirname "$0")
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
[ -x "$MOMU" ] && [ -s "$MOMU" ] || { echo "gen_long: $MOMU missing or empty (make, or set MOMU=path/to/momu)" >&2; exit 1; }
[ -f "$MUSIC" ] || { echo "gen_long: no file $MUSIC" >&2; exit 1; }
mkdir -p "$OUT"

# window / overlap as generate resolves them (src/model/generate.c: sample_latents)
W=""; O=""; MDEN="$MODEL/denoiser_motion.safetensors"; prev=""
for a in "$@"; do
    case "$prev" in
        --window) W=$a ;;
        --overlap) O=$a ;;
        --motion-denoiser) MDEN=$a ;;
    esac
    case "$a" in
        --window=*) W=${a#--window=} ;;
        --overlap=*) O=${a#--overlap=} ;;
        --motion-denoiser=*) MDEN=${a#--motion-denoiser=} ;;
    esac
    prev=$a
done
if [ -z "$W" ] || [ "$W" = 0 ]; then
    W=$("$PY" -c '
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    meta = json.loads(f.read(n)).get("__metadata__", {})
print(int(meta.get("momu.window_latent_frames", 0)) or 125)' "$MDEN")
fi
if [ -z "$O" ] || [ "$O" = 0 ]; then O=$((W / 5)); fi

dur=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$MUSIC")
echo "gen_long: $MUSIC is ${dur} s; looping/cutting it to $SECS s -> $OUT/song.wav"
ffmpeg -v error -y -stream_loop -1 -i "$MUSIC" -t "$SECS" -vn -c:a pcm_s16le "$OUT/song.wav"

echo "gen_long: momu generate dance ($SECS s, OMP_NUM_THREADS=$OMP_NUM_THREADS, window $W, overlap $O) $*"
t0=$(date +%s.%N)
if ! "$MOMU" generate dance --music "$OUT/song.wav" --out "$OUT/dance.npy" --model "$MODEL" "$@" \
        2>"$OUT/generate.log"; then
    tail -5 "$OUT/generate.log" >&2
    exit 1
fi
t1=$(date +%s.%N)
line=$(grep '^generate dance:' "$OUT/generate.log" | tail -1 || true)
[ -n "$line" ] || { echo "gen_long: no summary line in $OUT/generate.log (is $MOMU a complete build?)" >&2; exit 1; }
echo "$line"
echo "gen_long: wall $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
TZ_=$(echo "$line" | sed -n 's/.*(\([0-9]*\) latent frames, \([0-9]*\) windows).*/\1/p')
NW=$(echo "$line" | sed -n 's/.*(\([0-9]*\) latent frames, \([0-9]*\) windows).*/\2/p')
echo
"$PY" "$HERE/seams.py" "$OUT/dance.npy" --window "$W" --overlap "$O" --latent-frames "${TZ_:-0}" \
    --expect-windows "${NW:-0}" --per-border | tee "$OUT/seams.txt"
