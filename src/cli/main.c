/* momu — command-line front end. One file per subcommand under src/cli/; this file only dispatches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* passive_omp: run with OMP_WAIT_POLICY=PASSIVE when the variable is unset. On a machine shared with other
 * jobs libgomp's default spin-waiting made 2 threads ~10x slower than 1 (a 20-s demo on default-size models:
 * 117 s vs 12.5 s passive; docs/MODELS.md "Shared cores"). libgomp reads the variable once at start-up, so
 * main re-executes itself with it set. */
typedef struct { const char *name; int (*fn)(int, char **); const char *what; int passive_omp; } command;

static const command COMMANDS[] = {
    {"demo", cli_demo, "the main job on the bundled model: dance, music and both, into ./momu-demo/", 1},
    {"generate", cli_generate, "generate dance|music|both", 0},
    {"train", cli_train, "train vae|diffusion", 0},
    {"vae", cli_vae, "encode|decode with a trained VAE", 0},
    {"model", cli_model, "pack a checkpoint for shipping (F16, EMA weights) | info", 0},
    {"eval", cli_eval, "beat, sync, FID and quality metrics", 0},
    {"render", cli_render, "preview MP4: skeleton + music", 0},
    {"audio", cli_audio, "mel|onsets|beats|invert", 0},
    {"motion", cli_motion, "convert|beats", 0},
    {"data", cli_data, "align|prepare", 0},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *f) {
    fprintf(f, "momu — music from dance, dance from music, and both together\n\nusage: momu COMMAND [options]\n\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].what);
    fprintf(f, "\n'momu COMMAND --help' describes each command and its defaults.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name)) continue;
        if (COMMANDS[i].passive_omp && !getenv("OMP_WAIT_POLICY") && !setenv("OMP_WAIT_POLICY", "PASSIVE", 1))
            execv("/proc/self/exe", argv);   /* returns only on failure: then run as we are */
        return COMMANDS[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "momu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
