/* momu diffusion — classifier-free guidance and MoMu cross-guidance as ε callbacks (no network here). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/diffusion.h"

momu_status momu_cfg_init(momu_cfg *g, const momu_cond_model *m, const float *cond, float scale, size_t n,
                          momu_err *e) {
    if (!g || !m || !m->fn) return momu_fail(e, MOMU_ERR_ARG, "cfg: NULL model");
    if (n == 0) return momu_fail(e, MOMU_ERR_ARG, "cfg: empty latent");
    if (!isfinite(scale)) return momu_fail(e, MOMU_ERR_ARG, "--guidance: not finite");
    memset(g, 0, sizeof *g);
    g->model = *m;
    g->cond = cond;
    g->scale = scale;
    g->t_lo = 0;
    g->t_hi = INT_MAX;
    g->n = n;
    g->tmp = momu_malloc_array(n, sizeof(float), e);
    return g->tmp ? MOMU_OK : MOMU_ERR_OOM;
}

void momu_cfg_free(momu_cfg *g) {
    if (!g) return;
    free(g->tmp);
    g->tmp = NULL;
}

/* eps = u + s (c − u), element-wise; c may alias eps. */
static void guide(float *eps, const float *c, const float *u, float s, size_t n) {
    for (size_t i = 0; i < n; i++) eps[i] = (float)((double)u[i] + (double)s * ((double)c[i] - (double)u[i]));
}

int momu_cfg_eps(void *user, const float *x, int t, float *eps, size_t n) {
    momu_cfg *g = user;
    if (n != g->n) return -1;
    const momu_cond_model *m = &g->model;
    if (!g->cond) { g->n_evals++; return m->fn(m->user, x, t, NULL, eps, n); }
    if (g->scale == 1.0f || t < g->t_lo || t >= g->t_hi) { g->n_evals++; return m->fn(m->user, x, t, g->cond, eps, n); }
    int rc;
    if (m->fn2) {
        rc = m->fn2(m->user, x, t, g->cond, eps, g->tmp, n);
    } else {
        rc = m->fn(m->user, x, t, g->cond, eps, n);
        if (!rc) rc = m->fn(m->user, x, t, NULL, g->tmp, n);
    }
    g->n_evals += 2;
    if (rc) return rc;
    guide(eps, eps, g->tmp, g->scale, n);
    return 0;
}

momu_status momu_cross_init(momu_cross *c, const momu_schedule *s, const momu_cond_model *music, size_t n_a,
                            const momu_cond_model *motion, size_t n_m, float scale, double tc_frac,
                            momu_err *e) {
    if (!c || !s || !music || !music->fn || !motion || !motion->fn)
        return momu_fail(e, MOMU_ERR_ARG, "cross-guidance: NULL argument");
    if (n_a == 0 || n_m == 0) return momu_fail(e, MOMU_ERR_ARG, "cross-guidance: empty latent");
    if (!(tc_frac >= 0.0 && tc_frac <= 1.0))
        return momu_fail(e, MOMU_ERR_ARG, "--tc: %g outside [0, 1]", tc_frac);
    if (!isfinite(scale)) return momu_fail(e, MOMU_ERR_ARG, "--guidance: not finite");
    memset(c, 0, sizeof *c);
    c->sched = s;
    c->music = *music;
    c->motion = *motion;
    c->n_a = n_a;
    c->n_m = n_m;
    c->scale = scale;
    c->t_c = (int)lround(tc_frac * (double)s->T);
    size_t nmax = n_a > n_m ? n_a : n_m, tot;
    if (!momu_mul_ok(nmax, 3, &tot)) return momu_fail(e, MOMU_ERR_OOM, "cross-guidance: size overflow");
    c->zhat_a = momu_malloc_array(n_a + n_m + nmax, sizeof(float), e);
    if (!c->zhat_a) return MOMU_ERR_OOM;
    c->zhat_m = c->zhat_a + n_a;
    c->tmp = c->zhat_m + n_m;
    return MOMU_OK;
}

void momu_cross_free(momu_cross *c) {
    if (!c) return;
    free(c->zhat_a);
    c->zhat_a = c->zhat_m = c->tmp = NULL;
}

int momu_cross_eps(void *user, const float *x, int t, float *eps, size_t n) {
    momu_cross *c = user;
    if (n != c->n_a + c->n_m) return -1;
    const float *za = x, *zm = x + c->n_a;
    float *ea = eps, *em = eps + c->n_a;
    /* Unconditional predictions of both (always needed). */
    int rc = c->music.fn(c->music.user, za, t, NULL, ea, c->n_a);
    if (!rc) rc = c->motion.fn(c->motion.user, zm, t, NULL, em, c->n_m);
    c->n_evals += 2;
    if (rc || t >= c->t_c) return rc;
    /* Clean-latent estimates from the unconditional predictions, this step. */
    momu_eps_to_x0(c->sched, t, za, ea, c->zhat_a, c->n_a);
    momu_eps_to_x0(c->sched, t, zm, em, c->zhat_m, c->n_m);
    /* Each model guided by the other's estimate. */
    rc = c->music.fn(c->music.user, za, t, c->zhat_m, c->tmp, c->n_a);
    c->n_evals++;
    if (rc) return rc;
    guide(ea, c->tmp, ea, c->scale, c->n_a);
    rc = c->motion.fn(c->motion.user, zm, t, c->zhat_a, c->tmp, c->n_m);
    c->n_evals++;
    if (rc) return rc;
    guide(em, c->tmp, em, c->scale, c->n_m);
    return 0;
}
