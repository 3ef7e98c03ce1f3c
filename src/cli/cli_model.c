/* momu model pack|info — shipping a trained model (docs/MODELS.md "Packaging").
 *   pack IN OUT [--dtype f16|f32]   a training checkpoint -> the EMA weights only, metadata kept, CRC-32
 *                                   (model_pack.h); prints the sizes and the rounding error vs the source
 *   info FILE [--full]              metadata, tensor / parameter counts, dtypes, size, checksum */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "momu/model_pack.h"
#include "momu/safetensors.h"

static void fmt_count(char *buf, size_t n, size_t v) {   /* 2558128 -> "2,558,128" */
    char d[32];
    int len = snprintf(d, sizeof d, "%zu", v);
    size_t k = 0;
    for (int i = 0; i < len && k + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) buf[k++] = ',';
        buf[k++] = d[i];
    }
    buf[k] = 0;
}

static int pack(int argc, char **argv) {
    const char *cmd = "model pack", *dt = "f16", *pos[2];
    size_t n_pos = 0;
    const cli_opt opts[] = {
        {"dtype", CLI_STR, &dt, "dtype of the weights: f16 (half the size, rounding error ~2^-12 relative) or f32"},
    };
    int rc = cli_parse(argc, argv, opts, 1, pos, 2, &n_pos, cmd, "IN.safetensors OUT.safetensors [--dtype f16|f32]");
    if (rc) return rc == 1 ? 0 : 2;
    if (n_pos != 2) return cli_errorf(cmd, "expected IN.safetensors OUT.safetensors (see --help)"), 2;
    safetensors_dtype dtype = !strcmp(dt, "f16") || !strcmp(dt, "F16")   ? SAFETENSORS_F16
                              : !strcmp(dt, "f32") || !strcmp(dt, "F32") ? SAFETENSORS_F32
                                                                         : SAFETENSORS_DTYPE_COUNT;
    if (dtype == SAFETENSORS_DTYPE_COUNT) return cli_errorf(cmd, "--dtype %s: expected f16 or f32", dt), 2;
    momu_err e = {0};
    momu_pack_report r;
    if (momu_model_pack(pos[0], pos[1], dtype, &r, &e)) return cli_error(cmd, &e);
    char a[32], b[32], c[32];
    fmt_count(a, sizeof a, r.bytes_in);
    fmt_count(b, sizeof b, r.bytes_out);
    fmt_count(c, sizeof c, r.n_values);
    printf("%s (%s, %zu tensors, %s bytes) -> %s (%zu tensors, %s values, weights %s, %s bytes = %.3f x the source)\n",
           pos[0], r.kind, r.n_tensors_in, a, pos[1], r.n_tensors_out, c, safetensors_dtype_name(dtype), b,
           r.bytes_in ? (double)r.bytes_out / (double)r.bytes_in : 0.0);
    if (r.n_rounded) {
        printf("rounding vs the F32 source: max abs %.3g (%s), max rel %.3g over |x| >= 2^-14 (%s), relative L2 %.3g\n",
               r.max_abs_err, r.max_abs_tensor, r.max_rel_err, r.max_rel_tensor, r.rel_l2_err);
        printf("tiny values: %zu F16 subnormals (0 < |x| < 6.1e-5, absolute step 6.0e-8), %zu flushed to 0 "
               "(largest %.3g)\n", r.n_subnormal, r.n_flushed, r.max_flushed);
    } else {
        printf("rounding vs the source: max abs %.3g (F32: exact)\n", r.max_abs_err);
    }
    printf("checked: CRC-32 written and verified; loads as %s with the EMA weights\n", r.kind);
    return 0;
}

static int info(int argc, char **argv) {
    const char *cmd = "model info", *pos[1];
    int full = 0;
    size_t n_pos = 0;
    const cli_opt opts[] = {
        {"full", CLI_FLAG, &full, "print metadata values in full (default: cut at 160 characters)"},
    };
    int rc = cli_parse(argc, argv, opts, 1, pos, 1, &n_pos, cmd, "FILE.safetensors [--full]");
    if (rc) return rc == 1 ? 0 : 2;
    if (n_pos != 1) return cli_errorf(cmd, "expected one FILE.safetensors"), 2;
    momu_err e = {0};
    safetensors_file sf;
    if (safetensors_open(&sf, pos[0], &e)) return cli_error(cmd, &e);
    /* counts per dtype and per name group (ema.*, vae.*, norm.*, the rest) */
    size_t nt[SAFETENSORS_DTYPE_COUNT] = {0}, nv[SAFETENSORS_DTYPE_COUNT] = {0}, total = 0;
    static const char *groups[] = {"ema.", "vae.", "norm.", ""};
    size_t gt[4] = {0}, gv[4] = {0};
    for (size_t i = 0; i < sf.n; i++) {
        const safetensors_entry *t = &sf.t[i];
        nt[t->dtype]++;
        nv[t->dtype] += t->numel;
        total += t->numel;
        int g = 0;
        while (g < 3 && strncmp(t->name, groups[g], strlen(groups[g]))) g++;
        gt[g]++;
        gv[g] += t->numel;
    }
    const char *kind = safetensors_meta_get(&sf.meta, "momu.kind");
    const char *from = safetensors_meta_get(&sf.meta, "momu.packed_from");
    const char *crc = safetensors_meta_get(&sf.meta, SAFETENSORS_CRC_KEY);
    char a[32], b[32];
    fmt_count(a, sizeof a, sf.file_size);
    printf("file        %s\nsize        %s bytes (%.2f MiB)\nkind        %s\n", pos[0], a,
           (double)sf.file_size / (1 << 20), kind ? kind : "(none)");
    fmt_count(a, sizeof a, total);
    printf("tensors     %zu, %s values", sf.n, a);
    for (int d = 0; d < SAFETENSORS_DTYPE_COUNT; d++)
        if (nt[d]) {
            fmt_count(b, sizeof b, nv[d]);
            printf("; %s: %zu tensors, %s values", safetensors_dtype_name((safetensors_dtype)d), nt[d], b);
        }
    printf("\n");
    /* the model's parameters: the EMA copy when there is one (what inference loads), else the live weights */
    int pg = gt[0] ? 0 : gt[1] ? 1 : 3;
    fmt_count(a, sizeof a, gv[pg]);
    printf("parameters  %s (%s%s)\n", a, pg == 3 ? "unprefixed" : groups[pg], pg == 3 ? "" : "*");
    for (int g = 0; g < 4; g++)
        if (gt[g]) {
            fmt_count(b, sizeof b, gv[g]);
            printf("  %-9s %zu tensors, %s values\n", g == 3 ? "other" : groups[g], gt[g], b);
        }
    printf("checksum    %s\n", crc ? "momu.crc32 verified" : "none (a training checkpoint; not verified)");
    const char *pdt = safetensors_meta_get(&sf.meta, "momu.dtype");
    if (from) printf("packed      from %s, weights %s\n", from, pdt ? pdt : "?");
    else printf("packed      no (a training checkpoint: live and EMA weights; momu model pack keeps the EMA)\n");
    printf("metadata    %zu keys\n", sf.meta.n);
    for (size_t i = 0; i < sf.meta.n; i++) {
        const char *v = sf.meta.vals[i];
        size_t len = strlen(v);
        if (!full && len > 160) printf("  %s = %.160s... (%zu characters)\n", sf.meta.keys[i], v, len);
        else printf("  %s = %s\n", sf.meta.keys[i], v);
    }
    safetensors_close(&sf);
    return 0;
}

int cli_model(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "pack")) return pack(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "info")) return info(argc - 2, argv + 2);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: momu model pack IN.safetensors OUT.safetensors [--dtype f16|f32]\n"
               "       momu model info FILE.safetensors [--full]\n"
               "pack keeps what inference needs (EMA weights, normalisation, every metadata key) and adds a CRC-32;\n"
               "see docs/MODELS.md, Packaging.\n");
        return 0;
    }
    return cli_errorf("model", "expected 'pack' or 'info' (see momu model --help)"), 2;
}
