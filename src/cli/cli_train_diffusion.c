/* momu train diffusion — not built yet (issue 4). */
#include "cli.h"

int cli_train_diffusion(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("train diffusion", "not available yet in this build (planned in issue 4)");
}
