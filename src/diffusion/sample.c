/* momu diffusion — samplers over an ε callback: DDPM ancestral, DDIM(η), DPM-Solver++(2M).
 * Each sampler only calls the callback; all arithmetic is element-wise in double, stored as float, and
 * sequential, so results do not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/diffusion.h"

void momu_sample_opts_default(momu_sample_opts *o) {
    memset(o, 0, sizeof *o);
    o->kind = MOMU_SAMPLER_DPMPP_2M;
    o->steps = 25;
    o->spacing = MOMU_SPACING_LOGSNR;
    o->eta = 0.0f;
}

momu_status momu_sampler_parse(const char *name, momu_sampler_kind *k, momu_err *e) {
    if (!name) return momu_fail(e, MOMU_ERR_ARG, "--sampler: missing value");
    if (!strcmp(name, "ddpm")) *k = MOMU_SAMPLER_DDPM;
    else if (!strcmp(name, "ddim")) *k = MOMU_SAMPLER_DDIM;
    else if (!strcmp(name, "dpmpp") || !strcmp(name, "dpmpp2m") || !strcmp(name, "dpm++"))
        *k = MOMU_SAMPLER_DPMPP_2M;
    else return momu_fail(e, MOMU_ERR_ARG, "--sampler: '%s' is not one of ddpm, ddim, dpmpp", name);
    return MOMU_OK;
}

const char *momu_sampler_name(momu_sampler_kind k) {
    switch (k) {
    case MOMU_SAMPLER_DDPM: return "ddpm";
    case MOMU_SAMPLER_DDIM: return "ddim";
    case MOMU_SAMPLER_DPMPP_2M: return "dpmpp";
    }
    return "?";
}

momu_status momu_spacing_parse(const char *name, momu_spacing *sp, momu_err *e) {
    if (!name) return momu_fail(e, MOMU_ERR_ARG, "--spacing: missing value");
    if (!strcmp(name, "trailing")) *sp = MOMU_SPACING_TRAILING;
    else if (!strcmp(name, "linspace")) *sp = MOMU_SPACING_LINSPACE;
    else if (!strcmp(name, "leading")) *sp = MOMU_SPACING_LEADING;
    else if (!strcmp(name, "logsnr")) *sp = MOMU_SPACING_LOGSNR;
    else return momu_fail(e, MOMU_ERR_ARG, "--spacing: '%s' is not one of trailing, linspace, leading, logsnr",
                          name);
    return MOMU_OK;
}

/* Re-imposes the known elements at timestep t (t = -1: clean). Draws n normals when t >= 0. */
static void impose_known(const momu_schedule *s, const momu_sample_opts *o, int t, float *x, float *z, size_t n,
                         momu_rng *rng) {
    if (!o->known) return;
    double a = momu_sched_alpha(s, t), sg = momu_sched_sigma(s, t);
    if (t >= 0) momu_rng_fill_normal(rng, z, n, 1.0f);
    for (size_t i = 0; i < n; i++)
        if (o->known_mask[i]) x[i] = t < 0 ? o->known[i] : (float)(a * (double)o->known[i] + sg * (double)z[i]);
}

momu_status momu_sample(const momu_schedule *s, const momu_sample_opts *o, momu_eps_fn f, void *user,
                        float *x, size_t n, momu_rng *rng, momu_err *e) {
    if (!s || !o || !f || !x) return momu_fail(e, MOMU_ERR_ARG, "sample: NULL argument");
    if (n == 0) return momu_fail(e, MOMU_ERR_ARG, "sample: empty latent");
    if (!o->known != !o->known_mask)
        return momu_fail(e, MOMU_ERR_ARG, "sample: known and known_mask must both be given or both NULL");
    if (o->kind != MOMU_SAMPLER_DDPM && o->kind != MOMU_SAMPLER_DDIM && o->kind != MOMU_SAMPLER_DPMPP_2M)
        return momu_fail(e, MOMU_ERR_ARG, "sample: unknown sampler %d", (int)o->kind);
    if (o->kind == MOMU_SAMPLER_DDIM && !(o->eta >= 0.0f && o->eta <= 1.0f))
        return momu_fail(e, MOMU_ERR_ARG, "sample: DDIM eta %g outside [0, 1]", (double)o->eta);
    int stochastic = o->kind == MOMU_SAMPLER_DDPM || (o->kind == MOMU_SAMPLER_DDIM && o->eta > 0.0f) || o->known;
    if (stochastic && !rng) return momu_fail(e, MOMU_ERR_ARG, "sample: this sampler needs an RNG");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return momu_fail(e, MOMU_ERR_RANGE, "sample: x_T[%zu] is not finite", i);

    int K = o->steps;
    int *ts = malloc(sizeof(int) * (size_t)(K > 0 ? K : 1));
    if (!ts) return momu_fail(e, MOMU_ERR_OOM, "sample: out of memory");
    momu_status st = momu_timesteps(s, K, o->spacing, ts, e);
    if (st) { free(ts); return st; }
    float *buf = momu_malloc_array(n, 4 * sizeof(float), e);
    if (!buf) { free(ts); return MOMU_ERR_OOM; }
    float *eps = buf, *x0 = buf + n, *x0p = buf + 2 * n, *z = buf + 3 * n;

    impose_known(s, o, ts[0], x, z, n, rng);
    double h_prev = 0.0;
    for (int i = 0; i < K; i++) {
        int t = ts[i], sn = i + 1 < K ? ts[i + 1] : -1;
        int U = (o->known && o->resample > 1 && sn >= 0) ? o->resample : 1;
        for (int u = 0; u < U && !st; u++) {
            int rc = f(user, x, t, eps, n);
            if (rc) { st = momu_fail(e, MOMU_ERR_STATE, "sample: denoiser returned %d at t = %d (step %d of %d)",
                                     rc, t, i + 1, K); break; }
            double ab_t = s->abar[t], ab_s = sn < 0 ? 1.0 : s->abar[sn];
            double a_t = sqrt(ab_t), s_t = sqrt(1.0 - ab_t), a_s = sqrt(ab_s), s_s = sqrt(1.0 - ab_s);
            int bad = 0;
            for (size_t j = 0; j < n; j++) {
                x0[j] = (float)(((double)x[j] - s_t * (double)eps[j]) / a_t);
                if (!isfinite(x0[j])) bad = 1;
            }
            if (bad) { st = momu_fail(e, MOMU_ERR_RANGE, "sample: non-finite prediction at t = %d", t); break; }
            if (o->known && o->known_x0) /* x̂0 replacement: the known part of the prediction is the known value */
                for (size_t j = 0; j < n; j++)
                    if (o->known_mask[j]) {
                        x0[j] = o->known[j];
                        eps[j] = (float)(((double)x[j] - a_t * (double)x0[j]) / s_t);
                    }
            if (o->kind == MOMU_SAMPLER_DDPM) {
                double a_ts = ab_t / ab_s, b_ts = 1.0 - a_ts;
                double c0 = a_s * b_ts / (1.0 - ab_t), cx = sqrt(a_ts) * (1.0 - ab_s) / (1.0 - ab_t);
                double var = sn < 0 ? 0.0 : (o->ddpm_var_beta ? b_ts : b_ts * (1.0 - ab_s) / (1.0 - ab_t));
                double sd = sqrt(var);
                if (sn >= 0) momu_rng_fill_normal(rng, z, n, 1.0f);
                for (size_t j = 0; j < n; j++)
                    x[j] = (float)(c0 * (double)x0[j] + cx * (double)x[j] + (sn >= 0 ? sd * (double)z[j] : 0.0));
            } else if (o->kind == MOMU_SAMPLER_DDIM) {
                double sig = 0.0;
                if (sn >= 0 && o->eta > 0.0f)
                    sig = (double)o->eta * sqrt((1.0 - ab_s) / (1.0 - ab_t)) * sqrt(1.0 - ab_t / ab_s);
                double ce = sqrt(fmax(0.0, 1.0 - ab_s - sig * sig));
                if (sig > 0.0) momu_rng_fill_normal(rng, z, n, 1.0f);
                for (size_t j = 0; j < n; j++)
                    x[j] = (float)(a_s * (double)x0[j] + ce * (double)eps[j] + (sig > 0.0 ? sig * (double)z[j] : 0.0));
            } else { /* DPM-Solver++(2M), Lu et al. 2022 Alg. 2, on λ_t = log(α_t/σ_t) */
                if (sn < 0) {
                    memcpy(x, x0, n * sizeof(float));   /* last step to σ = 0: x = D (first order) */
                } else {
                    double h = momu_sched_lambda(s, sn) - momu_sched_lambda(s, t);
                    double cx = s_s / s_t, cd = -a_s * expm1(-h);
                    if (i == 0) {
                        for (size_t j = 0; j < n; j++) x[j] = (float)(cx * (double)x[j] + cd * (double)x0[j]);
                    } else {
                        double r = h_prev / h, w1 = 1.0 + 1.0 / (2.0 * r), w0 = 1.0 / (2.0 * r);
                        for (size_t j = 0; j < n; j++)
                            x[j] = (float)(cx * (double)x[j] + cd * (w1 * (double)x0[j] - w0 * (double)x0p[j]));
                    }
                    if (u + 1 == U) {
                        h_prev = h;
                        memcpy(x0p, x0, n * sizeof(float));
                    }
                }
            }
            if (!o->known_x0 || sn < 0) impose_known(s, o, sn, x, z, n, rng);
            if (u + 1 < U) { /* RePaint resampling: forward-noise x_s back to x_t and redo the step */
                double q = ab_t / ab_s, cq = sqrt(q), cz = sqrt(1.0 - q);
                momu_rng_fill_normal(rng, z, n, 1.0f);
                for (size_t j = 0; j < n; j++) x[j] = (float)(cq * (double)x[j] + cz * (double)z[j]);
            }
        }
        if (st) break;
        if (o->progress && o->progress(o->progress_user, i + 1, K, t)) {
            st = momu_fail(e, MOMU_ERR_STATE, "sample: cancelled at step %d of %d", i + 1, K);
            break;
        }
    }
    free(buf);
    free(ts);
    return st;
}
