/* momu motion — skeletons and the built-in Dance-with-Melody (DwM) skeleton.
 *
 * DwM point names and bones follow the dataset README / skeleton.tsv (Tang et al., ACM MM 2018; names were
 * inferred from the data by the README's author). The 23 points are not a kinematic tree: the neck is the
 * mid-shoulders and the head centre the midpoint of the two head points. The `parent` array below is only
 * a display tree over the 23 points (every point reachable from the waist, each edge a near-rigid pair);
 * the BVH writer (bvh.c) builds a proper kinematic tree with two virtual joints (neck, head). */
#include <stdlib.h>
#include <string.h>

#include "momu/motion.h"

static const char *const DWM_NAMES[MOMU_DWM_JOINTS] = {
    "head_L", "head_R", "spine", "shoulder_L", "elbow_L", "forearm_L", "wrist_L", "hip_L",
    "knee_L", "ankle_L", "heel_L", "toe_L", "shoulder_R", "elbow_R", "forearm_R", "wrist_R",
    "hip_R", "knee_R", "ankle_R", "heel_R", "toe_R", "hand_dir_R", "hand_dir_L"};

/* hand_dir_R (21) lies ~6 cm from point 14 and hand_dir_L (22) ~5 cm from point 6 (measured on DANCE_W_1:
 * 5.9 +- 1.0 and 4.9 +- 1.3 cm), so those are their parents. */
static const int DWM_PARENT[MOMU_DWM_JOINTS] = {3, 12, -1, 2, 3, 4, 5, 2, 7, 8, 9, 9,
                                                2, 12, 13, 14, 2, 16, 17, 18, 18, 14, 6};

/* README mirror pairs: 0-1, 3-12, 4-13, 5-14, 6-15, 7-16, 8-17, 9-18, 10-19, 11-20, 21-22; 2 on the midline. */
static const int DWM_MIRROR[MOMU_DWM_JOINTS] = {1, 0, 2, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                                3, 4, 5, 6, 7, 8, 9, 10, 11, 22, 21};

/* skeleton.tsv bone rows: a = end nearer the waist, b = far end; i+j = midpoint. */
static const momu_bone DWM_BONES[] = {
    {3, 12, 0, 1, "neck"},        {0, 0, 1, 1, "head"},          {3, 12, 3, 3, "clavicle_L"},
    {3, 3, 4, 4, "upper_arm_L"},  {4, 4, 5, 5, "forearm_L_1"},   {5, 5, 6, 6, "forearm_L_2"},
    {3, 12, 12, 12, "clavicle_R"}, {12, 12, 13, 13, "upper_arm_R"}, {13, 13, 14, 14, "forearm_R_1"},
    {14, 14, 15, 15, "forearm_R_2"}, {2, 2, 3, 12, "spine"},      {2, 2, 7, 7, "pelvis_L"},
    {7, 7, 8, 8, "thigh_L"},      {8, 8, 9, 9, "shin_L"},        {9, 9, 10, 11, "foot_L"},
    {10, 10, 11, 11, "sole_L"},   {2, 2, 16, 16, "pelvis_R"},    {16, 16, 17, 17, "thigh_R"},
    {17, 17, 18, 18, "shin_R"},   {18, 18, 19, 20, "foot_R"},    {19, 19, 20, 20, "sole_R"},
};

const momu_bone *momu_dwm_bones(size_t *n_bones) {
    if (n_bones) *n_bones = sizeof DWM_BONES / sizeof DWM_BONES[0];
    return DWM_BONES;
}

const int *momu_dwm_mirror_map(void) { return DWM_MIRROR; }

void momu_skeleton_free(momu_skeleton *sk) {
    if (!sk) return;
    free(sk->names);
    free(sk->parent);
    free(sk->offset);
    sk->names = NULL;
    sk->parent = NULL;
    sk->offset = NULL;
    sk->n_joints = 0;
}

momu_status momu_skeleton_dwm(momu_skeleton *sk, momu_err *e) {
    memset(sk, 0, sizeof *sk);
    sk->names = momu_calloc_array(MOMU_DWM_JOINTS, MOMU_JOINT_NAME_MAX, e);
    sk->parent = momu_malloc_array(MOMU_DWM_JOINTS, sizeof(int), e);
    if (!sk->names || !sk->parent) {
        momu_skeleton_free(sk);
        return MOMU_ERR_OOM;
    }
    sk->n_joints = MOMU_DWM_JOINTS;
    for (size_t j = 0; j < MOMU_DWM_JOINTS; j++) {
        strcpy(sk->names[j], DWM_NAMES[j]);
        sk->parent[j] = DWM_PARENT[j];
    }
    return MOMU_OK;
}

momu_status momu_skeleton_copy(momu_skeleton *dst, const momu_skeleton *src, momu_err *e) {
    memset(dst, 0, sizeof *dst);
    size_t J = src->n_joints;
    dst->n_joints = J;
    if (src->names) {
        dst->names = momu_malloc_array(J ? J : 1, MOMU_JOINT_NAME_MAX, e);
        if (!dst->names) goto oom;
        memcpy(dst->names, src->names, J * MOMU_JOINT_NAME_MAX);
    }
    if (src->parent) {
        dst->parent = momu_malloc_array(J ? J : 1, sizeof(int), e);
        if (!dst->parent) goto oom;
        memcpy(dst->parent, src->parent, J * sizeof(int));
    }
    if (src->offset) {
        dst->offset = momu_malloc_array(J ? J * 3 : 1, sizeof(float), e);
        if (!dst->offset) goto oom;
        memcpy(dst->offset, src->offset, J * 3 * sizeof(float));
    }
    return MOMU_OK;
oom:
    momu_skeleton_free(dst);
    return MOMU_ERR_OOM;
}

int momu_skeleton_find(const momu_skeleton *sk, const char *name) {
    if (!sk || !sk->names) return -1;
    for (size_t j = 0; j < sk->n_joints; j++)
        if (!strcmp(sk->names[j], name)) return (int)j;
    return -1;
}

int momu_skeleton_is_dwm(const momu_skeleton *sk) {
    if (!sk || sk->n_joints != MOMU_DWM_JOINTS || !sk->names) return 0;
    for (size_t j = 0; j < MOMU_DWM_JOINTS; j++)
        if (strcmp(sk->names[j], DWM_NAMES[j])) return 0;
    return 1;
}
