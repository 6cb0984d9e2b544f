/* The in-memory state store: Redis store semantics without Redis, for
 * backtests over millions of events and for unit tests.
 *
 * Per task: a hash table of customers (open addressing, linear probing,
 * power-of-two size), a treap of the customers that have a timer ordered
 * by (time, id) like a Redis sorted set, and the meta and outbox. Lookups
 * and timer updates are O(1) and O(log n) expected; a timers query is
 * O(log n + found). Customers are never removed, as in the Redis store.
 *
 * Fencing works as in Redis: rs_store_open_task() bumps the task's epoch
 * and a flush carrying another epoch is refused before it changes
 * anything. A flush cannot fail half-way: everything that can be refused
 * is checked first.
 *
 * A chunked state (customer.h) is kept as Redis keeps it: the head, and
 * each chunk apart; a load puts them together. */
#include "riskstream/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/customer.h"
#include "riskstream/mem.h"
#include "riskstream/outbox.h"

/* Task numbers are Kafka partition numbers; this bounds the task table. */
#define MEM_TASKS_MAX (1 << 20)

struct mem_chunk {
    uint8_t *data; /* NULL: none stored */
    size_t len;
};

struct mem_customer {
    uint64_t hash;
    uint8_t *packed; /* the whole state, or the head of a chunked one */
    size_t packed_len;
    struct mem_chunk *chunks; /* RS_CUSTOMER_CHUNKS_MAX, or NULL: none */
    /* Timer treap node; valid while in_tree. */
    int64_t at;
    int in_tree;
    uint32_t prio;
    struct mem_customer *left, *right;
    size_t id_len;
    char id[]; /* NUL-terminated */
};

struct mem_task {
    uint64_t epoch;
    int has_offsets;
    int64_t offsets[RS_EVENT_KINDS];
    int has_prev;
    int64_t prev_offsets[RS_EVENT_KINDS];
    int64_t stream_time;
    struct rs_outbox_entry *outbox;
    size_t outbox_count;

    struct mem_customer **slots; /* NULL: empty; cap is a power of two */
    size_t slot_cap;
    size_t count;

    struct mem_customer *timers; /* treap root */
    uint64_t rng;
};

struct mem_store {
    struct mem_task **tasks; /* indexed by task number, NULL: never seen */
    size_t task_cap;
    struct rs_buf whole; /* a chunked state put together, for load_many */
};

/* Customers: the hash table. */

static uint64_t hash_id(const char *id, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix */

    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)id[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static struct mem_customer *customer_find(const struct mem_task *t,
                                          const char *id, size_t len,
                                          uint64_t hash)
{
    size_t mask = t->slot_cap - 1;

    if (!t->slot_cap)
        return NULL;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct mem_customer *c = t->slots[i];

        if (!c)
            return NULL;
        if (c->hash == hash && c->id_len == len && memcmp(c->id, id, len) == 0)
            return c;
    }
}

static void slots_put(struct mem_customer **slots, size_t cap,
                      struct mem_customer *c)
{
    size_t mask = cap - 1;
    size_t i = c->hash & mask;

    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = c;
}

static struct mem_customer *customer_add(struct mem_task *t, const char *id,
                                         size_t len, uint64_t hash)
{
    struct mem_customer *c;

    /* Keep the load factor at most 3/4. */
    if ((t->count + 1) * 4 > t->slot_cap * 3) {
        size_t cap = t->slot_cap ? t->slot_cap * 2 : 64;
        struct mem_customer **slots = rs_calloc(cap, sizeof(*slots));

        for (size_t i = 0; i < t->slot_cap; i++) {
            if (t->slots[i])
                slots_put(slots, cap, t->slots[i]);
        }
        free(t->slots);
        t->slots = slots;
        t->slot_cap = cap;
    }
    c = rs_calloc(1, sizeof(*c) + len + 1);
    memcpy(c->id, id, len);
    c->id[len] = '\0';
    c->id_len = len;
    c->hash = hash;
    slots_put(t->slots, t->slot_cap, c);
    t->count++;
    return c;
}

/* Timers: a treap keyed by (at, id), ties ordered by the id's bytes like
 * members of equal score in a Redis sorted set. */

static int timer_cmp(const struct mem_customer *a, const struct mem_customer *b)
{
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c;

    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    c = memcmp(a->id, b->id, n);
    if (c)
        return c;
    return a->id_len < b->id_len ? -1 : a->id_len > b->id_len;
}

/* Splits t into the nodes before key (*l) and after it (*r); key is not
 * in t. */
static void treap_split(struct mem_customer *t, const struct mem_customer *key,
                        struct mem_customer **l, struct mem_customer **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (timer_cmp(t, key) < 0) {
        treap_split(t->right, key, &t->right, r);
        *l = t;
    } else {
        treap_split(t->left, key, l, &t->left);
        *r = t;
    }
}

/* Joins l and r, every node of l being before every node of r. */
static struct mem_customer *treap_merge(struct mem_customer *l,
                                        struct mem_customer *r)
{
    if (!l)
        return r;
    if (!r)
        return l;
    if (l->prio > r->prio) {
        l->right = treap_merge(l->right, r);
        return l;
    }
    r->left = treap_merge(l, r->left);
    return r;
}

static struct mem_customer *treap_insert(struct mem_customer *t,
                                         struct mem_customer *n)
{
    if (!t)
        return n;
    if (n->prio > t->prio) {
        treap_split(t, n, &n->left, &n->right);
        return n;
    }
    if (timer_cmp(n, t) < 0)
        t->left = treap_insert(t->left, n);
    else
        t->right = treap_insert(t->right, n);
    return t;
}

static struct mem_customer *treap_erase(struct mem_customer *t,
                                        struct mem_customer *n)
{
    if (t == n)
        return treap_merge(n->left, n->right);
    if (timer_cmp(n, t) < 0)
        t->left = treap_erase(t->left, n);
    else
        t->right = treap_erase(t->right, n);
    return t;
}

static uint32_t task_random(struct mem_task *t)
{
    /* xorshift64*: treap priorities need no more than this. */
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (uint32_t)((t->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static void timer_set(struct mem_task *t, struct mem_customer *c, int64_t at)
{
    if (c->in_tree) {
        if (c->at == at)
            return;
        t->timers = treap_erase(t->timers, c);
        c->in_tree = 0;
    }
    c->left = c->right = NULL;
    if (at == RS_NO_TIMER)
        return;
    c->at = at;
    c->prio = task_random(t);
    c->in_tree = 1;
    t->timers = treap_insert(t->timers, c);
}

struct timer_hit {
    int64_t at;
    const struct mem_customer *c;
};

struct timer_walk {
    int64_t from, to;
    size_t max;
    struct timer_hit *hits;
    size_t count;
    size_t cap;
};

/* Collects, in order, the nodes with from < at <= to, up to max. */
static void timers_collect(const struct mem_customer *t, struct timer_walk *w)
{
    while (t && w->count < w->max) {
        if (t->at <= w->from) {
            t = t->right; /* the left subtree is earlier still */
            continue;
        }
        timers_collect(t->left, w);
        if (w->count >= w->max || t->at > w->to)
            return; /* the right subtree is later still */
        rs_grow((void **)&w->hits, &w->cap, w->count + 1, sizeof(*w->hits));
        w->hits[w->count].at = t->at;
        w->hits[w->count].c = t;
        w->count++;
        t = t->right;
    }
}

/* Tasks. */

static int task_check(int task, const char *what, char *errstr,
                      size_t errstr_size)
{
    if (task >= 0 && task < MEM_TASKS_MAX)
        return 0;
    snprintf(errstr, errstr_size, "%s: task number %d is out of range (0-%d)",
             what, task, MEM_TASKS_MAX - 1);
    return -1;
}

static struct mem_task *task_get(struct mem_store *ms, int task, int create)
{
    struct mem_task *t;
    size_t i = (size_t)task;

    if (i < ms->task_cap && ms->tasks[i])
        return ms->tasks[i];
    if (!create)
        return NULL;
    if (i >= ms->task_cap) {
        size_t old = ms->task_cap;

        rs_grow((void **)&ms->tasks, &ms->task_cap, i + 1,
                sizeof(*ms->tasks));
        memset(ms->tasks + old, 0, (ms->task_cap - old) * sizeof(*ms->tasks));
    }
    t = rs_calloc(1, sizeof(*t));
    t->stream_time = INT64_MIN;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        t->offsets[k] = t->prev_offsets[k] = RS_NO_OFFSET;
    t->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)i;
    ms->tasks[i] = t;
    return t;
}

static void outbox_free(struct rs_outbox_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].value);
    }
    free(v);
}

static struct rs_outbox_entry *outbox_copy(const struct rs_outbox_entry *v,
                                           size_t n)
{
    struct rs_outbox_entry *c = rs_calloc(n, sizeof(*c));

    for (size_t i = 0; i < n; i++)
        rs_outbox_copy(&c[i], &v[i]);
    return c;
}

static void chunks_free(struct mem_customer *c)
{
    if (!c->chunks)
        return;
    for (int k = 0; k < RS_CUSTOMER_CHUNKS_MAX; k++)
        free(c->chunks[k].data);
    free(c->chunks);
    c->chunks = NULL;
}

/* c's state as rs_customer_unpack() reads it, into out: 0, or -1 with
 * errstr (a chunk its head names is missing, or out's cap). */
static int whole_state(int task, const struct mem_customer *c,
                       struct rs_buf *out, char *errstr, size_t errstr_size)
{
    uint32_t n = rs_packed_chunks(c->packed, c->packed_len);
    size_t total = c->packed_len;

    rs_buf_reset(out);
    rs_buf_append(out, c->packed, c->packed_len);
    for (uint32_t k = 0; k < n; k++) {
        const struct mem_chunk *ch = c->chunks ? &c->chunks[k] : NULL;
        size_t before = out->len;

        if (!ch || !ch->data) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot load customer '%s': chunk %u of its %u "
                     "is missing",
                     task, c->id, k, n);
            return -1;
        }
        rs_packed_add_chunk(out, ch->data, ch->len);
        total += out->overflow ? ch->len + 1 : out->len - before;
    }
    if (out->overflow) {
        snprintf(errstr, errstr_size,
                 "task %d: cannot load customer '%s': its state is %s%zu "
                 "bytes, more than the buffer's cap of %zu",
                 task, c->id, n ? "about " : "", total, out->max);
        return -1;
    }
    return 0;
}

/* Stores a flushed chunk, or drops one (data NULL). */
static void chunk_set(struct mem_customer *c, uint32_t k, const uint8_t *data,
                      size_t len)
{
    struct mem_chunk *ch;

    if (k >= RS_CUSTOMER_CHUNKS_MAX || (!data && !c->chunks))
        return;
    if (!c->chunks)
        c->chunks = rs_calloc(RS_CUSTOMER_CHUNKS_MAX, sizeof(*c->chunks));
    ch = &c->chunks[k];
    free(ch->data);
    ch->data = NULL;
    ch->len = 0;
    if (data) {
        ch->data = rs_malloc(len ? len : 1);
        memcpy(ch->data, data, len);
        ch->len = len;
    }
}

static void task_free(struct mem_task *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->slot_cap; i++) {
        if (t->slots[i]) {
            chunks_free(t->slots[i]);
            free(t->slots[i]->packed);
            free(t->slots[i]);
        }
    }
    free(t->slots);
    outbox_free(t->outbox, t->outbox_count);
    free(t);
}

/* Operations. */

static enum rs_store_result mem_open_task(void *self, int task,
                                          struct rs_task_meta *meta,
                                          char *errstr, size_t errstr_size)
{
    struct mem_task *t;

    memset(meta, 0, sizeof(*meta));
    if (task_check(task, "cannot open task", errstr, errstr_size))
        return RS_STORE_ERROR;
    t = task_get(self, task, 1);
    meta->epoch = ++t->epoch;
    meta->has_offsets = t->has_offsets;
    memcpy(meta->offsets, t->offsets, sizeof(meta->offsets));
    meta->has_prev = t->has_prev;
    memcpy(meta->prev_offsets, t->prev_offsets, sizeof(meta->prev_offsets));
    meta->stream_time = t->stream_time;
    meta->timers_bounded = 1;
    meta->timers_last = INT64_MIN;
    for (const struct mem_customer *c = t->timers; c; c = c->right)
        meta->timers_last = c->at; /* the rightmost is the latest */
    meta->outbox = outbox_copy(t->outbox, t->outbox_count);
    meta->outbox_count = t->outbox_count;
    return RS_STORE_OK;
}

static int mem_load(void *self, int task, const char *customer,
                    struct rs_buf *packed, char *errstr, size_t errstr_size)
{
    struct mem_task *t;
    struct mem_customer *c;
    size_t len = strlen(customer);

    if (task_check(task, "cannot load", errstr, errstr_size))
        return -1;
    t = task_get(self, task, 0);
    c = t ? customer_find(t, customer, len, hash_id(customer, len)) : NULL;
    if (!c)
        return 0;
    return whole_state(task, c, packed, errstr, errstr_size) ? -1 : 1;
}

static long mem_timers(void *self, int task, int64_t from, int64_t to,
                       long max, rs_store_timer_cb cb, void *opaque,
                       char *errstr, size_t errstr_size)
{
    struct mem_task *t;
    struct timer_walk w;

    if (task_check(task, "cannot read timers", errstr, errstr_size))
        return -1;
    t = task_get(self, task, 0);
    if (!t || max <= 0 || from >= to)
        return 0;
    memset(&w, 0, sizeof(w));
    w.from = from;
    w.to = to;
    w.max = (size_t)max;
    timers_collect(t->timers, &w);
    /* Collected first: the callback may call the store. */
    for (size_t i = 0; i < w.count; i++)
        cb(opaque, w.hits[i].c->id, w.hits[i].c->id_len, w.hits[i].at);
    free(w.hits);
    return (long)w.count;
}

static enum rs_store_result mem_flush(void *self, int task,
                                      const struct rs_flush *f, char *errstr,
                                      size_t errstr_size)
{
    struct mem_task *t;

    if (task_check(task, "cannot flush", errstr, errstr_size))
        return RS_STORE_ERROR;
    t = task_get(self, task, 0);
    if (!t || t->epoch != f->epoch) {
        snprintf(errstr, errstr_size,
                 "task %d is fenced: epoch %" PRIu64 " in memory, ours %" PRIu64,
                 task, t ? t->epoch : 0, f->epoch);
        return RS_STORE_FENCED;
    }
    for (size_t i = 0; i < f->outbox_count; i++) {
        if (!rs_outbox_topic_valid(f->outbox[i].topic)) {
            snprintf(errstr, errstr_size,
                     "task %d: cannot flush: outbox record %zu: unknown topic",
                     task, i);
            return RS_STORE_ERROR;
        }
    }

    for (size_t i = 0; i < f->customer_count; i++) {
        const struct rs_flush_customer *fc = &f->customers[i];
        size_t len = strlen(fc->id);
        uint64_t hash = hash_id(fc->id, len);
        struct mem_customer *c = customer_find(t, fc->id, len, hash);

        if (!c)
            c = customer_add(t, fc->id, len, hash);
        c->packed = rs_realloc(c->packed, fc->packed_len);
        if (fc->packed_len)
            memcpy(c->packed, fc->packed, fc->packed_len);
        c->packed_len = fc->packed_len;
        for (uint32_t k = fc->drop_from; k < fc->drop_to; k++)
            chunk_set(c, k, NULL, 0);
        for (size_t k = 0; k < fc->chunk_count; k++)
            chunk_set(c, fc->chunks[k].no, fc->chunks[k].data,
                      fc->chunks[k].len);
        if (!fc->timer_unchanged)
            timer_set(t, c, fc->next_timer);
    }
    t->has_offsets = 1;
    memcpy(t->offsets, f->offsets, sizeof(t->offsets));
    t->stream_time = f->stream_time;
    t->has_prev = f->has_prev;
    for (int k = 0; k < RS_EVENT_KINDS; k++)
        t->prev_offsets[k] = f->has_prev ? f->prev_offsets[k] : RS_NO_OFFSET;
    outbox_free(t->outbox, t->outbox_count);
    t->outbox = outbox_copy(f->outbox, f->outbox_count);
    t->outbox_count = f->outbox_count;
    return RS_STORE_OK;
}

static void mem_destroy(void *self)
{
    struct mem_store *ms = self;

    for (size_t i = 0; i < ms->task_cap; i++)
        task_free(ms->tasks[i]);
    free(ms->tasks);
    rs_buf_release(&ms->whole);
    free(ms);
}

static int mem_load_many(void *self, int task, const char *const *ids,
                         size_t n, rs_store_loaded_cb cb, void *opaque,
                         char *errstr, size_t errstr_size)
{
    struct mem_store *ms = self;
    struct mem_task *t;

    if (task_check(task, "cannot load", errstr, errstr_size))
        return -1;
    t = task_get(self, task, 0);
    for (size_t i = 0; t && i < n; i++) {
        size_t len = strlen(ids[i]);
        struct mem_customer *c =
            customer_find(t, ids[i], len, hash_id(ids[i], len));

        if (!c)
            continue;
        if (!rs_packed_chunks(c->packed, c->packed_len)) {
            cb(opaque, i, c->packed, c->packed_len);
            continue;
        }
        if (whole_state(task, c, &ms->whole, errstr, errstr_size))
            return -1;
        cb(opaque, i, ms->whole.data, ms->whole.len);
    }
    return 0;
}

static const struct rs_store_ops memory_ops = {
    .name = "memory",
    .open_task = mem_open_task,
    .load = mem_load,
    .load_many = mem_load_many,
    .timers = mem_timers,
    .flush = mem_flush,
    .destroy = mem_destroy,
};

struct rs_store *rs_store_memory_new(void)
{
    struct rs_store *s = rs_calloc(1, sizeof(*s));
    struct mem_store *ms = rs_calloc(1, sizeof(*ms));

    rs_buf_init(&ms->whole, 0);
    s->ops = &memory_ops;
    s->self = ms;
    return s;
}
