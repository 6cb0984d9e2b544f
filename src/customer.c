/* Per-customer aggregates, their update rules and packed form (customer.h).
 *
 * Packed form, version 2: a version byte, then fields in a fixed order as
 * zig-zag varints and length-prefixed strings. Only open invoices, the
 * settled ring and the communication kinds that were seen are written, so a
 * quiet customer costs a few dozen bytes. Version 2 appends the corporate
 * group section (one 0 byte for a customer outside any group) and the
 * recent event-id hashes; version 3 the level the last alert announced;
 * version 4 a second byte, the number of chunks the open invoices are kept
 * in (0: inline, as before; else the head has the next arrival number in
 * their place, and the chunks follow it, each a varint length and a count
 * of invoices with their arrival numbers). Version 5 writes the times of
 * the head as differences (zig-zag) from the last event time, written
 * first: the first event time, the settled invoices' due dates (days from
 * its day) and payment dates (days from their due date), the
 * communications' times, the bureau time, the evaluation time, and the
 * next timer and the times a level was reached, each after a byte that
 * says whether there is one; and the recent event-id hashes as a count and
 * four bytes each: a customer of one invoice takes 116 bytes instead of
 * 132, the round-trip test's (ten open and ten settled invoices, eleven
 * reminders) 353 instead of 400. Versions 1 to 4, written before those
 * existed, are still read (the announced level of versions 1 and 2 is
 * taken to be the level); the open invoices, inline or in chunks, are
 * packed as in version 4. */
#include "riskstream/customer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define PACK_VERSION RS_PACK_VERSION
#define PACK_VERSION_SCALARS 6 /* small numbers apart (struct packer) */
#define PACK_VERSION_DELTAS 5  /* times as differences */
#define PACK_VERSION_ABSOLUTE 4 /* times as they are */
#define PACK_VERSION_NO_CHUNKS 3
#define PACK_VERSION_NO_ALERTED 2
#define PACK_VERSION_NO_GROUP 1

static void ids_drop(struct rs_customer *c);

/* Stamps of customer states: never 0, never given twice (rs_open_index). */
static _Atomic uint64_t last_stamp;

static void restamp(struct rs_customer *c)
{
    c->open_stamp = atomic_fetch_add_explicit(&last_stamp, 1,
                                              memory_order_relaxed) + 1;
}

static const char no_segment[] = "";

/* The segment names, one copy each for the whole process: an open
 * addressing table filled under a lock and read without one (a slot, once
 * set, never changes; its string never moves). At most half full. */
#define SEGMENT_NAMES 4096
static _Atomic(const char *) segment_names[SEGMENT_NAMES];
static size_t segment_count;
static pthread_mutex_t segment_lock = PTHREAD_MUTEX_INITIALIZER;

static int segment_is(const char *name, const char *s, size_t n)
{
    return strncmp(name, s, n) == 0 && name[n] == '\0';
}

/* The shared copy of s[0..n), made if new; NULL once the table holds as
 * many names as it may. */
static const char *segment_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t k;
    const char *name;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    for (k = h & (SEGMENT_NAMES - 1);
         (name = atomic_load_explicit(&segment_names[k],
                                      memory_order_acquire)) != NULL;
         k = (k + 1) & (SEGMENT_NAMES - 1))
        if (segment_is(name, s, n))
            return name;
    pthread_mutex_lock(&segment_lock);
    /* Another thread may have added it, or others, since. */
    for (; (name = atomic_load_explicit(&segment_names[k],
                                        memory_order_relaxed)) != NULL;
         k = (k + 1) & (SEGMENT_NAMES - 1))
        if (segment_is(name, s, n))
            break;
    if (!name && segment_count < SEGMENT_NAMES / 2) {
        name = rs_strndup(s, n);
        atomic_store_explicit(&segment_names[k], name, memory_order_release);
        segment_count++;
    }
    pthread_mutex_unlock(&segment_lock);
    return name;
}

static void drop_segment(struct rs_customer *c)
{
    if (c->segment_owned)
        free((char *)(uintptr_t)c->segment);
    c->segment = no_segment;
    c->segment_owned = 0;
}

/* Sets c's segment to s (cut at RS_TEXT_MAX - 1 bytes). */
static void set_segment(struct rs_customer *c, const char *s)
{
    size_t n;
    const char *name;

    /* Nearly every invoice names the segment the customer has: one
     * comparison (the kept name is s cut, as below). */
    if (strncmp(c->segment, s, RS_TEXT_MAX - 1) == 0)
        return;
    n = strnlen(s, RS_TEXT_MAX - 1);
    drop_segment(c);
    if (n == 0)
        return;
    name = segment_name(s, n);
    if (name) {
        c->segment = name;
        return;
    }
    c->segment = rs_strndup(s, n);
    c->segment_owned = 1;
}

void rs_customer_init(struct rs_customer *c, const char *id)
{
    memset(c, 0, sizeof(*c));
    restamp(c);
    rs_strcpy_cut(c->id, sizeof(c->id), id);
    c->segment = no_segment;
    c->level = RS_LEVEL_LOW;
    c->alerted_level = RS_LEVEL_LOW;
    c->next_timer = RS_NO_TIMER;
    c->stored_timer = RS_NO_TIMER;
}

static const struct rs_dstate zero_dstate;
static const struct rs_comm_stat zero_comm;

/* Sparse arrays (detector states, communication counts): one entry per set
 * bit of the mask, in bit order. */

/* Where the entry of bit id is, or goes. */
static uint32_t sparse_index(uint32_t used, int id)
{
    return rs_popcount32(used & ((1u << id) - 1));
}

/* Makes the (zeroed) entry of bit id, which has none, and returns it. The
 * array grows two entries at a time: a customer gains its entries one by
 * one, over its first events. */
static void *sparse_insert(void **v, uint32_t *used, uint32_t *cap,
                           size_t size, int id)
{
    uint32_t i = sparse_index(*used, id);
    uint32_t n = rs_popcount32(*used);
    char *a;

    if (n == *cap) {
        *cap = n + 2;
        *v = rs_realloc(*v, *cap * size);
    }
    a = *v;
    memmove(a + (i + 1) * size, a + i * size, (n - i) * size);
    memset(a + i * size, 0, size);
    *used |= 1u << id;
    return a + i * size;
}

/* Drops the entry of bit id, which has one. */
static void sparse_remove(void *v, uint32_t *used, size_t size, int id)
{
    uint32_t i = sparse_index(*used, id);
    uint32_t n = rs_popcount32(*used);
    char *a = v;

    memmove(a + i * size, a + (i + 1) * size, (n - i - 1) * size);
    *used &= ~(1u << id);
}

const struct rs_comm_stat *rs_customer_comm(const struct rs_customer *c,
                                            int type)
{
    if (!(c->comm_used & (1u << type)))
        return &zero_comm;
    return &c->comm[sparse_index(c->comm_used, type)];
}

/* The entry of type, made (zeroed) when the customer has none yet. */
static struct rs_comm_stat *comm_entry(struct rs_customer *c, int type)
{
    if (c->comm_used & (1u << type))
        return &c->comm[sparse_index(c->comm_used, type)];
    return sparse_insert((void **)&c->comm, &c->comm_used, &c->comm_cap,
                         sizeof(*c->comm), type);
}

const struct rs_dstate *rs_customer_dstate(const struct rs_customer *c,
                                           int id)
{
    if (!(c->dstate_used & (1u << id)))
        return &zero_dstate;
    return &c->dstate[sparse_index(c->dstate_used, id)];
}

void rs_customer_dstate_set(struct rs_customer *c, int id,
                            const struct rs_dstate *s)
{
    int has = (c->dstate_used >> id) & 1;
    struct rs_dstate *e;

    if (memcmp(s, &zero_dstate, sizeof(*s)) == 0) {
        if (has)
            sparse_remove(c->dstate, &c->dstate_used, sizeof(*c->dstate), id);
        return;
    }
    e = has ? &c->dstate[sparse_index(c->dstate_used, id)]
            : sparse_insert((void **)&c->dstate, &c->dstate_used,
                            &c->dstate_cap, sizeof(*c->dstate), id);
    *e = *s;
}

struct rs_dcache *rs_customer_dcache_make(struct rs_customer *c, int id)
{
    struct rs_dcache *e = rs_customer_dcache(c, id);

    if (!e) {
        e = sparse_insert((void **)&c->dcache, &c->dcache_used,
                          &c->dcache_cap, sizeof(*c->dcache), id);
        e->next = RS_NO_TIMER;
    }
    return e;
}

void rs_customer_dcache_drop(struct rs_customer *c, int id)
{
    if (c->dcache_used & (1u << id))
        sparse_remove(c->dcache, &c->dcache_used, sizeof(*c->dcache), id);
}

void rs_customer_release(struct rs_customer *c)
{
    free(c->dcache);
    c->dcache = NULL;
    c->dcache_used = 0;
    c->dcache_cap = 0;
    free(c->comm);
    c->comm = NULL;
    c->comm_used = 0;
    c->comm_cap = 0;
    free(c->dstate);
    c->dstate = NULL;
    c->dstate_used = 0;
    c->dstate_cap = 0;
    if (c->open)
        free(c->open - c->open_head);
    c->open = NULL;
    c->open_count = 0;
    c->open_head = 0;
    c->open_cap = 0;
    free(c->settled);
    c->settled = NULL;
    c->settled_count = 0;
    c->settled_head = 0;
    drop_segment(c);
    ids_drop(c);
    if (c->group) {
        free(c->group->members);
        free(c->group);
        c->group = NULL;
    }
}

/* Room for need open invoices: exactly need the first time (most
 * customers have one or two open at once, and an open invoice takes 160
 * bytes), doubling after that. */
static void open_reserve(struct rs_customer *c, size_t need)
{
    struct rs_open_invoice *base = c->open ? c->open - c->open_head : NULL;

    if (need + c->open_head <= c->open_cap)
        return;
    if (c->open_head && c->open_head >= c->open_count) {
        /* The room freed at the front is at least what is left: moving
         * them there costs no more than the removals that made it. */
        memmove(base, c->open, c->open_count * sizeof(*c->open));
        c->open = base;
        c->open_head = 0;
        if (need <= c->open_cap)
            return;
    }
    if (c->open_cap == 0) {
        c->open = rs_realloc(c->open, need * sizeof(*c->open));
        c->open_cap = need;
        return;
    }
    rs_grow((void **)&base, &c->open_cap, need + c->open_head,
            sizeof(*c->open));
    c->open = base + c->open_head;
}

static uint32_t id_hash(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h;
}

/* Sets the ids of inv (cut to their fields) and what derives from them. */
static void set_ids(struct rs_open_invoice *inv)
{
    inv->id_len = (uint8_t)strlen(inv->invoice_id);
    inv->event_id_len = (uint8_t)strlen(inv->event_id);
    inv->id_hash = id_hash(inv->invoice_id);
}

/* The open-invoice index (customer.h). The entries are the invoices that
 * count as owed, in (due date, position) order; the sums are kept for the
 * first `valid` entries and brought up to date when asked for. */

static void index_reserve(struct rs_open_index *x, uint32_t need)
{
    uint32_t cap = x->cap ? x->cap : 64;

    if (need <= x->cap)
        return;
    while (cap < need)
        cap *= 2;
    x->due_date = rs_realloc(x->due_date, cap * sizeof(*x->due_date));
    x->at = rs_realloc(x->at, cap * sizeof(*x->at));
    x->amt = rs_realloc(x->amt, cap * sizeof(*x->amt));
    x->open = rs_realloc(x->open, (cap + 1) * sizeof(*x->open));
    x->due = rs_realloc(x->due, (cap + 1) * sizeof(*x->due));
    x->open_due = rs_realloc(x->open_due, (cap + 1) * sizeof(*x->open_due));
    x->cap = cap;
}

static void index_free(struct rs_open_index *x)
{
    if (!x)
        return;
    free(x->due_date);
    free(x->at);
    free(x->amt);
    free(x->open);
    free(x->due);
    free(x->open_due);
    free(x);
}

static int counted(const struct rs_open_invoice *inv)
{
    return inv->open > 0 && !inv->disputed;
}

/* Fills x from c's invoices, sums and all. */
static void index_build(const struct rs_customer *c, struct rs_open_index *x)
{
    uint32_t n = 0;

    index_reserve(x, c->open_count + 1);
    x->owed_all = x->disputed = 0;
    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];
        uint32_t j = n;

        if (inv->disputed)
            x->disputed += inv->open;
        if (inv->open > 0)
            x->owed_all += inv->open;
        if (!counted(inv))
            continue;
        /* Insertion by due date, after equal ones: invoices arrive nearly
         * in due order, so this is close to a single pass. */
        while (j > 0 && x->due_date[j - 1] > inv->due_date) {
            x->due_date[j] = x->due_date[j - 1];
            x->at[j] = x->at[j - 1];
            x->amt[j] = x->amt[j - 1];
            j--;
        }
        x->due_date[j] = inv->due_date;
        x->at[j] = i;
        x->amt[j] = inv->open;
        n++;
    }
    x->n = n;
    x->valid = 0;
}

/* Brings the sums up to date, from the compact arrays only (the invoices
 * are 160 bytes apart). */
static void index_sums(struct rs_open_index *x)
{
    if (x->valid == 0) {
        x->open[0] = x->due[0] = 0;
        x->open_due[0] = 0;
    }
    for (uint32_t k = x->valid; k < x->n; k++) {
        x->open[k + 1] = x->open[k] + x->amt[k];
        x->due[k + 1] = x->due[k] + x->due_date[k];
        x->open_due[k + 1] = x->open_due[k] +
                             (double)x->amt[k] * (double)x->due_date[k];
    }
    x->valid = x->n;
}

/* Where invoice i (counted) sits in x: among its due date's entries, by
 * position. With insert set, where it would go. */
static uint32_t index_find(const struct rs_open_index *x, int32_t due,
                           uint32_t i, int insert)
{
    uint32_t k = rs_index_due_before(x, due);

    while (k < x->n && x->due_date[k] == due && x->at[k] < i)
        k++;
    if (!insert && (k == x->n || x->at[k] != i))
        return UINT32_MAX; /* not there: cannot happen */
    return k;
}

/* Adds (sign 1) or takes away (-1) an invoice's part of the totals. */
static void index_totals(struct rs_open_index *x,
                         const struct rs_open_invoice *inv, int64_t sign)
{
    if (inv->disputed)
        x->disputed += sign * inv->open;
    if (inv->open > 0)
        x->owed_all += sign * inv->open;
}

/* Invoice inv changes, comes or goes: its chunk is to be written. */
static void chunk_touch(struct rs_customer *c,
                        const struct rs_open_invoice *inv)
{
    if (c->chunks)
        c->chunk_dirty |= 1ULL << (inv->id_hash & (c->chunks - 1));
}

/* Before invoice i changes (or goes): its part leaves the index. */
static void index_before(struct rs_customer *c, uint32_t i)
{
    struct rs_open_index *x = c->index;
    const struct rs_open_invoice *inv = &c->open[i];
    uint32_t k;

    chunk_touch(c, inv);
    if (!x)
        return;
    index_totals(x, inv, -1);
    if (!counted(inv))
        return;
    k = index_find(x, inv->due_date, i, 0);
    if (k == UINT32_MAX) {
        index_free(c->index); /* out of step: made anew when asked */
        c->index = NULL;
        return;
    }
    memmove(&x->due_date[k], &x->due_date[k + 1],
            (x->n - k - 1) * sizeof(x->due_date[0]));
    memmove(&x->at[k], &x->at[k + 1], (x->n - k - 1) * sizeof(x->at[0]));
    memmove(&x->amt[k], &x->amt[k + 1], (x->n - k - 1) * sizeof(x->amt[0]));
    x->n--;
    if (x->valid > k)
        x->valid = k;
}

/* After invoice i changed (or came): its part enters the index. */
static void index_after(struct rs_customer *c, uint32_t i)
{
    struct rs_open_index *x = c->index;
    const struct rs_open_invoice *inv = &c->open[i];
    uint32_t k;

    chunk_touch(c, inv);
    if (!x)
        return;
    index_totals(x, inv, 1);
    if (!counted(inv))
        return;
    index_reserve(x, x->n + 1);
    k = index_find(x, inv->due_date, i, 1);
    memmove(&x->due_date[k + 1], &x->due_date[k],
            (x->n - k) * sizeof(x->due_date[0]));
    memmove(&x->at[k + 1], &x->at[k], (x->n - k) * sizeof(x->at[0]));
    memmove(&x->amt[k + 1], &x->amt[k], (x->n - k) * sizeof(x->amt[0]));
    x->due_date[k] = inv->due_date;
    x->at[k] = i;
    x->amt[k] = inv->open;
    x->n++;
    if (x->valid > k)
        x->valid = k;
}

/* The id table (open_ids): kept from IDS_MIN open invoices on. Made a
 * quarter full, so that a customer near RS_CUSTOMER_OPEN_MAX with invoices
 * coming and going can delete hundreds before the table is made again; at
 * most half full with deleted slots counted. Fewer invoices are looked up
 * by a pass, which is as fast. */
#define IDS_MIN 32
#define IDS_DELETED UINT16_MAX

static void ids_insert(struct rs_customer *c, uint32_t h, uint32_t pos)
{
    uint32_t mask = c->open_ids_cap - 1, k = h & mask;

    while (c->open_ids[k] != 0 && c->open_ids[k] != IDS_DELETED)
        k = (k + 1) & mask;
    c->open_ids[k] = (uint16_t)(pos + 1);
}

/* Drops the id table and the kept index (few invoices, or release). */
static void ids_drop(struct rs_customer *c)
{
    free(c->open_ids);
    c->open_ids = NULL;
    c->open_ids_cap = c->open_ids_dead = 0;
    index_free(c->index);
    c->index = NULL;
}

/* Makes the table anew for the invoices held (or drops it when few). */
static void ids_rebuild(struct rs_customer *c)
{
    uint32_t cap = 64;

    if (c->open_count < IDS_MIN) {
        ids_drop(c);
        return;
    }
    if (!c->index) {
        c->index = rs_calloc(1, sizeof(*c->index));
        index_build(c, c->index);
    }
    while (cap < 4 * c->open_count)
        cap <<= 1;
    if (cap != c->open_ids_cap) {
        free(c->open_ids);
        c->open_ids = rs_calloc(cap, sizeof(*c->open_ids));
        c->open_ids_cap = cap;
    } else {
        memset(c->open_ids, 0, cap * sizeof(*c->open_ids));
    }
    c->open_ids_dead = 0;
    for (uint32_t i = 0; i < c->open_count; i++)
        ids_insert(c, c->open[i].id_hash, i);
}

/* A hot customer holds hundreds of open invoices, and every invoice and
 * payment looks one up: by the table when there is one, else a pass with
 * the hash compared before the string. The first in arrival order wins
 * (ids are unique among open invoices; a state could hold a repeat). */
static struct rs_open_invoice *find_open(struct rs_customer *c, const char *id)
{
    uint32_t h = id_hash(id);

    if (c->open_ids_cap) {
        uint32_t mask = c->open_ids_cap - 1, best = UINT32_MAX;

        for (uint32_t k = h & mask; c->open_ids[k] != 0; k = (k + 1) & mask) {
            uint32_t pos = (uint32_t)c->open_ids[k] - 1;

            if (c->open_ids[k] == IDS_DELETED || pos >= best)
                continue;
            if (c->open[pos].id_hash == h &&
                strcmp(c->open[pos].invoice_id, id) == 0)
                best = pos;
        }
        return best == UINT32_MAX ? NULL : &c->open[best];
    }
    for (uint32_t i = 0; i < c->open_count; i++)
        if (c->open[i].id_hash == h && strcmp(c->open[i].invoice_id, id) == 0)
            return &c->open[i];
    return NULL;
}

static void settle(struct rs_customer *c, const struct rs_open_invoice *inv,
                   int32_t paid_date)
{
    struct rs_settled *s;

    if (!c->settled)
        c->settled = rs_calloc(RS_CUSTOMER_PAID_RING, sizeof(*c->settled));
    s = &c->settled[c->settled_head];

    s->due_date = inv->due_date;
    s->paid_date = paid_date;
    s->amount = inv->amount;
    c->settled_head = (c->settled_head + 1) % RS_CUSTOMER_PAID_RING;
    c->settled_total++;
    if (c->settled_count < RS_CUSTOMER_PAID_RING)
        c->settled_count++;
}

static void remove_open(struct rs_customer *c, uint32_t i)
{
    int rebuild = 0;

    index_before(c, i);
    if (c->index) { /* the positions after i move down one */
        uint32_t *at = c->index->at, n = c->index->n;

        for (uint32_t k = 0; k < n; k++)
            at[k] -= at[k] > i;
    }
    if (c->open_ids_cap) {
        /* Its slot is deleted; the positions after it move down one. */
        uint32_t mask = c->open_ids_cap - 1, k = c->open[i].id_hash & mask;

        while (c->open_ids[k] != 0 && c->open_ids[k] != (uint16_t)(i + 1))
            k = (k + 1) & mask;
        if (c->open_ids[k] == 0) {
            rebuild = 1; /* not where it belongs: cannot happen; remade */
        } else {
            c->open_ids[k] = IDS_DELETED;
            c->open_ids_dead++;
        }
        /* Without branches, so that the compiler vectorises it: a busy
         * customer's table has thousands of slots. */
        uint16_t *ids = c->open_ids;
        uint32_t cap = c->open_ids_cap;
        uint16_t after = (uint16_t)(i + 1);

        for (uint32_t j = 0; j < cap; j++)
            ids[j] = (uint16_t)(ids[j] - (ids[j] > after &&
                                           ids[j] != IDS_DELETED));
    }
    if (i == 0 && c->open_count > 1) { /* the oldest: most often paid */
        c->open++;
        c->open_head++;
    } else {
        memmove(&c->open[i], &c->open[i + 1],
                (c->open_count - i - 1) * sizeof(c->open[0]));
    }
    c->open_count--;
    if (c->open_ids_cap &&
        (rebuild || c->open_count < IDS_MIN / 2 ||
         c->open_ids_dead > c->open_ids_cap / 4))
        ids_rebuild(c);
}

/* Pays `amount` on invoice i; settles and removes it when nothing is left.
 * Returns what was not needed. */
static int64_t pay_invoice(struct rs_customer *c, uint32_t i, int64_t amount,
                           int32_t paid_date)
{
    struct rs_open_invoice *inv = &c->open[i];
    int64_t used = amount < inv->open ? amount : inv->open;

    index_before(c, i);
    inv->open -= used;
    index_after(c, i);
    if (inv->open == 0) {
        settle(c, inv, paid_date);
        remove_open(c, i);
    }
    return amount - used;
}

/* Applies the credit to open invoices, oldest due first. */
static void apply_credit(struct rs_customer *c, int32_t date)
{
    while (c->credit > 0 && c->open_count > 0) {
        uint32_t oldest = 0;

        for (uint32_t i = 1; i < c->open_count; i++)
            if (c->open[i].due_date < c->open[oldest].due_date)
                oldest = i;
        c->credit = pay_invoice(c, oldest, c->credit, date);
    }
}

static void add_open(struct rs_customer *c, const struct rs_event *ev,
                     const char *invoice_id, int64_t amount, int32_t issue,
                     int32_t due)
{
    struct rs_open_invoice *inv;

    if (c->open_count == RS_CUSTOMER_OPEN_MAX) {
        c->open_dropped++;
        return;
    }
    if (c->next_seq == UINT32_MAX) { /* numbered anew, every chunk written */
        for (uint32_t i = 0; i < c->open_count; i++)
            c->open[i].seq = i;
        c->next_seq = c->open_count;
        c->chunk_dirty = ~0ULL;
    }
    open_reserve(c, c->open_count + 1);
    inv = &c->open[c->open_count++];
    memset(inv, 0, sizeof(*inv));
    rs_strcpy_cut(inv->invoice_id, sizeof(inv->invoice_id), invoice_id);
    rs_strcpy_cut(inv->event_id, sizeof(inv->event_id), ev->event_id);
    set_ids(inv);
    inv->seq = c->next_seq++;
    inv->amount = amount;
    inv->open = amount;
    inv->issue_date = issue;
    inv->due_date = due;
    index_after(c, c->open_count - 1);
    if (c->open_ids_cap &&
        2 * (c->open_count + c->open_ids_dead) <= c->open_ids_cap)
        ids_insert(c, inv->id_hash, c->open_count - 1);
    else if (c->open_count >= IDS_MIN)
        ids_rebuild(c);
}

static void apply_invoice(struct rs_customer *c, const struct rs_event *ev)
{
    const struct rs_invoice *in = &ev->u.inv;
    struct rs_open_invoice *inv;

    switch (ev->type) {
    case RS_INVOICE_ISSUED:
        c->invoices++;
        if (ev->has & RS_INV_HAS_SEGMENT)
            set_segment(c, in->segment);
        rs_strcpy_cut(c->currency, sizeof(c->currency), in->currency);
        if (find_open(c, in->invoice_id))
            return; /* a duplicate of an invoice we hold */
        add_open(c, ev, in->invoice_id, in->amount, in->issue_date,
                 in->due_date);
        apply_credit(c, rs_day_of(ev->event_time));
        return;
    case RS_INVOICE_CREDITED: {
        const char *target = (ev->has & RS_INV_HAS_CREDITED_INVOICE_ID)
                                 ? in->credited_invoice_id
                                 : NULL;

        inv = target ? find_open(c, target) : NULL;
        if (!inv) {
            c->credit += in->amount; /* a credit note for nothing open */
            apply_credit(c, rs_day_of(ev->event_time));
            return;
        }
        inv->amount -= in->amount < inv->amount ? in->amount : inv->amount;
        if (in->amount >= inv->open) {
            c->credit += in->amount - inv->open;
            remove_open(c, (uint32_t)(inv - c->open));
            apply_credit(c, rs_day_of(ev->event_time));
        } else {
            index_before(c, (uint32_t)(inv - c->open));
            inv->open -= in->amount;
            index_after(c, (uint32_t)(inv - c->open));
        }
        return;
    }
    case RS_INVOICE_CANCELLED:
        inv = find_open(c, in->invoice_id);
        if (inv)
            remove_open(c, (uint32_t)(inv - c->open));
        return;
    default:
        return;
    }
}

static void apply_payment(struct rs_customer *c, const struct rs_event *ev)
{
    const struct rs_payment *p = &ev->u.pay;
    struct rs_open_invoice *inv =
        (ev->has & RS_PAY_HAS_INVOICE_ID) ? find_open(c, p->invoice_id) : NULL;

    switch (ev->type) {
    case RS_PAYMENT_FULL:
    case RS_PAYMENT_PARTIAL:
        c->payments++;
        if (ev->type == RS_PAYMENT_PARTIAL)
            c->partial_payments++;
        if (inv)
            c->credit += pay_invoice(c, (uint32_t)(inv - c->open), p->amount,
                                     p->payment_date);
        else
            c->credit += p->amount;
        apply_credit(c, p->payment_date);
        return;
    case RS_PAYMENT_REVERSAL:
        if (inv) {
            index_before(c, (uint32_t)(inv - c->open));
            inv->open += p->amount;
            index_after(c, (uint32_t)(inv - c->open));
            if (inv->open > inv->amount)
                inv->amount = inv->open;
        } else if (c->credit >= p->amount) {
            c->credit -= p->amount;
        } else {
            int64_t owed = p->amount - c->credit;

            c->credit = 0;
            add_open(c, ev,
                     (ev->has & RS_PAY_HAS_INVOICE_ID) ? p->invoice_id
                                                       : p->payment_id,
                     owed, p->payment_date, p->payment_date);
        }
        return;
    case RS_PAYMENT_FAILED_DIRECT_DEBIT:
        c->failed_debits++;
        return;
    default:
        return;
    }
}

/* Returns the parts it changed: the communications, and the open
 * invoices when a dispute opens or closes on one of them. */
static uint32_t apply_comm(struct rs_customer *c, const struct rs_event *ev)
{
    struct rs_comm_stat *s;

    if (ev->type < 0 || ev->type >= RS_COMM_TYPES)
        return 0;
    s = comm_entry(c, ev->type);
    s->count++;
    s->head = (s->head + RS_CUSTOMER_COMM_RING - 1) % RS_CUSTOMER_COMM_RING;
    s->recent[s->head] = ev->event_time;
    if (ev->has & RS_COM_HAS_INVOICE_ID) {
        struct rs_open_invoice *inv = find_open(c, ev->u.com.invoice_id);

        if (inv && (ev->type == RS_COMM_DISPUTE_OPENED ||
                    ev->type == RS_COMM_DISPUTE_RESOLVED)) {
            index_before(c, (uint32_t)(inv - c->open));
            inv->disputed = ev->type == RS_COMM_DISPUTE_OPENED;
            index_after(c, (uint32_t)(inv - c->open));
            return RS_PART_COMM | RS_PART_OPEN;
        }
    }
    return RS_PART_COMM;
}

static void apply_bureau(struct rs_customer *c, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;

    if (ev->type == RS_BUREAU_SCORE_UPDATE && (ev->has & RS_BUR_HAS_NEW_SCORE)) {
        c->bureau_score_prev = c->has_bureau_score
                                   ? c->bureau_score
                                   : ((ev->has & RS_BUR_HAS_OLD_SCORE)
                                          ? b->old_score
                                          : b->new_score);
        c->bureau_score = b->new_score;
        c->bureau_score_max = (ev->has & RS_BUR_HAS_SCORE_MAX) ? b->score_max
                                                                : 100;
        c->bureau_time = ev->event_time;
        c->has_bureau_score = 1;
    }
}

int rs_customer_seen(struct rs_customer *c, const char *event_id)
{
    uint32_t h = 2166136261u;

    for (const char *p = event_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    if (!h)
        h = 1;
    for (int i = 0; i < RS_CUSTOMER_ID_RING; i++)
        if (c->recent_ids[i] == h) {
            c->duplicates++;
            return 1;
        }
    c->recent_head = (c->recent_head + RS_CUSTOMER_ID_RING - 1) %
                     RS_CUSTOMER_ID_RING;
    c->recent_ids[c->recent_head] = h;
    return 0;
}

static const struct rs_group no_group = {.parent_level = -1,
                                         .own_level = -1};

const struct rs_group *rs_customer_group(const struct rs_customer *c)
{
    return c->group ? c->group : &no_group;
}

struct rs_group *rs_customer_group_make(struct rs_customer *c)
{
    if (!c->group) {
        c->group = rs_malloc(sizeof(*c->group));
        *c->group = no_group;
    }
    return c->group;
}

struct rs_group_member *rs_customer_member(struct rs_customer *c,
                                           const char *id)
{
    struct rs_group *g = c->group;

    for (uint32_t i = 0; g && i < g->member_count; i++)
        if (strcmp(g->members[i].id, id) == 0)
            return &g->members[i];
    return NULL;
}

/* An ownership link names the parent; an older link than the latest one
 * applied says nothing new. */
static void apply_link(struct rs_customer *c, const struct rs_event *ev)
{
    struct rs_group *g = rs_customer_group_make(c);

    if (g->linked_at && ev->event_time < g->linked_at)
        return;
    g->linked_at = ev->event_time;
    if (ev->has & RS_BUR_HAS_PARENT_CUSTOMER_ID &&
        strcmp(ev->u.bur.parent_customer_id, c->id) != 0) {
        if (strcmp(g->parent, ev->u.bur.parent_customer_id) == 0)
            return;
        snprintf(g->parent, sizeof(g->parent), "%s",
                 ev->u.bur.parent_customer_id);
    } else {
        g->parent[0] = '\0';
    }
    g->parent_level = -1; /* until the new parent relays its level */
    g->parent_score = 0;
    g->parent_since = 0;
}

/* A relay from a company of the group (parent or member; sisters are the
 * group detector's). A relay older than what is known is ignored: relays
 * of one sender reach a receiver in order, but a relay of an old parent
 * may still arrive after a new link. */
static void apply_relay(struct rs_customer *c, const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    struct rs_group *g = rs_customer_group_make(c);
    struct rs_group_member *m;

    if (b->group_role == RS_GROUP_PARENT) {
        if (strcmp(g->parent, b->related_customer_id) != 0 ||
            ev->event_time < g->parent_since)
            return;
        g->parent_level = b->related_level;
        g->parent_score =
            (ev->has & RS_BUR_HAS_RELATED_SCORE) ? b->related_score : 0;
        g->parent_since = ev->event_time;
        return;
    }
    if (b->group_role != RS_GROUP_MEMBER)
        return;
    m = rs_customer_member(c, b->related_customer_id);
    if (b->related_level < 0) { /* it left the group */
        if (m) {
            *m = g->members[--g->member_count];
        }
        return;
    }
    if (!m) {
        if (g->member_count >= RS_CUSTOMER_MEMBERS_MAX) {
            g->members_dropped++;
            return;
        }
        rs_grow((void **)&g->members, &g->member_cap, g->member_count + 1,
                sizeof(*g->members));
        m = &g->members[g->member_count++];
        memset(m, 0, sizeof(*m));
        snprintf(m->id, sizeof(m->id), "%s", b->related_customer_id);
    } else if (ev->event_time < m->since) {
        return;
    }
    m->level = b->related_level;
    m->score = (ev->has & RS_BUR_HAS_RELATED_SCORE) ? b->related_score : 0;
    m->since = ev->event_time;
}

uint32_t rs_customer_apply(struct rs_customer *c, const struct rs_event *ev)
{
    uint32_t parts = 0;

    if (ev->kind == RS_EVENT_BUREAU && ev->type == RS_BUREAU_GROUP_RELAY) {
        /* Not the customer's own activity: times stay as they are. */
        apply_relay(c, ev);
        return RS_PART_GROUP;
    }
    if (ev->kind == RS_EVENT_BUREAU && ev->type == RS_BUREAU_OWNERSHIP_LINK) {
        apply_link(c, ev);
        parts |= RS_PART_GROUP;
    }
    if (c->first_event_time == 0 || ev->event_time < c->first_event_time) {
        c->first_event_time = ev->event_time;
        parts |= RS_PART_FIRST_SEEN;
    }
    if (ev->event_time > c->last_event_time) {
        c->last_event_time = ev->event_time;
        parts |= RS_PART_LAST_SEEN;
    }
    switch (ev->kind) {
    case RS_EVENT_INVOICE:
        apply_invoice(c, ev);
        parts |= RS_PART_OPEN | RS_PART_SETTLED | RS_PART_COUNTS |
                 RS_PART_PROFILE;
        break;
    case RS_EVENT_PAYMENT:
        apply_payment(c, ev);
        parts |= RS_PART_OPEN | RS_PART_SETTLED | RS_PART_COUNTS;
        break;
    case RS_EVENT_COMM:
        parts |= apply_comm(c, ev);
        break;
    case RS_EVENT_BUREAU:
        apply_bureau(c, ev);
        parts |= RS_PART_BUREAU;
        break;
    default:
        parts = RS_PART_ALL;
    }
    /* An index made from the open invoices before (rs_customer_index) is
     * not valid any more: only then, so that after a reminder the next
     * questions still find it. */
    if (parts & RS_PART_OPEN)
        restamp(c);
    return parts;
}

void rs_customer_summary(const struct rs_customer *c, int64_t now,
                         struct rs_summary *out)
{
    int32_t today = rs_day_of(now);
    double weighted = 0;

    memset(out, 0, sizeof(*out));
    out->level = c->level;
    out->score = c->score;
    out->last_event_time = c->last_event_time;
    for (uint32_t i = 0; i < c->open_count; i++) {
        const struct rs_open_invoice *inv = &c->open[i];

        out->open_amount += inv->open;
        if (today > inv->due_date && !inv->disputed) {
            out->overdue_amount += inv->open;
            weighted += (double)inv->open * (today - inv->due_date);
        }
    }
    out->days_beyond_terms =
        out->overdue_amount ? weighted / (double)out->overdue_amount : 0.0;
}

/* Packing. */

/* Packing writes through a cursor: each field goes straight into the
 * buffer's room after one check (the buffer grows, rarely, when a field
 * does not fit; it is reused from one customer to the next). A buffer
 * whose cap refuses to grow takes nothing more and has overflow set, as
 * rs_buf_append() does: the bytes then go to a sink, and the caller checks
 * overflow once. pk_end() hands the bytes to the buffer. */
/* Version 6 writes the small numbers of a state (counts, flags, levels,
 * most of them 0) apart, right after the version and chunk bytes: a mask
 * of those that are not 0, then their values. A customer seen once thus
 * packs to about 100 bytes instead of 120, under the 108 that fit Redis's
 * 112-byte allocation class (docs/performance.md, fourteenth round). */
#define PACK_SCALARS 28

struct packer {
    struct rs_buf *b;
    uint8_t *o;   /* where the next byte goes */
    uint8_t *end; /* the room ends here (the NUL's byte is kept) */
    int sinking;
    uint8_t sink[16];
    int nsc; /* the small numbers put so far, kept in sc */
    int64_t sc[PACK_SCALARS];
};

#define PK_SLACK 256 /* grown by this much more than asked */

/* The end of the room: the buffer's capacity, less the NUL's byte, or its
 * cap when that comes first. */
static uint8_t *pk_room_end(const struct rs_buf *b)
{
    size_t n = b->cap - 1;

    if (b->max && b->max < n)
        n = b->max;
    return b->data + n;
}

static void pk_grow(struct packer *w, size_t n)
{
    struct rs_buf *b = w->b;
    size_t want = n + PK_SLACK;

    if (!w->sinking) {
        b->len = (size_t)(w->o - b->data);
        if (b->max && want > b->max - b->len)
            want = n; /* as much as the cap allows */
        if (rs_buf_reserve(b, want) == 0) {
            w->o = b->data + b->len;
            w->end = pk_room_end(b);
            return;
        }
        w->sinking = 1; /* rs_buf_reserve set overflow */
        b->data[b->len] = '\0';
    }
    w->o = w->sink;
    w->end = w->sink + sizeof(w->sink);
}

static void pk_begin(struct packer *w, struct rs_buf *b)
{
    w->b = b;
    w->sinking = b->overflow ||
                 (!b->data &&
                  rs_buf_reserve(b, b->max && b->max < PK_SLACK ? b->max
                                                                : PK_SLACK));
    if (w->sinking) {
        w->o = w->sink;
        w->end = w->sink + sizeof(w->sink);
        return;
    }
    w->o = b->data + b->len;
    w->end = pk_room_end(b);
}

/* The bytes written so far (for offsets into the buffer). */
static size_t pk_len(const struct packer *w)
{
    return w->sinking ? w->b->len : (size_t)(w->o - w->b->data);
}

static void pk_end(struct packer *w)
{
    if (w->sinking)
        return;
    w->b->len = (size_t)(w->o - w->b->data);
    w->b->data[w->b->len] = '\0';
}

static uint8_t *varint_to(uint8_t *o, uint64_t z)
{
    while (z >= 0x80) {
        *o++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *o++ = (uint8_t)z;
    return o;
}

static void put_raw(struct packer *w, const void *s, size_t n);

/* One of the small numbers (version 6): kept until pk_scalars(). */
static void put_scalar(struct packer *w, int64_t v)
{
    if (w->nsc < PACK_SCALARS)
        w->sc[w->nsc] = v;
    w->nsc++;
}

static void put_varint(struct packer *w, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

    if (w->end - w->o >= 10) {
        w->o = varint_to(w->o, z);
    } else { /* near the end of the room, or of the cap: exactly */
        uint8_t tmp[10];

        put_raw(w, tmp, (size_t)(varint_to(tmp, z) - tmp));
    }
}

static void put_raw(struct packer *w, const void *s, size_t n)
{
    if ((size_t)(w->end - w->o) < n)
        pk_grow(w, n);
    if (w->sinking || !n)
        return;
    memcpy(w->o, s, n);
    w->o += n;
}

static void put_bytes(struct packer *w, const char *s, size_t n)
{
    put_varint(w, (int64_t)n);
    put_raw(w, s, n);
}

static void put_str(struct packer *w, const char *s)
{
    put_bytes(w, s, strlen(s));
}

/* v as its difference from base (wrapping, so that any value is safe). */
static void put_delta(struct packer *w, int64_t base, int64_t v)
{
    put_varint(w, (int64_t)((uint64_t)v - (uint64_t)base));
}

/* Puts the small numbers kept since the body began at start (after the
 * version and chunk bytes) in front of it: the mask of those not 0, then
 * their values. */
static void pk_scalars(struct packer *w, size_t start)
{
    uint8_t blk[10 + 10 * PACK_SCALARS], *o = blk;
    uint64_t mask = 0;
    size_t n, len;

    for (int i = 0; i < w->nsc && i < PACK_SCALARS; i++)
        if (w->sc[i])
            mask |= 1ULL << i;
    o = varint_to(o, mask);
    for (int i = 0; i < w->nsc && i < PACK_SCALARS; i++)
        if (w->sc[i])
            o = varint_to(o, ((uint64_t)w->sc[i] << 1) ^
                                 (uint64_t)(w->sc[i] >> 63));
    n = (size_t)(o - blk);
    put_raw(w, blk, n);
    if (w->sinking)
        return;
    len = (size_t)(w->o - w->b->data);
    memmove(w->b->data + start + n, w->b->data + start, len - n - start);
    memcpy(w->b->data + start, blk, n);
}

struct reader {
    const uint8_t *p, *end;
    int bad;
    /* Version 6: the small numbers read up front, and the next one. */
    int v6;
    int next_sc;
    uint64_t sc_mask;
    int64_t sc[PACK_SCALARS];
};

static int64_t get_varint(struct reader *r)
{
    uint64_t z = 0;
    int shift = 0;

    while (!r->bad) {
        if (r->p == r->end || shift > 63) {
            r->bad = 1;
            break;
        }
        z |= (uint64_t)(*r->p & 0x7f) << shift;
        if (!(*r->p++ & 0x80))
            return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
        shift += 7;
    }
    return 0;
}

/* One of the small numbers: from those read up front (version 6), or
 * next in the stream (before). */
static int64_t get_scalar(struct reader *r)
{
    if (!r->v6)
        return get_varint(r);
    if (r->next_sc >= PACK_SCALARS) {
        r->bad = 1;
        return 0;
    }
    return r->sc[r->next_sc++];
}

/* The mask and values of version 6's small numbers. */
static void get_scalars(struct reader *r)
{
    uint64_t z = 0;
    int shift = 0;

    r->v6 = 1;
    for (;;) {
        if (r->p == r->end || shift > 63) {
            r->bad = 1;
            return;
        }
        z |= (uint64_t)(*r->p & 0x7f) << shift;
        if (!(*r->p++ & 0x80))
            break;
        shift += 7;
    }
    if (z >> PACK_SCALARS) {
        r->bad = 1;
        return;
    }
    r->sc_mask = z;
    for (int i = 0; i < PACK_SCALARS; i++)
        r->sc[i] = z & (1ULL << i) ? get_varint(r) : 0;
}

static int64_t get_delta(struct reader *r, int64_t base)
{
    return (int64_t)((uint64_t)base + (uint64_t)get_varint(r));
}

static void get_str(struct reader *r, char *dst, size_t size)
{
    int64_t n = get_varint(r);

    if (r->bad || n < 0 || (size_t)n >= size || n > r->end - r->p) {
        r->bad = 1;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, r->p, (size_t)n);
    dst[n] = '\0';
    r->p += n;
}

static void get_invoice(struct reader *r, struct rs_open_invoice *inv)
{
    memset(inv, 0, sizeof(*inv));
    get_str(r, inv->invoice_id, sizeof(inv->invoice_id));
    get_str(r, inv->event_id, sizeof(inv->event_id));
    set_ids(inv);
    inv->amount = get_varint(r);
    inv->open = get_varint(r);
    inv->issue_date = (int32_t)get_varint(r);
    inv->due_date = (int32_t)get_varint(r);
    inv->disputed = (uint8_t)get_varint(r);
}

static int seq_order(const void *a, const void *b)
{
    uint32_t x = ((const struct rs_open_invoice *)a)->seq;
    uint32_t y = ((const struct rs_open_invoice *)b)->seq;

    return (x > y) - (x < y);
}

/* The c->chunks chunks after a head of n open invoices: each a length and
 * that many bytes, holding the invoices of its number (by id hash) with
 * their arrival numbers; put back in arrival order. */
static void get_chunks(struct reader *r, struct rs_customer *c, int64_t n)
{
    uint32_t mask = c->chunks - 1;

    for (uint32_t k = 0; k < c->chunks && !r->bad; k++) {
        int64_t len = get_varint(r), m;
        struct reader in;

        if (len < 0 || len > r->end - r->p) {
            r->bad = 1;
            break;
        }
        in = (struct reader){r->p, r->p + len, 0, 0, 0, 0, {0}};
        r->p += len;
        m = get_varint(&in);
        if (m < 0 || m > n - c->open_count)
            in.bad = 1;
        for (int64_t i = 0; i < m && !in.bad; i++) {
            struct rs_open_invoice *inv = &c->open[c->open_count];
            int64_t seq = get_varint(&in);

            get_invoice(&in, inv);
            inv->seq = (uint32_t)seq;
            if (seq < 0 || seq >= c->next_seq || (inv->id_hash & mask) != k)
                in.bad = 1;
            else
                c->open_count++;
        }
        if (in.bad || in.p != in.end)
            r->bad = 1;
    }
    if (r->bad || c->open_count != n) {
        r->bad = 1;
        return;
    }
    qsort(c->open, c->open_count, sizeof(*c->open), seq_order);
    for (uint32_t i = 1; i < c->open_count; i++)
        if (c->open[i].seq == c->open[i - 1].seq)
            r->bad = 1; /* the same invoice twice */
}

static void pack_group(const struct rs_group *g, struct packer *out)
{
    int in_group = g->parent[0] || g->member_count || g->own_level >= 0 ||
                   g->linked_at || g->members_dropped;

    put_scalar(out, in_group);
    if (!in_group)
        return;
    put_str(out, g->parent);
    put_varint(out, g->linked_at);
    put_varint(out, g->parent_level);
    put_varint(out, g->parent_score);
    put_varint(out, g->parent_since);
    put_varint(out, g->own_level);
    put_varint(out, g->own_score);
    put_varint(out, g->members_dropped);
    put_varint(out, g->member_count);
    for (uint32_t i = 0; i < g->member_count; i++) {
        put_str(out, g->members[i].id);
        put_varint(out, g->members[i].level);
        put_varint(out, g->members[i].score);
        put_varint(out, g->members[i].since);
    }
}

static void put_invoice(struct packer *out, const struct rs_open_invoice *inv)
{
    put_bytes(out, inv->invoice_id, inv->id_len);
    put_bytes(out, inv->event_id, inv->event_id_len);
    put_varint(out, inv->amount);
    put_varint(out, inv->open);
    put_varint(out, inv->issue_date);
    put_varint(out, inv->due_date);
    put_varint(out, inv->disputed);
}

static void prefetch_span(const void *p, size_t n)
{
    const char *b = p;

    if (n > 16 * 64)
        n = 16 * 64; /* the start of a long array: the rest streams */
    for (size_t o = 0; p && o < n; o += 64)
        __builtin_prefetch(b + o);
}

void rs_customer_prefetch_pack(const struct rs_customer *c, int stage)
{
    if (stage == 0) {
        prefetch_span(c, sizeof(*c));
        return;
    }
    prefetch_span(c->settled, c->settled ? RS_CUSTOMER_PAID_RING *
                                               sizeof(*c->settled)
                                         : 0);
    prefetch_span(c->comm,
                  rs_popcount32(c->comm_used) * sizeof(*c->comm));
    prefetch_span(c->dstate,
                  rs_popcount32(c->dstate_used) * sizeof(*c->dstate));
    if (!c->chunks)
        prefetch_span(c->open, c->open_count * sizeof(*c->open));
}

/* The state, its open invoices inline (chunks 0) or in that many chunks
 * packed apart. */
static void pack_state(const struct rs_customer *c, uint32_t chunks,
                       struct packer *out)
{
    uint8_t head[2] = {PACK_VERSION, (uint8_t)chunks};
    uint32_t kinds = 0, ids = 0;
    int64_t base = c->last_event_time, base_day = rs_day_of(base);
    size_t start;

    put_raw(out, head, 2);
    start = pk_len(out);
    out->nsc = 0;
    put_str(out, c->segment);
    put_str(out, c->currency);
    put_varint(out, base);
    put_scalar(out, (int64_t)((uint64_t)c->first_event_time - (uint64_t)base));
    put_scalar(out, c->credit);
    put_scalar(out, c->open_dropped);
    put_scalar(out, c->open_count);
    if (chunks)
        put_varint(out, c->next_seq);
    else
        for (uint32_t i = 0; i < c->open_count; i++)
            put_invoice(out, &c->open[i]);
    put_scalar(out, c->settled_head);
    put_scalar(out, c->settled_count);
    put_scalar(out, c->settled_total);
    for (uint32_t i = 0; i < c->settled_count; i++) {
        put_varint(out, (int64_t)c->settled[i].due_date - base_day);
        put_varint(out, (int64_t)c->settled[i].paid_date -
                            c->settled[i].due_date);
        put_varint(out, c->settled[i].amount);
    }
    for (int k = 0; k < RS_COMM_TYPES; k++)
        if (rs_customer_comm(c, k)->count)
            kinds |= 1u << k;
    put_scalar(out, kinds);
    for (int k = 0; k < RS_COMM_TYPES; k++) {
        const struct rs_comm_stat *s = rs_customer_comm(c, k);
        uint32_t n = s->count < RS_CUSTOMER_COMM_RING ? s->count
                                                       : RS_CUSTOMER_COMM_RING;

        if (!(kinds & (1u << k)))
            continue;
        put_varint(out, s->count);
        /* Newest first, so the ring is rebuilt with head 0. */
        for (uint32_t i = 0; i < n; i++)
            put_delta(out, base,
                      s->recent[(s->head + i) % RS_CUSTOMER_COMM_RING]);
    }
    put_scalar(out, c->invoices);
    put_scalar(out, c->payments);
    put_scalar(out, c->partial_payments);
    put_scalar(out, c->failed_debits);
    put_scalar(out, c->late_events);
    put_scalar(out, c->has_bureau_score);
    if (c->has_bureau_score) {
        put_varint(out, c->bureau_score);
        put_varint(out, c->bureau_score_prev);
        put_varint(out, c->bureau_score_max);
        put_delta(out, base, c->bureau_time);
    }
    put_scalar(out, c->level);
    put_scalar(out, c->score);
    /* The next timer: none (0), its difference (1), or, on a day's
     * start as most are, the difference in days (2). */
    if (c->next_timer == RS_NO_TIMER) {
        put_scalar(out, 0);
    } else if (c->next_timer % RS_DAY_MS == 0) {
        put_scalar(out, 2);
        put_varint(out, c->next_timer / RS_DAY_MS - base_day);
    } else {
        put_scalar(out, 1);
        put_delta(out, base, c->next_timer);
    }
    put_scalar(out, (int64_t)((uint64_t)c->evaluated_at - (uint64_t)base));
    for (int l = 0; l < 4; l++) {
        put_scalar(out, c->raised_at[l] != 0);
        if (c->raised_at[l])
            put_delta(out, base, c->raised_at[l]);
    }
    put_scalar(out, c->suppressed);
    {
        /* Entries are never all zeros: rs_customer_dstate_set drops
         * those. */
        uint32_t e = 0;

        put_scalar(out, c->dstate_used);
        for (uint32_t m = c->dstate_used; m; m &= m - 1, e++) {
            const struct rs_dstate *st = &c->dstate[e];
            uint32_t slots = 0;

            for (int i = 0; i < RS_DSTATE_SLOTS; i++)
                if (st->v[i])
                    slots |= 1u << i;
            put_varint(out, slots);
            for (int i = 0; i < RS_DSTATE_SLOTS; i++)
                if (slots & (1u << i))
                    put_varint(out, st->v[i]);
        }
    }
    pack_group(rs_customer_group(c), out);
    put_scalar(out, c->duplicates);
    /* Newest first, so the ring is rebuilt with head 0; up to the last
     * one set (the unset ones, 0, come after the set ones). */
    for (uint32_t i = 0; i < RS_CUSTOMER_ID_RING; i++)
        if (c->recent_ids[(c->recent_head + i) % RS_CUSTOMER_ID_RING])
            ids = i + 1;
    put_scalar(out, ids);
    for (uint32_t i = 0; i < ids; i++) {
        uint32_t h = c->recent_ids[(c->recent_head + i) % RS_CUSTOMER_ID_RING];
        uint8_t le[4] = {(uint8_t)h, (uint8_t)(h >> 8), (uint8_t)(h >> 16),
                         (uint8_t)(h >> 24)};

        put_raw(out, le, 4);
    }
    put_scalar(out, c->alerted_level);
    pk_scalars(out, start);
}

void rs_customer_pack(const struct rs_customer *c, struct rs_buf *out)
{
    struct packer w;

    pk_begin(&w, out);
    pack_state(c, 0, &w);
    pk_end(&w);
}

/* Chunks for n open invoices: about 8 in each (4 to 8 when made), so
 * that a flush of a customer with dozens open writes a few hundred bytes
 * of them, not kilobytes. */
#define CHUNK_FROM 16 /* open invoices from which a state is chunked */

static uint32_t chunk_target(uint32_t n)
{
    uint32_t k = 2;

    while (k < RS_CUSTOMER_CHUNKS_MAX && 8 * k < n)
        k <<= 1;
    return k;
}

/* The layout for n open invoices when the state has `now` chunks: it
 * changes only when chunks hold on average more than 16 invoices or fewer
 * than 2, so that a customer near a bound does not rewrite every chunk
 * back and forth. */
static uint32_t chunk_layout(uint32_t n, uint32_t now)
{
    if (!now)
        return n >= CHUNK_FROM ? chunk_target(n) : 0;
    if (n < CHUNK_FROM / 2)
        return 0;
    if ((n > 16 * now && now < RS_CUSTOMER_CHUNKS_MAX) || n < 2 * now)
        return chunk_target(n);
    return now;
}

void rs_customer_pack_head(struct rs_customer *c, struct rs_buf *out,
                           struct rs_pack_plan *plan)
{
    uint32_t want = chunk_layout(c->open_count, c->chunks);
    uint64_t all = want == 64 ? ~0ULL : (1ULL << want) - 1;
    struct packer w;

    plan->drop_from = plan->drop_to = 0;
    if (want != c->chunks) {
        if (want < c->chunks) {
            plan->drop_from = want;
            plan->drop_to = c->chunks;
        }
        c->chunks = want;
        c->chunk_dirty = all;
    }
    plan->chunks = want;
    plan->write = c->chunk_dirty & all;
    c->chunk_dirty = 0;
    pk_begin(&w, out);
    pack_state(c, want, &w);
    pk_end(&w);
}

void rs_customer_pack_chunks(const struct rs_customer *c, uint64_t write,
                             struct rs_buf *out, size_t *ends)
{
    /* Counting sort of the positions by chunk, arrival order kept. */
    uint32_t mask = c->chunks - 1, start[RS_CUSTOMER_CHUNKS_MAX + 1] = {0};
    uint16_t at[RS_CUSTOMER_OPEN_MAX];
    size_t j = 0;
    struct packer w;

    if (!c->chunks || !write)
        return;
    for (uint32_t i = 0; i < c->open_count; i++)
        start[(c->open[i].id_hash & mask) + 1]++;
    for (uint32_t k = 0; k < c->chunks; k++)
        start[k + 1] += start[k];
    for (uint32_t i = 0; i < c->open_count; i++)
        at[start[c->open[i].id_hash & mask]++] = (uint16_t)i;
    /* start[k] is now where chunk k + 1 begins. */
    pk_begin(&w, out);
    for (uint64_t m = write; m; m &= m - 1, j++) {
        uint32_t k = (uint32_t)__builtin_ctzll(m);
        uint32_t from = k ? start[k - 1] : 0;

        put_varint(&w, start[k] - from);
        for (uint32_t p = from; p < start[k]; p++) {
            put_varint(&w, c->open[at[p]].seq);
            put_invoice(&w, &c->open[at[p]]);
        }
        ends[j] = pk_len(&w);
    }
    pk_end(&w);
}

int rs_packed_add_chunk(struct rs_buf *buf, const void *data, size_t len)
{
    struct packer w;

    pk_begin(&w, buf);
    put_varint(&w, (int64_t)len);
    put_raw(&w, data, len);
    pk_end(&w);
    return buf->overflow ? -1 : 0;
}

static void unpack_group(struct reader *r, struct rs_customer *c)
{
    struct rs_group *g;
    int64_t n;

    if (!get_scalar(r))
        return;
    g = rs_customer_group_make(c);
    get_str(r, g->parent, sizeof(g->parent));
    g->linked_at = get_varint(r);
    g->parent_level = (int32_t)get_varint(r);
    g->parent_score = (int32_t)get_varint(r);
    g->parent_since = get_varint(r);
    g->own_level = (int32_t)get_varint(r);
    g->own_score = (int32_t)get_varint(r);
    g->members_dropped = (uint32_t)get_varint(r);
    n = get_varint(r);
    if (n < 0 || n > RS_CUSTOMER_MEMBERS_MAX)
        r->bad = 1;
    for (int64_t i = 0; i < n && !r->bad; i++) {
        struct rs_group_member *m;

        rs_grow((void **)&g->members, &g->member_cap, g->member_count + 1,
                sizeof(*g->members));
        m = &g->members[g->member_count++];
        memset(m, 0, sizeof(*m));
        get_str(r, m->id, sizeof(m->id));
        m->level = (int32_t)get_varint(r);
        m->score = (int32_t)get_varint(r);
        m->since = get_varint(r);
    }
    if (g->parent_level < -1 || g->parent_level > RS_LEVEL_CRITICAL ||
        g->own_level < -1 || g->own_level > RS_LEVEL_CRITICAL)
        r->bad = 1;
}

int rs_customer_unpack(struct rs_customer *c, const uint8_t *data, size_t len,
                       char *errstr, size_t errstr_size)
{
    struct reader r = {data, data + len, 0, 0, 0, 0, {0}};
    int64_t n, kinds, open_n, base = 0, base_day = 0;
    int deltas = len > 0 && data[0] >= PACK_VERSION_DELTAS;
    uint32_t chunks = 0;
    char id[RS_ID_MAX];

    restamp(c);
    if (len == 0 || data[0] < PACK_VERSION_NO_GROUP ||
        data[0] > PACK_VERSION) {
        snprintf(errstr, errstr_size,
                 "state of customer '%s' has unknown version %d", c->id,
                 len ? data[0] : -1);
        return -1;
    }
    r.p++;
    if (data[0] >= PACK_VERSION_ABSOLUTE) {
        chunks = r.p < r.end ? *r.p++ : 1;
        if (chunks & (chunks - 1) || chunks == 1 ||
            chunks > RS_CUSTOMER_CHUNKS_MAX)
            r.bad = 1;
    }
    if (data[0] >= PACK_VERSION_SCALARS && !r.bad)
        get_scalars(&r);
    memcpy(id, c->id, sizeof(id));
    rs_customer_release(c);
    rs_customer_init(c, id);
    c->chunks = r.bad ? 0 : chunks;
    {
        char segment[RS_TEXT_MAX];

        get_str(&r, segment, sizeof(segment));
        set_segment(c, segment);
    }
    get_str(&r, c->currency, sizeof(c->currency));
    if (deltas) {
        c->last_event_time = base = get_varint(&r);
        c->first_event_time =
            (int64_t)((uint64_t)base + (uint64_t)get_scalar(&r));
        base_day = rs_day_of(base);
    } else {
        c->first_event_time = get_varint(&r);
        c->last_event_time = get_varint(&r);
    }
    c->credit = get_scalar(&r);
    c->open_dropped = (uint32_t)get_scalar(&r);
    n = get_scalar(&r);
    if (n < 0 || n > RS_CUSTOMER_OPEN_MAX)
        r.bad = 1;
    else if (!chunks && n > 0 && n > r.end - r.p) /* each takes bytes */
        r.bad = 1;
    else if (n > 0)
        open_reserve(c, (size_t)n);
    open_n = n;
    if (chunks) {
        int64_t next = get_varint(&r);

        c->next_seq = (uint32_t)next;
        if (next < n || next > (int64_t)UINT32_MAX)
            r.bad = 1;
    } else {
        for (int64_t i = 0; i < n && !r.bad; i++) {
            get_invoice(&r, &c->open[c->open_count]);
            c->open[c->open_count].seq = c->open_count;
            c->open_count++;
        }
        c->next_seq = c->open_count;
    }
    c->settled_head = (uint32_t)get_scalar(&r);
    c->settled_count = (uint32_t)get_scalar(&r);
    c->settled_total = (uint32_t)get_scalar(&r);
    if (c->settled_count > RS_CUSTOMER_PAID_RING ||
        c->settled_head >= RS_CUSTOMER_PAID_RING)
        r.bad = 1;
    else if (c->settled_count)
        c->settled = rs_calloc(RS_CUSTOMER_PAID_RING, sizeof(*c->settled));
    for (uint32_t i = 0; i < c->settled_count && !r.bad; i++) {
        struct rs_settled *st = &c->settled[i];

        st->due_date = (int32_t)(deltas ? get_delta(&r, base_day)
                                        : get_varint(&r));
        st->paid_date = (int32_t)(deltas ? get_delta(&r, st->due_date)
                                         : get_varint(&r));
        st->amount = get_varint(&r);
    }
    kinds = get_scalar(&r);
    for (int k = 0; k < RS_COMM_TYPES && !r.bad; k++) {
        struct rs_comm_stat *s;
        uint32_t m;

        if (!(kinds & (1 << k)))
            continue;
        s = comm_entry(c, k);
        s->count = (uint32_t)get_varint(&r);
        m = s->count < RS_CUSTOMER_COMM_RING ? s->count
                                             : RS_CUSTOMER_COMM_RING;
        for (uint32_t i = 0; i < m; i++)
            s->recent[i] = deltas ? get_delta(&r, base) : get_varint(&r);
        s->head = 0;
    }
    c->invoices = (uint32_t)get_scalar(&r);
    c->payments = (uint32_t)get_scalar(&r);
    c->partial_payments = (uint32_t)get_scalar(&r);
    c->failed_debits = (uint32_t)get_scalar(&r);
    c->late_events = (uint32_t)get_scalar(&r);
    c->has_bureau_score = (int)get_scalar(&r);
    if (c->has_bureau_score) {
        c->bureau_score = (int32_t)get_varint(&r);
        c->bureau_score_prev = (int32_t)get_varint(&r);
        c->bureau_score_max = (int32_t)get_varint(&r);
        c->bureau_time = deltas ? get_delta(&r, base) : get_varint(&r);
    }
    c->level = (int)get_scalar(&r);
    c->score = (int32_t)get_scalar(&r);
    if (deltas) {
        int64_t how = get_scalar(&r);

        if (how == 2 && r.v6)
            c->next_timer = (base_day + get_varint(&r)) * RS_DAY_MS;
        else if (how == 1)
            c->next_timer = get_delta(&r, base);
        else if (how == 0)
            c->next_timer = RS_NO_TIMER;
        else
            r.bad = 1;
        c->evaluated_at =
            (int64_t)((uint64_t)base + (uint64_t)get_scalar(&r));
        for (int l = 0; l < 4; l++) {
            how = get_scalar(&r);
            if (how != 0 && how != 1)
                r.bad = 1;
            c->raised_at[l] = how == 1 ? get_delta(&r, base) : 0;
        }
    } else {
        n = get_varint(&r);
        c->next_timer = n < 0 ? RS_NO_TIMER : n;
        c->evaluated_at = get_varint(&r);
        for (int l = 0; l < 4; l++)
            c->raised_at[l] = get_varint(&r);
    }
    c->stored_timer = c->next_timer; /* written in the same flush */
    c->suppressed = (int32_t)get_scalar(&r);
    {
        int64_t used = get_scalar(&r);

        if (used < 0 || used > (int64_t)UINT32_MAX)
            r.bad = 1;
        for (int d = 0; d < RS_DETECTORS_MAX && !r.bad; d++) {
            struct rs_dstate st;
            int64_t slots;

            if (!(used & (1LL << d)))
                continue;
            memset(&st, 0, sizeof(st));
            slots = get_varint(&r);
            if (slots < 0 || slots >= (1 << RS_DSTATE_SLOTS))
                r.bad = 1;
            for (int i = 0; i < RS_DSTATE_SLOTS && !r.bad; i++)
                if (slots & (1 << i))
                    st.v[i] = get_varint(&r);
            rs_customer_dstate_set(c, d, &st);
        }
    }
    if (data[0] != PACK_VERSION_NO_GROUP) {
        unpack_group(&r, c);
        c->duplicates = (uint32_t)get_scalar(&r);
        if (deltas) {
            int64_t ids = get_scalar(&r);

            if (ids < 0 || ids > RS_CUSTOMER_ID_RING || ids * 4 > r.end - r.p)
                r.bad = 1;
            for (int64_t i = 0; i < ids && !r.bad; i++, r.p += 4)
                c->recent_ids[i] = (uint32_t)r.p[0] |
                                   (uint32_t)r.p[1] << 8 |
                                   (uint32_t)r.p[2] << 16 |
                                   (uint32_t)r.p[3] << 24;
        } else {
            for (int i = 0; i < RS_CUSTOMER_ID_RING; i++)
                c->recent_ids[i] = (uint32_t)get_varint(&r);
        }
        c->recent_head = 0;
    }
    c->alerted_level = data[0] >= PACK_VERSION_NO_CHUNKS ? (int)get_scalar(&r)
                                                         : c->level;
    /* Version 6: every small number written was read, and no more. */
    if (r.v6 && (r.next_sc != PACK_SCALARS ||
                 r.sc_mask >> r.next_sc))
        r.bad = 1;
    if (c->level < RS_LEVEL_LOW || c->level > RS_LEVEL_CRITICAL ||
        c->alerted_level < RS_LEVEL_LOW ||
        c->alerted_level > RS_LEVEL_CRITICAL)
        r.bad = 1;
    if (chunks && !r.bad)
        get_chunks(&r, c, open_n);
    index_free(c->index);
    c->index = NULL;
    ids_rebuild(c);
    if (r.bad || r.p != r.end) {
        snprintf(errstr, errstr_size, "state of customer '%s' is corrupt "
                                      "(%zu bytes%s)",
                 c->id, len, chunks ? ", open invoices in chunks" : "");
        return -1;
    }
    return 0;
}

/* The open-invoice indexes: a few per thread, for the customer states
 * asked about last (a hot customer's timers fire between other customers'
 * evaluations, with no change to its invoices in between); the least
 * recently used one is remade for a state none holds. */
#define INDEX_SLOTS 8
static _Thread_local struct rs_open_index tl_index[INDEX_SLOTS];
static _Thread_local uint64_t tl_used[INDEX_SLOTS], tl_tick;
/* The one given last: the detectors of one evaluation ask in turn. */
static _Thread_local struct rs_open_index *tl_last;

const struct rs_open_index *rs_customer_index(const struct rs_customer *c)
{
    struct rs_open_index *x = &tl_index[0];

    if (c->index) { /* kept up to date as the invoices changed */
        index_sums(c->index);
        return c->index;
    }
    if (tl_last && tl_last->stamp == c->open_stamp && c->open_stamp != 0)
        return tl_last;
    for (int i = 0; i < INDEX_SLOTS; i++) {
        if (tl_index[i].stamp == c->open_stamp && c->open_stamp != 0) {
            tl_used[i] = ++tl_tick;
            return tl_last = &tl_index[i];
        }
        if (tl_used[i] < tl_used[x - tl_index])
            x = &tl_index[i];
    }
    tl_used[x - tl_index] = ++tl_tick;
    index_build(c, x);
    index_sums(x);
    x->stamp = c->open_stamp;
    return tl_last = x;
}
