/* Backtest: the engine in-process over an event file (backtest.h).
 *
 * The file is read once into per-(task, topic) streams of raw records, in
 * file order, so each record's offset is its position in its stream. Each
 * task has the daemon's orderer; its four queues are refilled from the
 * streams, a stream read to its end counts as "caught up", and so the
 * orderer hands out exactly what the daemon's would with all data in
 * Kafka. Records fed back (rs_backtest_feed) wait in a per-task heap by
 * event time and go before the orderer's next item when earlier.
 *
 * After every step the task is flushed to the memory store, as the daemon
 * does at each commit: the outbox then holds the alert and dead-letter
 * bytes, and the store, wrapped here, tells which customers changed, so
 * their new scores become trajectory points. Flushing more often than the
 * daemon changes nothing the engine decides.
 *
 * The payment bookkeeping (which invoice was paid when) mirrors what an
 * accounts-receivable ledger does and is kept apart from the engine's own
 * state: the backtest must judge the engine, not reuse it. */
#include "riskstream/backtest.h"

#include <avro.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "riskstream/decode.h"
#include "riskstream/encode.h"
#include "riskstream/engine.h"
#include "riskstream/evfile.h"
#include "riskstream/frame.h"
#include "riskstream/kafka.h"
#include "riskstream/mem.h"
#include "riskstream/order.h"
#include "riskstream/registry.h"
#include "riskstream/score.h"
#include "riskstream/store.h"
#include "backtest_internal.h"

#define DAY_MS 86400000LL
#define NONE RS_BACKTEST_NONE

/* Customers, invoices, alerts. */

static size_t customer_get(struct rs_backtest *bt, const char *id)
{
    struct run *run = bt->internal;
    size_t len = strlen(id);
    size_t i = rs_backtest_map_get(&run->customers, id, len);
    struct rs_backtest_customer *c;

    if (i != NONE)
        return i;
    rs_grow((void **)&bt->customers, &bt->customer_cap, bt->customer_count + 1,
            sizeof(*bt->customers));
    i = bt->customer_count++;
    c = &bt->customers[i];
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->partition = rs_kafka_key_partition(bt->partitioner, id, len,
                                         bt->partitions);
    c->first_invoice = c->last_invoice = c->open_from = NONE;
    rs_backtest_map_put(&run->customers, id, len, i);
    return i;
}

size_t rs_backtest_customer_index(const struct rs_backtest *bt,
                                  const char *id)
{
    const struct run *run = bt->internal;

    return rs_backtest_map_get(&run->customers, id, strlen(id));
}

/* A group relay goes back in at once, as the bureau topic would deliver
 * it: the receiving task applies it at its event time. */
void rs_backtest_on_relay(void *opaque, const char *customer,
                          const void *value, size_t len, int64_t event_time)
{
    struct rs_backtest *bt = opaque;
    char errstr[RS_MESSAGE_MAX];

    (void)event_time;
    if (rs_backtest_feed(bt, RS_EVENT_BUREAU, customer, strlen(customer),
                         value, len, errstr, sizeof(errstr)))
        bt->unrouted++; /* cannot happen: the engine encoded it */
}

void rs_backtest_on_alert(void *opaque, const struct rs_alert *a)
{
    struct rs_backtest *bt = opaque;
    struct rs_backtest_alert *out;
    size_t c = customer_get(bt, a->customer_id);
    size_t n = 0;

    rs_grow((void **)&bt->alerts, &bt->alert_cap, bt->alert_count + 1,
            sizeof(*bt->alerts));
    out = &bt->alerts[bt->alert_count++];
    memset(out, 0, sizeof(*out));
    out->customer = c;
    out->time = a->event_time;
    out->level_before = (int)a->level_before;
    out->level_after = (int)a->level_after;
    out->score_before = a->score_before;
    out->score_after = a->score_after;
    out->suppressed = a->suppressed_count;
    for (int i = 0; i < a->reason_count; i++) {
        size_t len = strlen(a->reasons[i].code);

        if (n + len + 2 > sizeof(out->codes))
            break;
        if (n)
            out->codes[n++] = '|';
        memcpy(out->codes + n, a->reasons[i].code, len + 1);
        n += len;
    }
    if (a->reason_count)
        snprintf(out->message, sizeof(out->message), "%s",
                 a->reasons[0].message);
    bt->customers[c].alerts++;
}
/* Fed records: a min-heap by (event time, sequence). */

static int fed_before(const struct fed *a, const struct fed *b)
{
    if (a->ev.event_time != b->ev.event_time)
        return a->ev.event_time < b->ev.event_time;
    return a->seq < b->seq;
}

static void heap_push(struct task *t, struct fed *f)
{
    size_t i;

    rs_grow((void **)&t->heap, &t->heap_cap, t->heap_count + 1,
            sizeof(*t->heap));
    i = t->heap_count++;
    t->heap[i] = f;
    while (i && fed_before(t->heap[i], t->heap[(i - 1) / 2])) {
        struct fed *tmp = t->heap[i];

        t->heap[i] = t->heap[(i - 1) / 2];
        t->heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static void heap_pop(struct task *t)
{
    size_t i = 0;

    free(t->heap[0]);
    t->heap[0] = t->heap[--t->heap_count];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        struct fed *tmp;

        if (l < t->heap_count && fed_before(t->heap[l], t->heap[m]))
            m = l;
        if (r < t->heap_count && fed_before(t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            break;
        tmp = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = tmp;
        i = m;
    }
}

int rs_backtest_feed(struct rs_backtest *bt, enum rs_event_kind kind,
                     const void *key, size_t key_len, const void *value,
                     size_t len, char *errstr, size_t errstr_size)
{
    struct run *run = bt->internal;
    int32_t p = rs_kafka_key_partition(bt->partitioner, key, key_len,
                                      bt->partitions);
    struct fed *f = rs_calloc(1, sizeof(*f));
    struct task *t = &run->tasks[p];
    enum rs_error_class ec;
    char why[RS_MESSAGE_MAX];

    if ((unsigned)kind >= RS_EVENT_KINDS ||
        rs_decode(run->dec, kind, key, key_len, value, len, &f->ev, &ec, why,
                  sizeof(why)) != RS_DECODE_OK) {
        snprintf(errstr, errstr_size, "fed record for key '%.*s' does not "
                                      "decode: %s",
                 (int)(key_len > 64 ? 64 : key_len), (const char *)key,
                 (unsigned)kind >= RS_EVENT_KINDS ? "unknown kind" : why);
        free(f);
        return -1;
    }
    f->ev.partition = p;
    f->ev.offset = t->fed_offset[kind]++;
    f->seq = run->fed_seq++;
    heap_push(t, f);
    bt->fed++;
    return 0;
}

/* The run. */

/* Moves records of the task's streams into its orderer while there is
 * room; a stream at its end is caught up. */
static void refill(struct rs_backtest *bt, struct task *t)
{
    struct run *run = bt->internal;

    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct stream *s = &t->s[k];
        struct rs_order_item *it;

        while (s->next < s->count &&
               (it = rs_order_slot(&t->order, (enum rs_event_kind)k))) {
            struct rec *r = &s->v[s->next];

            rs_order_item_reset(it, r);
            if (rs_decode(run->dec, (enum rs_event_kind)k, r->data, r->key_len,
                          r->data + r->key_len, r->value_len, &it->ev,
                          &it->error_class, it->why,
                          sizeof(it->why)) != RS_DECODE_OK)
                it->poison = 1;
            it->ev.partition = t->id;
            it->ev.offset = (int64_t)s->next;
            rs_order_commit(&t->order, (enum rs_event_kind)k);
            s->next++;
        }
        rs_order_caught_up(&t->order, (enum rs_event_kind)k,
                           s->next == s->count, 0);
    }
}

static void deadletter(struct rs_backtest *bt, struct task *t,
                       enum rs_event_kind kind, int64_t offset,
                       const struct rec *r, enum rs_error_class ec,
                       const char *why)
{
    struct run *run = bt->internal;
    struct rs_deadletter dl;
    struct timeval tv;

    gettimeofday(&tv, NULL);
    memset(&dl, 0, sizeof(dl));
    dl.topic = run->params.topics[kind];
    dl.partition = t->id;
    dl.offset = offset;
    dl.key = r ? (const char *)r->data : NULL;
    dl.key_len = r ? r->key_len : 0;
    dl.value = r ? r->data + r->key_len : NULL;
    dl.value_len = r ? r->value_len : 0;
    dl.error_class = ec;
    snprintf(dl.message, sizeof(dl.message), "%s", why);
    /* As the daemon: the wall clock, not event time. */
    dl.dead_lettered_at = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    rs_task_deadletter(t->task, &dl);
    bt->deadletters[ec]++;
    bt->deadletter_count++;
    if (bt->kept_count < RS_BACKTEST_DEADLETTERS_KEPT) {
        struct rs_backtest_deadletter *d = &bt->kept[bt->kept_count++];

        d->index = r ? r->index : 0;
        d->kind = kind;
        d->partition = t->id;
        d->offset = offset;
        snprintf(d->key, sizeof(d->key), "%.*s",
                 r ? (int)(r->key_len < 63 ? r->key_len : 63) : 0,
                 r ? (const char *)r->data : "");
        d->error_class = ec;
        snprintf(d->why, sizeof(d->why), "%s", why);
    }
}

/* A JSON string of len bytes. */
static void json_string(FILE *out, const void *data, size_t len)
{
    const unsigned char *p = data;

    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '"' || p[i] == '\\')
            fprintf(out, "\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] >= 0x7f)
            fprintf(out, "\\u%04x", p[i]);
        else
            fputc(p[i], out);
    }
    fputc('"', out);
}

/* Writes an outbox record as `riskstream tail` prints a Kafka record. */
static void write_json(struct rs_backtest *bt, FILE *out, const char *topic,
                       int32_t partition, uint64_t offset,
                       const struct rs_outbox_entry *e)
{
    struct run *run = bt->internal;
    struct rs_frame fr;
    const struct rs_schema_entry *se;
    avro_value_iface_t *iface;
    avro_value_t v;
    avro_reader_t r;
    char *json = NULL;

    if (rs_frame_parse(e->value, e->value_len, &fr) != RS_FRAME_OK ||
        fr.kind != RS_FRAME_CONFLUENT ||
        !(se = rs_registry_by_id(run->reg, fr.schema_id)))
        return;
    iface = avro_generic_class_from_schema(se->schema);
    avro_generic_value_new(iface, &v);
    r = avro_reader_memory((const char *)fr.body, (int64_t)fr.body_len);
    if (avro_value_read(r, &v) == 0 && avro_value_to_json(&v, 1, &json) == 0) {
        fputs("{\"topic\":", out);
        json_string(out, topic, strlen(topic));
        fprintf(out, ",\"partition\":%d,\"offset\":%" PRIu64 ",\"key\":",
                (int)partition, offset);
        if (e->key)
            json_string(out, e->key, e->key_len);
        else
            fputs("null", out);
        fprintf(out, ",\"value\":%s}\n", json);
        free(json);
    }
    avro_reader_free(r);
    avro_value_decref(&v);
    avro_value_iface_decref(iface);
}

/* Flushes the task as a commit would and takes what it produced: alert
 * and dead-letter records, and the new scores of the customers written. */
static int flush_task(struct rs_backtest *bt, struct task *t, char *errstr,
                      size_t errstr_size)
{
    struct run *run = bt->internal;
    struct recording_store *rec = run->rec;
    const struct rs_outbox_entry *e;
    size_t n;

    if (rs_task_flush(t->task, errstr, errstr_size) != RS_STORE_OK)
        return -1;
    e = rs_task_inflight(t->task, &n);
    for (size_t i = 0; i < n; i++) {
        const char *topic;
        int32_t p = rs_kafka_key_partition(bt->partitioner, e[i].key,
                                          e[i].key_len, bt->partitions);
        FILE *out;

        switch (e[i].topic) {
        case RS_OUTBOX_ALERTS:
            topic = bt->opt.conf->topic_alerts;
            out = bt->opt.alerts_out;
            break;
        case RS_OUTBOX_DEADLETTER:
            topic = bt->opt.conf->topic_deadletter;
            out = bt->opt.deadletters_out;
            break;
        case RS_OUTBOX_GROUP:
            continue; /* fed back as they were made (on_relay) */
        default:
            bt->unrouted++;
            continue;
        }
        if (out)
            write_json(bt, out, topic, p,
                       run->out_offsets[e[i].topic][p]++, &e[i]);
    }
    rs_task_inflight_done(t->task);
    for (size_t i = 0; i < rec->count; i++) {
        const struct rs_customer *c = rs_task_customer(t->task, rec->ids[i]);
        size_t ci = c ? rs_backtest_customer_index(bt, rec->ids[i]) : NONE;
        struct rs_backtest_customer *bc;

        free(rec->ids[i]);
        if (ci == NONE)
            continue;
        bc = &bt->customers[ci];
        if (c->score == bc->score && c->level == bc->level)
            continue;
        bc->score = c->score;
        bc->level = c->level;
        if (c->score > bc->max_score)
            bc->max_score = c->score;
        rs_grow((void **)&bt->points, &bt->point_cap, bt->point_count + 1,
                sizeof(*bt->points));
        bt->points[bt->point_count++] = (struct rs_backtest_point){
            ci, c->evaluated_at, c->score, c->level};
    }
    rec->count = 0;
    return 0;
}

/* The bit of a reason code in bt->reason_codes, added when new; -1 when
 * the table is full. */
static int reason_bit(struct rs_backtest *bt, const char *code)
{
    size_t i;

    for (i = 0; i < bt->reason_code_count; i++)
        if (strcmp(bt->reason_codes[i], code) == 0)
            return (int)i;
    if (i == RS_BACKTEST_REASONS_MAX)
        return -1;
    snprintf(bt->reason_codes[i], sizeof(bt->reason_codes[i]), "%s", code);
    bt->reason_code_count++;
    return (int)i;
}

/* The customer's score now; for a customer the engine has not seen yet,
 * a newcomer's (see rs_task_findings_newcomer). *reasons: the codes of
 * the findings that count in it (above 0 after the segment's weight, as
 * the score adds them up). */
static int32_t score_now(struct rs_backtest *bt, struct task *t,
                         const char *customer, struct rs_reason_bits *reasons)
{
    struct run *run = bt->internal;
    struct rs_finding f[RS_FINDINGS_MAX];
    const struct rs_customer *c;
    const struct rs_segment_profile *prof;
    int32_t score = 0;
    int n;

    memset(reasons, 0, sizeof(*reasons));
    n = rs_task_findings(t->task, customer, f, RS_FINDINGS_MAX, &score);
    if (n < 0)
        n = rs_task_findings_newcomer(t->task, customer, f, RS_FINDINGS_MAX,
                                      &score);
    if (n < 0)
        return 0;
    c = rs_task_customer(t->task, customer);
    prof = rs_scoring_profile(&run->params.scoring, c ? c->segment : NULL);
    for (int i = 0; i < n; i++) {
        int bit;

        if ((int64_t)f[i].score * prof->weight[f[i].detector_id] / 100 <= 0)
            continue;
        bit = reason_bit(bt, f[i].reason.code);
        if (bit < 0)
            bt->reasons_untold++;
        else
            reasons->bits[bit / 64] |= 1ULL << (bit % 64);
    }
    return score;
}

/* Reads the score of the task's next label at its label time. */
static int score_label(struct rs_backtest *bt, struct task *t, char *errstr,
                       size_t errstr_size)
{
    const struct rs_quality_label *l =
        &bt->opt.labels[t->labels[t->label_next++]];
    struct rs_backtest_customer *c;

    if (rs_task_advance(t->task, l->label_time, errstr, errstr_size))
        return -1;
    c = &bt->customers[customer_get(bt, l->customer_id)];
    c->has_label = 1;
    c->label = l->label;
    c->label_time = l->label_time;
    c->label_score = score_now(bt, t, l->customer_id, &c->label_reasons);
    return 0;
}

/* Brings the task's stream time forward, a day at a time up to days_upto,
 * reading the labels due before labels_before on the way, and flushes
 * after each step: a customer whose score a timer changed gets its own
 * trajectory point then, rather than one merged with its next event's.
 * The engine decides exactly as if the next event had fired the timers:
 * they fire in the same (time, customer) order, each evaluated at its
 * own time, and stream time never passes the next event's time. */
static int catch_up(struct rs_backtest *bt, struct task *t, int64_t days_upto,
                    int64_t labels_before, char *errstr, size_t errstr_size)
{
    for (;;) {
        int64_t st = rs_task_stream_time(t->task);
        int64_t day = INT64_MAX, label = INT64_MAX;

        if (st != INT64_MIN && st >= 0 && st < days_upto &&
            (st / DAY_MS + 1) * DAY_MS <= days_upto)
            day = (st / DAY_MS + 1) * DAY_MS;
        if (t->label_next < t->label_count &&
            bt->opt.labels[t->labels[t->label_next]].label_time <
                labels_before)
            label = bt->opt.labels[t->labels[t->label_next]].label_time;
        if (day == INT64_MAX && label == INT64_MAX)
            return 0;
        if (label <= day) {
            if (score_label(bt, t, errstr, errstr_size))
                return -1;
        } else if (rs_task_advance(t->task, day, errstr, errstr_size)) {
            return -1;
        }
        if (flush_task(bt, t, errstr, errstr_size))
            return -1;
    }
}

static int apply(struct rs_backtest *bt, struct task *t,
                 const struct rs_event *ev, const struct rec *r,
                 char *errstr, size_t errstr_size)
{
    struct run *run = bt->internal;
    size_t ci;
    int32_t score = 0;
    struct rs_reason_bits reasons = {{0}};
    char why[RS_MESSAGE_MAX];
    struct rs_backtest_mark *m;

    ci = customer_get(bt, ev->customer_id);
    if (ev->kind == RS_EVENT_INVOICE && ev->type == RS_INVOICE_ISSUED) {
        /* The score held before the invoice: timers up to its time fire
         * first, exactly as rs_task_apply would fire them. */
        if (rs_task_advance(t->task, ev->event_time, errstr, errstr_size))
            return -1;
        score = score_now(bt, t, ev->customer_id, &reasons);
    }
    switch (rs_task_apply(t->task, ev, why, sizeof(why))) {
    case RS_APPLY_OK:
        break;
    case RS_APPLY_LATE:
        deadletter(bt, t, ev->kind, ev->offset, r, RS_ERROR_LATE, why);
        return 0;
    case RS_APPLY_ERROR:
        snprintf(errstr, errstr_size, "task %d: %s", t->id, why);
        return -1;
    }
    bt->events_applied++;
    if (bt->customers[ci].events++ == 0)
        bt->customers_with_events++;
    if (ev->event_time < bt->first_time)
        bt->first_time = ev->event_time;
    if (ev->event_time > bt->last_time)
        bt->last_time = ev->event_time;
    rs_grow((void **)&bt->marks, &bt->mark_cap, bt->mark_count + 1,
            sizeof(*bt->marks));
    m = &bt->marks[bt->mark_count++];
    m->customer = ci;
    m->time = ev->event_time;
    m->kind = (uint8_t)ev->kind;
    m->type = (uint8_t)ev->type;
    m->amount = ev->kind == RS_EVENT_INVOICE   ? ev->u.inv.amount
                : ev->kind == RS_EVENT_PAYMENT ? ev->u.pay.amount
                                               : 0;
    if (ev->kind == RS_EVENT_INVOICE)
        rs_backtest_book_invoice(bt, &run->invoices, ci, ev, score,
                                 &reasons);
    else if (ev->kind == RS_EVENT_PAYMENT)
        rs_backtest_book_payment(bt, &run->invoices, ci, ev);
    return 0;
}

/* The task's next item: from the orderer or the fed heap. Returns 0 when
 * the task has nothing left, else 1 with *time (INT64_MIN for a record
 * that did not decode: it goes at once). */
static int peek(struct rs_backtest *bt, struct task *t,
                struct rs_order_item **item, enum rs_event_kind *kind,
                int64_t *time)
{
    refill(bt, t);
    *item = rs_order_next(&t->order, 0, kind);
    if (*item && (*item)->poison) {
        *time = INT64_MIN;
        return 1;
    }
    if (t->heap_count &&
        (!*item || t->heap[0]->ev.event_time < (*item)->ev.event_time)) {
        *item = NULL;
        *time = t->heap[0]->ev.event_time;
        return 1;
    }
    if (!*item)
        return 0;
    *time = (*item)->ev.event_time;
    return 1;
}

static int step(struct rs_backtest *bt, struct task *t,
                struct rs_order_item *it, enum rs_event_kind kind,
                int64_t time, char *errstr, size_t errstr_size)
{
    if (time != INT64_MIN && catch_up(bt, t, time, time, errstr, errstr_size))
        return -1;
    if (!it) {
        struct fed *f = t->heap[0];

        if (apply(bt, t, &f->ev, NULL, errstr, errstr_size))
            return -1;
        rs_task_done(t->task, f->ev.kind, f->ev.offset);
        heap_pop(t);
    } else {
        const struct rec *r = it->msg;

        if (it->poison)
            deadletter(bt, t, kind, it->ev.offset, r, it->error_class,
                       it->why);
        else if (apply(bt, t, &it->ev, r, errstr, errstr_size))
            return -1;
        rs_task_done(t->task, kind, it->ev.offset);
        rs_order_pop(&t->order, kind);
    }
    return flush_task(bt, t, errstr, errstr_size);
}

static int cmp_label_time(const void *x, const void *y, void *labels)
{
    const struct rs_quality_label *l = labels;
    int64_t a = l[*(const size_t *)x].label_time;
    int64_t b = l[*(const size_t *)y].label_time;

    if (a != b)
        return a < b ? -1 : 1;
    return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

/* Sorts label indexes by label time, then index (qsort has no context
 * argument in C11, hence a Shell sort). */
static void sort_labels(size_t *v, size_t n,
                        const struct rs_quality_label *labels)
{
    for (size_t gap = n / 2; gap > 0; gap /= 2) {
        for (size_t i = gap; i < n; i++) {
            size_t x = v[i], j = i;

            while (j >= gap &&
                   cmp_label_time(&v[j - gap], &x, (void *)(uintptr_t)labels) >
                       0) {
                v[j] = v[j - gap];
                j -= gap;
            }
            v[j] = x;
        }
    }
}

static void assign_labels(struct rs_backtest *bt)
{
    struct run *run = bt->internal;

    for (size_t i = 0; i < bt->opt.label_count; i++) {
        const char *id = bt->opt.labels[i].customer_id;
        struct task *t = &run->tasks[rs_kafka_key_partition(
            bt->partitioner, id, strlen(id), bt->partitions)];

        t->labels = rs_realloc(t->labels, (t->label_count + 1) *
                                              sizeof(*t->labels));
        t->labels[t->label_count++] = i;
    }
    for (int p = 0; p < bt->partitions; p++)
        sort_labels(run->tasks[p].labels, run->tasks[p].label_count,
                    bt->opt.labels);
}

int rs_backtest_run(struct rs_backtest *bt, char *errstr, size_t errstr_size)
{
    struct run *run = bt->internal;
    int P = bt->partitions;
    int *has = rs_calloc((size_t)P, sizeof(*has));
    int64_t *at = rs_calloc((size_t)P, sizeof(*at));
    struct rs_order_item **items = rs_calloc((size_t)P, sizeof(*items));
    enum rs_event_kind *kinds = rs_calloc((size_t)P, sizeof(*kinds));
    int64_t until;
    int rc = -1;

    assign_labels(bt);
    for (int p = 0; p < P; p++)
        has[p] = peek(bt, &run->tasks[p], &items[p], &kinds[p], &at[p]);
    for (;;) {
        int best = -1;
        uint64_t fed = bt->fed;

        for (int p = 0; p < P; p++)
            if (has[p] && (best < 0 || at[p] < at[best]))
                best = p;
        if (best < 0)
            break;
        if (step(bt, &run->tasks[best], items[best], kinds[best], at[best],
                 errstr, errstr_size))
            goto out;
        if (bt->fed != fed) {
            /* Fed records may belong to any task. */
            for (int p = 0; p < P; p++)
                has[p] = peek(bt, &run->tasks[p], &items[p], &kinds[p],
                              &at[p]);
        } else {
            has[best] = peek(bt, &run->tasks[best], &items[best],
                             &kinds[best], &at[best]);
        }
    }
    until = bt->opt.until == RS_BACKTEST_UNTIL_DATA_END ? bt->last_time
                                                        : bt->opt.until;
    for (int p = 0; p < P; p++) {
        struct task *t = &run->tasks[p];

        int64_t upto = until == RS_BACKTEST_UNTIL_NONE ? INT64_MIN : until;

        if (catch_up(bt, t, upto, INT64_MAX, errstr, errstr_size))
            goto out;
        if (upto != INT64_MIN &&
            rs_task_advance(t->task, upto, errstr, errstr_size))
            goto out;
        if (flush_task(bt, t, errstr, errstr_size))
            goto out;
        bt->timers_fired += rs_task_stats(t->task)->timers_fired;
    }
    rs_backtest_settle(bt);
    rc = 0;
out:
    free(has);
    free(at);
    free(items);
    free(kinds);
    return rc;
}
