/* momu generate — not built yet (issue 4). */
#include "cli.h"

int cli_generate(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("generate", "not available yet in this build (planned in issue 4)");
}
