"""Check a momu-written BVH in Blender (run by hand; Blender 3.4, Debian):

    momu motion convert CLIP.motion.npy /tmp/clip.bvh              # DwM clip -> BVH (keep it outside the repo)
    momu motion convert --raw /tmp/clip.bvh /tmp/clip_fk.json     # momu's own FK of that BVH, with joint names
    blender -b -P tools/blender_bvh_check.py -- /tmp/clip.bvh /tmp/clip_fk.json [CLIP.motion.npy]

Imports the BVH with Blender's own importer (bpy.ops.import_anim.bvh, default options: axis_forward='-Z',
axis_up='Y', global_scale=1, rotate_mode='NATIVE', update_scene_fps), then checks
  - frame count (the action's keyframe range; the scene range is printed too, Blender 3.4's importer sets
    it one frame longer) against the BVH's "Frames:",
  - bone count against the BVH's ROOT/JOINT count,
  - frame rate (scene.render.fps / fps_base) against 1 / "Frame Time:",
  - every pose bone's head in world space, frame by frame, against momu's FK position of the joint of the
    same name. Blender's default import turns BVH y-up into Blender z-up: Blender (x, y, z) =
    (x_bvh, -z_bvh, y_bvh); this script maps Blender's heads back with x_bvh = x, y_bvh = z, z_bvh = -y.
    Units: global_scale 1, so 1 Blender unit = 1 BVH unit (cm for momu files).
  - optionally (third argument, a DwM (T, 23, 3) .npy) the bone heads of the 23 DwM points against the
    original positions: the error of the BVH conversion itself on real data (bone lengths vary there).
POSITIONS may also be a (T, J, 3) .npy from `momu motion convert --raw X.bvh X.npy`; its joint order is then
read from the BVH (ROOT/JOINT in order, each End Site as "<parent>_end", as momu's reader does).
Prints max / mean errors in cm and exits 1 if a count or rate check fails or the max error exceeds 1 cm.
"""
import json
import sys

import bpy
import numpy as np


def bvh_info(path):
    names, n_frames, frame_time, stack, last = [], None, None, [], None
    with open(path) as f:
        toks = f.read().split()
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in ("ROOT", "JOINT"):
            names.append(toks[i + 1])
            last = toks[i + 1]
            i += 2
            continue
        if t == "End" and toks[i + 1] == "Site":
            names.append(stack[-1] + "_end" if stack else "end")
            last = None
            i += 2
            continue
        if t == "{":
            stack.append(last if last is not None else "")
        elif t == "}":
            stack.pop()
        elif t == "Frames:":
            n_frames = int(toks[i + 1])
        elif t == "Time:":
            frame_time = float(toks[i + 1])
            break
        i += 1
    # stack holds the enclosing joint name at each "{"; End Site's "{" pushes "" which is popped again
    return names, n_frames, frame_time


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if len(argv) < 2:
        print(__doc__)
        sys.exit(2)
    bvh, positions = argv[0], argv[1]
    orig = argv[2] if len(argv) > 2 else None
    names, n_frames, frame_time = bvh_info(bvh)
    n_bones_bvh = sum(1 for n in names if not n.endswith("_end") or n in ("",))
    # End Sites are the only names momu appends "_end" to; a real joint could end in "_end", so count again
    with open(bvh) as f:
        toks = f.read().split()
    n_bones_bvh = toks.count("ROOT") + toks.count("JOINT")

    if positions.endswith(".json"):
        with open(positions) as f:
            js = json.load(f)
        pos = np.asarray(js["frames"], dtype=np.float64)
        pnames = js["joints"]
    else:
        pos = np.load(positions).astype(np.float64)
        pnames = names
    if pos.shape[1] != len(pnames):
        print(f"positions have {pos.shape[1]} joints, names {len(pnames)}")
        sys.exit(1)

    # Debian's Blender 3.4 runs Python 3.11, where the importer's open(path, 'rU') raises "invalid mode: 'rU'";
    # give its module an open() that drops the obsolete 'U' flag (no other change to the importer).
    import builtins
    import io_anim_bvh.import_bvh as import_bvh
    import_bvh.open = lambda file, mode="r", *a, **k: builtins.open(file, mode.replace("U", ""), *a, **k)

    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o, do_unlink=True)
    bpy.ops.import_anim.bvh(filepath=bvh, global_scale=1.0, frame_start=1, use_fps_scale=False,
                            update_scene_fps=True, update_scene_duration=True, rotate_mode="NATIVE",
                            axis_forward="-Z", axis_up="Y")
    arm = [o for o in bpy.context.scene.objects if o.type == "ARMATURE"][0]
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    act = arm.animation_data.action
    fr = act.frame_range
    n_bones = len(arm.data.bones)
    ok = True
    print(f"frames: BVH {n_frames}, scene {scene.frame_start}..{scene.frame_end} "
          f"({scene.frame_end - scene.frame_start + 1}), action {fr[0]:.0f}..{fr[1]:.0f}, positions {pos.shape[0]}")
    # Blender 3.4's importer sets scene.frame_end = frame_start + Frames (one past the last keyframe); the
    # action's keyframe range is the imported frame count.
    if int(round(fr[1] - fr[0])) + 1 != n_frames or pos.shape[0] != n_frames:
        ok = False
        print("FAIL frame count")
    print(f"bones: BVH ROOT+JOINT {n_bones_bvh}, Blender {n_bones}")
    if n_bones != n_bones_bvh:
        ok = False
        print("FAIL bone count")
    print(f"fps: BVH 1/{frame_time} = {1 / frame_time:.4f}, Blender {fps:.4f}")
    if abs(fps - 1 / frame_time) > 1e-3 * fps:
        ok = False
        print("FAIL frame rate")

    bones = [b.name for b in arm.pose.bones]
    cols = []
    for b in bones:
        if b not in pnames:
            print(f"FAIL bone {b} not among the positions' joints")
            ok = False
            continue
        cols.append((b, pnames.index(b)))
    M = arm.matrix_world
    T = n_frames
    heads = np.zeros((T, len(cols), 3))
    for t in range(T):
        scene.frame_set(scene.frame_start + t)
        for k, (b, _) in enumerate(cols):
            h = M @ arm.pose.bones[b].head
            heads[t, k] = (h.x, h.z, -h.y)  # Blender z-up -> BVH y-up (inverse of the import's axis conversion)
    ref = pos[:, [c for _, c in cols], :]
    err = np.linalg.norm(heads - ref, axis=2)
    print(f"bone heads vs momu FK: {len(cols)} bones x {T} frames: max {err.max():.4f} cm, mean {err.mean():.4f} cm "
          f"(worst bone {cols[int(err.max(axis=0).argmax())][0]})")
    if err.max() > 1.0:
        ok = False
        print("FAIL max error above 1 cm")
    if orig:
        o = np.load(orig).astype(np.float64)
        dwm = ["head_L", "head_R", "spine", "shoulder_L", "elbow_L", "forearm_L", "wrist_L", "hip_L", "knee_L",
               "ankle_L", "heel_L", "toe_L", "shoulder_R", "elbow_R", "forearm_R", "wrist_R", "hip_R", "knee_R",
               "ankle_R", "heel_R", "toe_R", "hand_dir_R", "hand_dir_L"]
        idx = [[b for b, _ in cols].index(n) for n in dwm]
        e2 = np.linalg.norm(heads[:, idx, :] - o[:T], axis=2)
        print(f"bone heads vs original DwM positions (23 points): max {e2.max():.3f} cm, mean {e2.mean():.3f} cm, "
              f"median {np.median(e2):.3f} cm")
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


main()
