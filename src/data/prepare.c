/* momu — prepared training windows (`momu data prepare`); every format is documented in docs/DATA.md.
 *
 * Clocks: the music clock is the reference. Motion is re-timed onto it at exactly 25 fps with the clip's
 * alignment (motion_time = scale * music_time + offset_s, momu/sync.h), so motion frame i and log-mel frames
 * 4i .. 4i+3 (100 fps) describe the same instant, and latent frame i/2 (12.5 Hz) both of them. Windows start
 * on even motion frames of the music clock and have an even length, so every window starts and ends on a
 * latent frame boundary (DESIGN.md §1: mel/8 = motion/2). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "momu/audio.h"
#include "momu/data.h"
#include "momu/motion.h"
#include "momu/npy.h"

#define PREP_FPS 25.0
#define MEL_PER_MOTION 4          /* 100 fps log-mel / 25 fps motion */
#define MOTION_STD_FLOOR 1e-2f    /* cm, cm/s, rad/s, contact: below this a feature is treated as constant */
#define MEL_STD_FLOOR 1e-3f       /* log10 units */

void momu_prepare_opts_default(momu_prepare_opts *o) {
    *o = (momu_prepare_opts){0};
    o->window_s = 10.0;
    o->stride_s = 5.0;
    o->val_fraction = 0.15;
    o->seed = 1;
}

/* ---- a streamed .npy writer: fixed 128-byte header rewritten with the final row count on close ---- */

typedef struct {
    momu_atomic a;
    size_t n_rows, d1, d2;  /* shape (n_rows, d1, d2) */
    int open;
} npy_stream;

static int host_is_le(void) {
    const uint16_t x = 1;
    return *(const uint8_t *)&x == 1;
}

static momu_status npy_header(npy_stream *s, momu_err *e) {
    char dict[128];
    int k = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu, %zu), }",
                     s->n_rows, s->d1, s->d2);
    if (k < 0 || k > 117) return momu_fail(e, MOMU_ERR_RANGE, "%s: shape too large for the header", s->a.path);
    unsigned char h[128];
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = 118;  /* header length, little-endian u16: 128 - 10 */
    h[9] = 0;
    memset(h + 10, ' ', 118);
    memcpy(h + 10, dict, (size_t)k);
    h[127] = '\n';
    if (fseek(s->a.f, 0, SEEK_SET) != 0 || fwrite(h, 1, 128, s->a.f) != 128)
        return momu_fail(e, MOMU_ERR_IO, "%s: write failed", s->a.path);
    return fseek(s->a.f, 0, SEEK_END) == 0 ? MOMU_OK : momu_fail(e, MOMU_ERR_IO, "%s: seek failed", s->a.path);
}

static momu_status npy_open(npy_stream *s, const char *dir, const char *name, size_t d1, size_t d2, momu_err *e) {
    char path[MOMU_DATA_PATH_MAX];
    memset(s, 0, sizeof *s);
    if (!host_is_le()) return momu_fail(e, MOMU_ERR_STATE, "data prepare: big-endian hosts are not supported");
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return momu_fail(e, MOMU_ERR_ARG, "%s/%s: path too long", dir, name);
    s->d1 = d1;
    s->d2 = d2;
    momu_status st = momu_atomic_open(&s->a, path, e);
    if (st) return st;
    s->open = 1;
    return npy_header(s, e);
}

static momu_status npy_append(npy_stream *s, const float *rows, size_t n_rows, momu_err *e) {
    size_t n = n_rows * s->d1 * s->d2;
    if (fwrite(rows, sizeof(float), n, s->a.f) != n) return momu_fail(e, MOMU_ERR_IO, "%s: write failed", s->a.path);
    s->n_rows += n_rows;
    return MOMU_OK;
}

static momu_status npy_close(npy_stream *s, momu_err *e) {
    if (!s->open) return MOMU_OK;
    s->open = 0;
    momu_status st = npy_header(s, e);
    if (st) { momu_atomic_abort(&s->a); return st; }
    return momu_atomic_commit(&s->a, e);
}

static void npy_abort(npy_stream *s) {
    if (s->open) momu_atomic_abort(&s->a);
    s->open = 0;
}

/* ---- running statistics (double, fixed order) ---- */

typedef struct { size_t dim, n; double *s, *ss; } run_stats;

static momu_status stats_init(run_stats *r, size_t dim, momu_err *e) {
    r->dim = dim;
    r->n = 0;
    r->s = momu_calloc_array(dim, sizeof(double), e);
    r->ss = momu_calloc_array(dim, sizeof(double), e);
    if (!r->s || !r->ss) { free(r->s); free(r->ss); r->s = r->ss = NULL; return MOMU_ERR_OOM; }
    return MOMU_OK;
}

static void stats_add(run_stats *r, const float *x, size_t n_rows) {
    for (size_t t = 0; t < n_rows; t++)
        for (size_t k = 0; k < r->dim; k++) {
            double v = x[t * r->dim + k];
            r->s[k] += v;
            r->ss[k] += v * v;
        }
    r->n += n_rows;
}

/* (2, dim) float32: row 0 mean, row 1 std (population, floored) — the layout of momu_feature_stats_save. */
static momu_status stats_write(const run_stats *r, const char *dir, const char *name, float floor_std, momu_err *e) {
    char path[MOMU_DATA_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (r->n == 0) return momu_fail(e, MOMU_ERR_STATE, "%s: no training frames to compute statistics from", path);
    float *ms = momu_malloc_array(2 * r->dim, sizeof(float), e);
    if (!ms) return MOMU_ERR_OOM;
    for (size_t k = 0; k < r->dim; k++) {
        double m = r->s[k] / (double)r->n, var = r->ss[k] / (double)r->n - m * m;
        double sd = var > 0 ? sqrt(var) : 0.0;
        ms[k] = (float)m;
        ms[r->dim + k] = sd > floor_std ? (float)sd : floor_std;
    }
    size_t shape[2] = {2, r->dim};
    momu_status st = momu_npy_write_f32(path, ms, 2, shape, e);
    free(ms);
    return st;
}

static void stats_free(run_stats *r) {
    free(r->s);
    free(r->ss);
    r->s = r->ss = NULL;
}

/* ---- helpers ---- */

static size_t even_frames(double seconds) {
    long f = lround(seconds * PREP_FPS);
    if (f < 2) f = 2;
    return (size_t)(f + (f & 1));
}

static momu_status make_dir(const char *dir, momu_err *e) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return MOMU_OK;
        return momu_fail(e, MOMU_ERR_IO, "%s: exists and is not a folder", dir);
    }
    if (mkdir(dir, 0777) != 0) return momu_fail(e, MOMU_ERR_IO, "%s: cannot create folder (%s)", dir, strerror(errno));
    return MOMU_OK;
}

static momu_status load_mel(const char *path, float **mel, size_t *nf, momu_err *e) {
    float *x = NULL;
    size_t n = 0;
    momu_status st = momu_audio_load(path, MOMU_SR, &x, &n, e);
    if (!st) st = momu_logmel(x, n, mel, nf, e);
    free(x);
    return st;
}

typedef struct {
    npy_stream motion[2], mel[2], mo_mel;  /* [0] train, [1] val */
    momu_atomic index[2], mo_index;
    run_stats mstats, fstats;              /* mel per band, motion features */
    size_t n_win[2], n_mo;
} prep_out;

/* Writes the windows of one (possibly mirrored) feature sequence: feat (n, D) on the music clock starting at
 * music-clock motion frame i0; mel (nf, 80) of the whole clip. */
static momu_status write_windows(prep_out *P, int sp, const momu_clip *c, int mirrored, double tempo,
                                 const float *feat, size_t n, size_t D, size_t i0, const float *mel, size_t W,
                                 size_t S, size_t *used, momu_err *e) {
    momu_status st = MOMU_OK;
    *used = 0;
    for (size_t s = 0; s + W <= n && !st; s += S) {
        const float *mw = mel + (i0 + s) * MEL_PER_MOTION * MOMU_N_MELS;
        if ((st = npy_append(&P->motion[sp], feat + s * D, 1, e)) || (st = npy_append(&P->mel[sp], mw, 1, e))) break;
        fprintf(P->index[sp].f, "%zu\t%s\t%s\t%.2f\t%zu\t%zu\t%d\t%.4f\n", P->n_win[sp], c->name, c->song,
                (double)(i0 + s) / PREP_FPS, i0 + s, (i0 + s) * MEL_PER_MOTION, mirrored, tempo);
        P->n_win[sp]++;
        *used = s + W;
    }
    return st;
}

/* Mel of a tempo-changed version: frame k of the result samples the original at frame tempo*k (linear
 * interpolation in the log domain, which keeps the pitch; a phase vocoder is not needed for a mel).
 * n_out = floor((nf - 1) / tempo) + 1. */
static float *stretch_mel(const float *mel, size_t nf, double tempo, size_t *n_out, momu_err *e) {
    size_t n = (size_t)floor((double)(nf - 1) / tempo + 1e-9) + 1;
    float *y = momu_malloc_array(n * MOMU_N_MELS, sizeof(float), e);
    if (!y) return NULL;
    for (size_t k = 0; k < n; k++) {
        double p = tempo * (double)k;
        size_t i = (size_t)p;
        double f = p - (double)i;
        if (i + 1 >= nf) { i = nf - 1; f = 0; }
        const float *a = mel + i * MOMU_N_MELS, *b = mel + (f > 0 ? i + 1 : i) * MOMU_N_MELS;
        for (size_t j = 0; j < MOMU_N_MELS; j++) y[k * MOMU_N_MELS + j] = (float)((1.0 - f) * a[j] + f * b[j]);
    }
    *n_out = n;
    return y;
}

/* One clip on one clock: tempo 1 is the music as it is; tempo f plays music and motion f times faster
 * (music time t = f*u of the new clock u, so motion_time = scale*f*u + offset). */
static momu_status clip_on_clock(prep_out *P, const momu_clip *c, int is_val, const momu_motion *m, const float *mel,
                                 size_t nf, double scale, double offset, double tempo, int mirror, size_t W, size_t S,
                                 size_t *n_windows, momu_err *e) {
    momu_motion rm = {0};
    float *feat = NULL;
    double sc = scale * tempo;
    /* music-clock frames i (time i/25) whose motion time sc*i/25 + offset lies inside the motion */
    double last = (double)(m->n_frames - 1) / m->fps;
    double lo = ceil(fmax(0.0, -offset * PREP_FPS / sc) - 1e-9);
    double hi = floor((last - offset) * PREP_FPS / sc + 1e-9);
    double mel_hi = (double)(nf / MEL_PER_MOTION) - 1; /* mel frames 4i..4i+3 must exist */
    if (hi > mel_hi) hi = mel_hi;
    size_t i0 = (size_t)lo;
    i0 += i0 & 1;  /* start on a latent frame (even motion frame of the music clock) */
    size_t n = hi >= (double)i0 ? (size_t)(hi - (double)i0) + 1 : 0;
    if (tempo == 1.0) {
        /* mismatched lengths: durations that differ by more than max(3 s, 10 %), or an overlap of less than
         * half the shorter input after alignment, mean a wrong pairing or a wrong alignment, not a trim */
        double mus_s = (double)(nf - 1) / 100.0, mot_s = (double)m->n_frames / m->fps;
        if (fabs(mus_s - mot_s) > fmax(3.0, 0.1 * fmax(mus_s, mot_s)) || (double)n / PREP_FPS < 0.5 * fmin(mus_s, mot_s))
            return momu_fail(e, MOMU_ERR_RANGE,
                             "%s: motion (%.1f s) and music %s (%.1f s) overlap for only %.1f s after alignment (scale "
                             "%.4f, offset %.2f s): mismatched lengths or a wrong alignment",
                             c->motion_path, mot_s, c->music_path, mus_s, (double)n / PREP_FPS, scale, offset);
    }
    if (n < W) {
        momu_logv("data prepare: %s (tempo %g): %zu frames after alignment, shorter than a window: skipped\n", c->name,
                  tempo, n);
        return MOMU_OK;
    }
    /* motion_time = sc*(offset/sc + t), t = (i0 + k)/25: momu_motion_resample's t = time_scale*(offset_s + k/fps) */
    momu_status st = momu_motion_resample(m, sc, offset / sc + (double)i0 / PREP_FPS, (float)PREP_FPS, n, &rm, e);
    if (st) return st;
    size_t D = momu_features_dim(rm.n_joints);
    if (D != P->motion[0].d2) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu joints (feature dim %zu), other clips have feature dim %zu",
                       c->motion_path, rm.n_joints, D, P->motion[0].d2);
        goto done;
    }
    feat = momu_malloc_array(n * D, sizeof(float), e);
    if (!feat) { st = MOMU_ERR_OOM; goto done; }
    for (int pass = 0; pass < (mirror && !is_val ? 2 : 1) && !st; pass++) {
        if (pass == 1 && (st = momu_motion_mirror(&rm, momu_dwm_mirror_map(), e))) break;
        if ((st = momu_motion_to_features(&rm, feat, e))) break;
        size_t used = 0, before = P->n_win[is_val];
        st = write_windows(P, is_val, c, pass, tempo, feat, n, D, i0, mel, W, S, &used, e);
        *n_windows += P->n_win[is_val] - before;
        if (!st && !is_val) {
            /* TRAIN statistics over the frames the windows cover, each frame once per copy; the mel once */
            stats_add(&P->fstats, feat, used);
            if (pass == 0 && tempo == 1.0)
                stats_add(&P->mstats, mel + i0 * MEL_PER_MOTION * MOMU_N_MELS, used * MEL_PER_MOTION);
        }
    }
done:
    free(feat);
    momu_motion_free(&rm);
    return st;
}

static momu_status prepare_clip(prep_out *P, const momu_clip *c, int is_val, double scale, double offset,
                                const momu_prepare_opts *o, size_t W, size_t S, size_t *n_windows, momu_err *e) {
    *n_windows = 0;
    float *mel = NULL;
    size_t nf = 0;
    momu_motion m = {0};
    momu_status st = load_mel(c->music_path, &mel, &nf, e);
    if (!st) st = momu_motion_load(c->motion_path, &m, e);
    if (!st && (m.n_frames < 2 || nf < 2))
        st = momu_fail(e, MOMU_ERR_RANGE, "%s: %zu frames, need at least 2", c->motion_path, m.n_frames);
    if (!st) st = clip_on_clock(P, c, is_val, &m, mel, nf, scale, offset, 1.0, o->mirror, W, S, n_windows, e);
    for (size_t k = 0; !st && !is_val && k < o->n_tempo; k++) {
        size_t n2 = 0, nw = 0;
        float *mel2 = stretch_mel(mel, nf, o->tempo[k], &n2, e);
        if (!mel2) { st = MOMU_ERR_OOM; break; }
        st = clip_on_clock(P, c, is_val, &m, mel2, n2, scale, offset, o->tempo[k], o->mirror, W, S, &nw, e);
        *n_windows += nw;
        free(mel2);
    }
    free(mel);
    momu_motion_free(&m);
    return st;
}

static momu_status prepare_music_only(prep_out *P, const char *dir, size_t W, size_t S, momu_err *e) {
    char **paths = NULL;
    size_t n = 0;
    momu_status st = momu_data_scan_audio(dir, &paths, &n, e);
    for (size_t i = 0; i < n && !st; i++) {
        float *mel = NULL;
        size_t nf = 0;
        if ((st = load_mel(paths[i], &mel, &nf, e))) break;
        size_t WM = W * MEL_PER_MOTION, SM = S * MEL_PER_MOTION;
        for (size_t s = 0; s + WM <= nf && !st; s += SM) {
            st = npy_append(&P->mo_mel, mel + s * MOMU_N_MELS, 1, e);
            fprintf(P->mo_index.f, "%zu\t%s\t%.2f\t%zu\n", P->n_mo, paths[i], (double)s / 100.0, s);
            P->n_mo++;
        }
        free(mel);
    }
    momu_data_free_paths(paths, n);
    return st;
}

static const momu_align_row *find_row(const momu_align_row *rows, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].name, name)) return &rows[i];
    return NULL;
}

momu_status momu_data_prepare(const momu_prepare_opts *o, momu_prepare_summary *sum, momu_err *e) {
    memset(sum, 0, sizeof *sum);
    if (!o || !o->data_dir || !o->out_dir) return momu_fail(e, MOMU_ERR_ARG, "data prepare: --data and --out are required");
    if (o->n_tempo > 8) return momu_fail(e, MOMU_ERR_ARG, "data prepare: at most 8 tempo factors");
    for (size_t k = 0; k < o->n_tempo; k++)
        if (!(o->tempo[k] >= 0.8 && o->tempo[k] <= 1.25) || o->tempo[k] == 1.0)
            return momu_fail(e, MOMU_ERR_ARG, "data prepare: tempo factor %g outside [0.8, 1.25] or equal to 1", o->tempo[k]);
    if (!(o->window_s > 0 && o->window_s <= 600) || !(o->stride_s > 0 && o->stride_s <= 600))
        return momu_fail(e, MOMU_ERR_ARG, "data prepare: window %g s / stride %g s outside (0, 600]", o->window_s, o->stride_s);
    size_t W = even_frames(o->window_s), S = even_frames(o->stride_s);
    sum->window_frames = W;
    sum->stride_frames = S;
    momu_clip_list cl = {0};
    momu_align_row *rows = NULL;
    size_t n_rows = 0;
    int *is_val = NULL;
    prep_out P;
    memset(&P, 0, sizeof P);
    momu_status st = momu_data_scan(o->data_dir, &cl, e);
    if (!st && o->align_path) st = momu_align_table_read(o->align_path, &rows, &n_rows, e);
    if (!st && !o->align_path)
        momu_log("data prepare: no --align table: every clip is used as shipped (scale 1, offset 0)\n");
    for (size_t i = 0; !st && rows && i < cl.n; i++)
        if (!find_row(rows, n_rows, cl.clips[i].name))
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no row for clip %s (re-run momu data align)", o->align_path,
                           cl.clips[i].name);
    if (!st) {
        is_val = momu_calloc_array(cl.n, sizeof *is_val, e);
        if (!is_val) st = MOMU_ERR_OOM;
    }
    if (!st) st = momu_data_split_by_song(&cl, o->val_songs, o->val_fraction, o->seed, is_val, e);
    if (!st) st = make_dir(o->out_dir, e);
    /* the feature dimension comes from the first clip's joint count; others must match */
    size_t D = 0;
    if (!st) {
        momu_motion m0 = {0};
        st = momu_motion_load(cl.clips[0].motion_path, &m0, e);
        if (!st) D = momu_features_dim(m0.n_joints);
        momu_motion_free(&m0);
    }
    sum->motion_dim = D;
    const char *sp_name[2] = {"train", "val"};
    char name[64], path[MOMU_DATA_PATH_MAX];
    for (int sp = 0; sp < 2 && !st; sp++) {
        snprintf(name, sizeof name, "%s_motion.npy", sp_name[sp]);
        if ((st = npy_open(&P.motion[sp], o->out_dir, name, W, D, e))) break;
        snprintf(name, sizeof name, "%s_mel.npy", sp_name[sp]);
        if ((st = npy_open(&P.mel[sp], o->out_dir, name, W * MEL_PER_MOTION, MOMU_N_MELS, e))) break;
        snprintf(path, sizeof path, "%s/%s_index.tsv", o->out_dir, sp_name[sp]);
        if ((st = momu_atomic_open(&P.index[sp], path, e))) break;
        fprintf(P.index[sp].f, "window\tclip\tsong\tstart_s\tstart_motion_frame\tstart_mel_frame\tmirrored\ttempo\n");
    }
    if (!st) st = stats_init(&P.mstats, MOMU_N_MELS, e);
    if (!st) st = stats_init(&P.fstats, D ? D : 1, e);
    size_t *n_clip_win = st ? NULL : momu_calloc_array(cl.n, sizeof(size_t), e);
    if (!st && !n_clip_win) st = MOMU_ERR_OOM;
    momu_progress_t prog;
    momu_progress_init(&prog, "prepare");
    for (size_t i = 0; i < cl.n && !st; i++) {
        const momu_align_row *r = rows ? find_row(rows, n_rows, cl.clips[i].name) : NULL;
        double scale = r ? r->a.scale : 1.0, off = r ? r->a.offset_s : 0.0;
        st = prepare_clip(&P, &cl.clips[i], is_val[i], scale, off, o, W, S, &n_clip_win[i], e);
        momu_progress(&prog, i + 1, cl.n, "%s: %zu windows (%s)", cl.clips[i].name, n_clip_win[i],
                      is_val[i] ? "val" : "train");
    }
    momu_progress_end(&prog);
    if (!st && o->n_music_only) {
        if (!(st = npy_open(&P.mo_mel, o->out_dir, "music_only_mel.npy", W * MEL_PER_MOTION, MOMU_N_MELS, e))) {
            snprintf(path, sizeof path, "%s/music_only_index.tsv", o->out_dir);
            if (!(st = momu_atomic_open(&P.mo_index, path, e)))
                fprintf(P.mo_index.f, "window\tfile\tstart_s\tstart_mel_frame\n");
        }
        for (size_t k = 0; k < o->n_music_only && !st; k++) st = prepare_music_only(&P, o->music_only_dirs[k], W, S, e);
    }
    /* statistics of the TRAIN split only */
    if (!st) st = stats_write(&P.fstats, o->out_dir, "motion_stats.npy", MOTION_STD_FLOOR, e);
    if (!st) st = stats_write(&P.mstats, o->out_dir, "mel_stats.npy", MEL_STD_FLOOR, e);
    /* split.tsv */
    if (!st) {
        momu_atomic a;
        snprintf(path, sizeof path, "%s/split.tsv", o->out_dir);
        if (!(st = momu_atomic_open(&a, path, e))) {
            fprintf(a.f, "clip\tsong\tstyle\tsplit\twindows\tscale\toffset_s\n");
            for (size_t i = 0; i < cl.n; i++) {
                const momu_align_row *r = rows ? find_row(rows, n_rows, cl.clips[i].name) : NULL;
                fprintf(a.f, "%s\t%s\t%s\t%s\t%zu\t%.5f\t%.3f\n", cl.clips[i].name, cl.clips[i].song,
                        cl.clips[i].style, is_val[i] ? "val" : "train", n_clip_win[i], r ? r->a.scale : 1.0,
                        r ? r->a.offset_s : 0.0);
            }
            st = momu_atomic_commit(&a, e);
        }
    }
    /* counts and songs */
    if (!st) {
        sum->n_train_windows = P.n_win[0];
        sum->n_val_windows = P.n_win[1];
        sum->n_music_only_windows = P.n_mo;
        for (size_t i = 0; i < cl.n; i++) {
            int first = 1;
            for (size_t k = 0; k < i; k++)
                if (!strcmp(cl.clips[k].song, cl.clips[i].song)) first = 0;
            if (first) { if (is_val[i]) sum->n_val_songs++; else sum->n_train_songs++; }
        }
    }
    /* close the data files, then prepare.json last: its presence marks a complete folder */
    for (int sp = 0; sp < 2; sp++) {
        if (!st) st = npy_close(&P.motion[sp], e); else npy_abort(&P.motion[sp]);
        if (!st) st = npy_close(&P.mel[sp], e); else npy_abort(&P.mel[sp]);
        if (P.index[sp].f) { if (!st) st = momu_atomic_commit(&P.index[sp], e); else momu_atomic_abort(&P.index[sp]); }
    }
    if (!st) st = npy_close(&P.mo_mel, e); else npy_abort(&P.mo_mel);
    if (P.mo_index.f) { if (!st) st = momu_atomic_commit(&P.mo_index, e); else momu_atomic_abort(&P.mo_index); }
    if (!st) {
        momu_atomic a;
        snprintf(path, sizeof path, "%s/prepare.json", o->out_dir);
        if (!(st = momu_atomic_open(&a, path, e))) {
            fprintf(a.f,
                    "{\n  \"format\": \"momu-prepared\", \"version\": 1,\n"
                    "  \"motion_fps\": 25, \"mel_fps\": 100, \"latent_fps\": 12.5, \"n_mels\": %d,\n"
                    "  \"sample_rate\": %d, \"n_fft\": %d, \"hop\": %d,\n"
                    "  \"window_motion_frames\": %zu, \"window_mel_frames\": %zu, \"stride_motion_frames\": %zu,\n"
                    "  \"motion_dim\": %zu, \"n_joints\": %zu,\n"
                    "  \"align\": \"%s\", \"clock\": \"motion_time = scale * music_time + offset_s\",\n"
                    "  \"split_rule\": \"songs sorted, shuffled with momu_rng seed, first n_val are validation\",\n"
                    "  \"seed\": %llu, \"val_songs\": %zu, \"train_songs\": %zu, \"mirror\": %d, \"tempo_factors\": %zu,\n"
                    "  \"train_windows\": %zu, \"val_windows\": %zu, \"music_only_windows\": %zu,\n"
                    "  \"motion_stats_std_floor\": %g, \"mel_stats_std_floor\": %g\n}\n",
                    MOMU_N_MELS, MOMU_SR, MOMU_N_FFT, MOMU_HOP, W, W * MEL_PER_MOTION, S, D, D >= 8 ? (D - 8) / 6 : 0,
                    o->align_path ? "applied" : "none (scale 1, offset 0)", (unsigned long long)o->seed,
                    sum->n_val_songs, sum->n_train_songs, o->mirror, o->n_tempo, P.n_win[0], P.n_win[1], P.n_mo,
                    (double)MOTION_STD_FLOOR, (double)MEL_STD_FLOOR);
            st = momu_atomic_commit(&a, e);
        }
    }
    stats_free(&P.mstats);
    stats_free(&P.fstats);
    free(n_clip_win);
    free(is_val);
    free(rows);
    momu_clip_list_free(&cl);
    return st;
}
