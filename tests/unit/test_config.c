/* The property table: defaults, validation, files, pass-through, docs. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "riskstream/config.h"
#include "riskstream/detector.h"
#include "riskstream/score.h"

static void test_config_defaults(void **state)
{
    struct rs_config *c = rs_config_new();

    (void)state;
    assert_string_equal(c->topic_invoices, "invoices");
    assert_string_equal(c->topic_alerts, "alerts");
    assert_int_equal(c->redis_port, 6379);
    assert_int_equal(c->log_level, RS_LOG_INFO);
    assert_int_equal(c->kafka_count, 0);
    rs_config_destroy(c);
}

static void test_config_set_validates(void **state)
{
    static const struct {
        const char *key, *value;
        int ok;
        const char *want; /* substring of the error */
    } cases[] = {
        {"redis.port", "16379", 1, NULL},
        {"redis.port", "0", 0, "'redis.port': 0 is out of range (1 to 65535)"},
        {"redis.port", "70000", 0, "out of range"},
        {"redis.port", "12ab", 0, "'12ab' is not a whole number"},
        {"redis.port", "", 0, "is not a whole number"},
        {"log.level", "debug", 1, NULL},
        {"log.level", "loud", 0, "'loud' is not one of the choices"},
        {"topic.invoices", "erp.invoices", 1, NULL},
        {"topic.invoice", "x", 0, "unknown configuration key 'topic.invoice'"},
        {"kafka.bootstrap.servers", "127.0.0.1:1", 1, NULL},
        {"kafka.linger.ms", "-5", 0, "'kafka.linger.ms'"},
        {"kafka.no.such.property", "1", 0, "'kafka.no.such.property'"},
        {"kafka.", "1", 0, "empty librdkafka key"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_config *c = rs_config_new();
        char errstr[512] = "";
        int rc = rs_config_set(c, cases[i].key, cases[i].value, errstr,
                               sizeof(errstr));

        if (cases[i].ok && rc)
            fail_msg("case %zu: %s", i, errstr);
        if (!cases[i].ok && (rc == 0 || !strstr(errstr, cases[i].want)))
            fail_msg("case %zu: rc %d, error '%s', want '%s'", i, rc, errstr,
                     cases[i].want);
        rs_config_destroy(c);
    }
}

static void test_config_set_applies(void **state)
{
    struct rs_config *c = rs_config_new();
    char errstr[256];

    (void)state;
    assert_int_equal(rs_config_set(c, "redis.port", "16379", errstr,
                                   sizeof(errstr)), 0);
    assert_int_equal(c->redis_port, 16379);
    assert_int_equal(rs_config_set(c, "log.level", "warn", errstr,
                                   sizeof(errstr)), 0);
    assert_int_equal(c->log_level, RS_LOG_WARN);
    assert_int_equal(rs_config_set(c, "kafka.linger.ms", "1", errstr,
                                   sizeof(errstr)), 0);
    assert_int_equal(rs_config_set(c, "kafka.linger.ms", "2", errstr,
                                   sizeof(errstr)), 0);
    assert_int_equal(c->kafka_count, 1);
    assert_string_equal(rs_config_kafka_get(c, "linger.ms"), "2");
    assert_null(rs_config_kafka_get(c, "acks"));
    rs_config_destroy(c);
}

static const char *write_tmp(const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/rs-test-config-%ld.conf",
             (long)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_config_file_loads(void **state)
{
    struct rs_config *c = rs_config_new();
    char errstr[512] = "";
    const char *path = write_tmp("# riskstream\n\n"
                                 "  topic.payments =  erp.payments  \r\n"
                                 "kafka.bootstrap.servers=127.0.0.1:9092\n"
                                 "redis.prefix = rs-test # not a comment\n");

    (void)state;
    if (rs_config_load_file(c, path, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    unlink(path);
    assert_string_equal(c->topic_payments, "erp.payments");
    assert_string_equal(c->redis_prefix, "rs-test # not a comment");
    assert_string_equal(rs_config_kafka_get(c, "bootstrap.servers"),
                        "127.0.0.1:9092");
    rs_config_destroy(c);
}

/* The shipped profile for the UCI card data loads and gives the card
 * segment its weights, the other segments none of them. */
static void test_config_uci_card_profile(void **state)
{
    struct rs_config *c = rs_config_new();
    struct rs_scoring *s = calloc(1, sizeof(*s));
    const struct rs_segment_profile *card;
    int ordering = rs_detector_find("ordering")->id;
    int exposure = rs_detector_find("exposure")->id;
    char errstr[512] = "";

    (void)state;
    if (rs_config_load_file(c, rs_test_path("tools/mappings/uci-card.conf"),
                            errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    rs_scoring_build(c, s);
    card = rs_scoring_profile(s, "card");
    assert_string_equal(card->name, "card");
    assert_int_equal(card->weight[ordering], 0);
    assert_int_equal(card->weight[exposure], 30);
    assert_int_equal(rs_scoring_profile(s, NULL)->weight[ordering], 100);
    free(s);
    rs_config_destroy(c);
}

static void test_config_file_errors_name_line(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"topic.alerts = a\nredis.port\n", ":2: expected 'key = value'"},
        {"# x\n\n\nsurprise = 1\n", ":4: unknown configuration key 'surprise'"},
        {"redis.port = -1\n", ":1: 'redis.port': -1 is out of range"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rs_config *c = rs_config_new();
        char errstr[512] = "";
        const char *path = write_tmp(cases[i].text);
        int rc = rs_config_load_file(c, path, errstr, sizeof(errstr));

        unlink(path);
        if (rc == 0 || !strstr(errstr, cases[i].want) || !strstr(errstr, path))
            fail_msg("case %zu: '%s' lacks '%s'", i, errstr, cases[i].want);
        rs_config_destroy(c);
    }
}

static void test_config_missing_file(void **state)
{
    struct rs_config *c = rs_config_new();
    char errstr[512] = "";

    (void)state;
    assert_int_equal(rs_config_load_file(c, "/nonexistent/rs.conf", errstr,
                                         sizeof(errstr)), -1);
    assert_non_null(strstr(errstr, "cannot open config file "
                                   "'/nonexistent/rs.conf'"));
    rs_config_destroy(c);
}

static void test_config_doc_lists_every_key(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    (void)state;
    rs_config_write_doc(f);
    fclose(f);
    assert_non_null(strstr(text, "| `topic.invoices` | string | `invoices` |"));
    assert_non_null(strstr(text, "| `redis.port` | integer | `6379` | 1 – 65535 |"));
    assert_non_null(strstr(text, "| `isolation.level` | `read_committed` |"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_set_validates),
        cmocka_unit_test(test_config_set_applies),
        cmocka_unit_test(test_config_file_loads),
        cmocka_unit_test(test_config_uci_card_profile),
        cmocka_unit_test(test_config_file_errors_name_line),
        cmocka_unit_test(test_config_missing_file),
        cmocka_unit_test(test_config_doc_lists_every_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
