/* momu — a small strict JSON (RFC 8259) parser into a tree, and writer helpers.
 * Used for safetensors headers, motion JSON, checkpoint metadata and eval output. */
#ifndef MOMU_JSON_H
#define MOMU_JSON_H
#include "momu/common.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MOMU_JSON_NULL, MOMU_JSON_BOOL, MOMU_JSON_NUMBER, MOMU_JSON_STRING, MOMU_JSON_ARRAY,
               MOMU_JSON_OBJECT } momu_json_type;

typedef struct momu_json {
    momu_json_type     type;
    int                boolean;
    double             num;
    char              *str;     /* STRING: NUL-terminated UTF-8 (embedded NULs rejected) */
    size_t             n;       /* ARRAY/OBJECT: number of items */
    struct momu_json  *items;   /* ARRAY/OBJECT: the values */
    char             **keys;    /* OBJECT: the keys, parallel to items */
} momu_json;

#define MOMU_JSON_MAX_DEPTH 64

/* Parses text[0..len); `what` names the source (a path) in error messages, with the byte offset. */
momu_status momu_json_parse(const char *text, size_t len, const char *what, momu_json **out, momu_err *e);
void        momu_json_free(momu_json *j);
/* Object member by key, or NULL (also NULL if obj is not an object). */
const momu_json *momu_json_get(const momu_json *obj, const char *key);

/* Writers: a JSON string with escapes; a number (non-finite written as null). */
void momu_json_write_string(FILE *f, const char *s);
void momu_json_write_number(FILE *f, double v);

#ifdef __cplusplus
}
#endif
#endif
