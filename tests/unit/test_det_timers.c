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
#include "riskstream/decode.h"
#include "riskstream/detector.h"
#include "riskstream/gen.h"
#include "riskstream/registry.h"
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

/* A detector's answer over time: its scores at now and at days after,
 * and its timer. */
struct course {
    struct answer at[5];
    int64_t timer;
};

static const int64_t course_days[5] = {0, 1, 7, 30, 120};

static void course_of(const struct rs_detector *d, const int64_t *p,
                      const struct rs_customer *c, int64_t now,
                      struct course *o)
{
    for (int i = 0; i < 5; i++)
        answer_at(d, p, c, now + course_days[i] * RS_DAY_MS, &o->at[i]);
    o->timer = d->next_timer
                   ? d->next_timer(p, c, rs_customer_dstate(c, d->id), now)
                   : RS_NO_TIMER;
}

static int same_course(const struct course *a, const struct course *b)
{
    for (int i = 0; i < 5; i++)
        if (!same(&a->at[i], &b->at[i]))
            return 0;
    return a->timer == b->timer;
}

#define SHADOWS 1024

struct reads_check {
    struct rs_decoder *dec;
    struct rs_detector_params params;
    struct rs_customer *shadow;
    size_t nshadow;
    struct rs_event *ev;
    long skipped[RS_EVENT_KINDS];
    long disputes; /* communications that changed the open invoices */
};

/* One generated event, applied to its customer as the engine applies it
 * (rs_customer_apply, then the observers of its kind); every detector the
 * engine would not run again must answer as before. */
static int reads_emit(void *opaque, enum rs_event_kind kind, const char *key,
                      size_t key_len, const void *value, size_t value_len,
                      int64_t event_time, char *errstr, size_t errstr_size)
{
    struct reads_check *rc = opaque;
    struct course before[RS_DETECTORS_MAX], after;
    const struct rs_event *e = rc->ev;
    struct rs_customer *c = NULL;
    enum rs_error_class ec;
    uint32_t parts, moved = 0;

    (void)event_time;
    if (rs_decode(rc->dec, kind, key, key_len, value, value_len, rc->ev, &ec,
                  errstr, errstr_size) != RS_DECODE_OK)
        fail_msg("a generated event does not decode: %s", errstr);
    for (size_t k = 0; k < rc->nshadow && !c; k++)
        if (strcmp(rc->shadow[k].id, e->customer_id) == 0)
            c = &rc->shadow[k];
    if (!c) {
        assert_true(rc->nshadow < SHADOWS);
        c = &rc->shadow[rc->nshadow++];
        rs_customer_init(c, e->customer_id);
    }
    for (const struct rs_detector *const *d = rs_detectors; *d; d++)
        course_of(*d, rc->params.v[(*d)->id], c, e->event_time,
                  &before[(*d)->id]);
    parts = rs_customer_apply(c, e);
    assert_int_equal(parts & ~RS_PART_ALL, 0);
    if (kind == RS_EVENT_COMM && (parts & RS_PART_OPEN))
        rc->disputes++;
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        struct rs_dstate st = *rs_customer_dstate(c, (*d)->id);

        if (!(*d)->observe ||
            ((*d)->inputs && !((*d)->inputs & RS_INPUT(e->kind))))
            continue;
        (*d)->observe(rc->params.v[(*d)->id], c, &st, e);
        if (memcmp(&st, rs_customer_dstate(c, (*d)->id), sizeof(st))) {
            rs_customer_dstate_set(c, (*d)->id, &st);
            moved |= 1u << (*d)->id;
        }
    }
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        if ((*d)->volatile_state)
            continue; /* run at every evaluation */
        assert_true((*d)->reads != 0); /* every detector declares */
        if ((moved & (1u << (*d)->id)) || ((*d)->reads & parts))
            continue; /* the engine runs it again */
        course_of(*d, rc->params.v[(*d)->id], c, e->event_time, &after);
        if (!same_course(&before[(*d)->id], &after))
            fail_msg("%s: a %s %s event for %s changed its answer or its "
                     "timer, but neither its state nor a part it declares "
                     "it reads (changed: 0x%x)",
                     (*d)->name, rs_event_kind_name(e->kind),
                     rs_event_type_name(e->kind, e->type), c->id, parts);
        rc->skipped[e->kind]++;
    }
    return 0;
}

/* The engine re-runs a detector after an event only when its observe()
 * changed its state or the event changed a part of the shared state the
 * detector declares it reads (reads, RS_PART_*): otherwise it keeps the
 * last answer. So an event that does neither must leave the detector's
 * answer, now and later, and its timer as they were. Checked after every
 * event of a generated history with every planted deterioration (disputes
 * and corporate groups among them). */
static void test_det_reads_declared(void **state)
{
    char err[512];
    struct rs_registry *reg =
        rs_registry_load(rs_test_path("schemas"), err, sizeof(err));
    struct rs_gen_params gp = {CUSTOMERS, 400, 20089, 13, 0.5};
    struct reads_check rc;
    struct rs_gen *g;

    (void)state;
    if (!reg)
        fail_msg("%s", err);
    memset(&rc, 0, sizeof(rc));
    rs_detector_params_defaults(&rc.params);
    rc.dec = rs_decoder_new(reg, 65536, err, sizeof(err));
    assert_non_null(rc.dec);
    rc.shadow = calloc(SHADOWS, sizeof(*rc.shadow));
    rc.ev = calloc(1, sizeof(*rc.ev));
    assert_true(rc.shadow && rc.ev);
    g = rs_gen_new(&gp, reg, err, sizeof(err));
    if (!g)
        fail_msg("%s", err);
    if (rs_gen_run(g, reads_emit, &rc, err, sizeof(err)))
        fail_msg("%s", err);
    printf("events that left detectors alone, by kind: invoice %ld, "
           "payment %ld, bureau %ld, communication %ld; disputes on open "
           "invoices %ld\n",
           rc.skipped[RS_EVENT_INVOICE], rc.skipped[RS_EVENT_PAYMENT],
           rc.skipped[RS_EVENT_BUREAU], rc.skipped[RS_EVENT_COMM],
           rc.disputes);
    /* The history must give every kind events that concern few, and
     * disputes that change the open invoices. */
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        assert_true(rc.skipped[k] > 100);
    assert_true(rc.disputes > 10);
    for (size_t k = 0; k < rc.nshadow; k++)
        rs_customer_release(&rc.shadow[k]);
    free(rc.shadow);
    free(rc.ev);
    rs_gen_destroy(g);
    rs_decoder_destroy(rc.dec);
    rs_registry_destroy(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_timers_exact),
        cmocka_unit_test(test_det_timers_never_late),
        cmocka_unit_test(test_det_observe_only_declared_kinds),
        cmocka_unit_test(test_det_reads_declared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
