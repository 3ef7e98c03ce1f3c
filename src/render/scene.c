/* momu render — the preview scene: stick figure, following camera, floor grid, beat flash, time bar.
 * What is drawn and why is described in docs/RENDER.md. All sizes scale with the figure height fig_h (the
 * mean vertical extent of the figure), so any unit (cm, m) and any skeleton draws the same way. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/render.h"

const uint8_t MOMU_RENDER_COL_LEFT[3] = {80, 170, 255};
const uint8_t MOMU_RENDER_COL_RIGHT[3] = {255, 112, 80};
const uint8_t MOMU_RENDER_COL_CENTRE[3] = {232, 232, 238};
const uint8_t MOMU_RENDER_COL_MUSIC_BEAT[3] = {255, 206, 64};
const uint8_t MOMU_RENDER_COL_MOTION_BEAT[3] = {236, 84, 236};
static const uint8_t COL_BG_TOP[3] = {16, 18, 28}, COL_BG_BOTTOM[3] = {38, 42, 58};
static const uint8_t COL_GRID[3] = {140, 150, 185}, COL_BAR_TRACK[3] = {64, 68, 86}, COL_BAR[3] = {215, 218, 230};

#define CAM_FOV_DEG 40.0
#define CAM_DIST 2.4         /* eye distance from the target, in figure heights */
#define CAM_RISE 0.22        /* eye height above the target, in figure heights */
#define CAM_TAU_S 0.5        /* damping time constant of the horizontal follow (forward and backward pass) */
#define FLOOR_WIN_S 1.0      /* floor = running minimum of the foot points over +-1 s ... */
#define FLOOR_SMOOTH_S 0.5   /* ... then a +-0.5 s moving average */
#define GRID_CELL 0.3        /* grid spacing in figure heights (about 50 cm for a person) */
#define GRID_HALF 12         /* cells each side of the camera target */
#define BEAT_LEN_S 0.4       /* how long a beat ring lives */
#define FLASH_TAU_S 0.12     /* decay of the background flash */

enum { SIDE_CENTRE, SIDE_LEFT, SIDE_RIGHT };
typedef struct { int a0, a1, b0, b1, side; } scene_bone;

struct momu_render_scene {
    momu_motion m;              /* resampled to the video rate, optionally x-mirrored */
    size_t n_frames, width, height;
    double fps, fig_h;
    double *cam_x, *cam_z, *floor_y;   /* (n_frames) */
    scene_bone *bones;
    size_t n_bones;
    int head_a, head_b;         /* head centre = midpoint; -1 if none */
    int root;
    double *music_beats, *motion_beats;
    size_t n_music_beats, n_motion_beats;
    momu_render_beats beats;
};

static const char *const BEATS_NAMES[MOMU_RENDER_BEATS_COUNT] = {"music", "motion", "both", "none"};
const char *momu_render_beats_name(momu_render_beats b) {
    return (unsigned)b < MOMU_RENDER_BEATS_COUNT ? BEATS_NAMES[b] : "?";
}
momu_render_beats momu_render_beats_from_name(const char *s) {
    for (int i = 0; i < MOMU_RENDER_BEATS_COUNT; i++)
        if (s && !strcmp(s, BEATS_NAMES[i])) return (momu_render_beats)i;
    return MOMU_RENDER_BEATS_COUNT;
}

void momu_render_opts_default(momu_render_opts *o) {
    memset(o, 0, sizeof *o);
    o->width = 640;
    o->height = 480;
    o->fps = 0.0;
    o->beats = MOMU_RENDER_BEATS_MUSIC;
    o->audio = 1;
    o->mirror_x = -1;
}

static const float *joint(const momu_motion *m, size_t t, size_t j) { return m->pos + (t * m->n_joints + j) * 3; }

/* Side of a joint from its name: "left"/"right" anywhere, or an "_l"/"_r"/".l"/".r" suffix or "l_"/"r_"
 * prefix (an "_end" suffix ignored), case-insensitive. */
static int name_side(const char *name) {
    char s[MOMU_JOINT_NAME_MAX + 1];
    size_t n = 0;
    for (; name[n] && n < MOMU_JOINT_NAME_MAX; n++) s[n] = (char)tolower((unsigned char)name[n]);
    s[n] = 0;
    if (strstr(s, "left")) return SIDE_LEFT;
    if (strstr(s, "right")) return SIDE_RIGHT;
    if (n > 4 && !strcmp(s + n - 4, "_end")) s[n -= 4] = 0;
    if (n >= 2 && (s[n - 2] == '_' || s[n - 2] == '.')) {
        if (s[n - 1] == 'l') return SIDE_LEFT;
        if (s[n - 1] == 'r') return SIDE_RIGHT;
    }
    if (n >= 2 && s[1] == '_') {
        if (s[0] == 'l') return SIDE_LEFT;
        if (s[0] == 'r') return SIDE_RIGHT;
    }
    return SIDE_CENTRE;
}

static int name_has(const char *name, const char *word) {
    char s[MOMU_JOINT_NAME_MAX + 1];
    size_t n = 0;
    for (; name[n] && n < MOMU_JOINT_NAME_MAX; n++) s[n] = (char)tolower((unsigned char)name[n]);
    s[n] = 0;
    return strstr(s, word) != NULL;
}

static momu_status scene_bones(momu_render_scene *s, momu_err *e) {
    const momu_skeleton *sk = &s->m.skel;
    size_t J = s->m.n_joints;
    s->head_a = s->head_b = -1;
    s->root = 0;
    if (momu_skeleton_is_dwm(sk)) {
        size_t nb;
        const momu_bone *b = momu_dwm_bones(&nb);
        s->bones = momu_malloc_array(nb, sizeof *s->bones, e);
        if (!s->bones) return MOMU_ERR_OOM;
        for (size_t i = 0; i < nb; i++) {
            int s0 = name_side(sk->names[b[i].b0]), s1 = name_side(sk->names[b[i].b1]);
            int side = s0 == s1 ? s0 : SIDE_CENTRE;   /* the far end's side (spine, neck: centre) */
            if (!strcmp(b[i].name, "head")) continue;   /* drawn as the head circle */
            s->bones[s->n_bones++] = (scene_bone){b[i].a0, b[i].a1, b[i].b0, b[i].b1, side};
        }
        s->head_a = 0;
        s->head_b = 1;
        s->root = 2;
        return MOMU_OK;
    }
    s->bones = momu_malloc_array(J, sizeof *s->bones, e);
    if (!s->bones) return MOMU_ERR_OOM;
    int have_root = 0;
    for (size_t j = 0; j < J; j++) {
        int p = sk->parent ? sk->parent[j] : -1;
        if (p < 0 || (size_t)p >= J) {
            if (!have_root) { s->root = (int)j; have_root = 1; }
            continue;
        }
        int side = sk->names ? name_side(sk->names[j]) : SIDE_CENTRE;
        if (side == SIDE_CENTRE && sk->names) side = name_side(sk->names[p]) == SIDE_CENTRE ? SIDE_CENTRE
                                                                                           : name_side(sk->names[p]);
        s->bones[s->n_bones++] = (scene_bone){p, p, (int)j, (int)j, side};
    }
    if (sk->names)
        for (size_t j = 0; j < J; j++)
            if (name_has(sk->names[j], "head") && !name_has(sk->names[j], "_end") && !name_has(sk->names[j], "top")) {
                s->head_a = s->head_b = (int)j;
                break;
            }
    return MOMU_OK;
}

/* Per-frame floor height: lowest foot point (joints named heel/toe/foot/ankle; all joints if none), running
 * minimum over +-FLOOR_WIN_S, then a +-FLOOR_SMOOTH_S moving average. The data drifts vertically. */
static momu_status scene_floor(momu_render_scene *s, momu_err *e) {
    size_t T = s->n_frames, J = s->m.n_joints;
    double *low = momu_malloc_array(T, sizeof(double), e), *run = momu_malloc_array(T, sizeof(double), e);
    if (!low || !run) { free(low); free(run); return MOMU_ERR_OOM; }
    int any_foot = 0;
    const momu_skeleton *sk = &s->m.skel;
    int *foot = momu_calloc_array(J, sizeof(int), e);
    if (!foot) { free(low); free(run); return MOMU_ERR_OOM; }
    if (sk->names)
        for (size_t j = 0; j < J; j++)
            if (name_has(sk->names[j], "heel") || name_has(sk->names[j], "toe") || name_has(sk->names[j], "foot") ||
                name_has(sk->names[j], "ankle"))
                foot[j] = any_foot = 1;
    for (size_t t = 0; t < T; t++) {
        double lo = HUGE_VAL;
        for (size_t j = 0; j < J; j++)
            if (!any_foot || foot[j]) lo = fmin(lo, joint(&s->m, t, j)[1]);
        low[t] = lo;
    }
    free(foot);
    size_t w = (size_t)lround(FLOOR_WIN_S * s->fps), ws = (size_t)lround(FLOOR_SMOOTH_S * s->fps);
    for (size_t t = 0; t < T; t++) {
        size_t a = t > w ? t - w : 0, b = t + w < T ? t + w : T - 1;
        double lo = HUGE_VAL;
        for (size_t i = a; i <= b; i++) lo = fmin(lo, low[i]);
        run[t] = lo;
    }
    for (size_t t = 0; t < T; t++) {
        size_t a = t > ws ? t - ws : 0, b = t + ws < T ? t + ws : T - 1;
        double sum = 0.0;
        for (size_t i = a; i <= b; i++) sum += run[i];
        s->floor_y[t] = sum / (double)(b - a + 1);
    }
    free(low);
    free(run);
    return MOMU_OK;
}

/* Camera follow: the root's horizontal position smoothed by a first-order low-pass (time constant CAM_TAU_S)
 * run forward and then backward (zero lag, like filtfilt). */
static void scene_camera_track(momu_render_scene *s) {
    size_t T = s->n_frames;
    double k = 1.0 - exp(-1.0 / (CAM_TAU_S * s->fps));
    for (size_t t = 0; t < T; t++) {
        const float *r = joint(&s->m, t, (size_t)s->root);
        s->cam_x[t] = r[0];
        s->cam_z[t] = r[2];
    }
    for (size_t t = 1; t < T; t++) {
        s->cam_x[t] = s->cam_x[t - 1] + k * (s->cam_x[t] - s->cam_x[t - 1]);
        s->cam_z[t] = s->cam_z[t - 1] + k * (s->cam_z[t] - s->cam_z[t - 1]);
    }
    for (size_t t = T - 1; t-- > 0;) {
        s->cam_x[t] = s->cam_x[t + 1] + k * (s->cam_x[t] - s->cam_x[t + 1]);
        s->cam_z[t] = s->cam_z[t + 1] + k * (s->cam_z[t] - s->cam_z[t + 1]);
    }
}

void momu_render_scene_free(momu_render_scene *s) {
    if (!s) return;
    momu_motion_free(&s->m);
    free(s->cam_x);
    free(s->cam_z);
    free(s->floor_y);
    free(s->bones);
    free(s->music_beats);
    free(s->motion_beats);
    free(s);
}

momu_status momu_render_scene_init(momu_render_scene **out, const momu_motion *m, const double *music_beats,
                                   size_t n_music_beats, const momu_render_opts *o, momu_err *e) {
    *out = NULL;
    momu_render_opts def;
    if (!o) { momu_render_opts_default(&def); o = &def; }
    if (momu_motion_check(m, "render: motion", e)) return e ? e->status : MOMU_ERR_ARG;
    if (o->width < 16 || o->height < 16 || o->width > 8192 || o->height > 8192)
        return momu_fail(e, MOMU_ERR_ARG, "render: --width/--height %zux%zu: each must be in 16..8192", o->width,
                         o->height);
    double fps = o->fps > 0.0 ? o->fps : (double)m->fps;
    if (!isfinite(fps) || fps > 1000.0)
        return momu_fail(e, MOMU_ERR_ARG, "render: --fps %g: must be in (0, 1000]", fps);
    if ((unsigned)o->beats >= MOMU_RENDER_BEATS_COUNT) return momu_fail(e, MOMU_ERR_ARG, "render: bad beats mode");
    for (size_t i = 0; i < n_music_beats; i++)
        if (!isfinite(music_beats[i])) return momu_fail(e, MOMU_ERR_RANGE, "render: music beat %zu is not finite", i);
    double dur = (double)m->n_frames / (double)m->fps;
    size_t n = (size_t)llround(dur * fps);
    if (n < 1) n = 1;
    momu_render_scene *s = calloc(1, sizeof *s);
    if (!s) return momu_fail(e, MOMU_ERR_OOM, "render: out of memory");
    s->fps = fps;
    s->n_frames = n;
    s->width = o->width;
    s->height = o->height;
    s->beats = o->beats;
    momu_status st = momu_motion_resample(m, 1.0, 0.0, (float)fps, n, &s->m, e);
    if (st) { free(s); return st; }
    int mirror = o->mirror_x < 0 ? momu_skeleton_is_dwm(&m->skel) : o->mirror_x != 0;
    if (mirror)
        for (size_t i = 0; i < n * s->m.n_joints; i++) s->m.pos[3 * i] = -s->m.pos[3 * i];
    s->cam_x = momu_malloc_array(n, sizeof(double), e);
    s->cam_z = momu_malloc_array(n, sizeof(double), e);
    s->floor_y = momu_malloc_array(n, sizeof(double), e);
    if (!s->cam_x || !s->cam_z || !s->floor_y) { st = MOMU_ERR_OOM; goto fail; }
    if ((st = scene_bones(s, e)) || (st = scene_floor(s, e))) goto fail;
    scene_camera_track(s);
    double ext = 0.0;
    for (size_t t = 0; t < n; t++) {
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (size_t j = 0; j < s->m.n_joints; j++) {
            lo = fmin(lo, joint(&s->m, t, j)[1]);
            hi = fmax(hi, joint(&s->m, t, j)[1]);
        }
        ext += hi - lo;
    }
    s->fig_h = ext / (double)n;
    if (!(s->fig_h > 0.0)) {   /* a flat figure: size from the horizontal extent of frame 0, else 1 */
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (size_t j = 0; j < s->m.n_joints; j++) {
            lo = fmin(lo, joint(&s->m, 0, j)[0]);
            hi = fmax(hi, joint(&s->m, 0, j)[0]);
        }
        s->fig_h = hi > lo ? hi - lo : 1.0;
    }
    if (n_music_beats && (o->beats == MOMU_RENDER_BEATS_MUSIC || o->beats == MOMU_RENDER_BEATS_BOTH)) {
        s->music_beats = momu_malloc_array(n_music_beats, sizeof(double), e);
        if (!s->music_beats) { st = MOMU_ERR_OOM; goto fail; }
        memcpy(s->music_beats, music_beats, n_music_beats * sizeof(double));
        s->n_music_beats = n_music_beats;
    }
    if ((o->beats == MOMU_RENDER_BEATS_MOTION || o->beats == MOMU_RENDER_BEATS_BOTH) && m->n_frames >= 3) {
        if ((st = momu_motion_beats_q(m, &s->motion_beats, &s->n_motion_beats, e))) goto fail;
    }
    *out = s;
    return MOMU_OK;
fail:
    momu_render_scene_free(s);
    return st;
}

size_t momu_render_scene_frames(const momu_render_scene *s) { return s->n_frames; }
double momu_render_scene_fps(const momu_render_scene *s) { return s->fps; }

void momu_render_scene_joint(const momu_render_scene *s, size_t k, size_t j, double p[3]) {
    const float *q = joint(&s->m, k, j);
    p[0] = q[0];
    p[1] = q[1];
    p[2] = q[2];
}

void momu_render_scene_camera(const momu_render_scene *s, size_t k, momu_camera *c) {
    double tx = s->cam_x[k], tz = s->cam_z[k], ty = s->floor_y[k] + 0.5 * s->fig_h;
    c->target[0] = tx;
    c->target[1] = ty;
    c->target[2] = tz;
    c->eye[0] = tx;
    c->eye[1] = ty + CAM_RISE * s->fig_h;
    c->eye[2] = tz + CAM_DIST * s->fig_h;
    c->fov_y_deg = CAM_FOV_DEG;
    c->width = s->width;
    c->height = s->height;
    c->near = 0.05 * s->fig_h;
}

/* A world segment clipped to the near plane, projected and drawn; hw in pixels. */
static void draw_segment3(momu_image *im, const momu_camera *c, const double a[3], const double b[3], double hw,
                          const uint8_t col[3], double alpha) {
    double da, db, pa[3], pb[3];
    momu_camera_project(c, a, NULL, NULL, &da);
    momu_camera_project(c, b, NULL, NULL, &db);
    double lim = c->near * 1.001;
    if (da <= lim && db <= lim) return;
    memcpy(pa, a, sizeof pa);
    memcpy(pb, b, sizeof pb);
    if (da <= lim || db <= lim) {   /* depth is affine along the segment */
        double t = (lim - da) / (db - da);
        double q[3] = {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2])};
        memcpy(da <= lim ? pa : pb, q, sizeof q);
    }
    double x0, y0, x1, y1;
    if (!momu_camera_project(c, pa, &x0, &y0, NULL) || !momu_camera_project(c, pb, &x1, &y1, NULL)) return;
    momu_draw_line(im, x0, y0, x1, y1, hw, col, alpha);
}

/* A circle of radius r on the floor plane y around (x, z), as one closed polyline (skipped if any point is
 * behind the near plane). */
static void draw_floor_ring(momu_image *im, const momu_camera *c, double x, double y, double z, double r, double hw,
                            const uint8_t col[3], double alpha) {
    enum { N = 64 };
    double xy[2 * N];
    for (int i = 0; i < N; i++) {
        double a = 2.0 * 3.14159265358979323846 * i / N;
        double p[3] = {x + r * cos(a), y, z + r * sin(a)};
        if (!momu_camera_project(c, p, &xy[2 * i], &xy[2 * i + 1], NULL)) return;
    }
    momu_draw_polyline(im, xy, N, 1, hw, col, alpha);
}

/* Age (s) of the latest beat at or before t, or a negative number when none. */
static double beat_age(const double *b, size_t n, double t) {
    size_t lo = 0, hi = n;   /* first beat > t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return lo ? t - b[lo - 1] : -1.0;
}

static void bone_end(const momu_render_scene *s, size_t k, int i0, int i1, double p[3]) {
    const float *a = joint(&s->m, k, (size_t)i0), *b = joint(&s->m, k, (size_t)i1);
    for (int c = 0; c < 3; c++) p[c] = 0.5 * ((double)a[c] + (double)b[c]);
}

typedef struct { double x0, y0, x1, y1, depth, hw; int side; } bone_2d;

static int cmp_depth_desc(const void *pa, const void *pb) {
    const bone_2d *a = pa, *b = pb;
    return a->depth < b->depth ? 1 : a->depth > b->depth ? -1 : 0;
}

momu_status momu_render_scene_frame(const momu_render_scene *s, size_t k, momu_image *im, momu_err *e) {
    if (k >= s->n_frames)
        return momu_fail(e, MOMU_ERR_ARG, "render: frame %zu out of range (the video has %zu frames)", k,
                         s->n_frames);
    if (im->width != s->width || im->height != s->height || !im->rgb)
        return momu_fail(e, MOMU_ERR_ARG, "render: image %zux%zu, expected %zux%zu", im->width, im->height, s->width,
                         s->height);
    double t = (double)k / s->fps, px = (double)s->height / 480.0;   /* px: line-width scale */
    momu_camera cam;
    momu_render_scene_camera(s, k, &cam);
    double focal = 0.5 * (double)s->height / tan(0.5 * CAM_FOV_DEG * 3.14159265358979323846 / 180.0);

    /* background, brightened by a decaying flash on each music beat */
    double flash = 0.0;
    if (s->n_music_beats) {
        double a = beat_age(s->music_beats, s->n_music_beats, t);
        if (a >= 0.0 && a < BEAT_LEN_S) flash = exp(-a / FLASH_TAU_S);
    }
    uint8_t top[3], bottom[3];
    for (int c = 0; c < 3; c++) {
        top[c] = (uint8_t)lround(COL_BG_TOP[c] + flash * 26.0);
        bottom[c] = (uint8_t)lround(COL_BG_BOTTOM[c] + flash * 34.0);
    }
    momu_image_gradient(im, top, bottom);

    /* floor grid: fixed in the world (so it slides under the moving camera), fading with distance */
    double fy = s->floor_y[k], cell = GRID_CELL * s->fig_h;
    double gx0 = floor(s->cam_x[k] / cell) * cell, gz0 = floor(s->cam_z[k] / cell) * cell;
    double reach = GRID_HALF * cell;
    for (int i = -GRID_HALF; i <= GRID_HALF; i++)
        for (int j = -GRID_HALF; j < GRID_HALF; j++)
            for (int dir = 0; dir < 2; dir++) {
                double a[3], b[3];
                if (dir == 0) {   /* segment along z at x = gx0 + i*cell */
                    a[0] = b[0] = gx0 + i * cell;
                    a[2] = gz0 + j * cell;
                    b[2] = a[2] + cell;
                } else {          /* along x at z = gz0 + i*cell */
                    a[2] = b[2] = gz0 + i * cell;
                    a[0] = gx0 + j * cell;
                    b[0] = a[0] + cell;
                }
                a[1] = b[1] = fy;
                double mx = 0.5 * (a[0] + b[0]) - s->cam_x[k], mz = 0.5 * (a[2] + b[2]) - s->cam_z[k];
                double fade = 1.0 - sqrt(mx * mx + mz * mz) / reach;
                if (fade <= 0.0) continue;
                draw_segment3(im, &cam, a, b, 0.6 * px, COL_GRID, 0.45 * fade * fade);
            }

    /* beat rings on the floor under the root */
    const float *root = joint(&s->m, k, (size_t)s->root);
    const double *lists[2] = {s->music_beats, s->motion_beats};
    size_t counts[2] = {s->n_music_beats, s->n_motion_beats};
    const uint8_t *cols[2] = {MOMU_RENDER_COL_MUSIC_BEAT, MOMU_RENDER_COL_MOTION_BEAT};
    double scale[2] = {1.0, 0.75};
    for (int b = 0; b < 2; b++) {
        if (!counts[b]) continue;
        double a = beat_age(lists[b], counts[b], t);
        if (a < 0.0 || a >= BEAT_LEN_S) continue;
        double u = a / BEAT_LEN_S;
        draw_floor_ring(im, &cam, root[0], fy, root[2], s->fig_h * scale[b] * (0.2 + 0.3 * u),
                        fmax(2.2 * px * (1.0 - 0.5 * u), 1.0),
                        cols[b], 0.9 * (1.0 - u));
    }

    /* stick figure: bones far to near, shaded by depth */
    bone_2d *bs = malloc((s->n_bones ? s->n_bones : 1) * sizeof *bs);
    if (!bs) return momu_fail(e, MOMU_ERR_OOM, "render: out of memory");
    size_t nb = 0;
    double dmin = HUGE_VAL;
    for (size_t i = 0; i < s->n_bones; i++) {
        const scene_bone *sb = &s->bones[i];
        double a[3], b[3], da, db;
        bone_end(s, k, sb->a0, sb->a1, a);
        bone_end(s, k, sb->b0, sb->b1, b);
        bone_2d *o = &bs[nb];
        if (!momu_camera_project(&cam, a, &o->x0, &o->y0, &da) || !momu_camera_project(&cam, b, &o->x1, &o->y1, &db))
            continue;
        o->depth = 0.5 * (da + db);
        o->hw = fmin(fmax(focal * 0.013 * s->fig_h / o->depth, 1.0), 0.03 * (double)s->height);
        o->side = sb->side;
        dmin = fmin(dmin, o->depth);
        nb++;
    }
    qsort(bs, nb, sizeof *bs, cmp_depth_desc);
    for (size_t i = 0; i < nb; i++) {
        const uint8_t *base = bs[i].side == SIDE_LEFT ? MOMU_RENDER_COL_LEFT
                              : bs[i].side == SIDE_RIGHT ? MOMU_RENDER_COL_RIGHT : MOMU_RENDER_COL_CENTRE;
        double shade = 1.0 - 0.3 * fmin((bs[i].depth - dmin) / (0.5 * s->fig_h), 1.0);   /* far limbs darker */
        uint8_t col[3];
        for (int c = 0; c < 3; c++) col[c] = (uint8_t)lround(base[c] * shade);
        momu_draw_line(im, bs[i].x0, bs[i].y0, bs[i].x1, bs[i].y1, bs[i].hw, col, 1.0);
    }
    free(bs);
    if (!s->n_bones)   /* no tree: joints as dots */
        for (size_t j = 0; j < s->m.n_joints; j++) {
            double p[3], x, y, d;
            momu_render_scene_joint(s, k, j, p);
            if (momu_camera_project(&cam, p, &x, &y, &d))
                momu_draw_disc(im, x, y, fmax(focal * 0.015 * s->fig_h / d, 1.5), MOMU_RENDER_COL_CENTRE, 1.0);
        }
    if (s->head_a >= 0) {
        double h[3], x, y, d;
        bone_end(s, k, s->head_a, s->head_b, h);
        if (momu_camera_project(&cam, h, &x, &y, &d)) {
            double r = focal * 0.06 * s->fig_h / d;
            momu_draw_disc(im, x, y, r, MOMU_RENDER_COL_CENTRE, 1.0);
            momu_draw_ring(im, x, y, r, fmax(0.6 * px, 0.5), COL_BG_BOTTOM, 0.6);
        }
    }

    /* time bar */
    double bx0 = 0.04 * (double)s->width, bx1 = 0.96 * (double)s->width;
    double bh = fmax(2.0, (double)s->height / 120.0), by = (double)s->height - 3.0 * bh;
    momu_draw_rect(im, bx0, by, bx1, by + bh, COL_BAR_TRACK, 0.9);
    double frac = s->n_frames > 1 ? (double)k / (double)(s->n_frames - 1) : 1.0;
    momu_draw_rect(im, bx0, by, bx0 + frac * (bx1 - bx0), by + bh, COL_BAR, 0.95);
    return MOMU_OK;
}
