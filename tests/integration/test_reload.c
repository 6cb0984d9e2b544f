/* SIGHUP reloads detector parameters without losing state: an invoice 5
 * days overdue is no risk with the default grace of 7 days; after the
 * config file says 3 days and riskstream got SIGHUP, the customer's next
 * event raises it to MEDIUM, and the state from before the reload (the
 * open invoice) is still there. A key that needs a restart is reported. */
#include "support.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pipeline.h"

static void wait_for_log(const char *log, const char *text, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        char *data = rs_test_read_file(log, NULL);
        int found = strstr(data, text) != NULL;

        free(data);
        if (found)
            return;
        rs_test_sleep_ms(100);
    }
    fail_msg("'%s' did not appear in %s", text, log);
}

static void test_reload_detector_parameters_keep_state(void **state)
{
    struct rs_pipe p;
    char log[256], *hash, *json;
    const char *conf;
    struct rs_record *alerts = NULL;
    size_t n;
    pid_t pid;
    int status;
    FILE *f;

    (void)state;
    rs_pipe_init(&p, "rs-it-reload", 1);
    rs_pipe_produce(&p, RS_EVENT_INVOICE,
                    "event_id=r-1 event_time=2026-01-05T09:00:00Z "
                    "customer_id=C-R type=ISSUED invoice_id=I-R amount=90000 "
                    "currency=EUR issue_date=2026-01-05 due_date=2026-02-04 "
                    "payment_terms_days=30",
                    NULL);
    rs_pipe_produce(&p, RS_EVENT_COMM,
                    "event_id=r-2 event_time=2026-02-09T09:00:00Z "
                    "customer_id=C-OTHER type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_flush(&p);
    conf = rs_pipe_config(&p, NULL);
    snprintf(log, sizeof(log), "/tmp/%s.log", p.name);
    pid = rs_test_spawn_run(conf, log);
    rs_pipe_wait_done(&p, 60000);
    assert_int_equal(rs_pipe_read(&p, 4, 1, 2000, &alerts), 0);

    /* Lower the grace period and change a key that needs a restart. */
    f = fopen(conf, "a");
    assert_non_null(f);
    fputs("detector.overdue.grace.days = 3\ntopic.alerts = elsewhere\n", f);
    fclose(f);
    kill(pid, SIGHUP);
    wait_for_log(log, "configuration reloaded", 20000);
    wait_for_log(log, "'topic.alerts' changed", 1000);

    /* The customer's next event: 6 days past due is now a risk. */
    rs_pipe_produce(&p, RS_EVENT_COMM,
                    "event_id=r-3 event_time=2026-02-10T09:00:00Z "
                    "customer_id=C-R type=INBOUND_REPLY channel=EMAIL",
                    NULL);
    rs_pipe_flush(&p);
    rs_pipe_wait_done(&p, 60000);
    n = rs_pipe_read(&p, 4, 1, 10000, &alerts);
    assert_int_equal(n, 1);
    json = rs_pipe_json(&p, &alerts[0]);
    assert_non_null(strstr(json, "\"level_after\": \"MEDIUM\""));
    assert_non_null(strstr(json, "\"threshold\": 3"));
    assert_non_null(strstr(json, "open 6 days after its due date"));
    free(json);
    rs_pipe_records_free(alerts, n);
    hash = rs_pipe_customer(&p, "C-R");
    assert_non_null(strstr(hash, "open_amount=90000\n"));
    free(hash);

    status = rs_test_stop(pid, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rs_pipe_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_detector_parameters_keep_state),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
