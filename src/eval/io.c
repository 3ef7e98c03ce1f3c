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
