/* momu motion — private helpers shared by the files in src/motion (not part of the public API). */
#ifndef MOMU_MOTION_INTERNAL_H
#define MOMU_MOTION_INTERNAL_H
#include "momu/motion.h"

/* bvh.c */
momu_status motion_bvh_read(const char *path, int raw, momu_motion *m, momu_err *e);
momu_status motion_bvh_write(const char *path, const momu_motion *m, int stretch, momu_err *e);

#endif
