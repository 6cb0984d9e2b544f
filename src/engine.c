/* One task's engine: timers, state updates, detectors, alerts, flushes.
 *
 * Determinism: given the same events in the same order, a task makes the
 * same alerts byte for byte. Timers fire in (time, customer) order before
 * the first event later than them; alert ids are built from the customer,
 * what triggered the change (an input offset or a timer's time) and the
 * levels; nothing reads the wall clock. */
#include "riskstream/engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/actions.h"
#include "riskstream/cache.h"
#include "riskstream/cluster.h"
#include "riskstream/config.h"
#include "riskstream/customer.h"
#include "riskstream/encode.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"
#include "riskstream/timers.h"

#define TIMER_PREFETCH_MAX 4096 /* due timers' customers loaded at once */
#define TIMER_HORIZON_MS (7 * RS_DAY_MS)
#define TIMER_LOAD_MAX 100000
#define PACK_AHEAD 8 /* customers a flush's packing loads ahead */
#define SEG_MEMO 4 /* segment records remembered by name */
/* How far ahead of the stream rs_task_preload_timers() reads at most: a
 * backlog moves weeks of event time a second (the benchmark's, a year in
 * 15 s: three to six weeks between two commits), and the queue holds
 * what was read. */
#define TIMER_PRELOAD_MAX_MS (8 * TIMER_HORIZON_MS)

/* Records for Kafka. Their keys and values lie in data, one buffer (a
 * key and a value allocated for each record were a tenth of an alert's
 * cost); until outbox_seal(), an entry's key and value hold 1 + their
 * offset in data, which moves as it grows (a key of 0 is no key). */
struct outbox {
    struct rs_outbox_entry *v;
    size_t count;
    size_t cap;
    struct rs_buf data;
};

struct rs_task {
    const struct rs_engine_params *p;
    struct rs_store *store;
    int id;
    uint64_t epoch;
    int64_t stream_time;
    int64_t offsets[RS_EVENT_KINDS];
    int has_flushed;
    int64_t flushed[RS_EVENT_KINDS];
    int64_t flushed_stream_time;
    struct rs_cache cache;
    /* The segment records asked for last, by segment name: read at every
     * evaluation of a member (segment_record). Pinned, so an entry stays
     * in the cache, and valid, as long as the task. */
    struct {
        char name[RS_TEXT_MAX];
        const char *shared; /* the process's copy of name, or NULL */
        struct rs_customer *rec; /* NULL: slot unused */
    } seg_memo[SEG_MEMO];
    unsigned seg_memo_next;
    struct rs_timerq timers;
    int64_t horizon; /* every timer at or before this is in the queue */
    /* The latest timer the store may hold (INT64_MAX: not known): the
     * latest it held when the task was opened, raised by every timer set
     * beyond the horizon since. Past it, the store has nothing to add and
     * the horizon moves on without asking it. */
    int64_t stored_until;
    /* The stream time at the last rs_task_preload_timers() (INT64_MIN:
     * none yet): how far the stream moves between two commits. */
    int64_t preload_from;
    /* Timers set beyond the horizon. The queue holds only what is due
     * within it, a week ahead of the stream (a queue of every customer's
     * timer was 32 bytes a customer): the others are read back from the
     * store as the horizon reaches them. Until their flush has landed,
     * the store does not have them yet, so they are kept here: later,
     * those set since the last flush began; later_inflight, those of the
     * flush under way. load_timers() pushes those the horizon passes. */
    struct rs_timers later;
    struct rs_timers later_inflight;
    struct outbox pending;
    struct outbox inflight;
    struct rs_buf scratch;
    /* The flush begun and not ended (rs_task_flush_begin): what it writes,
     * owned here so that this thread may go on meanwhile. */
    struct rs_flush flush;
    struct rs_flush_customer *flush_customers;
    size_t flush_cap;
    /* The chunks of one flush; data is an offset into flush_packed until
     * all is packed (the buffer moves as it grows). */
    struct rs_flush_chunk *flush_chunks;
    size_t flush_chunks_cap;
    struct rs_buf flush_packed;
    struct rs_task_stats stats;
    /* Detector bits (1 << id), for scores(): every detector; those run at
     * every evaluation (outside state); those that declare no reads, by
     * the event kinds they take (inputs); those that read each part of
     * the customer's shared state (RS_PART_*, bit by bit). */
    uint32_t all_detectors;
    uint32_t always_detectors;
    uint32_t kind_detectors[RS_EVENT_KINDS];
    uint32_t part_readers[RS_PART_COUNT];
    /* The detectors whose observe() an event of each kind concerns (those
     * with no declared inputs, and those that declare the kind), in
     * registry order, NULL-terminated: an observe() of another kind's
     * event changes nothing (test_det_timers checks it), and calling the
     * two dozen for every event was a few percent of the loop. */
    const struct rs_detector *observers[RS_EVENT_KINDS][RS_DETECTORS_MAX + 1];
    const struct rs_detector *by_id[RS_DETECTORS_MAX];
    /* scores()'s findings: quiet from the start and kept so, as
     * rs_finding_start() keeps it and nothing else writes it (setting it
     * before each detector ran was a fifth of scores()'s own time). */
    struct rs_finding quiet[RS_FINDINGS_MAX];
    /* make_alert()'s alert: 17 kB, filled up to its counts, not zeroed
     * (a calloc of it for each alert was a tenth of the alerts' cost). */
    struct rs_alert alert;
};

/* A trigger: what made the engine evaluate a customer. */
struct trigger {
    const struct rs_event *ev; /* or NULL for a timer */
    int64_t at;
    /* Detectors whose own state the event changed: their findings cite it
     * as evidence in the alert it makes. */
    uint32_t moved;
    /* Detectors whose answer the event may have changed: those it moved,
     * those reading a part of the shared state it changed, and those that
     * declare no reads and take its kind. */
    uint32_t concern;
};

static void outbox_clear(struct outbox *o)
{
    o->count = 0;
    rs_buf_reset(&o->data);
}

static void outbox_add(struct outbox *o, enum rs_outbox_topic topic,
                       const void *key, size_t key_len, const void *value,
                       size_t value_len)
{
    struct rs_outbox_entry *e;

    rs_grow((void **)&o->v, &o->cap, o->count + 1, sizeof(*o->v));
    e = &o->v[o->count++];
    e->topic = topic;
    e->key = NULL;
    e->key_len = 0;
    if (key) {
        e->key = (uint8_t *)(uintptr_t)(o->data.len + 1);
        e->key_len = key_len;
        rs_buf_append(&o->data, key, key_len);
    }
    e->value = (uint8_t *)(uintptr_t)(o->data.len + 1);
    e->value_len = value_len;
    rs_buf_append(&o->data, value, value_len);
}

/* Points the entries at their bytes, which stay put from now on. */
static void outbox_seal(struct outbox *o)
{
    for (size_t i = 0; i < o->count; i++) {
        struct rs_outbox_entry *e = &o->v[i];

        if (e->key)
            e->key = o->data.data + ((uintptr_t)e->key - 1);
        e->value = o->data.data + ((uintptr_t)e->value - 1);
    }
}

struct rs_task *rs_task_new(const struct rs_engine_params *params,
                            struct rs_store *store, int task,
                            const struct rs_task_meta *meta)
{
    struct rs_task *t = rs_calloc(1, sizeof(*t));
    int nobs[RS_EVENT_KINDS] = {0};

    t->p = params;
    t->store = store;
    t->id = task;
    t->epoch = meta->epoch;
    t->stream_time = meta->has_offsets ? meta->stream_time : INT64_MIN;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        t->offsets[k] = meta->has_offsets ? meta->offsets[k] : RS_NO_OFFSET;
        t->flushed[k] = t->offsets[k];
    }
    t->has_flushed = meta->has_offsets;
    t->flushed_stream_time = t->stream_time;
    t->horizon = INT64_MIN;
    t->preload_from = INT64_MIN;
    t->stored_until = meta->timers_bounded ? meta->timers_last : INT64_MAX;
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        uint32_t bit = 1u << (*d)->id;

        t->by_id[(*d)->id] = *d;
        t->all_detectors |= bit;
        /* Outside state can change at any time: always run. A detector
         * with no declared inputs reads events of every kind, but between
         * events it too changes only at its timer. */
        if ((*d)->volatile_state)
            t->always_detectors |= bit;
        for (int b = 0; b < RS_PART_COUNT; b++)
            if ((*d)->reads & (1u << b))
                t->part_readers[b] |= bit;
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            if ((*d)->inputs && !((*d)->inputs & RS_INPUT(k)))
                continue;
            if (!(*d)->reads)
                t->kind_detectors[k] |= bit;
            if ((*d)->observe)
                t->observers[k][nobs[k]++] = *d;
        }
    }
    for (int i = 0; i < RS_FINDINGS_MAX; i++)
        t->quiet[i].quiet = RS_QUIET_SCORE;
    rs_cache_init(&t->cache, params->cache_customers);
    rs_timerq_init(&t->timers);
    rs_timers_init(&t->later);
    rs_timers_init(&t->later_inflight);
    rs_buf_init(&t->scratch, 0);
    rs_buf_init(&t->pending.data, 0);
    rs_buf_init(&t->inflight.data, 0);
    rs_buf_init(&t->flush_packed, 0);
    return t;
}

void rs_task_destroy(struct rs_task *t)
{
    if (!t)
        return;
    rs_cache_release(&t->cache);
    rs_timerq_release(&t->timers);
    rs_timers_release(&t->later);
    rs_timers_release(&t->later_inflight);
    outbox_clear(&t->pending);
    outbox_clear(&t->inflight);
    free(t->pending.v);
    free(t->inflight.v);
    rs_buf_release(&t->pending.data);
    rs_buf_release(&t->inflight.data);
    rs_buf_release(&t->scratch);
    rs_buf_release(&t->flush_packed);
    free(t->flush_customers);
    free(t->flush_chunks);
    free(t);
}

int rs_task_id(const struct rs_task *t)
{
    return t->id;
}

int64_t rs_task_stream_time(const struct rs_task *t)
{
    return t->stream_time;
}

const struct rs_task_stats *rs_task_stats(const struct rs_task *t)
{
    return &t->stats;
}

size_t rs_task_timers_queued(const struct rs_task *t)
{
    return t->timers.count;
}

void rs_task_offsets(const struct rs_task *t, int64_t out[RS_EVENT_KINDS])
{
    memcpy(out, t->offsets, sizeof(t->offsets));
}

void rs_task_done(struct rs_task *t, enum rs_event_kind kind, int64_t offset)
{
    if (offset + 1 > t->offsets[kind])
        t->offsets[kind] = offset + 1;
}

/* The customer from the cache or the store; a new one when it is in
 * neither and create is set. NULL with errstr on a store error or a
 * corrupt state; NULL with an empty errstr when it does not exist and
 * create is 0. */
static struct rs_customer *customer_lookup(struct rs_task *t, const char *id,
                                           int create, int pin, char *errstr,
                                           size_t errstr_size)
{
    struct rs_customer *c = rs_cache_get(&t->cache, id);
    int found;

    errstr[0] = '\0';
    if (c && pin)
        rs_cache_pin(&t->cache, c);
    if (c && c->absent) { /* known to have nothing stored */
        if (!create)
            return NULL;
        c->absent = 0; /* a new customer, as below */
    }
    if (c)
        return c;
    rs_buf_reset(&t->scratch);
    found = rs_store_load(t->store, t->id, id, &t->scratch, errstr,
                          errstr_size);
    if (found < 0)
        return NULL;
    if (!found && !create) {
        /* Remembered, so that asking again (for a segment record not made
         * yet, on every evaluation) costs no round trip. */
        c = rs_cache_put(&t->cache, id);
        c->absent = 1;
        if (pin)
            rs_cache_pin(&t->cache, c);
        return NULL;
    }
    c = rs_cache_put(&t->cache, id);
    if (pin)
        rs_cache_pin(&t->cache, c);
    if (found &&
        rs_customer_unpack(c, t->scratch.data, t->scratch.len, errstr,
                           errstr_size)) {
        /* A corrupt state is not guessed at: stop, naming the customer. */
        return NULL;
    }
    return c;
}

struct prefetch {
    struct rs_task *t;
    const char **ids;
    uint8_t *found;
    char *errstr;
    size_t errstr_size;
    int failed;
};

static void on_prefetched(void *opaque, size_t i, const void *packed,
                          size_t len)
{
    struct prefetch *pf = opaque;
    struct rs_customer *c;

    pf->found[i] = 1;
    if (pf->failed)
        return;
    c = rs_cache_put(&pf->t->cache, pf->ids[i]);
    if (rs_customer_unpack(c, packed, len, pf->errstr, pf->errstr_size))
        pf->failed = 1; /* a corrupt state is not guessed at */
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rs_task_prefetch(struct rs_task *t, const char *const *ids, size_t n,
                     char *errstr, size_t errstr_size)
{
    struct prefetch pf = {t, NULL, NULL, errstr, errstr_size, 0};
    size_t m = 0;
    int rc;

    errstr[0] = '\0';
    if (n == 0 || !rs_store_can_load_many(t->store))
        return 0;
    pf.ids = rs_calloc(n, sizeof(*pf.ids));
    for (size_t i = 0; i < n; i++)
        if (ids[i][0] && !rs_cache_get(&t->cache, ids[i]))
            pf.ids[m++] = ids[i];
    qsort(pf.ids, m, sizeof(*pf.ids), cmp_id);
    n = m;
    m = 0;
    for (size_t i = 0; i < n; i++) /* each id once */
        if (m == 0 || strcmp(pf.ids[m - 1], pf.ids[i]) != 0)
            pf.ids[m++] = pf.ids[i];
    pf.found = rs_calloc(m ? m : 1, 1);
    rc = m ? rs_store_load_many(t->store, t->id, pf.ids, m, on_prefetched,
                                &pf, errstr, errstr_size)
           : 0;
    if (rc == 0 && pf.failed)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < m; i++)
        if (!pf.found[i])
            rs_cache_put(&t->cache, pf.ids[i])->absent = 1;
    free(pf.found);
    free(pf.ids);
    return rc;
}

size_t rs_task_prefetch_max(const struct rs_task *t)
{
    size_t cap = t->cache.max / 4;

    return cap ? cap : 1;
}

int rs_task_resident(struct rs_task *t, const char *customer)
{
    return rs_cache_get(&t->cache, customer) != NULL;
}

void rs_task_hint(struct rs_task *t, const char *customer, uint64_t *hash,
                  int step)
{
    if (step == 0)
        *hash = rs_cache_hash(customer);
    rs_cache_prefetch(&t->cache, *hash, step);
}

/* The customer from the cache, the store, or new. NULL on a store error. */
static struct rs_customer *customer_get(struct rs_task *t, const char *id,
                                        char *errstr, size_t errstr_size)
{
    return customer_lookup(t, id, 1, 0, errstr, errstr_size);
}

/* The reserved record of a member's segment (see the cluster detector);
 * NULL if it does not exist and create is 0, or on a store error. */
static struct rs_customer *segment_record(struct rs_task *t,
                                          const struct rs_customer *member,
                                          int create)
{
    const char *segment = member->segment;
    const char *shared = member->segment_owned ? NULL : segment;
    char id[RS_ID_MAX], errstr[256];
    size_t n = sizeof(RS_SEGMENT_ID_PREFIX) - 1;
    struct rs_customer *c = NULL;
    unsigned slot, i;

    /* Read at every evaluation of the segment's members, and few: the
     * entries asked for last are kept (as customer_lookup() would find
     * them: a placeholder, absent, until an event makes the record). A
     * name shared by the process is found by its address, others by
     * their text. */
    for (i = 0; shared && i < SEG_MEMO; i++)
        if (t->seg_memo[i].shared == shared && (c = t->seg_memo[i].rec))
            break;
    for (i = 0; !c && i < SEG_MEMO; i++)
        if (t->seg_memo[i].rec && strcmp(t->seg_memo[i].name, segment) == 0)
            c = t->seg_memo[i].rec;
    if (c) {
        if (c->absent) {
            if (!create)
                return NULL;
            c->absent = 0; /* a new record, as customer_lookup() */
        }
        return c;
    }
    memcpy(id, RS_SEGMENT_ID_PREFIX, n); /* snprintf was a hot spot */
    rs_strcpy_cut(id + n, sizeof(id) - n, segment);
    /* Pinned: never evicted. */
    c = customer_lookup(t, id, create, 1, errstr, sizeof(errstr));
    if (!c && errstr[0])
        return NULL; /* a store error: nothing to remember */
    slot = t->seg_memo_next++ % SEG_MEMO;
    rs_strcpy_cut(t->seg_memo[slot].name, sizeof(t->seg_memo[slot].name),
                  segment);
    t->seg_memo[slot].shared = shared;
    t->seg_memo[slot].rec = c ? c : rs_cache_get(&t->cache, id);
    if (strcmp(t->seg_memo[slot].name, segment) != 0)
        t->seg_memo[slot].rec = NULL; /* a name too long to keep */
    return c;
}

/* Feeds the invoices c settled since settled_before into its segment. */
static void count_settlements(struct rs_task *t, struct rs_customer *c,
                              uint32_t settled_before)
{
    uint32_t n = c->settled_total - settled_before;
    struct rs_customer *seg;

    if (n > c->settled_count)
        n = c->settled_count;
    rs_cache_mark_dirty(&t->cache, c); /* keeps c from being evicted */
    seg = segment_record(t, c, 1);
    if (!seg)
        return;
    for (uint32_t i = n; i > 0; i--) {
        const struct rs_settled *st =
            &c->settled[(c->settled_head + RS_CUSTOMER_PAID_RING - i) %
                        RS_CUSTOMER_PAID_RING];

        struct rs_dstate counts =
            *rs_customer_dstate(seg, RS_CLUSTER_DETECTOR_ID);

        rs_cluster_count(t->p->detectors.v[RS_CLUSTER_DETECTOR_ID], &counts,
                         st->paid_date, st->paid_date - st->due_date);
        rs_customer_dstate_set(seg, RS_CLUSTER_DETECTOR_ID, &counts);
    }
    rs_cache_mark_dirty(&t->cache, seg);
}

/* ---- corporate group relays (src/detectors/group.c) ---------------- */

/* Queues a GROUP_RELAY for customer `to` about company `about`. Its event
 * id is a hash of what it says, so a relay made again after a crash
 * carries the same id. */
static void relay(struct rs_task *t, const char *to, const char *about,
                  enum rs_group_role role, int32_t level, int32_t score,
                  int64_t at, const char *why)
{
    char id[32];
    uint64_t h = 14695981039346656037ull;
    const char *parts[2] = {to, about};
    int64_t nums[4] = {role, level, score, at};
    struct rs_group_relay r;

    for (int i = 0; i < 2; i++)
        for (const char *p = parts[i]; ; p++) {
            h = (h ^ (uint8_t)*p) * 1099511628211ull;
            if (!*p)
                break;
        }
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 8; b++)
            h = (h ^ (uint8_t)((uint64_t)nums[i] >> (8 * b))) *
                1099511628211ull;
    snprintf(id, sizeof(id), "grp-%016" PRIx64, h);
    r.event_id = id;
    r.event_time = at;
    r.customer_id = to;
    r.related_customer_id = about;
    r.role = role;
    r.level = level;
    r.score = score;
    r.description = why;
    rs_buf_reset(&t->scratch);
    if (rs_encode_group_relay(&r, t->p->relay_schema_id, &t->scratch))
        return;
    outbox_add(&t->pending, RS_OUTBOX_GROUP, to, strlen(to), t->scratch.data,
               t->scratch.len);
    t->stats.relays++;
    if (t->p->on_relay)
        t->p->on_relay(t->p->opaque, to, t->scratch.data, t->scratch.len, at);
}

/* After an evaluation: when the company's own level (without group
 * reasons, so that relays never feed back on themselves) changed, tell the
 * parent and the members. f: the weighted findings. */
static int find(struct rs_task *t, const struct rs_customer *c, int64_t now,
                int texts, struct rs_finding *f, int max, int32_t *score,
                int64_t *next, uint32_t only);

static void relay_own_level(struct rs_task *t, struct rs_customer *c,
                            const struct rs_segment_profile *prof,
                            int32_t own, int64_t now)
{
    struct rs_group *g = rs_customer_group_make(c);
    enum rs_level level = rs_score_level(
        prof, t->p->scoring.hysteresis, own,
        g->own_level < 0 ? RS_LEVEL_LOW : (enum rs_level)g->own_level);
    struct rs_finding f[RS_FINDINGS_MAX];
    const char *why = NULL;
    int32_t score;
    int nf;

    if ((int)level == g->own_level)
        return;
    g->own_level = level;
    g->own_score = own;
    /* The main reason travels with the level: the findings, sorted. */
    nf = find(t, c, now, 0, f, RS_FINDINGS_MAX, &score, NULL,
              t->all_detectors);
    for (int i = 0; i < nf && !why; i++)
        if (f[i].detector_id != RS_GROUP_DETECTOR_ID)
            why = f[i].reason.code;
    if (g->parent[0])
        relay(t, g->parent, c->id, RS_GROUP_MEMBER, level, own, now, why);
    for (uint32_t i = 0; i < g->member_count; i++)
        relay(t, g->members[i].id, c->id, RS_GROUP_PARENT, level, own, now,
              why);
}

/* What an ownership link or an incoming relay changes beyond the state:
 * the old parent hears that the customer left; a member's new level goes
 * on to the other members as their sister's; a new link or a new member
 * makes the next evaluation relay the own level again. `before` is the
 * state of the group before rs_customer_apply(). */
struct group_before {
    char parent[RS_ID_MAX];
    int32_t member_level; /* of the relay's sender; -1 = not a member */
};

static void group_note(struct rs_customer *c, const struct rs_event *ev,
                       struct group_before *gb)
{
    struct rs_group_member *m;

    memcpy(gb->parent, rs_customer_group(c)->parent, sizeof(gb->parent));
    gb->member_level = -1;
    if (ev->type == RS_BUREAU_GROUP_RELAY &&
        ev->u.bur.group_role == RS_GROUP_MEMBER &&
        (m = rs_customer_member(c, ev->u.bur.related_customer_id)))
        gb->member_level = m->level;
}

static void group_after(struct rs_task *t, struct rs_customer *c,
                        const struct rs_event *ev,
                        const struct group_before *gb)
{
    struct rs_group *g = rs_customer_group_make(c);
    const struct rs_group_member *m;
    int32_t level;

    if (ev->type == RS_BUREAU_OWNERSHIP_LINK) {
        if (strcmp(gb->parent, g->parent) == 0)
            return;
        if (gb->parent[0])
            relay(t, gb->parent, c->id, RS_GROUP_MEMBER, -1, 0,
                  ev->event_time, NULL);
        g->own_level = -1; /* the new parent hears it at the evaluation */
        return;
    }
    if (ev->type != RS_BUREAU_GROUP_RELAY ||
        ev->u.bur.group_role != RS_GROUP_MEMBER)
        return;
    m = rs_customer_member(c, ev->u.bur.related_customer_id);
    level = m ? m->level : -1;
    if (level == gb->member_level)
        return;
    if (gb->member_level < 0 && m)
        g->own_level = -1; /* a new member: it hears the own level */
    for (uint32_t i = 0; i < g->member_count; i++)
        if (&g->members[i] != m)
            relay(t, g->members[i].id, ev->u.bur.related_customer_id,
                  RS_GROUP_SISTER, level, m ? m->score : 0, ev->event_time,
                  ev->has & RS_BUR_HAS_DESCRIPTION ? ev->u.bur.description
                                                   : NULL);
}

/* Text built into a fixed buffer, cut at its size like snprintf(). */
struct id_text {
    char *s;
    size_t size, len;
};

static void id_add(struct id_text *x, const char *s)
{
    size_t n = strlen(s);

    if (n > x->size - 1 - x->len)
        n = x->size - 1 - x->len;
    memcpy(x->s + x->len, s, n);
    x->len += n;
    x->s[x->len] = '\0';
}

static void id_add_int(struct id_text *x, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    id_add(x, p);
}

static void make_alert(struct rs_task *t, const struct rs_customer *c,
                       const struct trigger *tr, int64_t now,
                       enum rs_level after, int32_t score,
                       const struct rs_finding *f, int nf)
{
    struct rs_alert *a = &t->alert;
    struct id_text id = {a->alert_id, sizeof(a->alert_id), 0};

    /* <customer>/<kind>-<partition>-<offset>/<before>-<after>, or
     * .../timer-<at>/...: built by hand (snprintf was a tenth of an
     * alert's cost), cut where snprintf would cut it. */
    id_add(&id, c->id);
    id_add(&id, "/");
    if (tr->ev) {
        id_add(&id, rs_event_kind_name(tr->ev->kind));
        id_add(&id, "-");
        id_add_int(&id, tr->ev->partition);
        id_add(&id, "-");
        id_add_int(&id, tr->ev->offset);
    } else {
        id_add(&id, "timer-");
        id_add_int(&id, tr->at);
    }
    id_add(&id, "/");
    id_add(&id, rs_level_name(c->alerted_level));
    id_add(&id, "-");
    id_add(&id, rs_level_name(after));
    rs_strcpy_cut(a->customer_id, sizeof(a->customer_id), c->id);
    a->event_time = now;
    a->level_before = c->alerted_level;
    a->level_after = after;
    a->score_before = c->score;
    a->score_after = score;
    a->has_segment = c->segment[0] != '\0';
    if (a->has_segment)
        rs_strcpy_cut(a->segment, sizeof(a->segment), c->segment);
    a->reason_count = 0;
    for (int i = 0; i < nf && i < RS_REASONS_MAX; i++)
        a->reasons[a->reason_count++] = f[i].reason;
    rs_actions_choose(a, f, nf);
    a->suppressed_count = c->suppressed;
    a->offset_count = 0;
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        int64_t off = t->offsets[k];

        if (tr->ev && tr->ev->kind == (enum rs_event_kind)k &&
            tr->ev->offset + 1 > off)
            off = tr->ev->offset + 1;
        a->offsets[a->offset_count].kind = k;
        a->offsets[a->offset_count].partition = t->id;
        a->offsets[a->offset_count].offset = off;
        a->offset_count++;
    }
    rs_buf_reset(&t->scratch);
    rs_encode_alert(a, t->p->alert_schema_id, t->p->topics, &t->scratch);
    outbox_add(&t->pending, RS_OUTBOX_ALERTS, c->id, strlen(c->id),
               t->scratch.data, t->scratch.len);
    t->stats.alerts++;
    if (t->p->on_alert)
        t->p->on_alert(t->p->opaque, a);
    rs_log_debug("engine", "task %d customer '%s': %s -> %s (score %d)",
                 t->id, c->id, rs_level_name(c->level), rs_level_name(after),
                 (int)score);
}

static int cmp_finding(const void *x, const void *y);

/* Runs the detectors of only (a mask of ids) on c at now: findings
 * (weighted, sorted) and, unless next is NULL, the next timer. */
static int find(struct rs_task *t, const struct rs_customer *c, int64_t now,
                int texts, struct rs_finding *f, int max, int32_t *score,
                int64_t *next, uint32_t only)
{
    const struct rs_segment_profile *prof =
        rs_scoring_profile(&t->p->scoring, c->segment);
    int nf = 0;

    if (next)
        *next = RS_NO_TIMER;
    for (int i = 0; i < max; i++)
        f[i].quiet = texts ? 0 : RS_QUIET_NAMED;
    for (const struct rs_detector *const *d = rs_detectors; *d; d++) {
        const int64_t *p = t->p->detectors.v[(*d)->id];
        const struct rs_dstate *s = rs_customer_dstate(c, (*d)->id);
        int n;

        if (!(only & (1u << (*d)->id)))
            continue;
        n = (*d)->evaluate(p, c, s, now, f + nf, max - nf);
        for (int i = nf; i < nf + n; i++)
            f[i].detector_id = (*d)->id;
        nf += n;
        if (next && (*d)->next_timer) {
            int64_t at = (*d)->next_timer(p, c, s, now);

            if (at < *next)
                *next = at;
        }
    }
    *score = rs_score_combine(prof, f, nf);
    /* An insertion sort: a handful of findings, mostly in order already;
     * glibc's qsort() allocates a buffer for elements this large. */
    for (int i = 1; i < nf; i++) {
        struct rs_finding x;
        int j = i;

        if (cmp_finding(&f[i - 1], &f[i]) <= 0)
            continue;
        x = f[i];
        for (; j > 0 && cmp_finding(&f[j - 1], &x) > 0; j--)
            f[j] = f[j - 1];
        f[j] = x;
    }
    return nf;
}

/* Orders findings by score, strongest first (ties: detector, code), so
 * an alert's first reason is its main one. */
static int cmp_finding(const void *x, const void *y)
{
    const struct rs_finding *a = x, *b = y;
    int r;

    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    r = strcmp(a->reason.detector, b->reason.detector);
    return r ? r : strcmp(a->reason.code, b->reason.code);
}

/* A contribution counts in the score and, unless it is the group
 * detector's, in the own score a company relays. */
static void tally(struct rs_score_tally *all, struct rs_score_tally *own,
                  int32_t raw, int64_t weight, int detector_id)
{
    rs_score_tally_add(all, raw, weight);
    if (detector_id != RS_GROUP_DETECTOR_ID)
        rs_score_tally_add(own, raw, weight);
}

/* The first of d's timers after now at which its answer (the scores of
 * its findings) differs from f[0..n), its answer at now. A timer whose
 * evaluation changes nothing still costs an evaluation of the customer, a
 * write of its state and a timer pushed and popped; most timers are such
 * (an open invoice falls past due and the rounded score stays, a period
 * ends without a drop or a spike). Between two of d's timers its answer
 * cannot change (next_timer's promise) and its state changes only with
 * events, so evaluating it ahead, at each timer, tells exactly where the
 * answer first moves. Looks at most `ahead` timers past the first
 * (evaluate.lookahead) and stops at the last one looked at: firing early
 * is always safe.
 *
 * Off by default (evaluate.lookahead = 0): unless the look ahead reaches
 * the change, where it stops depends on where it started, and a customer
 * reloaded after a rebalance or a crash re-runs its detectors from
 * another time than one that stayed resident; its stored timer (not its
 * alerts or scores) then differs, and the tests that compare a rebalanced
 * or crashed run's state with a clean one's would have to forgive that.
 * With 64 steps no chain on generated or UCI data was longer, but the
 * daemon then used about 30 % more CPU (docs/performance.md). An alert's
 * evaluation takes its timer from scores(), like any other. */
static int64_t next_change(const struct rs_detector *d, const int64_t *p,
                           const struct rs_customer *c,
                           const struct rs_dstate *st, int64_t now,
                           const struct rs_finding *f, int n, int ahead)
{
    int64_t at = d->next_timer(p, c, st, now);

    if (d->volatile_state)
        return at; /* reads outside state, which may change meanwhile */
    for (int k = 0; k < ahead && at != RS_NO_TIMER; k++) {
        struct rs_finding g[RS_FINDINGS_MAX];
        int64_t later;
        int m, same;

        for (int i = 0; i < RS_FINDINGS_MAX; i++)
            g[i].quiet = RS_QUIET_SCORE;
        m = d->evaluate(p, c, st, at, g, RS_FINDINGS_MAX);
        same = m == n;
        for (int i = 0; same && i < n; i++)
            same = g[i].score == f[i].score;
        if (!same)
            return at;
        later = d->next_timer(p, c, st, at);
        if (later <= at)
            return at;
        at = later;
    }
    return at;
}

/* The combined score of c at now and its next timer, as running every
 * detector would give them, re-running only the detectors that could
 * answer differently: those the event applied since the last evaluation
 * concerns (concern: struct trigger), those whose timer is due, those
 * reading outside state, and those with no answer kept for these
 * parameters. A detector's answer changes only with its own state, the
 * parts of the shared state it reads, or at its next_timer(), so the
 * others' last raw contributions are reused and weighted here. own: the
 * same without the group detector, for the relays. */
static int32_t scores(struct rs_task *t, struct rs_customer *c, int64_t now,
                      uint32_t concern, int32_t *own, int64_t *next)
{
    const struct rs_segment_profile *prof =
        rs_scoring_profile(&t->p->scoring, c->segment);
    struct rs_finding *f = t->quiet;
    uint32_t generation = t->p->generation + 1;
    struct rs_score_tally all = {0, 0}, own_t = {0, 0};
    uint32_t run = t->p->evaluate_all ? t->all_detectors
                                      : t->always_detectors,
             visit;
    int64_t least = c->dcache_next;
    int rescan = 0;

    if (c->dcache_generation != generation) {
        c->dcache_used = 0; /* no entry: no timer, no findings */
        c->dcache_generation = generation;
        c->dcache_redo = t->all_detectors;
        c->dcache_found = 0;
        c->dcache_next = least = RS_NO_TIMER;
    }
    run |= concern | c->dcache_redo;
    if (least <= now) /* some timer is due: whose? */
        for (uint32_t m = c->dcache_used & ~run; m; m &= m - 1) {
            int id = __builtin_ctz(m);

            if (rs_customer_dcache(c, id)->next <= now)
                run |= 1u << id;
        }
    /* The detectors to run, and those whose kept findings count: the
     * entries of the others (most of them) are not even read. */
    visit = run | c->dcache_found;
    for (uint32_t m = visit; m; m &= m - 1) {
        int id = __builtin_ctz(m);
        const struct rs_detector *d = t->by_id[id];
        struct rs_dcache *dc = rs_customer_dcache(c, id);

        if (run & (1u << id)) {
            const int64_t *p = t->p->detectors.v[id];
            int64_t was = dc ? dc->next : RS_NO_TIMER, at;
            int n, kept;

            const struct rs_dstate *st = rs_customer_dstate(c, id);

            n = d->evaluate(p, c, st, now, f, RS_FINDINGS_MAX);
            at = d->next_timer ? next_change(d, p, c, st, now, f, n,
                                             t->p->evaluate_lookahead)
                               : RS_NO_TIMER;
            /* More findings than kept, or a contribution that does not
             * fit: counted now, never reused. */
            kept = n <= RS_DCACHE_FINDINGS;
            for (int i = 0; kept && i < n; i++)
                kept = f[i].score >= 0 && f[i].score <= UINT8_MAX;
            c->dcache_redo = kept ? c->dcache_redo & ~(1u << id)
                                  : c->dcache_redo | 1u << id;
            if (at == RS_NO_TIMER && (!kept || n == 0)) {
                rs_customer_dcache_drop(c, id);
                c->dcache_found &= ~(1u << id);
            } else {
                dc = rs_customer_dcache_make(c, id);
                dc->next = at;
                dc->count = kept ? (uint8_t)n : 0;
                for (int i = 0; i < dc->count && i < RS_DCACHE_FINDINGS; i++)
                    dc->score[i] = (uint8_t)f[i].score;
                c->dcache_found = dc->count ? c->dcache_found | 1u << id
                                            : c->dcache_found & ~(1u << id);
            }
            for (int i = 0; i < n; i++)
                tally(&all, &own_t, f[i].score, prof->weight[id], id);
            if (at < least)
                least = at;
            else if (was == c->dcache_next && at > was)
                rescan = 1; /* the least one moved later */
        } else {
            for (int i = 0; i < dc->count; i++)
                tally(&all, &own_t, dc->score[i], prof->weight[id], id);
        }
    }
    if (rescan) {
        least = RS_NO_TIMER;
        for (uint32_t i = 0, k = rs_popcount32(c->dcache_used); i < k; i++)
            if (c->dcache[i].next < least)
                least = c->dcache[i].next;
    }
    c->dcache_next = least;
    *next = least;
    *own = rs_score_tally_total(&own_t);
    return rs_score_tally_total(&all);
}

static void timer_set(struct rs_task *t, int64_t at, const char *id);

/* Runs the detectors on c at stream time now; alerts on a level change
 * (unless suppressed); re-arms the customer's timer. */
static void evaluate(struct rs_task *t, struct rs_customer *c,
                     const struct trigger *tr, int64_t now)
{
    struct rs_finding f[RS_FINDINGS_MAX];
    const struct rs_segment_profile *prof =
        rs_scoring_profile(&t->p->scoring, c->segment);
    int32_t score, own;
    int64_t next;
    int nf;

    rs_cache_mark_dirty(&t->cache, c); /* keeps c from being evicted */
    if (c->segment[0]) {
        const struct rs_customer *seg = segment_record(t, c, 0);

        if (seg) {
            struct rs_dstate mine =
                *rs_customer_dstate(c, RS_CLUSTER_DETECTOR_ID);

            rs_cluster_publish(rs_customer_dstate(seg,
                                                  RS_CLUSTER_DETECTOR_ID),
                               &mine);
            rs_customer_dstate_set(c, RS_CLUSTER_DETECTOR_ID, &mine);
        }
    }
    /* Most evaluations change no level: only the score is computed, from
     * the detectors the event or the time concerns; the findings with
     * their words are made when an alert is (below). */
    score = scores(t, c, now, tr->concern, &own, &next);
    enum rs_level level;

    level = rs_score_level(prof, t->p->scoring.hysteresis, score,
                           (enum rs_level)c->level);
    if ((int)level != c->level) {
        int suppress = level > (enum rs_level)c->level &&
                       c->raised_at[level] &&
                       now - c->raised_at[level] <
                           (int64_t)t->p->scoring.suppress_days * RS_DAY_MS;

        if (level > (enum rs_level)c->level)
            c->raised_at[level] = now;
        if (suppress) {
            c->suppressed++;
            t->stats.suppressed++;
        } else if ((int)level == c->alerted_level) {
            /* Back to the level the last alert announced: the end of a
             * suppressed rise, already counted. The consumers never saw
             * it begin, so they are not told it ended. */
        } else {
            /* The words: only the detectors with findings (the
             * answers scores() just kept; those it could not keep run
             * again), and the timer scores() found. */
            nf = find(t, c, now, 1, f, RS_FINDINGS_MAX, &score, NULL,
                      c->dcache_found | c->dcache_redo);
            for (int i = 0; i < nf && tr->ev; i++)
                if (tr->moved & (1u << f[i].detector_id))
                    rs_finding_evidence(&f[i], tr->ev->event_id);
            make_alert(t, c, tr, now, level, score, f, nf);
            c->suppressed = 0;
            c->alerted_level = (int)level;
        }
    }
    c->level = level;
    c->score = score;
    c->evaluated_at = now;
    if (c->group && (c->group->parent[0] || c->group->member_count))
        relay_own_level(t, c, prof, own, now);
    if (next != c->next_timer) {
        c->next_timer = next;
        if (next != RS_NO_TIMER)
            timer_set(t, next, c->id);
    }
    rs_cache_mark_dirty(&t->cache, c);
}

struct timer_load {
    struct rs_timerq *timers;
    int64_t last_at;
};

static void on_stored_timer(void *opaque, const char *customer, size_t len,
                            int64_t at)
{
    struct timer_load *tl = opaque;

    rs_timerq_push(tl->timers, at, customer, len);
    tl->last_at = at;
}

/* Moves the horizon past a page of n stored timers read up to to, the
 * last at last_at. */
static void load_page(struct rs_task *t, long n, int64_t to, int64_t last_at)
{
    if (n < TIMER_LOAD_MAX) {
        t->horizon = to;
    } else if (last_at - 1 > t->horizon) {
        /* A full page: continue after the last time loaded completely;
         * timers at last_at load again, and duplicates are harmless. */
        t->horizon = last_at - 1;
    } else {
        rs_log_warn("engine", "task %d: more than %d timers at %" PRId64
                    "; some may fire late",
                    t->id, TIMER_LOAD_MAX, last_at);
        t->horizon = last_at;
    }
}

/* Pushes on the queue the timers of l in (from, to]. */
static void push_later(struct rs_task *t, const struct rs_timers *l,
                       int64_t from, int64_t to)
{
    for (size_t i = 0; i < l->count; i++) {
        const struct rs_timer *e = &l->v[i];

        if (e->at > from && e->at <= to) {
            const char *id = rs_timer_id(e);

            rs_timerq_push(&t->timers, e->at, id, strlen(id));
        }
    }
}

/* to rounded up to the end of the store's timer span (rs_store_ops). */
static int64_t span_end(const struct rs_store *s, int64_t to)
{
    int64_t span = s->ops->timer_span, r;

    if (span <= 0 || to > INT64_MAX - span)
        return to;
    r = to % span;
    if (r < 0)
        r += span;
    return to - r + span - 1;
}

/* Makes sure every stored timer at or before upto is in the queue,
 * reading `ahead` beyond upto when it must read (a window, so that
 * reading is one store call per horizon, not per event; 0 when the
 * caller knows how far the stream will go). */
static int load_timers_ahead(struct rs_task *t, int64_t upto, int64_t ahead,
                             char *errstr, size_t errstr_size)
{
    while (t->horizon < upto) {
        int64_t from = t->horizon;
        int64_t to = span_end(t->store, upto > INT64_MAX - ahead
                                            ? INT64_MAX
                                            : upto + ahead);

        if (from >= t->stored_until) {
            /* Past the latest timer the store may hold: nothing to read. */
            t->horizon = to;
        } else {
            struct timer_load tl = {&t->timers, INT64_MIN};
            long n = rs_store_timers(t->store, t->id, from, to,
                                     TIMER_LOAD_MAX, on_stored_timer, &tl,
                                     errstr, errstr_size);

            if (n < 0)
                return -1;
            load_page(t, n, to, tl.last_at);
        }
        push_later(t, &t->later, from, t->horizon);
        push_later(t, &t->later_inflight, from, t->horizon);
    }
    return 0;
}

/* load_timers_ahead() with a week's window. */
static int load_timers(struct rs_task *t, int64_t upto, char *errstr,
                       size_t errstr_size)
{
    return load_timers_ahead(t, upto, TIMER_HORIZON_MS, errstr, errstr_size);
}

int rs_task_preload_timers(struct rs_task *t, char *errstr,
                           size_t errstr_size)
{
    int64_t moved;

    if (t->stream_time == INT64_MIN)
        return 0;
    moved = t->preload_from == INT64_MIN ? 0
                                         : t->stream_time - t->preload_from;
    t->preload_from = t->stream_time;
    if (moved <= 0)
        return 0;
    /* A margin: backlogs speed up and slow down, and the next commit
     * begins only once this one has ended (on a backlog 1 to 1.8 s
     * apart with a 1 s interval). With half the move again, one timer
     * read in five still came on the way, behind a flush. */
    moved = moved > TIMER_PRELOAD_MAX_MS / 2 ? TIMER_PRELOAD_MAX_MS
                                             : 2 * moved;
    /* Only up to there: the queue holds no more than the stream needs. */
    return load_timers_ahead(t, t->stream_time + moved, 0, errstr,
                             errstr_size);
}

/* A timer the engine set: queued if the horizon covers it, else
 * kept until its flush has landed (later in struct rs_task). */
static void timer_set(struct rs_task *t, int64_t at, const char *id)
{
    if (at <= t->horizon) {
        rs_timerq_push(&t->timers, at, id, strlen(id));
        return;
    }
    rs_timers_push(&t->later, at, id, strlen(id));
    if (t->stored_until != INT64_MAX && at > t->stored_until)
        t->stored_until = at;
}

/* Loads the customers of the next timers due by upto (at most max) in one
 * batch when at least min are due, not one round trip each when they
 * fire. */
static int prefetch_due(struct rs_task *t, int64_t upto, size_t min,
                        size_t max, char *errstr, size_t errstr_size)
{
    const struct rs_timer *top = rs_timerq_peek(&t->timers);
    const char **ids;
    size_t n;
    int rc;

    if (!top || top->at > upto || !rs_store_can_load_many(t->store))
        return 0;
    n = rs_task_prefetch_max(t);
    if (n > max)
        n = max;
    if (n > TIMER_PREFETCH_MAX)
        n = TIMER_PREFETCH_MAX;
    ids = rs_calloc(n ? n : 1, sizeof(*ids));
    n = rs_timerq_due(&t->timers, upto, ids, n);
    rc = n >= min ? rs_task_prefetch(t, ids, n, errstr, errstr_size) : 0;
    free(ids);
    return rc;
}

int rs_task_prefetch_due(struct rs_task *t, int64_t upto, size_t max,
                         char *errstr, size_t errstr_size)
{
    if (load_timers(t, upto, errstr, errstr_size))
        return -1;
    return prefetch_due(t, upto, 1, max, errstr, errstr_size);
}

/* Loads ahead the customers of the timers that fire after the top, in
 * the three steps of rs_cache_prefetch: the one after next's bucket, the
 * next's entry, and for the one after the top its detector states, answer
 * cache and invoices (an evaluation reads them first). One timer apart is
 * time enough for each step: an evaluation takes microseconds. */
static void hint_timers(struct rs_task *t, int64_t upto)
{
    static const int step[6] = {-1, 2, -1, 1, -1, 0};
    const struct rs_timer *v[6];
    size_t n = rs_timerq_after(&t->timers, v, 6);

    for (size_t i = 0; i < n && v[i]->at <= upto; i++)
        if (step[i] >= 0)
            rs_cache_prefetch(&t->cache, rs_cache_hash(rs_timer_id(v[i])),
                              step[i]);
}

/* Fires every timer at or before upto, in order. */
static int fire_timers(struct rs_task *t, int64_t upto, char *errstr,
                       size_t errstr_size)
{
    const struct rs_timer *top;

    if (load_timers(t, upto, errstr, errstr_size))
        return -1;
    while ((top = rs_timerq_peek(&t->timers)) && top->at <= upto) {
        int64_t at = top->at;
        char id[RS_ID_MAX]; /* the pop below takes the entry's */
        struct rs_customer *c;
        struct trigger tr = {NULL, at, 0, 0};

        rs_strcpy_cut(id, sizeof(id), rs_timer_id(top));
        hint_timers(t, upto);
        /* A customer not resident: load it with the next due ones, in
         * firing order, in one batch (a small cache holds a batch at a
         * time). */
        c = rs_cache_get(&t->cache, id);
        if (!c && rs_store_can_load_many(t->store) &&
            prefetch_due(t, upto, 2, SIZE_MAX, errstr, errstr_size))
            return -1;
        rs_timerq_pop(&t->timers);
        if (!c || c->absent)
            c = customer_get(t, id, errstr, errstr_size);
        if (!c)
            return -1;
        if (c->next_timer != at)
            continue; /* stale: the customer's timer moved */
        if (at > t->stream_time)
            t->stream_time = at;
        t->stats.timers_fired++;
        evaluate(t, c, &tr, at);
    }
    return 0;
}

enum rs_apply_result rs_task_apply(struct rs_task *t, const struct rs_event *ev,
                                   char *errstr, size_t errstr_size)
{
    struct rs_customer *c;
    struct trigger tr = {ev, ev->event_time, 0, 0};
    uint32_t settled_before, parts;
    int group = ev->kind == RS_EVENT_BUREAU &&
                (ev->type == RS_BUREAU_OWNERSHIP_LINK ||
                 ev->type == RS_BUREAU_GROUP_RELAY);
    /* A relay comes back through Kafka after the events that caused it:
     * it is never late, it applies when it arrives. */
    int late = t->stream_time != INT64_MIN &&
               ev->event_time < t->stream_time - t->p->lateness_ms &&
               !(ev->kind == RS_EVENT_BUREAU &&
                 ev->type == RS_BUREAU_GROUP_RELAY);
    struct group_before gb;

    if (late && (ev->kind == RS_EVENT_COMM || ev->kind == RS_EVENT_BUREAU)) {
        snprintf(errstr, errstr_size,
                 "event time %" PRId64 " is %" PRId64
                 " ms behind stream time %" PRId64
                 " (allowed lateness %" PRId64 " ms); %s events that late "
                 "are not applied",
                 ev->event_time, t->stream_time - ev->event_time,
                 t->stream_time, t->p->lateness_ms,
                 rs_event_kind_name(ev->kind));
        return RS_APPLY_LATE;
    }
    if (fire_timers(t, ev->event_time, errstr, errstr_size))
        return RS_APPLY_ERROR;
    if (ev->event_time > t->stream_time)
        t->stream_time = ev->event_time;
    c = customer_get(t, ev->customer_id, errstr, errstr_size);
    if (!c)
        return RS_APPLY_ERROR;
    if (rs_customer_seen(c, ev->event_id)) {
        /* A producer retry or a replay upstream: counted in the customer's
         * state and the task's stats, not applied twice. */
        t->stats.duplicates++;
        rs_cache_mark_dirty(&t->cache, c);
        rs_log_debug("engine", "task %d customer '%s': event '%s' (%s %d/%"
                     PRId64 ") is a duplicate, not applied",
                     t->id, c->id, ev->event_id, rs_event_kind_name(ev->kind),
                     (int)ev->partition, ev->offset);
        return RS_APPLY_OK;
    }
    if (late) {
        /* Invoices and payments are applied however late: balances must
         * be complete. They are counted. */
        c->late_events++;
        t->stats.late_applied++;
    }
    settled_before = c->settled_total;
    if (group)
        group_note(c, ev, &gb);
    parts = rs_customer_apply(c, ev);
    if (group)
        group_after(t, c, ev, &gb);
    if (ev->kind == RS_EVENT_BUREAU && ev->type == RS_BUREAU_GROUP_RELAY)
        tr.moved |= 1u << RS_GROUP_DETECTOR_ID; /* its state is c->group */
    if (c->segment[0] && c->settled_total != settled_before)
        count_settlements(t, c, settled_before);
    for (const struct rs_detector *const *d = t->observers[ev->kind]; *d;
         d++) {
        const struct rs_dstate *before;
        struct rs_dstate st;

        before = rs_customer_dstate(c, (*d)->id);
        st = *before;
        (*d)->observe(t->p->detectors.v[(*d)->id], c, &st, ev);
        if (memcmp(before, &st, sizeof(st)) != 0) {
            rs_customer_dstate_set(c, (*d)->id, &st);
            tr.moved |= 1u << (*d)->id;
        }
    }
    tr.concern = tr.moved | t->kind_detectors[ev->kind];
    for (uint32_t m = parts; m; m &= m - 1)
        tr.concern |= t->part_readers[__builtin_ctz(m)];
    t->stats.events++;
    evaluate(t, c, &tr, t->stream_time);
    return RS_APPLY_OK;
}

void rs_task_deadletter(struct rs_task *t, const struct rs_deadletter *dl)
{
    rs_buf_reset(&t->scratch);
    rs_encode_deadletter(dl, t->p->deadletter_schema_id, &t->scratch);
    outbox_add(&t->pending, RS_OUTBOX_DEADLETTER, dl->key, dl->key_len,
               t->scratch.data, t->scratch.len);
    t->stats.deadletters[dl->error_class]++;
}

int rs_task_has_changes(const struct rs_task *t)
{
    return t->cache.dirty_count || t->pending.count ||
           memcmp(t->offsets, t->flushed, sizeof(t->offsets)) != 0 ||
           t->stream_time != t->flushed_stream_time;
}

int rs_task_wants_flush(const struct rs_task *t)
{
    return t->cache.dirty_count > t->cache.max;
}

const struct rs_flush *rs_task_flush_begin(struct rs_task *t)
{
    struct rs_flush *f = &t->flush;
    struct rs_customer *const *dirty;
    size_t n;

    if (!rs_task_has_changes(t))
        return NULL;
    rs_cache_flush_begin(&t->cache);
    dirty = t->cache.flushing;
    n = t->cache.flushing_count;
    rs_grow((void **)&t->flush_customers, &t->flush_cap, n ? n : 1,
            sizeof(*t->flush_customers));
    rs_buf_reset(&t->flush_packed);
    for (size_t i = 0; i < n && i < PACK_AHEAD; i++)
        rs_customer_prefetch_pack(dirty[i], 0);
    /* Packed first, pointed at after: until then the pointers hold
     * offsets into flush_packed, which moves as it grows. */
    for (size_t i = 0, nc = 0; i < n; i++) {
        struct rs_flush_customer *fc = &t->flush_customers[i];
        struct rs_pack_plan plan;
        size_t start = t->flush_packed.len;

        /* Packing waits on memory: the customers ahead are loaded
         * meanwhile, themselves eight ahead, what they point at four. */
        if (i + PACK_AHEAD < n)
            rs_customer_prefetch_pack(dirty[i + PACK_AHEAD], 0);
        if (i + PACK_AHEAD / 2 < n)
            rs_customer_prefetch_pack(dirty[i + PACK_AHEAD / 2], 1);
        rs_customer_pack_head(dirty[i], &t->flush_packed, &plan);
        fc->packed = (const uint8_t *)(uintptr_t)start;
        fc->packed_len = t->flush_packed.len - start;
        fc->chunk_count = (size_t)__builtin_popcountll(plan.write);
        fc->drop_from = plan.drop_from;
        fc->drop_to = plan.drop_to;
        rs_grow((void **)&t->flush_chunks, &t->flush_chunks_cap,
                nc + fc->chunk_count + 1, sizeof(*t->flush_chunks));
        if (plan.write) {
            size_t ends[RS_CUSTOMER_CHUNKS_MAX];

            start = t->flush_packed.len; /* the chunks follow the head */
            rs_customer_pack_chunks(dirty[i], plan.write, &t->flush_packed,
                                    ends);
            for (uint64_t m = plan.write, j = 0; m; m &= m - 1, j++, nc++) {
                struct rs_flush_chunk *ch = &t->flush_chunks[nc];

                ch->no = (uint32_t)__builtin_ctzll(m);
                ch->data = (const uint8_t *)(uintptr_t)start;
                ch->len = ends[j] - start;
                start = ends[j];
            }
        }
    }
    for (size_t i = 0, nc = 0; i < n; i++) {
        const struct rs_customer *c = dirty[i];
        struct rs_flush_customer *fc = &t->flush_customers[i];

        /* The id stays put: a flushing customer is not evicted. */
        fc->id = c->id;
        fc->packed = t->flush_packed.data + (uintptr_t)fc->packed;
        fc->chunks = fc->chunk_count ? &t->flush_chunks[nc] : NULL;
        for (size_t k = 0; k < fc->chunk_count; k++, nc++)
            t->flush_chunks[nc].data =
                t->flush_packed.data + (uintptr_t)t->flush_chunks[nc].data;
        if (t->store->summaries)
            rs_customer_summary(c, c->evaluated_at, &fc->summary);
        fc->next_timer = c->next_timer;
        fc->timer_unchanged = c->next_timer == c->stored_timer;
        fc->stored_timer = c->stored_timer;
        dirty[i]->stored_timer = c->next_timer;
    }
    /* The timers set beyond the horizon go with this flush. */
    {
        struct rs_timers tmp = t->later_inflight;

        rs_timers_clear(&tmp);
        t->later_inflight = t->later;
        t->later = tmp;
    }
    /* The pending outbox becomes the in-flight one (emptied by the last
     * commit), and gathers the records made from now on. */
    {
        struct outbox tmp = t->inflight;

        outbox_clear(&t->inflight);
        t->inflight = t->pending;
        t->pending = tmp;
        outbox_seal(&t->inflight);
    }
    memset(f, 0, sizeof(*f));
    f->epoch = t->epoch;
    f->customers = t->flush_customers;
    f->customer_count = n;
    memcpy(f->offsets, t->offsets, sizeof(f->offsets));
    f->has_prev = t->has_flushed;
    memcpy(f->prev_offsets, t->flushed, sizeof(f->prev_offsets));
    f->stream_time = t->stream_time;
    {
        /* Every stored timer up to the horizon came into the queue;
         * those before its top have come up (fired, or found stale). */
        const struct rs_timer *top = rs_timerq_peek(&t->timers);
        int64_t before = t->horizon == INT64_MAX ? INT64_MAX
                                                 : t->horizon + 1;

        if (top && top->at < before)
            before = top->at;
        f->has_fired_before = t->horizon != INT64_MIN;
        f->timers_fired_before = before;
    }
    f->outbox = t->inflight.v;
    f->outbox_count = t->inflight.count;
    memcpy(t->flushed, t->offsets, sizeof(t->flushed));
    t->flushed_stream_time = t->stream_time;
    t->has_flushed = 1;
    t->stats.flushes++;
    t->stats.customers_flushed += n;
    return f;
}

void rs_task_flush_end(struct rs_task *t)
{
    rs_cache_flush_end(&t->cache);
    rs_timers_clear(&t->later_inflight);
}

enum rs_store_result rs_task_flush(struct rs_task *t, char *errstr,
                                   size_t errstr_size)
{
    const struct rs_flush *f = rs_task_flush_begin(t);
    enum rs_store_result r;

    if (!f)
        return RS_STORE_OK;
    r = rs_store_flush(t->store, t->id, f, errstr, errstr_size);
    rs_task_flush_end(t);
    return r;
}

/* An empty outbox gives its buffers back. */
static void outbox_trim(struct outbox *o)
{
    if (o->count)
        return;
    free(o->v);
    o->v = NULL;
    o->cap = 0;
    rs_buf_release(&o->data);
}

void rs_task_trim(struct rs_task *t)
{
    outbox_trim(&t->pending);
    outbox_trim(&t->inflight);
    /* A backlog's flushes held tens of thousands of customers each. */
    free(t->flush_customers);
    t->flush_customers = NULL;
    t->flush_cap = 0;
    free(t->flush_chunks);
    t->flush_chunks = NULL;
    t->flush_chunks_cap = 0;
    rs_buf_release(&t->flush_packed); /* empty, as made */
    memset(&t->flush, 0, sizeof(t->flush));
    rs_cache_trim(&t->cache);
}

const struct rs_outbox_entry *rs_task_inflight(const struct rs_task *t,
                                               size_t *count)
{
    *count = t->inflight.count;
    return t->inflight.v;
}

void rs_task_inflight_done(struct rs_task *t)
{
    outbox_clear(&t->inflight);
}

int rs_task_advance(struct rs_task *t, int64_t upto, char *errstr,
                    size_t errstr_size)
{
    if (fire_timers(t, upto, errstr, errstr_size))
        return -1;
    if (upto > t->stream_time)
        t->stream_time = upto;
    return 0;
}

int rs_task_findings(struct rs_task *t, const char *customer,
                     struct rs_finding *out, int max, int32_t *score)
{
    char errstr[256];
    struct rs_customer *c = customer_lookup(t, customer, 0, 0, errstr,
                                            sizeof(errstr));

    if (!c)
        return -1;
    return find(t, c, t->stream_time, 1, out, max, score, NULL,
                t->all_detectors);
}

int rs_task_findings_newcomer(struct rs_task *t, const char *customer,
                              struct rs_finding *out, int max,
                              int32_t *score)
{
    struct rs_customer *c = calloc(1, sizeof(*c));
    int n;

    if (!c)
        return -1;
    rs_customer_init(c, customer);
    c->invoices = 1; /* being invoiced: it has a (blank) payment record */
    n = find(t, c, t->stream_time, 1, out, max, score, NULL,
             t->all_detectors);
    rs_customer_release(c);
    free(c);
    return n;
}

const struct rs_customer *rs_task_customer(struct rs_task *t,
                                           const char *customer)
{
    char errstr[256];

    return customer_lookup(t, customer, 0, 0, errstr, sizeof(errstr));
}

void rs_engine_params_from_config(struct rs_engine_params *params,
                                  const struct rs_config *conf)
{
    params->lateness_ms = conf->lateness_ms;
    params->evaluate_all = (int)conf->evaluate_all;
    params->evaluate_lookahead = (int)conf->evaluate_lookahead;
    params->cache_customers = (size_t)conf->cache_customers;
    params->detectors = conf->detector_params;
    rs_scoring_build(conf, &params->scoring);
}
