/* Filling Avro records from text; date and timestamp parsing. */
#include "support.h"

#include <string.h>

#include "riskstream/avro_text.h"

static void test_avro_text_dates(void **state)
{
    static const struct {
        const char *text;
        int ok;
        int32_t days;
    } cases[] = {
        {"1970-01-01", 1, 0},     {"1970-01-02", 1, 1},
        {"1969-12-31", 1, -1},    {"2000-03-01", 1, 11017},
        {"2024-02-29", 1, 19782}, {"2023-02-29", 0, 0},
        {"2026-13-01", 0, 0},     {"2026-1-5", 0, 0},
        {"2026-01-05x", 0, 0},    {"", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t d = 12345;
        int rc = rs_avro_parse_date(cases[i].text, &d);

        if ((rc == 0) != cases[i].ok || (cases[i].ok && d != cases[i].days))
            fail_msg("'%s': rc %d days %d", cases[i].text, rc, d);
    }
}

static void test_avro_text_timestamps(void **state)
{
    static const struct {
        const char *text;
        int ok;
        int64_t ms;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 1, 0},
        {"1970-01-01T00:00:01.250Z", 1, 1250},
        {"2026-09-01T09:00:00Z", 1, 1788253200000LL},
        {"2026-09-01T09:00:00", 0, 0},
        {"2026-09-01T24:00:00Z", 0, 0},
        {"2026-09-01T09:00:00.5Z", 0, 0},
        {"2026-09-01 09:00:00Z", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = 7;
        int rc = rs_avro_parse_timestamp(cases[i].text, &ms);

        if ((rc == 0) != cases[i].ok || (cases[i].ok && ms != cases[i].ms))
            fail_msg("'%s': rc %d ms %lld", cases[i].text, rc, (long long)ms);
    }
}

static const char schema_json[] =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"day\",\"type\":\"int\"},"
    "{\"name\":\"at\",\"type\":\"long\"},"
    "{\"name\":\"x\",\"type\":\"double\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
    "\"symbols\":[\"ONE\",\"TWO_TWO\"]}},"
    "{\"name\":\"opt\",\"type\":[\"null\",\"long\"],\"default\":null},"
    "{\"name\":\"opt2\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}}]}";

static void test_avro_text_fill_and_encode(void **state)
{
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t rec, f, branch;
    char errstr[256] = "";
    struct rs_buf buf;
    const char *s;
    size_t len;
    int32_t i32;
    int64_t i64;
    int disc, b;

    (void)state;
    assert_int_equal(avro_schema_from_json_length(schema_json,
                                                  strlen(schema_json), &schema),
                     0);
    iface = avro_generic_class_from_schema(schema);
    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, "s=hello day=1970-01-11 at=1970-01-01T00:00:02Z "
                           "x=2.5 b=true e=TWO_TWO opt=42 tags=a,b,c",
                     errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    avro_value_get_by_name(&rec, "s", &f, NULL);
    avro_value_get_string(&f, &s, &len);
    assert_string_equal(s, "hello");
    avro_value_get_by_name(&rec, "day", &f, NULL);
    avro_value_get_int(&f, &i32);
    assert_int_equal(i32, 10);
    avro_value_get_by_name(&rec, "at", &f, NULL);
    avro_value_get_long(&f, &i64);
    assert_int_equal(i64, 2000);
    avro_value_get_by_name(&rec, "b", &f, NULL);
    avro_value_get_boolean(&f, &b);
    assert_true(b);
    avro_value_get_by_name(&rec, "e", &f, NULL);
    avro_value_get_enum(&f, &i32);
    assert_int_equal(i32, 1);
    avro_value_get_by_name(&rec, "opt", &f, NULL);
    avro_value_get_discriminant(&f, &disc);
    assert_int_equal(disc, 1);
    avro_value_get_current_branch(&f, &branch);
    avro_value_get_long(&branch, &i64);
    assert_int_equal(i64, 42);
    avro_value_get_by_name(&rec, "opt2", &f, NULL);
    avro_value_get_discriminant(&f, &disc);
    assert_int_equal(disc, 0); /* not named: null */
    avro_value_get_by_name(&rec, "tags", &f, NULL);
    avro_value_get_size(&f, &len);
    assert_int_equal(len, 3);

    rs_buf_init(&buf, 0);
    assert_int_equal(rs_avro_encode(&rec, &buf), 0);
    /* "hello" is a zig-zag length 10 then the bytes. */
    assert_int_equal(buf.data[0], 10);
    assert_memory_equal(buf.data + 1, "hello", 5);
    rs_buf_release(&buf);

    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
}

static void test_avro_text_fill_errors(void **state)
{
    static const struct {
        const char *fields, *want;
    } cases[] = {
        {"nope=1", "no field 'nope'"},
        {"day=soon", "field 'day': 'soon' is not a valid int"},
        {"e=THREE", "field 'e': 'THREE' is not a valid E"},
        {"b=yes", "is not a valid boolean"},
        {"opt=abc", "field 'opt': no branch takes 'abc'"},
        {"lonely", "'lonely' is not field=value"},
    };
    avro_schema_t schema;
    avro_value_iface_t *iface;

    (void)state;
    assert_int_equal(avro_schema_from_json_length(schema_json,
                                                  strlen(schema_json), &schema),
                     0);
    iface = avro_generic_class_from_schema(schema);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        avro_value_t rec;
        char errstr[256] = "";

        avro_generic_value_new(iface, &rec);
        if (rs_avro_fill(&rec, cases[i].fields, errstr, sizeof(errstr)) == 0 ||
            !strstr(errstr, cases[i].want))
            fail_msg("'%s': '%s' lacks '%s'", cases[i].fields, errstr,
                     cases[i].want);
        avro_value_decref(&rec);
    }
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avro_text_dates),
        cmocka_unit_test(test_avro_text_timestamps),
        cmocka_unit_test(test_avro_text_fill_and_encode),
        cmocka_unit_test(test_avro_text_fill_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
