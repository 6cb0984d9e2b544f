/* Compiling the decoder: the reader tables, and writer schemas into
 * resolution programs over them.
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
 * can be skipped; decode.c runs the programs.
 *
 * A writer that cannot fill the reader (a required field missing, a type
 * that does not resolve) is compiled as incompatible: its records become
 * UNKNOWN_SCHEMA dead letters whose reason says why. */
#include "decode_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define RS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reader tables --------------------------------------------------- */

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
    "UNKNOWN",           "GROUP_RELAY"};
static const char *const group_role_syms[] = {"PARENT", "MEMBER", "SISTER",
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
static const struct renum group_role_enum =
    RENUM("GroupRole", group_role_syms, RS_GROUP_ROLE_UNKNOWN);
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
    {"related_customer_id", RT_ID, RS_BUR_HAS_RELATED_CUSTOMER_ID,
     EV(u.bur.related_customer_id), NULL},
    {"group_role", RT_ENUM, RS_BUR_HAS_GROUP_ROLE, EV(u.bur.group_role),
     &group_role_enum},
    {"related_level", RT_INT, RS_BUR_HAS_RELATED_LEVEL,
     EV(u.bur.related_level), NULL},
    {"related_score", RT_INT, RS_BUR_HAS_RELATED_SCORE,
     EV(u.bur.related_score), NULL},
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

const struct rkind rs_decode_kinds[RS_EVENT_KINDS] = {
    {"io.riskstream.Invoice", "invoice", invoice_fields,
     (int)RS_COUNT(invoice_fields), sizeof(struct rs_invoice)},
    {"io.riskstream.Payment", "payment", payment_fields,
     (int)RS_COUNT(payment_fields), sizeof(struct rs_payment)},
    {"io.riskstream.CreditBureauEvent", "bureau", bureau_fields,
     (int)RS_COUNT(bureau_fields), sizeof(struct rs_bureau)},
    {"io.riskstream.Communication", "communication", comm_fields,
     (int)RS_COUNT(comm_fields), sizeof(struct rs_comm)},
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

const char *rs_decode_wire_name(avro_type_t t)
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

const char *rs_decode_reader_name(const struct rfield *f)
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
                nd.min = rs_decode_sat_add(nd.min, d->nodes[k].min);
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
                                f->name, rs_decode_wire_name(avro_typeof(ws)),
                                rs_decode_reader_name(f));
        if (tmp.code == OP_NULL && !f->has)
            return incompatible(c,
                                "has field '%s' as null, the reader requires "
                                "a %s",
                                f->name, rs_decode_reader_name(f));
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
                            f->name, rs_decode_reader_name(f));
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
    const struct rkind *k = &rs_decode_kinds[w->kind];
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
        if (strcmp(fullname, rs_decode_kinds[k].fullname) == 0)
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
