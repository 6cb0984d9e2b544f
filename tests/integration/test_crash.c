/* Exactly once across kill -9: riskstream is killed at random moments while
 * a stream of more than 100,000 events is produced and processed, and
 * restarted each time. The final Redis state must equal an uninterrupted
 * run's over the same input, and the alerts topic (read_committed) must
 * hold each of that run's alerts exactly once, byte for byte. */
#include "support.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "generate.h"
#include "pipeline.h"

#define CUSTOMERS 2400
#define DAYS 365
#define KILLS 20
#define PRODUCE_SECONDS 25
/* A smaller orderer queue than the default makes full queues (pause, seek
 * back) more frequent. */
#define EXTRA                                                                  \
    "order.max.wait.ms = 3000\ncommit.interval.ms = 50\n"                    \
    "order.queue.records = 500\n"

struct alert_ref {
    char id[200];
    size_t index;
    int seen;
};

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const struct alert_ref *)a)->id,
                  ((const struct alert_ref *)b)->id);
}

static struct alert_ref *index_alerts(const struct rs_pipe *p,
                                      const struct rs_record *r, size_t n)
{
    struct alert_ref *refs = calloc(n ? n : 1, sizeof(*refs));

    for (size_t i = 0; i < n; i++) {
        char *json = rs_pipe_json(p, &r[i]);

        assert_int_equal(rs_pipe_json_str(json, "alert_id", refs[i].id,
                                          sizeof(refs[i].id)),
                         0);
        refs[i].index = i;
        free(json);
    }
    qsort(refs, n, sizeof(*refs), cmp_ref);
    return refs;
}

static void test_crash_kill9_exactly_once(void **state)
{
    struct rs_pipe in, crashed, clean;
    struct rs_gen_producer pr;
    pthread_t thread;
    struct rs_record *a_clean = NULL, *a_crash = NULL;
    struct alert_ref *ref_clean, *ref_crash;
    size_t n_clean, n_crash, differing = 0;
    char log[256];
    const char *conf;
    pid_t pid;
    int status, killed_alive = 0;
    unsigned seed = 12345;

    (void)state;
    rs_pipe_init(&in, "rs-it-crash", 2);
    pr.pipe = &in;
    pr.seconds = PRODUCE_SECONDS;
    pr.ev = rs_gen_stream(7, CUSTOMERS, DAYS, &pr.count);
    assert_true(pr.count >= 100000);

    /* The interrupted run, while the input is produced. */
    rs_pipe_fork(&in, &crashed, "rs-it-crash-k");
    conf = rs_pipe_config(&crashed, EXTRA);
    snprintf(log, sizeof(log), "/tmp/%s.log", crashed.name);
    assert_int_equal(pthread_create(&thread, NULL, rs_gen_produce_paced, &pr), 0);
    pid = rs_test_spawn_run(conf, log);
    for (int k = 0; k < KILLS; k++) {
        rs_test_sleep_ms(400 + (int)(rand_r(&seed) % 1100));
        if (waitpid(pid, &status, WNOHANG) == 0)
            killed_alive++;
        rs_test_stop(pid, SIGKILL, 10000);
        pid = rs_test_spawn_run(conf, log);
    }
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(killed_alive, KILLS); /* it was running each time */
    rs_pipe_wait_done(&crashed, 180000);
    status = rs_test_stop(pid, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The reference: one uninterrupted run over the same input. */
    rs_pipe_fork(&in, &clean, "rs-it-crash-c");
    rs_pipe_run_to_end(&clean, EXTRA, 180000);

    /* Same state for every customer. */
    for (int c = 0; c < CUSTOMERS; c++) {
        char id[32];
        char *x, *y;

        snprintf(id, sizeof(id), "G7-C%05d", c);
        x = rs_pipe_customer(&clean, id);
        y = rs_pipe_customer(&crashed, id);
        assert_non_null(x);
        if (!y || strcmp(x, y) != 0) {
            if (differing++ < 3)
                print_message("customer %s differs:\nclean:\n%s\ncrashed:\n%s\n",
                              id, x, y ? y : "(none)");
        }
        free(x);
        free(y);
    }
    assert_int_equal(differing, 0);

    /* Each alert exactly once. */
    n_clean = rs_pipe_read(&clean, 4, (size_t)-1, 5000, &a_clean);
    n_crash = rs_pipe_read(&crashed, 4, (size_t)-1, 5000, &a_crash);
    print_message("events %zu, alerts %zu (clean) and %zu (after %d kills)\n",
                  pr.count, n_clean, n_crash, KILLS);
    assert_true(n_clean > 100);
    ref_clean = index_alerts(&clean, a_clean, n_clean);
    ref_crash = index_alerts(&crashed, a_crash, n_crash);
    for (size_t i = 1; i < n_crash; i++)
        if (strcmp(ref_crash[i - 1].id, ref_crash[i].id) == 0)
            fail_msg("alert '%s' delivered twice", ref_crash[i].id);
    assert_int_equal(n_crash, n_clean);
    for (size_t i = 0; i < n_clean; i++) {
        const struct rs_record *x = &a_clean[ref_clean[i].index];
        const struct rs_record *y = &a_crash[ref_crash[i].index];

        if (strcmp(ref_clean[i].id, ref_crash[i].id) != 0)
            fail_msg("alert '%s' missing after kills", ref_clean[i].id);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x->value, y->value, x->len);
    }
    free(ref_clean);
    free(ref_crash);
    rs_pipe_records_free(a_clean, n_clean);
    rs_pipe_records_free(a_crash, n_crash);
    free((void *)(uintptr_t)pr.ev);
    rs_pipe_release(&clean);
    rs_pipe_release(&crashed);
    rs_pipe_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_kill9_exactly_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
