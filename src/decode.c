/* Decoding input records: framing, writer → reader resolution, validation.
 *
 * The reader side is a static table per kind: each event field with its
 * Avro name, reader type, presence bit and offset in struct rs_event. At
 * rs_decoder_new() every writer schema of the registry whose record is one
 * of the four inputs is compiled, with Avro C's schema walker, into a flat
 * program of ops: one op per writer field (a union field is an OP_UNION op
 * followed by one op per branch), each reading one wire type into one event
 * field with the promotion it needs, or skipping a field the reader does
 * not know. Skipping walks a compiled tree of nodes (the writer type), so
 * records, arrays and maps in blocks, unions, fixed and enums of any shape
 * can be skipped, with caps on depth and on the values visited.
 *
 * Per record the interpreter runs the writer's program over the body: no
 * allocation, no Avro C, every length checked against the bytes left before
 * it is used. Validation problems met while reading (an identifier too
 * long, a bad currency, a null in a required field) are kept pending and
 * reported only once the whole body has decoded, so a broken body is always
 * DECODE, never VALIDATION. Then come the rules of docs/schemas.md and the
 * key check.
 *
 * A writer that cannot fill the reader (a required field missing, a type
 * that does not resolve) is compiled as incompatible: its records become
 * UNKNOWN_SCHEMA dead letters whose reason says why. */
#include "riskstream/decode.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/frame.h"
#include "riskstream/mem.h"

#define RS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Caps. Depth counts nested records, arrays, maps and unions of skipped
 * values; work counts the values skipped in one record, so a block count
 * of 2^62 nulls ends quickly. */
#define RS_DECODE_MAX_DEPTH 32
#define RS_DECODE_MAX_WORK (1u << 20)
#define RS_DECODE_MAX_OPS 1024     /* ops per writer schema */
#define RS_DECODE_MAX_NODES 8192   /* skip nodes per writer schema */
#define RS_DECODE_MAX_SYMBOLS 4096 /* symbols of one writer enum */
#define RS_DECODE_MAX_NAMED 256    /* named types per writer schema */

/* 1990-01-01 and 2100-12-31 in days since 1970-01-01: outside is absurd. */
#define RS_DATE_MIN 7305
#define RS_DATE_MAX 47846
#define RS_DAY_MS 86400000LL

/* ---- reader tables --------------------------------------------------- */

enum rtype {
    RT_ID,       /* identifier: over RS_ID_MAX - 1 bytes is invalid */
    RT_LABEL,    /* compared name (segment, source): over the text cap is invalid */
    RT_TEXT,     /* free text: cut at RS_TEXT_MAX - 1 bytes */
    RT_CURRENCY, /* three upper-case letters */
    RT_INT,
    RT_LONG,
    RT_DOUBLE,
    RT_BOOL,
    RT_ENUM,
};

struct renum {
    const char *name; /* unqualified Avro name, matched against the writer's */
    const char *const *symbols;
    int count;
    int fallback; /* the enum's default symbol */
};

struct rfield {
    const char *name;
    enum rtype type;
    uint32_t has; /* presence bit of an optional field; 0: required */
    uint32_t offset;
    const struct renum *en;
};

struct rkind {
    const char *fullname;
    const char *label; /* for reasons: "invoice" topic */
    const struct rfield *fields;
    int count;
    size_t size; /* of the kind's member of rs_event.u */
};

static const char *const invoice_type_syms[] = {"ISSUED", "CREDITED",
                                                "CANCELLED", "UNKNOWN"};
static const char *const payment_type_syms[] = {
    "FULL", "PARTIAL", "REVERSAL", "FAILED_DIRECT_DEBIT", "UNKNOWN"};
static const char *const method_syms[] = {"TRANSFER", "DIRECT_DEBIT",
                                          "CARD",     "CHEQUE",
                                          "PAYMENT_LINK", "OTHER"};
static const char *const bureau_type_syms[] = {
    "SCORE_UPDATE",      "RATING_UPDATE",     "CREDIT_INQUIRY",
    "BANKRUPTCY_FILING", "LEGAL_FILING",      "MANAGEMENT_CHANGE",
    "FINANCING_CHANGE",  "HOUSE_BANK_CHANGE", "OWNERSHIP_LINK",
    "REPUTATION_SIGNAL", "CREDIT_LIMIT_DECISION", "MAJOR_BUYER_FAILURE",
    "UNKNOWN"};
static const char *const limit_syms[] = {"GRANTED", "INCREASED", "REDUCED",
                                         "WITHDRAWN", "UNKNOWN"};
static const char *const comm_type_syms[] = {
    "REMINDER",          "FORMAL_NOTICE",   "CALL_ATTEMPT",
    "CALL_ANSWERED",     "INBOUND_REPLY",   "PROMISE_TO_PAY",
    "EXTENSION_REQUEST", "EXCUSE",          "DISPUTE_OPENED",
    "DISPUTE_RESOLVED",  "PAYMENT_TERMS_REQUEST", "DEPOSIT_REFUSED",
    "COLLECTIONS_HANDOVER", "UNKNOWN"};
static const char *const channel_syms[] = {"EMAIL",  "PHONE",     "LETTER",
                                           "PORTAL", "IN_PERSON", "OTHER"};
static const char *const excuse_syms[] = {
    "FORGOT",        "INVOICE_LOST",         "ACCOUNTS_BUSY",
    "CASH_PROBLEMS", "WAITING_FOR_CUSTOMER", "DISPUTE_PRETEXT",
    "OTHER"};

#define RENUM(n, syms, def) {n, syms, (int)RS_COUNT(syms), def}
static const struct renum invoice_type_enum =
    RENUM("InvoiceType", invoice_type_syms, RS_INVOICE_UNKNOWN);
static const struct renum payment_type_enum =
    RENUM("PaymentType", payment_type_syms, RS_PAYMENT_UNKNOWN);
static const struct renum method_enum =
    RENUM("PaymentMethod", method_syms, RS_METHOD_OTHER);
static const struct renum bureau_type_enum =
    RENUM("CreditBureauEventType", bureau_type_syms, RS_BUREAU_UNKNOWN);
static const struct renum limit_enum =
    RENUM("LimitAction", limit_syms, RS_LIMIT_UNKNOWN);
static const struct renum comm_type_enum =
    RENUM("CommunicationType", comm_type_syms, RS_COMM_UNKNOWN);
static const struct renum channel_enum =
    RENUM("CommunicationChannel", channel_syms, RS_CHANNEL_OTHER);
static const struct renum excuse_enum =
    RENUM("ExcuseCategory", excuse_syms, RS_EXCUSE_OTHER);

#define EV(m) ((uint32_t)offsetof(struct rs_event, m))
#define HEADER(type_enum)                                                    \
    {"event_id", RT_ID, 0, EV(event_id), NULL},                              \
        {"event_time", RT_LONG, 0, EV(event_time), NULL},                    \
        {"customer_id", RT_ID, 0, EV(customer_id), NULL},                    \
        {"type", RT_ENUM, 0, EV(type), &type_enum}

static const struct rfield invoice_fields[] = {
    HEADER(invoice_type_enum),
    {"invoice_id", RT_ID, 0, EV(u.inv.invoice_id), NULL},
    {"order_id", RT_ID, RS_INV_HAS_ORDER_ID, EV(u.inv.order_id), NULL},
    {"amount", RT_LONG, 0, EV(u.inv.amount), NULL},
    {"currency", RT_CURRENCY, 0, EV(u.inv.currency), NULL},
    {"issue_date", RT_INT, 0, EV(u.inv.issue_date), NULL},
    {"due_date", RT_INT, 0, EV(u.inv.due_date), NULL},
    {"payment_terms_days", RT_INT, 0, EV(u.inv.payment_terms_days), NULL},
    {"sector", RT_LABEL, RS_INV_HAS_SECTOR, EV(u.inv.sector), NULL},
    {"segment", RT_LABEL, RS_INV_HAS_SEGMENT, EV(u.inv.segment), NULL},
    {"credited_invoice_id", RT_ID, RS_INV_HAS_CREDITED_INVOICE_ID,
     EV(u.inv.credited_invoice_id), NULL},
};

static const struct rfield payment_fields[] = {
    HEADER(payment_type_enum),
    {"payment_id", RT_ID, 0, EV(u.pay.payment_id), NULL},
    {"amount", RT_LONG, 0, EV(u.pay.amount), NULL},
    {"currency", RT_CURRENCY, 0, EV(u.pay.currency), NULL},
    {"payment_date", RT_INT, 0, EV(u.pay.payment_date), NULL},
    {"invoice_id", RT_ID, RS_PAY_HAS_INVOICE_ID, EV(u.pay.invoice_id), NULL},
    {"method", RT_ENUM, RS_PAY_HAS_METHOD, EV(u.pay.method), &method_enum},
};

static const struct rfield bureau_fields[] = {
    HEADER(bureau_type_enum),
    {"source", RT_LABEL, 0, EV(u.bur.source), NULL},
    {"old_score", RT_INT, RS_BUR_HAS_OLD_SCORE, EV(u.bur.old_score), NULL},
    {"new_score", RT_INT, RS_BUR_HAS_NEW_SCORE, EV(u.bur.new_score), NULL},
    {"score_max", RT_INT, RS_BUR_HAS_SCORE_MAX, EV(u.bur.score_max), NULL},
    {"old_rating", RT_LABEL, RS_BUR_HAS_OLD_RATING, EV(u.bur.old_rating),
     NULL},
    {"new_rating", RT_LABEL, RS_BUR_HAS_NEW_RATING, EV(u.bur.new_rating),
     NULL},
    {"inquirer", RT_TEXT, RS_BUR_HAS_INQUIRER, EV(u.bur.inquirer), NULL},
    {"filing_kind", RT_TEXT, RS_BUR_HAS_FILING_KIND, EV(u.bur.filing_kind),
     NULL},
    {"interim", RT_BOOL, RS_BUR_HAS_INTERIM, EV(u.bur.interim), NULL},
    {"parent_customer_id", RT_ID, RS_BUR_HAS_PARENT_CUSTOMER_ID,
     EV(u.bur.parent_customer_id), NULL},
    {"limit_action", RT_ENUM, RS_BUR_HAS_LIMIT_ACTION, EV(u.bur.limit_action),
     &limit_enum},
    {"limit_amount", RT_LONG, RS_BUR_HAS_LIMIT_AMOUNT, EV(u.bur.limit_amount),
     NULL},
    {"limit_currency", RT_CURRENCY, RS_BUR_HAS_LIMIT_CURRENCY,
     EV(u.bur.limit_currency), NULL},
    {"buyer_name", RT_TEXT, RS_BUR_HAS_BUYER_NAME, EV(u.bur.buyer_name),
     NULL},
    {"buyer_share", RT_DOUBLE, RS_BUR_HAS_BUYER_SHARE, EV(u.bur.buyer_share),
     NULL},
    {"severity", RT_INT, RS_BUR_HAS_SEVERITY, EV(u.bur.severity), NULL},
    {"description", RT_TEXT, RS_BUR_HAS_DESCRIPTION, EV(u.bur.description),
     NULL},
};

static const struct rfield comm_fields[] = {
    HEADER(comm_type_enum),
    {"invoice_id", RT_ID, RS_COM_HAS_INVOICE_ID, EV(u.com.invoice_id), NULL},
    {"dunning_level", RT_INT, RS_COM_HAS_DUNNING_LEVEL,
     EV(u.com.dunning_level), NULL},
    {"channel", RT_ENUM, RS_COM_HAS_CHANNEL, EV(u.com.channel),
     &channel_enum},
    {"promised_date", RT_INT, RS_COM_HAS_PROMISED_DATE,
     EV(u.com.promised_date), NULL},
    {"promised_amount", RT_LONG, RS_COM_HAS_PROMISED_AMOUNT,
     EV(u.com.promised_amount), NULL},
    {"currency", RT_CURRENCY, RS_COM_HAS_CURRENCY, EV(u.com.currency), NULL},
    {"requested_days", RT_INT, RS_COM_HAS_REQUESTED_DAYS,
     EV(u.com.requested_days), NULL},
    {"excuse_category", RT_ENUM, RS_COM_HAS_EXCUSE_CATEGORY,
     EV(u.com.excuse_category), &excuse_enum},
    {"dispute_id", RT_ID, RS_COM_HAS_DISPUTE_ID, EV(u.com.dispute_id), NULL},
    {"resolution", RT_TEXT, RS_COM_HAS_RESOLUTION, EV(u.com.resolution),
     NULL},
    {"note", RT_TEXT, RS_COM_HAS_NOTE, EV(u.com.note), NULL},
};

static const struct rkind rkinds[RS_EVENT_KINDS] = {
    {"io.riskstream.Invoice", "invoice", invoice_fields,
     (int)RS_COUNT(invoice_fields), sizeof(struct rs_invoice)},
    {"io.riskstream.Payment", "payment", payment_fields,
     (int)RS_COUNT(payment_fields), sizeof(struct rs_payment)},
    {"io.riskstream.CreditBureauEvent", "bureau", bureau_fields,
     (int)RS_COUNT(bureau_fields), sizeof(struct rs_bureau)},
    {"io.riskstream.Communication", "communication", comm_fields,
     (int)RS_COUNT(comm_fields), sizeof(struct rs_comm)},
};

/* ---- compiled programs ----------------------------------------------- */

enum opcode {
    OP_STR_ID,    /* string or bytes → identifier (RS_ID_MAX) */
    OP_STR_LABEL, /* string or bytes → label (RS_TEXT_MAX, not cut) */
    OP_STR_TEXT,  /* string or bytes → free text (RS_TEXT_MAX, cut) */
    OP_STR_CUR,   /* string or bytes → currency */
    OP_INT_I32,
    OP_INT_I64,
    OP_LONG_I64,
    OP_INT_F64,
    OP_LONG_F64,
    OP_FLOAT_F64,
    OP_DOUBLE_F64,
    OP_BOOL,
    OP_ENUM,  /* symbol map at symmap[arg], n writer symbols */
    OP_NULL,  /* absent; a required field makes the record invalid */
    OP_UNION, /* n branch ops follow, one per writer branch */
    OP_SKIP,  /* skip node arg; n names the writer field in names[] */
    OP_FAIL,  /* a writer branch the reader cannot take; arg: avro_type_t */
};

struct op {
    uint8_t code;  /* enum opcode */
    uint8_t field; /* index in the kind's reader table */
    uint32_t n;
    uint32_t arg;
    uint32_t offset; /* of the target in struct rs_event */
    uint32_t has;    /* presence bit to set; 0 for required fields */
};

/* Writer types of skipped fields. */
enum ntype {
    N_NULL,
    N_BOOL,
    N_INT,
    N_LONG,
    N_FLOAT,
    N_DOUBLE,
    N_BYTES, /* string too */
    N_FIXED,
    N_ENUM,
    N_ARRAY,
    N_MAP,
    N_RECORD,
    N_UNION,
};

struct node {
    uint8_t type;  /* enum ntype */
    uint32_t n;    /* fixed: size; enum: symbols; record, union: children */
    uint32_t a;    /* array, map: item node; record, union: first in kids[] */
    uint32_t min;  /* fewest bytes an encoding of it takes (saturated) */
};

struct writer {
    uint32_t id;
    uint64_t fingerprint;
    int kind; /* enum rs_event_kind, or -1 for other records */
    char *file;
    char *fullname;
    uint32_t first_op;
    uint32_t op_count;
    char *incompatible; /* why its records cannot be read; NULL if they can */
};

struct rs_decoder {
    size_t max_record_bytes;
    struct writer *writers;
    size_t writer_count;
    const struct writer *last[RS_EVENT_KINDS]; /* lookup cache per topic */

    struct op *ops;
    size_t op_count, op_cap;
    struct node *nodes;
    size_t node_count, node_cap;
    uint32_t *kids;
    size_t kid_count, kid_cap;
    int16_t *symmap;
    size_t sym_count, sym_cap;
    char **names; /* writer field names of OP_SKIP ops */
    size_t name_count, name_cap;
};

/* ---- compiling ------------------------------------------------------- */

struct compiler {
    struct rs_decoder *d;
    const struct rs_schema_entry *e;
    const struct rkind *k;
    size_t node_base;
    struct {
        avro_schema_t schema;
        uint32_t node;
    } named[RS_DECODE_MAX_NAMED];
    size_t named_count;
    char why[512]; /* set when the writer is incompatible */
};

static const char *wire_name(avro_type_t t)
{
    switch (t) {
    case AVRO_STRING:
        return "string";
    case AVRO_BYTES:
        return "bytes";
    case AVRO_INT32:
        return "int";
    case AVRO_INT64:
        return "long";
    case AVRO_FLOAT:
        return "float";
    case AVRO_DOUBLE:
        return "double";
    case AVRO_BOOLEAN:
        return "boolean";
    case AVRO_NULL:
        return "null";
    case AVRO_RECORD:
        return "record";
    case AVRO_ENUM:
        return "enum";
    case AVRO_FIXED:
        return "fixed";
    case AVRO_MAP:
        return "map";
    case AVRO_ARRAY:
        return "array";
    case AVRO_UNION:
        return "union";
    case AVRO_LINK:
        return "named type";
    }
    return "unknown type";
}

static const char *reader_name(const struct rfield *f)
{
    switch (f->type) {
    case RT_ID:
    case RT_LABEL:
    case RT_TEXT:
    case RT_CURRENCY:
        return "string";
    case RT_INT:
        return "int";
    case RT_LONG:
        return "long";
    case RT_DOUBLE:
        return "double";
    case RT_BOOL:
        return "boolean";
    case RT_ENUM:
        return f->en->name;
    }
    return "?";
}

static avro_schema_t deref(avro_schema_t s)
{
    while (avro_typeof(s) == AVRO_LINK)
        s = avro_schema_link_target(s);
    return s;
}

static int incompatible(struct compiler *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int incompatible(struct compiler *c, const char *fmt, ...)
{
    char what[384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(c->why, sizeof(c->why), "writer schema id %u (%s) %s", c->e->id,
             c->e->file, what);
    return -1;
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* Compiles the writer type s into a skip node; returns its index in *out. */
static int compile_node(struct compiler *c, avro_schema_t s, int depth,
                        uint32_t *out)
{
    struct rs_decoder *d = c->d;
    avro_type_t t = avro_typeof(s);
    struct node nd = {0, 0, 0, 0};
    uint32_t self;
    size_t count = 0;

    if (depth > RS_DECODE_MAX_DEPTH)
        return incompatible(c, "nests types deeper than %d levels",
                            RS_DECODE_MAX_DEPTH);
    if (t == AVRO_LINK || t == AVRO_RECORD || t == AVRO_ENUM ||
        t == AVRO_FIXED) {
        avro_schema_t target = deref(s);

        for (size_t i = 0; i < c->named_count; i++) {
            if (c->named[i].schema == target) {
                *out = c->named[i].node;
                return 0;
            }
        }
        s = target;
        t = avro_typeof(s);
    }
    if (d->node_count - c->node_base >= RS_DECODE_MAX_NODES)
        return incompatible(c, "has more than %d nested types",
                            RS_DECODE_MAX_NODES);
    rs_grow((void **)&d->nodes, &d->node_cap, d->node_count + 1,
            sizeof(*d->nodes));
    self = (uint32_t)d->node_count++;
    d->nodes[self] = nd; /* read (min 0) if a child refers back to it */
    switch (t) {
    case AVRO_NULL:
        nd.type = N_NULL;
        break;
    case AVRO_BOOLEAN:
        nd.type = N_BOOL;
        nd.min = 1;
        break;
    case AVRO_INT32:
        nd.type = N_INT;
        nd.min = 1;
        break;
    case AVRO_INT64:
        nd.type = N_LONG;
        nd.min = 1;
        break;
    case AVRO_FLOAT:
        nd.type = N_FLOAT;
        nd.min = 4;
        break;
    case AVRO_DOUBLE:
        nd.type = N_DOUBLE;
        nd.min = 8;
        break;
    case AVRO_STRING:
    case AVRO_BYTES:
        nd.type = N_BYTES;
        nd.min = 1;
        break;
    case AVRO_FIXED: {
        int64_t size = avro_schema_fixed_size(s);

        if (size < 0 || size > UINT32_MAX)
            return incompatible(c, "has a fixed of size %lld",
                                (long long)size);
        nd.type = N_FIXED;
        nd.n = (uint32_t)size;
        nd.min = (uint32_t)size;
        break;
    }
    case AVRO_ENUM:
        nd.type = N_ENUM;
        nd.n = (uint32_t)avro_schema_enum_number_of_symbols(s);
        nd.min = 1;
        break;
    case AVRO_ARRAY:
    case AVRO_MAP:
        nd.type = t == AVRO_ARRAY ? N_ARRAY : N_MAP;
        nd.min = 1;
        break;
    case AVRO_RECORD:
        nd.type = N_RECORD;
        count = avro_schema_record_size(s);
        break;
    case AVRO_UNION:
        nd.type = N_UNION;
        nd.min = 1;
        count = avro_schema_union_size(s);
        if (count == 0)
            return incompatible(c, "has an empty union");
        break;
    case AVRO_LINK:
        return incompatible(c, "has an unresolved named type");
    }
    if (t == AVRO_RECORD || t == AVRO_ENUM || t == AVRO_FIXED) {
        if (c->named_count == RS_DECODE_MAX_NAMED)
            return incompatible(c, "has more than %d named types",
                                RS_DECODE_MAX_NAMED);
        c->named[c->named_count].schema = s;
        c->named[c->named_count].node = self;
        c->named_count++;
    }
    if (count > 0) {
        /* Children go in a contiguous run of kids[], reserved before they
         * are compiled because compiling them appends to kids[] too. */
        uint32_t first;

        if (count > RS_DECODE_MAX_NODES)
            return incompatible(c, "has a type with %zu members", count);
        rs_grow((void **)&d->kids, &d->kid_cap, d->kid_count + count,
                sizeof(*d->kids));
        first = (uint32_t)d->kid_count;
        d->kid_count += count;
        nd.n = (uint32_t)count;
        nd.a = first;
        for (size_t i = 0; i < count; i++) {
            avro_schema_t child =
                t == AVRO_RECORD
                    ? avro_schema_record_field_get_by_index(s, (int)i)
                    : avro_schema_union_branch(s, (int)i);
            uint32_t k = 0;

            if (compile_node(c, child, depth + 1, &k))
                return -1;
            d->kids[first + i] = k;
            /* A record's fields add up; a union takes at least its
             * branch index. A node still being compiled (recursion) has
             * min 0, which only makes the count check looser. */
            if (t == AVRO_RECORD)
                nd.min = sat_add(nd.min, d->nodes[k].min);
        }
    } else if (t == AVRO_ARRAY || t == AVRO_MAP) {
        uint32_t k = 0;

        if (compile_node(c, t == AVRO_ARRAY ? avro_schema_array_items(s)
                                            : avro_schema_map_values(s),
                         depth + 1, &k))
            return -1;
        nd.a = k;
    }
    d->nodes[self] = nd;
    *out = self;
    return 0;
}

static struct op *push_op(struct compiler *c)
{
    struct rs_decoder *d = c->d;

    rs_grow((void **)&d->ops, &d->op_cap, d->op_count + 1, sizeof(*d->ops));
    memset(&d->ops[d->op_count], 0, sizeof(d->ops[0]));
    return &d->ops[d->op_count++];
}

/* The op reading a value of writer type s into reader field f: returns 0
 * and fills *op, or 1 if the types do not resolve. */
static int resolve(struct compiler *c, const struct rfield *f, avro_schema_t s,
                   struct op *op)
{
    struct rs_decoder *d = c->d;
    avro_type_t t = avro_typeof(s);
    int code = -1;

    switch (t) {
    case AVRO_NULL:
        code = OP_NULL;
        break;
    case AVRO_STRING:
    case AVRO_BYTES:
        code = f->type == RT_ID         ? OP_STR_ID
               : f->type == RT_LABEL    ? OP_STR_LABEL
               : f->type == RT_TEXT     ? OP_STR_TEXT
               : f->type == RT_CURRENCY ? OP_STR_CUR
                                        : -1;
        break;
    case AVRO_INT32:
        code = f->type == RT_INT      ? OP_INT_I32
               : f->type == RT_LONG   ? OP_INT_I64
               : f->type == RT_DOUBLE ? OP_INT_F64
                                      : -1;
        break;
    case AVRO_INT64:
        code = f->type == RT_LONG     ? OP_LONG_I64
               : f->type == RT_DOUBLE ? OP_LONG_F64
                                      : -1;
        break;
    case AVRO_FLOAT:
        code = f->type == RT_DOUBLE ? OP_FLOAT_F64 : -1;
        break;
    case AVRO_DOUBLE:
        code = f->type == RT_DOUBLE ? OP_DOUBLE_F64 : -1;
        break;
    case AVRO_BOOLEAN:
        code = f->type == RT_BOOL ? OP_BOOL : -1;
        break;
    case AVRO_ENUM: {
        int n = avro_schema_enum_number_of_symbols(s);

        if (f->type != RT_ENUM || strcmp(avro_schema_name(s), f->en->name))
            break;
        if (n <= 0 || n > RS_DECODE_MAX_SYMBOLS)
            return 1;
        /* Symbols map by name; one the reader lacks takes its default. */
        rs_grow((void **)&d->symmap, &d->sym_cap, d->sym_count + (size_t)n,
                sizeof(*d->symmap));
        op->arg = (uint32_t)d->sym_count;
        op->n = (uint32_t)n;
        for (int i = 0; i < n; i++) {
            const char *sym = avro_schema_enum_get(s, i);
            int r = f->en->fallback;

            for (int j = 0; j < f->en->count; j++)
                if (strcmp(sym, f->en->symbols[j]) == 0)
                    r = j;
            d->symmap[d->sym_count++] = (int16_t)r;
        }
        code = OP_ENUM;
        break;
    }
    default:
        break;
    }
    if (code < 0)
        return 1;
    op->code = (uint8_t)code;
    op->offset = f->offset;
    op->has = f->has;
    return 0;
}

static int compile_field(struct compiler *c, int fi, avro_schema_t ws)
{
    const struct rfield *f = &c->k->fields[fi];
    struct op tmp, *op;

    ws = deref(ws);
    if (avro_typeof(ws) != AVRO_UNION) {
        memset(&tmp, 0, sizeof(tmp));
        if (resolve(c, f, ws, &tmp))
            return incompatible(c, "has field '%s' as %s, the reader wants %s",
                                f->name, wire_name(avro_typeof(ws)),
                                reader_name(f));
        if (tmp.code == OP_NULL && !f->has)
            return incompatible(c,
                                "has field '%s' as null, the reader requires "
                                "a %s",
                                f->name, reader_name(f));
        tmp.field = (uint8_t)fi;
        op = push_op(c);
        *op = tmp;
        return 0;
    }

    /* A writer union: one op per branch after the OP_UNION op. At least
     * one branch must carry a value the reader can take; the others fail
     * only when a record uses them (the Avro resolution rule). */
    size_t n = avro_schema_union_size(ws);
    size_t readable = 0;

    if (n == 0 || n > 256)
        return incompatible(c, "has field '%s' as a union of %zu branches",
                            f->name, n);
    op = push_op(c);
    op->code = OP_UNION;
    op->field = (uint8_t)fi;
    op->n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        avro_schema_t b = deref(avro_schema_union_branch(ws, (int)i));

        memset(&tmp, 0, sizeof(tmp));
        if (resolve(c, f, b, &tmp)) {
            tmp.code = OP_FAIL;
            tmp.arg = (uint32_t)avro_typeof(b);
        } else if (tmp.code != OP_NULL) {
            readable++;
        }
        tmp.field = (uint8_t)fi;
        op = push_op(c);
        *op = tmp;
    }
    if (readable == 0)
        return incompatible(c,
                            "has field '%s' as a union with no branch the "
                            "reader's %s can take",
                            f->name, reader_name(f));
    return 0;
}

static int compile_skip(struct compiler *c, const char *name, avro_schema_t ws)
{
    struct rs_decoder *d = c->d;
    uint32_t node = 0;
    struct op *op;

    if (compile_node(c, ws, 0, &node))
        return -1;
    rs_grow((void **)&d->names, &d->name_cap, d->name_count + 1,
            sizeof(*d->names));
    d->names[d->name_count] = rs_strdup(name);
    op = push_op(c);
    op->code = OP_SKIP;
    op->arg = node;
    op->n = (uint32_t)d->name_count++;
    return 0;
}

/* Compiles one writer; on incompatibility everything it appended is taken
 * back and w->incompatible says why. */
static void compile_writer(struct rs_decoder *d, struct writer *w,
                           const struct rs_schema_entry *e)
{
    struct compiler *c = rs_calloc(1, sizeof(*c));
    const struct rkind *k = &rkinds[w->kind];
    size_t ops0 = d->op_count, kids0 = d->kid_count, syms0 = d->sym_count,
           names0 = d->name_count;
    uint64_t seen = 0;
    size_t nfields = avro_schema_record_size(e->schema);

    c->d = d;
    c->e = e;
    c->k = k;
    c->node_base = d->node_count;
    for (size_t i = 0; i < nfields; i++) {
        const char *name = avro_schema_record_field_name(e->schema, (int)i);
        avro_schema_t ws =
            avro_schema_record_field_get_by_index(e->schema, (int)i);
        int fi = -1;

        for (int j = 0; j < k->count; j++)
            if (strcmp(name, k->fields[j].name) == 0)
                fi = j;
        if (fi < 0) {
            if (compile_skip(c, name, ws))
                goto fail;
            continue;
        }
        if (seen & (1ull << fi)) {
            incompatible(c, "has field '%s' twice", name);
            goto fail;
        }
        seen |= 1ull << fi;
        if (compile_field(c, fi, ws))
            goto fail;
    }
    for (int j = 0; j < k->count; j++) {
        if (!k->fields[j].has && !(seen & (1ull << j))) {
            incompatible(c, "lacks required field '%s'", k->fields[j].name);
            goto fail;
        }
    }
    if (d->op_count - ops0 > RS_DECODE_MAX_OPS) {
        incompatible(c, "has more than %d fields and branches",
                     RS_DECODE_MAX_OPS);
        goto fail;
    }
    w->first_op = (uint32_t)ops0;
    w->op_count = (uint32_t)(d->op_count - ops0);
    goto out;
fail:
    w->incompatible = rs_strdup(c->why);
    while (d->name_count > names0)
        free(d->names[--d->name_count]);
    d->op_count = ops0;
    d->node_count = c->node_base;
    d->kid_count = kids0;
    d->sym_count = syms0;
out:
    free(c);
}

static int kind_of(const char *fullname)
{
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        if (strcmp(fullname, rkinds[k].fullname) == 0)
            return k;
    return -1;
}

struct rs_decoder *rs_decoder_new(const struct rs_registry *reg,
                                  size_t max_record_bytes, char *errstr,
                                  size_t errstr_size)
{
    struct rs_decoder *d = NULL;
    size_t usable = 0;

    if (!reg || max_record_bytes == 0) {
        snprintf(errstr, errstr_size,
                 "cannot build a decoder without a schema registry and a "
                 "record size cap");
        goto out;
    }
    d = rs_calloc(1, sizeof(*d));
    d->max_record_bytes = max_record_bytes;
    d->writer_count = rs_registry_count(reg);
    d->writers = rs_calloc(d->writer_count, sizeof(*d->writers));
    for (size_t i = 0; i < d->writer_count; i++) {
        const struct rs_schema_entry *e = rs_registry_at(reg, i);
        struct writer *w = &d->writers[i];

        w->id = e->id;
        w->fingerprint = e->fingerprint;
        w->file = rs_strdup(e->file);
        w->fullname = rs_strdup(e->fullname);
        w->kind = kind_of(e->fullname);
        if (w->kind < 0)
            continue;
        compile_writer(d, w, e);
        if (!w->incompatible)
            usable++;
    }
    if (usable == 0) {
        snprintf(errstr, errstr_size,
                 "the schema registry holds no readable writer schema of "
                 "Invoice, Payment, CreditBureauEvent or Communication");
        rs_decoder_destroy(d);
        d = NULL;
    }
out:
    return d;
}

void rs_decoder_destroy(struct rs_decoder *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->writer_count; i++) {
        free(d->writers[i].file);
        free(d->writers[i].fullname);
        free(d->writers[i].incompatible);
    }
    for (size_t i = 0; i < d->name_count; i++)
        free(d->names[i]);
    free(d->writers);
    free(d->ops);
    free(d->nodes);
    free(d->kids);
    free(d->symmap);
    free(d->names);
    free(d);
}

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
    uint32_t item_min = sat_add(d->nodes[nd->a].min, nd->type == N_MAP);
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

static int say(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!why || size == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

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

/* A day count as YYYY-MM-DD (proleptic Gregorian, any year). */
static const char *date_text(char *buf, size_t size, int64_t days)
{
    /* Shift to 0000-03-01 so leap days end each 400-year era. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                            /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);     /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                          /* March = 0 */
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);

    snprintf(buf, size, "%04lld-%02lld-%02lld", (long long)year,
             (long long)month, (long long)day);
    return buf;
}

static const char *time_text(char *buf, size_t size, int64_t ms)
{
    int64_t days = ms / RS_DAY_MS, rem = ms % RS_DAY_MS;
    char date[32];

    if (rem < 0) {
        days--;
        rem += RS_DAY_MS;
    }
    snprintf(buf, size, "%sT%02lld:%02lld:%02lldZ",
             date_text(date, sizeof(date), days), (long long)(rem / 3600000),
             (long long)(rem / 60000 % 60), (long long)(rem / 1000 % 60));
    return buf;
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
            f, wire_name((avro_type_t)v), reader_name(&k->fields[op->field]),
            at);
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

static int bad_date(const char *name, int32_t days, char *why, size_t size)
{
    char t[48];

    if (days >= RS_DATE_MIN && days <= RS_DATE_MAX)
        return 0;
    return say(why, size,
               "%s %s is an absurd date (outside 1990-01-01..2100-12-31)",
               name, date_text(t, sizeof(t), days));
}

static int bad_id(const char *name, const char *id, char *why, size_t size)
{
    return id[0] ? 0 : say(why, size, "%s is empty", name);
}

static int bad_positive(const char *name, int64_t v, char *why, size_t size)
{
    return v > 0 ? 0
                 : say(why, size, "%s %lld is not positive", name,
                       (long long)v);
}

static int bad_negative(const char *name, int64_t v, char *why, size_t size)
{
    return v >= 0 ? 0
                  : say(why, size, "%s %lld is negative", name, (long long)v);
}

static int bad_pair(uint32_t has, uint32_t a, const char *an, uint32_t b,
                    const char *bn, char *why, size_t size)
{
    if ((has & a) && !(has & b))
        return say(why, size, "%s is set without %s", an, bn);
    if ((has & b) && !(has & a))
        return say(why, size, "%s is set without %s", bn, an);
    return 0;
}

static int validate_invoice(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_invoice *v = &ev->u.inv;
    char a[48], b[48];

    if (bad_id("invoice_id", v->invoice_id, why, size) ||
        bad_positive("amount", v->amount, why, size) ||
        bad_date("issue_date", v->issue_date, why, size) ||
        bad_date("due_date", v->due_date, why, size) ||
        bad_negative("payment_terms_days", v->payment_terms_days, why, size))
        return -1;
    if (v->due_date < v->issue_date)
        return say(why, size, "due_date %s is before issue_date %s",
                   date_text(a, sizeof(a), v->due_date),
                   date_text(b, sizeof(b), v->issue_date));
    return 0;
}

static int validate_payment(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_payment *v = &ev->u.pay;

    if (bad_id("payment_id", v->payment_id, why, size) ||
        bad_positive("amount", v->amount, why, size) ||
        bad_date("payment_date", v->payment_date, why, size))
        return -1;
    return 0;
}

static int validate_bureau(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_bureau *v = &ev->u.bur;
    uint32_t has = ev->has;

    if ((has & RS_BUR_HAS_SCORE_MAX) &&
        bad_positive("score_max", v->score_max, why, size))
        return -1;
    if ((has & RS_BUR_HAS_OLD_SCORE) &&
        bad_negative("old_score", v->old_score, why, size))
        return -1;
    if ((has & RS_BUR_HAS_NEW_SCORE) &&
        bad_negative("new_score", v->new_score, why, size))
        return -1;
    if ((has & RS_BUR_HAS_SCORE_MAX) && (has & RS_BUR_HAS_OLD_SCORE) &&
        v->old_score > v->score_max)
        return say(why, size, "old_score %d is above score_max %d",
                   (int)v->old_score, (int)v->score_max);
    if ((has & RS_BUR_HAS_SCORE_MAX) && (has & RS_BUR_HAS_NEW_SCORE) &&
        v->new_score > v->score_max)
        return say(why, size, "new_score %d is above score_max %d",
                   (int)v->new_score, (int)v->score_max);
    if ((has & RS_BUR_HAS_LIMIT_AMOUNT) &&
        bad_negative("limit_amount", v->limit_amount, why, size))
        return -1;
    if (bad_pair(has, RS_BUR_HAS_LIMIT_AMOUNT, "limit_amount",
                 RS_BUR_HAS_LIMIT_CURRENCY, "limit_currency", why, size))
        return -1;
    if ((has & RS_BUR_HAS_BUYER_SHARE) &&
        !(v->buyer_share >= 0.0 && v->buyer_share <= 1.0))
        return say(why, size, "buyer_share %g is not between 0 and 1",
                   v->buyer_share);
    if ((has & RS_BUR_HAS_SEVERITY) && (v->severity < 1 || v->severity > 5))
        return say(why, size, "severity %d is not between 1 and 5",
                   (int)v->severity);
    return 0;
}

static int validate_comm(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_comm *v = &ev->u.com;
    uint32_t has = ev->has;

    if ((has & RS_COM_HAS_DUNNING_LEVEL) &&
        bad_negative("dunning_level", v->dunning_level, why, size))
        return -1;
    if ((has & RS_COM_HAS_REQUESTED_DAYS) &&
        bad_negative("requested_days", v->requested_days, why, size))
        return -1;
    if ((has & RS_COM_HAS_PROMISED_DATE) &&
        bad_date("promised_date", v->promised_date, why, size))
        return -1;
    if ((has & RS_COM_HAS_PROMISED_AMOUNT) &&
        bad_positive("promised_amount", v->promised_amount, why, size))
        return -1;
    return bad_pair(has, RS_COM_HAS_PROMISED_AMOUNT, "promised_amount",
                    RS_COM_HAS_CURRENCY, "currency", why, size);
}

/* ---- decoding -------------------------------------------------------- */

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
    k = &rkinds[expected];
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

    if (bad_id("event_id", out->event_id, why, why_size) ||
        bad_id("customer_id", out->customer_id, why, why_size))
        return poison(error_class, RS_ERROR_VALIDATION);
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
            time_text(q, sizeof(q), out->event_time));
        return poison(error_class, RS_ERROR_VALIDATION);
    }
    switch (expected) {
    case RS_EVENT_INVOICE:
        rc = validate_invoice(out, why, why_size);
        break;
    case RS_EVENT_PAYMENT:
        rc = validate_payment(out, why, why_size);
        break;
    case RS_EVENT_BUREAU:
        rc = validate_bureau(out, why, why_size);
        break;
    case RS_EVENT_COMM:
        rc = validate_comm(out, why, why_size);
        break;
    }
    if (rc)
        return poison(error_class, RS_ERROR_VALIDATION);
    return RS_DECODE_OK;
}
