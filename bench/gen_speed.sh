#!/bin/sh
# Wall time, peak memory and real-time factor of `momu generate` (bench/README.md, "Generation speed and memory").
#
#   bench/gen_speed.sh MODEL_DIR MUSIC_FILE MOTION_FILE [OUTDIR]
#
# 1. generate dance on 1, 5 and 10 minutes of music (MUSIC_FILE looped/cut with ffmpeg to exact lengths):
#    wall time, peak RSS, and whether both grow linearly with the length.
# 2. generate dance, music and both at 30 s and 60 s: wall time, peak RSS, real-time factor (seconds of output
#    per second of wall time). MOTION_FILE (.npy/.bvh/.json) is converted to JSON and looped to length.
# Peak RSS: GNU time's "Maximum resident set size" (/usr/bin/time, Debian package `time`), else VmHWM polled
# from /proc/PID/status every 50 ms (TIME_BIN= forces that; cpu s then misses the last <= 50 ms). CPU s = user + system time of the process.
# Environment: OMP_NUM_THREADS (2), SCALE_MINUTES ("1 5 10"),
# TASK_SECONDS ("30 60"), GEN_OPTS (extra generate options for every run, e.g. "--steps 50"), MOMU (./momu),
# PYTHON (/usr/bin/python3). OUTDIR defaults to bench/out/gen_speed (git-ignored); the runs' logs, inputs and
# outputs stay there, the table is also written to OUTDIR/results.txt (raw rows: OUTDIR/rows.tsv).
set -eu
if [ $# -lt 3 ]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
MODEL=$1; MUSIC=$2; MOTION=$3; OUT=${4:-bench/out/gen_speed}
MOMU=${MOMU:-./momu}
PY=${PYTHON:-/usr/bin/python3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
SCALE_MINUTES=${SCALE_MINUTES:-1 5 10}
TASK_SECONDS=${TASK_SECONDS:-30 60}
GEN_OPTS=${GEN_OPTS:-}
[ -x "$MOMU" ] && [ -s "$MOMU" ] || { echo "gen_speed: $MOMU missing or empty (make, or set MOMU=path/to/momu)" >&2; exit 1; }
for f in "$MUSIC" "$MOTION"; do [ -f "$f" ] || { echo "gen_speed: no file $f" >&2; exit 1; }; done
mkdir -p "$OUT"
ROWS="$OUT/rows.tsv"
printf 'part\ttask\tseconds\tout_s\twindows\twall_s\tsample_s\tdecode_s\trss_kib\tcpu_s\n' >"$ROWS"
TIME_BIN=${TIME_BIN-/usr/bin/time}
if [ -n "$TIME_BIN" ] && [ -x "$TIME_BIN" ]; then RSS_HOW="GNU time (Maximum resident set size)"; else TIME_BIN=""; RSS_HOW="VmHWM polled every 50 ms"; fi

# run LOG CMD...: runs CMD with stderr to LOG; sets WALL (s), CPU (user + system s) and RSS (KiB)
run() {
    log=$1; shift
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%e %M %U %S' -o "$log.time" "$@" 2>"$log" || { tail -5 "$log" >&2; exit 1; }
        WALL=$(cut -d' ' -f1 "$log.time"); RSS=$(cut -d' ' -f2 "$log.time")
        CPU=$(printf '%.2f' "$(echo "$(cut -d' ' -f3 "$log.time") + $(cut -d' ' -f4 "$log.time")" | bc)")
    else
        t0=$(date +%s.%N)
        "$@" 2>"$log" &
        pid=$!; RSS=0; CPU=nan; hz=$(getconf CLK_TCK)
        while [ -r "/proc/$pid/status" ]; do
            h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
            [ -n "$h" ] && [ "$h" -gt "$RSS" ] && RSS=$h
            c=$(awk -v hz="$hz" '{ sub(/.*\) /, ""); if ($1 != "Z") printf "%.2f", ($12 + $13) / hz }' \
                "/proc/$pid/stat" 2>/dev/null || true)   # utime + stime, last value seen (within 50 ms of the end)
            [ -n "$c" ] && CPU=$c
            sleep 0.05
        done
        wait "$pid" || { tail -5 "$log" >&2; exit 1; }
        WALL=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
    fi
}

# row PART TASK SECONDS LOG: appends the generate summary line's figures and WALL/RSS to rows.tsv
row() {
    line=$(grep "^generate $2:" "$4" | tail -1 || true)
    [ -n "$line" ] || { echo "gen_speed: no 'generate $2:' summary line in $4 (is $MOMU a complete build?)" >&2; exit 1; }
    outs=$(echo "$line" | sed -n 's/^generate [a-z]*: \([0-9.]*\) s (.*/\1/p')
    nw=$(echo "$line" | sed -n 's/.* latent frames, \([0-9]*\) windows).*/\1/p')
    ts=$(echo "$line" | sed -n 's/.*(sampling \([0-9.]*\) s, decode \([0-9.]*\) s).*/\1/p')
    td=$(echo "$line" | sed -n 's/.*(sampling \([0-9.]*\) s, decode \([0-9.]*\) s).*/\2/p')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${outs:-nan}" "${nw:-0}" "$WALL" \
        "${ts:-nan}" "${td:-nan}" "$RSS" "$CPU" >>"$ROWS"
    echo "  $line  [wall $WALL s, cpu $CPU s, peak RSS $((RSS / 1024)) MiB]"
}

music_of() {   # music_of SECONDS -> OUT/music_SECONDS.wav (the song looped or cut to exactly that length)
    [ -f "$OUT/music_$1.wav" ] ||
        ffmpeg -v error -y -stream_loop -1 -i "$MUSIC" -t "$1" -vn -c:a pcm_s16le "$OUT/music_$1.wav"
}

echo "gen_speed: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gen_speed: momu $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?'), model $MODEL," \
     "OMP_NUM_THREADS=$OMP_NUM_THREADS, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}, GEN_OPTS='$GEN_OPTS', peak RSS from $RSS_HOW"
echo "gen_speed: music $MUSIC ($(ffprobe -v error -show_entries stream=sample_rate,channels -of csv=p=0 "$MUSIC" |
     head -1 | sed 's/,/ Hz, /') channels), motion $MOTION"

echo "part 1: generate dance at $SCALE_MINUTES minutes"
for m in $SCALE_MINUTES; do
    s=$((m * 60))
    music_of $s
    # shellcheck disable=SC2086
    run "$OUT/dance_$s.log" "$MOMU" generate dance --music "$OUT/music_$s.wav" --out "$OUT/dance_$s.npy" \
        --model "$MODEL" $GEN_OPTS
    row scale dance $s "$OUT/dance_$s.log"
done

echo "part 2: dance, music and both at $TASK_SECONDS s"
"$MOMU" motion convert "$MOTION" "$OUT/motion_src.json" -q
for s in $TASK_SECONDS; do
    music_of $s
    "$PY" -c '
import json, math, sys
src, dst, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
m = json.load(open(src))
n = int(round(secs * m["fps"]))
fr = m["frames"]
m["frames"] = (fr * math.ceil(n / len(fr)))[:n]
json.dump(m, open(dst, "w"))' "$OUT/motion_src.json" "$OUT/motion_$s.json" $s
    # shellcheck disable=SC2086
    run "$OUT/task_dance_$s.log" "$MOMU" generate dance --music "$OUT/music_$s.wav" --out "$OUT/task_dance_$s.npy" \
        --model "$MODEL" $GEN_OPTS
    row task dance $s "$OUT/task_dance_$s.log"
    # shellcheck disable=SC2086
    run "$OUT/task_music_$s.log" "$MOMU" generate music --motion "$OUT/motion_$s.json" \
        --out "$OUT/task_music_$s.wav" --model "$MODEL" $GEN_OPTS
    row task music $s "$OUT/task_music_$s.log"
    # shellcheck disable=SC2086
    run "$OUT/task_both_$s.log" "$MOMU" generate both --seconds $s --out-music "$OUT/task_both_$s.wav" \
        --out-motion "$OUT/task_both_$s.npy" --model "$MODEL" $GEN_OPTS
    row task both $s "$OUT/task_both_$s.log"
done

echo "gen_speed: done $(date -u '+%H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg) (on a loaded machine wall times are noisy; cpu s includes OpenMP spin-waiting)"
echo
"$PY" - "$ROWS" <<'EOF' | tee "$OUT/results.txt"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
f = float
sc = [r for r in rows if r[0] == "scale"]
if sc:
    print("generate dance: length scaling (wall and cpu = whole process, cpu = user + system; sampling/decode s from "
          "generate's summary line)")
    print("| music | windows | wall s | cpu s | sampling s | decode s | peak RSS MiB | wall s per min | cpu s per min "
          "| RSS MiB per min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in sc:
        mins = f(r[2]) / 60
        rss = f(r[8]) / 1024
        print(f"| {mins:g} min | {r[4]} | {f(r[5]):.1f} | {f(r[9]):.1f} | {r[6]} | {r[7]} | {rss:.1f} | "
              f"{f(r[5]) / mins:.2f} | {f(r[9]) / mins:.2f} | {rss / mins:.1f} |")
    if len(sc) >= 3:
        m = [f(r[2]) / 60 for r in sc]
        for name, y, unit in (("wall", [f(r[5]) for r in sc], "s"), ("cpu", [f(r[9]) for r in sc], "s"),
                              ("peak RSS", [f(r[8]) / 1024 for r in sc], "MiB")):
            s = [(y[i + 1] - y[i]) / (m[i + 1] - m[i]) for i in range(len(m) - 1)]
            if any(v != v for v in s):
                verdict = "n/a"
            elif min(s) <= 0:
                verdict = "not increasing (noise larger than the growth: rerun on a quiet machine)"
            elif max(s) / min(s) <= 1.25:
                verdict = f"linear (per-minute slopes within 25 %: ratio {max(s) / min(s):.2f})"
            else:
                verdict = ("superlinear" if s[-1] > s[0] else "sublinear") + \
                          f" (per-minute slopes differ: ratio {max(s) / min(s):.2f})"
            seg = ", ".join(f"{m[i]:g}->{m[i + 1]:g} min {s[i]:.2f} {unit}/min" for i in range(len(s)))
            print(f"{name} growth: {seg}; {verdict}; fixed part ~ {y[0] - s[0] * m[0]:.1f} {unit}")
    print()
tk = [r for r in rows if r[0] == "task"]
if tk:
    print("generate per task (real-time factor = seconds of output / seconds of wall time; > 1 is faster than real "
          "time; cpu RTF uses cpu s instead of wall)")
    print("| task | seconds | windows | wall s | cpu s | sampling s | decode s | peak RSS MiB | real-time factor "
          "| cpu RTF |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in tk:
        print(f"| {r[1]} | {r[3]} | {r[4]} | {f(r[5]):.1f} | {f(r[9]):.1f} | {r[6]} | {r[7]} | "
              f"{f(r[8]) / 1024:.1f} | {f(r[3]) / f(r[5]):.2f} | {f(r[3]) / f(r[9]):.2f} |")
EOF
