/* momu — errors, checked allocation, atomic output, logging. See include/momu/common.h. */
#include "momu/common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int momu_verbosity = 1;

const char *momu_status_name(momu_status st) {
    static const char *names[MOMU_ERR_COUNT] = {"ok", "i/o error", "format error", "out of memory",
                                                "bad argument", "out of range", "not available"};
    return (st >= 0 && st < MOMU_ERR_COUNT) ? names[st] : "unknown error";
}

momu_status momu_fail(momu_err *e, momu_status st, const char *fmt, ...) {
    if (e && e->status == MOMU_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = st;
    }
    return st;
}

void momu_err_clear(momu_err *e) {
    if (e) { e->status = MOMU_OK; e->msg[0] = 0; }
}

int momu_mul_ok(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

void *momu_malloc_array(size_t n, size_t elem, momu_err *e) {
    size_t bytes;
    if (!momu_mul_ok(n, elem, &bytes)) {
        momu_fail(e, MOMU_ERR_OOM, "allocation of %zu x %zu bytes overflows", n, elem);
        return NULL;
    }
    void *p = malloc(bytes ? bytes : 1);
    if (!p) momu_fail(e, MOMU_ERR_OOM, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *momu_calloc_array(size_t n, size_t elem, momu_err *e) {
    size_t bytes;
    if (!momu_mul_ok(n, elem, &bytes)) {
        momu_fail(e, MOMU_ERR_OOM, "allocation of %zu x %zu bytes overflows", n, elem);
        return NULL;
    }
    void *p = calloc(n ? n : 1, elem ? elem : 1);
    if (!p) momu_fail(e, MOMU_ERR_OOM, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *momu_realloc_array(void *p, size_t n, size_t elem, momu_err *e) {
    size_t bytes;
    if (!momu_mul_ok(n, elem, &bytes)) {
        momu_fail(e, MOMU_ERR_OOM, "allocation of %zu x %zu bytes overflows", n, elem);
        return NULL;
    }
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) momu_fail(e, MOMU_ERR_OOM, "out of memory allocating %zu bytes", bytes);
    return q;
}

momu_status momu_atomic_open(momu_atomic *a, const char *path, momu_err *e) {
    memset(a, 0, sizeof *a);
    if (!path || !*path) return momu_fail(e, MOMU_ERR_ARG, "empty output path");
    if (strlen(path) >= sizeof a->path) return momu_fail(e, MOMU_ERR_ARG, "%s: output path too long", path);
    strcpy(a->path, path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) return momu_fail(e, MOMU_ERR_IO, "%s: cannot create (%s)", a->tmp, strerror(errno));
    return MOMU_OK;
}

momu_status momu_atomic_commit(momu_atomic *a, momu_err *e) {
    if (!a->f) return momu_fail(e, MOMU_ERR_IO, "%s: not open", a->path);
    int bad = ferror(a->f) || fflush(a->f) != 0;
    if (!bad) fsync(fileno(a->f));
    if (fclose(a->f) != 0) bad = 1;
    a->f = NULL;
    if (bad) {
        int err = errno;
        remove(a->tmp);
        return momu_fail(e, MOMU_ERR_IO, "%s: write failed (%s)", a->path, strerror(err));
    }
    if (rename(a->tmp, a->path) != 0) {
        int err = errno;
        remove(a->tmp);
        return momu_fail(e, MOMU_ERR_IO, "%s: cannot rename into place (%s)", a->path, strerror(err));
    }
    return MOMU_OK;
}

void momu_atomic_abort(momu_atomic *a) {
    if (a->f) { fclose(a->f); a->f = NULL; }
    if (a->tmp[0]) remove(a->tmp);
}

momu_status momu_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len, momu_err *e) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return momu_fail(e, MOMU_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return momu_fail(e, MOMU_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)max_bytes) {
        fclose(f);
        return momu_fail(e, MOMU_ERR_RANGE, "%s: file is %lld bytes, more than the %zu accepted", path,
                         (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = momu_malloc_array(n + 1, 1, e);
    if (!buf) { fclose(f); return MOMU_ERR_OOM; }
    if (fread(buf, 1, n, f) != n) {
        fclose(f);
        free(buf);
        return momu_fail(e, MOMU_ERR_IO, "%s: read failed", path);
    }
    fclose(f);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return MOMU_OK;
}

void momu_path_ext(const char *path, char *ext, size_t n) {
    if (n == 0) return;
    ext[0] = 0;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash)) return;
    size_t i = 0;
    for (dot++; *dot && i + 1 < n; dot++, i++) {
        char c = *dot;
        ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    ext[i] = 0;
}

void momu_log(const char *fmt, ...) {
    if (momu_verbosity < 1) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void momu_logv(const char *fmt, ...) {
    if (momu_verbosity < 2) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

double momu_time_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t momu_peak_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss;
}

void momu_progress_init(momu_progress_t *p, const char *label) {
    p->t0 = momu_time_s();
    p->t_last = -1e9;
    p->label = label;
    p->tty = isatty(2);
}

void momu_progress(momu_progress_t *p, size_t done, size_t total, const char *fmt, ...) {
    if (momu_verbosity < 1) return;
    double now = momu_time_s();
    int last = (done >= total);
    if (!last && now - p->t_last < (p->tty ? 0.2 : 2.0)) return;
    p->t_last = now;
    double el = now - p->t0;
    double eta = done ? el * (double)(total - done) / (double)done : 0.0;
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "%s%s %zu/%zu (%.0f%%) %s  %.1fs elapsed, ETA %.1fs%s", p->tty ? "\r\033[K" : "",
            p->label ? p->label : "", done, total, total ? 100.0 * (double)done / (double)total : 100.0, msg, el,
            eta, p->tty ? "" : "\n");
    fflush(stderr);
}

void momu_progress_end(momu_progress_t *p) {
    if (momu_verbosity >= 1 && p->tty) fputc('\n', stderr);
}
