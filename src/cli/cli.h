/* momu CLI — a table-driven option parser shared by every subcommand (one table feeds the parser, --help
 * with the current defaults, and the resolved-config dump of -v). */
#ifndef MOMU_CLI_H
#define MOMU_CLI_H
#include <stddef.h>

#include "momu/common.h"

typedef enum { CLI_INT, CLI_SIZE, CLI_FLOAT, CLI_STR, CLI_FLAG } cli_kind;

typedef struct {
    const char *name;   /* long name without "--", e.g. "seed" */
    cli_kind    kind;
    void       *dst;    /* int*, size_t*, float*, const char**, int* (flag) */
    const char *help;
} cli_opt;

/* Parses argv[0..argc) (argv[0] is the first word after the subcommand words) into the option table,
 * collecting up to max_pos positional arguments. `usage` is the one-line synopsis for --help.
 * Returns 0 on success, 1 if --help was printed (caller exits 0), 2 on an error already printed. */
int cli_parse(int argc, char **argv, const cli_opt *opts, size_t n_opts, const char **pos, size_t max_pos,
              size_t *n_pos, const char *cmd, const char *usage);
void cli_print_help(const cli_opt *opts, size_t n_opts, const char *cmd, const char *usage);
void cli_dump_config(const cli_opt *opts, size_t n_opts, const char *cmd); /* with -v */

/* Prints "momu CMD: <message>" to stderr and returns 1 (the exit status for a failed command). */
int cli_error(const char *cmd, const momu_err *e);
/* "LO,HI" with 0 <= LO < HI <= 1 (a fraction interval, e.g. --guidance-interval): 0 and the two values, or
 * -1 (nothing written) when s is not of that form. */
int cli_parse_interval(const char *s, float *lo, float *hi);
int cli_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Subcommands: argv[0] is the subcommand name ("audio", ...). Each returns the process exit status. */
int cli_audio(int argc, char **argv);
int cli_motion(int argc, char **argv);
int cli_data(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_eval_vae(int argc, char **argv);        /* argv[0]: the first option after `eval vae` */
int cli_train(int argc, char **argv);
int cli_train_vae(int argc, char **argv);        /* argv[0] == "vae" */
int cli_train_diffusion(int argc, char **argv);  /* argv[0] == "diffusion" */
int cli_vae(int argc, char **argv);
int cli_model(int argc, char **argv);            /* pack | info */
int cli_generate(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_render(int argc, char **argv);

#endif
