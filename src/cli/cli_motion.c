/* momu motion — not built yet (issue 2). */
#include "cli.h"

int cli_motion(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("motion", "not available yet in this build (planned in issue 2)");
}
