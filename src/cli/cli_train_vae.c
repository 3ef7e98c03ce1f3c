/* momu train vae — not built yet (issue 3). */
#include "cli.h"

int cli_train_vae(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("train vae", "not available yet in this build (planned in issue 3)");
}
