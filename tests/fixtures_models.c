/* Fixtures shared by the C tests: see tests/fixtures_models.h. */
#include "fixtures_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "momu/motion.h"
#include "momu/nn_params.h"
#include "momu/npy.h"
#include "momu/safetensors.h"

/* ---- the tiny prepared folder ---------------------------------------------------------------------------- */

void fix_fill_beats(float *mel, float *mot, int split, size_t n, momu_rng *r) {
    (void)split;
    for (size_t t = 0; t < 4 * FIX_W; t++)
        for (size_t k = 0; k < FIX_M; k++)
            mel[t * FIX_M + k] = (float)(0.01 * k) + ((t + n) % 8 == 0 ? 1.0f : 0.0f) + 0.1f * momu_rng_normal(r);
    for (size_t t = 0; t < FIX_W; t++) {
        float *f = mot + t * FIX_DF;
        momu_rng_fill_normal(r, f, FIX_DF, 0.5f);
        f[3] += ((2 * t + n) % 8 == 0) ? 2.0f : 0.0f;
    }
}

static void write_text(const char *dir, const char *name, const char *txt) {
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) { fputs(txt, f); fclose(f); }
}

int fix_prepared_write(const char *dir, fix_window_fill fill) {
    if (mkdir(dir, 0755) != 0) { perror(dir); return 0; }
    momu_rng r;
    momu_rng_seed(&r, 5);
    momu_err e = {0};
    const size_t W = FIX_W, M = FIX_M, DF = FIX_DF;
    for (int split = 0; split < 2; split++) {
        size_t N = split ? FIX_NVA : FIX_NTR;
        float *mel = malloc(N * 4 * W * M * sizeof(float)), *mot = malloc(N * W * DF * sizeof(float));
        for (size_t n = 0; n < N; n++) fill(mel + n * 4 * W * M, mot + n * W * DF, split, n, &r);
        size_t sm[3] = {N, 4 * W, M}, so[3] = {N, W, DF};
        char p[700];
        snprintf(p, sizeof p, "%s/%s_mel.npy", dir, split ? "val" : "train");
        momu_npy_write_f32(p, mel, 3, sm, &e);
        snprintf(p, sizeof p, "%s/%s_motion.npy", dir, split ? "val" : "train");
        momu_npy_write_f32(p, mot, 3, so, &e);
        free(mel);
        free(mot);
    }
    float ms[2 * FIX_M], os[2 * FIX_DF];
    for (size_t k = 0; k < M; k++) { ms[k] = 0.5f; ms[M + k] = 2.0f; }
    for (size_t k = 0; k < DF; k++) { os[k] = 0.0f; os[DF + k] = 1.0f; }
    size_t s1[2] = {2, M}, s2[2] = {2, DF};
    char p[700];
    snprintf(p, sizeof p, "%s/mel_stats.npy", dir);
    momu_npy_write_f32(p, ms, 2, s1, &e);
    snprintf(p, sizeof p, "%s/motion_stats.npy", dir);
    momu_npy_write_f32(p, os, 2, s2, &e);
    write_text(dir, "val_index.tsv", "window\tclip\tsong\n0\tA\ta\n1\tA\ta\n2\tB\tb\n");
    write_text(dir, "prepare.json", "{\"format\": \"momu-prepared\"}\n");
    if (e.status) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    return 1;
}

void fix_vae_config_tiny(momu_vae_config *c, momu_vae_kind kind) {
    momu_vae_config_default(c, kind);
    memset(c->ch, 0, sizeof c->ch);
    c->z_channels = 4;
    c->groups = 4;
    c->n_res_enc = c->n_res_dec = c->n_mid = 1;
    if (kind == MOMU_VAE_MUSIC) { c->n_levels = 4; c->ch[0] = c->ch[1] = c->ch[2] = c->ch[3] = 8; }
    else { c->n_levels = 2; c->ch[0] = c->ch[1] = 8; }
}

void fix_vae_train_opts(momu_vae_train_opts *o, momu_vae_kind kind, const char *data_dir, const char *out,
                        const char *music_vae, const momu_vae_config *c) {
    momu_vae_train_opts_default(o);
    o->stage = kind;
    o->data_dir = data_dir;
    o->out_path = out;
    o->music_vae_path = music_vae;
    o->steps = 2;
    o->batch = 2;
    o->crop_seconds = 0.48;   /* 12 motion frames, 6 latent frames */
    o->ckpt_every_min = 0;
    o->cfg = c;
    o->bicor.n_windows = 2;
    o->bicor.width = 2;
}

void fix_denoiser_train_opts(denoiser_train_opts *o, const char *data_dir, const char *music_vae,
                             const char *motion_vae, const char *out) {
    denoiser_train_opts_default(o);
    o->task = DENOISER_MUSIC;
    o->music_vae_path = music_vae;
    o->motion_vae_path = motion_vae;
    o->data_dir = data_dir;
    o->out_path = out;
    o->steps = 6;
    o->model.width = 8;
    o->model.heads = 2;
    o->model.n_blocks = 1;
    o->model.freq_dim = 8;
    o->train.batch = 3;
    o->train.opt.warmup_steps = 2;
    o->train.opt.lr = 1e-3;
    o->ckpt_every_min = 0;
}

int fix_prepared_make(fix_prepared *p, const char *tmp) {
    snprintf(p->dir, sizeof p->dir, "%s/prep", tmp);
    snprintf(p->music_vae, sizeof p->music_vae, "%s/music_vae.safetensors", tmp);
    snprintf(p->motion_vae, sizeof p->motion_vae, "%s/motion_vae.safetensors", tmp);
    if (!fix_prepared_write(p->dir, fix_fill_beats)) return 0;
    for (int k = 0; k < 2; k++) {
        momu_vae_kind kind = k ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC;
        momu_vae_config c;
        fix_vae_config_tiny(&c, kind);
        momu_vae_train_opts o;
        fix_vae_train_opts(&o, kind, p->dir, k ? p->motion_vae : p->music_vae, k ? p->music_vae : NULL, &c);
        momu_vae_train_result res;
        momu_err e = {0};
        if (momu_vae_train_run(&o, &res, &e)) { fprintf(stderr, "  vae: %s\n", e.msg); return 0; }
    }
    return 1;
}

/* ---- random-weight model files ----------------------------------------------------------------------------- */

float fix_music_norm_mean = -2.0f;

int fix_write_random_vae(const char *path, momu_vae_kind kind, int tiny, momu_rng *r) {
    momu_vae_config c;
    momu_vae_config_default(&c, kind);
    if (tiny) {
        c.z_channels = 4;
        c.groups = 4;
        for (size_t i = 0; i < c.n_levels; i++) c.ch[i] = 8;
        c.n_res_enc = c.n_res_dec = 1;
        c.n_mid = 0;
    }
    momu_vae m;
    momu_err e = {0};
    if (momu_vae_init(&m, &c, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    float *params = calloc(m.tab.total, sizeof(float));
    momu_vae_init_params(&m, params, r);
    size_t F = c.in_dim;
    tensor_table nt;
    table_init(&nt);
    TABLE_ADD(&nt, "mean", 0, &e, F);
    TABLE_ADD(&nt, "std", 0, &e, F);
    float *nb = calloc(nt.total, sizeof(float));
    for (size_t i = 0; i < F; i++) {
        table_ptr(&nt, nb, 0)[i] = kind == MOMU_VAE_MUSIC ? fix_music_norm_mean : 0.0f;
        table_ptr(&nt, nb, 1)[i] = 1.0f;
    }
    safetensors_meta mt;
    safetensors_meta_init(&mt);
    char *json = NULL;
    momu_vae_config_to_json(&c, &json, &e);
    safetensors_meta_put(&mt, "momu.vae_config", json, &e);
    safetensors_meta_put(&mt, "momu.format", "momu-vae", &e);
    safetensors_meta_put(&mt, "momu.kind", momu_vae_kind_name(kind), &e);
    if (kind == MOMU_VAE_MOTION) safetensors_meta_putf(&mt, "motion.n_joints", &e, "%d", MOMU_DWM_JOINTS);
    const char *prefixes[2] = {"vae.", "norm."};
    const tensor_table *tabs[2] = {&m.tab, &nt};
    const float *bases[2] = {params, nb};
    momu_status st = safetensors_write_tables(path, 2, prefixes, tabs, bases, SAFETENSORS_F32, &mt, &e);
    if (st) fprintf(stderr, "  %s\n", e.msg);
    free(json);
    safetensors_meta_free(&mt);
    free(nb);
    free(params);
    table_free(&nt);
    momu_vae_free(&m);
    return st == MOMU_OK;
}

int fix_write_random_denoiser(const char *path, denoiser_task task, size_t latent_ch, int tiny, momu_rng *r) {
    return fix_write_random_denoiser_r(path, task, latent_ch, 0, tiny, r);
}

int fix_write_random_denoiser_r(const char *path, denoiser_task task, size_t latent_ch, size_t rhythm, int tiny,
                                momu_rng *r) {
    denoiser_config c;
    denoiser_config_default(&c);
    c.latent_ch = latent_ch;
    c.cond_extra = rhythm;
    if (tiny) {
        c.width = 16;
        c.heads = 2;
        c.n_blocks = 1;
        c.freq_dim = 16;
    }
    denoiser m;
    momu_err e = {0};
    if (denoiser_init(&m, &c, task, 0, &e)) { fprintf(stderr, "  %s\n", e.msg); return 0; }
    denoiser_init_weights(&m, r);
    momu_rng_fill_normal(r, m.p.params, m.tab.total, tiny ? 0.1f : 0.02f);   /* the output must depend on x */
    momu_status st = denoiser_save(path, &m, NULL, &e);
    if (st) fprintf(stderr, "  %s\n", e.msg);
    denoiser_free(&m);
    return st == MOMU_OK;
}

/* ---- files --------------------------------------------------------------------------------------------------- */

unsigned char *fix_file_read(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { *n = 0; return NULL; }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

void fix_file_write(const char *path, const void *b, size_t n) {
    remove(path);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return; }
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}
