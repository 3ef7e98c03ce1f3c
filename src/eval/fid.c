/* Fréchet distance between Gaussians fitted to feature sets, feature normalisation and diversity
 * (FID_k / FID_g / Div_k / Div_g of AIST++ and Bailando, and the audio-feature FAD stand-in).
 *
 * Everything is double precision and single-threaded in a fixed order, so results do not depend on
 * OMP_NUM_THREADS. The matrix square root avoids scipy.linalg.sqrtm's complex Schur route: with
 * A = Σ1^{1/2} (symmetric, from a Jacobi eigen-decomposition), Σ1Σ2 is similar to A Σ2 A, which is
 * symmetric positive semi-definite, so Tr((Σ1Σ2)^{1/2}) = Σ_i sqrt(λ_i(A Σ2 A)), eigenvalues clamped at 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"

#define JACOBI_MAX_SWEEPS 100

momu_status momu_eval_sym_eig(double *a, size_t d, double *evals, double *evecs, momu_err *e) {
    if (!a || !evals || d == 0) return momu_fail(e, MOMU_ERR_ARG, "sym_eig: bad argument");
    for (size_t i = 0; i < d * d; i++)
        if (!isfinite(a[i])) return momu_fail(e, MOMU_ERR_RANGE, "sym_eig: matrix has a non-finite entry");
    if (evecs) {
        memset(evecs, 0, d * d * sizeof *evecs);
        for (size_t i = 0; i < d; i++) evecs[i * d + i] = 1.0;
    }
    /* Cyclic Jacobi (Golub & Van Loan, Matrix Computations §8.5; rotation as in Numerical Recipes
     * `jacobi`): each rotation zeroes a[p][q]; the off-diagonal norm falls quadratically once small. */
    double norm = 0.0;
    for (size_t i = 0; i < d * d; i++) norm += a[i] * a[i];
    for (int sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < d; p++)
            for (size_t q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
        if (off <= 1e-30 * norm || off == 0.0) break;
        for (size_t p = 0; p < d; p++) {
            for (size_t q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (apq == 0.0) continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < d; k++) { /* A <- A J (columns p, q) */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < d; k++) { /* A <- J^T A (rows p, q) */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                a[p * d + q] = a[q * d + p] = 0.0;
                if (evecs)
                    for (size_t k = 0; k < d; k++) {
                        double vkp = evecs[k * d + p], vkq = evecs[k * d + q];
                        evecs[k * d + p] = c * vkp - s * vkq;
                        evecs[k * d + q] = s * vkp + c * vkq;
                    }
            }
        }
    }
    for (size_t i = 0; i < d; i++) evals[i] = a[i * d + i];
    return MOMU_OK;
}

static int finite_all(const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Feature sets are capped so that the d×d work arrays stay small: d <= 4096, n·d <= 2^31. */
static momu_status check_set(const double *x, size_t n, size_t d, size_t min_n, const char *what, momu_err *e) {
    size_t nd;
    if (!x || d == 0 || d > 4096 || !momu_mul_ok(n, d, &nd) || nd > ((size_t)1 << 31))
        return momu_fail(e, MOMU_ERR_ARG, "%s: bad feature set (n %zu, dim %zu)", what, n, d);
    if (n < min_n)
        return momu_fail(e, MOMU_ERR_ARG, "%s: needs at least %zu samples, got %zu", what, min_n, n);
    if (!finite_all(x, nd)) return momu_fail(e, MOMU_ERR_RANGE, "%s: a feature is NaN or infinite", what);
    return MOMU_OK;
}

momu_status momu_eval_gaussian(const double *x, size_t n, size_t d, double *mu, double *cov, momu_err *e) {
    momu_status st = check_set(x, n, d, 2, "gaussian", e);
    if (st) return st;
    for (size_t j = 0; j < d; j++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) s += x[i * d + j];
        mu[j] = s / (double)n;
    }
    /* np.cov(rowvar=False): unbiased, divides by n - 1 */
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++) s += (x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b]);
            cov[a * d + b] = cov[b * d + a] = s / (double)(n - 1);
        }
    return MOMU_OK;
}

/* C = A B for d×d row-major */
static void matmul(double *c, const double *a, const double *b, size_t d) {
    for (size_t i = 0; i < d; i++) {
        for (size_t j = 0; j < d; j++) c[i * d + j] = 0.0;
        for (size_t k = 0; k < d; k++) {
            double aik = a[i * d + k];
            for (size_t j = 0; j < d; j++) c[i * d + j] += aik * b[k * d + j];
        }
    }
}

momu_status momu_frechet_distance(const double *mu1, const double *cov1, const double *mu2, const double *cov2,
                                  size_t d, double *fid, momu_err *e) {
    if (!mu1 || !cov1 || !mu2 || !cov2 || !fid || d == 0 || d > 4096)
        return momu_fail(e, MOMU_ERR_ARG, "frechet: bad argument (dim %zu)", d);
    *fid = NAN;
    if (!finite_all(mu1, d) || !finite_all(mu2, d) || !finite_all(cov1, d * d) || !finite_all(cov2, d * d))
        return momu_fail(e, MOMU_ERR_RANGE, "frechet: NaN or infinite mean or covariance");
    double *w = momu_malloc_array(5 * d * d + 2 * d, sizeof *w, e);
    if (!w) return momu_fail(e, MOMU_ERR_OOM, "frechet: out of memory (dim %zu)", d);
    double *a = w, *v = a + d * d, *sq = v + d * d, *t1 = sq + d * d, *t2 = t1 + d * d, *lam = t2 + d * d,
           *lam2 = lam + d;
    /* Σ1^{1/2} = V diag(sqrt(max(λ,0))) V^T */
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) a[i * d + j] = 0.5 * (cov1[i * d + j] + cov1[j * d + i]);
    momu_status st = momu_eval_sym_eig(a, d, lam, v, e);
    if (st) { free(w); return st; }
    for (size_t i = 0; i < d; i++) lam[i] = sqrt(lam[i] > 0 ? lam[i] : 0.0);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++) s += v[i * d + k] * lam[k] * v[j * d + k];
            sq[i * d + j] = s;
        }
    /* M = Σ1^{1/2} Σ2 Σ1^{1/2}, symmetrised against rounding */
    matmul(t1, sq, cov2, d);
    matmul(t2, t1, sq, d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) a[i * d + j] = 0.5 * (t2[i * d + j] + t2[j * d + i]);
    st = momu_eval_sym_eig(a, d, lam2, NULL, e);
    if (st) { free(w); return st; }
    double tr_sqrt = 0.0, tr1 = 0.0, tr2 = 0.0, diff = 0.0;
    for (size_t i = 0; i < d; i++) {
        tr_sqrt += sqrt(lam2[i] > 0 ? lam2[i] : 0.0);
        tr1 += cov1[i * d + i];
        tr2 += cov2[i * d + i];
        diff += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    }
    free(w);
    double f = diff + tr1 + tr2 - 2.0 * tr_sqrt;
    /* rounding can leave a tiny negative value for identical Gaussians; the distance is >= 0 */
    *fid = f > 0 ? f : 0.0;
    return MOMU_OK;
}

momu_status momu_frechet_features(const double *x1, size_t n1, const double *x2, size_t n2, size_t d,
                                  double *fid, momu_err *e) {
    momu_status st = check_set(x1, n1, d, 2, "frechet (set 1)", e);
    if (!st) st = check_set(x2, n2, d, 2, "frechet (set 2)", e);
    if (st) return st;
    double *w = momu_malloc_array(2 * d * d + 2 * d, sizeof *w, e);
    if (!w) return momu_fail(e, MOMU_ERR_OOM, "frechet: out of memory (dim %zu)", d);
    double *c1 = w, *c2 = c1 + d * d, *m1 = c2 + d * d, *m2 = m1 + d;
    st = momu_eval_gaussian(x1, n1, d, m1, c1, e);
    if (!st) st = momu_eval_gaussian(x2, n2, d, m2, c2, e);
    if (!st) st = momu_frechet_distance(m1, c1, m2, c2, d, fid, e);
    free(w);
    return st;
}

momu_status momu_eval_norm_stats(const double *ref, size_t n, size_t d, double *mean, double *std,
                                 momu_err *e) {
    momu_status st = check_set(ref, n, d, 1, "normalisation statistics", e);
    if (st) return st;
    for (size_t j = 0; j < d; j++) {
        double s = 0.0, q = 0.0;
        for (size_t i = 0; i < n; i++) s += ref[i * d + j];
        mean[j] = s / (double)n;
        for (size_t i = 0; i < n; i++) q += (ref[i * d + j] - mean[j]) * (ref[i * d + j] - mean[j]);
        /* Bailando normalize(): np.std (ddof 0), divides by std + 1e-10. A feature that is constant over
         * the reference set would then blow any difference up by 1e10; such features are left centred but
         * unscaled instead (std reported as 1). */
        double sd = sqrt(q / (double)n);
        std[j] = sd > MOMU_EVAL_STD_MIN ? sd : 1.0;
    }
    return MOMU_OK;
}

void momu_eval_normalise(double *x, size_t n, size_t d, const double *mean, const double *std) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) x[i * d + j] = (x[i * d + j] - mean[j]) / (std[j] + 1e-10);
}

double momu_diversity(const double *x, size_t n, size_t d) {
    if (!x || n < 2 || d == 0 || !finite_all(x, n * d)) return NAN;
    /* Bailando calculate_avg_distance: Σ_{i<j} ||x_i - x_j|| / (n(n-1)/2) */
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double q = 0.0;
            for (size_t k = 0; k < d; k++) {
                double t = x[i * d + k] - x[j * d + k];
                q += t * t;
            }
            s += sqrt(q);
        }
    return s / ((double)n * (double)(n - 1) / 2.0);
}

momu_status momu_fid_div(const double *ref, size_t n_ref, const double *gen, size_t n_gen, size_t d,
                         momu_fid_result *out, momu_err *e) {
    if (!out) return momu_fail(e, MOMU_ERR_ARG, "fid: NULL result");
    memset(out, 0, sizeof *out);
    out->fid = out->div_ref = out->div_gen = NAN;
    momu_status st = check_set(ref, n_ref, d, 2, "fid (reference set)", e);
    if (!st) st = check_set(gen, n_gen, d, 2, "fid (generated set)", e);
    if (st) return st;
    size_t n_all = n_ref + n_gen;
    double *w = momu_malloc_array(n_all * d + 2 * d, sizeof *w, e);
    if (!w) return momu_fail(e, MOMU_ERR_OOM, "fid: out of memory");
    double *r = w, *g = w + n_ref * d, *mean = w + n_all * d, *sd = mean + d;
    memcpy(r, ref, n_ref * d * sizeof *r);
    memcpy(g, gen, n_gen * d * sizeof *g);
    /* Bailando quantized_metrics: both sets normalised with the reference statistics */
    st = momu_eval_norm_stats(r, n_ref, d, mean, sd, e);
    if (!st) {
        momu_eval_normalise(r, n_ref, d, mean, sd);
        momu_eval_normalise(g, n_gen, d, mean, sd);
        st = momu_frechet_features(r, n_ref, g, n_gen, d, &out->fid, e);
    }
    if (!st) {
        out->div_ref = momu_diversity(r, n_ref, d);
        out->div_gen = momu_diversity(g, n_gen, d);
        out->n_ref = n_ref;
        out->n_gen = n_gen;
        out->dim = d;
    }
    free(w);
    return st;
}
