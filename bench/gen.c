/* The benchmark's event source: a fast, seeded stream of the four input
 * records, written as Avro binary by hand (bench.h).
 *
 * Speed matters more than subtlety here: the fill must produce millions of
 * events in seconds, so each record is written straight into a byte buffer
 * in the field order of its schema in schemas/ (zig-zag varints, length-
 * prefixed strings, union branch indexes), with no Avro C value tree.
 * `rsbench fill --check` decodes the first records with riskstream's own
 * decoder so a schema change that this writer missed fails loudly.
 *
 * The mix follows a supplier's ledger: invoices and payments against them
 * (mostly full, some partial, failed direct debits and reversals), dunning
 * and customer contacts, and a trickle of bureau events. Keys are skewed:
 * the customer of an event is drawn from a Zipf law of exponent `zipf`
 * over a random permutation of the customers, so a few customers are hot
 * and they land on all partitions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"

#define DAY_MS 86400000LL

struct rs_bench_gen {
    struct rs_bench_gen_opts o;
    uint64_t rng;
    double *cdf;       /* by rank; NULL when uniform */
    uint32_t *by_rank; /* rank -> customer index */
    uint32_t *invoices; /* invoices issued so far, per customer */
    uint64_t seq;
};

static uint64_t rnd64(struct rs_bench_gen *g)
{
    /* xorshift64* */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ULL;
}

static uint32_t rnd(struct rs_bench_gen *g, uint32_t n)
{
    return (uint32_t)((rnd64(g) >> 32) % n);
}

static double rnd_unit(struct rs_bench_gen *g)
{
    return (double)(rnd64(g) >> 11) / 9007199254740992.0;
}

struct rs_bench_gen *rs_bench_gen_new(const struct rs_bench_gen_opts *o)
{
    struct rs_bench_gen *g = rs_calloc(1, sizeof(*g));
    uint32_t n = o->customers;

    g->o = *o;
    g->rng = o->seed * 0x9E3779B97F4A7C15ULL + 1;
    g->by_rank = rs_calloc(n, sizeof(*g->by_rank));
    g->invoices = rs_calloc(n, sizeof(*g->invoices));
    for (uint32_t i = 0; i < n; i++)
        g->by_rank[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rnd(g, i + 1), t = g->by_rank[i];

        g->by_rank[i] = g->by_rank[j];
        g->by_rank[j] = t;
    }
    if (o->zipf > 0) {
        double sum = 0;

        g->cdf = rs_calloc(n, sizeof(*g->cdf));
        for (uint32_t i = 0; i < n; i++) {
            sum += pow((double)(i + 1), -o->zipf);
            g->cdf[i] = sum;
        }
        for (uint32_t i = 0; i < n; i++)
            g->cdf[i] /= sum;
    }
    return g;
}

void rs_bench_gen_destroy(struct rs_bench_gen *g)
{
    if (!g)
        return;
    free(g->cdf);
    free(g->by_rank);
    free(g->invoices);
    free(g);
}

static uint32_t pick_customer(struct rs_bench_gen *g)
{
    uint32_t lo = 0, hi = g->o.customers - 1;
    double u;

    if (g->o.zipf < 0) /* each customer in turn, in a shuffled order */
        return g->by_rank[g->seq % g->o.customers];
    if (!g->cdf)
        return rnd(g, g->o.customers);
    u = rnd_unit(g);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (g->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return g->by_rank[lo];
}

/* Avro binary writers. */

static uint8_t *w_long(uint8_t *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

    while (z & ~(uint64_t)0x7f) {
        *p++ = (uint8_t)((z & 0x7f) | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    return p;
}

static uint8_t *w_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);

    p = w_long(p, (int64_t)n);
    memcpy(p, s, n);
    return p + n;
}

/* ["null", T] unions: branch 0 is null, 1 the value. */
static uint8_t *w_null(uint8_t *p)
{
    return w_long(p, 0);
}

static uint8_t *w_opt_str(uint8_t *p, const char *s)
{
    if (!s)
        return w_null(p);
    return w_str(w_long(p, 1), s);
}

static uint8_t *w_opt_long(uint8_t *p, int64_t v)
{
    return w_long(w_long(p, 1), v);
}

static uint8_t *header(struct rs_bench_gen *g, struct rs_bench_event *ev,
                       enum rs_event_kind kind, const char *customer,
                       int64_t t, int enum_index)
{
    char id[48];
    uint8_t *p = ev->value;

    ev->kind = kind;
    ev->event_time = t;
    ev->key_len = (size_t)snprintf(ev->key, sizeof(ev->key), "%s", customer);
    p += rs_frame_write_confluent(p, g->o.schema_ids[kind]);
    snprintf(id, sizeof(id), "%s-%llu", g->o.id_tag,
             (unsigned long long)g->seq++);
    p = w_str(p, id);
    p = w_long(p, t);
    p = w_str(p, customer);
    return w_long(p, enum_index);
}

static void invoice(struct rs_bench_gen *g, struct rs_bench_event *ev,
                    uint32_t c, const char *cust, int64_t t)
{
    static const int terms[] = {14, 30, 30, 30, 45, 60};
    static const char *const segments[] = {NULL, "SME", "key-account"};
    uint32_t r = rnd(g, 100);
    int type = r < 92 ? 0 : r < 97 ? 1 : 2; /* ISSUED, CREDITED, CANCELLED */
    int32_t day = (int32_t)(t / DAY_MS);
    int term = terms[c % 6];
    char inv[48], ref[48], order[24], sector[8];
    uint8_t *p = header(g, ev, RS_EVENT_INVOICE, cust, t, type);
    uint32_t n = g->invoices[c];

    if (type == 0 || n == 0) {
        snprintf(inv, sizeof(inv), "I%s-%u", cust, n);
        g->invoices[c]++;
    } else {
        snprintf(inv, sizeof(inv), "CN%s-%llu", cust,
                 (unsigned long long)g->seq);
    }
    p = w_str(p, inv);
    if (rnd(g, 2)) {
        snprintf(order, sizeof(order), "SO%u", rnd(g, 10000000));
        p = w_opt_str(p, order);
    } else {
        p = w_null(p);
    }
    p = w_long(p, 1000 + rnd(g, 5000000)); /* amount */
    p = w_str(p, "EUR");
    p = w_long(p, day);
    p = w_long(p, day + term);
    p = w_long(p, term);
    snprintf(sector, sizeof(sector), "C%02u", c % 33);
    p = w_opt_str(p, sector);
    p = w_opt_str(p, segments[c % 3]);
    if (type == 1 && n > 0) {
        snprintf(ref, sizeof(ref), "I%s-%u", cust, n - 1 - rnd(g, n));
        p = w_opt_str(p, ref);
    } else {
        p = w_null(p);
    }
    ev->len = (size_t)(p - ev->value);
}

static void payment(struct rs_bench_gen *g, struct rs_bench_event *ev,
                    uint32_t c, const char *cust, int64_t t)
{
    uint32_t r = rnd(g, 100);
    /* FULL, PARTIAL, REVERSAL, FAILED_DIRECT_DEBIT */
    int type = r < 80 ? 0 : r < 90 ? 1 : r < 92 ? 2 : 3;
    char pay[32], inv[48];
    uint8_t *p = header(g, ev, RS_EVENT_PAYMENT, cust, t, type);
    uint32_t n = g->invoices[c];

    snprintf(pay, sizeof(pay), "P%llu", (unsigned long long)g->seq);
    p = w_str(p, pay);
    p = w_long(p, 1000 + rnd(g, 3000000));
    p = w_str(p, "EUR");
    p = w_long(p, t / DAY_MS);
    if (n > 0 && rnd(g, 10)) {
        /* Mostly one of the customer's latest invoices. */
        uint32_t back = rnd(g, n < 4 ? n : 4);

        snprintf(inv, sizeof(inv), "I%s-%u", cust, n - 1 - back);
        p = w_opt_str(p, inv);
    } else {
        p = w_null(p);
    }
    p = w_opt_long(p, type == 3 ? 1 : (int64_t)rnd(g, 2)); /* method */
    ev->len = (size_t)(p - ev->value);
}

static void bureau(struct rs_bench_gen *g, struct rs_bench_event *ev,
                   const char *cust, int64_t t)
{
    static const char *const ratings[] = {"A", "BBB", "BB", "B", "CCC"};
    uint32_t r = rnd(g, 100);
    /* SCORE_UPDATE 60, CREDIT_INQUIRY 20, RATING_UPDATE 10,
     * REPUTATION_SIGNAL 5, MANAGEMENT_CHANGE 5 */
    int type = r < 60 ? 0 : r < 80 ? 2 : r < 90 ? 1 : r < 95 ? 9 : 5;
    uint8_t *p = header(g, ev, RS_EVENT_BUREAU, cust, t, type);
    int old_score = 40 + (int)rnd(g, 60);
    int new_score = old_score + (int)rnd(g, 21) - 12;
    uint32_t ro = rnd(g, 4);

    if (new_score < 0)
        new_score = 0;
    if (new_score > 100)
        new_score = 100;
    p = w_str(p, r & 1 ? "BureauA" : "BureauB");
    if (type == 0) {
        p = w_opt_long(p, old_score);
        p = w_opt_long(p, new_score);
        p = w_opt_long(p, 100);
    } else {
        p = w_null(w_null(w_null(p)));
    }
    if (type == 1) {
        p = w_opt_str(p, ratings[ro]);
        p = w_opt_str(p, ratings[ro + (rnd(g, 3) == 0)]);
    } else {
        p = w_null(w_null(p));
    }
    p = type == 2 ? w_opt_str(p, "Bank of Examples") : w_null(p); /* inquirer */
    p = w_null(p);                                     /* filing_kind */
    if (type == 5) {                                   /* interim */
        p = w_long(p, 1);
        *p++ = rnd(g, 4) == 0;
    } else {
        p = w_null(p);
    }
    p = w_null(p); /* parent_customer_id */
    p = w_null(w_null(w_null(p))); /* limit_action, amount, currency */
    p = w_null(w_null(p));         /* buyer_name, buyer_share */
    p = type == 9 ? w_opt_long(p, 1 + rnd(g, 3)) : w_null(p); /* severity */
    p = type == 9 ? w_opt_str(p, "trade press: delayed deliveries")
                  : w_null(p);
    ev->len = (size_t)(p - ev->value);
}

static void comm(struct rs_bench_gen *g, struct rs_bench_event *ev,
                 uint32_t c, const char *cust, int64_t t)
{
    uint32_t r = rnd(g, 100);
    /* REMINDER 40, CALL_ATTEMPT 15, CALL_ANSWERED 10, INBOUND_REPLY 10,
     * PROMISE_TO_PAY 10, EXCUSE 5, DISPUTE_OPENED 5, DISPUTE_RESOLVED 5 */
    int type = r < 40 ? 0 : r < 55 ? 2 : r < 65 ? 3 : r < 75 ? 4
             : r < 85 ? 5 : r < 90 ? 7 : r < 95 ? 8 : 9;
    uint8_t *p = header(g, ev, RS_EVENT_COMM, cust, t, type);
    uint32_t n = g->invoices[c];
    int32_t day = (int32_t)(t / DAY_MS);
    char inv[48], dispute[48];

    if (n > 0) {
        snprintf(inv, sizeof(inv), "I%s-%u", cust, n - 1 - rnd(g, n < 3 ? n : 3));
        p = w_opt_str(p, inv);
    } else {
        p = w_null(p);
    }
    p = type == 0 ? w_opt_long(p, 1 + rnd(g, 3)) : w_null(p); /* dunning */
    p = w_opt_long(p, type == 2 || type == 3 ? 1 : 0);          /* channel */
    if (type == 5) {
        p = w_opt_long(p, day + 7);
        p = w_opt_long(p, 1000 + rnd(g, 1000000));
        p = w_opt_str(p, "EUR");
    } else {
        p = w_null(w_null(w_null(p)));
    }
    p = w_null(p);                                          /* requested_days */
    p = type == 7 ? w_opt_long(p, rnd(g, 6)) : w_null(p);   /* excuse */
    if (type == 8 || type == 9) {
        snprintf(dispute, sizeof(dispute), "D%s-%u", cust, n);
        p = w_opt_str(p, dispute);
    } else {
        p = w_null(p);
    }
    p = type == 9 ? w_opt_str(p, "credit note issued") : w_null(p);
    p = rnd(g, 4) == 0 ? w_opt_str(p, "customer says the payment run is on "
                                      "Friday")
                       : w_null(p);
    ev->len = (size_t)(p - ev->value);
}

void rs_bench_gen_next(struct rs_bench_gen *g, int64_t event_time,
                       struct rs_bench_event *ev)
{
    uint32_t c = pick_customer(g);
    uint32_t r = rnd(g, 1000);
    char cust[16];
    int64_t t = event_time;

    if (t < 0) {
        uint64_t i = g->seq < g->o.events ? g->seq : g->o.events;

        t = g->o.time_from +
            (int64_t)((double)(g->o.time_to - g->o.time_from) * (double)i /
                      (double)(g->o.events ? g->o.events : 1));
    }
    snprintf(cust, sizeof(cust), "C%07u", c);
    /* invoices 40 %, payments 38 %, communications 20 %, bureau 2 % */
    if (r < 400 || g->invoices[c] == 0)
        invoice(g, ev, c, cust, t);
    else if (r < 780)
        payment(g, ev, c, cust, t);
    else if (r < 980)
        comm(g, ev, c, cust, t);
    else
        bureau(g, ev, cust, t);
}

void rs_bench_gen_probe(struct rs_bench_gen *g, const char *customer,
                        int64_t event_time, struct rs_bench_event *ev)
{
    uint8_t *p = header(g, ev, RS_EVENT_BUREAU, customer, event_time,
                        3 /* BANKRUPTCY_FILING */);

    p = w_str(p, "BureauA");
    p = w_null(w_null(w_null(p)));          /* scores */
    p = w_null(w_null(p));                  /* ratings */
    p = w_null(p);                          /* inquirer */
    p = w_opt_str(p, "bankruptcy petition"); /* filing_kind */
    p = w_null(w_null(p));                  /* interim, parent */
    p = w_null(w_null(w_null(p)));          /* limit */
    p = w_null(w_null(p));                  /* buyer */
    p = w_null(w_null(p));                  /* severity, description */
    ev->len = (size_t)(p - ev->value);
}
