/* Decoding speed: rs_decode against Avro C's generic value API.
 *
 * Encodes a mix of varied records of all four input kinds with Avro C (in
 * Confluent framing, each with its customer id as key), then times two
 * decoders over the same bytes, five rounds each:
 *
 *   rs_decode   framing, schema lookup, resolution into struct rs_event,
 *               validation and the key check: everything the engine needs;
 *   Avro C      framing and schema lookup, then avro_value_read into one
 *               reused generic value per writer schema: the bytes parsed
 *               into a value tree, nothing resolved, validated or copied.
 *
 * Prints records/s (best and median of the rounds) and the ratio; with
 * --out FILE also writes them as JSON. Exit status 1 if any record fails to
 * decode either way, since the numbers would then mean nothing. */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "riskstream/avro_text.h"
#include "riskstream/buf.h"
#include "riskstream/decode.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"

#define BENCH_ROUNDS 5
#define BENCH_DEFAULT_RECORDS 200000
#define BENCH_MAX_RECORDS 10000000

struct record {
    enum rs_event_kind kind;
    size_t key_off, key_len;
    size_t off, len;
};

struct corpus {
    struct rs_buf bytes; /* keys and values, back to back */
    struct record *recs;
    size_t count;
};

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

static const char *pick(const char *const *list, size_t n)
{
    return list[rnd((uint32_t)n)];
}

#define PICK(list) pick(list, sizeof(list) / sizeof((list)[0]))

static const char *const currencies[] = {"EUR", "USD", "GBP", "CHF", "SEK"};
static const char *const words[] = {
    "invoice-lost", "will-pay-friday", "cash-flow-tight-this-month",
    "waiting-for-our-customer-to-pay-us-first", "ok", "",
    "disputed-delivery-of-pallets-and-missing-items-on-order-7781"};

/* A few space-free words of varied length, for free-text fields. */
static void text_of(char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (uint32_t i = 0, k = 1 + rnd(4); i < k && n + 1 < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "-" : "",
                              PICK(words));
    if (n >= size)
        out[size - 1] = '\0';
    if (!out[0])
        strcpy(out, "x");
}

/* field=value text of one varied, valid record of the kind. */
static void record_text(enum rs_event_kind kind, uint32_t i, char *cust,
                        char *out, size_t size)
{
    static const char *const inv_types[] = {"ISSUED", "ISSUED", "CREDITED",
                                            "CANCELLED"};
    static const char *const pay_types[] = {"FULL", "PARTIAL", "REVERSAL",
                                            "FAILED_DIRECT_DEBIT"};
    static const char *const methods[] = {"TRANSFER", "DIRECT_DEBIT", "CARD",
                                          "CHEQUE", "PAYMENT_LINK"};
    static const char *const bur_types[] = {"SCORE_UPDATE", "RATING_UPDATE",
                                            "CREDIT_INQUIRY",
                                            "REPUTATION_SIGNAL",
                                            "CREDIT_LIMIT_DECISION"};
    static const char *const com_types[] = {"REMINDER", "PROMISE_TO_PAY",
                                            "EXCUSE", "CALL_ATTEMPT",
                                            "DISPUTE_OPENED"};
    static const char *const channels[] = {"EMAIL", "PHONE", "LETTER",
                                           "PORTAL"};
    int32_t d = 19000 + (int32_t)rnd(2500); /* 2022..2028 */
    long long t = (long long)d * 86400000LL + rnd(86400000);
    size_t n;
    char txt[200];

    snprintf(cust, 32, "CUST-%06u", rnd(50000));
    n = (size_t)snprintf(out, size,
                         "event_id=EV-%u-%08x event_time=%lld customer_id=%s ",
                         i, rnd(0x7fffffff), t, cust);
    switch (kind) {
    case RS_EVENT_INVOICE:
        n += (size_t)snprintf(
            out + n, size - n,
            "type=%s invoice_id=INV-%07u amount=%u currency=%s issue_date=%d "
            "due_date=%d payment_terms_days=%u",
            PICK(inv_types), i, 100 + rnd(10000000), PICK(currencies), d,
            d + 30, 30);
        if (rnd(2))
            n += (size_t)snprintf(out + n, size - n, " order_id=SO-%u",
                                  rnd(1000000));
        if (rnd(3))
            n += (size_t)snprintf(out + n, size - n,
                                  " sector=C%02u segment=%s", rnd(99),
                                  rnd(2) ? "SME" : "key-account");
        break;
    case RS_EVENT_PAYMENT:
        n += (size_t)snprintf(out + n, size - n,
                              "type=%s payment_id=PAY-%08u amount=%u "
                              "currency=%s payment_date=%d",
                              PICK(pay_types), i, 1 + rnd(5000000),
                              PICK(currencies), d);
        if (rnd(4))
            n += (size_t)snprintf(out + n, size - n,
                                  " invoice_id=INV-%07u method=%s",
                                  rnd(1000000), PICK(methods));
        break;
    case RS_EVENT_BUREAU:
        text_of(txt, sizeof(txt));
        n += (size_t)snprintf(
            out + n, size - n,
            "type=%s source=Bureau%u old_score=%u new_score=%u score_max=100 "
            "severity=%u description=%s",
            PICK(bur_types), rnd(3), rnd(101), rnd(101), 1 + rnd(5), txt);
        if (rnd(3) == 0)
            n += (size_t)snprintf(out + n, size - n,
                                  " limit_action=REDUCED limit_amount=%u "
                                  "limit_currency=EUR",
                                  rnd(1000000));
        break;
    case RS_EVENT_COMM:
        text_of(txt, sizeof(txt));
        n += (size_t)snprintf(out + n, size - n,
                              "type=%s invoice_id=INV-%07u channel=%s note=%s",
                              PICK(com_types), rnd(1000000), PICK(channels),
                              txt);
        if (rnd(3) == 0)
            n += (size_t)snprintf(out + n, size - n,
                                  " promised_date=%d promised_amount=%u "
                                  "currency=EUR dunning_level=%u",
                                  d + 7, 1 + rnd(100000), rnd(4));
        break;
    }
    (void)n;
}

static int build_corpus(const struct rs_registry *reg, size_t count,
                        struct corpus *c)
{
    static const enum rs_event_kind mix[] = {
        RS_EVENT_INVOICE, RS_EVENT_INVOICE, RS_EVENT_INVOICE,
        RS_EVENT_PAYMENT, RS_EVENT_PAYMENT, RS_EVENT_PAYMENT,
        RS_EVENT_BUREAU,  RS_EVENT_COMM,    RS_EVENT_COMM,
        RS_EVENT_COMM};
    static const char *const names[RS_EVENT_KINDS] = {
        "io.riskstream.Invoice", "io.riskstream.Payment",
        "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};
    const struct rs_schema_entry *e[RS_EVENT_KINDS];
    avro_value_iface_t *iface[RS_EVENT_KINDS] = {0};
    avro_value_t val[RS_EVENT_KINDS];
    char text[1024], cust[32], err[256];
    int rc = -1;

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        e[k] = rs_registry_by_name(reg, names[k]);
        if (!e[k]) {
            fprintf(stderr, "bench_decode: no schema for %s\n", names[k]);
            goto out;
        }
        iface[k] = avro_generic_class_from_schema(e[k]->schema);
        avro_generic_value_new(iface[k], &val[k]);
    }
    rs_buf_init(&c->bytes, 0);
    c->recs = rs_calloc(count, sizeof(*c->recs));
    c->count = count;
    for (size_t i = 0; i < count; i++) {
        enum rs_event_kind k = mix[rnd(sizeof(mix) / sizeof(mix[0]))];
        struct record *r = &c->recs[i];
        uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];

        record_text(k, (uint32_t)i, cust, text, sizeof(text));
        avro_value_reset(&val[k]);
        if (rs_avro_fill(&val[k], text, err, sizeof(err))) {
            fprintf(stderr, "bench_decode: '%s': %s\n", text, err);
            goto out;
        }
        r->kind = k;
        r->key_off = c->bytes.len;
        r->key_len = strlen(cust);
        rs_buf_append(&c->bytes, cust, r->key_len);
        r->off = c->bytes.len;
        rs_buf_append(&c->bytes, hdr, rs_frame_write_confluent(hdr, e[k]->id));
        if (rs_avro_encode(&val[k], &c->bytes)) {
            fprintf(stderr, "bench_decode: cannot encode '%s'\n", text);
            goto out;
        }
        r->len = c->bytes.len - r->off;
    }
    rc = 0;
out:
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        if (iface[k]) {
            avro_value_decref(&val[k]);
            avro_value_iface_decref(iface[k]);
        }
    }
    return rc;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round of rs_decode over the corpus; returns records decoded OK. */
static size_t round_rs(struct rs_decoder *dec, const struct corpus *c)
{
    size_t ok = 0;
    struct rs_event ev;
    enum rs_error_class cls;
    char why[256];

    for (size_t i = 0; i < c->count; i++) {
        const struct record *r = &c->recs[i];

        if (rs_decode(dec, r->kind, c->bytes.data + r->key_off, r->key_len,
                      c->bytes.data + r->off, r->len, &ev, &cls, why,
                      sizeof(why)) == RS_DECODE_OK)
            ok++;
        else if (ok == i) /* report the first failure only */
            fprintf(stderr, "bench_decode: record %zu: %s\n", i, why);
    }
    return ok;
}

struct avro_side {
    uint32_t ids[RS_EVENT_KINDS];
    avro_value_iface_t *iface[RS_EVENT_KINDS];
    avro_value_t value[RS_EVENT_KINDS];
    avro_reader_t reader;
};

/* One round of Avro C generic decoding; returns records read OK. */
static size_t round_avro(struct avro_side *a, const struct corpus *c)
{
    size_t ok = 0;

    for (size_t i = 0; i < c->count; i++) {
        const struct record *r = &c->recs[i];
        struct rs_frame fr;
        int k;

        if (rs_frame_parse(c->bytes.data + r->off, r->len, &fr) != RS_FRAME_OK)
            continue;
        for (k = 0; k < RS_EVENT_KINDS; k++)
            if (a->ids[k] == fr.schema_id)
                break;
        if (k == RS_EVENT_KINDS)
            continue;
        avro_reader_memory_set_source(a->reader, (const char *)fr.body,
                                      (int64_t)fr.body_len);
        avro_value_reset(&a->value[k]);
        if (avro_value_read(a->reader, &a->value[k]) == 0)
            ok++;
    }
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

struct rates {
    double best, median;
};

static struct rates summarize(double secs[BENCH_ROUNDS], size_t count)
{
    struct rates r;

    qsort(secs, BENCH_ROUNDS, sizeof(double), cmp_double);
    r.best = (double)count / secs[0];
    r.median = (double)count / secs[BENCH_ROUNDS / 2];
    return r;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_decode [--records N] [--schemas DIR] "
                    "[--out FILE]\n");
}

int main(int argc, char **argv)
{
    const char *schemas = RS_SCHEMA_DIR, *out_path = NULL;
    size_t count = BENCH_DEFAULT_RECORDS, value_bytes = 0;
    struct rs_registry *reg = NULL;
    struct rs_decoder *dec = NULL;
    struct corpus c;
    struct avro_side a;
    double rs_secs[BENCH_ROUNDS], av_secs[BENCH_ROUNDS];
    struct rates rs_r, av_r;
    char err[512];
    int status = 1;

    memset(&c, 0, sizeof(c));
    memset(&a, 0, sizeof(a));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (strcmp(argv[i], "--schemas") == 0 && i + 1 < argc) {
            schemas = argv[++i];
        } else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
            char *end;
            unsigned long long n = strtoull(argv[++i], &end, 10);

            if (*end || n == 0 || n > BENCH_MAX_RECORDS) {
                fprintf(stderr, "bench_decode: --records takes 1..%d\n",
                        BENCH_MAX_RECORDS);
                return 2;
            }
            count = (size_t)n;
        } else {
            usage();
            return 2;
        }
    }

    reg = rs_registry_load(schemas, err, sizeof(err));
    if (!reg) {
        fprintf(stderr, "bench_decode: %s\n", err);
        goto out;
    }
    dec = rs_decoder_new(reg, 1 << 20, err, sizeof(err));
    if (!dec) {
        fprintf(stderr, "bench_decode: %s\n", err);
        goto out;
    }
    if (build_corpus(reg, count, &c))
        goto out;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        static const char *const names[RS_EVENT_KINDS] = {
            "io.riskstream.Invoice", "io.riskstream.Payment",
            "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};
        const struct rs_schema_entry *e = rs_registry_by_name(reg, names[k]);

        a.ids[k] = e->id;
        a.iface[k] = avro_generic_class_from_schema(e->schema);
        avro_generic_value_new(a.iface[k], &a.value[k]);
    }
    a.reader = avro_reader_memory("", 0);

    for (size_t i = 0; i < c.count; i++)
        value_bytes += c.recs[i].len;
    printf("bench_decode: %zu records, %zu value bytes (%.1f per record, "
           "framing included), %d rounds\n",
           c.count, value_bytes, (double)value_bytes / (double)c.count,
           BENCH_ROUNDS);
    /* Warm up both, and check every record decodes both ways. */
    if (round_rs(dec, &c) != c.count || round_avro(&a, &c) != c.count) {
        fprintf(stderr, "bench_decode: not every record decodes\n");
        goto out;
    }
    for (int i = 0; i < BENCH_ROUNDS; i++) {
        double t0 = now();

        round_rs(dec, &c);
        rs_secs[i] = now() - t0;
        t0 = now();
        round_avro(&a, &c);
        av_secs[i] = now() - t0;
    }
    rs_r = summarize(rs_secs, c.count);
    av_r = summarize(av_secs, c.count);
    printf("rs_decode        best %12.0f records/s   median %12.0f records/s\n",
           rs_r.best, rs_r.median);
    printf("Avro C generic   best %12.0f records/s   median %12.0f records/s\n",
           av_r.best, av_r.median);
    printf("ratio            best %12.2fx             median %12.2fx\n",
           rs_r.best / av_r.best, rs_r.median / av_r.median);
    if (out_path) {
        FILE *f = fopen(out_path, "w");

        if (!f) {
            fprintf(stderr, "bench_decode: cannot write '%s'\n", out_path);
            goto out;
        }
        fprintf(f,
                "{\"records\": %zu, \"value_bytes\": %zu, \"rounds\": %d,\n"
                " \"rs_decode\": {\"best_records_per_s\": %.0f, "
                "\"median_records_per_s\": %.0f},\n"
                " \"avro_c_generic\": {\"best_records_per_s\": %.0f, "
                "\"median_records_per_s\": %.0f},\n"
                " \"ratio_best\": %.3f, \"ratio_median\": %.3f}\n",
                c.count, value_bytes, BENCH_ROUNDS, rs_r.best, rs_r.median,
                av_r.best, av_r.median, rs_r.best / av_r.best,
                rs_r.median / av_r.median);
        if (fclose(f)) {
            fprintf(stderr, "bench_decode: cannot write '%s'\n", out_path);
            goto out;
        }
    }
    status = 0;
out:
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        if (a.iface[k]) {
            avro_value_decref(&a.value[k]);
            avro_value_iface_decref(a.iface[k]);
        }
    }
    if (a.reader)
        avro_reader_free(a.reader);
    free(c.recs);
    rs_buf_release(&c.bytes);
    rs_decoder_destroy(dec);
    rs_registry_destroy(reg);
    return status;
}
