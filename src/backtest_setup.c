/* Backtest setup (backtest.h): the partitioner, the recording store, the
 * event file read into per-(task, topic) streams, and the run's objects.
 * The run itself is in backtest.c. */
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

/* The recording store. */

static enum rs_store_result rec_open_task(void *self, int task,
                                          struct rs_task_meta *meta,
                                          char *errstr, size_t errstr_size)
{
    struct recording_store *r = self;

    return rs_store_open_task(r->inner, task, meta, errstr, errstr_size);
}

static int rec_load(void *self, int task, const char *customer,
                    struct rs_buf *packed, char *errstr, size_t errstr_size)
{
    struct recording_store *r = self;

    return rs_store_load(r->inner, task, customer, packed, errstr,
                         errstr_size);
}

static long rec_timers(void *self, int task, int64_t from, int64_t to,
                       long max, rs_store_timer_cb cb, void *opaque,
                       char *errstr, size_t errstr_size)
{
    struct recording_store *r = self;

    return rs_store_timers(r->inner, task, from, to, max, cb, opaque, errstr,
                           errstr_size);
}

static enum rs_store_result rec_flush(void *self, int task,
                                      const struct rs_flush *f, char *errstr,
                                      size_t errstr_size)
{
    struct recording_store *r = self;
    enum rs_store_result res = rs_store_flush(r->inner, task, f, errstr,
                                              errstr_size);

    if (res != RS_STORE_OK)
        return res;
    for (size_t i = 0; i < f->customer_count; i++) {
        if (strncmp(f->customers[i].id, RS_RESERVED_ID_PREFIX,
                    strlen(RS_RESERVED_ID_PREFIX)) == 0)
            continue;
        rs_grow((void **)&r->ids, &r->cap, r->count + 1, sizeof(*r->ids));
        r->ids[r->count++] = rs_strdup(f->customers[i].id);
    }
    return res;
}

static void rec_destroy(void *self)
{
    struct recording_store *r = self;

    for (size_t i = 0; i < r->count; i++)
        free(r->ids[i]);
    free(r->ids);
    rs_store_destroy(r->inner);
    free(r);
}

static const struct rs_store_ops recording_ops = {
    .name = "recording memory",
    .open_task = rec_open_task,
    .load = rec_load,
    .timers = rec_timers,
    .flush = rec_flush,
    .destroy = rec_destroy,
};

/* Reading the file. */

static void stream_add(struct stream *s, const struct rs_evrecord *r)
{
    struct rec *rec;

    rs_grow((void **)&s->v, &s->cap, s->count + 1, sizeof(*s->v));
    rec = &s->v[s->count++];
    rec->data = rs_malloc(r->key_len + r->value_len + 1);
    if (r->key_len)
        memcpy(rec->data, r->key, r->key_len);
    if (r->value_len)
        memcpy(rec->data + r->key_len, r->value, r->value_len);
    rec->key_len = (uint32_t)r->key_len;
    rec->value_len = (uint32_t)r->value_len;
    rec->index = r->index;
}

static int load_file(struct rs_backtest *bt, char *errstr, size_t errstr_size)
{
    struct run *run = bt->internal;
    struct rs_evfile_reader *r = rs_evfile_open(bt->opt.events_path, errstr,
                                                errstr_size);
    struct rs_evrecord rec;
    int rc = -1, more;

    if (!r)
        return -1;
    while ((more = rs_evfile_next(r, &rec, errstr, errstr_size)) == 1) {
        int32_t p;

        if (bt->records >= RS_BACKTEST_RECORDS_MAX) {
            snprintf(errstr, errstr_size, "event file '%s' has more than %d "
                                          "records, the backtest's cap",
                     bt->opt.events_path, RS_BACKTEST_RECORDS_MAX);
            goto out;
        }
        p = rs_kafka_key_partition(bt->partitioner, rec.key, rec.key_len,
                                  bt->partitions);
        stream_add(&run->tasks[p].s[rec.kind], &rec);
        bt->records++;
        bt->records_by_kind[rec.kind]++;
    }
    if (more < 0)
        goto out;
    rc = 0;
out:
    rs_evfile_close(r);
    return rc;
}
/* Setup. */

struct rs_backtest *rs_backtest_new(const struct rs_backtest_options *opt,
                                    char *errstr, size_t errstr_size)
{
    struct rs_backtest *bt = rs_calloc(1, sizeof(*bt));
    struct run *run = rs_calloc(1, sizeof(*run));
    const struct rs_config *conf = opt->conf;
    struct rs_encode_ids ids;
    char why[400];
    struct recording_store *rec;

    bt->opt = *opt;
    bt->internal = run;
    bt->first_time = INT64_MAX;
    bt->last_time = INT64_MIN;
    bt->partitions = opt->partitions > 0 ? opt->partitions
                                         : (int)conf->topic_partitions;
    snprintf(bt->partitioner, sizeof(bt->partitioner), "%s",
             rs_kafka_producer_partitioner(conf));
    rs_buf_init(&run->scratch, 0);
    if (bt->partitions < 1 || bt->partitions > RS_BACKTEST_PARTITIONS_MAX) {
        snprintf(errstr, errstr_size, "partitions %d is out of range (1 to "
                                      "%d)",
                 bt->partitions, RS_BACKTEST_PARTITIONS_MAX);
        goto fail;
    }
    if (rs_kafka_key_partition(bt->partitioner, "", 0, 1) < 0) {
        snprintf(errstr, errstr_size, "unknown partitioner '%s' "
                                      "(kafka.producer.partitioner); the "
                                      "backtest knows murmur2_random, "
                                      "murmur2, consistent_random, "
                                      "consistent, fnv1a_random and fnv1a",
                 bt->partitioner);
        goto fail;
    }
    run->reg = rs_registry_load(conf->schema_dir, errstr, errstr_size);
    if (!run->reg)
        goto fail;
    if (rs_encode_schema_ids(run->reg, &ids, why, sizeof(why))) {
        snprintf(errstr, errstr_size, "schema dir '%s': %s", conf->schema_dir,
                 why);
        goto fail;
    }
    run->dec = rs_decoder_new(run->reg, (size_t)conf->record_max_bytes,
                              errstr, errstr_size);
    if (!run->dec)
        goto fail;

    rec = rs_calloc(1, sizeof(*rec));
    rec->inner = rs_store_memory_new();
    run->rec = rec;
    run->store = rs_calloc(1, sizeof(*run->store));
    run->store->ops = &recording_ops;
    run->store->self = rec;

    /* The engine parameters exactly as the daemon builds them. */
    rs_engine_params_from_config(&run->params, conf);
    run->params.alert_schema_id = ids.alert;
    run->params.deadletter_schema_id = ids.deadletter;
    run->params.relay_schema_id = ids.relay;
    run->params.topics[RS_EVENT_INVOICE] = conf->topic_invoices;
    run->params.topics[RS_EVENT_PAYMENT] = conf->topic_payments;
    run->params.topics[RS_EVENT_BUREAU] = conf->topic_bureau;
    run->params.topics[RS_EVENT_COMM] = conf->topic_communications;
    run->params.on_alert = rs_backtest_on_alert;
    run->params.on_relay = rs_backtest_on_relay;
    run->params.opaque = bt;

    run->tasks = rs_calloc((size_t)bt->partitions, sizeof(*run->tasks));
    for (int i = 0; i < 2; i++)
        run->out_offsets[i] = rs_calloc((size_t)bt->partitions,
                                        sizeof(*run->out_offsets[i]));
    for (int p = 0; p < bt->partitions; p++) {
        struct task *t = &run->tasks[p];
        struct rs_task_meta meta;

        t->id = p;
        memset(&meta, 0, sizeof(meta));
        if (rs_store_open_task(run->store, p, &meta, errstr, errstr_size) !=
            RS_STORE_OK)
            goto fail;
        t->task = rs_task_new(&run->params, run->store, p, &meta);
        rs_store_meta_release(&meta);
        rs_order_init(&t->order, RS_BACKTEST_QUEUE_RECORDS, 0);
    }
    if (load_file(bt, errstr, errstr_size))
        goto fail;
    for (int p = 0; p < bt->partitions; p++)
        for (int k = 0; k < RS_EVENT_KINDS; k++)
            run->tasks[p].fed_offset[k] =
                (int64_t)run->tasks[p].s[k].count;
    return bt;
fail:
    rs_backtest_destroy(bt);
    return NULL;
}

void rs_backtest_destroy(struct rs_backtest *bt)
{
    struct run *run;

    if (!bt)
        return;
    run = bt->internal;
    if (run) {
        for (int p = 0; run->tasks && p < bt->partitions; p++) {
            struct task *t = &run->tasks[p];

            rs_task_destroy(t->task);
            if (t->order.q[0].items)
                rs_order_release(&t->order);
            for (int k = 0; k < RS_EVENT_KINDS; k++) {
                for (size_t i = 0; i < t->s[k].count; i++)
                    free(t->s[k].v[i].data);
                free(t->s[k].v);
            }
            for (size_t i = 0; i < t->heap_count; i++)
                free(t->heap[i]);
            free(t->heap);
            free(t->labels);
        }
        free(run->tasks);
        free(run->out_offsets[0]);
        free(run->out_offsets[1]);
        rs_store_destroy(run->store);
        rs_decoder_destroy(run->dec);
        rs_registry_destroy(run->reg);
        rs_backtest_map_release(&run->customers);
        rs_backtest_map_release(&run->invoices);
        rs_buf_release(&run->scratch);
        free(run);
    }
    free(bt->customers);
    free(bt->invoices);
    free(bt->alerts);
    free(bt->points);
    free(bt->marks);
    free(bt);
}
