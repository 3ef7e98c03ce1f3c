/* momu — command-line front end. One file per subcommand under src/cli/; this file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct { const char *name; int (*fn)(int, char **); const char *what; } command;

static const command COMMANDS[] = {
    {"demo", cli_demo, "the main job on the bundled model: dance, music and both, into ./momu-demo/"},
    {"generate", cli_generate, "generate dance|music|both"},
    {"train", cli_train, "train vae|diffusion"},
    {"vae", cli_vae, "encode|decode with a trained VAE"},
    {"model", cli_model, "pack a checkpoint for shipping (F16, EMA weights) | info"},
    {"eval", cli_eval, "beat, sync, FID and quality metrics"},
    {"render", cli_render, "preview MP4: skeleton + music"},
    {"audio", cli_audio, "mel|onsets|beats|invert"},
    {"motion", cli_motion, "convert|beats"},
    {"data", cli_data, "align|prepare"},
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
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "momu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
