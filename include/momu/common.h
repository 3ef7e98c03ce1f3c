/* momu — shared error type, checked allocation, atomic file output, logging.
 *
 * Library functions never exit. They return a momu_status and, when given a momu_err, write one
 * human-readable line into it that names the file (or argument) and the problem. */
#ifndef MOMU_COMMON_H
#define MOMU_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MOMU_OK = 0,
    MOMU_ERR_IO,      /* cannot open / read / write / rename */
    MOMU_ERR_FORMAT,  /* file content is malformed, truncated, or of the wrong kind */
    MOMU_ERR_OOM,     /* allocation failed or a size would overflow */
    MOMU_ERR_ARG,     /* a bad argument or option value */
    MOMU_ERR_RANGE,   /* a value (NaN, absurd size, wrong shape) is outside what is accepted */
    MOMU_ERR_STATE,   /* an operation that needs something not available (e.g. no trained model) */
    MOMU_ERR_COUNT
} momu_status;

const char *momu_status_name(momu_status st);

typedef struct { momu_status status; char msg[1024]; } momu_err;

/* Records the first error in e (if e is non-NULL and holds no error yet) and returns st.
 * Usage: return momu_fail(e, MOMU_ERR_FORMAT, "%s: truncated header", path); */
momu_status momu_fail(momu_err *e, momu_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void momu_err_clear(momu_err *e);

/* Sizes: every element count is size_t. These return 0 / NULL on overflow instead of wrapping. */
int    momu_mul_ok(size_t a, size_t b, size_t *out);               /* 1 if a*b fits */
void  *momu_malloc_array(size_t n, size_t elem, momu_err *e);      /* NULL + MOMU_ERR_OOM on failure */
void  *momu_calloc_array(size_t n, size_t elem, momu_err *e);
void  *momu_realloc_array(void *p, size_t n, size_t elem, momu_err *e);

/* The largest single input momu accepts (absurd-size guard for readers): 4 GiB of payload. */
#define MOMU_MAX_INPUT_BYTES ((size_t)4 << 30)

/* Atomic output: write to PATH.tmp.PID, then fsync + rename onto PATH on commit; abort removes it. */
typedef struct { FILE *f; char path[4096]; char tmp[4200]; } momu_atomic;
momu_status momu_atomic_open(momu_atomic *a, const char *path, momu_err *e);
momu_status momu_atomic_commit(momu_atomic *a, momu_err *e);   /* closes; on failure removes tmp */
void        momu_atomic_abort(momu_atomic *a);

/* Whole-file read with a size cap; *data is NUL-terminated (one extra byte) for text parsers. */
momu_status momu_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *len, momu_err *e);

/* Lower-cased extension of a path without the dot ("" if none), written into ext (size n). */
void momu_path_ext(const char *path, char *ext, size_t n);

/* Logging to stderr. Verbosity: 0 quiet (errors only), 1 normal, 2 verbose. */
extern int momu_verbosity;
void momu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void momu_logv(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A progress line on stderr, redrawn in place on a terminal, otherwise printed at most every 2 s:
 *   momu_progress(&p, done, total, "step %zu loss %.4f", ...)  ...  momu_progress_end(&p) */
typedef struct { double t0, t_last; const char *label; int tty; } momu_progress_t;
void momu_progress_init(momu_progress_t *p, const char *label);
void momu_progress(momu_progress_t *p, size_t done, size_t total, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void momu_progress_end(momu_progress_t *p);

double momu_time_s(void);   /* monotonic seconds */
size_t momu_peak_rss_kb(void);

#ifdef __cplusplus
}
#endif
#endif
