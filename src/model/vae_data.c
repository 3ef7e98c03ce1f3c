/* Prepared-data loader and batch sampler for the VAE trainer (include/momu/vae_train.h).
 * Dimensions: N windows, W motion frames, 4W mel frames, M mel bands, D motion features, L crop frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/bicor.h"
#include "momu/npy.h"
#include "momu/vae_train.h"

static momu_status load_npy(const char *dir, const char *name, momu_npy *a, momu_err *e) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return momu_npy_read(path, a, 1, e);
}

/* (N, rows, cols) with rows/cols as expected (0: any); takes ownership of the data. */
static momu_status take3(momu_npy *a, const char *dir, const char *name, size_t rows, size_t cols, float **out,
                         size_t *n, size_t *r_out, size_t *c_out, momu_err *e) {
    if (a->ndim != 3 || (rows && a->shape[1] != rows) || (cols && a->shape[2] != cols)) {
        momu_status st = momu_fail(e, MOMU_ERR_FORMAT, "%s/%s: shape (%zu, %zu, %zu) with ndim %d, expected (N, %zu, %zu)",
                                   dir, name, a->ndim > 0 ? a->shape[0] : 0, a->ndim > 1 ? a->shape[1] : 0,
                                   a->ndim > 2 ? a->shape[2] : 0, a->ndim, rows, cols);
        momu_npy_free(a);
        return st;
    }
    *out = a->data;
    a->data = NULL;
    *n = a->shape[0];
    if (r_out) *r_out = a->shape[1];
    if (c_out) *c_out = a->shape[2];
    return MOMU_OK;
}

static void normalise(float *x, size_t rows, size_t dim, const float *mean, const float *std) {
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < dim; k++) x[r * dim + k] = (x[r * dim + k] - mean[k]) / std[k];
}

/* {split}_index.tsv: clip column -> clip numbers in order of first appearance; start_motion_frame column. */
static momu_status read_index(const char *dir, const char *split, size_t N, size_t **clip, size_t **start,
                              size_t *n_clips, momu_err *e) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s_index.tsv", dir, split);
    unsigned char *txt = NULL;
    size_t len = 0;
    momu_status st = momu_read_file(path, (size_t)64 << 20, &txt, &len, e);
    if (st) return st;
    *clip = momu_calloc_array(N + 1, sizeof(size_t), e);
    *start = momu_calloc_array(N + 1, sizeof(size_t), e);
    char **names = momu_calloc_array(N + 1, sizeof(char *), e);
    if (!*clip || !*start || !names) { free(txt); free(names); return MOMU_ERR_OOM; }
    size_t row = 0, line = 0, nn = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)txt, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save), line++) {
        if (line == 0) continue;
        if (row >= N) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: more rows than the %zu windows of %s_mel.npy", path, N, split); break; }
        char *col[8] = {0};
        size_t nc = 0;
        for (char *c = ln; c && nc < 8; nc++) {
            col[nc] = c;
            c = strchr(c, '\t');
            if (c) *c++ = 0;
        }
        if (nc < 2) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: no clip column", path, line + 1); break; }
        size_t k = 0;
        while (k < nn && strcmp(names[k], col[1])) k++;
        if (k == nn) names[nn++] = col[1];
        (*clip)[row] = k;
        (*start)[row] = nc >= 5 ? (size_t)strtoull(col[4], NULL, 10) : 0;
        row++;
    }
    if (!st && row != N) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: %zu rows, %s_mel.npy has %zu windows", path, row, split, N);
    *n_clips = nn;
    free(names);
    free(txt);
    return st;
}

static momu_status compute_q(const float *raw, size_t N, size_t W, size_t D, size_t J, float **q, momu_err *e) {
    *q = momu_malloc_array(N * W + 1, sizeof(float), e);
    if (!*q) return MOMU_ERR_OOM;
    for (size_t n = 0; n < N; n++) {
        momu_status st = momu_bicor_feature_q(raw + n * W * D, W, J, MOMU_DWM_FPS, *q + n * W, e);
        if (st) return st;
    }
    return MOMU_OK;
}

momu_status momu_vae_data_load(const char *dir, int with_motion, momu_vae_data *d, momu_err *e) {
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    char path[1200];
    snprintf(path, sizeof path, "%s/prepare.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return momu_fail(e, MOMU_ERR_IO, "%s: missing (not a complete prepared folder; run `momu data prepare`)", path);
    fclose(f);
    momu_npy a = {0};
    momu_status st;
    size_t M = 0, T4 = 0, n = 0;
    if ((st = load_npy(dir, "train_mel.npy", &a, e)) ||
        (st = take3(&a, dir, "train_mel.npy", 0, 0, &d->train_mel, &d->n_train, &T4, &M, e)))
        goto fail;
    if (T4 % 4 || !T4 || !d->n_train) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s/train_mel.npy: %zu windows of %zu mel frames (expected a multiple of 4)", dir, d->n_train, T4); goto fail; }
    d->W = T4 / 4;
    d->M = M;
    if ((st = load_npy(dir, "val_mel.npy", &a, e)) ||
        (st = take3(&a, dir, "val_mel.npy", T4, M, &d->val_mel, &d->n_val, NULL, NULL, e)))
        goto fail;
    snprintf(path, sizeof path, "%s/music_only_mel.npy", dir);
    if ((f = fopen(path, "rb"))) {
        fclose(f);
        if ((st = load_npy(dir, "music_only_mel.npy", &a, e)) ||
            (st = take3(&a, dir, "music_only_mel.npy", T4, M, &d->music_only_mel, &d->n_music_only, NULL, NULL, e)))
            goto fail;
    }
    if ((st = load_npy(dir, "mel_stats.npy", &a, e))) goto fail;
    if (a.ndim != 2 || a.shape[0] != 2 || a.shape[1] != M) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s/mel_stats.npy: expected shape (2, %zu)", dir, M);
        momu_npy_free(&a);
        goto fail;
    }
    d->mel_mean = a.data;
    d->mel_std = a.data + M;
    a.data = NULL;
    for (size_t k = 0; k < M; k++)
        if (!(d->mel_std[k] > 0)) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s/mel_stats.npy: std[%zu] <= 0", dir, k); goto fail; }
    normalise(d->train_mel, d->n_train * T4, M, d->mel_mean, d->mel_std);
    normalise(d->val_mel, d->n_val * T4, M, d->mel_mean, d->mel_std);
    if (d->music_only_mel) normalise(d->music_only_mel, d->n_music_only * T4, M, d->mel_mean, d->mel_std);
    if ((st = read_index(dir, "val", d->n_val, &d->val_clip, &d->val_start, &d->n_val_clips, e))) goto fail;
    snprintf(path, sizeof path, "%s/train_index.tsv", dir);
    if ((f = fopen(path, "rb"))) {
        fclose(f);
        if ((st = read_index(dir, "train", d->n_train, &d->train_clip, &d->train_start, &d->n_train_clips, e))) goto fail;
    }
    if (with_motion) {
        size_t D = 0;
        if ((st = load_npy(dir, "train_motion.npy", &a, e)) ||
            (st = take3(&a, dir, "train_motion.npy", d->W, 0, &d->train_mot, &n, NULL, &D, e)))
            goto fail;
        if (n != d->n_train) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s/train_motion.npy: %zu windows, train_mel.npy has %zu", dir, n, d->n_train); goto fail; }
        if (D < 14 || (D - 8) % 6) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s/train_motion.npy: feature dim %zu is not 6J+8", dir, D); goto fail; }
        d->D = D;
        d->J = (D - 8) / 6;
        if ((st = load_npy(dir, "val_motion.npy", &a, e)) ||
            (st = take3(&a, dir, "val_motion.npy", d->W, D, &d->val_mot, &n, NULL, NULL, e)))
            goto fail;
        if (n != d->n_val) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s/val_motion.npy: %zu windows, val_mel.npy has %zu", dir, n, d->n_val); goto fail; }
        snprintf(path, sizeof path, "%s/motion_stats.npy", dir);
        if ((st = momu_feature_stats_load(path, &d->mot_stats, e))) goto fail;
        if (d->mot_stats.dim != D) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: dim %zu, motion features have %zu", path, d->mot_stats.dim, D); goto fail; }
        if ((st = compute_q(d->train_mot, d->n_train, d->W, D, d->J, &d->train_q, e)) ||
            (st = compute_q(d->val_mot, d->n_val, d->W, D, d->J, &d->val_q, e)))
            goto fail;
        momu_features_normalise(&d->mot_stats, d->train_mot, d->n_train * d->W);
        momu_features_normalise(&d->mot_stats, d->val_mot, d->n_val * d->W);
    }
    return MOMU_OK;
fail:
    momu_vae_data_free(d);
    return st;
}

void momu_vae_data_free(momu_vae_data *d) {
    free(d->train_mel); free(d->val_mel); free(d->music_only_mel);
    free(d->train_mot); free(d->val_mot); free(d->train_q); free(d->val_q);
    free(d->val_clip); free(d->val_start); free(d->train_clip); free(d->train_start);
    free(d->mel_mean);   /* mel_std points into the same block */
    momu_feature_stats_free(&d->mot_stats);
    memset(d, 0, sizeof *d);
}

static void build_perm(momu_vae_sampler *s) {
    momu_rng r;
    momu_rng_seed(&r, s->seed ^ (0x9E3779B97F4A7C15ull * (s->epoch + 1)));
    for (size_t i = 0; i < s->n_pool; i++) s->perm[i] = i;
    momu_rng_shuffle(&r, s->perm, s->n_pool);
}

momu_status momu_vae_sampler_init(momu_vae_sampler *s, const momu_vae_data *d, int music_only_too, size_t L,
                                  uint64_t seed, momu_err *e) {
    memset(s, 0, sizeof *s);
    if (!L || L % 2 || L > d->W)
        return momu_fail(e, MOMU_ERR_ARG, "crop: %zu motion frames (expected an even number in 2..%zu)", L, d->W);
    s->n_paired = d->n_train;
    s->n_pool = d->n_train + (music_only_too ? d->n_music_only : 0);
    s->L = L;
    s->seed = seed;
    s->perm = momu_malloc_array(s->n_pool, sizeof(size_t), e);
    if (!s->perm) return MOMU_ERR_OOM;
    build_perm(s);
    return MOMU_OK;
}

void momu_vae_sampler_seek(momu_vae_sampler *s, uint64_t epoch, uint64_t cursor) {
    s->epoch = epoch;
    s->cursor = cursor;
    build_perm(s);
}

void momu_vae_sampler_free(momu_vae_sampler *s) {
    free(s->perm);
    memset(s, 0, sizeof *s);
}

void momu_vae_sampler_next(momu_vae_sampler *s, const momu_vae_data *d, momu_rng *rng, size_t B, float *mel,
                           float *mot, float *q) {
    const size_t L = s->L, W = d->W, M = d->M, D = d->D;
    for (size_t b = 0; b < B; b++) {
        if (s->cursor >= s->n_pool) momu_vae_sampler_seek(s, s->epoch + 1, 0);
        size_t k = s->perm[s->cursor++];
        size_t r0 = 2 * momu_rng_below(rng, (W - L) / 2 + 1);   /* even motion frame = latent frame r0/2 */
        const float *src_mel = k < s->n_paired ? d->train_mel + k * 4 * W * M
                                               : d->music_only_mel + (k - s->n_paired) * 4 * W * M;
        memcpy(mel + b * 4 * L * M, src_mel + 4 * r0 * M, 4 * L * M * sizeof(float));
        if (mot && k < s->n_paired) memcpy(mot + b * L * D, d->train_mot + (k * W + r0) * D, L * D * sizeof(float));
        if (q && k < s->n_paired) memcpy(q + b * L, d->train_q + k * W + r0, L * sizeof(float));
    }
}
