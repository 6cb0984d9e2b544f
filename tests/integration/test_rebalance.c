/* Two instances in one group while a stream is produced: one is stopped
 * and started again mid-stream, then the other is frozen past its session
 * timeout (a zombie) and thawed. The result must equal one uninterrupted
 * instance's: same state for every customer, every alert exactly once;
 * and the zombie's flush must have been rejected by the fencing epoch. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "generate.h"
#include "pipeline.h"

#define CUSTOMERS 800
#define DAYS 365
#define PRODUCE_SECONDS 30
#define EXTRA "order.max.wait.ms = 3000\ncommit.interval.ms = 50\n"

/* Instance "a" commits rarely, so that when it is frozen it holds changes
 * it has not flushed: after it thaws, its flush meets the new owner's
 * epoch. */
static pid_t start_with(const struct rs_pipe *p, const char *instance,
                        const char *settings, char *log, size_t log_size)
{
    char extra[512];
    const char *conf;

    snprintf(extra, sizeof(extra), "%sinstance.id = %s\n", settings,
             instance);
    conf = rs_pipe_config(p, extra);
    snprintf(log, log_size, "/tmp/%s-%s.log", p->name, instance);
    /* Each instance gets its own copy of the config file. */
    {
        char path[512];
        char cmd[1200];

        snprintf(path, sizeof(path), "/tmp/%s-%s.conf", p->name, instance);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", conf, path);
        assert_int_equal(system(cmd), 0);
        return rs_test_spawn_run(path, log);
    }
}

static pid_t start(const struct rs_pipe *p, const char *instance,
                   char *log, size_t log_size)
{
    return start_with(p, instance,
                      strcmp(instance, "a") == 0
                          ? EXTRA "commit.interval.ms = 20000\n"
                          : EXTRA,
                      log, log_size);
}

static int log_contains(const char *log, const char *text)
{
    char *data = rs_test_read_file(log, NULL);
    int found = strstr(data, text) != NULL;

    free(data);
    return found;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "alert_id\tbytes-hex" lines of a pipeline's alerts topic. */
static char **alert_lines(const struct rs_pipe *p, size_t *count)
{
    struct rs_record *r = NULL;
    size_t n = rs_pipe_read(p, 4, (size_t)-1, 5000, &r);
    char **lines = calloc(n ? n : 1, sizeof(*lines));

    for (size_t i = 0; i < n; i++) {
        char *json = rs_pipe_json(p, &r[i]);
        char id[200];
        size_t o;

        assert_int_equal(rs_pipe_json_str(json, "alert_id", id, sizeof(id)),
                         0);
        lines[i] = malloc(strlen(id) + 2 + 2 * r[i].len + 1);
        o = (size_t)sprintf(lines[i], "%s\t", id);
        for (size_t j = 0; j < r[i].len; j++)
            o += (size_t)sprintf(lines[i] + o, "%02x", r[i].value[j]);
        free(json);
    }
    qsort(lines, n, sizeof(*lines), cmp_str);
    rs_pipe_records_free(r, n);
    *count = n;
    return lines;
}

/* The group's run must equal the clean one's: the same state for each of
 * the generated customers (seed, count), every alert exactly once. */
static void assert_same_outcome(const struct rs_pipe *clean,
                                const struct rs_pipe *group, int seed,
                                int customers, size_t events,
                                const char *how)
{
    size_t n_group, n_clean, differing = 0;
    char **l_group, **l_clean;

    for (int c = 0; c < customers; c++) {
        char id[32];
        char *x, *y;

        snprintf(id, sizeof(id), "G%d-C%05d", seed, c);
        x = rs_pipe_customer(clean, id);
        y = rs_pipe_customer(group, id);
        if (!x || !y || strcmp(x, y) != 0)
            differing++;
        free(x);
        free(y);
    }
    assert_int_equal(differing, 0);

    l_clean = alert_lines(clean, &n_clean);
    l_group = alert_lines(group, &n_group);
    print_message("events %zu, alerts %zu (one instance), %zu (%s)\n",
                  events, n_clean, n_group, how);
    assert_true(n_clean > 50);
    for (size_t i = 1; i < n_group; i++)
        if (strcmp(l_group[i - 1], l_group[i]) == 0)
            fail_msg("duplicate alert: %.80s", l_group[i]);
    assert_int_equal(n_group, n_clean);
    for (size_t i = 0; i < n_clean; i++) {
        if (strcmp(l_clean[i], l_group[i]) != 0)
            fail_msg("alerts differ: %.80s vs %.80s", l_clean[i], l_group[i]);
        free(l_clean[i]);
        free(l_group[i]);
    }
    free(l_clean);
    free(l_group);
}

static void test_rebalance_two_instances_and_zombie(void **state)
{
    struct rs_pipe in, group, clean;
    struct rs_gen_producer pr;
    pthread_t thread;
    char log1[512], log2[512];
    pid_t a, b;
    int status;

    (void)state;
    rs_pipe_init(&in, "rs-it-rebal", 4);
    pr.pipe = &in;
    pr.seconds = PRODUCE_SECONDS;
    pr.ev = rs_gen_stream(11, CUSTOMERS, DAYS, &pr.count);
    rs_pipe_fork(&in, &group, "rs-it-rebal-g");
    assert_int_equal(pthread_create(&thread, NULL, rs_gen_produce_paced, &pr), 0);

    a = start(&group, "a", log1, sizeof(log1));
    b = start(&group, "b", log2, sizeof(log2));
    rs_test_sleep_ms(5000);
    /* b stops cleanly mid-stream ... */
    status = rs_test_stop(b, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rs_test_sleep_ms(9000); /* a takes b's tasks after the session timeout */
    /* ... and comes back. */
    b = start(&group, "b", log2, sizeof(log2));
    rs_test_sleep_ms(5000);
    /* a freezes past its session timeout: b takes everything over. */
    kill(a, SIGSTOP);
    rs_test_sleep_ms(10000);
    kill(a, SIGCONT);
    assert_int_equal(pthread_join(thread, NULL), 0);
    rs_pipe_wait_done(&group, 180000);
    status = rs_test_stop(a, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    status = rs_test_stop(b, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The zombie's flush was refused by the epoch b set. */
    if (!log_contains(log1, "was taken over by another instance"))
        fail_msg("no fenced flush in %s", log1);

    rs_pipe_fork(&in, &clean, "rs-it-rebal-c");
    rs_pipe_run_to_end(&clean, EXTRA, 180000);
    assert_same_outcome(&clean, &group, 11, CUSTOMERS, pr.count,
                        "two, with restarts and a zombie");
    free((void *)(uintptr_t)pr.ev);
    rs_pipe_release(&clean);
    rs_pipe_release(&group);
    rs_pipe_release(&in);
}

/* Small orderer buffers, and every bureau event on the last day: the
 * bureau partitions run far ahead of the others in event time and stay
 * paused while the backlog of the others is worked off. */
#define PAUSING EXTRA "order.queue.records = 64\norder.buffer.records = 256\n"
#define PAUSE_CUSTOMERS 400

static void bureau_last(struct rs_gen_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *t = strstr(ev[i].fields, "event_time=");

        if (ev[i].kind == RS_EVENT_BUREAU && t)
            memcpy(t + 11, "2025-12-31T23:00", 16);
    }
}

/* A backlog worked off by one instance whose partitions pause, when a
 * second one joins: the task that changes hands and the one that stays
 * both go on to the end, with the same states and alerts as one instance
 * alone. librdkafka keeps a partition paused across a rebalance; before
 * the fix, the task kept by the first instance never took another record. */
static void test_rebalance_backlog_paused_partitions(void **state)
{
    struct rs_pipe in, group, clean;
    struct rs_gen_producer pr;
    struct rs_gen_event *ev;
    char log1[512], log2[512];
    pid_t a, b;
    int status;

    (void)state;
    rs_pipe_init(&in, "rs-it-pause", 2);
    pr.pipe = &in;
    pr.seconds = 1;
    ev = rs_gen_stream(13, PAUSE_CUSTOMERS, DAYS, &pr.count);
    bureau_last(ev, pr.count);
    pr.ev = ev;
    rs_gen_produce_paced(&pr);
    rs_pipe_fork(&in, &group, "rs-it-pause-g");

    a = start_with(&group, "a", PAUSING, log1, sizeof(log1));
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(log1, "r");

        if (f)
            fclose(f);
        if (f && log_contains(log1, "task 1 assigned"))
            break;
        rs_test_sleep_ms(50);
    }
    rs_test_sleep_ms(1500); /* a works on both tasks, pausing */
    b = start_with(&group, "b", PAUSING, log2, sizeof(log2));
    rs_pipe_wait_done(&group, 120000);
    status = rs_test_stop(a, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    status = rs_test_stop(b, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The work did change hands: b held a task. */
    if (!log_contains(log2, "assigned (epoch 2"))
        fail_msg("b took no task from a (see %s, %s)", log1, log2);

    rs_pipe_fork(&in, &clean, "rs-it-pause-c");
    rs_pipe_run_to_end(&clean, PAUSING, 180000);
    assert_same_outcome(&clean, &group, 13, PAUSE_CUSTOMERS, pr.count,
                        "two, the second joining mid-backlog");
    free(ev);
    rs_pipe_release(&clean);
    rs_pipe_release(&group);
    rs_pipe_release(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebalance_backlog_paused_partitions),
        cmocka_unit_test(test_rebalance_two_instances_and_zombie),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
