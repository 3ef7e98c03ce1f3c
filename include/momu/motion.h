/* momu — the motion front end: skeletons, motion readers/writers (NPY, JSON, BVH), the Dance-with-Melody
 * skeleton, kinematic amplitude Q(r) and kinematic beats, motion features for the models, resampling.
 *
 * Conventions (all functions):
 *   - positions are world positions in centimetres, y up, row-major (T, J, 3): pos[(t*J + j)*3 + c];
 *   - fps is frames per second of the motion (Dance-with-Melody: 25);
 *   - errors: momu_status + momu_err naming the file or argument; nothing here exits or prints.
 *
 * Dance-with-Melody (DwM) points, indices 0..22 (names inferred from the data by the dataset README):
 *   0 head_L 1 head_R 2 spine 3 shoulder_L 4 elbow_L 5 forearm_L 6 wrist_L 7 hip_L 8 knee_L 9 ankle_L
 *   10 heel_L 11 toe_L 12 shoulder_R 13 elbow_R 14 forearm_R 15 wrist_R 16 hip_R 17 knee_R 18 ankle_R
 *   19 heel_R 20 toe_R 21 hand_dir_R 22 hand_dir_L.
 * The points are not a kinematic tree (the neck is the mid-shoulders, the head centre the midpoint of 0 and
 * 1). momu_skeleton.parent for DwM is a *display tree over the 23 points* (2 root; 7,16,3,12 children of 2;
 * 0 child of 3, 1 child of 12; 21 child of 14; 22 child of 6); the drawn bones of the source, with midpoint
 * ends, are momu_dwm_bones(). The BVH writer adds two documented virtual joints (see src/motion/bvh.c):
 *   neck = midpoint(3, 12) (child of 2; parent of 3, 12 and head), head = midpoint(0, 1) (parent of 0, 1).
 * A momu-written DwM BVH read back with momu_motion_load is mapped back to the 23 points. */
#ifndef MOMU_MOTION_H
#define MOMU_MOTION_H
#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

#define MOMU_JOINT_NAME_MAX 32
#define MOMU_DWM_JOINTS 23
#define MOMU_DWM_FPS 25.0f
#define MOMU_MOTION_MAX_JOINTS 1024

typedef struct {
    size_t n_joints;
    char (*names)[MOMU_JOINT_NAME_MAX]; /* (J) NUL-terminated names, or NULL if unknown */
    int   *parent;                      /* (J) parent index, -1 for a root; NULL if unknown. DwM: display tree */
    float *offset;                      /* (J,3) rest offsets from the parent, cm; NULL if unknown */
} momu_skeleton;

typedef struct {
    size_t n_frames, n_joints;
    float  fps;
    float *pos;          /* (T,J,3) world positions, cm, y up; owned */
    momu_skeleton skel;  /* skel.n_joints == n_joints; members may be NULL (unknown) */
} momu_motion;

/* A bone end: a point, or the midpoint of two points (b == a for a plain point). */
typedef struct { int a0, a1, b0, b1; const char *name; } momu_bone;

/* ---- skeletons ---------------------------------------------------------------------------------- */
/* Fills sk with the built-in DwM skeleton (names, display-tree parents, offsets NULL). */
momu_status momu_skeleton_dwm(momu_skeleton *sk, momu_err *e);
/* The 21 drawn bones of the source (skeleton.tsv), midpoint ends as a0+a1 / b0+b1. Static storage. */
const momu_bone *momu_dwm_bones(size_t *n_bones);
/* The DwM mirror pairs (README: 0-1, 3-12, ..., 21-22; 2 on the midline): map[j] = mirrored index. */
const int *momu_dwm_mirror_map(void);
momu_status momu_skeleton_copy(momu_skeleton *dst, const momu_skeleton *src, momu_err *e);
void        momu_skeleton_free(momu_skeleton *sk);
/* Index of the joint named `name`, or -1. */
int         momu_skeleton_find(const momu_skeleton *sk, const char *name);
/* 1 if sk has the 23 DwM names in DwM order. */
int         momu_skeleton_is_dwm(const momu_skeleton *sk);

/* ---- motion I/O --------------------------------------------------------------------------------- */
/* Allocates pos (T,J,3) (zeroed) and an empty skeleton with J joints. */
momu_status momu_motion_alloc(momu_motion *m, size_t n_frames, size_t n_joints, float fps, momu_err *e);
/* By extension:
 *   .npy  (T,J,3) float32/float64; fps = 25 (override afterwards); J = 23 gets the DwM skeleton;
 *   .bvh  any hierarchy, any Euler channel order, 0..6 channels per joint (position channels replace the
 *         OFFSET, as Blender reads them), End Sites become joints named "<parent>_end"; forward kinematics
 *         to world positions (src/motion/bvh.c documents the semantics); fps = 1 / Frame Time;
 *         a BVH holding the 23 DwM names (as momu writes it) is mapped back to the 23 DwM points;
 *   .json {"fps": F, "joints": [names], "parents": [ints], "frames": [[[x,y,z], ...], ...]}
 *         ("joints"/"parents" optional; "offsets": [[x,y,z],...] optional; 23 points without names or
 *         parents get the DwM skeleton). momu writes also "format": "momu-motion-1", "units": "cm", "up": "y".
 * Rejects truncated, corrupt, wrongly shaped, non-finite and absurdly large input (message names the file). */
momu_status momu_motion_load(const char *path, momu_motion *m, momu_err *e);
/* By extension: .npy (T,J,3) float32; .json (format above, with skeleton and fps); .bvh (needs a tree:
 * the DwM skeleton or parents; the BVH writer computes local rotations, see src/motion/bvh.c). */
momu_status momu_motion_save(const char *path, const momu_motion *m, momu_err *e);
void        momu_motion_free(momu_motion *m);
momu_status momu_motion_copy(momu_motion *dst, const momu_motion *src, momu_err *e);
/* Rejects T == 0, J == 0, fps <= 0 or non-finite, NaN/Inf positions; `what` names the source. */
momu_status momu_motion_check(const momu_motion *m, const char *what, momu_err *e);

/* ---- BVH details (src/motion/bvh.c) ----------------------------------------------------------- */
/* Reads every joint of a BVH file (End Sites as "<parent>_end", virtual joints kept), no DwM mapping. */
momu_status momu_bvh_load_raw(const char *path, momu_motion *m, momu_err *e);
/* Writes a BVH like momu_motion_save; stretch = 1 also gives every JOINT Xposition Yposition Zposition
 * channels with its per-frame local offset, so FK reproduces positions exactly where bone lengths vary
 * (real capture, generated motion). Many retargeting tools expect fixed offsets: the default is 0. */
momu_status momu_bvh_save(const char *path, const momu_motion *m, int stretch, momu_err *e);
/* Euler angles of three rotation channels, axes 0 x, 1 y, 2 z, e.g. "Zrotation Xrotation Yrotation" is
 * order {2, 0, 1}: R = R_z(d0) R_x(d1) R_y(d2) (intrinsic, column vectors), degrees, R row-major 3x3. */
void momu_euler_to_matrix(const int order[3], const double deg[3], double r[9]);
/* Inverse of the above (middle angle in [-90, 90]; at gimbal lock the last angle is 0). */
void momu_euler_from_matrix(const int order[3], const double r[9], double deg[3]);

/* ---- time ---------------------------------------------------------------------------------------- */
/* Linear interpolation in time. Output frame i (i = 0..n_out-1) samples the input at input time
 *   t_i = time_scale * (offset_s + i / out_fps)   seconds, i.e. at input frame index t_i * in->fps;
 * times before the first / after the last input frame hold the first / last frame. time_scale > 0.
 * out gets the input's skeleton and fps = out_fps. */
momu_status momu_motion_resample(const momu_motion *in, double time_scale, double offset_s, float out_fps,
                                 size_t n_out, momu_motion *out, momu_err *e);

/* ---- kinematic amplitude and beats (DESIGN.md §1, notes §3.3) ----------------------------------- */
#define MOMU_Q_BINS 8
/* Q(r) on the camera plane (x, y; viewed along z). F(r,j) = P(r+1,j) - P(r,j) (2-D),
 * D(r,k) = sum_j |F(r,j)| [|angle(F(r,j)) - 2 pi k/K| <= 2 pi/K, mod 2 pi], K = 8 overlapping bins;
 * q[r] = sum_k max(0, D(r,k) - D(r-1,k)) for r = 1..T-2 (the change of motion at frame r, time r/fps);
 * q[0] = q[T-1] = 0. q has T entries. */
momu_status momu_motion_kinematic_amplitude(const momu_motion *m, float *q, momu_err *e);
/* Generic form: pos (T,J,3) positions. */
momu_status momu_kinematic_amplitude(const float *pos, size_t n_frames, size_t n_joints, float *q, momu_err *e);
/* Peaks of Q by the LORIS pick_peak rule (normalise by max; forward windows mean 4 / max 6, zero-padded;
 * threshold 0.1 * mean(env); the last of consecutive peaks). Times r/fps in seconds, *times malloc'ed. */
momu_status momu_motion_beats_q(const momu_motion *m, double **times, size_t *n, momu_err *e);
/* The same rule on an envelope: writes indices of peaks into idx (capacity n_env), count in *n_peaks. */
void        momu_pick_peaks_loris(const float *env, size_t n_env, size_t *idx, size_t *n_peaks);
/* Local minima of the mean joint speed (Bailando/FACT BAS): v[i] = mean_j |P(i+1,j) - P(i,j)| (i=0..T-2),
 * gaussian_filter1d(v, sigma = 5 * fps / 60) (scipy: mode reflect, truncate 4), strict local minima
 * (scipy argrelextrema np.less, endpoints excluded); time of minimum i is i/fps (as Bailando indexes it). */
momu_status momu_motion_beats_speed(const momu_motion *m, double **times, size_t *n, momu_err *e);
/* The smoothed speed curve itself (T-1 entries, cm/frame) for callers that need the envelope. */
momu_status momu_motion_speed_smoothed(const momu_motion *m, float *v, momu_err *e);

/* ---- features for the models (src/motion/features.c) -------------------------------------------- */
/* Per-frame feature vector, D = momu_features_dim(J) = 6 J + 8, layout:
 *   [0]   root forward velocity   } root (joint "spine", or 0) horizontal velocity, cm/s, expressed in the
 *   [1]   root lateral velocity   } heading frame of frame t (heading from the hip line, see features.c)
 *   [2]   heading rate, rad/s (about +y)
 *   [3]   root height above the floor estimate, cm (floor: running minimum of the foot points)
 *   [4 .. 4+3J)      joint positions relative to the root, heading frame, cm
 *   [4+3J .. 4+6J)   joint velocities (P(t+1)-P(t))*fps in the heading frame of t, cm/s (last repeats)
 *   [4+6J .. 8+6J)   foot contacts heel_L, toe_L, heel_R, toe_R in {0, 1}
 * Requires a skeleton with the names hip_L, hip_R (and heel_L, toe_L, heel_R, toe_R for contacts; if absent,
 * contacts are 0). The root is the joint named "spine" if present, else joint 0. */
size_t      momu_features_dim(size_t n_joints);
/* feat: (T, D). */
momu_status momu_motion_to_features(const momu_motion *m, float *feat, momu_err *e);
/* Inverse: integrates heading and root velocity from a start at the origin (heading = +z facing, floor
 * y = 0), adds the root-relative positions; velocities and contacts are not used. out gets skel's skeleton
 * (copied; may be NULL for none) and fps. */
momu_status momu_features_to_motion(const float *feat, size_t n_frames, size_t n_joints, float fps,
                                    const momu_skeleton *skel, momu_motion *out, momu_err *e);
/* Left/right mirror in place: swap the mirror pairs (map[j], e.g. momu_dwm_mirror_map()) and negate x. */
momu_status momu_motion_mirror(momu_motion *m, const int *map, momu_err *e);

/* Normalisation statistics: z = (x - mean) / std, std floored at std_floor. */
typedef struct { size_t dim; float *mean, *std; } momu_feature_stats;
/* Over n_seq sequences feats[s] of n_frames[s] frames each (double accumulation, fixed order). */
momu_status momu_feature_stats_compute(const float *const *feats, const size_t *n_frames, size_t n_seq,
                                       size_t dim, float std_floor, momu_feature_stats *st, momu_err *e);
momu_status momu_feature_stats_save(const char *path, const momu_feature_stats *st, momu_err *e); /* (2,D) npy */
momu_status momu_feature_stats_load(const char *path, momu_feature_stats *st, momu_err *e);
void        momu_feature_stats_free(momu_feature_stats *st);
void        momu_features_normalise(const momu_feature_stats *st, float *feat, size_t n_frames);
void        momu_features_denormalise(const momu_feature_stats *st, float *feat, size_t n_frames);

#ifdef __cplusplus
}
#endif
#endif
