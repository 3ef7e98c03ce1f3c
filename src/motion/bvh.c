/* momu motion — BVH (Biovision Hierarchy) reader with forward kinematics, and writer (positions -> local
 * rotations).
 *
 * Semantics used here (they match Blender's importer, io_anim_bvh/import_bvh.py):
 *   - A joint's rotation channels, in the order listed in CHANNELS, compose as intrinsic rotations
 *     L = R_ch1 · R_ch2 · R_ch3 (column vectors, angles in degrees); e.g. "Zrotation Xrotation Yrotation"
 *     gives L = R_z(a) R_x(b) R_y(c). The world rotation is G_j = G_parent · L_j.
 *   - The local translation is the joint's OFFSET; a position channel (X/Y/Zposition) *replaces* the
 *     corresponding OFFSET component (Blender: anim location minus rest head). momu writes the root
 *     with OFFSET 0 0 0, where "replace" and the other common reading ("add") agree.
 *   - World position P_j = P_parent + G_parent · t_j. An End Site is a point P_parent + G_parent · OFFSET
 *     and becomes a joint named "<parent>_end".
 *
 * Writer: the motion must have a tree. For the DwM skeleton the tree gains two virtual joints, documented
 * in include/momu/motion.h: neck = midpoint(shoulder_L, shoulder_R) and head = midpoint(head_L, head_R);
 * hand_dir_R / hand_dir_L hang from whichever of forearm/wrist they keep the steadiest distance to
 * (14 and 6 on the data as shipped; 15 and 5 on its left/right mirror).
 * The rest pose (the OFFSETs) is a T-pose, y up, facing +z, built from the median bone lengths of the clip;
 * the left side of the body lies on the side the data puts it (DwM data is left-handed: the "_L" points
 * end up at -x), so that every fitted rotation is proper. At a joint with several children the rest
 * configuration of the children is the generalised-Procrustes mean of their directions over the clip,
 * turned to best fit the T-pose directions. Each frame is solved from the root down, using the *written*
 * (forward-kinematics) parent positions so that bone-length changes of real data do not accumulate:
 *   one child: the minimal swing turning the parent-rotated rest direction onto the target direction;
 *   several children: the rotation best aligning rest to target directions (Horn 1987 quaternion method,
 *   the least-squares optimum, as Kabsch/SVD), with a tiny pull (1e-7) toward the parent's rotation that
 *   only decides the twist when the children are collinear.
 * Leaves are written as JOINTs with zero rotation plus an End Site (so that every point is a bone head in
 * Blender), except a leaf named "*_end" that is its parent's only child, which is written as an End Site.
 * Rotation channels are written as Zrotation Xrotation Yrotation, unwrapped to stay within 180 degrees of
 * the previous frame. With constant bone lengths, FK of the written file reproduces the input.
 * Stretch mode (momu_bvh_save(..., stretch = 1)): every JOINT also carries Xposition Yposition Zposition
 * holding its per-frame local translation G_parent^T (P_j - P_parent), so FK reproduces varying bone
 * lengths exactly; the rotations are the same fit. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/motion.h"
#include "motion_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define BVH_MAX_BYTES ((size_t)1 << 30)
#define BVH_MAX_FRAMES ((size_t)100000000)

/* ---- small rotation algebra (double, row-major, column vectors) --------------------------------- */

static void m3_mul(double *c, const double *a, const double *b) {
    double t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(c, t, sizeof t);
}
static void m3_mul_tn(double *c, const double *a, const double *b) { /* c = a^T b */
    double t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i * 3 + j] = a[i] * b[j] + a[3 + i] * b[3 + j] + a[6 + i] * b[6 + j];
    memcpy(c, t, sizeof t);
}
static void m3_vec(double *y, const double *r, const double *x) {
    double t[3];
    for (int i = 0; i < 3; i++) t[i] = r[i * 3] * x[0] + r[i * 3 + 1] * x[1] + r[i * 3 + 2] * x[2];
    memcpy(y, t, sizeof t);
}
static void m3_eye(double *r) {
    memset(r, 0, 9 * sizeof *r);
    r[0] = r[4] = r[8] = 1.0;
}
static double v3_norm(const double *v) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

static void m3_rot_axis(double *r, int axis, double rad) {
    double c = cos(rad), s = sin(rad);
    m3_eye(r);
    int i = (axis + 1) % 3, j = (axis + 2) % 3; /* right-handed: rotates e_i toward e_j */
    r[i * 3 + i] = c;
    r[i * 3 + j] = -s;
    r[j * 3 + i] = s;
    r[j * 3 + j] = c;
}

/* Rodrigues: rotation about unit axis u by angle a. */
static void m3_axis_angle(double *r, const double *u, double a) {
    double c = cos(a), s = sin(a), C = 1 - c;
    double x = u[0], y = u[1], z = u[2];
    r[0] = c + x * x * C;     r[1] = x * y * C - z * s; r[2] = x * z * C + y * s;
    r[3] = y * x * C + z * s; r[4] = c + y * y * C;     r[5] = y * z * C - x * s;
    r[6] = z * x * C - y * s; r[7] = z * y * C + x * s; r[8] = c + z * z * C;
}

/* The minimal rotation taking unit a onto unit b. */
static void m3_swing(double *r, const double *a, const double *b) {
    double ax[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    double s = v3_norm(ax), c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    if (s < 1e-12) {
        if (c > 0) { m3_eye(r); return; }
        /* opposite: half turn about any axis perpendicular to a */
        double p[3] = {0, 0, 0};
        int k = fabs(a[0]) < 0.6 ? 0 : fabs(a[1]) < 0.6 ? 1 : 2;
        p[k] = 1;
        double d = p[0] * a[0] + p[1] * a[1] + p[2] * a[2];
        for (int i = 0; i < 3; i++) p[i] -= d * a[i];
        double n = v3_norm(p);
        for (int i = 0; i < 3; i++) p[i] /= n;
        m3_axis_angle(r, p, M_PI);
        return;
    }
    for (int i = 0; i < 3; i++) ax[i] /= s;
    m3_axis_angle(r, ax, atan2(s, c));
}

/* Horn (1987): the rotation R maximising sum_k a_k·(R^T b_k)... i.e. R a_k ≈ b_k, given
 * S = sum_k a_k b_k^T (S[x][y] = sum a_x b_y); the unit quaternion is the top eigenvector of N(S).
 * 4x4 cyclic Jacobi with a fixed sweep order keeps it deterministic. */
static void m3_horn(double *r, const double *S) {
    double Sxx = S[0], Sxy = S[1], Sxz = S[2], Syx = S[3], Syy = S[4], Syz = S[5], Szx = S[6], Szy = S[7], Szz = S[8];
    double N[4][4] = {{Sxx + Syy + Szz, Syz - Szy, Szx - Sxz, Sxy - Syx},
                      {Syz - Szy, Sxx - Syy - Szz, Sxy + Syx, Szx + Sxz},
                      {Szx - Sxz, Sxy + Syx, -Sxx + Syy - Szz, Syz + Szy},
                      {Sxy - Syx, Szx + Sxz, Syz + Szy, -Sxx - Syy + Szz}};
    double V[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    for (int sweep = 0; sweep < 50; sweep++) {
        double off = 0;
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++) off += N[p][q] * N[p][q];
        if (off < 1e-30) break;
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++) {
                if (fabs(N[p][q]) < 1e-300) continue;
                double theta = (N[q][q] - N[p][p]) / (2 * N[p][q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 4; k++) { /* N = J^T N J */
                    double nkp = N[k][p], nkq = N[k][q];
                    N[k][p] = c * nkp - s * nkq;
                    N[k][q] = s * nkp + c * nkq;
                }
                for (int k = 0; k < 4; k++) {
                    double npk = N[p][k], nqk = N[q][k];
                    N[p][k] = c * npk - s * nqk;
                    N[q][k] = s * npk + c * nqk;
                }
                for (int k = 0; k < 4; k++) {
                    double vkp = V[k][p], vkq = V[k][q];
                    V[k][p] = c * vkp - s * vkq;
                    V[k][q] = s * vkp + c * vkq;
                }
            }
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (N[k][k] > N[best][best]) best = k;
    double w = V[0][best], x = V[1][best], y = V[2][best], z = V[3][best];
    double n = sqrt(w * w + x * x + y * y + z * z);
    w /= n; x /= n; y /= n; z /= n;
    r[0] = 1 - 2 * (y * y + z * z); r[1] = 2 * (x * y - w * z);     r[2] = 2 * (x * z + w * y);
    r[3] = 2 * (x * y + w * z);     r[4] = 1 - 2 * (x * x + z * z); r[5] = 2 * (y * z - w * x);
    r[6] = 2 * (x * z - w * y);     r[7] = 2 * (y * z + w * x);     r[8] = 1 - 2 * (x * x + y * y);
}

void momu_euler_to_matrix(const int order[3], const double deg[3], double r[9]) {
    double a[9];
    m3_eye(r);
    for (int k = 0; k < 3; k++) {
        m3_rot_axis(a, order[k], deg[k] * (M_PI / 180.0));
        m3_mul(r, r, a);
    }
}

/* R = R_i(a) R_j(b) R_k(c); s = +1 for cyclic (XYZ, YZX, ZXY), -1 otherwise. Then R[i][k] = s sin b,
 * a = atan2(-s R[j][k], R[k][k]), c = atan2(-s R[i][j], R[i][i]); at cos b = 0, c = 0 and
 * a = atan2(s R[k][j], R[j][j]) (R e_j = R_i(a) e_j). Checked against momu_euler_to_matrix in the tests. */
void momu_euler_from_matrix(const int order[3], const double r[9], double deg[3]) {
    int i = order[0], j = order[1], k = order[2];
    double s = ((j - i + 3) % 3 == 1) ? 1.0 : -1.0;
    double sb = s * r[i * 3 + k];
    if (sb > 1) sb = 1;
    if (sb < -1) sb = -1;
    double a, b = asin(sb), c;
    if (fabs(sb) < 1 - 1e-12) {
        a = atan2(-s * r[j * 3 + k], r[k * 3 + k]);
        c = atan2(-s * r[i * 3 + j], r[i * 3 + i]);
    } else {
        c = 0;
        a = atan2(s * r[k * 3 + j], r[j * 3 + j]);
    }
    deg[0] = a * (180.0 / M_PI);
    deg[1] = b * (180.0 / M_PI);
    deg[2] = c * (180.0 / M_PI);
}

/* ---- reader ------------------------------------------------------------------------------------- */

typedef struct {
    char   name[MOMU_JOINT_NAME_MAX];
    int    parent;
    double offset[3];
    int    n_ch;
    int    ch[6];     /* 0..2 X/Y/Zposition, 3..5 X/Y/Zrotation */
    size_t ch_first;  /* index of the first channel within a frame line */
} bvh_joint;

typedef struct {
    const char *path;
    const char *s, *end;
    size_t line;
    char tok[256];
} bvh_lexer;

/* Next whitespace-separated token; braces are tokens of their own. Returns 0 at end of input. */
static int lex_next(bvh_lexer *L) {
    while (L->s < L->end && isspace((unsigned char)*L->s)) {
        if (*L->s == '\n') L->line++;
        L->s++;
    }
    if (L->s >= L->end) { L->tok[0] = 0; return 0; }
    size_t n = 0;
    if (*L->s == '{' || *L->s == '}') {
        L->tok[n++] = *L->s++;
    } else {
        while (L->s < L->end && !isspace((unsigned char)*L->s) && *L->s != '{' && *L->s != '}') {
            if (n + 1 < sizeof L->tok) L->tok[n++] = *L->s;
            else { L->s++; n = sizeof L->tok - 1; continue; }
            L->s++;
        }
    }
    L->tok[n] = 0;
    return 1;
}

static int tok_is(const bvh_lexer *L, const char *w) { return !strcmp(L->tok, w); }

static int eq_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int parse_double(const char *t, double *x) {
    if (!*t) return 0;
    char *endp;
    *x = strtod(t, &endp);
    return *endp == 0 && isfinite(*x);
}

typedef struct {
    bvh_joint *j;
    size_t n, cap, n_channels;
} bvh_skel;

static momu_status skel_push(bvh_skel *sk, const char *name, int parent, const bvh_lexer *L, momu_err *e) {
    if (sk->n >= MOMU_MOTION_MAX_JOINTS)
        return momu_fail(e, MOMU_ERR_RANGE, "%s: line %zu: more than %d joints", L->path, L->line, MOMU_MOTION_MAX_JOINTS);
    if (sk->n == sk->cap) {
        size_t nc = sk->cap ? sk->cap * 2 : 32;
        bvh_joint *p = momu_realloc_array(sk->j, nc, sizeof *p, e);
        if (!p) return MOMU_ERR_OOM;
        sk->j = p;
        sk->cap = nc;
    }
    bvh_joint *b = &sk->j[sk->n++];
    memset(b, 0, sizeof *b);
    if (strlen(name) >= MOMU_JOINT_NAME_MAX)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: joint name '%.40s...' longer than %d bytes", L->path,
                         L->line, name, MOMU_JOINT_NAME_MAX - 1);
    strcpy(b->name, name);
    b->parent = parent;
    return MOMU_OK;
}

static momu_status parse_offset(bvh_lexer *L, double *off, momu_err *e) {
    if (!lex_next(L) || !tok_is(L, "OFFSET"))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected OFFSET, got '%s'", L->path, L->line, L->tok);
    for (int c = 0; c < 3; c++)
        if (!lex_next(L) || !parse_double(L->tok, &off[c]) || fabs(off[c]) > 1e9)
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: OFFSET needs 3 finite numbers, got '%s'", L->path,
                             L->line, L->tok);
    return MOMU_OK;
}

/* Parses "NAME { OFFSET ... CHANNELS ... children }" after ROOT/JOINT; depth-first order. */
static momu_status parse_joint(bvh_lexer *L, bvh_skel *sk, int parent, int depth, momu_err *e) {
    if (depth > 256) return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: hierarchy nested too deep", L->path, L->line);
    if (!lex_next(L) || tok_is(L, "{"))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: joint without a name", L->path, L->line);
    char name[256];
    strcpy(name, L->tok);
    /* names with spaces: join tokens until "{" */
    while (lex_next(L) && !tok_is(L, "{")) {
        if (strlen(name) + strlen(L->tok) + 2 < sizeof name) { strcat(name, " "); strcat(name, L->tok); }
    }
    if (!tok_is(L, "{")) return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected '{' after joint %s", L->path, L->line, name);
    momu_status st = skel_push(sk, name, parent, L, e);
    if (st) return st;
    int me = (int)sk->n - 1;
    st = parse_offset(L, sk->j[me].offset, e);
    if (st) return st;
    if (!lex_next(L) || !tok_is(L, "CHANNELS"))
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected CHANNELS in joint %s, got '%s'", L->path, L->line, name, L->tok);
    double nch;
    if (!lex_next(L) || !parse_double(L->tok, &nch) || nch != floor(nch) || nch < 0 || nch > 6)
        return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: CHANNELS count must be 0..6, got '%s'", L->path, L->line, L->tok);
    bvh_joint *b = &sk->j[me];
    b->n_ch = (int)nch;
    b->ch_first = sk->n_channels;
    sk->n_channels += (size_t)b->n_ch;
    int seen = 0;
    for (int c = 0; c < b->n_ch; c++) {
        static const char *const CH[6] = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"};
        int k = -1;
        lex_next(L);
        for (int q = 0; q < 6; q++)
            if (eq_nocase(L->tok, CH[q])) k = q;
        if (k < 0) return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: unknown channel '%s' in joint %s", L->path, L->line, L->tok, name);
        if (seen & (1 << k)) return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: channel %s repeated in joint %s", L->path, L->line, L->tok, name);
        seen |= 1 << k;
        b->ch[c] = k;
    }
    for (;;) {
        if (!lex_next(L)) return momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated hierarchy inside joint %s", L->path, name);
        if (tok_is(L, "}")) return MOMU_OK;
        if (tok_is(L, "JOINT")) {
            st = parse_joint(L, sk, me, depth + 1, e);
            if (st) return st;
        } else if (tok_is(L, "End")) {
            if (!lex_next(L) || !tok_is(L, "Site") || !lex_next(L) || !tok_is(L, "{"))
                return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected 'End Site {'", L->path, L->line);
            char en[MOMU_JOINT_NAME_MAX + 8];
            snprintf(en, sizeof en, "%.*s_end", MOMU_JOINT_NAME_MAX - 5, sk->j[me].name);
            st = skel_push(sk, en, me, L, e);
            if (st) return st;
            st = parse_offset(L, sk->j[sk->n - 1].offset, e);
            if (st) return st;
            if (!lex_next(L) || !tok_is(L, "}"))
                return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected '}' closing End Site", L->path, L->line);
        } else {
            return momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: unexpected '%s' in joint %s", L->path, L->line, L->tok, name);
        }
    }
}

/* Parses the whole file: hierarchy, then T frames of n_channels values. */
static momu_status bvh_parse(const char *path, bvh_skel *sk, double **vals, size_t *n_frames, double *frame_time,
                             momu_err *e) {
    unsigned char *text;
    size_t len;
    *vals = NULL;
    momu_status st = momu_read_file(path, BVH_MAX_BYTES, &text, &len, e);
    if (st) return st;
    bvh_lexer L = {path, (const char *)text, (const char *)text + len, 1, {0}};
    if (!lex_next(&L) || !tok_is(&L, "HIERARCHY")) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: not a BVH file (no HIERARCHY at the start)", path);
        goto done;
    }
    lex_next(&L);
    if (!tok_is(&L, "ROOT")) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected ROOT", path, L.line); goto done; }
    while (tok_is(&L, "ROOT")) {
        st = parse_joint(&L, sk, -1, 0, e);
        if (st) goto done;
        lex_next(&L);
    }
    if (!tok_is(&L, "MOTION")) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected MOTION after the hierarchy, got '%s'", path, L.line, L.tok);
        goto done;
    }
    double nf, ft;
    if (!lex_next(&L) || !tok_is(&L, "Frames:") || !lex_next(&L) || !parse_double(L.tok, &nf) || nf != floor(nf) || nf < 1) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected 'Frames: N' with N >= 1", path, L.line);
        goto done;
    }
    if (!lex_next(&L) || !tok_is(&L, "Frame") || !lex_next(&L) || !tok_is(&L, "Time:") || !lex_next(&L) ||
        !parse_double(L.tok, &ft) || !(ft > 1e-5) || ft > 1000) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: expected 'Frame Time: DT' with DT in (1e-5, 1000] s", path, L.line);
        goto done;
    }
    if (nf > (double)BVH_MAX_FRAMES) {
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: %.0f frames is absurd (at most %zu)", path, nf, BVH_MAX_FRAMES);
        goto done;
    }
    size_t T = (size_t)nf, C = sk->n_channels, total;
    size_t remaining = (size_t)(L.end - L.s);
    if (!momu_mul_ok(T, C, &total) || total > remaining / 2 + 1) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated: %zu frames x %zu channels need more values than the %zu bytes left",
                       path, T, C, remaining);
        goto done;
    }
    *vals = momu_malloc_array(total ? total : 1, sizeof(double), e);
    if (!*vals) { st = MOMU_ERR_OOM; goto done; }
    for (size_t i = 0; i < total; i++) {
        if (!lex_next(&L)) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated: frame %zu of %zu ends after %zu of %zu values", path,
                           i / (C ? C : 1), T, i % (C ? C : 1), C);
            goto done;
        }
        if (!parse_double(L.tok, &(*vals)[i]) || fabs((*vals)[i]) > 1e12) {
            st = momu_fail(e, MOMU_ERR_RANGE, "%s: line %zu: frame %zu channel %zu: '%s' is not a finite number", path,
                           L.line, i / C, i % C, L.tok);
            goto done;
        }
    }
    if (lex_next(&L)) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: line %zu: more values than %zu frames x %zu channels ('%s')", path,
                       L.line, T, C, L.tok);
        goto done;
    }
    *n_frames = T;
    *frame_time = ft;
done:
    free(text);
    if (st) { free(*vals); *vals = NULL; }
    return st;
}

/* Forward kinematics of every joint (BVH order, parents first) into m (T, J, 3). */
/* G: (J,9) and P: (J,3) scratch. */
static void bvh_fk(const bvh_skel *sk, const double *vals, size_t T, float *pos, double *G, double *P) {
    size_t J = sk->n, C = sk->n_channels;
    for (size_t t = 0; t < T; t++) {
        const double *v = vals + t * C;
        for (size_t j = 0; j < J; j++) {
            const bvh_joint *b = &sk->j[j];
            double tr[3] = {b->offset[0], b->offset[1], b->offset[2]}, L[9], a[9];
            m3_eye(L);
            for (int c = 0; c < b->n_ch; c++) {
                double x = v[b->ch_first + (size_t)c];
                if (b->ch[c] < 3) tr[b->ch[c]] = x;
                else {
                    m3_rot_axis(a, b->ch[c] - 3, x * (M_PI / 180.0));
                    m3_mul(L, L, a);
                }
            }
            double *g = G + j * 9, *p = P + j * 3;
            if (b->parent < 0) {
                memcpy(g, L, sizeof L);
                memcpy(p, tr, sizeof tr);
            } else {
                const double *gp = G + (size_t)b->parent * 9, *pp = P + (size_t)b->parent * 3;
                double w[3];
                m3_vec(w, gp, tr);
                for (int c = 0; c < 3; c++) p[c] = pp[c] + w[c];
                m3_mul(g, gp, L);
            }
            for (int c = 0; c < 3; c++) pos[(t * J + j) * 3 + c] = (float)p[c];
        }
    }
}

momu_status motion_bvh_read(const char *path, int raw, momu_motion *m, momu_err *e) {
    memset(m, 0, sizeof *m);
    bvh_skel sk = {0};
    double *vals = NULL, ft = 0;
    size_t T = 0;
    momu_status st = bvh_parse(path, &sk, &vals, &T, &ft, e);
    if (st) goto done;
    size_t J = sk.n;
    double *scratch = momu_malloc_array(J * 12, sizeof(double), e);
    if (!scratch) { st = MOMU_ERR_OOM; goto done; }
    momu_motion full;
    momu_err ea = {0};
    st = momu_motion_alloc(&full, T, J, (float)(1.0 / ft), &ea);
    if (st) { free(scratch); momu_fail(e, st, "%s: %s", path, ea.msg); goto done; }
    bvh_fk(&sk, vals, T, full.pos, scratch, scratch + J * 9);
    free(scratch);
    full.skel.names = momu_calloc_array(J, MOMU_JOINT_NAME_MAX, e);
    full.skel.parent = momu_malloc_array(J, sizeof(int), e);
    full.skel.offset = momu_malloc_array(J * 3, sizeof(float), e);
    if (!full.skel.names || !full.skel.parent || !full.skel.offset) { momu_motion_free(&full); st = MOMU_ERR_OOM; goto done; }
    for (size_t j = 0; j < J; j++) {
        strcpy(full.skel.names[j], sk.j[j].name);
        full.skel.parent[j] = sk.j[j].parent;
        for (int c = 0; c < 3; c++) full.skel.offset[j * 3 + c] = (float)sk.j[j].offset[c];
    }
    /* A BVH holding the 23 DwM names (momu's DwM export) maps back to the 23 DwM points. */
    momu_skeleton dwm;
    int idx[MOMU_DWM_JOINTS], all = 0;
    if (!raw && momu_skeleton_dwm(&dwm, NULL) == MOMU_OK) {
        all = 1;
        for (size_t j = 0; j < MOMU_DWM_JOINTS && all; j++) {
            idx[j] = momu_skeleton_find(&full.skel, dwm.names[j]);
            if (idx[j] < 0) all = 0;
        }
        if (all) {
            st = momu_motion_alloc(m, T, MOMU_DWM_JOINTS, full.fps, e);
            if (st) { momu_skeleton_free(&dwm); momu_motion_free(&full); goto done; }
            for (size_t t = 0; t < T; t++)
                for (size_t j = 0; j < MOMU_DWM_JOINTS; j++)
                    memcpy(m->pos + (t * MOMU_DWM_JOINTS + j) * 3, full.pos + (t * J + (size_t)idx[j]) * 3, 3 * sizeof(float));
            m->skel = dwm;
            momu_motion_free(&full);
        } else {
            momu_skeleton_free(&dwm);
        }
    }
    if (!all) *m = full;
done:
    free(sk.j);
    free(vals);
    if (st) momu_motion_free(m);
    return st;
}

momu_status momu_bvh_save(const char *path, const momu_motion *m, int stretch, momu_err *e) {
    momu_status st = momu_motion_check(m, path, e);
    if (st) return st;
    return motion_bvh_write(path, m, stretch, e);
}

momu_status momu_bvh_load_raw(const char *path, momu_motion *m, momu_err *e) {
    momu_status st = motion_bvh_read(path, 1, m, e);
    if (st) return st;
    st = momu_motion_check(m, path, e);
    if (st) momu_motion_free(m);
    return st;
}

/* ---- writer ------------------------------------------------------------------------------------- */

typedef struct {
    size_t n, root;
    int   *src0, *src1, *parent, *end_site, *n_child, *first_child, *next_sib;
    char (*names)[MOMU_JOINT_NAME_MAX];
    double *canon;  /* (n,3) T-pose direction of the bone parent -> joint, unit, or 0 */
    double *dir;    /* (n,3) rest direction actually used */
    double *len;    /* (n) median bone length */
    size_t *order;  /* depth-first order, parents first */
} bvh_plan;

static void plan_free(bvh_plan *p) {
    free(p->src0); free(p->src1); free(p->parent); free(p->end_site); free(p->n_child); free(p->first_child);
    free(p->next_sib); free(p->names); free(p->canon); free(p->dir); free(p->len); free(p->order);
    memset(p, 0, sizeof *p);
}

static momu_status plan_alloc(bvh_plan *p, size_t n, momu_err *e) {
    memset(p, 0, sizeof *p);
    p->n = n;
    p->src0 = momu_malloc_array(n, sizeof(int), e);
    p->src1 = momu_malloc_array(n, sizeof(int), e);
    p->parent = momu_malloc_array(n, sizeof(int), e);
    p->end_site = momu_calloc_array(n, sizeof(int), e);
    p->n_child = momu_calloc_array(n, sizeof(int), e);
    p->first_child = momu_malloc_array(n, sizeof(int), e);
    p->next_sib = momu_malloc_array(n, sizeof(int), e);
    p->names = momu_calloc_array(n, MOMU_JOINT_NAME_MAX, e);
    p->canon = momu_calloc_array(n * 3, sizeof(double), e);
    p->dir = momu_calloc_array(n * 3, sizeof(double), e);
    p->len = momu_calloc_array(n, sizeof(double), e);
    p->order = momu_malloc_array(n, sizeof(size_t), e);
    if (!p->src0 || !p->src1 || !p->parent || !p->end_site || !p->n_child || !p->first_child || !p->next_sib ||
        !p->names || !p->canon || !p->dir || !p->len || !p->order) {
        plan_free(p);
        return MOMU_ERR_OOM;
    }
    return MOMU_OK;
}

/* Children lists and depth-first order; fails on several roots or a cycle. */
static momu_status plan_finish(bvh_plan *p, const char *path, momu_err *e) {
    size_t n_root = 0;
    for (size_t j = 0; j < p->n; j++) { p->first_child[j] = -1; p->next_sib[j] = -1; p->n_child[j] = 0; }
    for (size_t j = p->n; j-- > 0;) { /* reverse, so siblings keep index order */
        int q = p->parent[j];
        if (q < 0) { n_root++; p->root = j; continue; }
        p->next_sib[j] = p->first_child[q];
        p->first_child[q] = (int)j;
        p->n_child[q]++;
    }
    if (n_root != 1) return momu_fail(e, MOMU_ERR_ARG, "%s: BVH needs a skeleton tree with one root, this one has %zu roots", path, n_root);
    size_t k = 0, head = 0;
    /* iterative DFS with an explicit stack held in `order` itself: pre-order via a small stack array */
    size_t *stack = malloc(p->n * sizeof *stack);
    if (!stack) return momu_fail(e, MOMU_ERR_OOM, "%s: out of memory", path);
    stack[head++] = p->root;
    while (head) {
        size_t j = stack[--head];
        if (k >= p->n) break;
        p->order[k++] = j;
        /* push children in reverse so the first child is visited first */
        int kids[MOMU_MOTION_MAX_JOINTS + 2], nk = 0;
        for (int c = p->first_child[j]; c >= 0; c = p->next_sib[c]) kids[nk++] = c;
        while (nk) stack[head++] = (size_t)kids[--nk];
    }
    free(stack);
    if (k != p->n) return momu_fail(e, MOMU_ERR_ARG, "%s: skeleton parents do not form a tree", path);
    for (size_t j = 0; j < p->n; j++) {
        size_t L = strlen(p->names[j]);
        if (j != p->root && p->n_child[j] == 0 && L > 4 && !strcmp(p->names[j] + L - 4, "_end") &&
            p->n_child[p->parent[j]] == 1)
            p->end_site[j] = 1;
        for (char *c = p->names[j]; *c; c++)
            if (isspace((unsigned char)*c) || *c == '{' || *c == '}') *c = '_';
        if (!p->names[j][0]) snprintf(p->names[j], MOMU_JOINT_NAME_MAX, "joint%zu", j);
    }
    return MOMU_OK;
}

static void plan_pos(const bvh_plan *p, const momu_motion *m, size_t t, size_t j, double *x) {
    const float *a = m->pos + (t * m->n_joints + (size_t)p->src0[j]) * 3;
    const float *b = m->pos + (t * m->n_joints + (size_t)p->src1[j]) * 3;
    for (int c = 0; c < 3; c++) x[c] = 0.5 * ((double)a[c] + (double)b[c]);
}

static void v3_unit(double *v) {
    double n = v3_norm(v);
    if (n > 1e-12) for (int c = 0; c < 3; c++) v[c] /= n;
    else v[0] = v[1] = v[2] = 0;
}

/* DwM: the 23 points plus neck (23) = mid(3,12) and head (24) = mid(0,1); T-pose directions with the
 * "_L" side at s*x (s = -1 for the left-handed DwM data). */
static momu_status plan_dwm(bvh_plan *p, const momu_motion *m, momu_err *e) {
    momu_status st = plan_alloc(p, MOMU_DWM_JOINTS + 2, e);
    if (st) return st;
    static const int PAR[MOMU_DWM_JOINTS + 2] = {24, 24, -1, 23, 3, 4, 5, 2, 7, 8, 9, 9, 23,
                                                 12, 13, 14, 2, 16, 17, 18, 18, 14, 6, 2, 23};
    /* side: +1 left (s x), -1 right, 0 midline; kind: 0 lateral, 1 down, 2 up, 3 hip, 4 heel, 5 toe */
    static const signed char SIDE[MOMU_DWM_JOINTS + 2] = {1, -1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1,
                                                          -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 0, 0};
    static const signed char KIND[MOMU_DWM_JOINTS + 2] = {0, 0, 2, 0, 0, 0, 0, 3, 1, 1, 4, 5, 0,
                                                          0, 0, 0, 3, 1, 1, 4, 5, 0, 0, 2, 2};
    /* chirality: the left hip lies on side s of up x forward (forward = heel -> toe) */
    double acc = 0;
    for (size_t t = 0; t < m->n_frames; t++) {
        const float *q = m->pos + t * MOMU_DWM_JOINTS * 3;
        double fx = (q[11 * 3] - q[10 * 3]) + (q[20 * 3] - q[19 * 3]);
        double fz = (q[11 * 3 + 2] - q[10 * 3 + 2]) + (q[20 * 3 + 2] - q[19 * 3 + 2]);
        double lx = q[7 * 3] - q[16 * 3], lz = q[7 * 3 + 2] - q[16 * 3 + 2];
        acc += lx * fz - lz * fx; /* (hip_L - hip_R) . (fz, 0, -fx) */
    }
    double s = acc < 0 ? -1.0 : 1.0;
    for (size_t j = 0; j < p->n; j++) {
        p->parent[j] = PAR[j];
        p->src0[j] = p->src1[j] = (int)j;
        double *d = p->canon + j * 3;
        switch (KIND[j]) {
        case 0: d[0] = s * SIDE[j]; break;
        case 1: d[1] = -1; break;
        case 2: d[1] = 1; break;
        case 3: d[0] = 0.5 * s * SIDE[j]; d[1] = -0.85; break;
        case 4: d[1] = -0.55; d[2] = -0.83; break;
        case 5: d[1] = -0.45; d[2] = 0.89; break;
        }
        v3_unit(d);
    }
    /* The hand-direction points sit next to different arm points on the two sides (21 by 14, 22 by 6 in
     * the data as shipped; the other way round after a left/right mirror), so each takes as parent the arm
     * point it keeps the steadiest distance to over the clip. */
    static const int HD[2][3] = {{21, 14, 15}, {22, 5, 6}};
    for (int h = 0; h < 2; h++) {
        double sd[2];
        for (int c = 0; c < 2; c++) {
            double mu = 0, var = 0;
            for (int pass = 0; pass < 2; pass++)
                for (size_t t = 0; t < m->n_frames; t++) {
                    const float *a = m->pos + (t * MOMU_DWM_JOINTS + (size_t)HD[h][0]) * 3;
                    const float *b = m->pos + (t * MOMU_DWM_JOINTS + (size_t)HD[h][1 + c]) * 3;
                    double dx = (double)a[0] - b[0], dy = (double)a[1] - b[1], dz = (double)a[2] - b[2];
                    double d = sqrt(dx * dx + dy * dy + dz * dz);
                    if (pass == 0) mu += d / (double)m->n_frames;
                    else var += (d - mu) * (d - mu);
                }
            sd[c] = var;
        }
        p->parent[HD[h][0]] = sd[1] < sd[0] ? HD[h][2] : HD[h][1];
    }
    p->src0[23] = 3; p->src1[23] = 12;
    p->src0[24] = 0; p->src1[24] = 1;
    for (size_t j = 0; j < MOMU_DWM_JOINTS; j++) strcpy(p->names[j], m->skel.names[j]);
    strcpy(p->names[23], "neck");
    strcpy(p->names[24], "head");
    return MOMU_OK;
}

/* A general tree: the motion's own parents; rest directions from its offsets, else from frame 0. */
static momu_status plan_tree(bvh_plan *p, const momu_motion *m, momu_err *e) {
    momu_status st = plan_alloc(p, m->n_joints, e);
    if (st) return st;
    for (size_t j = 0; j < p->n; j++) {
        p->parent[j] = m->skel.parent[j];
        p->src0[j] = p->src1[j] = (int)j;
        if (m->skel.names) strcpy(p->names[j], m->skel.names[j]);
        else snprintf(p->names[j], MOMU_JOINT_NAME_MAX, "joint%zu", j);
        double *d = p->canon + j * 3;
        if (p->parent[j] < 0) continue;
        if (m->skel.offset) for (int c = 0; c < 3; c++) d[c] = m->skel.offset[j * 3 + c];
        if (v3_norm(d) < 1e-9) {
            double a[3], b[3];
            for (int c = 0; c < 3; c++) {
                a[c] = m->pos[j * 3 + c];
                b[c] = m->pos[(size_t)p->parent[j] * 3 + c];
                d[c] = a[c] - b[c];
            }
        }
        v3_unit(d);
    }
    return MOMU_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median bone lengths and rest directions (Procrustes mean at multi-child joints, see the top). */
static momu_status plan_rest(bvh_plan *p, const momu_motion *m, momu_err *e) {
    size_t T = m->n_frames;
    double *tmp = momu_malloc_array(T, sizeof(double), e);
    if (!tmp) return MOMU_ERR_OOM;
    for (size_t j = 0; j < p->n; j++) {
        if (p->parent[j] < 0) continue;
        for (size_t t = 0; t < T; t++) {
            double a[3], b[3];
            plan_pos(p, m, t, j, a);
            plan_pos(p, m, t, (size_t)p->parent[j], b);
            for (int c = 0; c < 3; c++) a[c] -= b[c];
            tmp[t] = v3_norm(a);
        }
        qsort(tmp, T, sizeof *tmp, cmp_double);
        p->len[j] = T % 2 ? tmp[T / 2] : 0.5 * (tmp[T / 2 - 1] + tmp[T / 2]);
        memcpy(p->dir + j * 3, p->canon + j * 3, 3 * sizeof(double));
    }
    free(tmp);
    for (size_t j = 0; j < p->n; j++) {
        if (p->n_child[j] < 2) continue;
        int kids[MOMU_MOTION_MAX_JOINTS + 2], nk = 0;
        for (int c = p->first_child[j]; c >= 0; c = p->next_sib[c]) kids[nk++] = c;
        double *tpl = malloc((size_t)nk * 3 * sizeof(double)), *acc = malloc((size_t)nk * 3 * sizeof(double));
        double *u = malloc((size_t)nk * 3 * sizeof(double));
        if (!tpl || !acc || !u) { free(tpl); free(acc); free(u); return momu_fail(e, MOMU_ERR_OOM, "out of memory"); }
        /* start from the clip's first frame (not the T-pose): a template of the other handedness than the
         * data would never turn into it by rotations */
        {
            double x0[3];
            plan_pos(p, m, 0, j, x0);
            for (int k = 0; k < nk; k++) {
                plan_pos(p, m, 0, (size_t)kids[k], tpl + k * 3);
                for (int c = 0; c < 3; c++) tpl[k * 3 + c] -= x0[c];
                v3_unit(tpl + k * 3);
                if (v3_norm(tpl + k * 3) == 0) memcpy(tpl + k * 3, p->canon + (size_t)kids[k] * 3, 3 * sizeof(double));
            }
        }
        for (int it = 0; it < 4; it++) { /* generalised Procrustes: align each frame to the template, average */
            memset(acc, 0, (size_t)nk * 3 * sizeof(double));
            for (size_t t = 0; t < T; t++) {
                double x[3], S[9] = {0}, R[9];
                plan_pos(p, m, t, j, x);
                for (int k = 0; k < nk; k++) {
                    plan_pos(p, m, t, (size_t)kids[k], u + k * 3);
                    for (int c = 0; c < 3; c++) u[k * 3 + c] -= x[c];
                    v3_unit(u + k * 3);
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) S[a * 3 + b] += tpl[k * 3 + a] * u[k * 3 + b];
                }
                for (int c = 0; c < 3; c++) S[c * 4] += 1e-9; /* keep R near identity if degenerate */
                m3_horn(R, S);                                 /* R tpl ~ u */
                for (int k = 0; k < nk; k++) {
                    double w[3];
                    double Rt[9];
                    for (int a = 0; a < 3; a++)
                        for (int b = 0; b < 3; b++) Rt[a * 3 + b] = R[b * 3 + a];
                    m3_vec(w, Rt, u + k * 3);
                    for (int c = 0; c < 3; c++) acc[k * 3 + c] += w[c];
                }
            }
            for (int k = 0; k < nk; k++) {
                memcpy(tpl + k * 3, acc + k * 3, 3 * sizeof(double));
                v3_unit(tpl + k * 3);
                if (v3_norm(tpl + k * 3) == 0) memcpy(tpl + k * 3, p->canon + (size_t)kids[k] * 3, 3 * sizeof(double));
            }
        }
        double S[9] = {0}, R[9];
        for (int k = 0; k < nk; k++)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) S[a * 3 + b] += tpl[k * 3 + a] * p->canon[(size_t)kids[k] * 3 + b];
        for (int c = 0; c < 3; c++) S[c * 4] += 1e-9;
        m3_horn(R, S);
        for (int k = 0; k < nk; k++) m3_vec(p->dir + (size_t)kids[k] * 3, R, tpl + k * 3);
        free(tpl); free(acc); free(u);
    }
    return MOMU_OK;
}

static double unwrap_deg(double x, double prev) {
    while (x - prev > 180.0) x -= 360.0;
    while (x - prev < -180.0) x += 360.0;
    return x;
}

static void write_joint(FILE *f, const bvh_plan *p, size_t j, int depth, int stretch) {
    static const char IND[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    int d = depth < 30 ? depth : 30;
    const double *o = p->dir + j * 3;
    double L = p->len[j];
    if (p->end_site[j]) {
        fprintf(f, "%.*sEnd Site\n%.*s{\n%.*s\tOFFSET %.6f %.6f %.6f\n%.*s}\n", d, IND, d, IND, d, IND,
                o[0] * L, o[1] * L, o[2] * L, d, IND);
        return;
    }
    if (p->parent[j] < 0) {
        fprintf(f, "ROOT %s\n{\n\tOFFSET 0.000000 0.000000 0.000000\n", p->names[j]);
        fprintf(f, "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n");
    } else {
        fprintf(f, "%.*sJOINT %s\n%.*s{\n%.*s\tOFFSET %.6f %.6f %.6f\n%.*s\tCHANNELS %s\n", d, IND, p->names[j], d,
                IND, d, IND, o[0] * L, o[1] * L, o[2] * L, d, IND,
                stretch ? "6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" : "3 Zrotation Xrotation Yrotation");
    }
    if (p->n_child[j] == 0) { /* a leaf point: an End Site continuing the bone, so it is a bone head */
        double el = L * 0.25 > 1.0 ? L * 0.25 : 1.0;
        double u[3] = {o[0], o[1], o[2]};
        if (v3_norm(u) == 0) u[1] = 1;
        fprintf(f, "%.*s\tEnd Site\n%.*s\t{\n%.*s\t\tOFFSET %.6f %.6f %.6f\n%.*s\t}\n", d, IND, d, IND, d, IND,
                u[0] * el, u[1] * el, u[2] * el, d, IND);
    }
    for (int c = p->first_child[j]; c >= 0; c = p->next_sib[c]) write_joint(f, p, (size_t)c, depth + 1, stretch);
    fprintf(f, "%.*s}\n", d, IND);
}

momu_status motion_bvh_write(const char *path, const momu_motion *m, int stretch, momu_err *e) {
    bvh_plan p;
    momu_status st;
    if (momu_skeleton_is_dwm(&m->skel)) st = plan_dwm(&p, m, e);
    else if (m->skel.parent) st = plan_tree(&p, m, e);
    else
        return momu_fail(e, MOMU_ERR_ARG, "%s: writing BVH needs a skeleton tree (a DwM motion, a BVH input, or JSON "
                         "with \"parents\"); this %zu-joint motion has none", path, m->n_joints);
    if (st) return st;
    st = plan_finish(&p, path, e);
    if (!st) st = plan_rest(&p, m, e);
    size_t P = p.n, T = m->n_frames;
    double *G = NULL, *Q = NULL, *prev = NULL;
    momu_atomic a = {0};
    if (!st) {
        G = momu_malloc_array(P * 9, sizeof(double), e);
        Q = momu_malloc_array(P * 3, sizeof(double), e);
        prev = momu_calloc_array(P * 3, sizeof(double), e);
        if (!G || !Q || !prev) st = MOMU_ERR_OOM;
    }
    if (!st) st = momu_atomic_open(&a, path, e);
    if (st) goto done;
    FILE *f = a.f;
    fputs("HIERARCHY\n", f);
    write_joint(f, &p, p.root, 0, stretch);
    fprintf(f, "MOTION\nFrames: %zu\nFrame Time: %.9f\n", T, 1.0 / m->fps);
    double Groot_prev[9];
    m3_eye(Groot_prev);
    static const int ZXY[3] = {2, 0, 1};
    for (size_t t = 0; t < T; t++) {
        for (size_t k = 0; k < P; k++) {
            size_t j = p.order[k];
            if (p.end_site[j]) continue;
            int par = p.parent[j];
            double *g = G + j * 9, *q = Q + j * 3, ref[9];
            if (par < 0) {
                plan_pos(&p, m, t, j, q);
                memcpy(ref, Groot_prev, sizeof ref);
            } else {
                memcpy(ref, G + (size_t)par * 9, sizeof ref);
            }
            /* targets */
            double S[9] = {0}, a1[3] = {0}, b1[3] = {0};
            int n_valid = 0;
            for (int c = p.first_child[j]; c >= 0; c = p.next_sib[c]) {
                double x[3];
                plan_pos(&p, m, t, (size_t)c, x);
                for (int d = 0; d < 3; d++) x[d] -= q[d];
                if (p.len[c] < 1e-6 || v3_norm(x) < 1e-9) continue;
                v3_unit(x);
                const double *dr = p.dir + (size_t)c * 3;
                for (int u = 0; u < 3; u++)
                    for (int v = 0; v < 3; v++) S[u * 3 + v] += dr[u] * x[v];
                memcpy(a1, dr, sizeof a1);
                memcpy(b1, x, sizeof b1);
                n_valid++;
            }
            if (n_valid == 0) {
                memcpy(g, ref, 9 * sizeof(double));
            } else if (n_valid == 1) {
                double ra[3], sw[9];
                m3_vec(ra, ref, a1);
                m3_swing(sw, ra, b1);
                m3_mul(g, sw, ref);
            } else {
                for (int u = 0; u < 3; u++) /* + 1e-7 * sum_k e_k (ref e_k)^T = 1e-7 ref^T */
                    for (int v = 0; v < 3; v++) S[u * 3 + v] += 1e-7 * ref[v * 3 + u];
                m3_horn(g, S);
            }
            if (par < 0) memcpy(Groot_prev, g, sizeof Groot_prev);
            for (int c = p.first_child[j]; c >= 0; c = p.next_sib[c]) {
                double w[3], off[3];
                for (int d = 0; d < 3; d++) off[d] = p.dir[(size_t)c * 3 + d] * p.len[c];
                m3_vec(w, g, off);
                for (int d = 0; d < 3; d++) Q[(size_t)c * 3 + d] = q[d] + w[d];
                if (stretch && !p.end_site[c]) plan_pos(&p, m, t, (size_t)c, Q + (size_t)c * 3); /* exact */
            }
        }
        for (size_t k = 0; k < P; k++) {
            size_t j = p.order[k];
            if (p.end_site[j]) continue;
            int par = p.parent[j];
            double L[9], deg[3];
            if (par < 0) {
                memcpy(L, G + j * 9, sizeof L);
                fprintf(f, "%.6f %.6f %.6f ", Q[j * 3], Q[j * 3 + 1], Q[j * 3 + 2]);
            } else {
                m3_mul_tn(L, G + (size_t)par * 9, G + j * 9);
                if (stretch) { /* local translation G_parent^T (Q_j - Q_parent), replacing the OFFSET */
                    double dlt[3], loc[3], Gt[9];
                    for (int c = 0; c < 3; c++) dlt[c] = Q[j * 3 + c] - Q[(size_t)par * 3 + c];
                    for (int u = 0; u < 3; u++)
                        for (int v = 0; v < 3; v++) Gt[u * 3 + v] = G[(size_t)par * 9 + v * 3 + u];
                    m3_vec(loc, Gt, dlt);
                    fprintf(f, "%.6f %.6f %.6f ", loc[0], loc[1], loc[2]);
                }
            }
            momu_euler_from_matrix(ZXY, L, deg);
            for (int c = 0; c < 3; c++) {
                if (t > 0) deg[c] = unwrap_deg(deg[c], prev[j * 3 + c]);
                prev[j * 3 + c] = deg[c];
            }
            fprintf(f, "%.6f %.6f %.6f%c", deg[0], deg[1], deg[2], k + 1 < P ? ' ' : '\n');
        }
        /* the last written joint may be skipped (End Site): make sure the line ends */
        if (p.end_site[p.order[P - 1]]) fputc('\n', f);
    }
    st = momu_atomic_commit(&a, e);
done:
    if (st && a.f) momu_atomic_abort(&a);
    free(G); free(Q); free(prev);
    plan_free(&p);
    return st;
}
