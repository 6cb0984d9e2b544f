/* Framing parse/write and CRC-64-AVRO fingerprints. */
#include "support.h"

#include <string.h>

#include "riskstream/frame.h"

static void test_frame_confluent_roundtrip(void **state)
{
    uint8_t buf[16];
    struct rs_frame fr;
    size_t n = rs_frame_write_confluent(buf, 0x01020304u);

    (void)state;
    memcpy(buf + n, "\x02\x41", 2);
    assert_int_equal(n, 5);
    assert_int_equal(rs_frame_parse(buf, n + 2, &fr), RS_FRAME_OK);
    assert_int_equal(fr.kind, RS_FRAME_CONFLUENT);
    assert_int_equal(fr.schema_id, 0x01020304u);
    assert_ptr_equal(fr.body, buf + 5);
    assert_int_equal(fr.body_len, 2);
}

static void test_frame_single_object_roundtrip(void **state)
{
    uint8_t buf[16];
    struct rs_frame fr;
    size_t n = rs_frame_write_single_object(buf, 0x1122334455667788ull);

    (void)state;
    assert_int_equal(n, 10);
    /* The fingerprint is little-endian on the wire. */
    assert_int_equal(buf[2], 0x88);
    assert_int_equal(buf[9], 0x11);
    assert_int_equal(rs_frame_parse(buf, n, &fr), RS_FRAME_OK);
    assert_int_equal(fr.kind, RS_FRAME_SINGLE_OBJECT);
    assert_true(fr.fingerprint == 0x1122334455667788ull);
    assert_int_equal(fr.body_len, 0);
}

static void test_frame_rejects_bad_input(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        enum rs_frame_result want;
    } cases[] = {
        {"", 0, RS_FRAME_EMPTY},
        {"\x00\x00\x00", 3, RS_FRAME_TRUNCATED},
        {"\x00\x00\x00\x00", 4, RS_FRAME_TRUNCATED},
        {"\xC3", 1, RS_FRAME_TRUNCATED},
        {"\xC3\x01\x00\x00\x00\x00\x00\x00\x00", 9, RS_FRAME_TRUNCATED},
        {"\xC3\x02\x00\x00\x00\x00\x00\x00\x00\x00", 10, RS_FRAME_BAD_MAGIC},
        {"{\"json\":1}", 10, RS_FRAME_BAD_MAGIC},
        {"\x01\x00\x00\x00\x01", 5, RS_FRAME_BAD_MAGIC},
    };
    struct rs_frame fr;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum rs_frame_result r = rs_frame_parse(cases[i].bytes, cases[i].len,
                                                &fr);
        if (r != cases[i].want)
            fail_msg("case %zu: got %d (%s), want %d", i, r,
                     rs_frame_result_str(r), cases[i].want);
        assert_true(strlen(rs_frame_result_str(r)) > 0);
    }
}

/* Expected values from the Avro specification's fingerprint of "null" and
 * from an independent implementation (fastavro) for "int" and "string". */
static void test_frame_fingerprint_vectors(void **state)
{
    static const struct {
        const char *text;
        uint64_t fp;
    } cases[] = {
        {"\"null\"", 0x63dd24e7cc258f8aull},
        {"\"int\"", 0x7275d51a3f395c8full},
        {"\"string\"", 0x8f014872634503c7ull},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (rs_frame_fingerprint64(cases[i].text, strlen(cases[i].text)) !=
            cases[i].fp)
            fail_msg("fingerprint of %s is wrong", cases[i].text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_confluent_roundtrip),
        cmocka_unit_test(test_frame_single_object_roundtrip),
        cmocka_unit_test(test_frame_rejects_bad_input),
        cmocka_unit_test(test_frame_fingerprint_vectors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
