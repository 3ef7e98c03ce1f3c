/* momu CLI — option parsing shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_value(FILE *f, const cli_opt *o) {
    switch (o->kind) {
    case CLI_INT: fprintf(f, "%d", *(int *)o->dst); break;
    case CLI_SIZE: fprintf(f, "%zu", *(size_t *)o->dst); break;
    case CLI_FLOAT: fprintf(f, "%g", (double)*(float *)o->dst); break;
    case CLI_STR: fprintf(f, "%s", *(const char **)o->dst ? *(const char **)o->dst : "(none)"); break;
    case CLI_FLAG: fprintf(f, "%s", *(int *)o->dst ? "on" : "off"); break;
    }
}

void cli_print_help(const cli_opt *opts, size_t n_opts, const char *cmd, const char *usage) {
    printf("usage: momu %s %s\n", cmd, usage);
    if (n_opts) printf("\noptions (current default in brackets):\n");
    for (size_t i = 0; i < n_opts; i++) {
        const cli_opt *o = &opts[i];
        char lhs[64];
        const char *arg = o->kind == CLI_INT || o->kind == CLI_SIZE ? " N" : o->kind == CLI_FLOAT ? " X"
                          : o->kind == CLI_STR ? " S" : "";
        snprintf(lhs, sizeof lhs, "--%s%s", o->name, arg);
        printf("  %-22s %s [", lhs, o->help);
        print_value(stdout, o);
        printf("]\n");
    }
    printf("  %-22s %s\n  %-22s %s\n", "-v, --verbose", "print the resolved options and more detail",
           "-q, --quiet", "print errors only");
}

void cli_dump_config(const cli_opt *opts, size_t n_opts, const char *cmd) {
    fprintf(stderr, "momu %s:", cmd);
    for (size_t i = 0; i < n_opts; i++) {
        fprintf(stderr, " --%s=", opts[i].name);
        print_value(stderr, &opts[i]);
    }
    fputc('\n', stderr);
}

int cli_errorf(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "momu %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_error(const char *cmd, const momu_err *e) {
    return cli_errorf(cmd, "%s", e && e->msg[0] ? e->msg : "failed");
}

static int set_value(const cli_opt *o, const char *v, const char *cmd) {
    char *end;
    errno = 0;
    switch (o->kind) {
    case CLI_INT: {
        long x = strtol(v, &end, 10);
        if (errno || *end || end == v || x < INT_MIN || x > INT_MAX)
            return cli_errorf(cmd, "--%s expects an integer, got '%s'", o->name, v), 2;
        *(int *)o->dst = (int)x;
        break;
    }
    case CLI_SIZE: {
        if (*v == '-') return cli_errorf(cmd, "--%s expects a non-negative integer, got '%s'", o->name, v), 2;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || *end || end == v || x > SIZE_MAX)
            return cli_errorf(cmd, "--%s expects a non-negative integer, got '%s'", o->name, v), 2;
        *(size_t *)o->dst = (size_t)x;
        break;
    }
    case CLI_FLOAT: {
        float x = strtof(v, &end);
        if (errno || *end || end == v || !isfinite(x))
            return cli_errorf(cmd, "--%s expects a finite number, got '%s'", o->name, v), 2;
        *(float *)o->dst = x;
        break;
    }
    case CLI_STR: *(const char **)o->dst = v; break;
    case CLI_FLAG: *(int *)o->dst = 1; break;
    }
    return 0;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, size_t n_opts, const char **pos, size_t max_pos,
              size_t *n_pos, const char *cmd, const char *usage) {
    size_t np = 0;
    int verbose = 0, only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0) {
            if (np >= max_pos) {
                cli_errorf(cmd, "unexpected argument '%s' (see momu %s --help)", a, cmd);
                return 2;
            }
            pos[np++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_pos = 1; continue; }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cli_print_help(opts, n_opts, cmd, usage);
            return 1;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { verbose = 1; momu_verbosity = 2; continue; }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { momu_verbosity = 0; continue; }
        if (a[1] != '-') {
            cli_errorf(cmd, "unknown option '%s' (see momu %s --help)", a, cmd);
            return 2;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *o = NULL;
        for (size_t k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == nl && !strncmp(opts[k].name, name, nl)) { o = &opts[k]; break; }
        if (!o) {
            cli_errorf(cmd, "unknown option '%s' (see momu %s --help)", a, cmd);
            return 2;
        }
        const char *v;
        if (o->kind == CLI_FLAG) {
            if (eq) { cli_errorf(cmd, "--%s takes no value", o->name); return 2; }
            v = "1";
        } else if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc) { cli_errorf(cmd, "--%s needs a value", o->name); return 2; }
            v = argv[++i];
        }
        if (set_value(o, v, cmd)) return 2;
    }
    if (n_pos) *n_pos = np;
    if (verbose) cli_dump_config(opts, n_opts, cmd);
    return 0;
}

int cli_parse_interval(const char *s, float *lo, float *hi) {
    if (!s) return -1;
    char *end;
    double a = strtod(s, &end);
    if (end == s || *end != ',') return -1;
    const char *s2 = end + 1;
    double b = strtod(s2, &end);
    if (end == s2 || *end) return -1;
    if (!(a >= 0.0 && a < b && b <= 1.0)) return -1;
    *lo = (float)a;
    *hi = (float)b;
    return 0;
}
