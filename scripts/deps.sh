#!/bin/sh
# Installs the Debian 12 packages momu builds and runs with. Idempotent: apt-get skips what is present.
#   scripts/deps.sh          build + run + test dependencies
#   scripts/deps.sh --dev    also the by-hand tools: python3-numpy/torch (reference fixtures, bench peer),
#                            aubio-tools (beat-tracker comparison), blender (BVH import check),
#                            python3-scipy (tools/motion_beats_check.py: Bailando's gaussian_filter1d/argrelextrema)
set -e
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS="build-essential pkg-config libsndfile1-dev libfftw3-dev libsamplerate0-dev libopenblas-openmp-dev ffmpeg"
if [ "${1:-}" = "--dev" ]; then
    PKGS="$PKGS python3-numpy python3-torch aubio-tools blender python3-scipy"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all present"
    exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
