#!/bin/sh
# Fetches the Frets on Fire song packages that hold the beat ground truth of
# ../shared/data/fretsonfire-beats.tsv (8 band recordings: song.ogg + guitar.ogg per song).
# Uses `apt-get download` + `dpkg -x` into a cache folder outside the repository; nothing is
# installed system-wide. Idempotent: packages already extracted are left alone.
#
#   scripts/fetch_fretsonfire.sh            -> prints the extraction root on stdout
#   MOMU_CACHE=/somewhere scripts/fetch_fretsonfire.sh
#
# Licences: fretsonfire-songs-muldjord is CC-BY-SA-3.0, fretsonfire-songs-sectoid is Expat (MIT-style).
# The audio stays in the cache; never copy it into the repository.
set -eu
CACHE=${MOMU_CACHE:-$HOME/.cache/momu}/fretsonfire
ROOT=$CACHE/root
mkdir -p "$CACHE/debs" "$ROOT"
for pkg in fretsonfire-songs-muldjord fretsonfire-songs-sectoid; do
    stamp="$CACHE/.$pkg.done"
    if [ -f "$stamp" ]; then continue; fi
    (cd "$CACHE/debs" && ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >&2)
    deb=$(ls "$CACHE/debs/${pkg}"_*.deb | head -n 1)
    [ -f "$deb" ] || { echo "fetch_fretsonfire: apt-get download $pkg produced no .deb" >&2; exit 1; }
    dpkg -x "$deb" "$ROOT"
    touch "$stamp"
done
echo "$ROOT"
