/* Detector scenarios through the real decoder and engine (scenario.h). */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "riskstream/avro_text.h"
#include "riskstream/config.h"
#include "riskstream/decode.h"
#include "riskstream/encode.h"
#include "riskstream/engine.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"
#include "riskstream/score.h"
#include "riskstream/store.h"
#include "support.h"

static const char *const record_names[RS_EVENT_KINDS] = {
    "io.riskstream.Invoice", "io.riskstream.Payment",
    "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};

/* The memory store with its timer reads counted (rs_scn_timer_reads). */
struct counting_store {
    struct rs_store *inner;
    size_t timer_reads;
};

static enum rs_store_result cs_open_task(void *self, int task,
                                         struct rs_task_meta *meta,
                                         char *errstr, size_t errstr_size)
{
    struct counting_store *cs = self;

    return rs_store_open_task(cs->inner, task, meta, errstr, errstr_size);
}

static int cs_load(void *self, int task, const char *customer,
                   struct rs_buf *packed, char *errstr, size_t errstr_size)
{
    struct counting_store *cs = self;

    return rs_store_load(cs->inner, task, customer, packed, errstr,
                         errstr_size);
}

static int cs_load_many(void *self, int task, const char *const *ids,
                        size_t n, rs_store_loaded_cb cb, void *opaque,
                        char *errstr, size_t errstr_size)
{
    struct counting_store *cs = self;

    return rs_store_load_many(cs->inner, task, ids, n, cb, opaque, errstr,
                              errstr_size);
}

static long cs_timers(void *self, int task, int64_t from, int64_t to,
                      long max, rs_store_timer_cb cb, void *opaque,
                      char *errstr, size_t errstr_size)
{
    struct counting_store *cs = self;

    cs->timer_reads++;
    return rs_store_timers(cs->inner, task, from, to, max, cb, opaque, errstr,
                           errstr_size);
}

static enum rs_store_result cs_flush(void *self, int task,
                                     const struct rs_flush *f, char *errstr,
                                     size_t errstr_size)
{
    struct counting_store *cs = self;

    return rs_store_flush(cs->inner, task, f, errstr, errstr_size);
}

static void cs_destroy(void *self)
{
    struct counting_store *cs = self;

    rs_store_destroy(cs->inner);
    free(cs);
}

static const struct rs_store_ops counting_ops = {
    .name = "memory (counted)",
    .open_task = cs_open_task,
    .load = cs_load,
    .load_many = cs_load_many,
    .timers = cs_timers,
    .flush = cs_flush,
    .destroy = cs_destroy,
};

struct rs_scn {
    struct rs_config *conf;
    struct rs_registry *reg;
    struct rs_decoder *dec;
    struct rs_store *store;
    struct counting_store *counted; /* store's self */
    struct rs_engine_params params;
    struct rs_task *task;
    int64_t offsets[RS_EVENT_KINDS];
    struct rs_alert *alerts;
    size_t alert_count;
    size_t alert_cap;
    /* Group relays the engine made, applied after the current call as the
     * bureau topic would deliver them. */
    struct relay {
        char customer[RS_ID_MAX];
        uint8_t *value;
        size_t len;
    } *relays;
    size_t relay_count;
    size_t relay_cap;
    size_t relays_applied;
    struct rs_event last; /* the last event rs_scn_event() applied */
};

static void on_relay(void *opaque, const char *customer, const void *value,
                     size_t len, int64_t event_time)
{
    struct rs_scn *s = opaque;
    struct relay *r;

    (void)event_time;
    rs_grow((void **)&s->relays, &s->relay_cap, s->relay_count + 1,
            sizeof(*s->relays));
    r = &s->relays[s->relay_count++];
    snprintf(r->customer, sizeof(r->customer), "%s", customer);
    r->value = rs_malloc(len);
    memcpy(r->value, value, len);
    r->len = len;
}

/* Applies queued relays (and those they cause) through the real decoder. */
static void apply_relays(struct rs_scn *s)
{
    struct rs_event *ev = rs_calloc(1, sizeof(*ev));
    enum rs_error_class ec;
    char why[512];

    for (size_t i = 0; i < s->relay_count; i++) {
        struct relay r = s->relays[i];

        if (rs_decode(s->dec, RS_EVENT_BUREAU, r.customer, strlen(r.customer),
                      r.value, r.len, ev, &ec, why,
                      sizeof(why)) != RS_DECODE_OK)
            fail_msg("a group relay does not decode (%s): %s",
                     rs_error_class_name(ec), why);
        ev->partition = 0;
        ev->offset = s->offsets[RS_EVENT_BUREAU]++;
        if (rs_task_apply(s->task, ev, why, sizeof(why)) != RS_APPLY_OK)
            fail_msg("engine refused a group relay: %s", why);
        rs_task_done(s->task, RS_EVENT_BUREAU, ev->offset);
        free(s->relays[i].value); /* r.value: rs_grow may move relays */
        s->relays[i].value = NULL;
        s->relays_applied++;
    }
    s->relay_count = 0;
    free(ev);
}

size_t rs_scn_relays(const struct rs_scn *s)
{
    return s->relays_applied;
}

static void on_alert(void *opaque, const struct rs_alert *a)
{
    struct rs_scn *s = opaque;

    rs_grow((void **)&s->alerts, &s->alert_cap, s->alert_count + 1,
            sizeof(*s->alerts));
    s->alerts[s->alert_count++] = *a;
}

/* Opens task 0 of the store (a new epoch) and starts the engine on it. */
static void open_task(struct rs_scn *s)
{
    struct rs_task_meta meta;
    char errstr[512];

    memset(&meta, 0, sizeof(meta));
    if (rs_store_open_task(s->store, 0, &meta, errstr, sizeof(errstr)) !=
        RS_STORE_OK)
        fail_msg("%s", errstr);
    s->task = rs_task_new(&s->params, s->store, 0, &meta);
    rs_store_meta_release(&meta);
}

struct rs_scn *rs_scn_new(const char *config)
{
    struct rs_scn *s = rs_calloc(1, sizeof(*s));
    char errstr[512];

    s->conf = rs_config_new();
    if (config) {
        char *copy = rs_strdup(config), *save = NULL;

        for (char *line = strtok_r(copy, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char *eq = strchr(line, '='), *k = line, *v, *e;

            if (!eq)
                fail_msg("scenario config line '%s' is not key = value", line);
            *eq = '\0';
            v = eq + 1;
            while (*k == ' ')
                k++;
            for (e = eq - 1; e > k && *e == ' '; e--)
                *e = '\0';
            while (*v == ' ')
                v++;
            if (rs_config_set(s->conf, k, v, errstr, sizeof(errstr)))
                fail_msg("%s", errstr);
        }
        free(copy);
    }
    s->reg = rs_registry_load(rs_test_path("schemas"), errstr, sizeof(errstr));
    if (!s->reg)
        fail_msg("%s", errstr);
    s->dec = rs_decoder_new(s->reg, 65536, errstr, sizeof(errstr));
    if (!s->dec)
        fail_msg("%s", errstr);
    s->counted = rs_calloc(1, sizeof(*s->counted));
    s->counted->inner = rs_store_memory_new();
    s->store = rs_calloc(1, sizeof(*s->store));
    s->store->ops = &counting_ops;
    s->store->self = s->counted;
    rs_engine_params_from_config(&s->params, s->conf);
    {
        struct rs_encode_ids ids;

        if (rs_encode_schema_ids(s->reg, &ids, errstr, sizeof(errstr)))
            fail_msg("%s", errstr);
        s->params.alert_schema_id = ids.alert;
        s->params.deadletter_schema_id = ids.deadletter;
        s->params.relay_schema_id = ids.relay;
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        s->params.topics[k] = record_names[k];
    s->params.on_alert = on_alert;
    s->params.on_relay = on_relay;
    s->params.opaque = s;
    open_task(s);
    return s;
}

void rs_scn_restart(struct rs_scn *s)
{
    char errstr[512];

    if (rs_task_flush(s->task, errstr, sizeof(errstr)) != RS_STORE_OK)
        fail_msg("%s", errstr);
    rs_task_destroy(s->task);
    open_task(s);
}

struct rs_task *rs_scn_task(struct rs_scn *s)
{
    return s->task;
}

struct rs_store *rs_scn_store(struct rs_scn *s)
{
    return s->store;
}

const struct rs_event *rs_scn_last_event(const struct rs_scn *s)
{
    return &s->last;
}

size_t rs_scn_timer_reads(const struct rs_scn *s)
{
    return s->counted->timer_reads;
}

void rs_scn_destroy(struct rs_scn *s)
{
    rs_task_destroy(s->task);
    rs_store_destroy(s->store);
    rs_decoder_destroy(s->dec);
    rs_registry_destroy(s->reg);
    rs_config_destroy(s->conf);
    free(s->alerts);
    free(s->relays);
    free(s);
}

int rs_scn_event(struct rs_scn *s, enum rs_event_kind kind,
                 const char *fields)
{
    const struct rs_schema_entry *e =
        rs_registry_by_name(s->reg, record_names[kind]);
    avro_value_iface_t *iface = avro_generic_class_from_schema(e->schema);
    avro_value_t rec, f;
    struct rs_buf buf;
    uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];
    struct rs_event *ev = rs_calloc(1, sizeof(*ev));
    enum rs_error_class ec;
    char why[512];
    const char *cust;
    size_t cust_len;
    int late = 0;

    avro_generic_value_new(iface, &rec);
    if (rs_avro_fill(&rec, fields, why, sizeof(why)))
        fail_msg("%s: %s", fields, why);
    avro_value_get_by_name(&rec, "customer_id", &f, NULL);
    avro_value_get_string(&f, &cust, &cust_len);
    rs_buf_init(&buf, 0);
    rs_buf_append(&buf, hdr, rs_frame_write_confluent(hdr, e->id));
    if (rs_avro_encode(&rec, &buf))
        fail_msg("cannot encode %s", fields);
    if (rs_decode(s->dec, kind, cust, cust_len - 1 + (cust[cust_len - 1] != 0),
                  buf.data, buf.len, ev, &ec, why,
                  sizeof(why)) != RS_DECODE_OK)
        fail_msg("scenario event does not decode (%s): %s: %s",
                 rs_error_class_name(ec), why, fields);
    ev->partition = 0;
    ev->offset = s->offsets[kind]++;
    switch (rs_task_apply(s->task, ev, why, sizeof(why))) {
    case RS_APPLY_OK:
        break;
    case RS_APPLY_LATE:
        late = 1;
        break;
    case RS_APPLY_ERROR:
        fail_msg("engine: %s", why);
    }
    rs_task_done(s->task, kind, ev->offset);
    s->last = *ev;
    apply_relays(s);
    free(ev);
    rs_buf_release(&buf);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
    return late;
}

void rs_scn_advance(struct rs_scn *s, const char *iso)
{
    int64_t ms;
    char errstr[256];

    if (rs_avro_parse_timestamp(iso, &ms))
        fail_msg("'%s' is not an ISO instant like 2026-01-05T09:00:00Z", iso);
    if (rs_task_advance(s->task, ms, errstr, sizeof(errstr)))
        fail_msg("%s", errstr);
    apply_relays(s);
}

size_t rs_scn_alert_count(const struct rs_scn *s)
{
    return s->alert_count;
}

const struct rs_alert *rs_scn_alert(const struct rs_scn *s, size_t i)
{
    return i < s->alert_count ? &s->alerts[i] : NULL;
}

const struct rs_alert *rs_scn_last_alert(const struct rs_scn *s,
                                         const char *customer)
{
    for (size_t i = s->alert_count; i > 0; i--)
        if (strcmp(s->alerts[i - 1].customer_id, customer) == 0)
            return &s->alerts[i - 1];
    return NULL;
}

int rs_scn_findings(struct rs_scn *s, const char *customer,
                    struct rs_finding *out, int max, int32_t *score)
{
    int n = rs_task_findings(s->task, customer, out, max, score);

    if (n < 0)
        fail_msg("no customer '%s'", customer);
    return n;
}

int rs_scn_finding(struct rs_scn *s, const char *customer, const char *code,
                   struct rs_finding *out)
{
    struct rs_finding f[RS_FINDINGS_MAX];
    int32_t score;
    int n = rs_scn_findings(s, customer, f, RS_FINDINGS_MAX, &score);

    for (int i = 0; i < n; i++) {
        if (strcmp(f[i].reason.code, code) == 0) {
            *out = f[i];
            return 1;
        }
    }
    return 0;
}

const struct rs_customer *rs_scn_customer(struct rs_scn *s,
                                          const char *customer)
{
    return rs_task_customer(s->task, customer);
}

int rs_scn_level(struct rs_scn *s, const char *customer, int32_t *score)
{
    const struct rs_customer *c = rs_task_customer(s->task, customer);

    if (!c)
        fail_msg("no customer '%s'", customer);
    if (score)
        *score = c->score;
    return c->level;
}
