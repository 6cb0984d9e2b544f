/* Event batches: encode, check with the daemon's decoder, sort, write
 * (see evbatch.h).
 *
 * Encoding walks the writer schema's fields by name and takes each value
 * from the struct rs_event, so a newer schema with more optional fields
 * still encodes (they are written as null) and a field's position never
 * matters. One generic Avro value per kind is reused for every event. The
 * encoded records live in one growing arena; the index holds what sorting
 * needs, so a million events cost their bytes plus 40 bytes each. */
#include "riskstream/evbatch.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/avro_text.h"
#include "riskstream/buf.h"
#include "riskstream/decode.h"
#include "riskstream/evfile.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice",
    "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent",
    "io.riskstream.Communication",
};

static const char *const method_names[] = {
    "TRANSFER", "DIRECT_DEBIT", "CARD", "CHEQUE", "PAYMENT_LINK", "OTHER",
};
static const char *const limit_names[] = {
    "GRANTED", "INCREASED", "REDUCED", "WITHDRAWN", "UNKNOWN",
};
static const char *const channel_names[] = {
    "EMAIL", "PHONE", "LETTER", "PORTAL", "IN_PERSON", "OTHER",
};
static const char *const excuse_names[] = {
    "FORGOT",        "INVOICE_LOST",         "ACCOUNTS_BUSY", "CASH_PROBLEMS",
    "WAITING_FOR_CUSTOMER", "DISPUTE_PRETEXT", "OTHER",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct writer {
    const struct rs_schema_entry *entry;
    avro_value_iface_t *iface;
    avro_value_t rec;
};

/* One kept record; key and value are at off in the arena. */
struct slot {
    int64_t time;
    uint64_t seq;
    size_t off;
    uint32_t key_len;
    uint32_t value_len;
    uint8_t kind;
};

struct rs_evbatch {
    struct rs_registry *reg;
    struct rs_decoder *decoder;
    struct writer w[RS_EVENT_KINDS];
    struct rs_buf scratch;
    struct slot *slots;
    size_t count, cap;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    uint64_t seq;
};

/* A typed value taken from an event for one schema field. */
enum tv_kind { TV_NULL, TV_STR, TV_NUM, TV_DOUBLE, TV_BOOL, TV_ENUM };

struct tv {
    enum tv_kind k;
    const char *s; /* TV_STR, TV_ENUM (the symbol) */
    int64_t n;
    double d;
};

static void tv_str(struct tv *v, const char *s)
{
    v->k = TV_STR;
    v->s = s;
}

static void tv_num(struct tv *v, int64_t n)
{
    v->k = TV_NUM;
    v->n = n;
}

static void tv_enum(struct tv *v, const char *const *names, size_t count,
                    int i)
{
    v->k = TV_ENUM;
    v->s = i >= 0 && (size_t)i < count ? names[i] : "?";
}

/* Optional field: the value if its bit is set, else null. */
#define OPT(bit) if (!(ev->has & (bit))) { v->k = TV_NULL; return 0; }

static int invoice_field(const struct rs_event *ev, const char *f,
                         struct tv *v)
{
    const struct rs_invoice *in = &ev->u.inv;

    if (!strcmp(f, "invoice_id"))
        tv_str(v, in->invoice_id);
    else if (!strcmp(f, "order_id")) {
        OPT(RS_INV_HAS_ORDER_ID) tv_str(v, in->order_id);
    } else if (!strcmp(f, "amount"))
        tv_num(v, in->amount);
    else if (!strcmp(f, "currency"))
        tv_str(v, in->currency);
    else if (!strcmp(f, "issue_date"))
        tv_num(v, in->issue_date);
    else if (!strcmp(f, "due_date"))
        tv_num(v, in->due_date);
    else if (!strcmp(f, "payment_terms_days"))
        tv_num(v, in->payment_terms_days);
    else if (!strcmp(f, "sector")) {
        OPT(RS_INV_HAS_SECTOR) tv_str(v, in->sector);
    } else if (!strcmp(f, "segment")) {
        OPT(RS_INV_HAS_SEGMENT) tv_str(v, in->segment);
    } else if (!strcmp(f, "credited_invoice_id")) {
        OPT(RS_INV_HAS_CREDITED_INVOICE_ID) tv_str(v, in->credited_invoice_id);
    } else
        return -1;
    return 0;
}

static int payment_field(const struct rs_event *ev, const char *f,
                         struct tv *v)
{
    const struct rs_payment *p = &ev->u.pay;

    if (!strcmp(f, "payment_id"))
        tv_str(v, p->payment_id);
    else if (!strcmp(f, "amount"))
        tv_num(v, p->amount);
    else if (!strcmp(f, "currency"))
        tv_str(v, p->currency);
    else if (!strcmp(f, "payment_date"))
        tv_num(v, p->payment_date);
    else if (!strcmp(f, "invoice_id")) {
        OPT(RS_PAY_HAS_INVOICE_ID) tv_str(v, p->invoice_id);
    } else if (!strcmp(f, "method")) {
        OPT(RS_PAY_HAS_METHOD)
        tv_enum(v, method_names, COUNT(method_names), p->method);
    } else
        return -1;
    return 0;
}

static int bureau_field(const struct rs_event *ev, const char *f,
                        struct tv *v)
{
    const struct rs_bureau *b = &ev->u.bur;

    if (!strcmp(f, "source"))
        tv_str(v, b->source);
    else if (!strcmp(f, "old_score")) {
        OPT(RS_BUR_HAS_OLD_SCORE) tv_num(v, b->old_score);
    } else if (!strcmp(f, "new_score")) {
        OPT(RS_BUR_HAS_NEW_SCORE) tv_num(v, b->new_score);
    } else if (!strcmp(f, "score_max")) {
        OPT(RS_BUR_HAS_SCORE_MAX) tv_num(v, b->score_max);
    } else if (!strcmp(f, "old_rating")) {
        OPT(RS_BUR_HAS_OLD_RATING) tv_str(v, b->old_rating);
    } else if (!strcmp(f, "new_rating")) {
        OPT(RS_BUR_HAS_NEW_RATING) tv_str(v, b->new_rating);
    } else if (!strcmp(f, "inquirer")) {
        OPT(RS_BUR_HAS_INQUIRER) tv_str(v, b->inquirer);
    } else if (!strcmp(f, "filing_kind")) {
        OPT(RS_BUR_HAS_FILING_KIND) tv_str(v, b->filing_kind);
    } else if (!strcmp(f, "interim")) {
        OPT(RS_BUR_HAS_INTERIM) v->k = TV_BOOL;
        v->n = b->interim != 0;
    } else if (!strcmp(f, "parent_customer_id")) {
        OPT(RS_BUR_HAS_PARENT_CUSTOMER_ID) tv_str(v, b->parent_customer_id);
    } else if (!strcmp(f, "limit_action")) {
        OPT(RS_BUR_HAS_LIMIT_ACTION)
        tv_enum(v, limit_names, COUNT(limit_names), b->limit_action);
    } else if (!strcmp(f, "limit_amount")) {
        OPT(RS_BUR_HAS_LIMIT_AMOUNT) tv_num(v, b->limit_amount);
    } else if (!strcmp(f, "limit_currency")) {
        OPT(RS_BUR_HAS_LIMIT_CURRENCY) tv_str(v, b->limit_currency);
    } else if (!strcmp(f, "buyer_name")) {
        OPT(RS_BUR_HAS_BUYER_NAME) tv_str(v, b->buyer_name);
    } else if (!strcmp(f, "buyer_share")) {
        OPT(RS_BUR_HAS_BUYER_SHARE) v->k = TV_DOUBLE;
        v->d = b->buyer_share;
    } else if (!strcmp(f, "severity")) {
        OPT(RS_BUR_HAS_SEVERITY) tv_num(v, b->severity);
    } else if (!strcmp(f, "description")) {
        OPT(RS_BUR_HAS_DESCRIPTION) tv_str(v, b->description);
    } else
        return -1;
    return 0;
}

static int comm_field(const struct rs_event *ev, const char *f, struct tv *v)
{
    const struct rs_comm *c = &ev->u.com;

    if (!strcmp(f, "invoice_id")) {
        OPT(RS_COM_HAS_INVOICE_ID) tv_str(v, c->invoice_id);
    } else if (!strcmp(f, "dunning_level")) {
        OPT(RS_COM_HAS_DUNNING_LEVEL) tv_num(v, c->dunning_level);
    } else if (!strcmp(f, "channel")) {
        OPT(RS_COM_HAS_CHANNEL)
        tv_enum(v, channel_names, COUNT(channel_names), c->channel);
    } else if (!strcmp(f, "promised_date")) {
        OPT(RS_COM_HAS_PROMISED_DATE) tv_num(v, c->promised_date);
    } else if (!strcmp(f, "promised_amount")) {
        OPT(RS_COM_HAS_PROMISED_AMOUNT) tv_num(v, c->promised_amount);
    } else if (!strcmp(f, "currency")) {
        OPT(RS_COM_HAS_CURRENCY) tv_str(v, c->currency);
    } else if (!strcmp(f, "requested_days")) {
        OPT(RS_COM_HAS_REQUESTED_DAYS) tv_num(v, c->requested_days);
    } else if (!strcmp(f, "excuse_category")) {
        OPT(RS_COM_HAS_EXCUSE_CATEGORY)
        tv_enum(v, excuse_names, COUNT(excuse_names), c->excuse_category);
    } else if (!strcmp(f, "dispute_id")) {
        OPT(RS_COM_HAS_DISPUTE_ID) tv_str(v, c->dispute_id);
    } else if (!strcmp(f, "resolution")) {
        OPT(RS_COM_HAS_RESOLUTION) tv_str(v, c->resolution);
    } else if (!strcmp(f, "note")) {
        OPT(RS_COM_HAS_NOTE) tv_str(v, c->note);
    } else
        return -1;
    return 0;
}

#undef OPT

/* The value of field f of ev: 0, or -1 when riskstream has no such field. */
static int event_field(const struct rs_event *ev, const char *f, struct tv *v)
{
    memset(v, 0, sizeof(*v));
    if (!strcmp(f, "event_id")) {
        tv_str(v, ev->event_id);
    } else if (!strcmp(f, "event_time")) {
        tv_num(v, ev->event_time);
    } else if (!strcmp(f, "customer_id")) {
        tv_str(v, ev->customer_id);
    } else if (!strcmp(f, "type")) {
        v->k = TV_ENUM;
        v->s = rs_event_type_name(ev->kind, ev->type);
    } else {
        switch (ev->kind) {
        case RS_EVENT_INVOICE:
            return invoice_field(ev, f, v);
        case RS_EVENT_PAYMENT:
            return payment_field(ev, f, v);
        case RS_EVENT_BUREAU:
            return bureau_field(ev, f, v);
        case RS_EVENT_COMM:
            return comm_field(ev, f, v);
        }
        return -1;
    }
    return 0;
}

/* Whether a scalar of Avro type t can hold v. */
static int fits(avro_type_t t, const struct tv *v)
{
    switch (t) {
    case AVRO_NULL:
        return v->k == TV_NULL;
    case AVRO_STRING:
        return v->k == TV_STR;
    case AVRO_INT32:
        return v->k == TV_NUM && v->n >= INT32_MIN && v->n <= INT32_MAX;
    case AVRO_INT64:
        return v->k == TV_NUM;
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        return v->k == TV_DOUBLE || v->k == TV_NUM;
    case AVRO_BOOLEAN:
        return v->k == TV_BOOL;
    case AVRO_ENUM:
        return v->k == TV_ENUM;
    default:
        return 0;
    }
}

static int set_scalar(avro_value_t *f, const struct tv *v)
{
    avro_schema_t s = avro_value_get_schema(f);
    double d = v->k == TV_DOUBLE ? v->d : (double)v->n;
    int sym;

    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return avro_value_set_null(f);
    case AVRO_STRING:
        return avro_value_set_string(f, v->s);
    case AVRO_INT32:
        return avro_value_set_int(f, (int32_t)v->n);
    case AVRO_INT64:
        return avro_value_set_long(f, v->n);
    case AVRO_FLOAT:
        return avro_value_set_float(f, (float)d);
    case AVRO_DOUBLE:
        return avro_value_set_double(f, d);
    case AVRO_BOOLEAN:
        return avro_value_set_boolean(f, (int)v->n);
    case AVRO_ENUM:
        sym = avro_schema_enum_get_by_name(s, v->s);
        return sym < 0 ? -1 : avro_value_set_enum(f, sym);
    default:
        return -1;
    }
}

/* Sets a field, choosing the union branch that fits. */
static int set_field(avro_value_t *f, const struct tv *v)
{
    avro_value_t branch;
    avro_schema_t us;

    if (avro_value_get_type(f) != AVRO_UNION)
        return fits(avro_value_get_type(f), v) ? set_scalar(f, v) : -1;
    us = avro_value_get_schema(f);
    for (size_t i = 0; i < avro_schema_union_size(us); i++) {
        if (!fits(avro_typeof(avro_schema_union_branch(us, (int)i)), v))
            continue;
        if (avro_value_set_branch(f, (int)i, &branch))
            return -1;
        return set_scalar(&branch, v);
    }
    return -1;
}

static int nullable(avro_schema_t s)
{
    if (!is_avro_union(s))
        return 0;
    for (size_t i = 0; i < avro_schema_union_size(s); i++)
        if (avro_typeof(avro_schema_union_branch(s, (int)i)) == AVRO_NULL)
            return 1;
    return 0;
}

/* A writer schema is usable when every field it requires is one we have. */
static int check_schema(const struct rs_schema_entry *e, enum rs_event_kind k,
                        char *errstr, size_t errstr_size)
{
    struct rs_event ev;
    size_t n = avro_schema_record_size(e->schema);

    memset(&ev, 0, sizeof(ev));
    ev.kind = k;
    for (size_t i = 0; i < n; i++) {
        const char *name = avro_schema_record_field_name(e->schema, (int)i);
        struct tv v;

        if (event_field(&ev, name, &v) == 0 ||
            nullable(avro_schema_record_field_get_by_index(e->schema, (int)i)))
            continue;
        snprintf(errstr, errstr_size,
                 "schema '%s' (id %u) requires field '%s', which riskstream's "
                 "converters do not know",
                 e->fullname, e->id, name);
        return -1;
    }
    return 0;
}

struct rs_evbatch *rs_evbatch_new(const char *schema_dir, char *errstr,
                                  size_t errstr_size)
{
    struct rs_evbatch *b = rs_calloc(1, sizeof(*b));

    rs_buf_init(&b->scratch, RS_EVFILE_VALUE_MAX);
    b->reg = rs_registry_load(schema_dir, errstr, errstr_size);
    if (!b->reg)
        goto fail;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct writer *w = &b->w[k];

        w->entry = rs_registry_by_name(b->reg, record_names[k]);
        if (!w->entry) {
            snprintf(errstr, errstr_size,
                     "no schema for '%s' in schema directory '%s'",
                     record_names[k], schema_dir);
            goto fail;
        }
        if (check_schema(w->entry, (enum rs_event_kind)k, errstr,
                         errstr_size))
            goto fail;
        w->iface = avro_generic_class_from_schema(w->entry->schema);
        if (!w->iface || avro_generic_value_new(w->iface, &w->rec)) {
            snprintf(errstr, errstr_size, "cannot build an Avro value of '%s': %s",
                     record_names[k], avro_strerror());
            goto fail;
        }
    }
    b->decoder = rs_decoder_new(b->reg, RS_EVFILE_VALUE_MAX, errstr,
                                errstr_size);
    if (!b->decoder)
        goto fail;
    return b;
fail:
    rs_evbatch_destroy(b);
    return NULL;
}

void rs_evbatch_destroy(struct rs_evbatch *b)
{
    if (!b)
        return;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        if (b->w[k].iface) {
            avro_value_decref(&b->w[k].rec);
            avro_value_iface_decref(b->w[k].iface);
        }
    }
    if (b->decoder)
        rs_decoder_destroy(b->decoder);
    rs_registry_destroy(b->reg);
    rs_buf_release(&b->scratch);
    free(b->slots);
    free(b->arena);
    free(b);
}

/* Encodes ev into b->scratch: Confluent header, then the Avro body. */
static int encode(struct rs_evbatch *b, const struct rs_event *ev, char *why,
                  size_t why_size)
{
    struct writer *w;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    size_t n;

    if ((unsigned)ev->kind >= RS_EVENT_KINDS) {
        snprintf(why, why_size, "event '%s' has no kind", ev->event_id);
        return -1;
    }
    w = &b->w[ev->kind];
    n = avro_schema_record_size(w->entry->schema);
    for (size_t i = 0; i < n; i++) {
        const char *name =
            avro_schema_record_field_name(w->entry->schema, (int)i);
        avro_value_t f;
        struct tv v;

        if (event_field(ev, name, &v))
            v.k = TV_NULL; /* a newer optional field: check_schema saw it */
        if (avro_value_get_by_index(&w->rec, i, &f, NULL) ||
            set_field(&f, &v)) {
            snprintf(why, why_size,
                     "event '%s': field '%s' cannot be written with schema "
                     "'%s' (id %u)",
                     ev->event_id, name, w->entry->fullname, w->entry->id);
            return -1;
        }
    }
    rs_buf_reset(&b->scratch);
    rs_buf_append(&b->scratch, hdr, rs_frame_write_confluent(hdr, w->entry->id));
    if (rs_avro_encode(&w->rec, &b->scratch)) {
        snprintf(why, why_size, "event '%s' is larger than %d bytes encoded",
                 ev->event_id, RS_EVFILE_VALUE_MAX);
        return -1;
    }
    return 0;
}

int rs_evbatch_add(struct rs_evbatch *b, const struct rs_event *ev,
                   char *why, size_t why_size)
{
    struct rs_event back;
    enum rs_error_class cls;
    char reason[512];
    size_t key_len = strlen(ev->customer_id);
    struct slot *s;

    if (b->count >= RS_EVBATCH_MAX) {
        snprintf(why, why_size, "more than %u events in one batch",
                 RS_EVBATCH_MAX);
        return -1;
    }
    if (encode(b, ev, why, why_size))
        return -1;
    if (rs_decode(b->decoder, ev->kind, ev->customer_id, key_len,
                  b->scratch.data, b->scratch.len, &back, &cls, reason,
                  sizeof(reason)) != RS_DECODE_OK) {
        snprintf(why, why_size, "event '%s': %s", ev->event_id, reason);
        return -1;
    }
    rs_grow((void **)&b->slots, &b->cap, b->count + 1, sizeof(*b->slots));
    rs_grow((void **)&b->arena, &b->arena_cap,
            b->arena_len + key_len + b->scratch.len, 1);
    s = &b->slots[b->count++];
    s->time = ev->event_time;
    s->seq = b->seq++;
    s->off = b->arena_len;
    s->key_len = (uint32_t)key_len;
    s->value_len = (uint32_t)b->scratch.len;
    s->kind = (uint8_t)ev->kind;
    memcpy(b->arena + b->arena_len, ev->customer_id, key_len);
    memcpy(b->arena + b->arena_len + key_len, b->scratch.data,
           b->scratch.len);
    b->arena_len += key_len + b->scratch.len;
    return 0;
}

size_t rs_evbatch_count(const struct rs_evbatch *b)
{
    return b->count;
}

size_t rs_evbatch_mark(const struct rs_evbatch *b)
{
    return b->count;
}

void rs_evbatch_rollback(struct rs_evbatch *b, size_t mark)
{
    if (mark >= b->count)
        return;
    b->arena_len = b->slots[mark].off;
    b->count = mark;
}

static int cmp_slot(const void *x, const void *y)
{
    const struct slot *a = x, *b = y;

    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int rs_evbatch_write(struct rs_evbatch *b, const char *path, char *errstr,
                     size_t errstr_size)
{
    struct rs_evfile_writer *w;

    qsort(b->slots, b->count, sizeof(*b->slots), cmp_slot);
    w = rs_evfile_create(path, errstr, errstr_size);
    if (!w)
        return -1;
    for (size_t i = 0; i < b->count; i++) {
        const struct slot *s = &b->slots[i];

        if (rs_evfile_write(w, (enum rs_event_kind)s->kind, b->arena + s->off,
                            s->key_len, b->arena + s->off + s->key_len,
                            s->value_len, errstr, errstr_size)) {
            rs_evfile_finish(w, NULL, 0);
            return -1;
        }
    }
    return rs_evfile_finish(w, errstr, errstr_size);
}
