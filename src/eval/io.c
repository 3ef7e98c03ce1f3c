/* Reading time lists (onsets, beats) for the beat metrics. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/eval.h"

#define TIMES_MAX_BYTES ((size_t)256 << 20)
#define TIMES_MAX_COUNT ((size_t)10000000)

momu_status momu_eval_read_times(const char *path, double **times, size_t *n, momu_err *e) {
    if (!path || !times || !n) return momu_fail(e, MOMU_ERR_ARG, "read times: NULL argument");
    *times = NULL;
    *n = 0;
    unsigned char *data = NULL;
    size_t len = 0;
    momu_status st = momu_read_file(path, TIMES_MAX_BYTES, &data, &len, e);
    if (st) return st;
    size_t cap = 0, cnt = 0, line_no = 0, n_lines_seen = 0;
    double *t = NULL;
    char *p = (char *)data, *end = (char *)data + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        line_no++;
        char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q < le && *q != '#') {
            n_lines_seen++;
            char saved = *le;  /* data is NUL-terminated one past end, so *le is writable */
            *le = 0;
            errno = 0;
            char *ep;
            double v = strtod(q, &ep);
            int field_end = (*ep == 0 || *ep == ' ' || *ep == '\t' || *ep == '\r' || *ep == ',');
            *le = saved;
            if (ep == q || !field_end) {
                if (n_lines_seen == 1 && cnt == 0) { p = nl ? nl + 1 : end; continue; } /* header */
                free(t);
                free(data);
                return momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: expected a time in seconds", path, line_no);
            }
            if (!isfinite(v) || errno == ERANGE) {
                free(t);
                free(data);
                return momu_fail(e, MOMU_ERR_RANGE, "%s:%zu: time is not a finite number", path, line_no);
            }
            if (cnt == TIMES_MAX_COUNT) {
                free(t);
                free(data);
                return momu_fail(e, MOMU_ERR_RANGE, "%s: more than %zu times", path, TIMES_MAX_COUNT);
            }
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 256;
                double *nt = momu_realloc_array(t, nc, sizeof *t, e);
                if (!nt) {
                    free(t);
                    free(data);
                    return momu_fail(e, MOMU_ERR_OOM, "%s: out of memory", path);
                }
                t = nt;
                cap = nc;
            }
            t[cnt++] = v;
        }
        p = nl ? nl + 1 : end;
    }
    free(data);
    *times = t;
    *n = cnt;
    return MOMU_OK;
}

/* ---- pair lists ---------------------------------------------------------------------------------- */

void momu_eval_pair_list_free(momu_eval_pair_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n_owned; i++) free(l->owned[i]);
    free(l->owned);
    free(l->pairs);
    memset(l, 0, sizeof *l);
}

#define PAIRS_MAX_BYTES ((size_t)16 << 20)
#define PAIRS_MAX ((size_t)1000000)

/* A fresh copy of p, joined to dir when p is relative (dir "" = as is). */
static char *resolve(const char *dir, const char *p, momu_err *e) {
    if (p[0] == '/' || !dir[0] || !p[0]) {
        char *c = malloc(strlen(p) + 1);
        if (!c) { momu_fail(e, MOMU_ERR_OOM, "pairs: out of memory"); return NULL; }
        strcpy(c, p);
        return c;
    }
    size_t n = strlen(dir) + 1 + strlen(p) + 1;
    char *c = malloc(n);
    if (!c) { momu_fail(e, MOMU_ERR_OOM, "pairs: out of memory"); return NULL; }
    snprintf(c, n, "%s/%s", dir, p);
    return c;
}

momu_status momu_eval_pairs_read(const char *path, momu_eval_pair_list *out, momu_err *e) {
    memset(out, 0, sizeof *out);
    unsigned char *data = NULL;
    size_t len = 0;
    momu_status st = momu_read_file(path, PAIRS_MAX_BYTES, &data, &len, e);
    if (st) return st;
    char dir[4096] = "";
    const char *slash = strrchr(path, '/');
    if (slash && (size_t)(slash - path) < sizeof dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
        if (!dir[0]) strcpy(dir, "/");
    }
    /* each field is resolved into its own allocation, recorded in `owned` */
    size_t cap = 0, n = 0, line_no = 0;
    momu_eval_pair *pairs = NULL;
    char **owned = NULL;
    size_t n_owned = 0, cap_owned = 0;
    char *p = (char *)data, *end = p + len;
    while (p < end && st == MOMU_OK) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        line_no++;
        if (le > p && le[-1] == '\r') le[-1] = 0;
        *le = 0;
        char *line = p;
        p = nl ? nl + 1 : end;
        if (!line[0] || line[0] == '#') continue;
        char *f[5] = {0};
        int nf = 0;
        for (char *q = line; nf < 5;) {
            f[nf++] = q;
            char *t = strchr(q, '\t');
            if (!t) break;
            *t = 0;
            q = t + 1;
        }
        if (n == 0 && !strcmp(f[0], "name")) continue; /* header */
        if (nf < 3 || !f[0][0] || !f[1][0] || !f[2][0]) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s:%zu: expected name<TAB>music<TAB>motion[<TAB>reference_music"
                                               "<TAB>reference_motion]", path, line_no);
            break;
        }
        if (n == PAIRS_MAX) { st = momu_fail(e, MOMU_ERR_RANGE, "%s: more than %zu pairs", path, PAIRS_MAX); break; }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            momu_eval_pair *np = momu_realloc_array(pairs, nc, sizeof *np, e);
            if (!np) { st = MOMU_ERR_OOM; break; }
            pairs = np;
            cap = nc;
        }
        if (n_owned + 5 > cap_owned) {
            size_t nc = cap_owned ? 2 * cap_owned : 64;
            char **no = momu_realloc_array(owned, nc, sizeof *no, e);
            if (!no) { st = MOMU_ERR_OOM; break; }
            owned = no;
            cap_owned = nc;
        }
        momu_eval_pair *pp = &pairs[n];
        memset(pp, 0, sizeof *pp);
        const char **dst[5] = {&pp->name, &pp->music, &pp->motion, &pp->ref_music, &pp->ref_motion};
        for (int k = 0; k < nf && st == MOMU_OK; k++) {
            if (k > 0 && !f[k][0]) continue; /* empty optional column */
            char *c = k == 0 ? resolve("", f[k], e) : resolve(dir, f[k], e);
            if (!c) { st = MOMU_ERR_OOM; break; }
            owned[n_owned++] = c;
            *dst[k] = c;
        }
        n++;
    }
    free(data);
    if (st == MOMU_OK && n == 0) st = momu_fail(e, MOMU_ERR_FORMAT, "%s: no pairs", path);
    if (st) {
        for (size_t i = 0; i < n_owned; i++) free(owned[i]);
        free(owned);
        free(pairs);
        return st;
    }
    out->pairs = pairs;
    out->n = n;
    out->owned = owned;
    out->n_owned = n_owned;
    return MOMU_OK;
}
