/* momu train — dispatches to `train vae` (src/cli/cli_train_vae.c) and `train diffusion`
 * (src/cli/cli_train_diffusion.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_train(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "vae")) return cli_train_vae(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "diffusion")) return cli_train_diffusion(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: momu train vae --stage music|motion ...\n"
               "       momu train diffusion --task music|motion ...\n"
               "'momu train vae --help' and 'momu train diffusion --help' list the options.\n");
        return 0;
    }
    return cli_errorf("train", "expected 'vae' or 'diffusion' (see momu train --help)");
}
