#!/bin/sh
# CLI checks of `momu motion convert|beats` on a tiny BVH made here (see tests/test_motion.c and
# tests/test_bvh.c for the library tests).
M=${MOMU_BIN:-./momu}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1"; }

# a one-joint chain swinging left/right along x: 40 frames at 25 fps, direction reverses every 10 frames
{
  printf 'HIERARCHY\nROOT r\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n'
  printf '\tJOINT a\n\t{\n\t\tOFFSET 0 10 0\n\t\tCHANNELS 3 Zrotation Xrotation Yrotation\n\t\tEnd Site\n\t\t{\n\t\t\tOFFSET 0 5 0\n\t\t}\n\t}\n}\n'
  printf 'MOTION\nFrames: 41\nFrame Time: 0.04\n'
  i=0
  while [ $i -le 40 ]; do
    p=$((i % 20)); if [ $p -le 10 ]; then x=$((3 * p)); else x=$((3 * (20 - p))); fi
    printf '%s 100 0 0 0 0 0 0 0\n' "$x"; i=$((i + 1))
  done
} > "$d/a.bvh"

"$M" motion convert "$d/a.bvh" "$d/a.json" 2>"$d/err" && grep -q '41 frames, 3 joints, 25 fps' "$d/err" \
  && ok motion_convert_bvh_json || { ko motion_convert_bvh_json; cat "$d/err"; }
"$M" motion convert "$d/a.json" "$d/b.bvh" 2>/dev/null && "$M" motion convert "$d/b.bvh" "$d/b.npy" 2>/dev/null \
  && [ -s "$d/b.npy" ] && ok motion_convert_json_bvh_npy || ko motion_convert_json_bvh_npy
# npy has no frame rate: --fps sets it
"$M" motion convert "$d/b.npy" "$d/c.json" --fps 50 2>"$d/err" && grep -q '50 fps' "$d/err" && grep -q '"fps": 50' "$d/c.json" \
  && ok motion_convert_fps || { ko motion_convert_fps; cat "$d/err"; }
"$M" motion convert "$d/a.bvh" "$d/c.json" --fps 50 >/dev/null 2>&1; [ $? -eq 1 ] && ok motion_convert_fps_only_npy || ko motion_convert_fps_only_npy
# Q beats: reversals at frames 10, 20, 30 -> 0.4, 0.8, 1.2 s
out=$("$M" motion beats "$d/a.bvh" 2>/dev/null)
[ "$(echo $out)" = "0.4000 0.8000 1.2000" ] && ok motion_beats_q || { ko motion_beats_q; echo "$out"; }
out=$("$M" motion beats "$d/a.bvh" --method speed 2>/dev/null); rc=$?
[ $rc -eq 0 ] && ok motion_beats_speed_runs || ko motion_beats_speed_runs
"$M" motion beats "$d/a.bvh" --method nope >/dev/null 2>&1; [ $? -eq 2 ] && ok motion_beats_bad_method || ko motion_beats_bad_method
"$M" motion convert "$d/a.bvh" >/dev/null 2>&1; [ $? -eq 2 ] && ok motion_convert_missing_arg || ko motion_convert_missing_arg
head -c 200 "$d/a.bvh" > "$d/t.bvh"
err=$("$M" motion convert "$d/t.bvh" "$d/t.npy" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q 't.bvh' && [ ! -e "$d/t.npy" ] && ok motion_convert_truncated || { ko motion_convert_truncated; echo "$err"; }
"$M" motion convert "$d/a.bvh" "$d/a.xyz" >/dev/null 2>&1; [ $? -eq 1 ] && ok motion_convert_bad_ext || ko motion_convert_bad_ext
"$M" motion convert "$d/a.bvh" "$d/s.bvh" --bvh-stretch 2>/dev/null && grep -q 'CHANNELS 6 Xposition' "$d/s.bvh" \
  && [ "$(grep -c 'CHANNELS 6' "$d/s.bvh")" -eq 2 ] && ok motion_convert_bvh_stretch || ko motion_convert_bvh_stretch
"$M" motion convert "$d/a.bvh" "$d/s.json" --bvh-stretch >/dev/null 2>&1; [ $? -eq 2 ] && ok motion_stretch_only_bvh || ko motion_stretch_only_bvh
"$M" motion convert --help >/dev/null 2>&1 && "$M" motion beats --help >/dev/null 2>&1 && "$M" motion --help >/dev/null 2>&1 \
  && ok motion_help || ko motion_help
