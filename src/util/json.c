/* momu — strict JSON parser (RFC 8259) with a depth limit, and writer helpers. */
#include "momu/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t      len, pos;
    const char *what;
    momu_err   *e;
} parser;

static momu_status perr(parser *p, const char *msg) {
    return momu_fail(p->e, MOMU_ERR_FORMAT, "%s: invalid JSON at byte %zu: %s", p->what, p->pos, msg);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') p->pos++;
        else break;
    }
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static momu_status parse_hex4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4) return perr(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0) return perr(p, "bad hex digit in \\u escape");
        v = v * 16 + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return MOMU_OK;
}

static momu_status parse_string(parser *p, char **out) {
    /* p->s[p->pos] == '"' */
    p->pos++;
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return momu_fail(p->e, MOMU_ERR_OOM, "%s: out of memory", p->what);
    momu_status st = MOMU_OK;
    for (;;) {
        if (p->pos >= p->len) { st = perr(p, "unterminated string"); break; }
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') break;
        unsigned cp;
        char enc[4];
        size_t ne = 0;
        if (c == '\\') {
            if (p->pos >= p->len) { st = perr(p, "unterminated escape"); break; }
            char x = p->s[p->pos++];
            switch (x) {
            case '"': enc[ne++] = '"'; break;
            case '\\': enc[ne++] = '\\'; break;
            case '/': enc[ne++] = '/'; break;
            case 'b': enc[ne++] = '\b'; break;
            case 'f': enc[ne++] = '\f'; break;
            case 'n': enc[ne++] = '\n'; break;
            case 'r': enc[ne++] = '\r'; break;
            case 't': enc[ne++] = '\t'; break;
            case 'u':
                if ((st = parse_hex4(p, &cp))) break;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                        st = perr(p, "unpaired surrogate");
                        break;
                    }
                    p->pos += 2;
                    if ((st = parse_hex4(p, &lo))) break;
                    if (lo < 0xDC00 || lo > 0xDFFF) { st = perr(p, "bad low surrogate"); break; }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    st = perr(p, "unpaired surrogate");
                    break;
                }
                if (cp == 0) { st = perr(p, "NUL character in string"); break; }
                if (cp < 0x80) enc[ne++] = (char)cp;
                else if (cp < 0x800) { enc[ne++] = (char)(0xC0 | (cp >> 6)); enc[ne++] = (char)(0x80 | (cp & 63)); }
                else if (cp < 0x10000) {
                    enc[ne++] = (char)(0xE0 | (cp >> 12));
                    enc[ne++] = (char)(0x80 | ((cp >> 6) & 63));
                    enc[ne++] = (char)(0x80 | (cp & 63));
                } else {
                    enc[ne++] = (char)(0xF0 | (cp >> 18));
                    enc[ne++] = (char)(0x80 | ((cp >> 12) & 63));
                    enc[ne++] = (char)(0x80 | ((cp >> 6) & 63));
                    enc[ne++] = (char)(0x80 | (cp & 63));
                }
                break;
            default: st = perr(p, "unknown escape"); break;
            }
            if (st) break;
        } else if (c < 0x20) {
            st = perr(p, "control character in string");
            break;
        } else {
            enc[ne++] = (char)c;
        }
        if (n + ne + 1 > cap) {
            cap = cap * 2 + ne;
            char *nb = realloc(buf, cap);
            if (!nb) { st = momu_fail(p->e, MOMU_ERR_OOM, "%s: out of memory", p->what); break; }
            buf = nb;
        }
        memcpy(buf + n, enc, ne);
        n += ne;
    }
    if (st) { free(buf); return st; }
    buf[n] = 0;
    *out = buf;
    return MOMU_OK;
}

static momu_status parse_value(parser *p, momu_json *v, int depth);

static momu_status push_item(parser *p, momu_json *v, size_t *cap, char *key) {
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        momu_json *ni = realloc(v->items, nc * sizeof *ni);
        if (!ni) return momu_fail(p->e, MOMU_ERR_OOM, "%s: out of memory", p->what);
        v->items = ni;
        if (v->type == MOMU_JSON_OBJECT) {
            char **nk = realloc(v->keys, nc * sizeof *nk);
            if (!nk) return momu_fail(p->e, MOMU_ERR_OOM, "%s: out of memory", p->what);
            v->keys = nk;
        }
        *cap = nc;
    }
    memset(&v->items[v->n], 0, sizeof v->items[0]);
    if (v->type == MOMU_JSON_OBJECT) v->keys[v->n] = key;
    v->n++;
    return MOMU_OK;
}

static momu_status parse_value(parser *p, momu_json *v, int depth) {
    memset(v, 0, sizeof *v);
    if (depth > MOMU_JSON_MAX_DEPTH) return perr(p, "nesting too deep");
    skip_ws(p);
    if (p->pos >= p->len) return perr(p, "unexpected end of input");
    char c = p->s[p->pos];
    momu_status st;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->type = obj ? MOMU_JSON_OBJECT : MOMU_JSON_ARRAY;
        p->pos++;
        size_t cap = 0;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) { p->pos++; return MOMU_OK; }
        for (;;) {
            char *key = NULL;
            skip_ws(p);
            if (obj) {
                if (p->pos >= p->len || p->s[p->pos] != '"') return perr(p, "expected a string key");
                if ((st = parse_string(p, &key))) return st;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') { free(key); return perr(p, "expected ':'"); }
                p->pos++;
            }
            if ((st = push_item(p, v, &cap, key))) { free(key); return st; }
            if ((st = parse_value(p, &v->items[v->n - 1], depth + 1))) return st;
            skip_ws(p);
            if (p->pos >= p->len) return perr(p, "unexpected end of input");
            char d = p->s[p->pos++];
            if (d == ',') continue;
            if (d == (obj ? '}' : ']')) return MOMU_OK;
            p->pos--;
            return perr(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') {
        v->type = MOMU_JSON_STRING;
        return parse_string(p, &v->str);
    }
    if (p->len - p->pos >= 4 && !strncmp(p->s + p->pos, "true", 4)) {
        v->type = MOMU_JSON_BOOL; v->boolean = 1; p->pos += 4; return MOMU_OK;
    }
    if (p->len - p->pos >= 5 && !strncmp(p->s + p->pos, "false", 5)) {
        v->type = MOMU_JSON_BOOL; p->pos += 5; return MOMU_OK;
    }
    if (p->len - p->pos >= 4 && !strncmp(p->s + p->pos, "null", 4)) {
        v->type = MOMU_JSON_NULL; p->pos += 4; return MOMU_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* validate the RFC grammar, then convert with strtod on a bounded copy */
        size_t q = p->pos;
        if (p->s[q] == '-') q++;
        if (q >= p->len || p->s[q] < '0' || p->s[q] > '9') return perr(p, "bad number");
        if (p->s[q] == '0') q++;
        else while (q < p->len && p->s[q] >= '0' && p->s[q] <= '9') q++;
        if (q < p->len && p->s[q] == '.') {
            q++;
            if (q >= p->len || p->s[q] < '0' || p->s[q] > '9') return perr(p, "bad number");
            while (q < p->len && p->s[q] >= '0' && p->s[q] <= '9') q++;
        }
        if (q < p->len && (p->s[q] == 'e' || p->s[q] == 'E')) {
            q++;
            if (q < p->len && (p->s[q] == '+' || p->s[q] == '-')) q++;
            if (q >= p->len || p->s[q] < '0' || p->s[q] > '9') return perr(p, "bad number");
            while (q < p->len && p->s[q] >= '0' && p->s[q] <= '9') q++;
        }
        char tmp[64];
        size_t nl = q - p->pos;
        if (nl >= sizeof tmp) return perr(p, "number too long");
        memcpy(tmp, p->s + p->pos, nl);
        tmp[nl] = 0;
        v->type = MOMU_JSON_NUMBER;
        v->num = strtod(tmp, NULL);
        if (!isfinite(v->num)) return perr(p, "number out of range");
        p->pos = q;
        return MOMU_OK;
    }
    return perr(p, "unexpected character");
}

momu_status momu_json_parse(const char *text, size_t len, const char *what, momu_json **out, momu_err *e) {
    *out = NULL;
    parser p = {text, len, 0, what ? what : "JSON", e};
    momu_json *root = calloc(1, sizeof *root);
    if (!root) return momu_fail(e, MOMU_ERR_OOM, "%s: out of memory", p.what);
    momu_status st = parse_value(&p, root, 0);
    if (!st) {
        skip_ws(&p);
        if (p.pos != p.len) st = perr(&p, "trailing characters after the value");
    }
    if (st) { momu_json_free(root); return st; }
    *out = root;
    return MOMU_OK;
}

static void free_inner(momu_json *j) {
    if (j->type == MOMU_JSON_STRING) free(j->str);
    if (j->type == MOMU_JSON_ARRAY || j->type == MOMU_JSON_OBJECT) {
        for (size_t i = 0; i < j->n; i++) {
            free_inner(&j->items[i]);
            if (j->keys) free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
    }
}

void momu_json_free(momu_json *j) {
    if (!j) return;
    free_inner(j);
    free(j);
}

const momu_json *momu_json_get(const momu_json *obj, const char *key) {
    if (!obj || obj->type != MOMU_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

void momu_json_write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*c < 0x20) fprintf(f, "\\u%04x", *c);
            else fputc(*c, f);
        }
    }
    fputc('"', f);
}

void momu_json_write_number(FILE *f, double v) {
    if (!isfinite(v)) fputs("null", f);
    else if (v == (double)(long long)v && fabs(v) < 1e15) fprintf(f, "%lld", (long long)v);
    else fprintf(f, "%.9g", v);
}
