/* bench/bench_vae.c — step time of the BiCoR-VAE networks and peak memory of their inference passes.
 *
 * Build (after `make`):
 *   cc -O3 -march=native -fopenmp -Iinclude bench/bench_vae.c build/libmomu.a \
 *      $(pkg-config --libs sndfile samplerate fftw3f) -lopenblas -lm -o /tmp/bench_vae
 * Run:
 *   /tmp/bench_vae train music 8 400 [reps]     forward + loss + backward + AdamW, median of reps after 2 warm-ups
 *   /tmp/bench_vae train motion 16 200 [reps]
 *   /tmp/bench_vae encode music 30000          one encode of T frames (B 1) then a decode of its latent;
 *                                              prints wall time and the process peak RSS
 * Weights are the default random initialisation (seed 1): timings do not depend on the values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "momu/common.h"
#include "momu/nn_optim.h"
#include "momu/nn_params.h"
#include "momu/rng.h"
#include "momu/vae.h"

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const momu_err *e) {
    fprintf(stderr, "bench_vae: %s\n", e->msg);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_vae train|encode music|motion [B] T [reps]\n");
        return 2;
    }
    int train = !strcmp(argv[1], "train");
    momu_vae_kind kind = !strcmp(argv[2], "motion") ? MOMU_VAE_MOTION : MOMU_VAE_MUSIC;
    size_t B = train ? (size_t)atol(argv[3]) : 1, T = (size_t)atol(argv[train ? 4 : 3]);
    int reps = train && argc > 5 ? atoi(argv[5]) : 7;
    momu_err e;
    momu_err_clear(&e);
    momu_vae_config c;
    momu_vae_config_default(&c, kind);
    momu_vae m;
    nn_params p;
    if (momu_vae_init(&m, &c, &e) || nn_params_alloc(&p, &m.tab, train ? NN_ALLOC_OPTIM : 0, &e)) die(&e);
    momu_rng rng;
    momu_rng_seed(&rng, 1);
    momu_vae_init_params(&m, p.params, &rng);
    size_t F = c.in_dim, C = c.z_channels, Tz = momu_vae_latent_len(&m, T);
    float *x = malloc(B * T * F * sizeof *x), *eps = malloc(B * Tz * C * sizeof *eps);
    momu_rng_fill_normal(&rng, x, B * T * F, 1.0f);
    printf("%s VAE: %zu parameters, widths", momu_vae_kind_name(kind), momu_vae_n_params(&m));
    for (size_t i = 0; i < c.n_levels; i++) printf(" %zu", c.ch[i]);
    printf(", res enc/dec/mid %zu/%zu/%zu, f %zu\n", c.n_res_enc, c.n_res_dec, c.n_mid, m.factor);
    if (train) {
        momu_vae_train tr;
        if (momu_vae_train_init(&tr, &m, B, T, &e)) die(&e);
        adamw_config ac;
        adamw_config_default(&ac);
        ac.lr = 1e-4;
        nn_optim o;
        optim_init(&o, &ac);
        double t[64];
        if (reps > 64) reps = 64;
        for (int r = -2; r < reps; r++) {
            double t0 = momu_time_s();
            momu_rng_fill_normal(&rng, eps, B * Tz * C, 1.0f);
            if (momu_vae_forward(&tr, p.params, x, B, T, eps, &e)) die(&e);
            float L = momu_vae_loss(&tr, x, NULL);
            nn_params_zero_grads(&p);
            if (momu_vae_backward(&tr, p.params, p.grads, NULL, &e)) die(&e);
            optim_step(&o, &p, L);
            if (r >= 0) t[r] = momu_time_s() - t0;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_dbl);
        printf("train B %zu T %zu: step median %.4f s (min %.4f, max %.4f, %d reps); activations+scratch %.1f MB; "
               "peak RSS %.1f MB\n", B, T, t[reps / 2], t[0], t[reps - 1], reps,
               (double)momu_vae_train_bytes(&tr) / 1e6, (double)momu_peak_rss_kb() / 1024.0);
        momu_vae_train_free(&tr);
    } else {
        float *mu = malloc(Tz * C * sizeof *mu), *y = malloc(T * F * sizeof *y);
        size_t rss0 = momu_peak_rss_kb();
        double t0 = momu_time_s();
        if (momu_vae_encode(&m, p.params, x, 1, T, mu, NULL, &e)) die(&e);
        double t1 = momu_time_s();
        if (momu_vae_decode(&m, p.params, mu, 1, Tz, T, y, &e)) die(&e);
        double t2 = momu_time_s();
        printf("T %zu (%.1f s of input): encode %.3f s, decode %.3f s; buffers encode %.1f MB, decode %.1f MB; "
               "input+output %.1f MB; peak RSS before %.1f MB, after %.1f MB\n", T, (double)T / c.fps, t1 - t0,
               t2 - t1, (double)momu_vae_infer_bytes(&m, 1, T, 0) / 1e6,
               (double)momu_vae_infer_bytes(&m, 1, Tz * m.factor, 1) / 1e6, (double)(2 * T * F) * 4e-6,
               (double)rss0 / 1024.0, (double)momu_peak_rss_kb() / 1024.0);
        free(mu); free(y);
    }
    free(x); free(eps);
    nn_params_free(&p);
    momu_vae_free(&m);
    return 0;
}
