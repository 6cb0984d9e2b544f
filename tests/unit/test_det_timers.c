/* The timers of the detectors that solve for their next change: over a
 * generated history, after every event, each such detector's next_timer()
 * is checked against the detector's own evaluate(), day by day:
 *
 *   never late: up to the timer, the answer (the scores of its findings)
 *   is the one it gives now, since the engine reuses it until then;
 *   never for nothing: at the timer, the answer differs (a timer that
 *   changes nothing is an evaluation, a write and a timer for nothing).
 *
 * payment_record may stop early where the count of invoices past due
 * passes a multiple of 64 (its walk's bound); the generated customers
 * never hold that many, so it is held to the same rule here.
 *
 * Every other detector with a timer is held to the first rule: a timer
 * may come early (late_trend's, past 8 stretches, fires to look further),
 * never late. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "riskstream/detector.h"
#include "scenario.h"

#define CUSTOMERS 120
#define DAYS 700
#define AHEAD_DAYS 150 /* how far past each event the answers are checked */

struct answer {
    int n;
    int32_t score[RS_FINDINGS_MAX];
};

static void answer_at(const struct rs_detector *d, const int64_t *p,
                      const struct rs_customer *c, int64_t at,
                      struct answer *a)
{
    struct rs_finding f[RS_FINDINGS_MAX];

    for (int i = 0; i < RS_FINDINGS_MAX; i++)
        f[i].quiet = 1;
    a->n = d->evaluate(p, c, rs_customer_dstate(c, d->id), at, f,
                       RS_FINDINGS_MAX);
    for (int i = 0; i < a->n; i++)
        a->score[i] = f[i].score;
}

static int same(const struct answer *a, const struct answer *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->score[i] != b->score[i])
            return 0;
    return 1;
}

struct tally {
    long checked, timers, changed;
};

/* Checks d's timer for c at now; fails the test at the first broken
 * promise, naming the customer, the day and the timer. */
static void check(const struct rs_detector *d, const int64_t *p,
                  const struct rs_customer *c, int64_t now, int exact,
                  struct tally *t)
{
    struct answer a0, a;
    int64_t at = d->next_timer(p, c, rs_customer_dstate(c, d->id), now);
    int64_t end = now + (int64_t)AHEAD_DAYS * RS_DAY_MS;

    answer_at(d, p, c, now, &a0);
    t->checked++;
    /* Every midnight before the timer (the three change at midnights),
     * and the last millisecond before it. */
    for (int64_t day = (int64_t)rs_day_of(now) + 1;
         day * RS_DAY_MS < at && day * RS_DAY_MS <= end; day++) {
        answer_at(d, p, c, day * RS_DAY_MS, &a);
        if (!same(&a, &a0))
            fail_msg("%s, customer %s: the answer changes on day %lld, "
                     "before its timer %lld (evaluated at %lld)",
                     d->name, c->id, (long long)day,
                     (long long)(at / RS_DAY_MS), (long long)now);
    }
    if (at == RS_NO_TIMER || at > end)
        return;
    assert_true(at > now);
    answer_at(d, p, c, at - 1, &a);
    assert_true(same(&a, &a0));
    t->timers++;
    answer_at(d, p, c, at, &a);
    if (!same(&a, &a0))
        t->changed++;
    else if (exact)
        fail_msg("%s, customer %s: its timer on day %lld changes nothing "
                 "(evaluated at %lld)",
                 d->name, c->id, (long long)(at / RS_DAY_MS),
                 (long long)now);
}

static void test_det_timers_exact(void **state)
{
    static const char *const names[] = {"overdue", "ordering",
                                        "payment_record"};
    struct rs_detector_params params;
    struct tally t[3] = {{0, 0, 0}};
    size_t count;
    struct rs_gen_event *ev = rs_gen_stream(5, CUSTOMERS, DAYS, &count);
    struct rs_scn *s = rs_scn_new(NULL);

    (void)state;
    rs_detector_params_defaults(&params);
    for (size_t i = 0; i < count; i++) {
        const struct rs_customer *c;

        if (rs_scn_event(s, ev[i].kind, ev[i].fields))
            continue; /* refused as late: nothing changed */
        c = rs_scn_customer(s, ev[i].customer);
        if (!c)
            continue; /* a bureau event about nobody we invoice */
        for (int k = 0; k < 3; k++) {
            const struct rs_detector *d = rs_detector_find(names[k]);

            assert_non_null(d);
            check(d, params.v[d->id], c, ev[i].time, 1, &t[k]);
        }
    }
    for (int k = 0; k < 3; k++) {
        printf("%-15s %ld states checked, %ld timers within %d days, all "
               "of them a change\n",
               names[k], t[k].checked, t[k].timers, AHEAD_DAYS);
        /* The history must give each detector timers to judge. */
        assert_true(t[k].timers > 100);
        assert_int_equal(t[k].changed, t[k].timers);
    }
    rs_scn_destroy(s);
    free(ev);
}

/* Every detector with a timer that reads only the customer's state (the
 * engine reuses the others' answers until their timer): never late. */
static void test_det_timers_never_late(void **state)
{
    struct rs_detector_params params;
    struct tally t[32] = {{0, 0, 0}};
    size_t count;
    struct rs_gen_event *ev = rs_gen_stream(7, CUSTOMERS, DAYS, &count);
    struct rs_scn *s = rs_scn_new(NULL);
    long timed = 0;

    (void)state;
    rs_detector_params_defaults(&params);
    for (size_t i = 0; i < count; i++) {
        const struct rs_customer *c;

        if (rs_scn_event(s, ev[i].kind, ev[i].fields))
            continue;
        c = rs_scn_customer(s, ev[i].customer);
        if (!c)
            continue;
        for (const struct rs_detector *const *d = rs_detectors; *d; d++)
            if ((*d)->next_timer && !(*d)->volatile_state)
                check(*d, params.v[(*d)->id], c, ev[i].time, 0,
                      &t[(*d)->id]);
    }
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        if (!(*d)->next_timer || (*d)->volatile_state)
            continue;
        printf("%-15s %ld states checked, %ld timers within %d days, %ld "
               "of them a change\n",
               (*d)->name, t[(*d)->id].checked, t[(*d)->id].timers,
               AHEAD_DAYS, t[(*d)->id].changed);
        timed += t[(*d)->id].timers;
    }
    assert_true(timed > 1000);
    assert_true(t[rs_detector_find("late_trend")->id].timers > 100);
    rs_scn_destroy(s);
    free(ev);
}

/* The engine calls a detector's observe() only for the event kinds it
 * declares (inputs), when it declares any: observing an event of another
 * kind must change nothing. Checked on every state of a generated
 * history, with each event as it was applied. */
static void test_det_observe_only_declared_kinds(void **state)
{
    struct rs_detector_params params;
    size_t count;
    struct rs_gen_event *ev = rs_gen_stream(9, CUSTOMERS, DAYS, &count);
    struct rs_scn *s = rs_scn_new(NULL);
    long checked[RS_EVENT_KINDS] = {0};

    (void)state;
    rs_detector_params_defaults(&params);
    for (size_t i = 0; i < count; i++) {
        const struct rs_customer *c;
        const struct rs_event *e;

        if (rs_scn_event(s, ev[i].kind, ev[i].fields))
            continue;
        c = rs_scn_customer(s, ev[i].customer);
        if (!c)
            continue;
        e = rs_scn_last_event(s);
        for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
            struct rs_dstate before, after;

            if (!(*d)->observe || !(*d)->inputs ||
                ((*d)->inputs & RS_INPUT(e->kind)))
                continue;
            before = *rs_customer_dstate(c, (*d)->id);
            after = before;
            (*d)->observe(params.v[(*d)->id], c, &after, e);
            if (memcmp(&before, &after, sizeof(before)) != 0)
                fail_msg("%s's observe() changed its state on an event of "
                         "kind %s, which it does not declare",
                         (*d)->name, rs_event_kind_name(e->kind));
            checked[e->kind]++;
        }
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        assert_true(checked[k] > 100); /* every kind was tried */
    rs_scn_destroy(s);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_timers_exact),
        cmocka_unit_test(test_det_timers_never_late),
        cmocka_unit_test(test_det_observe_only_declared_kinds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
