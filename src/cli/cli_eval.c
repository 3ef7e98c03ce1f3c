/* momu eval — evaluation metrics (DESIGN.md §5). Subcommands:
 *   momu eval beats --ref REF.txt --est EST.txt [--tolerance 0.07]   beat F-measure (+ LORIS, BAS of the pair)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/eval.h"

static int eval_beats(int argc, char **argv) {
    const char *ref_path = NULL, *est_path = NULL;
    float tol = (float)MOMU_BEAT_FMEASURE_TOL_S;
    const cli_opt opts[] = {
        {"ref", CLI_STR, &ref_path, "reference times, one per line (seconds)"},
        {"est", CLI_STR, &est_path, "estimated times, one per line (seconds)"},
        {"tolerance", CLI_FLOAT, &tol, "hit window +-seconds (one-to-one matching)"},
    };
    size_t n_opts = sizeof opts / sizeof opts[0];
    int rc = cli_parse(argc, argv, opts, n_opts, NULL, 0, NULL, "eval beats",
                       "--ref REF.txt --est EST.txt [--tolerance S]");
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!ref_path || !est_path) {
        cli_errorf("eval beats", "--ref and --est are required (see momu eval beats --help)");
        return 2;
    }
    if (!(tol >= 0.0f)) {
        cli_errorf("eval beats", "--tolerance must be >= 0, got %g", (double)tol);
        return 2;
    }
    momu_err e = {0};
    double *ref = NULL, *est = NULL;
    size_t n_ref = 0, n_est = 0;
    if (momu_eval_read_times(ref_path, &ref, &n_ref, &e) || momu_eval_read_times(est_path, &est, &n_est, &e)) {
        free(ref);
        return cli_error("eval beats", &e);
    }
    double p, r;
    double f = momu_beat_fmeasure(ref, n_ref, est, n_est, (double)tol, &p, &r);
    printf("# beat F-measure, +-%.3f s window, one-to-one matching; reference %s (%zu times), estimate %s "
           "(%zu times)\n",
           (double)tol, ref_path, n_ref, est_path, n_est);
    printf("P\t%.4f\nR\t%.4f\nF\t%.4f\n", p, r, f);
    free(ref);
    free(est);
    return 0;
}

static void eval_usage(FILE *f) {
    fprintf(f, "usage: momu eval SUBCOMMAND [options]\n\n"
               "  beats    beat F-measure between two time lists (--ref, --est, --tolerance)\n\n"
               "'momu eval SUBCOMMAND --help' lists the options and their defaults.\n");
}

int cli_eval(int argc, char **argv) {
    if (argc < 2) {
        eval_usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        eval_usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "beats")) return eval_beats(argc - 2, argv + 2);
    cli_errorf("eval", "unknown subcommand '%s'", sub);
    eval_usage(stderr);
    return 2;
}
