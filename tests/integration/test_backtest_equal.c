/* One engine, two adapters: the backtest over an event file gives the same
 * alerts as the daemon over Kafka and Redis.
 *
 * A generated stream (deteriorating, late and prompt customers) goes to
 * Kafka on two partitions; riskstream runs it to the end. The input topics
 * are then read back, partition by partition in offset order, into an
 * event file, so a record's position in the file is its Kafka offset, and
 * `riskstream backtest --until none` runs over that file with the same
 * configuration. Per partition, the alerts must be the same records in the
 * same order, byte for byte once decoded (ids, levels, scores, reasons,
 * actions, source offsets). */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "pipeline.h"
#include "riskstream/evfile.h"

#define CUSTOMERS 150
#define DAYS 240
#define PARTITIONS 2

/* One alert as one-line JSON, with its partition. */
struct line {
    int32_t partition;
    char *json;
};

/* JSON without whitespace outside strings: Avro C's one-line form (the
 * backtest's alerts.jsonl) and rs_pipe_json's pretty form compare equal. */
static char *strip(const char *json)
{
    char *out = malloc(strlen(json) + 1), *o = out;
    int in_string = 0;

    for (const char *s = json; *s; s++) {
        if (*s == '"' && (s == json || s[-1] != '\\'))
            in_string = !in_string;
        if (!in_string && (*s == ' ' || *s == '\n'))
            continue;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static char *one_line(const struct rs_pipe *p, const struct rs_record *r)
{
    char *json = rs_pipe_json(p, r), *out = strip(json);

    free(json);
    return out;
}

static void test_backtest_equal_daemon(void **state)
{
    struct rs_pipe p;
    struct rs_gen_event *ev;
    struct rs_record *alerts = NULL;
    struct line *daemon_lines, *bt_lines = NULL;
    size_t count, n, bt_n = 0, bt_cap = 0;
    char path[256], report[256], cmd[1200], err[256], *buf = NULL;
    struct rs_evfile_writer *w;
    FILE *fp;
    size_t cap = 0;

    (void)state;
    rs_pipe_init(&p, "rs-it-bteq", PARTITIONS);
    ev = rs_gen_stream(20261123, CUSTOMERS, DAYS, &count);
    for (size_t i = 0; i < count; i++)
        rs_pipe_produce(&p, ev[i].kind, ev[i].fields, NULL);
    rs_pipe_flush(&p);
    free(ev);
    rs_pipe_run_to_end(&p, NULL, 120000);
    n = rs_pipe_read(&p, 4, (size_t)-1, 3000, &alerts);
    assert_true(n > 20); /* the stream makes alerts worth comparing */

    /* The input back from Kafka, in offset order per partition. */
    snprintf(path, sizeof(path), "/tmp/%s.rsev", p.name);
    w = rs_evfile_create(path, err, sizeof(err));
    assert_non_null(w);
    for (int k = 0; k < 4; k++) {
        struct rs_record *in = NULL;
        size_t m = rs_pipe_read(&p, k, (size_t)-1, 2000, &in);

        for (int part = 0; part < PARTITIONS; part++) {
            int64_t want = 0;

            for (int64_t next = 0; next >= 0;) {
                next = -1;
                for (size_t i = 0; i < m; i++)
                    if (in[i].partition == part && in[i].offset == want) {
                        assert_int_equal(
                            rs_evfile_write(w, (enum rs_event_kind)k,
                                            in[i].key, in[i].key_len,
                                            in[i].value, in[i].len, err,
                                            sizeof(err)),
                            0);
                        next = ++want;
                        break;
                    }
            }
        }
        rs_pipe_records_free(in, m);
    }
    assert_int_equal(rs_evfile_finish(w, err, sizeof(err)), 0);

    snprintf(report, sizeof(report), "/tmp/%s-report", p.name);
    snprintf(cmd, sizeof(cmd),
             "rm -rf %s && %s backtest --events %s --report %s --until none "
             "--partitions %d -c %s > /tmp/%s-backtest.log 2>&1",
             report, rs_test_binary(), path, report, PARTITIONS,
             rs_pipe_config(&p, NULL), p.name);
    if (system(cmd) != 0)
        fail_msg("backtest failed: see /tmp/%s-backtest.log", p.name);

    /* alerts.jsonl: {"topic":..,"partition":P,"offset":..,"key":..,
     * "value":{...}} per line, in the order the task made them. */
    snprintf(path, sizeof(path), "%s/alerts.jsonl", report);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (getline(&buf, &cap, fp) > 0) {
        const char *v = strstr(buf, ",\"value\":");
        char *end;

        assert_non_null(v);
        if (bt_n == bt_cap) {
            bt_cap = bt_cap ? 2 * bt_cap : 256;
            bt_lines = realloc(bt_lines, bt_cap * sizeof(*bt_lines));
        }
        bt_lines[bt_n].partition =
            atoi(strstr(buf, "\"partition\":") + strlen("\"partition\":"));
        end = strrchr(buf, '}');
        *end = '\0';
        bt_lines[bt_n].json = strip(v + strlen(",\"value\":"));
        bt_n++;
    }
    free(buf);
    fclose(fp);

    assert_int_equal(bt_n, n);
    daemon_lines = calloc(n, sizeof(*daemon_lines));
    for (size_t i = 0; i < n; i++) {
        daemon_lines[i].partition = alerts[i].partition;
        daemon_lines[i].json = one_line(&p, &alerts[i]);
    }
    /* Compare per partition, in order: a stable split by partition. */
    for (int part = 0; part < PARTITIONS; part++) {
        size_t a = 0, b = 0, matched = 0;

        for (;;) {
            while (a < n && daemon_lines[a].partition != part)
                a++;
            while (b < bt_n && bt_lines[b].partition != part)
                b++;
            if (a == n || b == bt_n)
                break;
            if (strcmp(daemon_lines[a].json, bt_lines[b].json) != 0)
                fail_msg("partition %d alert %zu differs:\ndaemon:   %s\n"
                         "backtest: %s",
                         part, matched, daemon_lines[a].json,
                         bt_lines[b].json);
            matched++;
            a++;
            b++;
        }
        assert_true(a == n && b == bt_n);
    }
    for (size_t i = 0; i < n; i++)
        free(daemon_lines[i].json);
    for (size_t i = 0; i < bt_n; i++)
        free(bt_lines[i].json);
    free(daemon_lines);
    free(bt_lines);
    rs_pipe_records_free(alerts, n);
    rs_pipe_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtest_equal_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
