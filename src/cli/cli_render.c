/* momu render — not built yet (issue 5). */
#include "cli.h"

int cli_render(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("render", "not available yet in this build (planned in issue 5)");
}
