/* Reproducible test streams (generate.h). */
#include "generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "riskstream/mem.h"
#include "support.h"

#define DAY_MS 86400000LL
#define START_DAY 20089 /* 2025-01-01 */

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int between(struct rng *r, int lo, int hi)
{
    return lo + (int)(next(r) % (uint64_t)(hi - lo + 1));
}

static void fmt_date(char *out, size_t size, int day)
{
    /* civil from days (days since 1970-01-01) */
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;

    snprintf(out, size, "%04d-%02u-%02u", (int)(y + (m <= 2)), m, d);
}

struct gen {
    struct rs_gen_event *v;
    size_t count, cap;
};

static struct rs_gen_event *add(struct gen *g, int day, int minute,
                                enum rs_event_kind kind, const char *cust)
{
    struct rs_gen_event *e;

    rs_grow((void **)&g->v, &g->cap, g->count + 1, sizeof(*g->v));
    e = &g->v[g->count++];
    memset(e, 0, sizeof(*e));
    e->time = (int64_t)day * DAY_MS + (int64_t)minute * 60000;
    e->kind = kind;
    snprintf(e->customer, sizeof(e->customer), "%s", cust);
    return e;
}

/* "event_id=.. event_time=.. customer_id=.." header. */
static int header(char *out, size_t size, const struct rs_gen_event *e,
                  int n)
{
    char d[16];
    int64_t ms = e->time % DAY_MS;

    fmt_date(d, sizeof(d), (int)(e->time / DAY_MS));
    return snprintf(out, size,
                    "event_id=%s-%d event_time=%sT%02d:%02d:00Z "
                    "customer_id=%s ",
                    e->customer, n, d, (int)(ms / 3600000),
                    (int)(ms / 60000 % 60), e->customer);
}

static int cmp_event(const void *a, const void *b)
{
    const struct rs_gen_event *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->fields, y->fields);
}

static void customer_stream(struct gen *g, struct rng *r, uint64_t seed,
                            int index, int days)
{
    char cust[32], d1[16], d2[16];
    int profile = between(r, 0, 99);
    int stop_day = START_DAY + (profile >= 85 && profile < 95
                                    ? between(r, days / 3, days)
                                    : days + 1000);
    int day = START_DAY + between(r, 0, 20);
    int end = START_DAY + days;
    int n = 0, inv = 0;

    snprintf(cust, sizeof(cust), "G%llu-C%05d", (unsigned long long)seed,
             index);
    while (day < end) {
        int amount = between(r, 50, 5000) * 100;
        int due = day + 30;
        int delay = profile < 60   ? between(r, -10, 2)
                    : profile < 85 ? between(r, 0, 40)
                                   : between(r, -5, 10);
        int paid = due + delay;
        struct rs_gen_event *e;
        size_t o;

        inv++;
        e = add(g, day, between(r, 480, 1000), RS_EVENT_INVOICE, cust);
        o = (size_t)header(e->fields, sizeof(e->fields), e, n++);
        fmt_date(d1, sizeof(d1), day);
        fmt_date(d2, sizeof(d2), due);
        snprintf(e->fields + o, sizeof(e->fields) - o,
                 "type=ISSUED invoice_id=%s-I%d amount=%d currency=EUR "
                 "issue_date=%s due_date=%s payment_terms_days=30 "
                 "segment=seg%d",
                 cust, inv, amount, d1, d2, index % 5);
        if (paid > stop_day)
            paid = end + 1000; /* never paid */
        if (paid > due + 3 && due + 3 < end) {
            e = add(g, due + 3, 420, RS_EVENT_COMM, cust);
            o = (size_t)header(e->fields, sizeof(e->fields), e, n++);
            snprintf(e->fields + o, sizeof(e->fields) - o,
                     "type=REMINDER invoice_id=%s-I%d dunning_level=1 "
                     "channel=EMAIL",
                     cust, inv);
            if (between(r, 0, 2) == 0 && due + 5 < end) {
                e = add(g, due + 5, 600, RS_EVENT_COMM, cust);
                o = (size_t)header(e->fields, sizeof(e->fields), e, n++);
                fmt_date(d1, sizeof(d1), due + 10);
                snprintf(e->fields + o, sizeof(e->fields) - o,
                         "type=PROMISE_TO_PAY invoice_id=%s-I%d "
                         "promised_date=%s promised_amount=%d currency=EUR",
                         cust, inv, d1, amount);
            }
        }
        if (paid < end) {
            int partial = profile >= 95 && between(r, 0, 1);

            e = add(g, paid, between(r, 480, 1000), RS_EVENT_PAYMENT, cust);
            o = (size_t)header(e->fields, sizeof(e->fields), e, n++);
            fmt_date(d1, sizeof(d1), paid);
            snprintf(e->fields + o, sizeof(e->fields) - o,
                     "type=%s payment_id=%s-P%d amount=%d currency=EUR "
                     "payment_date=%s invoice_id=%s-I%d method=TRANSFER",
                     partial ? "PARTIAL" : "FULL", cust, inv,
                     partial ? amount / 2 : amount, d1, cust, inv);
        }
        day += between(r, 10, 30);
    }
    for (int b = between(r, 1, 3); b > 0; b--) {
        struct rs_gen_event *e =
            add(g, START_DAY + between(r, 0, days - 1), 300, RS_EVENT_BUREAU,
                cust);
        size_t o = (size_t)header(e->fields, sizeof(e->fields), e, n++);

        snprintf(e->fields + o, sizeof(e->fields) - o,
                 "type=SCORE_UPDATE source=bureau old_score=%d new_score=%d "
                 "score_max=100",
                 between(r, 40, 90), between(r, 20, 90));
    }
}

struct rs_gen_event *rs_gen_stream(uint64_t seed, int customers, int days,
                                   size_t *count)
{
    struct gen g = {NULL, 0, 0};
    struct rng r = {seed};

    for (int i = 0; i < customers; i++)
        customer_stream(&g, &r, seed, i, days);
    qsort(g.v, g.count, sizeof(*g.v), cmp_event);
    *count = g.count;
    return g.v;
}

void *rs_gen_produce_paced(void *arg)
{
    struct rs_gen_producer *pr = arg;
    size_t chunk = pr->count / ((size_t)pr->seconds * 10) + 1;

    for (size_t i = 0; i < pr->count; i++) {
        rs_pipe_produce(pr->pipe, pr->ev[i].kind, pr->ev[i].fields, NULL);
        if (i % chunk == chunk - 1)
            rs_test_sleep_ms(100);
    }
    rs_pipe_flush(pr->pipe);
    return NULL;
}
