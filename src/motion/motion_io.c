/* momu motion — the motion container, NPY and JSON readers/writers, load/save by extension, resampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "momu/json.h"
#include "momu/motion.h"
#include "momu/npy.h"
#include "motion_internal.h"

/* JSON motion text larger than this is refused: the parse tree costs ~50x the text. */
#define MOTION_JSON_MAX_BYTES ((size_t)256 << 20)

momu_status momu_motion_alloc(momu_motion *m, size_t n_frames, size_t n_joints, float fps, momu_err *e) {
    memset(m, 0, sizeof *m);
    size_t n;
    if (!n_frames || !n_joints) return momu_fail(e, MOMU_ERR_ARG, "motion with %zu frames and %zu joints", n_frames, n_joints);
    if (n_joints > MOMU_MOTION_MAX_JOINTS)
        return momu_fail(e, MOMU_ERR_RANGE, "motion with %zu joints (at most %d)", n_joints, MOMU_MOTION_MAX_JOINTS);
    if (!momu_mul_ok(n_frames, n_joints * 3, &n) || n > MOMU_MAX_INPUT_BYTES / sizeof(float))
        return momu_fail(e, MOMU_ERR_RANGE, "motion of %zu frames x %zu joints is too large", n_frames, n_joints);
    m->pos = momu_calloc_array(n, sizeof(float), e);
    if (!m->pos) return MOMU_ERR_OOM;
    m->n_frames = n_frames;
    m->n_joints = n_joints;
    m->fps = fps;
    m->skel.n_joints = n_joints;
    return MOMU_OK;
}

void momu_motion_free(momu_motion *m) {
    if (!m) return;
    free(m->pos);
    momu_skeleton_free(&m->skel);
    memset(m, 0, sizeof *m);
}

momu_status momu_motion_copy(momu_motion *dst, const momu_motion *src, momu_err *e) {
    momu_status st = momu_motion_alloc(dst, src->n_frames, src->n_joints, src->fps, e);
    if (st) return st;
    memcpy(dst->pos, src->pos, src->n_frames * src->n_joints * 3 * sizeof(float));
    st = momu_skeleton_copy(&dst->skel, &src->skel, e);
    if (st) momu_motion_free(dst);
    return st;
}

momu_status momu_motion_check(const momu_motion *m, const char *what, momu_err *e) {
    if (!what) what = "motion";
    if (!m || !m->pos || !m->n_frames || !m->n_joints)
        return momu_fail(e, MOMU_ERR_ARG, "%s: empty motion", what);
    if (!(m->fps > 0.0f) || !isfinite(m->fps) || m->fps > 10000.0f)
        return momu_fail(e, MOMU_ERR_RANGE, "%s: frame rate %g is not in (0, 10000]", what, (double)m->fps);
    if (m->skel.n_joints != m->n_joints)
        return momu_fail(e, MOMU_ERR_ARG, "%s: skeleton has %zu joints, motion %zu", what, m->skel.n_joints, m->n_joints);
    size_t n = m->n_frames * m->n_joints * 3;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(m->pos[i]))
            return momu_fail(e, MOMU_ERR_RANGE, "%s: non-finite position at frame %zu joint %zu", what,
                             i / (m->n_joints * 3), i / 3 % m->n_joints);
    if (m->skel.parent)
        for (size_t j = 0; j < m->n_joints; j++)
            if (m->skel.parent[j] < -1 || m->skel.parent[j] >= (int)m->n_joints || m->skel.parent[j] == (int)j)
                return momu_fail(e, MOMU_ERR_FORMAT, "%s: joint %zu has invalid parent %d", what, j, m->skel.parent[j]);
    return MOMU_OK;
}

/* ---- NPY ---------------------------------------------------------------------------------------- */

static momu_status npy_read_motion(const char *path, momu_motion *m, momu_err *e) {
    momu_npy a;
    momu_status st = momu_npy_read(path, &a, 1, e);
    if (st) return st;
    if (a.ndim != 3 || a.shape[2] != 3 || !a.shape[0] || !a.shape[1]) {
        momu_fail(e, MOMU_ERR_FORMAT, "%s: expected a motion array of shape (T, J, 3) with T, J > 0, got %d-d shape (%zu%s%zu%s%zu)",
                  path, a.ndim, a.ndim > 0 ? a.shape[0] : 0, a.ndim > 1 ? ", " : "", a.ndim > 1 ? a.shape[1] : 0,
                  a.ndim > 2 ? ", " : "", a.ndim > 2 ? a.shape[2] : 0);
        momu_npy_free(&a);
        return MOMU_ERR_FORMAT;
    }
    if (a.shape[1] > MOMU_MOTION_MAX_JOINTS) {
        momu_fail(e, MOMU_ERR_RANGE, "%s: %zu joints (at most %d accepted)", path, a.shape[1], MOMU_MOTION_MAX_JOINTS);
        momu_npy_free(&a);
        return MOMU_ERR_RANGE;
    }
    memset(m, 0, sizeof *m);
    m->n_frames = a.shape[0];
    m->n_joints = a.shape[1];
    m->fps = MOMU_DWM_FPS;
    m->pos = a.data; /* ownership moves to the motion */
    m->skel.n_joints = m->n_joints;
    if (m->n_joints == MOMU_DWM_JOINTS) {
        st = momu_skeleton_dwm(&m->skel, e);
        if (st) { momu_motion_free(m); return st; }
    }
    return MOMU_OK;
}

/* ---- JSON --------------------------------------------------------------------------------------- */

static int json_num(const momu_json *v, double *x) {
    if (!v || v->type != MOMU_JSON_NUMBER || !isfinite(v->num)) return 0;
    *x = v->num;
    return 1;
}

static momu_status json_read_motion(const char *path, momu_motion *m, momu_err *e) {
    unsigned char *text;
    size_t len;
    momu_status st = momu_read_file(path, MOTION_JSON_MAX_BYTES, &text, &len, e);
    if (st) return st;
    momu_json *root = NULL;
    st = momu_json_parse((const char *)text, len, path, &root, e);
    free(text);
    if (st) return st;
    memset(m, 0, sizeof *m);
    if (root->type != MOMU_JSON_OBJECT) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: top level is not an object", path); goto done; }
    double fps;
    const momu_json *jf = momu_json_get(root, "fps");
    if (!json_num(jf, &fps) || !(fps > 0) || fps > 10000) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"fps\" must be a number in (0, 10000]", path);
        goto done;
    }
    const momu_json *fr = momu_json_get(root, "frames");
    if (!fr || fr->type != MOMU_JSON_ARRAY || fr->n == 0) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"frames\" must be a non-empty array of frames", path);
        goto done;
    }
    if (fr->items[0].type != MOMU_JSON_ARRAY || fr->items[0].n == 0) {
        st = momu_fail(e, MOMU_ERR_FORMAT, "%s: frame 0 must be a non-empty array of [x,y,z] joints", path);
        goto done;
    }
    size_t T = fr->n, J = fr->items[0].n;
    momu_err ea = {0};
    st = momu_motion_alloc(m, T, J, (float)fps, &ea);
    if (st) { momu_fail(e, st, "%s: %s", path, ea.msg); goto done; }
    for (size_t t = 0; t < T; t++) {
        const momu_json *f = &fr->items[t];
        if (f->type != MOMU_JSON_ARRAY || f->n != J) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: frame %zu has %zu joints, frame 0 has %zu", path, t,
                           f->type == MOMU_JSON_ARRAY ? f->n : 0, J);
            goto done;
        }
        for (size_t j = 0; j < J; j++) {
            const momu_json *p = &f->items[j];
            if (p->type != MOMU_JSON_ARRAY || p->n != 3) {
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s: frame %zu joint %zu is not an [x, y, z] triple", path, t, j);
                goto done;
            }
            for (size_t c = 0; c < 3; c++) {
                double x;
                if (!json_num(&p->items[c], &x) || fabs(x) > 1e30) {
                    st = momu_fail(e, MOMU_ERR_RANGE, "%s: frame %zu joint %zu coordinate %zu is not a finite number",
                                   path, t, j, c);
                    goto done;
                }
                m->pos[(t * J + j) * 3 + c] = (float)x;
            }
        }
    }
    const momu_json *jn = momu_json_get(root, "joints");
    if (jn) {
        if (jn->type != MOMU_JSON_ARRAY || jn->n != J) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"joints\" must list %zu names", path, J);
            goto done;
        }
        m->skel.names = momu_calloc_array(J, MOMU_JOINT_NAME_MAX, e);
        if (!m->skel.names) { st = MOMU_ERR_OOM; goto done; }
        for (size_t j = 0; j < J; j++) {
            const momu_json *s = &jn->items[j];
            if (s->type != MOMU_JSON_STRING || !s->str[0] || strlen(s->str) >= MOMU_JOINT_NAME_MAX) {
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s: joint name %zu must be a string of 1..%d bytes", path, j,
                               MOMU_JOINT_NAME_MAX - 1);
                goto done;
            }
            strcpy(m->skel.names[j], s->str);
        }
    }
    const momu_json *jp = momu_json_get(root, "parents");
    if (jp) {
        if (jp->type != MOMU_JSON_ARRAY || jp->n != J) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"parents\" must list %zu integers", path, J);
            goto done;
        }
        m->skel.parent = momu_malloc_array(J, sizeof(int), e);
        if (!m->skel.parent) { st = MOMU_ERR_OOM; goto done; }
        for (size_t j = 0; j < J; j++) {
            double x;
            if (!json_num(&jp->items[j], &x) || x != floor(x) || x < -1 || x >= (double)J || x == (double)j) {
                st = momu_fail(e, MOMU_ERR_FORMAT, "%s: parent of joint %zu must be -1 or another joint index", path, j);
                goto done;
            }
            m->skel.parent[j] = (int)x;
        }
        /* A tree: following parents from any joint must reach a root within J steps. */
        for (size_t j = 0; j < J; j++) {
            int k = (int)j;
            size_t steps = 0;
            while (k >= 0 && steps <= J) { k = m->skel.parent[k]; steps++; }
            if (k >= 0) { st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"parents\" contains a cycle (joint %zu)", path, j); goto done; }
        }
    }
    const momu_json *jo = momu_json_get(root, "offsets");
    if (jo) {
        if (jo->type != MOMU_JSON_ARRAY || jo->n != J) {
            st = momu_fail(e, MOMU_ERR_FORMAT, "%s: \"offsets\" must list %zu [x,y,z] triples", path, J);
            goto done;
        }
        m->skel.offset = momu_malloc_array(J * 3, sizeof(float), e);
        if (!m->skel.offset) { st = MOMU_ERR_OOM; goto done; }
        for (size_t j = 0; j < J; j++) {
            const momu_json *p = &jo->items[j];
            for (size_t c = 0; c < 3; c++) {
                double x;
                if (p->type != MOMU_JSON_ARRAY || p->n != 3 || !json_num(&p->items[c], &x) || fabs(x) > 1e30) {
                    st = momu_fail(e, MOMU_ERR_FORMAT, "%s: offset %zu is not a finite [x, y, z] triple", path, j);
                    goto done;
                }
                m->skel.offset[j * 3 + c] = (float)x;
            }
        }
    }
    if (!jn && !jp && J == MOMU_DWM_JOINTS) { /* like NPY: 23 unnamed points are DwM points */
        momu_skeleton_free(&m->skel);
        st = momu_skeleton_dwm(&m->skel, e);
    }
done:
    momu_json_free(root);
    if (st) momu_motion_free(m);
    return st;
}

static momu_status json_write_motion(const char *path, const momu_motion *m, momu_err *e) {
    momu_atomic a;
    momu_status st = momu_atomic_open(&a, path, e);
    if (st) return st;
    FILE *f = a.f;
    size_t J = m->n_joints;
    fputs("{\"format\": \"momu-motion-1\", \"units\": \"cm\", \"up\": \"y\", \"fps\": ", f);
    momu_json_write_number(f, m->fps);
    if (m->skel.names) {
        fputs(",\n \"joints\": [", f);
        for (size_t j = 0; j < J; j++) {
            if (j) fputs(", ", f);
            momu_json_write_string(f, m->skel.names[j]);
        }
        fputc(']', f);
    }
    if (m->skel.parent) {
        fputs(",\n \"parents\": [", f);
        for (size_t j = 0; j < J; j++) fprintf(f, "%s%d", j ? ", " : "", m->skel.parent[j]);
        fputc(']', f);
    }
    if (m->skel.offset) {
        fputs(",\n \"offsets\": [", f);
        for (size_t j = 0; j < J; j++) {
            fputs(j ? ", [" : "[", f);
            for (size_t c = 0; c < 3; c++) {
                if (c) fputs(", ", f);
                momu_json_write_number(f, m->skel.offset[j * 3 + c]);
            }
            fputc(']', f);
        }
        fputc(']', f);
    }
    fputs(",\n \"frames\": [\n", f);
    for (size_t t = 0; t < m->n_frames; t++) {
        fputs("  [", f);
        for (size_t j = 0; j < J; j++) {
            const float *p = m->pos + (t * J + j) * 3;
            fprintf(f, "%s[%.9g, %.9g, %.9g]", j ? ", " : "", (double)p[0], (double)p[1], (double)p[2]);
        }
        fputs(t + 1 < m->n_frames ? "],\n" : "]\n", f);
    }
    fputs(" ]}\n", f);
    return momu_atomic_commit(&a, e);
}

/* ---- by extension ------------------------------------------------------------------------------- */

momu_status momu_motion_load(const char *path, momu_motion *m, momu_err *e) {
    char ext[16];
    momu_path_ext(path, ext, sizeof ext);
    momu_status st;
    memset(m, 0, sizeof *m);
    if (!strcmp(ext, "npy")) st = npy_read_motion(path, m, e);
    else if (!strcmp(ext, "json")) st = json_read_motion(path, m, e);
    else if (!strcmp(ext, "bvh")) st = motion_bvh_read(path, 0, m, e);
    else return momu_fail(e, MOMU_ERR_ARG, "%s: unknown motion extension '.%s' (expected .npy, .bvh or .json)", path, ext);
    if (st) return st;
    st = momu_motion_check(m, path, e);
    if (st) momu_motion_free(m);
    return st;
}

momu_status momu_motion_save(const char *path, const momu_motion *m, momu_err *e) {
    char ext[16];
    momu_path_ext(path, ext, sizeof ext);
    momu_status st = momu_motion_check(m, path, e);
    if (st) return st;
    if (!strcmp(ext, "npy")) {
        size_t shape[3] = {m->n_frames, m->n_joints, 3};
        return momu_npy_write_f32(path, m->pos, 3, shape, e);
    }
    if (!strcmp(ext, "json")) return json_write_motion(path, m, e);
    if (!strcmp(ext, "bvh")) return motion_bvh_write(path, m, 0, e);
    return momu_fail(e, MOMU_ERR_ARG, "%s: unknown motion extension '.%s' (expected .npy, .bvh or .json)", path, ext);
}

/* ---- resampling --------------------------------------------------------------------------------- */

momu_status momu_motion_resample(const momu_motion *in, double time_scale, double offset_s, float out_fps,
                                 size_t n_out, momu_motion *out, momu_err *e) {
    memset(out, 0, sizeof *out);
    if (!in || !in->pos || !in->n_frames) return momu_fail(e, MOMU_ERR_ARG, "resample: empty input motion");
    if (!(time_scale > 0) || !isfinite(time_scale) || !isfinite(offset_s) || !(out_fps > 0) || !isfinite(out_fps))
        return momu_fail(e, MOMU_ERR_ARG, "resample: time_scale %g, offset %g s, fps %g must be finite, scale and fps > 0",
                         time_scale, offset_s, (double)out_fps);
    momu_status st = momu_motion_alloc(out, n_out, in->n_joints, out_fps, e);
    if (st) return st;
    st = momu_skeleton_copy(&out->skel, &in->skel, e);
    if (st) { momu_motion_free(out); return st; }
    out->skel.n_joints = in->n_joints;
    size_t JC = in->n_joints * 3, T = in->n_frames;
    for (size_t i = 0; i < n_out; i++) {
        double t = time_scale * (offset_s + (double)i / out_fps); /* input seconds */
        double x = t * in->fps;                                  /* input frame index */
        float *o = out->pos + i * JC;
        if (!(x > 0)) { memcpy(o, in->pos, JC * sizeof(float)); continue; }
        if (x >= (double)(T - 1)) { memcpy(o, in->pos + (T - 1) * JC, JC * sizeof(float)); continue; }
        size_t k = (size_t)x;
        double w = x - (double)k;
        const float *a = in->pos + k * JC, *b = a + JC;
        for (size_t c = 0; c < JC; c++) o[c] = (float)((1.0 - w) * a[c] + w * b[c]);
    }
    return MOMU_OK;
}
