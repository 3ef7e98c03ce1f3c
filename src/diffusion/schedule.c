/* momu diffusion — the discrete schedule, parameterisation helpers, timestep spacing. */
#include <math.h>
#include <string.h>

#include "momu/diffusion.h"

momu_status momu_schedule_init(momu_schedule *s, int T, double beta_start, double beta_end, momu_err *e) {
    if (!s) return momu_fail(e, MOMU_ERR_ARG, "schedule: NULL");
    if (T < 2 || T > MOMU_DIFF_T_MAX)
        return momu_fail(e, MOMU_ERR_ARG, "schedule: T = %d outside [2, %d]", T, MOMU_DIFF_T_MAX);
    if (!(beta_start > 0 && beta_end >= beta_start && beta_end < 1))
        return momu_fail(e, MOMU_ERR_ARG, "schedule: need 0 < beta_start (%g) <= beta_end (%g) < 1", beta_start,
                         beta_end);
    memset(s, 0, sizeof *s);
    s->T = T;
    double a = sqrt(beta_start), b = sqrt(beta_end), prod = 1.0;
    for (int t = 0; t < T; t++) {
        double r = a + (b - a) * (double)t / (double)(T - 1);
        s->beta[t] = r * r;
        prod *= 1.0 - s->beta[t];
        s->abar[t] = prod;
    }
    return MOMU_OK;
}

void momu_schedule_default(momu_schedule *s) {
    momu_schedule_init(s, MOMU_DIFF_T, MOMU_DIFF_BETA_START, MOMU_DIFF_BETA_END, NULL);
}

static double abar_at(const momu_schedule *s, int t) { return t < 0 ? 1.0 : s->abar[t]; }
double momu_sched_alpha(const momu_schedule *s, int t) { return sqrt(abar_at(s, t)); }
double momu_sched_sigma(const momu_schedule *s, int t) { return sqrt(1.0 - abar_at(s, t)); }
double momu_sched_lambda(const momu_schedule *s, int t) {
    if (t < 0) return INFINITY;
    return 0.5 * log(s->abar[t]) - 0.5 * log(1.0 - s->abar[t]);
}

void momu_eps_to_x0(const momu_schedule *s, int t, const float *x, const float *eps, float *x0, size_t n) {
    double a = momu_sched_alpha(s, t), sg = momu_sched_sigma(s, t);
    for (size_t i = 0; i < n; i++) x0[i] = (float)(((double)x[i] - sg * (double)eps[i]) / a);
}

void momu_x0_to_eps(const momu_schedule *s, int t, const float *x, const float *x0, float *eps, size_t n) {
    double a = momu_sched_alpha(s, t), sg = momu_sched_sigma(s, t);
    if (sg <= 0) { for (size_t i = 0; i < n; i++) eps[i] = 0.0f; return; }
    for (size_t i = 0; i < n; i++) eps[i] = (float)(((double)x[i] - a * (double)x0[i]) / sg);
}

void momu_q_sample(const momu_schedule *s, int t, const float *x0, const float *noise, float *out, size_t n) {
    double a = momu_sched_alpha(s, t), sg = momu_sched_sigma(s, t);
    for (size_t i = 0; i < n; i++) out[i] = (float)(a * (double)x0[i] + sg * (double)noise[i]);
}

momu_status momu_timesteps(const momu_schedule *s, int K, momu_spacing sp, int *ts, momu_err *e) {
    if (!s || !ts) return momu_fail(e, MOMU_ERR_ARG, "timesteps: NULL argument");
    int T = s->T;
    if (K < 1 || K > T) return momu_fail(e, MOMU_ERR_ARG, "steps = %d outside [1, %d]", K, T);
    for (int i = 0; i < K; i++) {
        int t;
        switch (sp) {
        case MOMU_SPACING_TRAILING: t = (int)lround((double)T - (double)i * (double)T / (double)K) - 1; break;
        case MOMU_SPACING_LINSPACE:
            t = K == 1 ? T - 1 : (int)lround((double)(T - 1) * (double)(K - 1 - i) / (double)(K - 1));
            break;
        case MOMU_SPACING_LEADING: t = (K - 1 - i) * (T / K); break;
        case MOMU_SPACING_LOGSNR: {
            double l0 = momu_sched_lambda(s, T - 1), l1 = momu_sched_lambda(s, 0);
            double target = K == 1 ? l0 : l0 + (l1 - l0) * (double)i / (double)(K - 1);
            int lo = 0, hi = T - 1; /* λ decreases with t: first t with λ_t <= target */
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (momu_sched_lambda(s, mid) <= target) hi = mid; else lo = mid + 1;
            }
            t = lo;
            if (t > 0 && fabs(momu_sched_lambda(s, t - 1) - target) < fabs(momu_sched_lambda(s, t) - target)) t--;
            break;
        }
        default: return momu_fail(e, MOMU_ERR_ARG, "timesteps: unknown spacing %d", (int)sp);
        }
        if (t < 0) t = 0;
        if (t > T - 1) t = T - 1;
        ts[i] = t;
    }
    if (sp == MOMU_SPACING_LOGSNR) /* rounding collides near t = 0: push earlier steps up */
        for (int i = K - 2; i >= 0; i--)
            if (ts[i] <= ts[i + 1]) ts[i] = ts[i + 1] + 1;
    for (int i = 1; i < K; i++)
        if (ts[i] >= ts[i - 1])
            return momu_fail(e, MOMU_ERR_ARG, "timesteps: spacing gives a non-decreasing sequence at %d", i);
    return MOMU_OK;
}
