/* Motion-quality features and metrics: AIST++ kinetic features, geometric (boolean pose relation) features
 * adapted to the Dance-with-Melody skeleton, and foot skating. Positions (T, J, 3) cm, y up. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"

#define P(pos, J, t, j) ((pos) + ((size_t)(t) * (J) + (size_t)(j)) * 3)

static momu_status check_motion(const float *pos, size_t T, size_t J, double fps, size_t min_t, const char *what,
                                momu_err *e) {
    size_t n;
    if (!pos || J == 0 || !momu_mul_ok(T, J, &n) || !momu_mul_ok(n, 3, &n))
        return momu_fail(e, MOMU_ERR_ARG, "%s: bad motion array (T %zu, J %zu)", what, T, J);
    if (T < min_t) return momu_fail(e, MOMU_ERR_ARG, "%s: needs at least %zu frames, got %zu", what, min_t, T);
    if (!isfinite(fps) || fps <= 0 || fps > 10000)
        return momu_fail(e, MOMU_ERR_ARG, "%s: fps must be in (0, 10000], got %g", what, fps);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pos[i])) return momu_fail(e, MOMU_ERR_RANGE, "%s: position %zu is NaN or infinite", what, i);
    return MOMU_OK;
}

/* ------------------------------------------------------------------------------------------------------
 * Kinetic features: AIST++ api (aist_plusplus/features/kinetic.py, utils/features.py from fairmotion), as
 * Bailando's metrics use them. For frame i = 1..T-1 and sliding window w = 2:
 *   v̄(i) = Σ_{j=-w..w, valid} (p[i+j] - p[i+j-1]) / (count · Δt)          (valid: i+j-1 >= 0, i+j < T)
 *   ā(i) = Σ_{j=-w..w, valid} (p[i+j+1] - 2p[i+j] + p[i+j-1]) / Δt² / count (valid: i+j-1 >= 0, i+j+1 < T)
 *   KE_h = mean_i |v̄_xz|²,  KE_v = mean_i |v̄_y|²,  EE = mean_i |ā|      (means divide by T - 1)
 * Scaling: positions converted to metres (×0.01) and Δt = 1/fps (AIST++ uses metres and 1/60 s at 60 fps),
 * so the values have AIST++'s units. Deviation: fairmotion's calc_average_acceleration has a misplaced
 * parenthesis, v1 = p[i+j] - p[i+j-1]/Δt; the correct finite difference is used here. */
momu_status momu_kinetic_features(const float *pos, size_t T, size_t J, double fps, double *feat, momu_err *e) {
    momu_status st = check_motion(pos, T, J, fps, 3, "kinetic features", e);
    if (st) return st;
    const double dt = 1.0 / fps, m = 0.01;
    const long w = 2, nt = (long)T;
    for (size_t j = 0; j < J; j++) {
        double ke_h = 0.0, ke_v = 0.0, ee = 0.0;
        for (long i = 1; i < nt; i++) {
            double v[3] = {0, 0, 0}, a[3] = {0, 0, 0};
            int cv = 0, ca = 0;
            for (long k = -w; k <= w; k++) {
                long t = i + k;
                if (t - 1 >= 0 && t < nt) {
                    const float *p1 = P(pos, J, t, j), *p0 = P(pos, J, t - 1, j);
                    for (int c = 0; c < 3; c++) v[c] += ((double)p1[c] - (double)p0[c]) * m;
                    cv++;
                }
                if (t - 1 >= 0 && t + 1 < nt) {
                    const float *p2 = P(pos, J, t + 1, j), *p1 = P(pos, J, t, j), *p0 = P(pos, J, t - 1, j);
                    for (int c = 0; c < 3; c++)
                        a[c] += ((double)p2[c] - 2.0 * (double)p1[c] + (double)p0[c]) * m / (dt * dt);
                    ca++;
                }
            }
            if (cv) {
                double s = 1.0 / (cv * dt);
                ke_h += (v[0] * s) * (v[0] * s) + (v[2] * s) * (v[2] * s);
                ke_v += (v[1] * s) * (v[1] * s);
            }
            if (ca) ee += sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]) / ca;
        }
        feat[3 * j + 0] = ke_h / (double)(T - 1);
        feat[3 * j + 1] = ke_v / (double)(T - 1);
        feat[3 * j + 2] = ee / (double)(T - 1);
    }
    return MOMU_OK;
}

/* ------------------------------------------------------------------------------------------------------
 * Joint roles for the skeleton-dependent metrics. */

void momu_eval_joints_dwm(momu_eval_joints *r) {
    /* README skeleton.tsv: 0 head_L 1 head_R 2 spine 3 shoulder_L 4 elbow_L 6 wrist_L 7 hip_L 8 knee_L
     * 9 ankle_L 10 heel_L 11 toe_L, 12.. the right side in the same order. */
    *r = (momu_eval_joints){.head = {0, 1}, .root = 2,
                            .shoulder = {3, 12}, .elbow = {4, 13}, .wrist = {6, 15}, .hip = {7, 16},
                            .knee = {8, 17}, .ankle = {9, 18}, .heel = {10, 19}, .toe = {11, 20}};
}

/* Case-insensitive equality after dropping a "namespace:" prefix (mixamorig:LeftHand). */
static int name_is(const char *name, const char *want) {
    const char *c = strrchr(name, ':');
    if (c) name = c + 1;
    for (; *name && *want; name++, want++)
        if (tolower((unsigned char)*name) != tolower((unsigned char)*want)) return 0;
    return *name == 0 && *want == 0;
}

static int find_role(const char *const *names, size_t J, const char *const *aliases) {
    for (const char *const *a = aliases; *a; a++)
        for (size_t j = 0; j < J; j++)
            if (names[j] && name_is(names[j], *a)) return (int)j;
    return -1;
}

momu_status momu_eval_joints_from_names(const char *const *names, size_t J, momu_eval_joints *r, momu_err *e) {
    if (!names || !r || J == 0) return momu_fail(e, MOMU_ERR_ARG, "joint roles: no joint names");
    /* DwM names first (momu's own files), then common BVH (CMU/Mixamo/Blender) and SMPL spellings. */
    static const char *const HEAD_L[] = {"head_L", "head", "Head", "head_top", NULL};
    static const char *const HEAD_R[] = {"head_R", "head", "Head", "head_top", NULL};
    static const char *const ROOT[] = {"Hips", "pelvis", "root", "spine", NULL};
    static const char *const SH[2][6] = {{"shoulder_L", "LeftArm", "left_shoulder", "L_Shoulder", "lShldr", NULL},
                                         {"shoulder_R", "RightArm", "right_shoulder", "R_Shoulder", "rShldr", NULL}};
    static const char *const EL[2][6] = {{"elbow_L", "LeftForeArm", "left_elbow", "L_Elbow", "lForeArm", NULL},
                                         {"elbow_R", "RightForeArm", "right_elbow", "R_Elbow", "rForeArm", NULL}};
    static const char *const WR[2][6] = {{"wrist_L", "LeftHand", "left_wrist", "L_Wrist", "lHand", NULL},
                                         {"wrist_R", "RightHand", "right_wrist", "R_Wrist", "rHand", NULL}};
    static const char *const HP[2][6] = {{"hip_L", "LeftUpLeg", "left_hip", "L_Hip", "lThigh", NULL},
                                         {"hip_R", "RightUpLeg", "right_hip", "R_Hip", "rThigh", NULL}};
    static const char *const KN[2][6] = {{"knee_L", "LeftLeg", "left_knee", "L_Knee", "lShin", NULL},
                                         {"knee_R", "RightLeg", "right_knee", "R_Knee", "rShin", NULL}};
    static const char *const AN[2][6] = {{"ankle_L", "LeftFoot", "left_ankle", "L_Ankle", "lFoot", NULL},
                                         {"ankle_R", "RightFoot", "right_ankle", "R_Ankle", "rFoot", NULL}};
    static const char *const HE[2][4] = {{"heel_L", "left_heel", "LeftHeel", NULL},
                                         {"heel_R", "right_heel", "RightHeel", NULL}};
    static const char *const TO[2][7] = {
        {"toe_L", "LeftToeBase", "LeftToe", "left_foot", "L_Foot", "LeftToeBase_end", NULL},
        {"toe_R", "RightToeBase", "RightToe", "right_foot", "R_Foot", "RightToeBase_end", NULL}};
    r->head[0] = find_role(names, J, HEAD_L);
    r->head[1] = find_role(names, J, HEAD_R);
    r->root = find_role(names, J, ROOT);
    for (int s = 0; s < 2; s++) {
        r->shoulder[s] = find_role(names, J, SH[s]);
        r->elbow[s] = find_role(names, J, EL[s]);
        r->wrist[s] = find_role(names, J, WR[s]);
        r->hip[s] = find_role(names, J, HP[s]);
        r->knee[s] = find_role(names, J, KN[s]);
        r->ankle[s] = find_role(names, J, AN[s]);
        r->heel[s] = find_role(names, J, HE[s]);
        r->toe[s] = find_role(names, J, TO[s]);
    }
    const char *missing = NULL;
    if (r->head[0] < 0) missing = "head";
    for (int s = 0; s < 2 && !missing; s++) {
        if (r->shoulder[s] < 0) missing = s ? "shoulder_R" : "shoulder_L";
        else if (r->elbow[s] < 0) missing = s ? "elbow_R" : "elbow_L";
        else if (r->wrist[s] < 0) missing = s ? "wrist_R" : "wrist_L";
        else if (r->hip[s] < 0) missing = s ? "hip_R" : "hip_L";
        else if (r->knee[s] < 0) missing = s ? "knee_R" : "knee_L";
        else if (r->ankle[s] < 0) missing = s ? "ankle_R" : "ankle_L";
    }
    if (missing) return momu_fail(e, MOMU_ERR_ARG, "joint roles: no joint found for '%s'", missing);
    return MOMU_OK;
}

static momu_status check_roles(const momu_eval_joints *r, size_t J, momu_err *e) {
    const int *v = (const int *)r;
    size_t n = sizeof *r / sizeof(int);
    for (size_t i = 0; i < n; i++)
        if (v[i] >= (int)J) return momu_fail(e, MOMU_ERR_ARG, "joint roles: index %d >= %zu joints", v[i], J);
    if (r->head[0] < 0 || r->head[1] < 0) return momu_fail(e, MOMU_ERR_ARG, "joint roles: no head joint");
    for (int s = 0; s < 2; s++)
        if (r->shoulder[s] < 0 || r->elbow[s] < 0 || r->wrist[s] < 0 || r->hip[s] < 0 || r->knee[s] < 0 ||
            r->ankle[s] < 0)
            return momu_fail(e, MOMU_ERR_ARG, "joint roles: shoulders, elbows, wrists, hips, knees and ankles "
                                              "are required");
    return MOMU_OK;
}

/* ------------------------------------------------------------------------------------------------------
 * Geometric features. */

typedef struct { double x, y, z; } v3;
static v3 at(const float *pos, size_t J, size_t t, int j) {
    const float *p = P(pos, J, t, j);
    return (v3){p[0], p[1], p[2]};
}
static v3 sub(v3 a, v3 b) { return (v3){a.x - b.x, a.y - b.y, a.z - b.z}; }
static v3 mid(v3 a, v3 b) { return (v3){0.5 * (a.x + b.x), 0.5 * (a.y + b.y), 0.5 * (a.z + b.z)}; }
static v3 root_at(const float *pos, size_t J, size_t t, const momu_eval_joints *r) {
    return r->root >= 0 ? at(pos, J, t, r->root) : mid(at(pos, J, t, r->hip[0]), at(pos, J, t, r->hip[1]));
}
static double dot(v3 a, v3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static double len(v3 a) { return sqrt(dot(a, a)); }
static double hlen(v3 a) { return sqrt(a.x * a.x + a.z * a.z); }
static v3 hnorm(v3 a) { /* horizontal unit vector; zero if degenerate */
    double l = hlen(a);
    return l > 1e-9 ? (v3){a.x / l, 0, a.z / l} : (v3){0, 0, 0};
}
static double angle_deg(v3 a, v3 b) {
    double la = len(a), lb = len(b);
    if (la < 1e-9 || lb < 1e-9) return 180.0;
    double c = dot(a, b) / (la * lb);
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    return acos(c) * (180.0 / 3.14159265358979323846);
}

static const char *const GEO_NAMES[MOMU_GEO_FEATURES] = {
    "hand_above_head_L",  "hand_above_head_R",  "hand_above_shoulder_L", "hand_above_shoulder_R",
    "hand_in_front_L",    "hand_in_front_R",    "hand_behind_L",         "hand_behind_R",
    "hand_sideways_L",    "hand_sideways_R",    "elbow_bent_L",          "elbow_bent_R",
    "elbow_above_shoulder_L", "elbow_above_shoulder_R", "knee_bent_L",   "knee_bent_R",
    "foot_raised_L",      "foot_raised_R",      "foot_in_front_L",       "foot_in_front_R",
    "feet_apart",         "feet_crossed",       "hands_apart",           "hands_together",
    "hand_near_head_L",   "hand_near_head_R",   "torso_bent",            "torso_twisted",
    "crouched",           "root_moving_fast",   "hand_moving_fast_L",    "hand_moving_fast_R",
    "foot_moving_fast_L", "foot_moving_fast_R", "head_turned"};

const char *momu_geo_feature_name(size_t i) { return i < MOMU_GEO_FEATURES ? GEO_NAMES[i] : NULL; }

momu_status momu_geometric_features(const float *pos, size_t T, size_t J, double fps, const momu_eval_joints *r,
                                    double *feat, momu_err *e) {
    momu_status st = check_motion(pos, T, J, fps, 2, "geometric features", e);
    if (!st) st = check_roles(r, J, e);
    if (st) return st;
    /* Unit of length: the mean upper-arm length over the clip (Müller et al. 2005 "Efficient content-based
     * retrieval of motion capture data" use the humerus length as their relational-feature unit). */
    double hum = 0.0, hd = 0.0;
    for (size_t t = 0; t < T; t++)
        for (int s = 0; s < 2; s++) hum += len(sub(at(pos, J, t, r->shoulder[s]), at(pos, J, t, r->elbow[s])));
    hum /= 2.0 * (double)T;
    if (!(hum > 1e-3)) return momu_fail(e, MOMU_ERR_RANGE, "geometric features: degenerate skeleton "
                                                            "(upper arms of zero length)");
    /* Crouch reference: the clip's mean height of the head centre above the lower ankle. */
    for (size_t t = 0; t < T; t++) {
        v3 hc = mid(at(pos, J, t, r->head[0]), at(pos, J, t, r->head[1]));
        double low = fmin(at(pos, J, t, r->ankle[0]).y, at(pos, J, t, r->ankle[1]).y);
        hd += hc.y - low;
    }
    hd /= (double)T;
    memset(feat, 0, MOMU_GEO_FEATURES * sizeof *feat);
    for (size_t t = 0; t < T; t++) {
        /* speeds by a forward difference (backward at the last frame), cm/s */
        size_t t0 = t + 1 < T ? t : t - 1, t1 = t0 + 1;
        v3 head = mid(at(pos, J, t, r->head[0]), at(pos, J, t, r->head[1]));
        v3 sh[2], el[2], wr[2], hp[2], kn[2], an[2];
        double foot_low[2];
        for (int s = 0; s < 2; s++) {
            sh[s] = at(pos, J, t, r->shoulder[s]);
            el[s] = at(pos, J, t, r->elbow[s]);
            wr[s] = at(pos, J, t, r->wrist[s]);
            hp[s] = at(pos, J, t, r->hip[s]);
            kn[s] = at(pos, J, t, r->knee[s]);
            an[s] = at(pos, J, t, r->ankle[s]);
            foot_low[s] = an[s].y;
            if (r->heel[s] >= 0) foot_low[s] = fmin(foot_low[s], at(pos, J, t, r->heel[s]).y);
            if (r->toe[s] >= 0) foot_low[s] = fmin(foot_low[s], at(pos, J, t, r->toe[s]).y);
        }
        v3 neck = mid(sh[0], sh[1]);
        v3 root = root_at(pos, J, t, r);
        /* Body axes. Forward comes from the feet (heel→toe, else ankle→toe), which does not depend on the
         * handedness of the coordinates (DwM's are left-handed); lateral = shoulder line L→R. */
        v3 fw = {0, 0, 0};
        for (int s = 0; s < 2; s++) {
            int back = r->heel[s] >= 0 ? r->heel[s] : r->ankle[s];
            if (r->toe[s] >= 0) {
                v3 d = hnorm(sub(at(pos, J, t, r->toe[s]), at(pos, J, t, back)));
                fw = (v3){fw.x + d.x, 0, fw.z + d.z};
            }
        }
        fw = hnorm(fw);
        v3 lat = hnorm(sub(sh[1], sh[0]));
        /* a frame with no toe joints has no forward axis: front/behind features stay 0 */
        double *f = feat;
        for (int s = 0; s < 2; s++) {
            v3 wn = sub(wr[s], neck);
            double fwd = dot(wn, fw), side = fabs(dot(wn, lat));
            f[0 + s] += wr[s].y > head.y;                              /* hand above head */
            f[2 + s] += wr[s].y > sh[s].y;                             /* hand above shoulder */
            f[4 + s] += fwd > 0.5 * hum;                               /* hand in front of the torso */
            f[6 + s] += fwd < -0.2 * hum;                              /* hand behind the torso */
            f[8 + s] += side > 1.5 * hum;                              /* hand out sideways */
            f[10 + s] += angle_deg(sub(sh[s], el[s]), sub(wr[s], el[s])) < 110.0; /* elbow bent */
            f[12 + s] += el[s].y > sh[s].y;                            /* elbow above shoulder */
            f[14 + s] += angle_deg(sub(hp[s], kn[s]), sub(an[s], kn[s])) < 150.0; /* knee bent */
            f[16 + s] += foot_low[s] - foot_low[1 - s] > 0.15 * hum;   /* foot raised (vs the other foot) */
            f[18 + s] += dot(sub(an[s], an[1 - s]), fw) > 0.5 * hum;   /* foot ahead of the other */
            f[24 + s] += len(sub(wr[s], head)) < 1.0 * hum;            /* hand near the head */
            v3 dv = sub(sub(at(pos, J, t1, r->wrist[s]), at(pos, J, t0, r->wrist[s])),
                        sub(root_at(pos, J, t1, r), root_at(pos, J, t0, r)));
            f[30 + s] += len(dv) * fps > 4.0 * hum;                    /* hand fast relative to the root */
            v3 da = sub(at(pos, J, t1, r->ankle[s]), at(pos, J, t0, r->ankle[s]));
            f[32 + s] += len(da) * fps > 3.0 * hum;                    /* foot fast */
        }
        f[20] += hlen(sub(an[0], an[1])) > 2.0 * hum;                  /* feet apart */
        f[21] += dot(sub(an[0], an[1]), lat) > 0.0;                    /* left ankle right of the right one */
        double hands = len(sub(wr[0], wr[1]));
        f[22] += hands > 3.0 * hum;                                    /* arms spread */
        f[23] += hands < 0.7 * hum;                                    /* hands together */
        f[26] += angle_deg(sub(neck, root), (v3){0, 1, 0}) > 25.0;     /* torso bent */
        v3 hip_line = hnorm(sub(hp[1], hp[0]));
        f[27] += angle_deg(lat, hip_line) > 25.0;                      /* shoulders twisted against hips */
        f[28] += head.y - fmin(an[0].y, an[1].y) < 0.8 * hd;           /* body lowered */
        v3 rv = sub(root_at(pos, J, t1, r), root_at(pos, J, t0, r));
        f[29] += hlen(rv) * fps > 3.0 * hum;                           /* travelling fast */
        if (r->head[0] != r->head[1]) {
            v3 hl = hnorm(sub(at(pos, J, t, r->head[1]), at(pos, J, t, r->head[0])));
            f[34] += angle_deg(hl, lat) > 30.0;                        /* head turned against the shoulders */
        }
    }
    for (size_t i = 0; i < MOMU_GEO_FEATURES; i++) feat[i] /= (double)T;
    return MOMU_OK;
}

/* ------------------------------------------------------------------------------------------------------
 * Foot skating. */

void momu_foot_skate_opts_default(momu_foot_skate_opts *o) {
    o->height_cm = 3.0;
    o->vspeed_cm_s = 15.0;
    o->floor_window_s = 1.0;
    o->rest_percentile = 0.05;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

momu_status momu_foot_skate(const float *pos, size_t T, size_t J, double fps, const int *foot, size_t n_foot,
                            const momu_foot_skate_opts *opts, momu_foot_skate_result *out, momu_err *e) {
    momu_status st = check_motion(pos, T, J, fps, 3, "foot skating", e);
    if (st) return st;
    if (!out || !foot || n_foot == 0 || n_foot > J) return momu_fail(e, MOMU_ERR_ARG, "foot skating: no foot joints");
    for (size_t k = 0; k < n_foot; k++)
        if (foot[k] < 0 || (size_t)foot[k] >= J)
            return momu_fail(e, MOMU_ERR_ARG, "foot skating: foot joint %d outside 0..%zu", foot[k], J - 1);
    momu_foot_skate_opts o;
    momu_foot_skate_opts_default(&o);
    if (opts) o = *opts;
    if (!(o.height_cm > 0) || !(o.vspeed_cm_s > 0) || !(o.floor_window_s >= 0) || !(o.rest_percentile >= 0) ||
        !(o.rest_percentile <= 1))
        return momu_fail(e, MOMU_ERR_ARG, "foot skating: bad thresholds");
    memset(out, 0, sizeof *out);
    double *low = momu_malloc_array(T, sizeof *low, e), *floor_y = momu_malloc_array(T, sizeof *floor_y, e),
           *rel = momu_malloc_array(T, sizeof *rel, e), *srt = momu_malloc_array(T, sizeof *srt, e);
    if (!low || !floor_y || !rel || !srt) {
        free(low); free(floor_y); free(rel); free(srt);
        return momu_fail(e, MOMU_ERR_OOM, "foot skating: out of memory");
    }
    /* Floor: running minimum, over ±floor_window_s, of the lowest foot point. DwM's root height drifts by
     * up to 50 cm over a clip (dataset README), so no fixed floor height is assumed. O(T·W) is fine for
     * W = 2·fps + 1 frames. */
    for (size_t t = 0; t < T; t++) {
        double m = INFINITY;
        for (size_t k = 0; k < n_foot; k++) m = fmin(m, P(pos, J, t, foot[k])[1]);
        low[t] = m;
    }
    size_t hw = (size_t)(o.floor_window_s * fps + 0.5);
    for (size_t t = 0; t < T; t++) {
        size_t a = t > hw ? t - hw : 0, b = t + hw < T ? t + hw : T - 1;
        double m = INFINITY;
        for (size_t u = a; u <= b; u++) m = fmin(m, low[u]);
        floor_y[t] = m;
    }
    double sum = 0.0;
    size_t n_contact = 0, n_total = 0;
    for (size_t k = 0; k < n_foot; k++) {
        int j = foot[k];
        /* Each point's resting height above the floor (an ankle rests ~8 cm up, a toe ~0): a low percentile
         * of its height over the clip. Contact = within height_cm of that rest height. */
        for (size_t t = 0; t < T; t++) rel[t] = P(pos, J, t, j)[1] - floor_y[t];
        memcpy(srt, rel, T * sizeof *srt);
        qsort(srt, T, sizeof *srt, cmp_d);
        double rest = srt[(size_t)(o.rest_percentile * (double)(T - 1) + 0.5)];
        for (size_t t = 1; t + 1 < T; t++) {
            /* central differences, cm/s */
            const float *pa = P(pos, J, t - 1, j), *pb = P(pos, J, t + 1, j);
            double vx = (pb[0] - pa[0]) * fps / 2.0, vy = (pb[1] - pa[1]) * fps / 2.0,
                   vz = (pb[2] - pa[2]) * fps / 2.0;
            n_total++;
            if (rel[t] - rest < o.height_cm && fabs(vy) < o.vspeed_cm_s) {
                sum += sqrt(vx * vx + vz * vz);
                n_contact++;
            }
        }
    }
    free(low); free(floor_y); free(rel); free(srt);
    out->n_contact = n_contact;
    out->n_total = n_total;
    out->contact_fraction = n_total ? (double)n_contact / (double)n_total : 0.0;
    out->skate_cm_s = n_contact ? sum / (double)n_contact : 0.0;
    return MOMU_OK;
}
