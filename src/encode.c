/* Hand-written Avro binary encoders for RiskAlert, DeadLetter and the
 * group relay (a CreditBureauEvent).
 *
 * The field order, unions and enum symbol orders below follow
 * schemas/RiskAlert.avsc and schemas/DeadLetter.avsc exactly;
 * tests/unit/test_encode.c decodes the output with Avro C and those schemas
 * to prove it. Each record is built in a stack buffer of varints first and
 * appended piece by piece; every append's result is kept, and on failure
 * the output is cut back to where the record started, so a caller never
 * sees half a record. Counts beyond the struct's caps and enum values
 * outside their symbols are refused (-1) rather than encoded. */
#include "riskstream/encode.h"

#include <stdio.h>
#include <string.h>

#include "riskstream/frame.h"

/* Union branch indexes: every optional field is ["null", T]. */
#define RS_BRANCH_NULL 0
#define RS_BRANCH_VALUE 1

struct enc {
    struct rs_buf *out;
    int rc;
};

static void put(struct enc *e, const void *data, size_t len)
{
    if (rs_buf_add(e->out, data, len))
        e->rc = -1;
}

static void put_long(struct enc *e, int64_t v)
{
    uint8_t tmp[10];
    uint64_t z = ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
    size_t n = 0;

    while (z >= 0x80) {
        tmp[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    tmp[n++] = (uint8_t)z;
    put(e, tmp, n);
}

static void put_bytes(struct enc *e, const void *data, size_t len)
{
    put_long(e, (int64_t)len);
    if (len)
        put(e, data, len);
}

/* A fixed-size char field: up to its NUL or its size, whichever is first. */
static void put_str(struct enc *e, const char *s, size_t cap)
{
    put_bytes(e, s, strnlen(s, cap));
}

#define PUT_FIELD_STR(e, field) put_str(e, field, sizeof(field))

static void put_double(struct enc *e, double d)
{
    uint8_t tmp[8];
    uint64_t bits;

    memcpy(&bits, &d, sizeof(bits));
    for (int i = 0; i < 8; i++)
        tmp[i] = (uint8_t)(bits >> (8 * i));
    put(e, tmp, 8);
}

static void put_header(struct enc *e, uint32_t schema_id)
{
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];

    put(e, hdr, rs_frame_write_confluent(hdr, schema_id));
}

static int finish(struct enc *e, size_t start)
{
    if (e->rc) {
        e->out->len = start;
        if (e->out->data)
            e->out->data[start] = '\0';
    }
    return e->rc;
}

static int alert_ok(const struct rs_alert *a,
                    const char *const topics[RS_EVENT_KINDS])
{
    if ((unsigned)a->level_before > RS_LEVEL_CRITICAL ||
        (unsigned)a->level_after > RS_LEVEL_CRITICAL ||
        a->reason_count < 0 || a->reason_count > RS_REASONS_MAX ||
        a->action_count < 0 || a->action_count > RS_ACTIONS_MAX ||
        a->offset_count < 0 || a->offset_count > RS_EVENT_KINDS)
        return 0;
    for (int i = 0; i < a->reason_count; i++)
        if (a->reasons[i].evidence_count < 0 ||
            a->reasons[i].evidence_count > RS_EVIDENCE_MAX)
            return 0;
    for (int i = 0; i < a->offset_count; i++)
        if (a->offsets[i].kind < 0 || a->offsets[i].kind >= RS_EVENT_KINDS ||
            !topics || !topics[a->offsets[i].kind])
            return 0;
    return 1;
}

static void put_reason(struct enc *e, const struct rs_reason *r)
{
    PUT_FIELD_STR(e, r->detector);
    PUT_FIELD_STR(e, r->code);
    PUT_FIELD_STR(e, r->message);
    put_double(e, r->value);
    if (r->has_baseline) {
        put_long(e, RS_BRANCH_VALUE);
        put_double(e, r->baseline);
    } else {
        put_long(e, RS_BRANCH_NULL);
    }
    put_double(e, r->threshold);
    if (r->has_window_days) {
        put_long(e, RS_BRANCH_VALUE);
        put_long(e, r->window_days);
    } else {
        put_long(e, RS_BRANCH_NULL);
    }
    /* Arrays: one block of all items, then the zero count that ends it. */
    if (r->evidence_count > 0) {
        put_long(e, r->evidence_count);
        for (int i = 0; i < r->evidence_count; i++)
            PUT_FIELD_STR(e, r->evidence[i]);
    }
    put_long(e, 0);
}

int rs_encode_alert(const struct rs_alert *a, uint32_t schema_id,
                    const char *const topics[RS_EVENT_KINDS],
                    struct rs_buf *out)
{
    struct enc e = {out, 0};
    size_t start = out->len;

    if (!alert_ok(a, topics))
        return -1;
    put_header(&e, schema_id);
    PUT_FIELD_STR(&e, a->alert_id);
    PUT_FIELD_STR(&e, a->customer_id);
    put_long(&e, a->event_time);
    put_long(&e, a->level_before);
    put_long(&e, a->level_after);
    put_long(&e, a->score_before);
    put_long(&e, a->score_after);
    if (a->has_segment) {
        put_long(&e, RS_BRANCH_VALUE);
        PUT_FIELD_STR(&e, a->segment);
    } else {
        put_long(&e, RS_BRANCH_NULL);
    }
    if (a->reason_count > 0) {
        put_long(&e, a->reason_count);
        for (int i = 0; i < a->reason_count; i++)
            put_reason(&e, &a->reasons[i]);
    }
    put_long(&e, 0);
    if (a->action_count > 0) {
        put_long(&e, a->action_count);
        for (int i = 0; i < a->action_count; i++) {
            PUT_FIELD_STR(&e, a->actions[i].code);
            PUT_FIELD_STR(&e, a->actions[i].text);
        }
    }
    put_long(&e, 0);
    if (a->offset_count > 0) {
        put_long(&e, a->offset_count);
        for (int i = 0; i < a->offset_count; i++) {
            const char *topic = topics[a->offsets[i].kind];

            put_bytes(&e, topic, strlen(topic));
            put_long(&e, a->offsets[i].partition);
            put_long(&e, a->offsets[i].offset);
        }
    }
    put_long(&e, 0);
    put_long(&e, a->suppressed_count);
    return finish(&e, start);
}

int rs_encode_deadletter(const struct rs_deadletter *dl, uint32_t schema_id,
                         struct rs_buf *out)
{
    struct enc e = {out, 0};
    size_t start = out->len;
    const char *topic = dl->topic ? dl->topic : "";

    if ((unsigned)dl->error_class >= RS_ERROR_CLASSES)
        return -1;
    put_header(&e, schema_id);
    put_bytes(&e, topic, strlen(topic));
    put_long(&e, dl->partition);
    put_long(&e, dl->offset);
    if (dl->key) {
        put_long(&e, RS_BRANCH_VALUE);
        put_bytes(&e, dl->key, dl->key_len);
    } else {
        put_long(&e, RS_BRANCH_NULL);
    }
    if (dl->value) {
        put_long(&e, RS_BRANCH_VALUE);
        put_bytes(&e, dl->value, dl->value_len);
    } else {
        put_long(&e, RS_BRANCH_NULL);
    }
    if (dl->has_timestamp) {
        put_long(&e, RS_BRANCH_VALUE);
        put_long(&e, dl->timestamp);
    } else {
        put_long(&e, RS_BRANCH_NULL);
    }
    put_long(&e, dl->error_class);
    PUT_FIELD_STR(&e, dl->message);
    put_long(&e, dl->dead_lettered_at);
    return finish(&e, start);
}

/* CreditBureauEvent-v2: symbol indexes of its enums. */
#define BUREAU_SYMBOL_GROUP_RELAY 13
#define BUREAU_OPTIONAL_BEFORE_DESCRIPTION 15 /* old_score .. severity */

static void put_opt_str(struct enc *e, const char *s)
{
    if (s) {
        put_long(e, RS_BRANCH_VALUE);
        put_bytes(e, s, strlen(s));
    } else {
        put_long(e, RS_BRANCH_NULL);
    }
}

int rs_encode_group_relay(const struct rs_group_relay *r, uint32_t schema_id,
                          struct rs_buf *out)
{
    struct enc e = {out, 0};
    size_t start = out->len;

    if (r->role < RS_GROUP_PARENT || r->role > RS_GROUP_SISTER ||
        r->level < -1 || r->level > 3)
        return -1;
    put_header(&e, schema_id);
    put_bytes(&e, r->event_id, strlen(r->event_id));
    put_long(&e, r->event_time);
    put_bytes(&e, r->customer_id, strlen(r->customer_id));
    put_long(&e, BUREAU_SYMBOL_GROUP_RELAY);
    put_bytes(&e, "riskstream", strlen("riskstream"));
    for (int i = 0; i < BUREAU_OPTIONAL_BEFORE_DESCRIPTION; i++)
        put_long(&e, RS_BRANCH_NULL);
    put_opt_str(&e, r->description);
    put_opt_str(&e, r->related_customer_id);
    put_long(&e, RS_BRANCH_VALUE);
    put_long(&e, r->role);
    put_long(&e, RS_BRANCH_VALUE);
    put_long(&e, r->level);
    put_long(&e, RS_BRANCH_VALUE);
    put_long(&e, r->score);
    return finish(&e, start);
}

int rs_encode_schema_ids(const struct rs_registry *reg, struct rs_encode_ids *ids,
                         char *errstr, size_t errstr_size)
{
    const struct rs_schema_entry *alert =
        rs_registry_by_name(reg, "io.riskstream.RiskAlert");
    const struct rs_schema_entry *dead =
        rs_registry_by_name(reg, "io.riskstream.DeadLetter");
    const struct rs_schema_entry *bureau =
        rs_registry_by_name(reg, "io.riskstream.CreditBureauEvent");

    if (!alert || !dead || !bureau) {
        snprintf(errstr, errstr_size,
                 "the schema directory lacks %s in ids.txt",
                 !alert ? "RiskAlert" : !dead ? "DeadLetter"
                                              : "CreditBureauEvent");
        return -1;
    }
    if (avro_schema_record_size(bureau->schema) != 25 ||
        avro_schema_record_field_get_index(bureau->schema, "related_score") !=
            24) {
        snprintf(errstr, errstr_size,
                 "the newest CreditBureauEvent in the schema directory ('%s', "
                 "id %u) is not the version riskstream writes group relays "
                 "with (CreditBureauEvent-v2.avsc)",
                 bureau->file, (unsigned)bureau->id);
        return -1;
    }
    ids->alert = alert->id;
    ids->deadletter = dead->id;
    ids->relay = bureau->id;
    return 0;
}
