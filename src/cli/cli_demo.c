/* momu demo — needs the default model (issue 5). Until it is trained, say so plainly. */
#include "cli.h"

int cli_demo(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_errorf("demo",
                      "the default model is not trained yet, so there is nothing to demonstrate.\n"
                      "What works today: 'momu audio', 'momu motion', 'momu data', 'momu eval' and 'momu render';\n"
                      "'momu train' and 'momu generate' work with checkpoints you train yourself (docs/MODELS.md).");
}
