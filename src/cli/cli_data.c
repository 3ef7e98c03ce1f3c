/* momu data — not built yet (issue 2). */
#include "cli.h"

int cli_data(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("data", "not available yet in this build (planned in issue 2)");
}
