/* momu train — not built yet (issue 3 and 4). */
#include "cli.h"

int cli_train(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("train", "not available yet in this build (planned in issue 3 and 4)");
}
