#!/bin/sh
# CLI checks of `momu render` (tests/test_render.c tests the rasteriser): 2 s of a synthetic Dance-with-Melody
# style motion (23 points, JSON written here) with a click track made by ffmpeg, rendered at 160x120; ffprobe
# checks the streams and durations, extracted frames must show the skeleton's colours; PNG output; errors.
M=${MOMU_BIN:-./momu}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
    echo "SKIP cli_render: ffmpeg/ffprobe not installed"; exit 0
fi

# 50 frames at 25 fps: a standing pose (the data's left side at +x) swaying and stepping sideways
awk 'BEGIN {
    split("6 168 0 -6 168 0 0 105 0 18 148 0 30 125 0 34 112 0 38 100 0 10 100 0 12 52 0 12 12 0 12 5 -5 12 3 12 " \
          "-18 148 0 -30 125 0 -34 112 0 -38 100 0 -10 100 0 -12 52 0 -12 12 0 -12 5 -5 -12 3 12 -36 96 4 36 96 4", p, " ")
    printf "{\"fps\": 25, \"frames\": ["
    for (t = 0; t < 50; t++) {
        sx = 20 * sin(6.2832 * t / 25); arm = 25 * sin(6.2832 * t / 12.5)
        printf "%s[", (t ? "," : "")
        for (j = 0; j < 23; j++) {
            x = p[3 * j + 1] + sx; y = p[3 * j + 2]; z = p[3 * j + 3]
            if (j >= 4 && j <= 6) y += arm; if (j >= 13 && j <= 15) y -= arm
            printf "%s[%.3f,%.3f,%.3f]", (j ? "," : ""), x, y, z
        }
        printf "]"
    }
    printf "]}\n"
}' > "$d/m.json"
ffmpeg -v error -f lavfi -i "aevalsrc=if(lt(mod(t\,0.5)\,0.01)\,sin(2*PI*2000*t)\,0):s=16000:d=2.5" "$d/click.wav"

# count pixels of a raw rgb24 stream near (R, G, B) +- 50
count_col() { od -An -v -tu1 -w3 | awk -v r="$1" -v g="$2" -v b="$3" \
    'function a(x) { return x < 0 ? -x : x } a($1 - r) <= 50 && a($2 - g) <= 50 && a($3 - b) <= 50 { n++ } END { print n + 0 }'; }

out="$d/out video.mp4"
err=$("$M" render --motion "$d/m.json" --music "$d/click.wav" --out "$out" --width 160 --height 120 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$out" ] && ! ls "$d" | grep -q tmp; then ok render_mp4; else ko render_mp4; echo "rc $rc: $err"; fi

streams=$(ffprobe -v error -show_entries stream=codec_type,codec_name,width,height,pix_fmt,duration -of csv=p=0 "$out" 2>&1)
if echo "$streams" | awk -F, '
    $2 == "video" { nv++; if ($1 != "h264" || $3 != 160 || $4 != 120 || $5 != "yuv420p" || $6 < 1.9 || $6 > 2.1) bad++ }
    $1 == "aac" { na++; if ($NF < 1.9 || $NF > 2.1) bad++ }
    END { exit !(nv == 1 && na == 1 && !bad) }'; then ok render_streams; else ko render_streams; echo "$streams"; fi

# a frame from the middle: left limbs blue (80,170,255), right limbs coral (255,112,80)
ffmpeg -v error -ss 1.0 -i "$out" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$d/f.rgb"
nl=$(count_col 80 170 255 < "$d/f.rgb"); nr=$(count_col 255 112 80 < "$d/f.rgb")
if [ "$(wc -c < "$d/f.rgb")" -eq 57600 ] && [ "$nl" -gt 15 ] && [ "$nr" -gt 15 ]; then ok render_frame_colours
else ko render_frame_colours; echo "left $nl right $nr"; fi

# --no-audio: one video stream only
"$M" render --motion "$d/m.json" --music "$d/click.wav" --out "$d/na.mp4" --width 160 --height 120 --no-audio -q; rc=$?
n=$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$d/na.mp4" | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$n" = "video " ]; then ok render_no_audio; else ko render_no_audio; echo "rc $rc: $n"; fi

# one frame as PNG, decoded by ffmpeg
"$M" render --motion "$d/m.json" --music "$d/click.wav" --frame 10 --png "$d/f.png" --width 160 --height 120 -q; rc=$?
ffmpeg -v error -i "$d/f.png" -f rawvideo -pix_fmt rgb24 "$d/p.rgb"
nl=$(count_col 80 170 255 < "$d/p.rgb")
if [ $rc -eq 0 ] && [ "$(wc -c < "$d/p.rgb")" -eq 57600 ] && [ "$nl" -gt 15 ]; then ok render_png
else ko render_png; echo "rc $rc, left $nl"; fi
err=$("$M" render --motion "$d/m.json" --frame 50 --png "$d/g.png" 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'frame 50 out of range' && [ ! -e "$d/g.png" ]; then ok render_png_range
else ko render_png_range; echo "rc $rc: $err"; fi

# ffmpeg missing / failing: exit 1, a clear message (with its stderr), no output left behind
err=$(MOMU_FFMPEG="$d/no such ffmpeg" "$M" render --motion "$d/m.json" --out "$d/x.mp4" --width 160 --height 120 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'cannot run .*no such ffmpeg' && [ ! -e "$d/x.mp4" ]; then ok render_no_ffmpeg
else ko render_no_ffmpeg; echo "rc $rc: $err"; fi
printf '#!/bin/sh\necho "boom: encoder exploded" >&2\nexit 3\n' > "$d/badff"; chmod +x "$d/badff"
err=$(MOMU_FFMPEG="$d/badff" "$M" render --motion "$d/m.json" --out "$d/x.mp4" --width 160 --height 120 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'exit 3' && echo "$err" | grep -q 'boom: encoder exploded' && [ ! -e "$d/x.mp4" ] &&
   ! ls "$d" | grep -q tmp; then ok render_ffmpeg_fails; else ko render_ffmpeg_fails; echo "rc $rc: $err"; fi

# usage errors exit 2 (no output, bad --beats), odd size exit 1, --help 0
"$M" render --motion "$d/m.json" >/dev/null 2>&1; a=$?
"$M" render --motion "$d/m.json" --out "$d/y.mp4" --beats loud >/dev/null 2>&1; b=$?
"$M" render --motion "$d/m.json" --out "$d/y.mp4" --width 161 --height 120 >/dev/null 2>&1; c=$?
"$M" render --help >/dev/null 2>&1; h=$?
if [ $a -eq 2 ] && [ $b -eq 2 ] && [ $c -eq 1 ] && [ $h -eq 0 ]; then ok render_usage; else ko render_usage; echo "$a $b $c $h"; fi
