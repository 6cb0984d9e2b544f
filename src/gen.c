/* The synthetic generator's driver: customers, families, days, order.
 *
 * rs_gen_new() draws every customer from its own random stream (seeded by
 * the seed and the customer's number), then picks the deteriorating ones
 * from a seeded shuffle and deals them the families in a fixed cycle, so
 * every family appears once the share covers the cycle. A group_contagion
 * customer is the child of the latest overdue or bankruptcy customer dealt
 * before it: it behaves well, is linked to that parent by an OWNERSHIP_LINK
 * bureau event, and shares the parent's onset. A tenth of the healthy
 * customers are linked to a healthy parent too, so a link alone means
 * nothing.
 *
 * rs_gen_run() steps through the days; each customer emits its records of
 * the day into a day batch (encoded at once into an arena), which is then
 * sorted by (event time, customer, sequence) and handed to the callback.
 * Memory stays at one day's records plus each customer's agenda, whatever
 * the span. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"
#include "riskstream/format.h"
#include "riskstream/mem.h"

#define DAY_MS 86400000LL
#define FIRST_DAY 7305 /* 1990-01-01: the decoder's earliest date */
#define LAST_DAY 47846 /* 2100-12-31: its latest */
#define HEALTHY_LINK_SHARE 0.1

const char *const rs_gen_families[] = {"late_trend",      "pattern_shift",
                                       "overdue",         "silence",
                                       "broken_promises", "extensions",
                                       "excuses",         "disputes",
                                       "dunning",         "ordering_drop",
                                       "ordering_spike",  "partials",
                                       "terms_pressure",  "bureau_downgrade",
                                       "bankruptcy",      "credit_inquiries",
                                       "limit_withdrawn", "exposure",
                                       "group_contagion", NULL};

struct day_record {
    int64_t time;
    uint32_t customer;
    uint32_t seq;
    size_t off;
    uint32_t len;
    uint8_t kind;
};

struct rs_gen_sink {
    struct rs_gen *g;
    struct day_record *recs;
    size_t count;
    size_t cap;
    uint8_t *arena;
    size_t arena_len;
    size_t arena_cap;
    char errstr[512];
};

struct rs_gen {
    struct rs_gen_params params;
    struct rs_gen_codec codec;
    struct rs_gen_customer *customers;
    struct rs_gen_truth *truth;
    struct rs_gen_stats stats;
    int ran;
};

static int fail(char *errstr, size_t errstr_size, const char *what)
{
    snprintf(errstr, errstr_size, "cannot generate: %s", what);
    return -1;
}

static int check_params(const struct rs_gen_params *p, uint32_t deteriorating,
                        char *errstr, size_t errstr_size)
{
    char why[256];

    if (p->customers == 0 || p->customers > RS_GEN_CUSTOMERS_MAX) {
        snprintf(why, sizeof(why), "customers must be 1 to %u, not %u",
                 RS_GEN_CUSTOMERS_MAX, p->customers);
        return fail(errstr, errstr_size, why);
    }
    if (p->days == 0 || p->days > RS_GEN_DAYS_MAX) {
        snprintf(why, sizeof(why), "days must be 1 to %d, not %u",
                 RS_GEN_DAYS_MAX, p->days);
        return fail(errstr, errstr_size, why);
    }
    if (!(p->deteriorating_share >= 0.0 && p->deteriorating_share <= 1.0)) {
        snprintf(why, sizeof(why),
                 "the deteriorating share must be 0 to 1, not %g",
                 p->deteriorating_share);
        return fail(errstr, errstr_size, why);
    }
    if (deteriorating > 0 &&
        p->days < RS_GEN_BASELINE_DAYS + RS_GEN_TAIL_DAYS + 1) {
        snprintf(why, sizeof(why),
                 "planted deteriorations need at least %d days (%d healthy "
                 "days before the onset, %d after it), not %u",
                 RS_GEN_BASELINE_DAYS + RS_GEN_TAIL_DAYS + 1,
                 RS_GEN_BASELINE_DAYS, RS_GEN_TAIL_DAYS, p->days);
        return fail(errstr, errstr_size, why);
    }
    /* Due dates and payments run up to about 200 days past the span. */
    if (p->start_day < FIRST_DAY ||
        (int64_t)p->start_day + p->days + 200 > LAST_DAY) {
        snprintf(why, sizeof(why),
                 "the span must lie between 1990-01-01 and 2100-06-01");
        return fail(errstr, errstr_size, why);
    }
    return 0;
}

/* Deals the families to the deteriorating customers and draws onsets. */
static void assign(struct rs_gen *g, uint32_t deteriorating)
{
    uint32_t n = g->params.customers;
    uint32_t *order = rs_malloc(n * sizeof(*order));
    struct rs_gen_rng r;
    int32_t lo = RS_GEN_BASELINE_DAYS;
    int32_t hi = (int32_t)g->params.days - RS_GEN_TAIL_DAYS - 1;
    int32_t last_overdue = -1, last_bankrupt = -1;

    rs_gen_rng_seed(&r, g->params.seed, 0);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)(rs_gen_rng_next(&r) % i);
        uint32_t t = order[i - 1];

        order[i - 1] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < deteriorating; i++) {
        struct rs_gen_customer *c = &g->customers[order[i]];
        int family = (int)(i % RS_GEN_FAMILIES);
        uint32_t round = i / RS_GEN_FAMILIES;

        c->family = family;
        if (family == RS_GEN_GROUP_CONTAGION) {
            /* Alternate the parent's family from cycle to cycle. */
            int32_t parent =
                (round % 2 == 0 && last_bankrupt >= 0) || last_overdue < 0
                    ? last_bankrupt
                    : last_overdue;

            c->parent = parent;
            c->onset = g->customers[parent].onset;
            continue;
        }
        c->onset = rs_gen_rng_range(&r, lo, hi);
        if (family == RS_GEN_OVERDUE)
            last_overdue = (int32_t)order[i];
        else if (family == RS_GEN_BANKRUPTCY)
            last_bankrupt = (int32_t)order[i];
    }
    for (uint32_t i = deteriorating; i < n && n - deteriorating > 1; i++) {
        struct rs_gen_customer *c = &g->customers[order[i]];
        uint32_t j;

        if (rs_gen_rng_unit(&r) >= HEALTHY_LINK_SHARE)
            continue;
        j = deteriorating +
            (uint32_t)(rs_gen_rng_next(&r) % (n - deteriorating));
        if (j == i)
            j = j + 1 < n ? j + 1 : deteriorating;
        c->parent = (int32_t)order[j];
    }
    free(order);
}

struct rs_gen *rs_gen_new(const struct rs_gen_params *params,
                          const struct rs_registry *reg, char *errstr,
                          size_t errstr_size)
{
    struct rs_gen *g;
    uint32_t deteriorating;

    deteriorating =
        params->deteriorating_share >= 0.0 && params->deteriorating_share <= 1.0
            ? (uint32_t)llround(params->customers * params->deteriorating_share)
            : 0;
    if (check_params(params, deteriorating, errstr, errstr_size))
        return NULL;
    g = rs_calloc(1, sizeof(*g));
    g->params = *params;
    if (rs_gen_codec_init(&g->codec, reg, errstr, errstr_size)) {
        free(g);
        return NULL;
    }
    g->customers = rs_calloc(params->customers, sizeof(*g->customers));
    g->truth = rs_calloc(params->customers, sizeof(*g->truth));
    for (uint32_t i = 0; i < params->customers; i++) {
        struct rs_gen_customer *c = &g->customers[i];

        c->index = i;
        snprintf(c->id, sizeof(c->id), "C%06u", i + 1);
        c->id_len = (uint32_t)strlen(c->id);
        rs_gen_rng_seed(&c->rng, params->seed, (uint64_t)i + 1);
        rs_gen_customer_draw(c, (int32_t)params->days);
    }
    assign(g, deteriorating);
    for (uint32_t i = 0; i < params->customers; i++) {
        struct rs_gen_customer *c = &g->customers[i];
        struct rs_gen_truth *t = &g->truth[i];

        t->customer_id = c->id;
        if (c->family == RS_GEN_NONE) {
            t->family = "none";
            t->reasons = "";
            continue;
        }
        t->family = rs_gen_families[c->family];
        t->onset = (int64_t)(params->start_day + c->onset) * DAY_MS;
        t->reasons = rs_gen_family_reasons[c->family];
    }
    return g;
}

void rs_gen_destroy(struct rs_gen *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; i < g->params.customers; i++)
        free(g->customers[i].agenda);
    free(g->customers);
    free(g->truth);
    free(g);
}

/* ---- the day batch ---- */

int rs_gen_sink_put(struct rs_gen_sink *sink, struct rs_gen_customer *c,
                    struct rs_event *ev)
{
    struct day_record *rec;
    long len;

    snprintf(ev->event_id, sizeof(ev->event_id), "%s-e%u", c->id,
             (unsigned)++c->events);
    memcpy(ev->customer_id, c->id, c->id_len + 1);
    if (sink->arena_len + RS_GEN_RECORD_MAX > sink->arena_cap)
        rs_grow((void **)&sink->arena, &sink->arena_cap,
                sink->arena_len + RS_GEN_RECORD_MAX, 1);
    len = rs_gen_encode(&sink->g->codec, ev, sink->arena + sink->arena_len,
                        sink->errstr, sizeof(sink->errstr));
    if (len < 0)
        return -1;
    rs_grow((void **)&sink->recs, &sink->cap, sink->count + 1,
            sizeof(*sink->recs));
    rec = &sink->recs[sink->count++];
    rec->time = ev->event_time;
    rec->customer = c->index;
    rec->seq = c->events;
    rec->off = sink->arena_len;
    rec->len = (uint32_t)len;
    rec->kind = (uint8_t)ev->kind;
    sink->arena_len += (size_t)len;
    if (ev->kind == RS_EVENT_INVOICE && ev->type == RS_INVOICE_ISSUED)
        sink->g->stats.invoices++;
    return 0;
}

const char *rs_gen_sink_customer_id(struct rs_gen_sink *sink, int32_t index)
{
    return sink->g->customers[index].id;
}

int32_t rs_gen_sink_start_day(const struct rs_gen_sink *sink)
{
    return sink->g->params.start_day;
}

void rs_gen_sink_settled(struct rs_gen_sink *sink, int32_t days_late)
{
    struct rs_gen_stats *s = &sink->g->stats;

    s->invoices_settled++;
    if (days_late > 0) {
        s->invoices_late++;
        s->days_late_sum += (uint64_t)days_late;
    }
}

static int by_time(const void *a, const void *b)
{
    const struct day_record *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->customer != y->customer)
        return x->customer < y->customer ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int rs_gen_run(struct rs_gen *g, rs_gen_emit_fn emit, void *opaque,
               char *errstr, size_t errstr_size)
{
    struct rs_gen_sink sink;
    int rc = -1;

    if (g->ran) {
        snprintf(errstr, errstr_size,
                 "cannot generate: a generator runs once; make a new one");
        return -1;
    }
    g->ran = 1;
    memset(&sink, 0, sizeof(sink));
    sink.g = g;
    memset(&g->stats, 0, sizeof(g->stats));
    for (uint32_t i = 0; i < g->params.customers; i++)
        rs_gen_customer_start(&g->customers[i], (int32_t)g->params.days);
    for (int32_t day = 0; day < (int32_t)g->params.days; day++) {
        sink.count = 0;
        sink.arena_len = 0;
        for (uint32_t i = 0; i < g->params.customers; i++) {
            if (rs_gen_customer_day(&g->customers[i], day, &sink)) {
                snprintf(errstr, errstr_size, "%s", sink.errstr);
                goto out;
            }
        }
        qsort(sink.recs, sink.count, sizeof(*sink.recs), by_time);
        for (size_t i = 0; i < sink.count; i++) {
            const struct day_record *r = &sink.recs[i];
            const struct rs_gen_customer *c = &g->customers[r->customer];

            if (emit(opaque, (enum rs_event_kind)r->kind, c->id, c->id_len,
                     sink.arena + r->off, r->len, r->time, errstr, errstr_size))
                goto out;
            g->stats.events[r->kind]++;
            g->stats.bytes += r->len;
        }
    }
    rc = 0;
out:
    free(sink.recs);
    free(sink.arena);
    return rc;
}

size_t rs_gen_truth_count(const struct rs_gen *g)
{
    return g->params.customers;
}

const struct rs_gen_truth *rs_gen_truth_at(const struct rs_gen *g, size_t i)
{
    return i < g->params.customers ? &g->truth[i] : NULL;
}

const struct rs_gen_stats *rs_gen_stats(const struct rs_gen *g)
{
    return &g->stats;
}

int rs_gen_write_truth(const struct rs_gen *g, const char *path, char *errstr,
                       size_t errstr_size)
{
    FILE *fp = fopen(path, "w");
    int rc = -1;

    if (!fp) {
        snprintf(errstr, errstr_size, "cannot create truth file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    fputs("customer_id,family,onset,reasons\n", fp);
    for (uint32_t i = 0; i < g->params.customers; i++) {
        const struct rs_gen_truth *t = &g->truth[i];
        char onset[32] = "";

        if (strcmp(t->family, "none") != 0)
            rs_format_time(onset, sizeof(onset), t->onset);
        fprintf(fp, "%s,%s,%s,%s\n", t->customer_id, t->family, onset,
                t->reasons);
    }
    if (ferror(fp)) {
        snprintf(errstr, errstr_size, "cannot write truth file '%s': %s", path,
                 strerror(errno));
        fclose(fp);
        goto out;
    }
    if (fclose(fp)) {
        snprintf(errstr, errstr_size, "cannot write truth file '%s': %s", path,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    return rc;
}
