/* The per-customer state model: rolling aggregates the detectors read.
 *
 * Applying an event updates the aggregates; nothing here knows about
 * detectors, Kafka or Redis. The state packs into a compact, versioned
 * byte string (varints) for the store and unpacks from it; a state of an
 * unknown version is an error, never guessed at.
 *
 * Open items follow accounts-receivable practice: a payment allocated to an
 * invoice reduces that invoice; an unallocated payment (or one for an
 * invoice not seen yet) becomes a credit that is applied to the oldest open
 * invoices, and to invoices that arrive later. A credit note reduces the
 * invoice it names; a cancelled invoice is closed. A reversed payment
 * reopens its invoice if it is still open, else becomes an open item due at
 * once.
 *
 * Ownership: embedded struct; rs_customer_init/rs_customer_release. */
#ifndef RS_CUSTOMER_H
#define RS_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/buf.h"
#include "riskstream/event.h"
#include "riskstream/params.h"
#include "riskstream/store.h"

/* Set bits of x. The sparse arrays below index by it on every detector
 * state touched; without -mpopcnt (not in the x86-64 baseline)
 * __builtin_popcount is a call into libgcc's table, this is a dozen
 * inline instructions. */
static inline uint32_t rs_popcount32(uint32_t x)
{
    x -= (x >> 1) & 0x55555555u;
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (x * 0x01010101u) >> 24;
}

#define RS_CUSTOMER_OPEN_MAX 1024 /* open invoices kept per customer */
#define RS_CUSTOMER_PAID_RING 16  /* recently settled invoices kept */
#define RS_CUSTOMER_COMM_RING 8   /* recent times kept per kind */
#define RS_CUSTOMER_MEMBERS_MAX 64 /* group members kept per parent */
#define RS_CUSTOMER_ID_RING 8      /* recent event ids kept, for duplicates */
#define RS_DAY_MS 86400000LL
#define RS_PACK_VERSION 6 /* of packed states written now (customer.c) */

/* The numbers first: a pass over the open invoices (the index, a look-up
 * by id's hash) reads them and not the ids, so it touches one cache line
 * of each invoice rather than the third after the ids. */
struct rs_open_invoice {
    int64_t open;    /* still unpaid */
    int32_t due_date;
    uint8_t disputed; /* the index reads these three: 13 bytes together */
    /* Derived from the ids (set with them, never packed): their lengths
     * for packing, and a hash compared before invoice_id. */
    uint8_t id_len;
    uint8_t event_id_len;
    uint32_t id_hash;
    /* Arrival number: ascending along the open array, so that invoices
     * stored in chunks (below) come back in their order. */
    uint32_t seq;
    int64_t amount; /* as issued, less credit notes */
    int32_t issue_date;
    char invoice_id[RS_ID_MAX];
    char event_id[RS_ID_MAX]; /* the invoice event, cited as evidence */
};

struct rs_settled {
    int32_t due_date;
    int32_t paid_date;
    int64_t amount;
};

struct rs_comm_stat {
    uint32_t count;
    uint32_t head;
    int64_t recent[RS_CUSTOMER_COMM_RING]; /* event times, newest at head */
};

/* A company whose ownership link names this customer as its parent, with
 * its own level as last relayed. */
struct rs_group_member {
    char id[RS_ID_MAX];
    int32_t level; /* enum rs_level, without group reasons */
    int32_t score;
    int64_t since; /* event time of the relay that said so */
};

/* Corporate group links (see the group detector and docs/detectors.md).
 * The parent comes from the customer's own OWNERSHIP_LINK events; the
 * parent's level and the members arrive as GROUP_RELAY records that
 * riskstream writes to the bureau topic keyed by the receiving company. */
struct rs_group {
    char parent[RS_ID_MAX]; /* "" = none */
    int64_t linked_at;      /* event time of the latest link applied */
    int32_t parent_level;   /* -1 = not relayed yet */
    int32_t parent_score;
    int64_t parent_since;
    int32_t own_level; /* level without group reasons, as last relayed;
                          -1 = never relayed */
    int32_t own_score;
    struct rs_group_member *members; /* in arrival order */
    uint32_t member_count;
    size_t member_cap;
    uint32_t members_dropped; /* not kept: RS_CUSTOMER_MEMBERS_MAX */
};

/* A detector's last answer, kept in memory only (never packed): its raw
 * score contributions and next timer, reused while no event it reads came
 * and its timer is not due (engine.c). */
#define RS_DCACHE_FINDINGS 4
/* 16 bytes, kept sparse: an entry only for the detectors with a timer or
 * kept findings. Contributions are 0..100 (detector.h); the engine keeps
 * none outside 0..255. */
struct rs_dcache {
    int64_t next;
    uint8_t score[RS_DCACHE_FINDINGS];
    uint8_t count; /* reusable only if its bit in dcache_redo is clear */
};

struct rs_customer {
    char id[RS_ID_MAX];
    /* From the latest invoice that named one, at most RS_TEXT_MAX - 1
     * bytes: "" (a static string), or the process's one copy of the name
     * (a few segment names are shared by many customers: the copy stays
     * in the CPU's cache, where one per customer was a miss at every
     * evaluation; inline it was 128 bytes of each resident customer), or,
     * past the first thousands of names, a copy owned here
     * (segment_owned). */
    const char *segment;
    char currency[RS_CURRENCY_MAX]; /* of the latest invoice */
    uint8_t segment_owned;
    int64_t first_event_time;
    int64_t last_event_time;
    int64_t credit; /* payments not yet matched to an open invoice */

    struct rs_open_invoice *open; /* open invoices, in arrival order */
    /* Not packed: a number no other state of any customer had, renewed
     * whenever the open invoices may have changed (rs_customer_index). */
    uint64_t open_stamp;
    uint32_t open_count;
    /* Not packed: invoices removed from the front of the allocation since
     * it was last compacted (open - open_head is what was allocated, with
     * room for open_cap): paying the oldest invoice of a customer with
     * hundreds open moves a pointer, not all the others. */
    uint32_t open_head;
    size_t open_cap;
    /* Not packed: with many open invoices, an open-addressing table of
     * their positions + 1 by id hash (0 empty, UINT16_MAX deleted), so
     * that looking one up by id is not a pass over them all. */
    uint16_t *open_ids;
    uint32_t open_ids_cap; /* slots, a power of two; 0: no table */
    uint32_t open_ids_dead;
    /* Not packed: with the id table, the customer also keeps its index
     * (rs_customer_index), kept up to date as invoices change. */
    struct rs_open_index *index;
    uint32_t open_dropped; /* invoices not kept: RS_CUSTOMER_OPEN_MAX */
    uint32_t next_seq;     /* the seq of the next open invoice */
    /* How the store holds the open invoices (rs_customer_pack_head): 0,
     * inline in the state; else in this many chunks, invoice i in chunk
     * open[i].id_hash & (chunks - 1). Bit k of chunk_dirty: chunk k
     * changed since it was last packed. */
    uint32_t chunks;
    uint64_t chunk_dirty;

    /* The recently settled invoices, a ring of RS_CUSTOMER_PAID_RING made
     * at the first one (NULL before: most customers seen once have none,
     * and the ring would be a quarter of a resident customer). */
    struct rs_settled *settled;
    uint32_t settled_head;
    uint32_t settled_count;
    uint32_t settled_total; /* invoices ever settled */

    /* Communications by type, kept sparse like dstate below: an entry for
     * each type seen (bit type of comm_used), in type order. Read with
     * rs_customer_comm(). */
    uint32_t comm_used;
    uint32_t comm_cap;
    struct rs_comm_stat *comm;

    uint32_t invoices;
    uint32_t payments;
    uint32_t partial_payments;
    uint32_t failed_debits;
    uint32_t late_events; /* applied although beyond the allowed lateness */

    int has_bureau_score;
    int32_t bureau_score;
    int32_t bureau_score_prev;
    int32_t bureau_score_max;
    int64_t bureau_time;

    /* Risk as last evaluated. */
    int level; /* enum rs_level */
    /* The level the customer's last alert announced (LOW before any): what
     * the consumers of the alerts believe. Differs from level while a
     * suppressed rise lasts. */
    int alerted_level;
    int32_t score;
    int64_t next_timer; /* RS_NO_TIMER: none */
    /* Not packed: the timer the store holds for the customer, as of its
     * last flush (next_timer when loaded), so that a flush leaves an
     * unchanged one alone. */
    int64_t stored_timer;
    int64_t evaluated_at; /* stream time of the last evaluation */
    int64_t raised_at[4]; /* when it last rose to each level (alerted or not) */
    int32_t suppressed;   /* alerts suppressed since the last alert */

    /* Its corporate group, made at the first ownership link or relay
     * (NULL before: most customers are in none); read it through
     * rs_customer_group(). */
    struct rs_group *group;

    /* Hashes of the latest event ids applied (0 = empty), newest at
     * recent_head: a repeated event id among them is a duplicate. */
    uint32_t recent_ids[RS_CUSTOMER_ID_RING];
    uint32_t recent_head;
    uint32_t duplicates; /* events not applied as duplicates */

    /* Each detector's last answer (not packed; generation: the engine
     * parameters it was computed with, 0 = none), kept sparse like dstate
     * below: an entry for each detector with a timer or kept findings (bit
     * id of dcache_used), in id order; none stands for no timer and no
     * findings. Most customers need a few of the 32. Read with
     * rs_customer_dcache(), write with rs_customer_dcache_make(). */
    uint32_t dcache_used;
    uint32_t dcache_cap;
    struct rs_dcache *dcache;
    uint32_t dcache_generation;
    uint32_t dcache_redo;  /* detectors whose entry cannot be reused */
    uint32_t dcache_found; /* detectors whose entry holds findings */
    int64_t dcache_next;   /* the least next of the dcache entries */
    /* Not packed: a placeholder the engine keeps for a customer a look-up
     * found nothing stored for, so that asking again needs no round trip;
     * not a customer until an event creates it. */
    uint8_t absent;

    /* Each detector's own state, kept sparse: an entry only for the
     * detectors whose state is not all zeros (bit id of dstate_used), in
     * id order. Most customers need a few of the 32 (64 bytes each). Read
     * with rs_customer_dstate(), write with rs_customer_dstate_set(). */
    uint32_t dstate_used;
    uint32_t dstate_cap;
    struct rs_dstate *dstate;
};

void rs_customer_init(struct rs_customer *c, const char *id);

/* The customer's communications of one type (zeros when none). Valid
 * until the next rs_customer_apply() or rs_customer_release() of c. */
const struct rs_comm_stat *rs_customer_comm(const struct rs_customer *c,
                                            int type);

/* Detector id's state: all zeros when it has none. Valid until the next
 * rs_customer_dstate_set() or rs_customer_release() of c. */
const struct rs_dstate *rs_customer_dstate(const struct rs_customer *c,
                                           int id);

/* Sets detector id's state (all zeros: drops its entry). */
void rs_customer_dstate_set(struct rs_customer *c, int id,
                            const struct rs_dstate *s);
/* Detector id's last answer, or NULL when it has none (no timer, no
 * findings kept). Valid until the next rs_customer_dcache_make() or
 * _drop() of c. */
static inline struct rs_dcache *rs_customer_dcache(struct rs_customer *c,
                                                   int id)
{
    if (!(c->dcache_used & (1u << id)))
        return NULL;
    return &c->dcache[rs_popcount32(c->dcache_used & ((1u << id) - 1))];
}

/* Detector id's entry, made (no timer, no findings) when it has none. */
struct rs_dcache *rs_customer_dcache_make(struct rs_customer *c, int id);

/* Drops detector id's entry, if any. */
void rs_customer_dcache_drop(struct rs_customer *c, int id);

void rs_customer_release(struct rs_customer *c);

/* The parts of a customer's shared state (the aggregates every detector
 * may read): what rs_customer_apply() says an event changed, and what a
 * detector declares its evaluate() and next_timer() read (struct
 * rs_detector.reads), so that the engine re-runs a detector only after
 * events that changed something it reads. */
#define RS_PART_OPEN (1u << 0)       /* open invoices, their index, credit */
#define RS_PART_SETTLED (1u << 1)    /* the settled ring, settled_total */
#define RS_PART_COUNTS (1u << 2)     /* the invoice and payment counters */
#define RS_PART_COMM (1u << 3)       /* communications by type */
#define RS_PART_BUREAU (1u << 4)     /* the bureau score fields */
#define RS_PART_GROUP (1u << 5)      /* the corporate group */
#define RS_PART_FIRST_SEEN (1u << 6) /* first_event_time */
#define RS_PART_LAST_SEEN (1u << 7)  /* last_event_time */
#define RS_PART_PROFILE (1u << 8)    /* currency and segment */
#define RS_PART_COUNT 9
#define RS_PART_ALL ((1u << RS_PART_COUNT) - 1)
/* For rs_detector.reads: declared, and none of the above (the detector
 * reads its own state only). */
#define RS_PART_NONE (1u << 31)

/* Updates the aggregates with one decoded event of this customer; returns
 * the parts (RS_PART_*) it may have changed: never fewer than it did. */
uint32_t rs_customer_apply(struct rs_customer *c, const struct rs_event *ev);

/* 1 if event_id is among the customer's latest RS_CUSTOMER_ID_RING event
 * ids (a duplicate: counted, not to be applied); else 0, and it is
 * remembered. Ids are kept as 32-bit hashes. */
int rs_customer_seen(struct rs_customer *c, const char *event_id);

/* c's group: its own, or a shared empty one (no parent, no members,
 * levels -1) while it has none. */
const struct rs_group *rs_customer_group(const struct rs_customer *c);

/* c's group to change: made empty (as above) if it has none. */
struct rs_group *rs_customer_group_make(struct rs_customer *c);

/* The member entry of id, or NULL. */
struct rs_group_member *rs_customer_member(struct rs_customer *c,
                                           const char *id);

/* Appends the packed state to out, whole: the open invoices inline. */
void rs_customer_pack(const struct rs_customer *c, struct rs_buf *out);

/* Chunked states. A customer with many open invoices is stored as a head
 * (everything but its open invoices) and its open invoices in chunks, so
 * that a flush writes the head and the chunks that changed instead of
 * tens of kilobytes (docs/architecture.md, "Redis keys"). */
#define RS_CUSTOMER_CHUNKS_MAX 64

/* What rs_customer_pack_head() decided for the store: the customer's
 * chunks now (0: none, the invoices are in the head), the chunks to write
 * (bit k: chunk k, from rs_customer_pack_chunk()) and the chunk numbers
 * no longer used, [drop_from, drop_to), to delete. */
struct rs_pack_plan {
    uint32_t chunks;
    uint64_t write;
    uint32_t drop_from, drop_to;
};

/* Starts loading into the CPU's cache what packing c will read, for a
 * loop that packs many customers (a flush: each customer's data was last
 * touched long before, and packing waited on memory): stage 0, the
 * customer itself; stage 1, once that has had time to arrive, the arrays
 * it points at. A hint only: changes nothing. */
void rs_customer_prefetch_pack(const struct rs_customer *c, int stage);

/* Appends the head to out, for the store: chooses the chunk layout for
 * the invoices held now (chunks change with hysteresis; a change writes
 * every chunk) and takes the changed chunks as written: the caller must
 * write what plan says or not go on with c (a failed flush is fatal). */
void rs_customer_pack_head(struct rs_customer *c, struct rs_buf *out,
                           struct rs_pack_plan *plan);

/* Appends the chunks of c's open invoices named by the bits of write
 * (chunk k: bit k, k < c->chunks) to out, in chunk order, one pass over
 * the invoices; ends[j] is where the j-th of them ends in out. */
void rs_customer_pack_chunks(const struct rs_customer *c, uint64_t write,
                             struct rs_buf *out, size_t *ends);

/* How many chunks the head of a packed state says follow it: 0 for a
 * whole state. The store reads this to fetch them. Versions 4 and later
 * carry the count in their second byte (customer.c). */
static inline uint32_t rs_packed_chunks(const void *head, size_t len)
{
    const uint8_t *p = head;

    return len >= 2 && p[0] >= 4 && p[0] <= RS_PACK_VERSION ? p[1] : 0;
}

/* Appends stored chunk data (of the chunk numbered by the count appended
 * before it) after a head in buf, as rs_customer_unpack() reads them.
 * 0, or -1 when buf's cap is passed. */
int rs_packed_add_chunk(struct rs_buf *buf, const void *data, size_t len);

/* Replaces c (already initialised) with a packed state: a whole state, or
 * a head followed by its chunks (rs_packed_add_chunk). Returns 0, or -1
 * with errstr (unknown version, truncated, over a cap, chunks missing). */
int rs_customer_unpack(struct rs_customer *c, const uint8_t *data, size_t len,
                       char *errstr, size_t errstr_size);

/* The human-readable summary at stream time now (the engine passes the
 * time of the customer's last evaluation, so it does not depend on when a
 * flush happened). */
void rs_customer_summary(const struct rs_customer *c, int64_t now,
                         struct rs_summary *out);

/* The open invoices that count as owed (open > 0, not disputed) in due
 * order, with prefix sums: what most payment detectors ask of a customer,
 * answered without a pass over the open invoices. Entry k (0-based, in
 * due order; equal due dates in arrival order) is c->open[at[k]]; the
 * sums over the first k entries are open[k], due[k] (Σ due_date) and
 * open_due[k] (Σ open · due_date), so n + 1 of each. Also the totals over
 * all open invoices: owed_all (Σ open > 0, disputed included) and
 * disputed (Σ open of the disputed ones). */
struct rs_open_index {
    uint64_t stamp; /* of the customer state it was made from */
    uint32_t n;
    uint32_t cap;
    uint32_t valid; /* the sums hold for the first valid + 1 entries */
    int32_t *due_date; /* ascending */
    uint32_t *at;
    int64_t *amt; /* entry k's open amount */
    int64_t *open;
    int64_t *due;
    double *open_due;
    int64_t owed_all;
    int64_t disputed;
};

/* The index of c's open invoices as they are now. Made on first use after
 * a change and kept (a few per thread, the least recently used remade) for
 * the next questions about the same state: the detectors of one
 * evaluation, and the customer's next timers, share it. Valid until the
 * next call on this thread. */
const struct rs_open_index *rs_customer_index(const struct rs_customer *c);

/* How many entries of x are due before day. Branch-free: whether an
 * entry is due before the day is data the CPU cannot predict, and the
 * mispredicted branches of a plain binary search were most of its cost
 * (the payment detectors ask this several times per evaluation). */
static inline uint32_t rs_index_due_before(const struct rs_open_index *x,
                                           int32_t day)
{
    const int32_t *v = x->due_date;
    uint32_t lo = 0, n = x->n;

    if (n == 0)
        return 0;
    while (n > 1) {
        uint32_t half = n / 2;

        lo = v[lo + half] < day ? lo + half : lo;
        n -= half;
    }
    return lo + (v[lo] < day);
}

/* Day number (days since the epoch) of an instant, rounding down. */
static inline int32_t rs_day_of(int64_t ms)
{
    return (int32_t)(ms >= 0 ? ms / RS_DAY_MS : -((-ms + RS_DAY_MS - 1) / RS_DAY_MS));
}

#endif
