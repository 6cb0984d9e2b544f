/* The hand-written encoders against the schemas: every record rs_encode_*
 * writes is read back with Avro C's generic reader and
 * schemas/RiskAlert.avsc or schemas/DeadLetter.avsc, field by field. */
#include "support.h"

#include <avro.h>
#include <stdio.h>
#include <string.h>

#include "riskstream/alert.h"
#include "riskstream/buf.h"
#include "riskstream/encode.h"
#include "riskstream/frame.h"
#include "riskstream/registry.h"

static struct rs_registry *reg;

static int setup(void **state)
{
    char err[512] = "";

    (void)state;
    reg = rs_registry_load(rs_test_path("schemas"), err, sizeof(err));
    if (!reg)
        fail_msg("registry: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_registry_destroy(reg);
    return 0;
}

/* Reads one record of `fullname` from a Confluent-framed buffer; checks the
 * header names the schema and that the body is consumed exactly. */
struct decoded {
    avro_value_iface_t *iface;
    avro_value_t rec;
};

static void read_back(const struct rs_buf *buf, const char *fullname,
                      struct decoded *out)
{
    const struct rs_schema_entry *e = rs_registry_by_name(reg, fullname);
    struct rs_frame fr;
    avro_reader_t rd;
    char extra;

    assert_non_null(e);
    assert_int_equal(rs_frame_parse(buf->data, buf->len, &fr), RS_FRAME_OK);
    assert_int_equal(fr.kind, RS_FRAME_CONFLUENT);
    assert_int_equal(fr.schema_id, e->id);
    out->iface = avro_generic_class_from_schema(e->schema);
    assert_non_null(out->iface);
    assert_int_equal(avro_generic_value_new(out->iface, &out->rec), 0);
    rd = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    if (avro_value_read(rd, &out->rec))
        fail_msg("Avro C cannot read the %s record: %s", fullname,
                 avro_strerror());
    if (avro_read(rd, &extra, 1) == 0)
        fail_msg("bytes left after the %s record", fullname);
    avro_reader_free(rd);
}

static void release(struct decoded *d)
{
    avro_value_decref(&d->rec);
    avro_value_iface_decref(d->iface);
}

static void get(avro_value_t *rec, const char *name, avro_value_t *out)
{
    if (avro_value_get_by_name(rec, name, out, NULL))
        fail_msg("no field '%s'", name);
}

static void check_string(avro_value_t *rec, const char *name,
                         const char *want)
{
    avro_value_t f;
    const char *s = NULL;
    size_t size = 0;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_string(&f, &s, &size), 0);
    assert_int_equal(size, strlen(want) + 1); /* Avro C counts the NUL */
    assert_string_equal(s, want);
}

static void check_int(avro_value_t *rec, const char *name, int32_t want)
{
    avro_value_t f;
    int32_t v = 0;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_int(&f, &v), 0);
    assert_int_equal(v, want);
}

static void check_long(avro_value_t *rec, const char *name, int64_t want)
{
    avro_value_t f;
    int64_t v = 0;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_long(&f, &v), 0);
    assert_true(v == want);
}

static void check_double(avro_value_t *rec, const char *name, double want)
{
    avro_value_t f;
    double v = 0;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_double(&f, &v), 0);
    assert_true(v == want);
}

static void check_enum(avro_value_t *rec, const char *name, const char *want)
{
    avro_value_t f;
    int v = -1;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_enum(&f, &v), 0);
    assert_string_equal(avro_schema_enum_get(avro_value_get_schema(&f), v),
                        want);
}

/* An optional field: NULL branch, or the value branch in *branch. */
static int optional(avro_value_t *rec, const char *name, avro_value_t *branch)
{
    avro_value_t f;
    int disc = -1;

    get(rec, name, &f);
    assert_int_equal(avro_value_get_discriminant(&f, &disc), 0);
    assert_int_equal(avro_value_get_current_branch(&f, branch), 0);
    return avro_value_get_type(branch) != AVRO_NULL;
}

static void check_bytes(avro_value_t *v, const void *want, size_t want_len)
{
    const void *p = NULL;
    size_t size = 0;

    assert_int_equal(avro_value_get_bytes(v, &p, &size), 0);
    assert_int_equal(size, want_len);
    if (want_len)
        assert_memory_equal(p, want, want_len);
}

static const char *const topics[RS_EVENT_KINDS] = {
    "rs.invoices", "rs.payments", "rs.bureau", "rs.communications"};

static void fill_alert(struct rs_alert *a)
{
    memset(a, 0, sizeof(*a));
    strcpy(a->alert_id, "C1-7f3a-MEDIUM-HIGH");
    strcpy(a->customer_id, "C1");
    a->event_time = 1788253200000LL;
    a->level_before = RS_LEVEL_MEDIUM;
    a->level_after = RS_LEVEL_HIGH;
    a->score_before = 41;
    a->score_after = 73;
    a->has_segment = 1;
    strcpy(a->segment, "key-account");

    a->reason_count = 2;
    strcpy(a->reasons[0].detector, "late_payments");
    strcpy(a->reasons[0].code, "DBT_RISING");
    strcpy(a->reasons[0].message,
           "paid 3 of the last 5 invoices late, on average 21 days beyond "
           "terms (was 2)");
    a->reasons[0].value = 21.0;
    a->reasons[0].has_baseline = 1;
    a->reasons[0].baseline = 2.0;
    a->reasons[0].threshold = 10.0;
    a->reasons[0].has_window_days = 1;
    a->reasons[0].window_days = 90;
    strcpy(a->reasons[0].evidence[0], "E-PAY-1");
    strcpy(a->reasons[0].evidence[1], "E-PAY-2");
    a->reasons[0].evidence_count = 2;
    strcpy(a->reasons[1].detector, "bureau");
    strcpy(a->reasons[1].code, "BANKRUPTCY_FILING");
    strcpy(a->reasons[1].message, "bankruptcy petition filed");
    a->reasons[1].value = 1.0;
    a->reasons[1].threshold = 0.5;
    strcpy(a->reasons[1].evidence[0], "E-BUR-1");
    strcpy(a->reasons[1].evidence[1], "E-BUR-2");
    a->reasons[1].evidence_count = 2;

    a->action_count = 2;
    strcpy(a->actions[0].code, "REQUIRE_DEPOSIT");
    strcpy(a->actions[0].text, "Ask for a deposit before the next delivery.");
    strcpy(a->actions[1].code, "SHORTEN_TERMS");
    strcpy(a->actions[1].text, "Shorten payment terms to 14 days.");

    a->offset_count = 4;
    for (int i = 0; i < 4; i++) {
        a->offsets[i].kind = 3 - i;
        a->offsets[i].partition = i;
        a->offsets[i].offset = 1000000000000LL + i;
    }
    a->suppressed_count = 3;
}

static void check_reason(avro_value_t *r, const struct rs_reason *want)
{
    avro_value_t b, ev, el;
    size_t n = 0;

    check_string(r, "detector", want->detector);
    check_string(r, "code", want->code);
    check_string(r, "message", want->message);
    check_double(r, "value", want->value);
    check_double(r, "threshold", want->threshold);
    assert_int_equal(optional(r, "baseline", &b), want->has_baseline);
    if (want->has_baseline) {
        double d = 0;

        avro_value_get_double(&b, &d);
        assert_true(d == want->baseline);
    }
    assert_int_equal(optional(r, "window_days", &b), want->has_window_days);
    if (want->has_window_days) {
        int32_t v = 0;

        avro_value_get_int(&b, &v);
        assert_int_equal(v, want->window_days);
    }
    get(r, "evidence_event_ids", &ev);
    avro_value_get_size(&ev, &n);
    assert_int_equal(n, (size_t)want->evidence_count);
    for (size_t i = 0; i < n; i++) {
        const char *s = NULL;
        size_t size = 0;

        avro_value_get_by_index(&ev, i, &el, NULL);
        avro_value_get_string(&el, &s, &size);
        assert_string_equal(s, want->evidence[i]);
    }
}

static void test_encode_alert_reads_back(void **state)
{
    struct rs_alert a;
    struct rs_buf buf;
    struct decoded d;
    avro_value_t arr, el, b;
    size_t n = 0;

    (void)state;
    fill_alert(&a);
    rs_buf_init(&buf, 0);
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), 0);
    read_back(&buf, "io.riskstream.RiskAlert", &d);

    check_string(&d.rec, "alert_id", a.alert_id);
    check_string(&d.rec, "customer_id", "C1");
    check_long(&d.rec, "event_time", a.event_time);
    check_enum(&d.rec, "level_before", "MEDIUM");
    check_enum(&d.rec, "level_after", "HIGH");
    check_int(&d.rec, "score_before", 41);
    check_int(&d.rec, "score_after", 73);
    check_int(&d.rec, "suppressed_count", 3);
    assert_true(optional(&d.rec, "segment", &b));
    {
        const char *s = NULL;
        size_t size = 0;

        avro_value_get_string(&b, &s, &size);
        assert_string_equal(s, "key-account");
    }

    get(&d.rec, "reasons", &arr);
    avro_value_get_size(&arr, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        avro_value_get_by_index(&arr, i, &el, NULL);
        check_reason(&el, &a.reasons[i]);
    }

    get(&d.rec, "recommended_actions", &arr);
    avro_value_get_size(&arr, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        avro_value_get_by_index(&arr, i, &el, NULL);
        check_string(&el, "code", a.actions[i].code);
        check_string(&el, "text", a.actions[i].text);
    }

    get(&d.rec, "source_offsets", &arr);
    avro_value_get_size(&arr, &n);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        avro_value_get_by_index(&arr, i, &el, NULL);
        check_string(&el, "topic", topics[a.offsets[i].kind]);
        check_int(&el, "partition", a.offsets[i].partition);
        check_long(&el, "offset", a.offsets[i].offset);
    }
    release(&d);
    rs_buf_release(&buf);
}

/* An alert with nothing optional and empty arrays (a level going down). */
static void test_encode_alert_minimal(void **state)
{
    struct rs_alert a;
    struct rs_buf buf;
    struct decoded d;
    avro_value_t arr, b;
    size_t n = 1;

    (void)state;
    memset(&a, 0, sizeof(a));
    strcpy(a.alert_id, "A");
    strcpy(a.customer_id, "C9");
    a.event_time = -1;
    a.level_before = RS_LEVEL_CRITICAL;
    a.level_after = RS_LEVEL_LOW;
    a.score_before = 100;
    a.score_after = 0;
    rs_buf_init(&buf, 0);
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), 0);
    read_back(&buf, "io.riskstream.RiskAlert", &d);
    check_long(&d.rec, "event_time", -1);
    check_enum(&d.rec, "level_before", "CRITICAL");
    check_enum(&d.rec, "level_after", "LOW");
    assert_false(optional(&d.rec, "segment", &b));
    get(&d.rec, "reasons", &arr);
    avro_value_get_size(&arr, &n);
    assert_int_equal(n, 0);
    get(&d.rec, "source_offsets", &arr);
    avro_value_get_size(&arr, &n);
    assert_int_equal(n, 0);
    release(&d);
    rs_buf_release(&buf);
}

static void test_encode_alert_refuses_bad_input(void **state)
{
    struct rs_alert a;
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    fill_alert(&a);
    a.reason_count = RS_REASONS_MAX + 1;
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), -1);
    fill_alert(&a);
    a.offsets[2].kind = RS_EVENT_KINDS;
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), -1);
    fill_alert(&a);
    a.level_after = (enum rs_level)9;
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), -1);
    fill_alert(&a);
    a.reasons[1].evidence_count = RS_EVIDENCE_MAX + 1;
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), -1);
    assert_int_equal(buf.len, 0);
    rs_buf_release(&buf);
}

/* At the buffer's cap the encoder fails and leaves what was there. */
static void test_encode_cap_reached(void **state)
{
    struct rs_alert a;
    struct rs_buf buf;

    (void)state;
    fill_alert(&a);
    rs_buf_init(&buf, 64);
    rs_buf_puts(&buf, "before");
    assert_int_equal(rs_encode_alert(&a, 5, topics, &buf), -1);
    assert_int_equal(buf.len, 6);
    assert_string_equal((const char *)buf.data, "before");
    rs_buf_release(&buf);
}

static void test_encode_deadletter_reads_back(void **state)
{
    static const uint8_t key[] = {'C', '1', 0x00, 0xff};
    static const uint8_t value[] = {0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x45};
    static const struct {
        int has_key, has_value, has_timestamp;
        enum rs_error_class cls;
        const char *symbol;
    } cases[] = {
        {1, 1, 1, RS_ERROR_VALIDATION, "VALIDATION"},
        {0, 0, 0, RS_ERROR_FRAMING, "FRAMING"},
        {1, 0, 1, RS_ERROR_OVERSIZED, "OVERSIZED"},
        {0, 1, 0, RS_ERROR_KEY_MISMATCH, "KEY_MISMATCH"},
        {1, 1, 0, RS_ERROR_OTHER, "OTHER"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_deadletter dl;
        struct rs_buf buf;
        struct decoded d;
        avro_value_t b;

        memset(&dl, 0, sizeof(dl));
        dl.topic = "rs.invoices";
        dl.partition = 7;
        dl.offset = 123456789012LL;
        if (cases[i].has_key) {
            dl.key = key;
            dl.key_len = sizeof(key);
        }
        if (cases[i].has_value) {
            dl.value = value;
            dl.value_len = sizeof(value);
        }
        dl.has_timestamp = cases[i].has_timestamp;
        dl.timestamp = 1788253200123LL;
        dl.error_class = cases[i].cls;
        snprintf(dl.message, sizeof(dl.message), "case %zu: amount -5 is not "
                 "positive", i);
        dl.dead_lettered_at = 1788253201000LL;

        rs_buf_init(&buf, 0);
        assert_int_equal(rs_encode_deadletter(&dl, 6, &buf), 0);
        read_back(&buf, "io.riskstream.DeadLetter", &d);
        check_string(&d.rec, "original_topic", "rs.invoices");
        check_int(&d.rec, "original_partition", 7);
        check_long(&d.rec, "original_offset", 123456789012LL);
        assert_int_equal(optional(&d.rec, "original_key", &b),
                         cases[i].has_key);
        if (cases[i].has_key)
            check_bytes(&b, key, sizeof(key));
        assert_int_equal(optional(&d.rec, "original_value", &b),
                         cases[i].has_value);
        if (cases[i].has_value)
            check_bytes(&b, value, sizeof(value));
        assert_int_equal(optional(&d.rec, "original_timestamp", &b),
                         cases[i].has_timestamp);
        if (cases[i].has_timestamp) {
            int64_t t = 0;

            avro_value_get_long(&b, &t);
            assert_true(t == 1788253200123LL);
        }
        check_enum(&d.rec, "error_class", cases[i].symbol);
        check_string(&d.rec, "error_message", dl.message);
        check_long(&d.rec, "dead_lettered_at", 1788253201000LL);
        release(&d);
        rs_buf_release(&buf);
    }
}

/* A zero-length key or value is present, not null. */
static void test_encode_deadletter_empty_key(void **state)
{
    struct rs_deadletter dl;
    struct rs_buf buf;
    struct decoded d;
    avro_value_t b;

    (void)state;
    memset(&dl, 0, sizeof(dl));
    dl.topic = "t";
    dl.key = "";
    dl.key_len = 0;
    dl.value = "";
    dl.value_len = 0;
    dl.error_class = RS_ERROR_FRAMING;
    strcpy(dl.message, "empty value");
    rs_buf_init(&buf, 0);
    assert_int_equal(rs_encode_deadletter(&dl, 6, &buf), 0);
    read_back(&buf, "io.riskstream.DeadLetter", &d);
    assert_true(optional(&d.rec, "original_key", &b));
    check_bytes(&b, "", 0);
    assert_true(optional(&d.rec, "original_value", &b));
    check_bytes(&b, "", 0);
    release(&d);
    rs_buf_release(&buf);
}

/* rs_level_name() and rs_error_class_name() are the schemas' symbols. */
static void test_encode_names_match_schemas(void **state)
{
    const struct rs_schema_entry *alert =
        rs_registry_by_name(reg, "io.riskstream.RiskAlert");
    const struct rs_schema_entry *dl =
        rs_registry_by_name(reg, "io.riskstream.DeadLetter");
    avro_schema_t level, cls;

    (void)state;
    assert_non_null(alert);
    assert_non_null(dl);
    level = avro_schema_record_field_get(alert->schema, "level_before");
    cls = avro_schema_record_field_get(dl->schema, "error_class");
    assert_int_equal(avro_schema_enum_number_of_symbols(level), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(rs_level_name((enum rs_level)i),
                            avro_schema_enum_get(level, i));
    assert_int_equal(avro_schema_enum_number_of_symbols(cls),
                     RS_ERROR_CLASSES);
    for (int i = 0; i < RS_ERROR_CLASSES; i++)
        assert_string_equal(rs_error_class_name((enum rs_error_class)i),
                            avro_schema_enum_get(cls, i));
    assert_string_equal(rs_level_name((enum rs_level)7), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_alert_reads_back),
        cmocka_unit_test(test_encode_alert_minimal),
        cmocka_unit_test(test_encode_alert_refuses_bad_input),
        cmocka_unit_test(test_encode_cap_reached),
        cmocka_unit_test(test_encode_deadletter_reads_back),
        cmocka_unit_test(test_encode_deadletter_empty_key),
        cmocka_unit_test(test_encode_names_match_schemas),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
