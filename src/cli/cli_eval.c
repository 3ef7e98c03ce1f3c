/* momu eval — not built yet (issue 2). */
#include "cli.h"

int cli_eval(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("eval", "not available yet in this build (planned in issue 2)");
}
