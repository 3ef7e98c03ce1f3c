/* momu audio — not built yet (issue 2). */
#include "cli.h"

int cli_audio(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("audio", "not available yet in this build (planned in issue 2)");
}
