/* Minimal test harness shared by every tests/test_*.c file.
 *
 *   TEST(name) { ... EXPECT(cond, "fmt", ...); ... }
 *   int main(void) { RUN(name); ...; return test_summary(); }
 *
 * Each case prints "PASS name" or "FAIL name" (with the first failed expectations); the binary ends with
 * "# N passed, M failed" and exits nonzero on any failure. tests/run.sh adds the counts of all binaries. */
#ifndef MOMU_TEST_H
#define MOMU_TEST_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_n_pass, test_n_fail, test_cur_fail;
static const char *test_cur_name;

#define TEST(name) static void name(void)
#define EXPECT(cond, ...)                                                                   \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            if (test_cur_fail < 5) {                                                        \
                fprintf(stderr, "  %s:%d: %s: expected %s: ", __FILE__, __LINE__,           \
                        test_cur_name, #cond);                                              \
                fprintf(stderr, __VA_ARGS__);                                               \
                fputc('\n', stderr);                                                        \
            }                                                                               \
            test_cur_fail++;                                                                \
        }                                                                                   \
    } while (0)
#define RUN(name)                                                                           \
    do {                                                                                    \
        test_cur_name = #name;                                                              \
        test_cur_fail = 0;                                                                  \
        name();                                                                             \
        if (test_cur_fail) { test_n_fail++; printf("FAIL %s\n", #name); }                  \
        else { test_n_pass++; printf("PASS %s\n", #name); }                                 \
        fflush(stdout);                                                                     \
    } while (0)

static inline int test_summary(void) {
    printf("# %d passed, %d failed\n", test_n_pass, test_n_fail);
    return test_n_fail ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ok iff |got-ref| <= atol + rtol*|ref| everywhere; prints worst index and errors on failure. */
static inline int test_close(const char *what, const float *got, const float *ref, size_t n,
                             double atol, double rtol) {
    size_t worst = 0, n_bad = 0;
    double worst_excess = -1.0, max_abs = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double tol = atol + rtol * fabs((double)ref[i]);
        if (d > max_abs) max_abs = d;
        if (!(d <= tol)) n_bad++;
        if (d - tol > worst_excess) { worst_excess = d - tol; worst = i; }
    }
    if (n_bad) {
        fprintf(stderr, "  %s: %zu of %zu outside atol %g rtol %g; worst [%zu] got %.9g ref %.9g; max abs %.3g\n",
                what, n_bad, n, atol, rtol, worst, (double)got[worst], (double)ref[worst], max_abs);
        return 0;
    }
    return 1;
}

/* Removes a directory tree (the scratch directory below); files only, links are not followed. */
static inline void test_rmtree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *ent;
            while ((ent = readdir(d))) {
                if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
                char sub[1024];
                int k = snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
                if (k > 0 && (size_t)k < sizeof sub) test_rmtree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static char test_tmpdir_path[512];
static inline void test_tmpdir_cleanup(void) {
    if (test_tmpdir_path[0] && !getenv("MOMU_KEEP_TEST_TMP")) test_rmtree(test_tmpdir_path);
}

/* A scratch directory for the test's files: $TMPDIR or /tmp, unique per process, removed at exit
 * (set MOMU_KEEP_TEST_TMP=1 to keep it for a post-mortem). */
static inline const char *test_tmpdir(void) {
    if (!test_tmpdir_path[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(test_tmpdir_path, sizeof test_tmpdir_path, "%s/momu-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(test_tmpdir_path)) { perror("mkdtemp"); exit(2); }
        atexit(test_tmpdir_cleanup);
    }
    return test_tmpdir_path;
}
#endif
