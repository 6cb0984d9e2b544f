/* The main job's path on the real broker: `topics` creates the six topics,
 * `sample` produces the sample events, `tail` shows them decoded. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/tools.h"

static struct rs_config *fresh_config(void)
{
    static const char *const keys[] = {
        "topic.invoices", "topic.payments", "topic.bureau",
        "topic.communications", "topic.alerts", "topic.deadletter"};
    struct rs_config *c = rs_config_new();
    char errstr[256], name[128];

    if (rs_config_set(c, "kafka.bootstrap.servers", rs_test_kafka_brokers(),
                      errstr, sizeof(errstr)) ||
        rs_config_set(c, "schema.dir", rs_test_path("schemas"), errstr,
                      sizeof(errstr)) ||
        rs_config_set(c, "app.id", rs_test_unique("rs-it-tools", name,
                                                  sizeof(name)),
                      errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (rs_config_set(c, keys[i], rs_test_unique(keys[i] + 6, name,
                                                     sizeof(name)),
                          errstr, sizeof(errstr)))
            fail_msg("%s", errstr);
    return c;
}

static void test_tools_sample_then_tail_shows_every_event(void **state)
{
    struct rs_config *c;
    struct rs_registry *reg;
    char errstr[512];
    size_t produced = 0, printed = 0, bad = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    const char *topics[4];

    (void)state;
    rs_test_require_kafka();
    c = fresh_config();
    reg = rs_registry_load(c->schema_dir, errstr, sizeof(errstr));
    assert_non_null(reg);
    if (rs_tools_topics(c, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    if (rs_tools_sample(c, reg, &produced, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    assert_int_equal(produced, 8);

    topics[0] = c->topic_invoices;
    topics[1] = c->topic_payments;
    topics[2] = c->topic_bureau;
    topics[3] = c->topic_communications;
    out = open_memstream(&text, &len);
    if (rs_tools_tail(c, reg, topics, 4, 8, 10000, out, &printed, &bad,
                      errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    fclose(out);
    assert_int_equal(printed, 8);
    assert_int_equal(bad, 0);
    /* What a user sees: the events, decoded, keyed by customer. */
    assert_non_null(strstr(text, "\"key\":\"C002\""));
    assert_non_null(strstr(text, "\"type\": \"PROMISE_TO_PAY\""));
    assert_non_null(strstr(text, "\"new_score\": {\"int\": 48}"));
    assert_non_null(strstr(text, "\"amount\": 480000"));
    free(text);
    rs_registry_destroy(reg);
    rs_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tools_sample_then_tail_shows_every_event),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
