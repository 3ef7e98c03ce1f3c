/* momu eval report — the trained models on the validation songs of Dance-with-Melody, as a Markdown report
 * (docs/RESULTS.md) and a beats plot (docs/EVAL.md "The results report" says what every row is).
 *
 *   momu eval report --data DWM_DIR --align align.tsv --out docs/RESULTS.md --plot docs/results_beats.png
 *       [--model DIR] [--seconds 10] [--max-clips N] [--seed 1] [--steps 25] [--tc-sweep 0.3,0.5,0.7] ...
 *
 * Steps: the clips are split by song exactly as `momu data prepare` splits them (same rule, seed and
 * validation count); each clip's motion is re-timed onto its music clock at 25 fps with its align.tsv row
 * (the arithmetic of prepare.c's clip_on_clock) and both are cut into non-overlapping segments of --seconds
 * starting at the first even music-clock frame the motion covers. Every evaluated (music, motion) pair is
 * written into a work folder (16 kHz WAV, 25 fps NPY) and scored by momu_eval_pair_run / momu_eval_summarise,
 * the instruments of `momu eval --pairs`, so every number here is one `momu eval` would print. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "momu/audio.h"
#include "momu/beats.h"
#include "momu/data.h"
#include "momu/eval.h"
#include "momu/generate.h"
#include "momu/motion.h"
#include "momu/render.h"

#define REP_FPS 25.0
#define SAMPLES_PER_FRAME 640   /* MOMU_SR / 25 */
#define MAX_TC 8

/* ---- segments ------------------------------------------------------------------------------------------ */

typedef struct {
    size_t clip;        /* index into the clip list */
    size_t k;           /* segment number within the clip */
    double t0;          /* start on the music clock, s */
    char music[MOMU_DATA_PATH_MAX], motion[MOMU_DATA_PATH_MAX];   /* the real segment in the work folder */
} seg_t;

typedef struct {
    const char *data_dir, *align_path, *out_path, *plot_path, *model_dir, *ablation_dir, *ablation_label, *work_dir,
        *commit, *threads, *tc_sweep;
    float seconds, guidance, guidance_lo, guidance_hi;
    size_t max_clips, seed, val_songs, split_seed;
    float val_fraction;
    int steps, no_joint, no_model, keep;
    size_t gl_iters;
} rep_opts;

typedef struct {
    momu_clip_list cl;
    momu_align_row *align;
    size_t n_align;
    int *is_val;
    size_t L;                  /* motion frames per segment (even) */
    char work[MOMU_DATA_PATH_MAX];
    int work_made;
    seg_t *val;
    size_t n_val, n_val_all;
    size_t n_val_songs, n_train_songs, n_train_segs;
    size_t *mis;               /* val segment i's mismatched partner (another song), or SIZE_MAX */
    size_t *nn_music, *nn_motion;   /* train segment chosen for val i by music / by motion (index in train list) */
    char **pool;               /* strings to free */
    size_t n_pool, cap_pool;
} rep_state;

static const momu_align_row *find_align(const rep_state *R, const char *name) {
    for (size_t i = 0; i < R->n_align; i++)
        if (!strcmp(R->align[i].name, name)) return &R->align[i];
    return NULL;
}

/* A clip on its music clock: music at 16 kHz from the clip start, the motion re-timed onto the music clock
 * at 25 fps starting at music-clock frame i0 (even), n frames long (prepare.c clip_on_clock, tempo 1). */
typedef struct {
    float *pcm;
    size_t n_pcm;
    momu_motion rm;
    size_t i0, n;
} clip_clock;

static void clip_clock_free(clip_clock *c) {
    free(c->pcm);
    momu_motion_free(&c->rm);
    memset(c, 0, sizeof *c);
}

static momu_status clip_load(const rep_state *R, const momu_clip *c, clip_clock *out, momu_err *e) {
    memset(out, 0, sizeof *out);
    const momu_align_row *a = find_align(R, c->name);
    if (!a) return momu_fail(e, MOMU_ERR_FORMAT, "no align.tsv row for clip %s (re-run momu data align)", c->name);
    double scale = a->a.scale, offset = a->a.offset_s;
    momu_motion m = {0};
    momu_status st = momu_audio_load(c->music_path, MOMU_SR, &out->pcm, &out->n_pcm, e);
    if (!st) st = momu_motion_load(c->motion_path, &m, e);
    if (!st && m.n_frames < 2) st = momu_fail(e, MOMU_ERR_RANGE, "%s: %zu frames, need at least 2", c->motion_path, m.n_frames);
    if (st) { momu_motion_free(&m); clip_clock_free(out); return st; }
    double last = (double)(m.n_frames - 1) / m.fps;
    double lo = ceil(fmax(0.0, -offset * REP_FPS / scale) - 1e-9);
    double hi = floor((last - offset) * REP_FPS / scale + 1e-9);
    double pcm_hi = floor((double)out->n_pcm / SAMPLES_PER_FRAME) - 1;   /* music samples of frame i exist */
    if (hi > pcm_hi) hi = pcm_hi;
    size_t i0 = (size_t)lo;
    i0 += i0 & 1;
    size_t n = hi >= (double)i0 ? (size_t)(hi - (double)i0) + 1 : 0;
    out->i0 = i0;
    out->n = n;
    if (n >= 2) st = momu_motion_resample(&m, scale, offset / scale + (double)i0 / REP_FPS, (float)REP_FPS, n, &out->rm, e);
    momu_motion_free(&m);
    if (st) clip_clock_free(out);
    return st;
}

/* Segment k of a loaded clip: pcm (L*640 samples) and motion (L frames); motion shares nothing. */
static momu_status clip_segment(const clip_clock *c, size_t k, size_t L, const float **pcm, momu_motion *mo,
                                momu_err *e) {
    size_t f0 = k * L;
    momu_status st = momu_motion_alloc(mo, L, c->rm.n_joints, (float)REP_FPS, e);
    if (st) return st;
    memcpy(mo->pos, c->rm.pos + f0 * c->rm.n_joints * 3, L * c->rm.n_joints * 3 * sizeof(float));
    if (c->rm.skel.names) {
        momu_skeleton_free(&mo->skel);
        st = momu_skeleton_copy(&mo->skel, &c->rm.skel, e);
    }
    *pcm = c->pcm + (c->i0 + f0) * SAMPLES_PER_FRAME;
    return st;
}

static size_t clip_n_segments(const clip_clock *c, size_t L) {
    size_t k = 0;
    while ((k + 1) * L <= c->n && (c->i0 + (k + 1) * L) * SAMPLES_PER_FRAME <= c->n_pcm) k++;
    return k;
}

static momu_status make_dir(const char *dir, momu_err *e) {
    struct stat sb;
    if (stat(dir, &sb) == 0) return S_ISDIR(sb.st_mode) ? MOMU_OK : momu_fail(e, MOMU_ERR_IO, "%s: not a folder", dir);
    if (mkdir(dir, 0777)) return momu_fail(e, MOMU_ERR_IO, "%s: cannot create folder (%s)", dir, strerror(errno));
    return MOMU_OK;
}

static char *pool_printf(rep_state *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *pool_printf(rep_state *R, const char *fmt, ...) {
    char buf[MOMU_DATA_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (R->n_pool == R->cap_pool) {
        size_t cap = R->cap_pool ? 2 * R->cap_pool : 64;
        char **p = realloc(R->pool, cap * sizeof *p);
        if (!p) return NULL;
        R->pool = p;
        R->cap_pool = cap;
    }
    char *s = malloc(strlen(buf) + 1);
    if (!s) return NULL;
    strcpy(s, buf);
    R->pool[R->n_pool++] = s;
    return s;
}

/* ---- features for the nearest-neighbour baselines ------------------------------------------------------- */
/* Music: momu_audio_stat_features of the segment's log-mel (mean/std of the 80 bands, flux mean/std, pulse
 * clarity; D = 163). Motion: momu_kinetic_features (3 per joint). Each z-scored with the TRAIN segments'
 * statistics (momu_eval_norm_stats); the neighbour is the train segment at the smallest Euclidean distance. */
#define MUSIC_FEAT_DIM MOMU_AUDIO_STAT_DIM(MOMU_N_MELS)

static momu_status seg_features(const float *pcm, size_t n_pcm, const momu_motion *mo, double *fa, double *fk,
                                momu_err *e) {
    float *mel = NULL;
    size_t nf = 0;
    momu_status st = momu_logmel(pcm, n_pcm, &mel, &nf, e);
    if (!st) st = momu_audio_stat_features(mel, nf, MOMU_N_MELS, (double)MOMU_SR / MOMU_HOP, fa, e);
    free(mel);
    if (!st) st = momu_kinetic_features(mo->pos, mo->n_frames, mo->n_joints, mo->fps, fk, e);
    return st;
}

static size_t nearest(const double *q, const double *set, size_t n, size_t d) {
    size_t best = 0;
    double bd = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++) s += (q[k] - set[i * d + k]) * (q[k] - set[i * d + k]);
        if (s < bd) { bd = s; best = i; }
    }
    return best;
}

/* ---- evaluation rows ------------------------------------------------------------------------------------ */

typedef struct {
    char label[128];
    int ok;
    char why[200];         /* when !ok */
    momu_eval_summary s;
    size_t n;
    double gen_s;          /* generation wall time, s (0: none) */
} row_t;

/* Evaluates pairs (music[i], motion[i]) with the real segment i as reference music and motion. */
static momu_status eval_row(rep_state *R, row_t *row, char *const *music, char *const *motion, momu_err *e) {
    momu_eval_opts o;
    momu_eval_opts_default(&o);
    size_t n = R->n_val;
    momu_eval_pair *p = momu_calloc_array(n, sizeof *p, e);
    momu_eval_pair_result *res = momu_calloc_array(n, sizeof *res, e);
    if (!p || !res) { free(p); free(res); return MOMU_ERR_OOM; }
    momu_status st = MOMU_OK;
    size_t done = 0;
    for (size_t i = 0; i < n && !st; i++) {
        p[i].name = R->val[i].music;
        p[i].music = music[i];
        p[i].motion = motion[i];
        p[i].ref_music = R->val[i].music;
        p[i].ref_motion = R->val[i].motion;
        st = momu_eval_pair_run(&p[i], &o, &res[i], e);
        if (!st) done++;
    }
    if (!st) st = momu_eval_summarise(res, n, &row->s, e);
    if (!st) { row->ok = 1; row->n = n; }
    for (size_t i = 0; i < done; i++) momu_eval_pair_result_free(&res[i]);
    free(res);
    free(p);
    return st;
}

/* ---- the plot ------------------------------------------------------------------------------------------- */

typedef struct {
    const float *env;      /* envelope samples at env_fps */
    size_t n_env;
    double env_fps;
    const double *ticks;   /* beat times */
    size_t n_ticks;
    uint8_t rgb[3];
} strip_t;

/* Strips stacked top to bottom over [0, seconds]: each envelope normalised to its own max, its beats as
 * full-height ticks; faint vertical lines every second. */
static momu_status plot_strips(const char *path, const strip_t *s, size_t n_strips, double seconds, momu_err *e) {
    const size_t W = 1200, SH = 140, M = 20, AX = 24;
    momu_image im;
    momu_status st = momu_image_init(&im, W, M + n_strips * SH + AX, e);
    if (st) return st;
    const uint8_t white[3] = {255, 255, 255}, grid[3] = {200, 200, 200}, axis[3] = {40, 40, 40};
    momu_image_fill(&im, white);
    double x0 = M, x1 = (double)W - M, xs = (x1 - x0) / seconds;
    double ybot = (double)(M + n_strips * SH);
    for (long t = 0; t <= (long)floor(seconds); t++) {
        double x = x0 + (double)t * xs;
        momu_draw_line(&im, x, M, x, ybot, 0.5, grid, 1.0);
        momu_draw_line(&im, x, ybot, x, ybot + 8, 1.0, axis, 1.0);   /* second ticks on the time axis */
    }
    momu_draw_line(&im, x0, ybot, x1, ybot, 1.0, axis, 1.0);
    double *xy = NULL;
    for (size_t k = 0; k < n_strips && !st; k++) {
        double top = (double)(M + k * SH) + 8, bot = (double)(M + (k + 1) * SH) - 8;
        momu_draw_line(&im, x0, bot, x1, bot, 0.5, grid, 1.0);
        /* the first strip's beats (the music's) faintly behind every other strip */
        for (size_t b = 0; k > 0 && b < s[0].n_ticks; b++) {
            double t = s[0].ticks[b];
            if (t >= 0 && t <= seconds) momu_draw_line(&im, x0 + t * xs, top, x0 + t * xs, bot, 1.0, s[0].rgb, 0.15);
        }
        for (size_t b = 0; b < s[k].n_ticks; b++) {
            double t = s[k].ticks[b];
            if (t < 0 || t > seconds) continue;
            momu_draw_line(&im, x0 + t * xs, top, x0 + t * xs, bot, 1.2, s[k].rgb, 0.45);
        }
        float mx = 0.0f;
        for (size_t i = 0; i < s[k].n_env; i++) mx = fmaxf(mx, s[k].env[i]);
        if (!(mx > 0) || s[k].n_env < 2) continue;
        xy = momu_malloc_array(2 * s[k].n_env, sizeof *xy, e);
        if (!xy) { st = MOMU_ERR_OOM; break; }
        size_t np = 0;
        for (size_t i = 0; i < s[k].n_env; i++) {
            double t = (double)i / s[k].env_fps;
            if (t > seconds) break;
            xy[2 * np] = x0 + t * xs;
            xy[2 * np + 1] = bot - (bot - top) * (double)(s[k].env[i] / mx);
            np++;
        }
        if (np >= 2) momu_draw_polyline(&im, xy, np, 0, 1.0, axis, 1.0);
        free(xy);
        xy = NULL;
    }
    if (!st) st = momu_png_write(path, &im, e);
    momu_image_free(&im);
    return st;
}

/* Music onset envelope + beats, real dance speed + kinematic beats, and (gen_motion != NULL) the generated
 * dance's, for one segment. */
static momu_status make_plot(const char *path, const char *music, const char *motion, const char *gen_motion,
                             double seconds, momu_err *e) {
    float *x = NULL, *onset = NULL, *v[2] = {NULL, NULL};
    size_t n = 0, n_on = 0;
    double *beats = NULL, *kb[2] = {NULL, NULL}, bpm = 0;
    size_t n_beats = 0, n_kb[2] = {0, 0};
    momu_motion mo[2] = {{0}, {0}};
    strip_t s[3];
    size_t ns = 0;
    momu_status st = momu_audio_load(music, MOMU_ONSET_SR, &x, &n, e);
    if (!st) st = momu_onset_strength(x, n, MOMU_ONSET_SR, &onset, &n_on, e);
    if (!st) st = momu_beat_track(x, n, MOMU_ONSET_SR, NULL, &beats, &n_beats, &bpm, e);
    if (st) goto done;
    s[ns++] = (strip_t){onset, n_on, (double)MOMU_ONSET_SR / 512.0, beats, n_beats, {200, 40, 40}};
    const char *mp[2] = {motion, gen_motion};
    for (int k = 0; k < 2 && !st; k++) {
        if (!mp[k]) continue;
        st = momu_motion_load(mp[k], &mo[k], e);
        if (!st && mo[k].n_frames < 3) st = momu_fail(e, MOMU_ERR_RANGE, "%s: too short to plot", mp[k]);
        if (!st) {
            v[k] = momu_malloc_array(mo[k].n_frames - 1, sizeof *v[k], e);
            st = v[k] ? momu_motion_speed_smoothed(&mo[k], v[k], e) : MOMU_ERR_OOM;
        }
        if (!st) st = momu_motion_beats_speed(&mo[k], &kb[k], &n_kb[k], e);
        if (!st)
            s[ns++] = (strip_t){v[k], mo[k].n_frames - 1, mo[k].fps, kb[k], n_kb[k],
                                {(uint8_t)(k ? 40 : 30), (uint8_t)(k ? 140 : 90), (uint8_t)(k ? 60 : 200)}};
    }
    if (!st) st = plot_strips(path, s, ns, seconds, e);
done:
    free(x);
    free(onset);
    free(beats);
    for (int k = 0; k < 2; k++) {
        free(v[k]);
        free(kb[k]);
        momu_motion_free(&mo[k]);
    }
    return st;
}

/* ---- Markdown ------------------------------------------------------------------------------------------- */

static void fmt_num(char *b, size_t n, double v, int prec) {
    if (isfinite(v)) snprintf(b, n, "%.*f", prec, v);
    else snprintf(b, n, "n/a");
}

/* One table cell into the line. */
static void cell(FILE *f, double v, int prec) {
    char b[64];
    fmt_num(b, sizeof b, v, prec);
    fprintf(f, " %s |", b);
}

static void row_head(FILE *f, const row_t *r, double seconds, size_t seed, int seeded) {
    fprintf(f, "| %s | val | %.1f | %zu |", r->label, seconds, r->n);
    if (seeded) fprintf(f, " %zu+i |", seed);
    else fprintf(f, " — |");
}

static void dance_table(FILE *f, const row_t *rows, size_t n, double seconds, size_t seed) {
    fprintf(f, "| motion | split | clip s | clips | seed | BAS | LORIS BCS | LORIS BHS | LORIS F1 | beat F | sync | "
               "FID_k | FID_g | Div_k | Div_g | skate cm/s |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        if (!r->ok) { fprintf(f, "| %s | val | %.1f | — | — | %s |||||||||||\n", r->label, seconds, r->why); continue; }
        const momu_eval_summary *s = &r->s;
        row_head(f, r, seconds, seed, r->gen_s > 0);
        cell(f, s->bas_mean, 3);
        cell(f, 100 * s->loris.bcs, 1);
        cell(f, 100 * s->loris.bhs, 1);
        cell(f, 100 * s->loris.f1, 1);
        cell(f, s->beat_f_mean, 3);
        cell(f, s->sync_mean, 3);
        cell(f, s->has_fid_k ? s->fid_k.fid : NAN, 2);
        cell(f, s->has_fid_g ? s->fid_g.fid : NAN, 2);
        cell(f, s->has_fid_k ? s->fid_k.div_gen : NAN, 2);
        cell(f, s->has_fid_g ? s->fid_g.div_gen : NAN, 2);
        cell(f, s->skate_cm_s, 1);
        fputc('\n', f);
    }
}

static void music_table(FILE *f, const row_t *rows, size_t n, double seconds, size_t seed) {
    fprintf(f, "| music | split | clip s | clips | seed | beat F | LORIS F1 | BAS | sync | pulse | onset F vs ref | "
               "LORIS F1 vs ref | FAD stand-in |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        if (!r->ok) { fprintf(f, "| %s | val | %.1f | — | — | %s ||||||||\n", r->label, seconds, r->why); continue; }
        const momu_eval_summary *s = &r->s;
        row_head(f, r, seconds, seed, r->gen_s > 0);
        cell(f, s->beat_f_mean, 3);
        cell(f, 100 * s->loris.f1, 1);
        cell(f, s->bas_mean, 3);
        cell(f, s->sync_mean, 3);
        cell(f, s->pulse_mean, 3);
        cell(f, s->onset_f_mean, 3);
        cell(f, s->loris_music.n_clips ? 100 * s->loris_music.f1 : NAN, 1);
        cell(f, s->has_fad ? s->fad_standin : NAN, 2);
        fputc('\n', f);
    }
}

static void joint_table(FILE *f, const row_t *rows, size_t n, double seconds, size_t seed) {
    fprintf(f, "| pair | split | clip s | clips | seed | beat F | BAS | LORIS F1 | sync | pulse | FID_k | FAD stand-in |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        if (!r->ok) { fprintf(f, "| %s | val | %.1f | — | — | %s |||||||\n", r->label, seconds, r->why); continue; }
        const momu_eval_summary *s = &r->s;
        row_head(f, r, seconds, seed, r->gen_s > 0);
        cell(f, s->beat_f_mean, 3);
        cell(f, s->bas_mean, 3);
        cell(f, 100 * s->loris.f1, 1);
        cell(f, s->sync_mean, 3);
        cell(f, s->pulse_mean, 3);
        cell(f, s->has_fid_k ? s->fid_k.fid : NAN, 2);
        cell(f, s->has_fad ? s->fad_standin : NAN, 2);
        fputc('\n', f);
    }
}

/* ---- generation ----------------------------------------------------------------------------------------- */

typedef struct { momu_progress_t *p; size_t done, total; } gen_prog;

static int gen_progress(void *user, const char *stage, int step, int n_steps, int t) {
    (void)t;
    gen_prog *g = user;
    momu_progress(g->p, g->done, g->total, "%s step %d/%d", stage, step, n_steps);
    return 0;
}

typedef enum { GEN_DANCE, GEN_MUSIC, GEN_BOTH } gen_kind;

/* Generates one output per validation segment into files named by prefix; paths into out_music/out_motion
 * (NULL entries for the modality not produced). */
static momu_status gen_all(rep_state *R, const momu_generator *g, const momu_gen_opts *base, gen_kind kind,
                           const char *prefix, double seconds, char **out_music, char **out_motion, double *wall,
                           momu_err *e) {
    momu_progress_t prog;
    momu_progress_init(&prog, prefix);
    gen_prog gp = {&prog, 0, R->n_val};
    double t0 = momu_time_s();
    momu_status st = MOMU_OK;
    for (size_t i = 0; i < R->n_val && !st; i++) {
        momu_gen_opts o = *base;
        o.seed = base->seed + (int64_t)i;
        o.progress = gen_progress;
        o.progress_user = &gp;
        gp.done = i;
        float *pcm = NULL, *in = NULL;
        size_t n = 0, n_in = 0;
        momu_motion mo = {0}, gen = {0};
        char *pm = pool_printf(R, "%s/%s_%03zu.wav", R->work, prefix, i);
        char *pd = pool_printf(R, "%s/%s_%03zu.npy", R->work, prefix, i);
        if (!pm || !pd) { st = momu_fail(e, MOMU_ERR_OOM, "eval report: out of memory"); break; }
        if (kind == GEN_DANCE) {
            st = momu_audio_load(R->val[i].music, MOMU_SR, &in, &n_in, e);
            if (!st) st = momu_generate_dance(g, in, n_in, MOMU_SR, &o, NULL, &gen, e);
            if (!st) st = momu_motion_save(pd, &gen, e);
            out_motion[i] = pd;
        } else if (kind == GEN_MUSIC) {
            st = momu_motion_load(R->val[i].motion, &mo, e);
            if (!st) st = momu_generate_music(g, &mo, &o, NULL, 0, &pcm, &n, e);
            if (!st) st = momu_audio_write_wav(pm, pcm, n, MOMU_SR, e);
            out_music[i] = pm;
        } else {
            st = momu_generate_both(g, seconds, &o, &pcm, &n, &gen, e);
            if (!st) st = momu_audio_write_wav(pm, pcm, n, MOMU_SR, e);
            if (!st) st = momu_motion_save(pd, &gen, e);
            out_music[i] = pm;
            out_motion[i] = pd;
        }
        free(pcm);
        free(in);
        momu_motion_free(&mo);
        momu_motion_free(&gen);
    }
    momu_progress_end(&prog);
    *wall = momu_time_s() - t0;
    return st;
}

/* ---- main ----------------------------------------------------------------------------------------------- */

static int parse_tc(const char *s, double *tc, size_t *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v >= 0 && v <= 1) || *n >= MAX_TC) return 0;
        tc[(*n)++] = v;
        p = end;
        if (*p == ',') p++;
        else if (*p) return 0;
    }
    return *n > 0;
}

static void rep_free(rep_state *R) {
    momu_clip_list_free(&R->cl);
    free(R->align);
    free(R->is_val);
    free(R->val);
    free(R->mis);
    free(R->nn_music);
    free(R->nn_motion);
    for (size_t i = 0; i < R->n_pool; i++) free(R->pool[i]);
    free(R->pool);
}

/* Removes the files this run wrote into the work folder, then the folder (only if it was made here). */
static void work_cleanup(rep_state *R, int keep) {
    if (keep || !R->work[0]) return;
    for (size_t i = 0; i < R->n_pool; i++)
        if (!strncmp(R->pool[i], R->work, strlen(R->work))) remove(R->pool[i]);
    for (size_t i = 0; i < R->n_val; i++) {
        remove(R->val[i].music);
        remove(R->val[i].motion);
    }
    if (R->work_made) rmdir(R->work);
}

/* Validation segments in round-robin order over the validation songs (the first segment of every song,
 * then the second, ...), so that a --max-clips prefix spans as many songs as it can. */
static momu_status collect_val(rep_state *R, const rep_opts *O, momu_err *e) {
    size_t cap = 0;
    seg_t *all = NULL;
    size_t n_all = 0;
    momu_status st = MOMU_OK;
    momu_progress_t prog;
    momu_progress_init(&prog, "val clips");
    for (size_t c = 0; c < R->cl.n && !st; c++) {
        if (!R->is_val[c]) continue;
        clip_clock cc;
        if ((st = clip_load(R, &R->cl.clips[c], &cc, e))) break;
        size_t ns = clip_n_segments(&cc, R->L);
        for (size_t k = 0; k < ns && !st; k++) {
            if (n_all == cap) {
                cap = cap ? 2 * cap : 64;
                seg_t *p = realloc(all, cap * sizeof *p);
                if (!p) { st = momu_fail(e, MOMU_ERR_OOM, "eval report: out of memory"); break; }
                all = p;
            }
            seg_t *s = &all[n_all++];
            memset(s, 0, sizeof *s);
            s->clip = c;
            s->k = k;
            s->t0 = (double)(cc.i0 + k * R->L) / REP_FPS;
            snprintf(s->music, sizeof s->music, "%s/val_music_%s_%02zu.wav", R->work, R->cl.clips[c].name, k);
            snprintf(s->motion, sizeof s->motion, "%s/val_motion_%s_%02zu.npy", R->work, R->cl.clips[c].name, k);
            const float *pcm;
            momu_motion mo = {0};
            st = clip_segment(&cc, k, R->L, &pcm, &mo, e);
            if (!st) st = momu_audio_write_wav(s->music, pcm, R->L * SAMPLES_PER_FRAME, MOMU_SR, e);
            if (!st) st = momu_motion_save(s->motion, &mo, e);
            momu_motion_free(&mo);
        }
        momu_progress(&prog, c + 1, R->cl.n, "%s: %zu segments", R->cl.clips[c].name, ns);
        clip_clock_free(&cc);
    }
    momu_progress_end(&prog);
    if (st) { free(all); return st; }
    R->n_val_all = n_all;
    /* round-robin order over songs */
    R->val = momu_calloc_array(n_all ? n_all : 1, sizeof *R->val, e);
    int *taken = momu_calloc_array(n_all ? n_all : 1, sizeof *taken, e);
    if (!R->val || !taken) { free(all); free(taken); return MOMU_ERR_OOM; }
    size_t m = 0;
    for (size_t round = 0; m < n_all; round++) {
        for (size_t i = 0; i < n_all; i++) {
            if (taken[i] || all[i].k != round) continue;
            R->val[m++] = all[i];
            taken[i] = 1;
        }
    }
    free(taken);
    free(all);
    R->n_val = O->max_clips && O->max_clips < m ? O->max_clips : m;
    /* files of segments beyond --max-clips are not needed */
    for (size_t i = R->n_val; i < m; i++) {
        remove(R->val[i].music);
        remove(R->val[i].motion);
    }
    /* mismatched partner: the segment at the same position in the list of another song's segments (the
     * next validation song in list order, cyclically) */
    R->mis = momu_malloc_array(R->n_val ? R->n_val : 1, sizeof *R->mis, e);
    if (!R->mis) return MOMU_ERR_OOM;
    for (size_t i = 0; i < R->n_val; i++) {
        R->mis[i] = SIZE_MAX;
        for (size_t d = 1; d < R->n_val; d++) {
            size_t j = (i + d) % R->n_val;
            if (strcmp(R->cl.clips[R->val[j].clip].song, R->cl.clips[R->val[i].clip].song)) { R->mis[i] = j; break; }
        }
    }
    return MOMU_OK;
}

/* Train segments: features of all of them, then the files of the neighbours chosen for the validation
 * segments (nn_music_i.wav / nn_motion_i.npy: the train segment nearest by MOTION features gives its music,
 * the one nearest by MUSIC features gives its motion). */
static momu_status nn_baselines(rep_state *R, char **nn_dance, char **nn_music, momu_err *e) {
    size_t cap = 0, n = 0;
    double *fa = NULL, *fk = NULL;
    size_t *owner = NULL, *kk = NULL, dk = 0;
    momu_status st = MOMU_OK;
    momu_progress_t prog;
    momu_progress_init(&prog, "train clips");
    for (size_t c = 0; c < R->cl.n && !st; c++) {
        if (R->is_val[c]) continue;
        clip_clock cc;
        if ((st = clip_load(R, &R->cl.clips[c], &cc, e))) break;
        size_t ns = clip_n_segments(&cc, R->L);
        if (!dk) dk = cc.rm.n_joints * MOMU_KINETIC_PER_JOINT;
        for (size_t k = 0; k < ns && !st; k++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 128;
                double *a = realloc(fa, cap * MUSIC_FEAT_DIM * sizeof *a);
                if (a) fa = a;
                double *b = realloc(fk, cap * dk * sizeof *b);
                if (b) fk = b;
                size_t *o = realloc(owner, cap * sizeof *o);
                if (o) owner = o;
                size_t *q = realloc(kk, cap * sizeof *q);
                if (q) kk = q;
                if (!a || !b || !o || !q) { st = momu_fail(e, MOMU_ERR_OOM, "eval report: out of memory"); break; }
            }
            const float *pcm;
            momu_motion mo = {0};
            st = clip_segment(&cc, k, R->L, &pcm, &mo, e);
            if (!st && mo.n_joints * MOMU_KINETIC_PER_JOINT != dk)
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu joints, other clips differ", R->cl.clips[c].motion_path,
                               mo.n_joints);
            if (!st) st = seg_features(pcm, R->L * SAMPLES_PER_FRAME, &mo, fa + n * MUSIC_FEAT_DIM, fk + n * dk, e);
            momu_motion_free(&mo);
            owner[n] = c;
            kk[n] = k;
            n++;
        }
        momu_progress(&prog, c + 1, R->cl.n, "%s: %zu segments", R->cl.clips[c].name, ns);
        clip_clock_free(&cc);
    }
    momu_progress_end(&prog);
    R->n_train_segs = n;
    if (!st && n < 2) st = momu_fail(e, MOMU_ERR_STATE, "eval report: %zu train segments of the clip length; need 2", n);
    double *qa = NULL, *qk = NULL, *ma = NULL, *sa = NULL, *mk = NULL, *sk = NULL;
    if (!st) {
        qa = momu_malloc_array(R->n_val * MUSIC_FEAT_DIM + 1, sizeof *qa, e);
        qk = momu_malloc_array(R->n_val * dk + 1, sizeof *qk, e);
        ma = momu_malloc_array(MUSIC_FEAT_DIM, sizeof *ma, e);
        sa = momu_malloc_array(MUSIC_FEAT_DIM, sizeof *sa, e);
        mk = momu_malloc_array(dk, sizeof *mk, e);
        sk = momu_malloc_array(dk, sizeof *sk, e);
        R->nn_music = momu_malloc_array(R->n_val + 1, sizeof *R->nn_music, e);
        R->nn_motion = momu_malloc_array(R->n_val + 1, sizeof *R->nn_motion, e);
        if (!qa || !qk || !ma || !sa || !mk || !sk || !R->nn_music || !R->nn_motion) st = MOMU_ERR_OOM;
    }
    for (size_t i = 0; i < R->n_val && !st; i++) {
        float *pcm = NULL;
        size_t np = 0;
        momu_motion mo = {0};
        st = momu_audio_load(R->val[i].music, MOMU_SR, &pcm, &np, e);
        if (!st) st = momu_motion_load(R->val[i].motion, &mo, e);
        if (!st) st = seg_features(pcm, np, &mo, qa + i * MUSIC_FEAT_DIM, qk + i * dk, e);
        free(pcm);
        momu_motion_free(&mo);
    }
    if (!st) st = momu_eval_norm_stats(fa, n, MUSIC_FEAT_DIM, ma, sa, e);
    if (!st) st = momu_eval_norm_stats(fk, n, dk, mk, sk, e);
    if (!st) {
        momu_eval_normalise(fa, n, MUSIC_FEAT_DIM, ma, sa);
        momu_eval_normalise(qa, R->n_val, MUSIC_FEAT_DIM, ma, sa);
        momu_eval_normalise(fk, n, dk, mk, sk);
        momu_eval_normalise(qk, R->n_val, dk, mk, sk);
        for (size_t i = 0; i < R->n_val; i++) {
            R->nn_music[i] = nearest(qa + i * MUSIC_FEAT_DIM, fa, n, MUSIC_FEAT_DIM);   /* its motion: dance */
            R->nn_motion[i] = nearest(qk + i * dk, fk, n, dk);                           /* its music */
        }
    }
    /* write the chosen train segments, one pass over the train clips that hold any */
    for (size_t c = 0; c < R->cl.n && !st; c++) {
        int used = 0;
        for (size_t i = 0; i < R->n_val; i++) used |= owner[R->nn_music[i]] == c || owner[R->nn_motion[i]] == c;
        if (!used) continue;
        clip_clock cc;
        if ((st = clip_load(R, &R->cl.clips[c], &cc, e))) break;
        for (size_t i = 0; i < R->n_val && !st; i++)
            for (int which = 0; which < 2 && !st; which++) {
                size_t t = which ? R->nn_motion[i] : R->nn_music[i];
                if (owner[t] != c) continue;
                const float *pcm;
                momu_motion mo = {0};
                st = clip_segment(&cc, kk[t], R->L, &pcm, &mo, e);
                if (!st && which == 0) {
                    nn_dance[i] = pool_printf(R, "%s/nn_dance_%03zu.npy", R->work, i);
                    st = nn_dance[i] ? momu_motion_save(nn_dance[i], &mo, e) : MOMU_ERR_OOM;
                } else if (!st) {
                    nn_music[i] = pool_printf(R, "%s/nn_music_%03zu.wav", R->work, i);
                    st = nn_music[i] ? momu_audio_write_wav(nn_music[i], pcm, R->L * SAMPLES_PER_FRAME, MOMU_SR, e)
                                     : MOMU_ERR_OOM;
                }
                momu_motion_free(&mo);
            }
        clip_clock_free(&cc);
    }
    free(qa);
    free(qk);
    free(ma);
    free(sa);
    free(mk);
    free(sk);
    free(fa);
    free(fk);
    free(owner);
    free(kk);
    return st;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int cli_eval_report(int argc, char **argv);
int cli_eval_report(int argc, char **argv) {
    const char *cmd = "eval report";
    rep_opts O = {0};
    O.out_path = "docs/RESULTS.md";
    O.seconds = 10.0f;
    O.seed = 1;
    O.steps = 25;
    momu_gen_opts dflt;
    momu_gen_opts_default(&dflt);
    O.guidance = dflt.guidance;
    char g_default[64];
    snprintf(g_default, sizeof g_default, "%g,%g", (double)dflt.guidance_lo, (double)dflt.guidance_hi);
    const char *g_interval = g_default;
    O.tc_sweep = "0.3,0.5,0.7";
    O.ablation_label = "ablation (--ablation-model)";
    O.split_seed = 1;
    O.val_fraction = 0.15f;
    O.gl_iters = 0;
    const cli_opt opts[] = {
        {"data", CLI_STR, &O.data_dir, "Dance-with-Melody folder (paired clips; manifest.tsv gives the songs)"},
        {"align", CLI_STR, &O.align_path, "align.tsv of momu data align (the motion is re-timed as momu data prepare does)"},
        {"out", CLI_STR, &O.out_path, "Markdown report"},
        {"plot", CLI_STR, &O.plot_path, "PNG: music beats vs kinematic beats of the first validation segment"},
        {"model", CLI_STR, &O.model_dir, "model folder (default: the generator's model discovery)"},
        {"ablation-model", CLI_STR, &O.ablation_dir, "second model folder (e.g. trained without the contrastive loss)"},
        {"ablation-label", CLI_STR, &O.ablation_label, "the ablation rows' name in the tables"},
        {"no-model", CLI_FLAG, &O.no_model, "baselines only (no generated rows)"},
        {"seconds", CLI_FLOAT, &O.seconds, "segment length (non-overlapping segments of the validation clips)"},
        {"max-clips", CLI_SIZE, &O.max_clips, "use at most this many segments (0: all)"},
        {"seed", CLI_SIZE, &O.seed, "generation seed of segment 0 (segment i uses seed+i)"},
        {"steps", CLI_INT, &O.steps, "sampling steps"},
        {"guidance", CLI_FLOAT, &O.guidance, "CFG / cross-guidance scale"},
        {"guidance-interval", CLI_STR, &g_interval, "dance/music rows: LO,HI — CFG only for t in [LO*T, HI*T) "
                                                   "(momu generate --guidance-interval)"},
        {"gl-iters", CLI_SIZE, &O.gl_iters, "Griffin-Lim iterations for generated music (0: the generator's default)"},
        {"tc-sweep", CLI_STR, &O.tc_sweep, "joint generation: cross-guidance T_c fractions, comma-separated"},
        {"no-joint", CLI_FLAG, &O.no_joint, "skip the joint (both) table"},
        {"val-songs", CLI_SIZE, &O.val_songs, "validation songs (0: --val-fraction), as momu data prepare"},
        {"val-fraction", CLI_FLOAT, &O.val_fraction, "fraction of songs for validation, as momu data prepare"},
        {"split-seed", CLI_SIZE, &O.split_seed, "song split seed, as momu data prepare --seed"},
        {"commit", CLI_STR, &O.commit, "git commit to state in the header (git rev-parse --short HEAD)"},
        {"threads", CLI_STR, &O.threads, "machine / threads note for the header (default: OMP_NUM_THREADS, CPUs)"},
        {"work", CLI_STR, &O.work_dir, "folder for the evaluated WAV/NPY files (default: a temporary folder)"},
        {"keep", CLI_FLAG, &O.keep, "keep the work folder's files"},
    };
    int rc = cli_parse(argc, argv, opts, sizeof opts / sizeof *opts, NULL, 0, NULL, cmd,
                       "--data DWM_DIR --align align.tsv [--out docs/RESULTS.md] [--plot PNG] [--model DIR] "
                       "[--seconds 10] [--max-clips N] [options]");
    if (rc) return rc == 1 ? 0 : 2;
    if (!O.data_dir || !O.align_path) return cli_errorf(cmd, "--data and --align are required"), 2;
    if (!(O.seconds >= 1.0f && O.seconds <= 120.0f)) return cli_errorf(cmd, "--seconds %g outside [1, 120]", (double)O.seconds), 2;
    if (O.steps < 1 || O.steps > 1000) return cli_errorf(cmd, "--steps %d outside [1, 1000]", O.steps), 2;
    if (!(O.val_fraction >= 0 && O.val_fraction < 1)) return cli_errorf(cmd, "--val-fraction outside [0, 1)"), 2;
    double tc[MAX_TC];
    size_t n_tc = 0;
    if (!parse_tc(O.tc_sweep, tc, &n_tc))
        return cli_errorf(cmd, "--tc-sweep '%s': up to %d numbers in [0, 1], comma-separated", O.tc_sweep, MAX_TC), 2;
    if (O.no_model && O.ablation_dir) return cli_errorf(cmd, "--no-model and --ablation-model exclude each other"), 2;
    if (cli_parse_interval(g_interval, &O.guidance_lo, &O.guidance_hi))
        return cli_errorf(cmd, "--guidance-interval '%s': need LO,HI with 0 <= LO < HI <= 1", g_interval), 2;

    double t_start = momu_time_s();
    momu_err e = {0};
    rep_state R;
    memset(&R, 0, sizeof R);
    momu_generator G, GA;
    memset(&G, 0, sizeof G);
    memset(&GA, 0, sizeof GA);
    int have_g = 0, have_ga = 0;
    char model_dir[4200] = "";
    int ret = 1;
    momu_status st = MOMU_OK;
    /* rows: dance [gt, mismatched, nn, momu, ablation], music [same], joint [gt, mismatched, uncond, tc...] */
    row_t dance[5], music[5], joint[3 + MAX_TC];
    memset(dance, 0, sizeof dance);
    memset(music, 0, sizeof music);
    memset(joint, 0, sizeof joint);
    size_t n_joint = 0;
    double t_val = 0, t_train = 0, t_eval = 0, t_load = 0;
    char **col[12];
    memset(col, 0, sizeof col);
    enum { C_VAL_MU, C_VAL_MO, C_MIS_MU, C_MIS_MO, C_NN_DANCE, C_NN_MUSIC, C_GEN_DANCE, C_GEN_MUSIC, C_ABL_DANCE,
           C_ABL_MUSIC, C_BOTH_MU, C_BOTH_MO };
    double seconds = 0, t0 = 0;
    int have_mis = 1;
    momu_gen_opts go;
    momu_gen_opts_default(&go);
    double gen_s[5 + MAX_TC];
    memset(gen_s, 0, sizeof gen_s);
    char **both_mu[1 + MAX_TC], **both_mo[1 + MAX_TC];
    memset(both_mu, 0, sizeof both_mu);
    memset(both_mo, 0, sizeof both_mo);

    /* models first: a missing model is the most likely error, and should come before minutes of work */
    if (!O.no_model) {
        double tl = momu_time_s();
        momu_generator_files f = {0};
        if (O.model_dir) {
            /* a named folder may lack one denoiser (a model still in training): its rows say so */
            char p[4400];
            struct stat sb;
            snprintf(model_dir, sizeof model_dir, "%s", O.model_dir);
            snprintf(p, sizeof p, "%s/%s", O.model_dir, MOMU_GEN_FILE_NAMES[2]);
            f.skip_music_denoiser = stat(p, &sb) != 0;
            snprintf(p, sizeof p, "%s/%s", O.model_dir, MOMU_GEN_FILE_NAMES[3]);
            f.skip_motion_denoiser = stat(p, &sb) != 0;
            if (f.skip_music_denoiser && f.skip_motion_denoiser) {
                st = momu_fail(&e, MOMU_ERR_STATE, "%s: neither %s nor %s", O.model_dir, MOMU_GEN_FILE_NAMES[2],
                               MOMU_GEN_FILE_NAMES[3]);
                goto fail;
            }
        } else if ((st = momu_models_default_dir(NULL, model_dir, sizeof model_dir, &e))) {
            goto fail;
        }
        f.dir = model_dir;
        if ((st = momu_generator_load(&G, &f, &e))) goto fail;
        have_g = 1;
        if (O.ablation_dir) {
            char p[4400];
            struct stat sb;
            momu_generator_files fa = {0};
            fa.dir = O.ablation_dir;
            snprintf(p, sizeof p, "%s/%s", O.ablation_dir, MOMU_GEN_FILE_NAMES[2]);
            fa.skip_music_denoiser = stat(p, &sb) != 0;
            if ((st = momu_generator_load(&GA, &fa, &e))) goto fail;
            have_ga = 1;
        }
        t_load = momu_time_s() - tl;
        momu_log("eval report: models from %s (%.1f s)%s%s\n", model_dir, t_load, O.ablation_dir ? ", ablation from " : "",
                 O.ablation_dir ? O.ablation_dir : "");
    }

    /* data, split, alignment */
    if ((st = momu_data_scan(O.data_dir, &R.cl, &e))) goto fail;
    if ((st = momu_align_table_read(O.align_path, &R.align, &R.n_align, &e))) goto fail;
    for (size_t i = 0; i < R.cl.n; i++)
        if (!find_align(&R, R.cl.clips[i].name)) {
            st = momu_fail(&e, MOMU_ERR_FORMAT, "%s: no row for clip %s (re-run momu data align)", O.align_path,
                           R.cl.clips[i].name);
            goto fail;
        }
    R.is_val = momu_calloc_array(R.cl.n, sizeof *R.is_val, &e);
    if (!R.is_val) { st = MOMU_ERR_OOM; goto fail; }
    if ((st = momu_data_split_by_song(&R.cl, O.val_songs, O.val_fraction, O.split_seed, R.is_val, &e))) goto fail;
    for (size_t i = 0; i < R.cl.n; i++) {
        int first = 1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(R.cl.clips[k].song, R.cl.clips[i].song)) first = 0;
        if (first) { if (R.is_val[i]) R.n_val_songs++; else R.n_train_songs++; }
    }
    if (!R.n_val_songs) { st = momu_fail(&e, MOMU_ERR_STATE, "%s: the split leaves no validation song", O.data_dir); goto fail; }
    {
        long f = lround((double)O.seconds * REP_FPS);
        if (f < 2) f = 2;
        R.L = (size_t)(f + (f & 1));
    }
    seconds = (double)R.L / REP_FPS;
    /* work folder */
    if (O.work_dir) {
        snprintf(R.work, sizeof R.work, "%s", O.work_dir);
        struct stat sb;
        R.work_made = stat(R.work, &sb) != 0;
        if ((st = make_dir(R.work, &e))) goto fail;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(R.work, sizeof R.work, "%s/momu-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(R.work)) {
            st = momu_fail(&e, MOMU_ERR_IO, "%s: cannot create a temporary folder (%s)", R.work, strerror(errno));
            R.work[0] = 0;
            goto fail;
        }
        R.work_made = 1;
    }
    momu_log("eval report: %zu clips, %zu validation songs, %zu train songs; segments of %.2f s; work folder %s\n",
             R.cl.n, R.n_val_songs, R.n_train_songs, seconds, R.work);

    t0 = momu_time_s();
    if ((st = collect_val(&R, &O, &e))) goto fail;
    t_val = momu_time_s() - t0;
    if (R.n_val < 2) {
        st = momu_fail(&e, MOMU_ERR_STATE, "%s: %zu validation segments of %.2f s (need 2: shorter --seconds?)",
                       O.data_dir, R.n_val, seconds);
        goto fail;
    }
    momu_log("eval report: %zu validation segments of %.2f s (of %zu), %.1f s\n", R.n_val, seconds, R.n_val_all, t_val);
    for (size_t c = 0; c < 12; c++) {
        col[c] = momu_calloc_array(R.n_val, sizeof **col, &e);
        if (!col[c]) { st = MOMU_ERR_OOM; goto fail; }
    }
    for (size_t i = 0; i < R.n_val; i++) {
        col[C_VAL_MU][i] = R.val[i].music;
        col[C_VAL_MO][i] = R.val[i].motion;
        if (R.mis[i] == SIZE_MAX) { have_mis = 0; continue; }
        col[C_MIS_MU][i] = R.val[R.mis[i]].music;
        col[C_MIS_MO][i] = R.val[R.mis[i]].motion;
    }
    t0 = momu_time_s();
    if ((st = nn_baselines(&R, col[C_NN_DANCE], col[C_NN_MUSIC], &e))) goto fail;
    t_train = momu_time_s() - t0;
    momu_log("eval report: nearest neighbours among %zu train segments, %.1f s\n", R.n_train_segs, t_train);

    /* generation */
    go.steps = O.steps;
    go.guidance = O.guidance;
    go.guidance_lo = O.guidance_lo;
    go.guidance_hi = O.guidance_hi;
    go.seed = (int64_t)O.seed;
    if (O.gl_iters) go.gl_iters = O.gl_iters;
    if (have_g) {
        if (G.den_ok[MOMU_GEN_MOTION] &&
            (st = gen_all(&R, &G, &go, GEN_DANCE, "gen_dance", seconds, NULL, col[C_GEN_DANCE], &gen_s[0], &e)))
            goto fail;
        if (G.den_ok[MOMU_GEN_MUSIC] &&
            (st = gen_all(&R, &G, &go, GEN_MUSIC, "gen_music", seconds, col[C_GEN_MUSIC], NULL, &gen_s[1], &e)))
            goto fail;
        momu_log("eval report: generated dance %.1f s, music %.1f s (%zu segments)\n", gen_s[0], gen_s[1], R.n_val);
        if (have_ga) {
            if ((st = gen_all(&R, &GA, &go, GEN_DANCE, "abl_dance", seconds, NULL, col[C_ABL_DANCE], &gen_s[2], &e))) goto fail;
            if (GA.den_ok[MOMU_GEN_MUSIC] &&
                (st = gen_all(&R, &GA, &go, GEN_MUSIC, "abl_music", seconds, col[C_ABL_MUSIC], NULL, &gen_s[3], &e)))
                goto fail;
        }
        if (!O.no_joint && G.den_ok[MOMU_GEN_MUSIC] && G.den_ok[MOMU_GEN_MOTION])
            for (size_t k = 0; k <= n_tc; k++) {   /* k = 0: tc 0 (two independent unconditional samples) */
                both_mu[k] = momu_calloc_array(R.n_val, sizeof **both_mu, &e);
                both_mo[k] = momu_calloc_array(R.n_val, sizeof **both_mo, &e);
                if (!both_mu[k] || !both_mo[k]) { st = MOMU_ERR_OOM; goto fail; }
                momu_gen_opts gb = go;
                gb.tc = k ? (float)tc[k - 1] : 0.0f;
                char prefix[64];
                snprintf(prefix, sizeof prefix, "both_tc%03d", (int)lround(100 * gb.tc));
                if ((st = gen_all(&R, &G, &gb, GEN_BOTH, prefix, seconds, both_mu[k], both_mo[k], &gen_s[4 + k], &e)))
                    goto fail;
                momu_log("eval report: both, T_c %.2f: %.1f s\n", (double)gb.tc, gen_s[4 + k]);
            }
    }

    /* evaluation */
    t0 = momu_time_s();
    {
        typedef struct { row_t *r; const char *label; char **mu, **mo; double gen; int skip; const char *why; } plan_t;
        plan_t plan[32];
        size_t np = 0;
#define PLAN(row, lab, m_, d_, g_, skip_, why_) plan[np++] = (plan_t){row, lab, m_, d_, g_, skip_, why_}
        const char *no_model = O.no_model ? "not run (--no-model)" : "no model";
        const char *no_mis = "needs 2 validation songs";
        int g_dance = have_g && G.den_ok[MOMU_GEN_MOTION], g_music = have_g && G.den_ok[MOMU_GEN_MUSIC];
        const char *no_dance = have_g ? "no motion denoiser in the model folder" : no_model;
        const char *no_music = have_g ? "no music denoiser in the model folder" : no_model;
        const char *no_both = have_g ? "needs both denoisers" : no_model;
        PLAN(&dance[0], "ground truth (real aligned motion)", col[C_VAL_MU], col[C_VAL_MO], 0, 0, "");
        PLAN(&dance[1], "mismatched (another val song's motion)", col[C_VAL_MU], col[C_MIS_MO], 0, !have_mis, no_mis);
        PLAN(&dance[2], "NN retrieval (train motion of nearest music)", col[C_VAL_MU], col[C_NN_DANCE], 0, 0, "");
        PLAN(&dance[3], "momu (dance from music)", col[C_VAL_MU], col[C_GEN_DANCE], gen_s[0], !g_dance, no_dance);
        if (O.ablation_dir)
            PLAN(&dance[4], O.ablation_label, col[C_VAL_MU], col[C_ABL_DANCE], gen_s[2], !have_ga, no_model);
        PLAN(&music[0], "ground truth (real music)", col[C_VAL_MU], col[C_VAL_MO], 0, 0, "");
        PLAN(&music[1], "mismatched (another val song's music)", col[C_MIS_MU], col[C_VAL_MO], 0, !have_mis, no_mis);
        PLAN(&music[2], "NN retrieval (train music of nearest motion)", col[C_NN_MUSIC], col[C_VAL_MO], 0, 0, "");
        PLAN(&music[3], "momu (music from dance)", col[C_GEN_MUSIC], col[C_VAL_MO], gen_s[1], !g_music, no_music);
        if (O.ablation_dir)
            PLAN(&music[4], O.ablation_label, col[C_ABL_MUSIC], col[C_VAL_MO], gen_s[3],
                 !have_ga || !GA.den_ok[MOMU_GEN_MUSIC], "no music denoiser in the ablation folder");
        if (!O.no_joint) {
            PLAN(&joint[n_joint], "real pairs (reference)", col[C_VAL_MU], col[C_VAL_MO], 0, 0, "");
            n_joint++;
            PLAN(&joint[n_joint], "real, mismatched (chance)", col[C_VAL_MU], col[C_MIS_MO], 0, !have_mis, no_mis);
            n_joint++;
            PLAN(&joint[n_joint], "independent unconditional samples (T_c = 0)", both_mu[0], both_mo[0], gen_s[4],
                 !g_dance || !g_music, no_both);
            n_joint++;
            for (size_t k = 0; k < n_tc; k++) {
                char *lab = pool_printf(&R, "momu cross-guidance, T_c = %.2f", tc[k]);
                PLAN(&joint[n_joint], lab ? lab : "momu", both_mu[k + 1], both_mo[k + 1], gen_s[5 + k], !g_dance || !g_music,
                     no_both);
                n_joint++;
            }
        }
#undef PLAN
        momu_progress_t prog;
        momu_progress_init(&prog, "evaluate");
        for (size_t k = 0; k < np; k++) {
            row_t *r = plan[k].r;
            snprintf(r->label, sizeof r->label, "%s", plan[k].label);
            r->gen_s = plan[k].gen;
            if (plan[k].skip) { snprintf(r->why, sizeof r->why, "%s", plan[k].why); continue; }
            /* the same pairs evaluated twice (ground truth in several tables) reuse the first result */
            int reused = 0;
            for (size_t j = 0; j < k && !reused; j++)
                if (plan[j].r->ok && plan[j].mu == plan[k].mu && plan[j].mo == plan[k].mo) {
                    r->ok = 1;
                    r->n = plan[j].r->n;
                    r->s = plan[j].r->s;
                    reused = 1;
                }
            if (!reused && (st = eval_row(&R, r, plan[k].mu, plan[k].mo, &e))) goto fail;
            momu_progress(&prog, k + 1, np, "%s", r->label);
        }
        momu_progress_end(&prog);
    }
    t_eval = momu_time_s() - t0;

    /* plot: the first validation segment */
    if (O.plot_path) {
        st = make_plot(O.plot_path, R.val[0].music, R.val[0].motion, col[C_GEN_DANCE][0], seconds, &e);
        if (st) goto fail;
    }

    /* the report */
    {
        momu_atomic a;
        if ((st = momu_atomic_open(&a, O.out_path, &e))) goto fail;
        FILE *f = a.f;
        char date[64];
        time_t now = time(NULL);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
        char cmdline[4096];
        size_t off = (size_t)snprintf(cmdline, sizeof cmdline, "momu eval report");
        for (int i = 0; i < argc && off < sizeof cmdline; i++)   /* quoted where a shell would need it */
            off += (size_t)snprintf(cmdline + off, sizeof cmdline - off, strpbrk(argv[i], " \t\"'$&|;()<>*?`") ? " '%s'" : " %s",
                                    argv[i]);
        const char *omp = getenv("OMP_NUM_THREADS");
        char thr[256];
        if (O.threads) snprintf(thr, sizeof thr, "%s", O.threads);
        else snprintf(thr, sizeof thr, "OMP_NUM_THREADS=%s, %ld CPUs online", omp ? omp : "unset",
                      sysconf(_SC_NPROCESSORS_ONLN));
        fprintf(f, "# momu results on the Dance-with-Melody validation songs\n\n");
        fprintf(f, "Written by `momu eval report` (docs/EVAL.md, \"The results report\") on %s", date);
        if (O.commit) fprintf(f, ", commit `%s`", O.commit);
        fprintf(f, ". Machine: %s. Every figure below is measured by this run; none is typed in.\n\n", thr);
        fprintf(f, "Reproduce: `%s`\n\n", cmdline);
        fprintf(f, "- **Models**: ");
        if (have_g) {
            fprintf(f, "`%s/` (", model_dir);
            for (int i = 0; i < 4; i++) {
                int have = i < 2 || G.den_ok[i == 2 ? MOMU_GEN_MUSIC : MOMU_GEN_MOTION];
                fprintf(f, "%s`%s`%s", i ? ", " : "", MOMU_GEN_FILE_NAMES[i], have ? "" : " (missing)");
            }
            fprintf(f, "); latent channels %zu", G.C);
            if (have_ga) fprintf(f, "; ablation `%s/`", O.ablation_dir);
            fprintf(f, ". Sampling: %d steps, guidance %.2f", O.steps, (double)O.guidance);
            if (O.guidance_lo > 0 || O.guidance_hi < 1)
                fprintf(f, " (dance and music: only for t in [%.2f T, %.2f T), the conditional model alone elsewhere)",
                        (double)O.guidance_lo, (double)O.guidance_hi);
            fprintf(f, ", seed %zu + segment index, Griffin-Lim %zu iterations.\n", O.seed, go.gl_iters);
        } else {
            fprintf(f, "none (--no-model): baselines only.\n");
        }
        fprintf(f, "- **Data**: `%s`, %zu clips, %zu songs; split by song as `momu data prepare` splits it "
                   "(seed %zu, %zu validation songs, %zu train songs); motion re-timed onto the music clock with `%s` "
                   "(25 fps).\n",
                O.data_dir, R.cl.n, R.n_val_songs + R.n_train_songs, O.split_seed, R.n_val_songs, R.n_train_songs,
                O.align_path);
        fprintf(f, "- **Clips**: the validation clips cut into non-overlapping segments of %.2f s from their first "
                   "aligned frame: **%zu segments**; %s%zu used here (round-robin over the songs: validation clips ",
                seconds, R.n_val_all, O.max_clips && O.max_clips < R.n_val_all ? "--max-clips: " : "all ", R.n_val);
        for (size_t c = 0, first = 1; c < R.cl.n; c++)
            if (R.is_val[c]) {
                size_t k = 0;
                for (size_t i = 0; i < R.n_val; i++) k += R.val[i].clip == c;
                fprintf(f, "%s%s ×%zu", first ? "" : ", ", R.cl.clips[c].name, k);
                first = 0;
            }
        fprintf(f, "). Train split: %zu segments of the same length (the retrieval baselines).\n", R.n_train_segs);
        fprintf(f, "- **Audio**: every music (real and generated) is evaluated at 16 kHz, the models' rate; "
                   "motion at 25 fps, 23 joints.\n");
        fprintf(f, "- **Timings**: model load %.1f s, cutting the validation clips %.1f s, train features and "
                   "retrieval %.1f s, evaluation %.1f s, total %.1f s",
                t_load, t_val, t_train, t_eval, momu_time_s() - t_start);
        if (have_g) {
            fprintf(f, "; generation per %.1f-s segment:", seconds);
            if (G.den_ok[MOMU_GEN_MOTION]) fprintf(f, " dance %.2f s", gen_s[0] / (double)R.n_val);
            if (G.den_ok[MOMU_GEN_MUSIC]) fprintf(f, " music %.2f s", gen_s[1] / (double)R.n_val);
            if (gen_s[4] > 0) fprintf(f, " both %.2f s", gen_s[n_tc ? 5 : 4] / (double)R.n_val);
        }
        fprintf(f, ".\n\n");

        fprintf(f, "## Dance from music\n\nEach motion is judged against the segment's real music (validation "
                   "split, %.2f-s segments, %zu of them; FID/Div against the %zu real validation motions).\n\n",
                seconds, R.n_val, R.n_val);
        dance_table(f, dance, O.ablation_dir ? 5 : 4, seconds, O.seed);
        fprintf(f, "\n**How to read this.** The *mismatched* row is chance: real dancing, but to another song, so "
                   "any beat score it gets comes from the tempo statistics of ballroom dance and music alone. A "
                   "model has learnt something about rhythm only where it beats that row, and the ground-truth row "
                   "is the ceiling. On this data BAS, beat F and LORIS barely separate real from mismatched pairs "
                   "(BAS of a random phase is about σ√(2π)/beat period ≈ 0.25 with σ = 0.1 s; LORIS BHS saturates "
                   "because the kinematic amplitude peaks in almost every 1-s bin); the **sync score** is the "
                   "metric that does (near 0 for unrelated pairs; random alignments of real pairs have a 99th "
                   "percentile of about 0.08 in `momu data align`). *NN retrieval* copies the train dance whose "
                   "music is nearest in z-scored audio statistics (`momu_audio_stat_features`: per-band mel "
                   "mean/std, flux mean/std, pulse clarity): real motion, but not timed to this music. FID_k/FID_g "
                   "(lower is better) compare the motions with the real validation motions (0 for the ground "
                   "truth by construction, near 0 for the mismatched row, which re-pairs largely the same set of "
                   "real motions; the NN row shows how far other real dances are; FID on a few dozen clips is "
                   "noisy); Div "
                   "is the diversity of the row's motions (real validation: see the ground-truth row); foot "
                   "skate of the real ballroom data is far from 0 (gliding steps).\n\n");
        fprintf(f, "Reproduce: `%s`\n\n", cmdline);

        fprintf(f, "## Music from dance\n\nEach music is judged against the segment's real motion; \"vs ref\" "
                   "columns compare it with the segment's real music (validation split, %.2f-s segments, %zu of "
                   "them).\n\n", seconds, R.n_val);
        music_table(f, music, O.ablation_dir ? 5 : 4, seconds, O.seed);
        fprintf(f, "\n**How to read this.** Beat F is the ±70 ms F-measure between the music's tracked beats and "
                   "the dance's kinematic beats (speed minima), LORIS F1 (×100) the 1-s-bin score of the music's "
                   "onsets against the dance's kinematic-amplitude peaks, sync the envelope correlation; again the "
                   "*mismatched* row (real music of another song) is chance and the ground truth the ceiling. "
                   "*Pulse* is the music's pulse clarity, whatever the dance: the highest autocorrelation of its "
                   "onset flux at lags of 0.25–1.5 s — how steady a beat it has (real songs well above 0, music "
                   "without a steady beat near 0); beat F needs that beat, since the beat tracker can only follow "
                   "a pulse that is there. "
                   "*NN retrieval* is the music of the train segment whose motion is nearest in z-scored AIST++ "
                   "kinetic features. Onset F and LORIS F1 *vs ref* compare the music's onsets with the real "
                   "music's (1.0 / 100 for the ground truth). The FAD stand-in is a Fréchet distance of "
                   "per-segment mel statistics against the real validation music — a **stand-in for FAD** (no "
                   "pretrained audio embedding is available), not comparable with published FAD; lower is better, "
                   "0 for the ground truth by construction and near 0 for the mismatched row (largely the same set of music), and Griffin-Lim phase alone raises it for generated "
                   "music.\n\n");
        fprintf(f, "Reproduce: `%s`\n\n", cmdline);

        if (!O.no_joint) {
            fprintf(f, "## Joint generation (both)\n\n%.2f s of music and motion generated together, one sample "
                       "per segment slot (seed %zu + i), judged against each other (validation split for the "
                       "reference rows; FID_k and the FAD stand-in against the %zu real validation segments).\n\n",
                    seconds, O.seed, R.n_val);
            joint_table(f, joint, n_joint, seconds, O.seed);
            fprintf(f, "\n**How to read this.** The baseline is two *independent unconditional* samples: "
                       "`momu_generate_both` with T_c = 0, where cross-guidance never switches on, so each "
                       "denoiser runs on its learned null condition and the two chains never see each other (same "
                       "seeds as the cross-guided rows). Any beat agreement it shows is chance, as in the real "
                       "mismatched row. Cross-guidance guides each modality by the other's current clean estimate "
                       "for t < T_c·T, so larger T_c couples them for more of the trajectory; it has worked where "
                       "its beat F, BAS, LORIS F1 and above all its sync score beat the T_c = 0 row, ideally "
                       "approaching the real-pairs row. Pulse is the music's pulse clarity, as above. FID_k and the FAD "
                       "stand-in show what the coupling costs in realism.\n\n");
            fprintf(f, "Reproduce: `%s`\n\n", cmdline);
        }
        if (O.plot_path) {
            fprintf(f, "## Beats of one segment\n\n![music beats vs kinematic beats](%s)\n\n", base_name(O.plot_path));
            fprintf(f, "`%s`, segment at %.2f s on the music clock (%.2f s long): top, red — the music's onset "
                       "strength (librosa-compatible, 22050 Hz) with its tracked beats as ticks; middle, blue — the "
                       "real (aligned) dance's smoothed mean joint speed with its kinematic beats (speed minima) as "
                       "ticks%s. The music's beats are repeated faintly behind the dance strips; grey lines every second.\n",
                    R.cl.clips[R.val[0].clip].name, R.val[0].t0, seconds,
                    col[C_GEN_DANCE][0] ? "; bottom, green — the same for momu's dance generated from this music (seed as "
                             "above)" : "");
        }
        if ((st = momu_atomic_commit(&a, &e))) goto fail;
    }
    printf("wrote %s (%zu segments of %.2f s, %.1f s)%s%s\n", O.out_path, R.n_val, seconds, momu_time_s() - t_start,
           O.plot_path ? " and " : "", O.plot_path ? O.plot_path : "");
    ret = 0;
fail:
    if (ret) cli_error(cmd, &e);
    (void)st;
    work_cleanup(&R, O.keep);
    for (size_t c = 0; c < 12; c++) free(col[c]);
    for (size_t k = 0; k < 1 + MAX_TC; k++) {
        free(both_mu[k]);
        free(both_mo[k]);
    }
    if (have_g) momu_generator_free(&G);
    if (have_ga) momu_generator_free(&GA);
    rep_free(&R);
    return ret;
}
