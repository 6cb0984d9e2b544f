/* Decoding input records: framing, running the resolution programs,
 * validation.
 *
 * Per record the interpreter runs the writer's program (compiled by
 * decode_compile.c) over the body: no allocation, no Avro C, every length
 * checked against the bytes left before it is used. Fields the reader does
 * not know are skipped by walking the writer type's nodes, with caps on
 * depth and on the values visited. Validation problems met while reading
 * (an identifier too long, a bad currency, a null in a required field) are
 * kept pending and reported only once the whole body has decoded, so a
 * broken body is always DECODE, never VALIDATION. Then come the key check
 * and the rules of docs/schemas.md (decode_validate.c). */
#include "riskstream/decode.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"
#include "riskstream/format.h"
#include "riskstream/frame.h"


/* ---- running --------------------------------------------------------- */

enum derr {
    E_NONE,
    E_TRUNC,     /* the value ends inside a field */
    E_VARINT,    /* a varint of more bytes than its type allows */
    E_INT_RANGE, /* an int outside 32 bits */
    E_NEG_LEN,   /* negative length or byte size */
    E_LEN,       /* length past the end */
    E_BOOL,      /* boolean byte not 0 or 1 */
    E_ENUM,      /* enum index out of range */
    E_UNION,     /* union branch out of range */
    E_BRANCH,    /* a branch the reader cannot take */
    E_DEPTH,     /* skipped value nested too deep */
    E_WORK,      /* skipped value with too many parts */
    E_COUNT,     /* block count beyond the bytes left */
};

enum pend {
    P_NONE,
    P_TOO_LONG, /* identifier or label over its cap */
    P_NUL,      /* identifier or label with a NUL byte */
    P_CURRENCY, /* not three upper-case letters */
    P_NULL,     /* null in a required field */
};

struct run {
    const uint8_t *p;
    const uint8_t *end;
    const uint8_t *base; /* first byte of the Kafka value, for offsets */
    uint32_t work;
    /* The failure: what, where, and the numbers for the reason. */
    int err;
    const uint8_t *err_at;
    int64_t err_val;
    int64_t err_lim;
    /* The first validation problem met while reading. */
    int pend;
    const struct op *pend_op;
    const uint8_t *pend_p;
    size_t pend_n;
};

static int fail_at(struct run *r, int err, const uint8_t *at, int64_t val,
                   int64_t lim)
{
    r->err = err;
    r->err_at = at;
    r->err_val = val;
    r->err_lim = lim;
    return -1;
}

/* A zig-zag varint of at most max bytes (5 for int, 10 for long). */
static inline int rd_varint(struct run *r, int64_t *out, int max)
{
    const uint8_t *p = r->p;
    uint64_t v = 0;

    for (int i = 0; i < max; i++) {
        uint8_t b;

        if (p == r->end)
            return fail_at(r, E_TRUNC, p, 0, 0);
        b = *p++;
        if (i == 9 && b > 1) /* a 10th byte holds bit 63 alone */
            return fail_at(r, E_VARINT, r->p, max, 0);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            r->p = p;
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
    }
    return fail_at(r, E_VARINT, r->p, max, 0);
}

static inline int rd_long(struct run *r, int64_t *out)
{
    return rd_varint(r, out, 10);
}

static inline int rd_int(struct run *r, int32_t *out)
{
    const uint8_t *at = r->p;
    int64_t v;

    if (rd_varint(r, &v, 5))
        return -1;
    if (v < INT32_MIN || v > INT32_MAX)
        return fail_at(r, E_INT_RANGE, at, v, 0);
    *out = (int32_t)v;
    return 0;
}

/* A length-prefixed string or bytes: *s points into the value. */
static inline int rd_bytes(struct run *r, const uint8_t **s, size_t *n)
{
    const uint8_t *at = r->p;
    int64_t len;

    if (rd_long(r, &len))
        return -1;
    if (len < 0)
        return fail_at(r, E_NEG_LEN, at, len, 0);
    if ((uint64_t)len > (uint64_t)(r->end - r->p))
        return fail_at(r, E_LEN, at, len, r->end - r->p);
    *s = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

static inline int rd_fixed(struct run *r, const uint8_t **s, size_t n)
{
    if (n > (size_t)(r->end - r->p))
        return fail_at(r, E_TRUNC, r->p, (int64_t)n, r->end - r->p);
    *s = r->p;
    r->p += n;
    return 0;
}

static inline void pend(struct run *r, int what, const struct op *op,
                        const uint8_t *s, size_t n)
{
    if (r->pend)
        return;
    r->pend = what;
    r->pend_op = op;
    r->pend_p = s;
    r->pend_n = n;
}

static int skip(const struct rs_decoder *d, struct run *r, uint32_t ni,
                int depth)
{
    const struct node *nd = &d->nodes[ni];
    const uint8_t *at = r->p, *s;
    int64_t v;
    size_t n;
    int32_t i32;

    if (++r->work > RS_DECODE_MAX_WORK)
        return fail_at(r, E_WORK, at, RS_DECODE_MAX_WORK, 0);
    switch ((enum ntype)nd->type) {
    case N_NULL:
        return 0;
    case N_BOOL:
        if (rd_fixed(r, &s, 1))
            return -1;
        return *s > 1 ? fail_at(r, E_BOOL, at, *s, 0) : 0;
    case N_INT:
        return rd_int(r, &i32);
    case N_LONG:
        return rd_long(r, &v);
    case N_FLOAT:
        return rd_fixed(r, &s, 4);
    case N_DOUBLE:
        return rd_fixed(r, &s, 8);
    case N_BYTES:
        return rd_bytes(r, &s, &n);
    case N_FIXED:
        return rd_fixed(r, &s, nd->n);
    case N_ENUM:
        if (rd_int(r, &i32))
            return -1;
        if (i32 < 0 || (uint32_t)i32 >= nd->n)
            return fail_at(r, E_ENUM, at, i32, nd->n);
        return 0;
    case N_RECORD:
        if (depth >= RS_DECODE_MAX_DEPTH)
            return fail_at(r, E_DEPTH, at, RS_DECODE_MAX_DEPTH, 0);
        for (uint32_t k = 0; k < nd->n; k++)
            if (skip(d, r, d->kids[nd->a + k], depth + 1))
                return -1;
        return 0;
    case N_UNION:
        if (depth >= RS_DECODE_MAX_DEPTH)
            return fail_at(r, E_DEPTH, at, RS_DECODE_MAX_DEPTH, 0);
        if (rd_long(r, &v))
            return -1;
        if (v < 0 || v >= (int64_t)nd->n)
            return fail_at(r, E_UNION, at, v, nd->n);
        return skip(d, r, d->kids[nd->a + (uint32_t)v], depth + 1);
    case N_ARRAY:
    case N_MAP:
        break;
    }

    /* Arrays and maps: blocks of items up to a zero count. A negative
     * count is followed by the block's size in bytes, which lets us jump
     * over it without looking inside. */
    if (depth >= RS_DECODE_MAX_DEPTH)
        return fail_at(r, E_DEPTH, at, RS_DECODE_MAX_DEPTH, 0);
    uint32_t item_min =
        rs_decode_sat_add(d->nodes[nd->a].min, nd->type == N_MAP);
    for (;;) {
        int64_t count, size;

        at = r->p;
        if (rd_long(r, &count))
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) {
            if (count == INT64_MIN)
                return fail_at(r, E_COUNT, at, count, r->end - r->p);
            at = r->p;
            if (rd_long(r, &size))
                return -1;
            if (size < 0)
                return fail_at(r, E_NEG_LEN, at, size, 0);
            if ((uint64_t)size > (uint64_t)(r->end - r->p))
                return fail_at(r, E_LEN, at, size, r->end - r->p);
            r->p += size;
            continue;
        }
        if (item_min && (uint64_t)count > (uint64_t)(r->end - r->p) / item_min)
            return fail_at(r, E_COUNT, at, count, r->end - r->p);
        for (int64_t k = 0; k < count; k++) {
            if (nd->type == N_MAP && rd_bytes(r, &s, &n))
                return -1;
            if (skip(d, r, nd->a, depth + 1))
                return -1;
        }
    }
}

static inline uint64_t le64(const uint8_t *s)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | s[i];
    return v;
}

#define AT(T) (*(T *)(void *)(evb + x->offset))

/* Runs a writer's program over the body; -1 with r->err on a broken body. */
static int run_program(const struct rs_decoder *d, const struct op *prog,
                       const struct op *end, struct run *r,
                       struct rs_event *ev, const struct op **failed)
{
    char *evb = (char *)ev;

    for (const struct op *o = prog; o < end; o++) {
        const struct op *x = o;
        const uint8_t *s;
        size_t n;
        int64_t v;
        int32_t i32;

        if (o->code == OP_UNION) {
            const uint8_t *at = r->p;

            if (rd_long(r, &v))
                goto fail;
            if (v < 0 || v >= (int64_t)o->n) {
                fail_at(r, E_UNION, at, v, o->n);
                goto fail;
            }
            x = o + 1 + v;
            o += o->n;
        }
        switch ((enum opcode)x->code) {
        case OP_STR_ID:
        case OP_STR_LABEL: {
            size_t cap = x->code == OP_STR_ID ? RS_ID_MAX : RS_TEXT_MAX;

            if (rd_bytes(r, &s, &n))
                goto fail;
            if (n >= cap)
                pend(r, P_TOO_LONG, x, s, n);
            else if (memchr(s, 0, n))
                pend(r, P_NUL, x, s, n);
            else {
                memcpy(evb + x->offset, s, n);
                evb[x->offset + n] = '\0';
            }
            ev->has |= x->has;
            break;
        }
        case OP_STR_TEXT:
            if (rd_bytes(r, &s, &n))
                goto fail;
            if (n >= RS_TEXT_MAX) {
                /* Cut before a character that would not fit whole. */
                n = RS_TEXT_MAX - 1;
                for (int k = 0; k < 3 && n > 0 && (s[n] & 0xC0) == 0x80; k++)
                    n--;
            }
            memcpy(evb + x->offset, s, n);
            evb[x->offset + n] = '\0';
            ev->has |= x->has;
            break;
        case OP_STR_CUR:
            if (rd_bytes(r, &s, &n))
                goto fail;
            if (n != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
                s[1] > 'Z' || s[2] < 'A' || s[2] > 'Z')
                pend(r, P_CURRENCY, x, s, n);
            else {
                memcpy(evb + x->offset, s, 3);
                evb[x->offset + 3] = '\0';
            }
            ev->has |= x->has;
            break;
        case OP_INT_I32:
            if (rd_int(r, &i32))
                goto fail;
            AT(int32_t) = i32;
            ev->has |= x->has;
            break;
        case OP_INT_I64:
            if (rd_int(r, &i32))
                goto fail;
            AT(int64_t) = i32;
            ev->has |= x->has;
            break;
        case OP_LONG_I64:
            if (rd_long(r, &v))
                goto fail;
            AT(int64_t) = v;
            ev->has |= x->has;
            break;
        case OP_INT_F64:
            if (rd_int(r, &i32))
                goto fail;
            AT(double) = i32;
            ev->has |= x->has;
            break;
        case OP_LONG_F64:
            if (rd_long(r, &v))
                goto fail;
            AT(double) = (double)v;
            ev->has |= x->has;
            break;
        case OP_FLOAT_F64: {
            uint32_t bits;
            float f;

            if (rd_fixed(r, &s, 4))
                goto fail;
            bits = (uint32_t)s[0] | (uint32_t)s[1] << 8 |
                   (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
            memcpy(&f, &bits, 4);
            AT(double) = f;
            ev->has |= x->has;
            break;
        }
        case OP_DOUBLE_F64: {
            uint64_t bits;
            double f;

            if (rd_fixed(r, &s, 8))
                goto fail;
            bits = le64(s);
            memcpy(&f, &bits, 8);
            AT(double) = f;
            ev->has |= x->has;
            break;
        }
        case OP_BOOL:
            if (rd_fixed(r, &s, 1))
                goto fail;
            if (*s > 1) {
                fail_at(r, E_BOOL, s, *s, 0);
                goto fail;
            }
            AT(int) = *s;
            ev->has |= x->has;
            break;
        case OP_ENUM: {
            const uint8_t *at = r->p;

            if (rd_int(r, &i32))
                goto fail;
            if (i32 < 0 || (uint32_t)i32 >= x->n) {
                fail_at(r, E_ENUM, at, i32, x->n);
                goto fail;
            }
            AT(int) = d->symmap[x->arg + (uint32_t)i32];
            ev->has |= x->has;
            break;
        }
        case OP_NULL:
            if (!x->has)
                pend(r, P_NULL, x, NULL, 0);
            break;
        case OP_SKIP:
            if (skip(d, r, x->arg, 0))
                goto fail;
            break;
        case OP_FAIL:
            fail_at(r, E_BRANCH, r->p, x->arg, 0);
            goto fail;
        case OP_UNION: /* a union inside a union cannot be compiled */
            fail_at(r, E_BRANCH, r->p, AVRO_UNION, 0);
            goto fail;
        }
        continue;
    fail:
        *failed = x;
        return -1;
    }
    return 0;
}

/* ---- reasons --------------------------------------------------------- */

#define say rs_decode_say

/* Bytes from the wire as printable text: at most 40 of them, anything
 * outside printable ASCII as \xNN, "..." when cut. */
static const char *quote(char *dst, size_t size, const void *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = src;
    size_t o = 0, i;

    for (i = 0; i < n && i < 40 && o + 5 < size; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '\'') {
            dst[o++] = (char)s[i];
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 15];
        }
    }
    if (i < n && o + 4 <= size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

static const char *field_name(const struct rs_decoder *d, const struct rkind *k,
                              const struct op *op)
{
    return op->code == OP_SKIP ? d->names[op->n] : k->fields[op->field].name;
}

static void decode_reason(const struct rs_decoder *d, const struct rkind *k,
                          const struct run *r, const struct op *op, char *why,
                          size_t size)
{
    const char *f = field_name(d, k, op);
    long long at = (long long)(r->err_at - r->base);
    long long v = (long long)r->err_val, lim = (long long)r->err_lim;

    switch ((enum derr)r->err) {
    case E_NONE:
        break;
    case E_TRUNC:
        say(why, size, "value ends inside field '%s' at byte %lld", f, at);
        return;
    case E_VARINT:
        say(why, size, "field '%s': varint longer than %lld bytes at byte %lld",
            f, v, at);
        return;
    case E_INT_RANGE:
        say(why, size, "field '%s': int %lld out of range at byte %lld", f, v,
            at);
        return;
    case E_NEG_LEN:
        say(why, size, "field '%s': negative length %lld at byte %lld", f, v,
            at);
        return;
    case E_LEN:
        say(why, size,
            "field '%s': length %lld at byte %lld runs past the end of the "
            "value (%lld byte%s left)",
            f, v, at, lim, lim == 1 ? "" : "s");
        return;
    case E_BOOL:
        say(why, size, "field '%s': boolean byte %lld is not 0 or 1 at byte %lld",
            f, v, at);
        return;
    case E_ENUM:
        say(why, size,
            "field '%s': enum index %lld out of range (%lld symbols) at byte "
            "%lld",
            f, v, lim, at);
        return;
    case E_UNION:
        say(why, size,
            "field '%s': union branch %lld out of range (%lld branches) at "
            "byte %lld",
            f, v, lim, at);
        return;
    case E_BRANCH:
        say(why, size,
            "field '%s': the writer's %s branch cannot be read as the "
            "reader's %s (byte %lld)",
            f, rs_decode_wire_name((avro_type_t)v),
            rs_decode_reader_name(&k->fields[op->field]), at);
        return;
    case E_DEPTH:
        say(why, size, "field '%s': nested deeper than %lld levels at byte %lld",
            f, v, at);
        return;
    case E_WORK:
        say(why, size, "field '%s': more than %lld values at byte %lld", f, v,
            at);
        return;
    case E_COUNT:
        say(why, size,
            "field '%s': block count %lld at byte %lld is more than the %lld "
            "bytes left can hold",
            f, v, at, lim);
        return;
    }
    say(why, size, "field '%s': cannot decode at byte %lld", f, at);
}

static void pending_reason(const struct rkind *k, const struct run *r,
                           char *why, size_t size)
{
    const struct rfield *f = &k->fields[r->pend_op->field];
    char q[200];

    switch ((enum pend)r->pend) {
    case P_NONE:
        break;
    case P_TOO_LONG:
        say(why, size, "%s is longer than %d bytes ('%s', %zu bytes)", f->name,
            (f->type == RT_ID ? RS_ID_MAX : RS_TEXT_MAX) - 1,
            quote(q, sizeof(q), r->pend_p, r->pend_n), r->pend_n);
        return;
    case P_NUL:
        say(why, size, "%s '%s' contains a NUL byte", f->name,
            quote(q, sizeof(q), r->pend_p, r->pend_n));
        return;
    case P_CURRENCY:
        say(why, size, "%s '%s' is not three upper-case letters", f->name,
            quote(q, sizeof(q), r->pend_p, r->pend_n));
        return;
    case P_NULL:
        say(why, size, "%s is null but required", f->name);
        return;
    }
}

/* ---- validation ------------------------------------------------------ */

static const struct writer *find_writer(struct rs_decoder *d,
                                        enum rs_event_kind expected,
                                        const struct rs_frame *fr)
{
    const struct writer *w = d->last[expected];
    int by_id = fr->kind == RS_FRAME_CONFLUENT;

    if (w && (by_id ? w->id == fr->schema_id
                    : w->fingerprint == fr->fingerprint))
        return w;
    for (size_t i = 0; i < d->writer_count; i++) {
        w = &d->writers[i];
        if (by_id ? w->id == fr->schema_id
                  : w->fingerprint == fr->fingerprint) {
            d->last[expected] = w;
            return w;
        }
    }
    return NULL;
}

static enum rs_decode_result poison(enum rs_error_class *cls,
                                    enum rs_error_class c)
{
    if (cls)
        *cls = c;
    return RS_DECODE_POISON;
}

enum rs_decode_result rs_decode(struct rs_decoder *d,
                                enum rs_event_kind expected, const void *key,
                                size_t key_len, const void *value, size_t len,
                                struct rs_event *out,
                                enum rs_error_class *error_class, char *why,
                                size_t why_size)
{
    const struct rkind *k;
    const struct writer *w;
    const struct op *failed = NULL;
    struct rs_frame fr;
    enum rs_frame_result fres;
    struct run r;
    char q[200], q2[200];
    int rc;

    if (why && why_size)
        why[0] = '\0';
    if ((unsigned)expected >= RS_EVENT_KINDS) {
        say(why, why_size, "no input topic of kind %d", (int)expected);
        return poison(error_class, RS_ERROR_OTHER);
    }
    k = &rs_decode_kinds[expected];
    if (len > d->max_record_bytes) {
        say(why, why_size, "value of %zu bytes is larger than the cap of %zu",
            len, d->max_record_bytes);
        return poison(error_class, RS_ERROR_OVERSIZED);
    }
    fres = rs_frame_parse(value, len, &fr);
    if (fres != RS_FRAME_OK) {
        say(why, why_size, "%s", rs_frame_result_str(fres));
        return poison(error_class, RS_ERROR_FRAMING);
    }
    w = find_writer(d, expected, &fr);
    if (!w) {
        if (fr.kind == RS_FRAME_CONFLUENT)
            say(why, why_size, "schema id %u is not in the schema directory",
                fr.schema_id);
        else
            say(why, why_size,
                "schema fingerprint %016llx is not in the schema directory",
                (unsigned long long)fr.fingerprint);
        return poison(error_class, RS_ERROR_UNKNOWN_SCHEMA);
    }
    if (w->kind != (int)expected) {
        say(why, why_size,
            "schema id %u (%s) writes %s, but the %s topic carries %s", w->id,
            w->file, w->fullname, k->label, k->fullname);
        return poison(error_class, RS_ERROR_UNKNOWN_SCHEMA);
    }
    if (w->incompatible) {
        say(why, why_size, "%s", w->incompatible);
        return poison(error_class, RS_ERROR_UNKNOWN_SCHEMA);
    }

    /* Clear the header and this kind's part of the union only: the rest of
     * the union is another kind's view, and clearing all of it costs more
     * than decoding a small record. */
    memset(out, 0, offsetof(struct rs_event, u) + k->size);
    out->partition = 0;
    out->offset = 0;
    out->kind = expected;
    r.p = fr.body;
    r.end = fr.body + fr.body_len;
    r.base = value;
    r.work = 0;
    r.err = E_NONE;
    r.pend = P_NONE;
    rc = run_program(d, d->ops + w->first_op,
                     d->ops + w->first_op + w->op_count, &r, out, &failed);
    if (rc) {
        decode_reason(d, k, &r, failed, why, why_size);
        return poison(error_class, RS_ERROR_DECODE);
    }
    if (r.p != r.end) {
        say(why, why_size, "%zu trailing bytes after the record at byte %zu",
            (size_t)(r.end - r.p), (size_t)(r.p - r.base));
        return poison(error_class, RS_ERROR_DECODE);
    }
    if (r.pend) {
        pending_reason(k, &r, why, why_size);
        return poison(error_class, RS_ERROR_VALIDATION);
    }

    if (!out->event_id[0] || !out->customer_id[0]) {
        say(why, why_size, "%s is empty",
            out->event_id[0] ? "customer_id" : "event_id");
        return poison(error_class, RS_ERROR_VALIDATION);
    }
    if (strncmp(out->customer_id, RS_RESERVED_ID_PREFIX,
                strlen(RS_RESERVED_ID_PREFIX)) == 0) {
        say(why, why_size, "customer_id '%s' starts with '%s', which "
                           "riskstream reserves for its own records",
            quote(q, sizeof(q), out->customer_id, strlen(out->customer_id)),
            RS_RESERVED_ID_PREFIX);
        return poison(error_class, RS_ERROR_VALIDATION);
    }
    if (!key) {
        say(why, why_size, "no key; the key must be the customer_id '%s'",
            quote(q, sizeof(q), out->customer_id, strlen(out->customer_id)));
        return poison(error_class, RS_ERROR_KEY_MISMATCH);
    }
    if (key_len != strlen(out->customer_id) ||
        memcmp(key, out->customer_id, key_len) != 0) {
        say(why, why_size, "key '%s' is not the customer_id '%s'",
            quote(q, sizeof(q), key, key_len),
            quote(q2, sizeof(q2), out->customer_id,
                  strlen(out->customer_id)));
        return poison(error_class, RS_ERROR_KEY_MISMATCH);
    }
    if (out->event_time < RS_DATE_MIN * RS_DAY_MS ||
        out->event_time >= (RS_DATE_MAX + 1) * RS_DAY_MS) {
        say(why, why_size,
            "event_time %s is an absurd date (outside 1990-01-01..2100-12-31)",
            rs_format_time(q, sizeof(q), out->event_time));
        return poison(error_class, RS_ERROR_VALIDATION);
    }
    if (rs_decode_validate(out, why, why_size))
        return poison(error_class, RS_ERROR_VALIDATION);
    return RS_DECODE_OK;
}
