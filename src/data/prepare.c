/* momu — prepared training windows (`momu data prepare`); formats in docs/DATA.md. */
#include "momu/data.h"

void momu_prepare_opts_default(momu_prepare_opts *o) {
    *o = (momu_prepare_opts){0};
    o->window_s = 10.0;
    o->stride_s = 5.0;
    o->val_fraction = 0.15;
    o->seed = 1;
}

momu_status momu_data_prepare(const momu_prepare_opts *o, momu_prepare_summary *sum, momu_err *e) {
    (void)o; (void)sum;
    return momu_fail(e, MOMU_ERR_STATE, "data prepare: being written");
}
