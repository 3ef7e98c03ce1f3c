/* The float instantiation of the naive reference layers (see layers_ref.inc): nn_*_ref, plus the losses and
 * dropout backward, which have one version only. */
#define NN_REAL float
#define NN_REF(name) name##_ref
#define NN_ONE(name) name
#include "layers_ref.inc"
