/* Schema registry: canonical form, fingerprints, ids.txt loading. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "riskstream/frame.h"
#include "riskstream/registry.h"

static const char thing_schema[] =
    "{\"type\":\"record\",\"name\":\"Thing\",\"namespace\":\"t.ns\","
    "\"doc\":\"d\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\",\"doc\":\"x\"},"
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\","
    "\"symbols\":[\"A\",\"B\"],\"default\":\"A\"}},"
    "{\"name\":\"other\",\"type\":[\"null\",\"Kind\"],\"default\":null},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\","
    "\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"double\"}},"
    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\","
    "\"size\":4}}]}";

/* The form and fingerprint an independent implementation (fastavro) gives
 * for thing_schema. */
static const char thing_canonical[] =
    "{\"name\":\"t.ns.Thing\",\"type\":\"record\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"string\"},"
    "{\"name\":\"kind\",\"type\":{\"name\":\"t.ns.Kind\",\"type\":\"enum\","
    "\"symbols\":[\"A\",\"B\"]}},"
    "{\"name\":\"other\",\"type\":[\"null\",\"t.ns.Kind\"]},"
    "{\"name\":\"ts\",\"type\":\"long\"},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"double\"}},"
    "{\"name\":\"f\",\"type\":{\"name\":\"t.ns.F4\",\"type\":\"fixed\","
    "\"size\":4}}]}";

static void test_registry_canonical_form_matches_spec(void **state)
{
    avro_schema_t s;
    char *pcf;

    (void)state;
    assert_int_equal(avro_schema_from_json_length(thing_schema,
                                                  strlen(thing_schema), &s),
                     0);
    pcf = rs_schema_canonical(s);
    assert_non_null(pcf);
    assert_string_equal(pcf, thing_canonical);
    assert_true(rs_frame_fingerprint64(pcf, strlen(pcf)) ==
                0x9530ce07db9681c6ull);
    free(pcf);
    avro_schema_decref(s);
}

static void test_registry_loads_project_schemas(void **state)
{
    static const char *const names[] = {
        "io.riskstream.Invoice",       "io.riskstream.Payment",
        "io.riskstream.CreditBureauEvent", "io.riskstream.Communication",
        "io.riskstream.RiskAlert",     "io.riskstream.DeadLetter",
    };
    char errstr[512] = "";
    struct rs_registry *reg = rs_registry_load(rs_test_path("schemas"), errstr,
                                               sizeof(errstr));

    (void)state;
    if (!reg)
        fail_msg("%s", errstr);
    assert_int_equal(rs_registry_count(reg), 7);
    /* The newest version of a record is the one riskstream writes. */
    assert_int_equal(
        rs_registry_by_name(reg, "io.riskstream.CreditBureauEvent")->id, 7);
    assert_non_null(rs_registry_by_id(reg, 3));
    for (size_t i = 0; i < 6; i++) {
        const struct rs_schema_entry *e = rs_registry_by_name(reg, names[i]);

        assert_non_null(e);
        assert_ptr_equal(rs_registry_by_id(reg, e->id), e);
        assert_ptr_equal(rs_registry_by_fingerprint(reg, e->fingerprint), e);
        assert_true(strstr(e->canonical, "\"doc\"") == NULL);
    }
    assert_null(rs_registry_by_id(reg, 999999));
    assert_null(rs_registry_by_name(reg, "io.riskstream.Nope"));
    rs_registry_destroy(reg);
}

/* A scratch schema directory with the given ids.txt text. */
static void make_dir(char *dir, size_t size, const char *ids)
{
    char path[600];
    FILE *f;

    snprintf(dir, size, "/tmp/rs-test-registry-%ld", (long)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/thing.avsc", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(thing_schema, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/broken.avsc", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"type\":\"record\",\"name\":", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/ids.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(ids, f);
    fclose(f);
}

static void remove_dir(const char *dir)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/thing.avsc", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/broken.avsc", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/ids.txt", dir);
    unlink(path);
    rmdir(dir);
}

static void test_registry_errors_name_file_and_line(void **state)
{
    static const struct {
        const char *ids;
        const char *want; /* substring of the error */
    } cases[] = {
        {"1 thing.avsc\n1 thing.avsc\n", "ids.txt:2: schema id 1 is listed twice"},
        {"# c\n\n7 missing.avsc\n", "ids.txt:3: cannot open"},
        {"1 broken.avsc\n", "does not parse"},
        {"one thing.avsc\n", "ids.txt:1: expected '<id> <file.avsc>'"},
        {"# nothing\n", "lists no schema"},
    };
    char dir[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errstr[1024] = "";
        struct rs_registry *reg;

        make_dir(dir, sizeof(dir), cases[i].ids);
        reg = rs_registry_load(dir, errstr, sizeof(errstr));
        remove_dir(dir);
        if (reg) {
            rs_registry_destroy(reg);
            fail_msg("case %zu loaded", i);
        }
        if (!strstr(errstr, cases[i].want))
            fail_msg("case %zu: '%s' does not contain '%s'", i, errstr,
                     cases[i].want);
    }
}

static void test_registry_newest_version_by_name(void **state)
{
    char dir[512], errstr[512] = "";
    struct rs_registry *reg;

    (void)state;
    make_dir(dir, sizeof(dir), "3 thing.avsc\n12 thing.avsc\n5 thing.avsc\n");
    reg = rs_registry_load(dir, errstr, sizeof(errstr));
    remove_dir(dir);
    if (!reg)
        fail_msg("%s", errstr);
    assert_int_equal(rs_registry_by_name(reg, "t.ns.Thing")->id, 12);
    rs_registry_destroy(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_canonical_form_matches_spec),
        cmocka_unit_test(test_registry_loads_project_schemas),
        cmocka_unit_test(test_registry_errors_name_file_and_line),
        cmocka_unit_test(test_registry_newest_version_by_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
