/* The generator's Avro encoder: struct rs_event to framed Avro binary.
 *
 * The generator writes millions of records, so it does not build Avro C
 * generic values. Instead the newest writer schema of each input record is
 * compiled once into one operation per field: which member of struct
 * rs_event it comes from, how it is written (zig-zag varint for int and
 * long, which are the same on the wire; length-prefixed bytes for strings;
 * one byte for booleans; little-endian IEEE for double and float; the
 * writer's symbol index for enums, mapped by name from event.h's order)
 * and, for optional fields, the union branches of null and of the value.
 * A field the generator does not know is written as null when the writer
 * allows it (a field added later with a null default); any other unknown
 * field, or a known field of an unexpected type, refuses the schema. */
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"
#include "riskstream/frame.h"

enum vt { VT_STRING, VT_LONG, VT_BOOL, VT_DOUBLE, VT_ENUM, VT_NULL };

enum gen_field {
    F_NULL,
    F_EVENT_ID,
    F_EVENT_TIME,
    F_CUSTOMER_ID,
    F_TYPE,
    F_INV_INVOICE_ID,
    F_INV_ORDER_ID,
    F_INV_AMOUNT,
    F_INV_CURRENCY,
    F_INV_ISSUE_DATE,
    F_INV_DUE_DATE,
    F_INV_TERMS,
    F_INV_SECTOR,
    F_INV_SEGMENT,
    F_INV_CREDITED_ID,
    F_PAY_PAYMENT_ID,
    F_PAY_AMOUNT,
    F_PAY_CURRENCY,
    F_PAY_DATE,
    F_PAY_INVOICE_ID,
    F_PAY_METHOD,
    F_BUR_SOURCE,
    F_BUR_OLD_SCORE,
    F_BUR_NEW_SCORE,
    F_BUR_SCORE_MAX,
    F_BUR_OLD_RATING,
    F_BUR_NEW_RATING,
    F_BUR_INQUIRER,
    F_BUR_FILING_KIND,
    F_BUR_INTERIM,
    F_BUR_PARENT,
    F_BUR_LIMIT_ACTION,
    F_BUR_LIMIT_AMOUNT,
    F_BUR_LIMIT_CURRENCY,
    F_BUR_BUYER_NAME,
    F_BUR_BUYER_SHARE,
    F_BUR_SEVERITY,
    F_BUR_DESCRIPTION,
    F_COM_INVOICE_ID,
    F_COM_DUNNING_LEVEL,
    F_COM_CHANNEL,
    F_COM_PROMISED_DATE,
    F_COM_PROMISED_AMOUNT,
    F_COM_CURRENCY,
    F_COM_REQUESTED_DAYS,
    F_COM_EXCUSE,
    F_COM_DISPUTE_ID,
    F_COM_RESOLUTION,
    F_COM_NOTE,
};

/* Reader symbol orders of event.h, by which the writer's are mapped. */
static const char *const invoice_types[] = {"ISSUED", "CREDITED", "CANCELLED",
                                            "UNKNOWN", NULL};
static const char *const payment_types[] = {
    "FULL", "PARTIAL", "REVERSAL", "FAILED_DIRECT_DEBIT", "UNKNOWN", NULL};
static const char *const bureau_types[] = {"SCORE_UPDATE",
                                           "RATING_UPDATE",
                                           "CREDIT_INQUIRY",
                                           "BANKRUPTCY_FILING",
                                           "LEGAL_FILING",
                                           "MANAGEMENT_CHANGE",
                                           "FINANCING_CHANGE",
                                           "HOUSE_BANK_CHANGE",
                                           "OWNERSHIP_LINK",
                                           "REPUTATION_SIGNAL",
                                           "CREDIT_LIMIT_DECISION",
                                           "MAJOR_BUYER_FAILURE",
                                           "UNKNOWN",
                                           NULL};
static const char *const comm_types[] = {"REMINDER",
                                         "FORMAL_NOTICE",
                                         "CALL_ATTEMPT",
                                         "CALL_ANSWERED",
                                         "INBOUND_REPLY",
                                         "PROMISE_TO_PAY",
                                         "EXTENSION_REQUEST",
                                         "EXCUSE",
                                         "DISPUTE_OPENED",
                                         "DISPUTE_RESOLVED",
                                         "PAYMENT_TERMS_REQUEST",
                                         "DEPOSIT_REFUSED",
                                         "COLLECTIONS_HANDOVER",
                                         "UNKNOWN",
                                         NULL};
static const char *const methods[] = {"TRANSFER", "DIRECT_DEBIT", "CARD",
                                      "CHEQUE",   "PAYMENT_LINK", "OTHER",
                                      NULL};
static const char *const limit_actions[] = {"GRANTED",   "INCREASED", "REDUCED",
                                            "WITHDRAWN", "UNKNOWN",   NULL};
static const char *const channels[] = {"EMAIL",     "PHONE", "LETTER", "PORTAL",
                                       "IN_PERSON", "OTHER", NULL};
static const char *const excuses[] = {"FORGOT",
                                      "INVOICE_LOST",
                                      "ACCOUNTS_BUSY",
                                      "CASH_PROBLEMS",
                                      "WAITING_FOR_CUSTOMER",
                                      "DISPUTE_PRETEXT",
                                      "OTHER",
                                      NULL};

struct known {
    int kind; /* -1: every kind (the header) */
    const char *name;
    uint16_t field;
    uint8_t vt;
    uint32_t has; /* presence bit; 0 = always set */
    const char *const *symbols;
};

static const struct known known[] = {
    {-1, "event_id", F_EVENT_ID, VT_STRING, 0, NULL},
    {-1, "event_time", F_EVENT_TIME, VT_LONG, 0, NULL},
    {-1, "customer_id", F_CUSTOMER_ID, VT_STRING, 0, NULL},
    {RS_EVENT_INVOICE, "type", F_TYPE, VT_ENUM, 0, invoice_types},
    {RS_EVENT_PAYMENT, "type", F_TYPE, VT_ENUM, 0, payment_types},
    {RS_EVENT_BUREAU, "type", F_TYPE, VT_ENUM, 0, bureau_types},
    {RS_EVENT_COMM, "type", F_TYPE, VT_ENUM, 0, comm_types},
    {RS_EVENT_INVOICE, "invoice_id", F_INV_INVOICE_ID, VT_STRING, 0, NULL},
    {RS_EVENT_INVOICE, "order_id", F_INV_ORDER_ID, VT_STRING,
     RS_INV_HAS_ORDER_ID, NULL},
    {RS_EVENT_INVOICE, "amount", F_INV_AMOUNT, VT_LONG, 0, NULL},
    {RS_EVENT_INVOICE, "currency", F_INV_CURRENCY, VT_STRING, 0, NULL},
    {RS_EVENT_INVOICE, "issue_date", F_INV_ISSUE_DATE, VT_LONG, 0, NULL},
    {RS_EVENT_INVOICE, "due_date", F_INV_DUE_DATE, VT_LONG, 0, NULL},
    {RS_EVENT_INVOICE, "payment_terms_days", F_INV_TERMS, VT_LONG, 0, NULL},
    {RS_EVENT_INVOICE, "sector", F_INV_SECTOR, VT_STRING, RS_INV_HAS_SECTOR,
     NULL},
    {RS_EVENT_INVOICE, "segment", F_INV_SEGMENT, VT_STRING, RS_INV_HAS_SEGMENT,
     NULL},
    {RS_EVENT_INVOICE, "credited_invoice_id", F_INV_CREDITED_ID, VT_STRING,
     RS_INV_HAS_CREDITED_INVOICE_ID, NULL},
    {RS_EVENT_PAYMENT, "payment_id", F_PAY_PAYMENT_ID, VT_STRING, 0, NULL},
    {RS_EVENT_PAYMENT, "amount", F_PAY_AMOUNT, VT_LONG, 0, NULL},
    {RS_EVENT_PAYMENT, "currency", F_PAY_CURRENCY, VT_STRING, 0, NULL},
    {RS_EVENT_PAYMENT, "payment_date", F_PAY_DATE, VT_LONG, 0, NULL},
    {RS_EVENT_PAYMENT, "invoice_id", F_PAY_INVOICE_ID, VT_STRING,
     RS_PAY_HAS_INVOICE_ID, NULL},
    {RS_EVENT_PAYMENT, "method", F_PAY_METHOD, VT_ENUM, RS_PAY_HAS_METHOD,
     methods},
    {RS_EVENT_BUREAU, "source", F_BUR_SOURCE, VT_STRING, 0, NULL},
    {RS_EVENT_BUREAU, "old_score", F_BUR_OLD_SCORE, VT_LONG,
     RS_BUR_HAS_OLD_SCORE, NULL},
    {RS_EVENT_BUREAU, "new_score", F_BUR_NEW_SCORE, VT_LONG,
     RS_BUR_HAS_NEW_SCORE, NULL},
    {RS_EVENT_BUREAU, "score_max", F_BUR_SCORE_MAX, VT_LONG,
     RS_BUR_HAS_SCORE_MAX, NULL},
    {RS_EVENT_BUREAU, "old_rating", F_BUR_OLD_RATING, VT_STRING,
     RS_BUR_HAS_OLD_RATING, NULL},
    {RS_EVENT_BUREAU, "new_rating", F_BUR_NEW_RATING, VT_STRING,
     RS_BUR_HAS_NEW_RATING, NULL},
    {RS_EVENT_BUREAU, "inquirer", F_BUR_INQUIRER, VT_STRING,
     RS_BUR_HAS_INQUIRER, NULL},
    {RS_EVENT_BUREAU, "filing_kind", F_BUR_FILING_KIND, VT_STRING,
     RS_BUR_HAS_FILING_KIND, NULL},
    {RS_EVENT_BUREAU, "interim", F_BUR_INTERIM, VT_BOOL, RS_BUR_HAS_INTERIM,
     NULL},
    {RS_EVENT_BUREAU, "parent_customer_id", F_BUR_PARENT, VT_STRING,
     RS_BUR_HAS_PARENT_CUSTOMER_ID, NULL},
    {RS_EVENT_BUREAU, "limit_action", F_BUR_LIMIT_ACTION, VT_ENUM,
     RS_BUR_HAS_LIMIT_ACTION, limit_actions},
    {RS_EVENT_BUREAU, "limit_amount", F_BUR_LIMIT_AMOUNT, VT_LONG,
     RS_BUR_HAS_LIMIT_AMOUNT, NULL},
    {RS_EVENT_BUREAU, "limit_currency", F_BUR_LIMIT_CURRENCY, VT_STRING,
     RS_BUR_HAS_LIMIT_CURRENCY, NULL},
    {RS_EVENT_BUREAU, "buyer_name", F_BUR_BUYER_NAME, VT_STRING,
     RS_BUR_HAS_BUYER_NAME, NULL},
    {RS_EVENT_BUREAU, "buyer_share", F_BUR_BUYER_SHARE, VT_DOUBLE,
     RS_BUR_HAS_BUYER_SHARE, NULL},
    {RS_EVENT_BUREAU, "severity", F_BUR_SEVERITY, VT_LONG, RS_BUR_HAS_SEVERITY,
     NULL},
    {RS_EVENT_BUREAU, "description", F_BUR_DESCRIPTION, VT_STRING,
     RS_BUR_HAS_DESCRIPTION, NULL},
    {RS_EVENT_COMM, "invoice_id", F_COM_INVOICE_ID, VT_STRING,
     RS_COM_HAS_INVOICE_ID, NULL},
    {RS_EVENT_COMM, "dunning_level", F_COM_DUNNING_LEVEL, VT_LONG,
     RS_COM_HAS_DUNNING_LEVEL, NULL},
    {RS_EVENT_COMM, "channel", F_COM_CHANNEL, VT_ENUM, RS_COM_HAS_CHANNEL,
     channels},
    {RS_EVENT_COMM, "promised_date", F_COM_PROMISED_DATE, VT_LONG,
     RS_COM_HAS_PROMISED_DATE, NULL},
    {RS_EVENT_COMM, "promised_amount", F_COM_PROMISED_AMOUNT, VT_LONG,
     RS_COM_HAS_PROMISED_AMOUNT, NULL},
    {RS_EVENT_COMM, "currency", F_COM_CURRENCY, VT_STRING, RS_COM_HAS_CURRENCY,
     NULL},
    {RS_EVENT_COMM, "requested_days", F_COM_REQUESTED_DAYS, VT_LONG,
     RS_COM_HAS_REQUESTED_DAYS, NULL},
    {RS_EVENT_COMM, "excuse_category", F_COM_EXCUSE, VT_ENUM,
     RS_COM_HAS_EXCUSE_CATEGORY, excuses},
    {RS_EVENT_COMM, "dispute_id", F_COM_DISPUTE_ID, VT_STRING,
     RS_COM_HAS_DISPUTE_ID, NULL},
    {RS_EVENT_COMM, "resolution", F_COM_RESOLUTION, VT_STRING,
     RS_COM_HAS_RESOLUTION, NULL},
    {RS_EVENT_COMM, "note", F_COM_NOTE, VT_STRING, RS_COM_HAS_NOTE, NULL},
};

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice", "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};

static avro_schema_t deref(avro_schema_t s)
{
    while (avro_typeof(s) == AVRO_LINK)
        s = avro_schema_link_target(s);
    return s;
}

static const struct known *find_known(int kind, const char *name)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if ((known[i].kind == -1 || known[i].kind == kind) &&
            strcmp(known[i].name, name) == 0)
            return &known[i];
    return NULL;
}

/* Does the writer type s take a value of type vt? */
static int takes(avro_schema_t s, int vt)
{
    switch (avro_typeof(s)) {
    case AVRO_STRING: return vt == VT_STRING;
    case AVRO_INT32:
    case AVRO_INT64: return vt == VT_LONG;
    case AVRO_BOOLEAN: return vt == VT_BOOL;
    case AVRO_DOUBLE:
    case AVRO_FLOAT: return vt == VT_DOUBLE;
    case AVRO_ENUM: return vt == VT_ENUM;
    default: return 0;
    }
}

static int compile_field(struct rs_gen_op *op, int kind,
                         const struct rs_schema_entry *e, const char *name,
                         avro_schema_t ws, char *errstr, size_t errstr_size)
{
    const struct known *k = find_known(kind, name);
    avro_schema_t vs = ws;
    int has_null = -1, has_value = -1;

    memset(op, 0, sizeof(*op));
    if (avro_typeof(ws) == AVRO_UNION) {
        size_t n = avro_schema_union_size(ws);

        for (size_t i = 0; i < n && i < 256; i++) {
            avro_schema_t b = deref(avro_schema_union_branch(ws, (int)i));

            if (avro_typeof(b) == AVRO_NULL && has_null < 0)
                has_null = (int)i;
            else if (k && has_value < 0 && takes(b, k->vt)) {
                has_value = (int)i;
                vs = b;
            }
        }
        if (has_null < 0 && has_value < 0) {
            snprintf(errstr, errstr_size,
                     "cannot generate records of schema id %u (%s): field "
                     "'%s' is a union the generator cannot write",
                     e->id, e->file, name);
            return -1;
        }
        op->optional = 1;
        op->null_branch = (uint8_t)(has_null < 0 ? 0 : has_null);
        op->value_branch = (uint8_t)(has_value < 0 ? 0 : has_value);
    }
    if (!k || (op->optional && has_value < 0)) {
        if (op->optional && has_null >= 0) {
            op->field = F_NULL;
            op->vt = VT_NULL;
            return 0;
        }
        snprintf(errstr, errstr_size,
                 "cannot generate records of schema id %u (%s): field '%s' "
                 "is required and unknown to the generator",
                 e->id, e->file, name);
        return -1;
    }
    if (!op->optional && !takes(vs, k->vt)) {
        snprintf(errstr, errstr_size,
                 "cannot generate records of schema id %u (%s): field '%s' "
                 "has a type the generator does not write",
                 e->id, e->file, name);
        return -1;
    }
    /* A field the writer requires is written whatever its has bit says
     * (the generator sets every field it names). */
    op->has = op->optional ? k->has : 0;
    op->single = avro_typeof(vs) == AVRO_FLOAT;
    op->field = k->field;
    op->vt = k->vt;
    memset(op->symbols, -1, sizeof(op->symbols));
    if (k->vt == VT_ENUM) {
        for (int i = 0; k->symbols[i] && i < (int)sizeof(op->symbols); i++) {
            int w = avro_schema_enum_get_by_name(vs, k->symbols[i]);

            op->symbols[i] = (int8_t)(w >= 0 && w < 128 ? w : -1);
        }
    }
    return 0;
}

int rs_gen_codec_init(struct rs_gen_codec *c, const struct rs_registry *reg,
                      char *errstr, size_t errstr_size)
{
    memset(c, 0, sizeof(*c));
    for (int kind = 0; kind < RS_EVENT_KINDS; kind++) {
        const struct rs_schema_entry *e =
            rs_registry_by_name(reg, record_names[kind]);
        size_t n;

        if (!e) {
            snprintf(errstr, errstr_size,
                     "cannot generate records: the schema directory has no "
                     "'%s'",
                     record_names[kind]);
            return -1;
        }
        n = avro_schema_record_size(e->schema);
        if (n > RS_GEN_FIELDS_MAX) {
            snprintf(errstr, errstr_size,
                     "cannot generate records of schema id %u (%s): %zu "
                     "fields, at most %d",
                     e->id, e->file, n, RS_GEN_FIELDS_MAX);
            return -1;
        }
        c->schema_id[kind] = e->id;
        c->file[kind] = e->file;
        for (size_t i = 0; i < n; i++) {
            const char *name = avro_schema_record_field_name(e->schema, (int)i);
            avro_schema_t ws =
                deref(avro_schema_record_field_get_by_index(e->schema, (int)i));

            if (compile_field(&c->ops[kind][i], kind, e, name, ws, errstr,
                              errstr_size))
                return -1;
        }
        c->op_count[kind] = (int)n;
    }
    return 0;
}

/* ---- writing ---- */

static inline uint8_t *put_long(uint8_t *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

    while (z >= 0x80) {
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    return p;
}

static inline uint8_t *put_string(uint8_t *p, const char *s)
{
    size_t n = strnlen(s, RS_TEXT_MAX - 1);

    p = put_long(p, (int64_t)n);
    memcpy(p, s, n);
    return p + n;
}

static inline uint8_t *put_double(uint8_t *p, double d, int single)
{
    if (single) {
        float f = (float)d;
        uint32_t u;

        memcpy(&u, &f, 4);
        for (int i = 0; i < 4; i++)
            *p++ = (uint8_t)(u >> (8 * i));
        return p;
    }
    uint64_t u;

    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(u >> (8 * i));
    return p;
}

struct value {
    const char *s;
    int64_t l;
    double d;
};

static void value_of(const struct rs_event *ev, uint16_t field, struct value *v)
{
    const struct rs_invoice *in = &ev->u.inv;
    const struct rs_payment *pa = &ev->u.pay;
    const struct rs_bureau *bu = &ev->u.bur;
    const struct rs_comm *co = &ev->u.com;

    switch (field) {
    case F_EVENT_ID: v->s = ev->event_id; return;
    case F_EVENT_TIME: v->l = ev->event_time; return;
    case F_CUSTOMER_ID: v->s = ev->customer_id; return;
    case F_TYPE: v->l = ev->type; return;
    case F_INV_INVOICE_ID: v->s = in->invoice_id; return;
    case F_INV_ORDER_ID: v->s = in->order_id; return;
    case F_INV_AMOUNT: v->l = in->amount; return;
    case F_INV_CURRENCY: v->s = in->currency; return;
    case F_INV_ISSUE_DATE: v->l = in->issue_date; return;
    case F_INV_DUE_DATE: v->l = in->due_date; return;
    case F_INV_TERMS: v->l = in->payment_terms_days; return;
    case F_INV_SECTOR: v->s = in->sector; return;
    case F_INV_SEGMENT: v->s = in->segment; return;
    case F_INV_CREDITED_ID: v->s = in->credited_invoice_id; return;
    case F_PAY_PAYMENT_ID: v->s = pa->payment_id; return;
    case F_PAY_AMOUNT: v->l = pa->amount; return;
    case F_PAY_CURRENCY: v->s = pa->currency; return;
    case F_PAY_DATE: v->l = pa->payment_date; return;
    case F_PAY_INVOICE_ID: v->s = pa->invoice_id; return;
    case F_PAY_METHOD: v->l = pa->method; return;
    case F_BUR_SOURCE: v->s = bu->source; return;
    case F_BUR_OLD_SCORE: v->l = bu->old_score; return;
    case F_BUR_NEW_SCORE: v->l = bu->new_score; return;
    case F_BUR_SCORE_MAX: v->l = bu->score_max; return;
    case F_BUR_OLD_RATING: v->s = bu->old_rating; return;
    case F_BUR_NEW_RATING: v->s = bu->new_rating; return;
    case F_BUR_INQUIRER: v->s = bu->inquirer; return;
    case F_BUR_FILING_KIND: v->s = bu->filing_kind; return;
    case F_BUR_INTERIM: v->l = bu->interim; return;
    case F_BUR_PARENT: v->s = bu->parent_customer_id; return;
    case F_BUR_LIMIT_ACTION: v->l = bu->limit_action; return;
    case F_BUR_LIMIT_AMOUNT: v->l = bu->limit_amount; return;
    case F_BUR_LIMIT_CURRENCY: v->s = bu->limit_currency; return;
    case F_BUR_BUYER_NAME: v->s = bu->buyer_name; return;
    case F_BUR_BUYER_SHARE: v->d = bu->buyer_share; return;
    case F_BUR_SEVERITY: v->l = bu->severity; return;
    case F_BUR_DESCRIPTION: v->s = bu->description; return;
    case F_COM_INVOICE_ID: v->s = co->invoice_id; return;
    case F_COM_DUNNING_LEVEL: v->l = co->dunning_level; return;
    case F_COM_CHANNEL: v->l = co->channel; return;
    case F_COM_PROMISED_DATE: v->l = co->promised_date; return;
    case F_COM_PROMISED_AMOUNT: v->l = co->promised_amount; return;
    case F_COM_CURRENCY: v->s = co->currency; return;
    case F_COM_REQUESTED_DAYS: v->l = co->requested_days; return;
    case F_COM_EXCUSE: v->l = co->excuse_category; return;
    case F_COM_DISPUTE_ID: v->s = co->dispute_id; return;
    case F_COM_RESOLUTION: v->s = co->resolution; return;
    case F_COM_NOTE: v->s = co->note; return;
    default: return;
    }
}

long rs_gen_encode(const struct rs_gen_codec *c, const struct rs_event *ev,
                   uint8_t *out, char *errstr, size_t errstr_size)
{
    int kind = (int)ev->kind;
    uint8_t *p = out + rs_frame_write_confluent(out, c->schema_id[kind]);

    for (int i = 0; i < c->op_count[kind]; i++) {
        const struct rs_gen_op *op = &c->ops[kind][i];
        struct value v = {"", 0, 0.0};

        if (op->vt == VT_NULL) {
            p = put_long(p, op->null_branch);
            continue;
        }
        if (op->optional) {
            if (op->has && !(ev->has & op->has)) {
                p = put_long(p, op->null_branch);
                continue;
            }
            p = put_long(p, op->value_branch);
        }
        value_of(ev, op->field, &v);
        switch (op->vt) {
        case VT_STRING: p = put_string(p, v.s); break;
        case VT_LONG: p = put_long(p, v.l); break;
        case VT_BOOL: *p++ = v.l ? 1 : 0; break;
        case VT_DOUBLE: p = put_double(p, v.d, op->single); break;
        case VT_ENUM:
            if (v.l < 0 || v.l >= (int64_t)sizeof(op->symbols) ||
                op->symbols[v.l] < 0) {
                snprintf(errstr, errstr_size,
                         "cannot encode event '%s' with schema id %u (%s): "
                         "the schema lacks a symbol the generator uses",
                         ev->event_id, c->schema_id[kind], c->file[kind]);
                return -1;
            }
            p = put_long(p, op->symbols[v.l]);
            break;
        }
    }
    return (long)(p - out);
}
