/* The synthetic generator: reproducible bytes, records the decoder takes,
 * the truth CSV in the shared format, and a stream the engine reads the
 * way the truth says: every planted deterioration raises an alert naming
 * one of its reasons after its onset, and healthy customers stay quiet
 * (fewer than 2 alerts per 100 customers per simulated year).
 *
 * The engine run follows tests/support/scenario.c: the real decoder, one
 * task over the memory store, records applied in file order, stream time
 * advanced to the end of the span. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "riskstream/config.h"
#include "riskstream/decode.h"
#include "riskstream/engine.h"
#include "riskstream/gen.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"
#include "riskstream/score.h"
#include "riskstream/encode.h"
#include "riskstream/store.h"
#include "support.h"

#define DAY_MS 86400000LL

/* Families whose detector is not in this build yet: reported, not failed. */
static const char *const pending_families[] = {NULL};

struct rec {
    enum rs_event_kind kind;
    size_t key_off, key_len, val_off, val_len;
    int64_t time;
};

struct stream {
    uint8_t *bytes;
    size_t len, cap;
    struct rec *recs;
    size_t count, rcap;
};

static int collect(void *opaque, enum rs_event_kind kind, const char *key,
                   size_t key_len, const void *value, size_t value_len,
                   int64_t event_time, char *errstr, size_t errstr_size)
{
    struct stream *s = opaque;
    struct rec *r;

    (void)errstr;
    (void)errstr_size;
    rs_grow((void **)&s->recs, &s->rcap, s->count + 1, sizeof(*s->recs));
    rs_grow((void **)&s->bytes, &s->cap, s->len + key_len + value_len + 1, 1);
    r = &s->recs[s->count++];
    r->kind = kind;
    r->time = event_time;
    r->key_off = s->len;
    r->key_len = key_len;
    s->bytes[s->len++] = (uint8_t)kind;
    r->key_off = s->len;
    memcpy(s->bytes + s->len, key, key_len);
    s->len += key_len;
    r->val_off = s->len;
    r->val_len = value_len;
    memcpy(s->bytes + s->len, value, value_len);
    s->len += value_len;
    return 0;
}

static void stream_release(struct stream *s)
{
    free(s->bytes);
    free(s->recs);
    memset(s, 0, sizeof(*s));
}

static struct rs_registry *load_registry(void)
{
    char err[512];
    struct rs_registry *reg =
        rs_registry_load(rs_test_path("schemas"), err, sizeof(err));

    if (!reg)
        fail_msg("%s", err);
    return reg;
}

static struct rs_gen *generate(const struct rs_registry *reg,
                               const struct rs_gen_params *p,
                               struct stream *out)
{
    char err[512];
    struct rs_gen *g = rs_gen_new(p, reg, err, sizeof(err));

    if (!g)
        fail_msg("%s", err);
    memset(out, 0, sizeof(*out));
    if (rs_gen_run(g, collect, out, err, sizeof(err)))
        fail_msg("%s", err);
    return g;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- reproducibility, decoding, order, ids ---- */

static void test_gen_same_seed_same_bytes(void **state)
{
    struct rs_registry *reg = load_registry();
    struct rs_gen_params p = {40, 300, 19723, 42, 0.3}; /* 2024-01-01 */
    struct stream a, b, c;
    struct rs_gen *ga, *gb, *gc;
    char err[256];

    (void)state;
    ga = generate(reg, &p, &a);
    gb = generate(reg, &p, &b);
    p.seed = 43;
    gc = generate(reg, &p, &c);
    assert_true(a.count > 1000);
    assert_int_equal(a.count, b.count);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.bytes, b.bytes, a.len);
    assert_true(a.len != c.len || memcmp(a.bytes, c.bytes, a.len) != 0);
    /* The truth is reproducible too. */
    for (size_t i = 0; i < rs_gen_truth_count(ga); i++) {
        assert_string_equal(rs_gen_truth_at(ga, i)->family,
                            rs_gen_truth_at(gb, i)->family);
        assert_true(rs_gen_truth_at(ga, i)->onset ==
                    rs_gen_truth_at(gb, i)->onset);
    }
    /* A generator runs once. */
    assert_int_equal(rs_gen_run(ga, collect, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "runs once"));
    rs_gen_destroy(ga);
    rs_gen_destroy(gb);
    rs_gen_destroy(gc);
    stream_release(&a);
    stream_release(&b);
    stream_release(&c);
    rs_registry_destroy(reg);
}

static void test_gen_records_decode_in_order(void **state)
{
    struct rs_registry *reg = load_registry();
    struct rs_gen_params p = {40, 300, 19723, 7, 0.5};
    struct stream s;
    struct rs_gen *g = generate(reg, &p, &s);
    struct rs_decoder *dec;
    struct rs_event *ev = rs_calloc(1, sizeof(*ev));
    char **ids = rs_calloc(s.count, sizeof(*ids));
    size_t per_kind[RS_EVENT_KINDS] = {0};
    const struct rs_gen_stats *st = rs_gen_stats(g);
    char err[512];

    (void)state;
    dec = rs_decoder_new(reg, 65536, err, sizeof(err));
    assert_non_null(dec);
    for (size_t i = 0; i < s.count; i++) {
        const struct rec *r = &s.recs[i];
        enum rs_error_class ec;

        if (rs_decode(dec, r->kind, s.bytes + r->key_off, r->key_len,
                      s.bytes + r->val_off, r->val_len, ev, &ec, err,
                      sizeof(err)) != RS_DECODE_OK)
            fail_msg("record %zu does not decode (%s): %s", i,
                     rs_error_class_name(ec), err);
        /* Confluent framing with the registry's newest id of the record. */
        assert_int_equal(s.bytes[r->val_off], 0);
        assert_true(ev->event_time == r->time);
        if (i > 0)
            assert_true(r->time >= s.recs[i - 1].time);
        assert_memory_equal(ev->customer_id, s.bytes + r->key_off, r->key_len);
        ids[i] = rs_strdup(ev->event_id);
        per_kind[r->kind]++;
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        assert_true(per_kind[k] > 0);
        assert_int_equal(per_kind[k], st->events[k]);
    }
    qsort(ids, s.count, sizeof(*ids), cmp_str);
    for (size_t i = 1; i < s.count; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("event id '%s' is used twice", ids[i]);
    for (size_t i = 0; i < s.count; i++)
        free(ids[i]);
    free(ids);
    free(ev);
    rs_decoder_destroy(dec);
    rs_gen_destroy(g);
    stream_release(&s);
    rs_registry_destroy(reg);
}

/* ---- the truth CSV ---- */

static void test_gen_truth_csv(void **state)
{
    struct rs_registry *reg = load_registry();
    struct rs_gen_params p = {60, 400, 19723, 5, 0.35};
    struct stream s;
    struct rs_gen *g = generate(reg, &p, &s);
    char path[64], err[256], *text, *line, *save = NULL;
    size_t len, rows = 0, none = 0;
    int families_seen[32] = {0};

    (void)state;
    snprintf(path, sizeof(path), "/tmp/rs-gen-truth-%d.csv", (int)getpid());
    assert_int_equal(rs_gen_write_truth(g, path, err, sizeof(err)), 0);
    text = rs_test_read_file(path, &len);
    line = strtok_r(text, "\n", &save);
    assert_string_equal(line, "customer_id,family,onset,reasons");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char id[32], family[32], onset[32], reasons[256];
        const struct rs_gen_truth *t = rs_gen_truth_at(g, rows);
        int f;

        assert_non_null(t);
        if (sscanf(line, "%31[^,],%31[^,],", id, family) != 2)
            fail_msg("truth row '%s' is not customer_id,family,...", line);
        assert_string_equal(id, t->customer_id);
        if (strcmp(family, "none") == 0) {
            char expect[64];

            snprintf(expect, sizeof(expect), "%s,none,,", id);
            assert_string_equal(line, expect);
            none++;
        } else {
            if (sscanf(line, "%*[^,],%*[^,],%31[^,],%255s", onset, reasons) !=
                2)
                fail_msg("truth row '%s' lacks onset or reasons", line);
            assert_int_equal(strlen(onset), 20);
            assert_string_equal(onset + 10, "T00:00:00Z");
            for (f = 0; rs_gen_families[f]; f++)
                if (strcmp(rs_gen_families[f], family) == 0)
                    break;
            assert_non_null(rs_gen_families[f]);
            families_seen[f] = 1;
            assert_string_equal(reasons, t->reasons);
        }
        rows++;
    }
    assert_int_equal(rows, 60);
    assert_int_equal(none, 60 - 21);
    for (int f = 0; rs_gen_families[f]; f++)
        if (!families_seen[f])
            fail_msg("family %s has no customer at share 0.35 of 60",
                     rs_gen_families[f]);
    /* A bad parameter is refused with the reason. */
    p.days = 100;
    assert_null(rs_gen_new(&p, reg, err, sizeof(err)));
    assert_non_null(strstr(err, "at least 256 days"));
    free(text);
    unlink(path);
    rs_gen_destroy(g);
    stream_release(&s);
    rs_registry_destroy(reg);
}

/* ---- the command ---- */

int rs_cmd_gen(int argc, char **argv); /* src/commands.h */

static int run_cmd(const char *const *args)
{
    char *argv[32];
    int argc = 0;

    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    return rs_cmd_gen(argc, argv);
}

static void test_gen_command_writes_reproducible_files(void **state)
{
    char ev1[64], ev2[64], tr1[64], tr2[64], schemas[512];
    char *a, *b;
    size_t alen, blen;

    (void)state;
    snprintf(schemas, sizeof(schemas), "%s", rs_test_path("schemas"));
    snprintf(ev1, sizeof(ev1), "/tmp/rs-gen-%d-1.rsev", (int)getpid());
    snprintf(ev2, sizeof(ev2), "/tmp/rs-gen-%d-2.rsev", (int)getpid());
    snprintf(tr1, sizeof(tr1), "/tmp/rs-gen-%d-1.csv", (int)getpid());
    snprintf(tr2, sizeof(tr2), "/tmp/rs-gen-%d-2.csv", (int)getpid());
    {
        const char *args1[] = {"gen", "--customers", "30",         "--days",
                               "300", "--start",     "2025-01-01", "--seed",
                               "9",   "--out",       ev1,          "--truth",
                               tr1,   "--schemas",   schemas,      NULL};
        const char *args2[] = {
            "gen", "--customers", "30",         "--days",
            "300", "--start",     "2025-01-01", "--seed",
            "9",   "--out",       ev2,          "--truth",
            tr2,   "--schemas",   schemas,      "--deteriorating-share",
            "0.3", NULL};

        assert_int_equal(run_cmd(args1), 0);
        assert_int_equal(run_cmd(args2), 0);
    }
    a = rs_test_read_file(ev1, &alen);
    b = rs_test_read_file(ev2, &blen);
    assert_true(alen > 10000);
    assert_memory_equal(a, "RSEV1\n", 6);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    free(a);
    free(b);
    a = rs_test_read_file(tr1, &alen);
    b = rs_test_read_file(tr2, &blen);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    assert_memory_equal(a, "customer_id,family,onset,reasons\nC000001,", 41);
    free(a);
    free(b);
    /* Usage errors exit 2, --help 0. */
    {
        const char *no_truth[] = {"gen", "--customers", "3",          "--days",
                                  "30",  "--start",     "2025-01-01", "--seed",
                                  "1",   "--out",       ev1,          NULL};
        const char *bad_share[] = {"gen", "--deteriorating-share", "1.5", NULL};
        const char *bad_start[] = {"gen", "--start", "2025-13-01", NULL};
        const char *help[] = {"gen", "--help", NULL};

        assert_int_equal(run_cmd(no_truth), 2);
        assert_int_equal(run_cmd(bad_share), 2);
        assert_int_equal(run_cmd(bad_start), 2);
        assert_int_equal(run_cmd(help), 0);
    }
    unlink(ev1);
    unlink(ev2);
    unlink(tr1);
    unlink(tr2);
}

/* ---- through the engine ---- */

struct alerts {
    struct rs_alert *a;
    size_t count, cap;
};

/* The engine's callbacks: alerts kept, group relays queued to be applied
 * right after the event that made them, as the bureau topic would bring
 * them back. */
struct relay {
    char key[RS_ID_MAX];
    uint8_t *value;
    size_t len;
};

struct sink {
    struct alerts *al;
    struct relay *q;
    size_t count, cap;
};

static void on_alert(void *opaque, const struct rs_alert *a)
{
    struct alerts *al = ((struct sink *)opaque)->al;

    rs_grow((void **)&al->a, &al->cap, al->count + 1, sizeof(*al->a));
    al->a[al->count++] = *a;
}

static void on_relay(void *opaque, const char *customer, const void *value,
                     size_t len, int64_t event_time)
{
    struct sink *sk = opaque;
    struct relay *r;

    (void)event_time;
    rs_grow((void **)&sk->q, &sk->cap, sk->count + 1, sizeof(*sk->q));
    r = &sk->q[sk->count++];
    snprintf(r->key, sizeof(r->key), "%s", customer);
    r->value = rs_malloc(len);
    memcpy(r->value, value, len);
    r->len = len;
}

static void apply_relays(struct sink *sk, struct rs_decoder *dec,
                         struct rs_task *task, int64_t *offset)
{
    struct rs_event *ev = rs_calloc(1, sizeof(*ev));
    enum rs_error_class ec;
    char err[512];

    for (size_t i = 0; i < sk->count; i++) {
        struct relay r = sk->q[i];

        if (rs_decode(dec, RS_EVENT_BUREAU, r.key, strlen(r.key), r.value,
                      r.len, ev, &ec, err, sizeof(err)) != RS_DECODE_OK)
            fail_msg("relay does not decode: %s", err);
        ev->offset = (*offset)++;
        if (rs_task_apply(task, ev, err, sizeof(err)) != RS_APPLY_OK)
            fail_msg("relay not applied: %s", err);
        rs_task_done(task, RS_EVENT_BUREAU, ev->offset);
        free(sk->q[i].value);
    }
    sk->count = 0;
    free(ev);
}

/* Runs the stream through the decoder and one engine task. */
static void run_engine(const struct rs_registry *reg, const struct stream *s,
                       int64_t end, struct alerts *al)
{
    static const char *const topics[RS_EVENT_KINDS] = {
        "invoices", "payments", "bureau", "communications"};
    struct rs_config *conf = rs_config_new();
    struct rs_decoder *dec;
    struct rs_store *store = rs_store_memory_new();
    struct rs_engine_params params;
    struct rs_task_meta meta;
    struct rs_task *task;
    struct rs_event *ev = rs_calloc(1, sizeof(*ev));
    int64_t offsets[RS_EVENT_KINDS] = {0};
    char err[512];
    struct sink sk = {al, NULL, 0, 0};
    struct rs_encode_ids ids;

    dec = rs_decoder_new(reg, 65536, err, sizeof(err));
    assert_non_null(dec);
    memset(&params, 0, sizeof(params));
    rs_engine_params_from_config(&params, conf);
    params.cache_customers = 100000; /* every customer stays resident */
    if (rs_encode_schema_ids(reg, &ids, err, sizeof(err)))
        fail_msg("%s", err);
    params.alert_schema_id = ids.alert;
    params.deadletter_schema_id = ids.deadletter;
    params.relay_schema_id = ids.relay;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        params.topics[k] = topics[k];
    params.on_alert = on_alert;
    params.on_relay = on_relay;
    params.opaque = &sk;
    memset(&meta, 0, sizeof(meta));
    if (rs_store_open_task(store, 0, &meta, err, sizeof(err)) != RS_STORE_OK)
        fail_msg("%s", err);
    task = rs_task_new(&params, store, 0, &meta);
    rs_store_meta_release(&meta);
    for (size_t i = 0; i < s->count; i++) {
        const struct rec *r = &s->recs[i];
        enum rs_error_class ec;

        if (rs_decode(dec, r->kind, s->bytes + r->key_off, r->key_len,
                      s->bytes + r->val_off, r->val_len, ev, &ec, err,
                      sizeof(err)) != RS_DECODE_OK)
            fail_msg("record %zu does not decode: %s", i, err);
        ev->partition = 0;
        ev->offset = offsets[r->kind]++;
        if (rs_task_apply(task, ev, err, sizeof(err)) != RS_APPLY_OK)
            fail_msg("record %zu (%s) not applied: %s", i, ev->event_id, err);
        rs_task_done(task, r->kind, ev->offset);
        apply_relays(&sk, dec, task, &offsets[RS_EVENT_BUREAU]);
        if (rs_task_wants_flush(task)) {
            if (rs_task_flush(task, err, sizeof(err)) != RS_STORE_OK)
                fail_msg("%s", err);
            rs_task_inflight_done(task);
        }
    }
    if (rs_task_advance(task, end, err, sizeof(err)))
        fail_msg("%s", err);
    apply_relays(&sk, dec, task, &offsets[RS_EVENT_BUREAU]);
    free(sk.q);
    rs_task_destroy(task);
    rs_store_destroy(store);
    rs_decoder_destroy(dec);
    rs_config_destroy(conf);
    free(ev);
}

static int has_reason(const struct rs_alert *a, const char *reasons)
{
    for (int i = 0; i < a->reason_count; i++) {
        const char *code = a->reasons[i].code, *p = reasons;
        size_t n = strlen(code);

        while ((p = strstr(p, code)) != NULL) {
            if ((p == reasons || p[-1] == '|') && (p[n] == '|' || !p[n]))
                return 1;
            p += n;
        }
    }
    return 0;
}

static void print_alert(const struct rs_alert *a, int64_t start)
{
    fprintf(stderr, "      day %lld %s->%s:",
            (long long)((a->event_time - start) / DAY_MS),
            rs_level_name(a->level_before), rs_level_name(a->level_after));
    for (int i = 0; i < a->reason_count; i++)
        fprintf(stderr, " %s", a->reasons[i].code);
    fputc('\n', stderr);
    if (a->reason_count > 0)
        fprintf(stderr, "        (%s)\n", a->reasons[0].message);
}

static int pending(const char *family)
{
    for (int i = 0; pending_families[i]; i++)
        if (strcmp(pending_families[i], family) == 0)
            return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void test_gen_engine_finds_planted_and_spares_healthy(void **state)
{
    struct rs_registry *reg = load_registry();
    struct rs_gen_params p = {400, 400, 19723, 11, 0.1};
    const char *env = getenv("RS_TEST_GEN"); /* "customers,days,seed,share" */
    struct stream s;
    struct rs_gen *g;

    if (env) {
        unsigned long long seed = 0;

        if (sscanf(env, "%u,%u,%llu,%lf", &p.customers, &p.days, &seed,
                   &p.deteriorating_share) != 4)
            fail_msg("RS_TEST_GEN='%s' is not customers,days,seed,share", env);
        p.seed = seed;
    }
    g = generate(reg, &p, &s);
    struct alerts al = {0};
    int64_t start = (int64_t)p.start_day * DAY_MS;
    int64_t end = start + (int64_t)p.days * DAY_MS;
    size_t none = 0, false_alerts = 0, failed = 0;
    double rate;
    int fam_total[32] = {0}, fam_found[32] = {0};
    double leads[32][64];
    const struct rs_gen_stats *st = rs_gen_stats(g);

    (void)state;
    run_engine(reg, &s, end, &al);
    fprintf(stderr,
            "  %zu records; %llu invoices settled, %.1f%% late, %.1f days "
            "late when late; %zu alerts\n",
            s.count, (unsigned long long)st->invoices_settled,
            100.0 * (double)st->invoices_late /
                (double)(st->invoices_settled ? st->invoices_settled : 1),
            (double)st->days_late_sum /
                (double)(st->invoices_late ? st->invoices_late : 1),
            al.count);
    for (size_t i = 0; i < rs_gen_truth_count(g); i++) {
        const struct rs_gen_truth *t = rs_gen_truth_at(g, i);
        int f, found = 0;
        double lead = 0;

        if (strcmp(t->family, "none") == 0) {
            none++;
            for (size_t j = 0; j < al.count; j++) {
                const struct rs_alert *a = &al.a[j];

                if (strcmp(a->customer_id, t->customer_id) == 0 &&
                    a->level_after > a->level_before) {
                    false_alerts++;
                    fprintf(stderr, "    false alert on %s:\n", t->customer_id);
                    print_alert(a, start);
                }
            }
            continue;
        }
        for (f = 0; rs_gen_families[f]; f++)
            if (strcmp(rs_gen_families[f], t->family) == 0)
                break;
        fam_total[f]++;
        for (size_t j = 0; j < al.count && !found; j++) {
            const struct rs_alert *a = &al.a[j];

            if (strcmp(a->customer_id, t->customer_id) == 0 &&
                a->event_time >= t->onset && a->level_after > a->level_before &&
                has_reason(a, t->reasons)) {
                found = 1;
                lead = (double)(a->event_time - t->onset) / DAY_MS;
            }
        }
        if (found) {
            if (fam_found[f] < 64)
                leads[f][fam_found[f]] = lead;
            fam_found[f]++;
            continue;
        }
        fprintf(
            stderr, "    %s (%s, onset day %lld) has no alert naming %s%s\n",
            t->customer_id, t->family, (long long)((t->onset - start) / DAY_MS),
            t->reasons, pending(t->family) ? " (pending detector)" : "");
        for (size_t j = 0; j < al.count; j++)
            if (strcmp(al.a[j].customer_id, t->customer_id) == 0)
                print_alert(&al.a[j], start);
        if (!pending(t->family))
            failed++;
    }
    fprintf(stderr, "  %-18s %5s %5s %s\n", "family", "cust", "found",
            "median days from onset to the first alert naming it");
    for (int f = 0; rs_gen_families[f]; f++) {
        int n = fam_found[f] < 64 ? fam_found[f] : 64;

        qsort(leads[f], (size_t)n, sizeof(double), cmp_double);
        fprintf(stderr, "  %-18s %5d %5d %.1f\n", rs_gen_families[f],
                fam_total[f], fam_found[f], n ? leads[f][n / 2] : -1.0);
    }
    rate =
        100.0 * (double)false_alerts / ((double)none * (double)p.days / 365.0);
    fprintf(stderr,
            "  %zu alerts on %zu healthy customers: %.2f per 100 customers "
            "per year\n",
            false_alerts, none, rate);
    for (int f = 0; rs_gen_families[f]; f++)
        assert_true(fam_total[f] > 0);
    assert_int_equal(failed, 0);
    assert_true(rate < 2.0);
    free(al.a);
    rs_gen_destroy(g);
    stream_release(&s);
    rs_registry_destroy(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_same_seed_same_bytes),
        cmocka_unit_test(test_gen_records_decode_in_order),
        cmocka_unit_test(test_gen_truth_csv),
        cmocka_unit_test(test_gen_command_writes_reproducible_files),
        cmocka_unit_test(test_gen_engine_finds_planted_and_spares_healthy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
