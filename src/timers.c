/* Binary min-heap of timers (timers.h). */
#include "riskstream/timers.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

_Static_assert(sizeof(struct rs_timer) == 32, "a timer entry is 32 bytes");

static void timer_fill(struct rs_timer *e, int64_t at, const char *id,
                       size_t id_len)
{
    if (id_len >= RS_ID_MAX)
        id_len = RS_ID_MAX - 1;
    memset(e, 0, sizeof(*e));
    e->at = at;
    if (id_len < RS_TIMER_INLINE) {
        memcpy(e->u.id, id, id_len);
    } else {
        memcpy(e->u.ext.head, id, sizeof(e->u.ext.head));
        e->u.ext.id = rs_malloc(id_len + 1);
        memcpy(e->u.ext.id, id, id_len);
        e->u.ext.id[id_len] = '\0';
        e->u.ext.owned = 1;
    }
}

static void timer_free(struct rs_timer *e)
{
    if (e->u.ext.owned)
        free(e->u.ext.id);
}

void rs_timers_init(struct rs_timers *t)
{
    memset(t, 0, sizeof(*t));
}

void rs_timers_clear(struct rs_timers *t)
{
    for (size_t i = 0; i < t->count; i++)
        timer_free(&t->v[i]);
    t->count = 0;
}

void rs_timers_release(struct rs_timers *t)
{
    rs_timers_clear(t);
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* The first 8 bytes of an id (NUL-padded inline, or the head of a long
 * one) as a big-endian number: numbers compare as the bytes do, as strcmp
 * does (unsigned char). */
static uint64_t prefix_of(const struct rs_timer *a)
{
    const unsigned char *b = (const unsigned char *)a->u.id;

    return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
           (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
           (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
           (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* Ties in time go in id order, as Redis orders a sorted set's equal
 * scores, so that reloaded timers fire in the order they would have.
 * Timers fall on day boundaries and tie often: the first 8 bytes of the
 * ids, compared as one number, decide most ties without strcmp. */
static int less(const struct rs_timer *a, const struct rs_timer *b)
{
    uint64_t pa, pb;

    if (a->at != b->at)
        return a->at < b->at;
    pa = prefix_of(a);
    pb = prefix_of(b);
    if (pa != pb)
        return pa < pb;
    return strcmp(rs_timer_id(a), rs_timer_id(b)) < 0;
}

static void swap(struct rs_timer *a, struct rs_timer *b)
{
    struct rs_timer tmp = *a;

    *a = *b;
    *b = tmp;
}

void rs_timers_push(struct rs_timers *t, int64_t at, const char *id,
                    size_t id_len)
{
    struct rs_timer *e;
    size_t i;

    rs_grow((void **)&t->v, &t->cap, t->count + 1, sizeof(*t->v));
    i = t->count++;
    e = &t->v[i];
    timer_fill(e, at, id, id_len);
    while (i > 0 && less(&t->v[i], &t->v[(i - 1) / 2])) {
        swap(&t->v[i], &t->v[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

const struct rs_timer *rs_timers_peek(const struct rs_timers *t)
{
    return t->count ? &t->v[0] : NULL;
}

/* Moves the frontier's last entry up to its place (a min-heap of heap
 * indices, ordered as the timers they point at). */
static void frontier_up(const struct rs_timers *t, size_t *f, size_t i)
{
    while (i > 0 && less(&t->v[f[i]], &t->v[f[(i - 1) / 2]])) {
        size_t tmp = f[i];

        f[i] = f[(i - 1) / 2];
        f[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static void frontier_down(const struct rs_timers *t, size_t *f, size_t n)
{
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i, tmp;

        if (l < n && less(&t->v[f[l]], &t->v[f[m]]))
            m = l;
        if (r < n && less(&t->v[f[r]], &t->v[f[m]]))
            m = r;
        if (m == i)
            return;
        tmp = f[i];
        f[i] = f[m];
        f[m] = tmp;
        i = m;
    }
}

/* The first max entries due by upto in firing order, as entries (ents)
 * or ids (ids), either may be NULL. */
static size_t heap_due(const struct rs_timers *t, int64_t upto,
                       const struct rs_timer **ents, const char **ids,
                       size_t max)
{
    size_t n = 0, nf = 0, *f;

    if (!t->count || t->v[0].at > upto || max == 0)
        return 0;
    /* Best first from the root: the frontier holds the heap entries whose
     * parent is taken; its least is the next timer in firing order. Each
     * step takes one entry and adds at most two: at most max + 1. */
    f = rs_calloc(max + 1, sizeof(*f));
    f[nf++] = 0;
    while (nf && n < max) {
        size_t i = f[0];

        if (ents)
            ents[n] = &t->v[i];
        if (ids)
            ids[n] = rs_timer_id(&t->v[i]);
        n++;
        f[0] = f[--nf];
        frontier_down(t, f, nf);
        for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < t->count; c++) {
            if (t->v[c].at <= upto) {
                f[nf++] = c;
                frontier_up(t, f, nf - 1);
            }
        }
    }
    free(f);
    return n;
}

size_t rs_timers_due(const struct rs_timers *t, int64_t upto,
                     const char **ids, size_t max)
{
    return heap_due(t, upto, NULL, ids, max);
}

/* Floyd's way: the hole left at the root goes down to a leaf along the
 * lesser children (one comparison a level instead of two), then the last
 * entry, which belongs near the bottom anyway, goes up from there. */
void rs_timers_pop(struct rs_timers *t)
{
    size_t i = 0, n;

    if (!t->count)
        return;
    timer_free(&t->v[0]);
    n = --t->count;
    if (!n)
        return;
    for (;;) {
        size_t l = 2 * i + 1;

        if (l >= n)
            break;
        if (l + 1 < n && less(&t->v[l + 1], &t->v[l]))
            l++;
        t->v[i] = t->v[l];
        i = l;
    }
    while (i > 0 && less(&t->v[n], &t->v[(i - 1) / 2])) {
        t->v[i] = t->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->v[i] = t->v[n];
}

/* ---- the calendar (struct rs_timerq) ---------------------------------- */

#define DAY_MS 86400000LL

static int64_t day_of(int64_t at)
{
    int64_t d = at / DAY_MS;

    return at % DAY_MS < 0 ? d - 1 : d;
}

/* Sorts v[0..n) by less(): quicksort (Hoare's partition, which splits
 * runs of equal entries evenly), the smaller side first, insertion sort
 * below 16. Written out rather than qsort(), whose comparison through a
 * pointer cost more than the sort itself. */
static void sort_timers(struct rs_timer *v, size_t n)
{
    while (n > 16) {
        size_t i = 0, j = n - 1, m = n / 2;
        struct rs_timer pivot;

        /* The median of the first, middle and last as the pivot. */
        if (less(&v[m], &v[0]))
            swap(&v[m], &v[0]);
        if (less(&v[j], &v[m])) {
            swap(&v[j], &v[m]);
            if (less(&v[m], &v[0]))
                swap(&v[m], &v[0]);
        }
        pivot = v[m];
        for (;;) {
            while (less(&v[i], &pivot))
                i++;
            while (less(&pivot, &v[j]))
                j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* v[0..j] <= pivot <= v[j+1..n) */
        if (j + 1 < n - j - 1) {
            sort_timers(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            sort_timers(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct rs_timer e = v[i];
        size_t k = i;

        for (; k > 0 && less(&e, &v[k - 1]); k--)
            v[k] = v[k - 1];
        v[k] = e;
    }
}

void rs_timerq_init(struct rs_timerq *q)
{
    memset(q, 0, sizeof(*q));
    q->run_day = INT64_MIN;
    rs_timers_init(&q->near);
}

void rs_timerq_release(struct rs_timerq *q)
{
    for (size_t i = q->head; i < q->run_count; i++)
        timer_free(&q->run[i]);
    free(q->run);
    rs_timers_release(&q->near);
    for (size_t d = 0; d < q->ndays; d++) {
        for (size_t i = 0; i < q->days[d].count; i++)
            timer_free(&q->days[d].v[i]);
        free(q->days[d].v);
    }
    free(q->days);
    rs_timerq_init(q);
}

static void day_sort(struct rs_timer_day *d)
{
    if (!d->sorted)
        sort_timers(d->v, d->count);
    d->sorted = 1;
}

/* Once the current day is read and its small heap empty, the next day
 * comes up: sorted, it becomes the run. */
static void advance(struct rs_timerq *q)
{
    struct rs_timer_day d;

    if (q->head < q->run_count || q->near.count || !q->ndays)
        return;
    d = q->days[0];
    day_sort(&d);
    free(q->run);
    q->run = d.v;
    q->run_count = d.count;
    q->run_cap = d.cap;
    q->head = 0;
    q->run_day = d.day;
    q->ndays--;
    memmove(q->days, q->days + 1, q->ndays * sizeof(*q->days));
}

/* The list of a later day, made if new. */
static struct rs_timer_day *day_list(struct rs_timerq *q, int64_t day)
{
    size_t lo = 0, hi = q->ndays;
    struct rs_timer_day *d;

    /* Timers are set in bursts for the same day: the last one asked for
     * (most often the latest day) first. */
    if (hi && q->days[hi - 1].day == day)
        return &q->days[hi - 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (q->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < q->ndays && q->days[lo].day == day)
        return &q->days[lo];
    rs_grow((void **)&q->days, &q->days_cap, q->ndays + 1, sizeof(*q->days));
    memmove(q->days + lo + 1, q->days + lo,
            (q->ndays - lo) * sizeof(*q->days));
    q->ndays++;
    d = &q->days[lo];
    memset(d, 0, sizeof(*d));
    d->day = day;
    return d;
}

void rs_timerq_push(struct rs_timerq *q, int64_t at, const char *id,
                    size_t id_len)
{
    int64_t day = day_of(at);
    struct rs_timer_day *d;

    q->count++;
    if (q->run_day != INT64_MIN && day <= q->run_day) {
        rs_timers_push(&q->near, at, id, id_len);
        return;
    }
    d = day_list(q, day);
    rs_grow((void **)&d->v, &d->cap, d->count + 1, sizeof(*d->v));
    timer_fill(&d->v[d->count++], at, id, id_len);
    d->sorted = 0;
    advance(q);
}

const struct rs_timer *rs_timerq_peek(const struct rs_timerq *q)
{
    const struct rs_timer *r = q->head < q->run_count ? &q->run[q->head]
                                                       : NULL;
    const struct rs_timer *n = rs_timers_peek(&q->near);

    if (!r)
        return n;
    return n && less(n, r) ? n : r;
}

void rs_timerq_pop(struct rs_timerq *q)
{
    const struct rs_timer *top = rs_timerq_peek(q);

    if (!top)
        return;
    if (top == rs_timers_peek(&q->near)) {
        rs_timers_pop(&q->near);
    } else {
        timer_free(&q->run[q->head]);
        q->head++;
    }
    q->count--;
    advance(q);
}

size_t rs_timerq_due(struct rs_timerq *q, int64_t upto, const char **ids,
                     size_t max)
{
    const struct rs_timer **near;
    size_t n = 0, nn, i = 0, r = q->head;

    if (!max)
        return 0;
    /* The current day: its run and its small heap, merged. */
    near = rs_calloc(max, sizeof(*near));
    nn = heap_due(&q->near, upto, near, NULL, max);
    while (n < max) {
        const struct rs_timer *a = r < q->run_count && q->run[r].at <= upto
                                       ? &q->run[r]
                                       : NULL;
        const struct rs_timer *b = i < nn ? near[i] : NULL;

        if (!a && !b)
            break;
        if (!a || (b && less(b, a))) {
            ids[n++] = rs_timer_id(b);
            i++;
        } else {
            ids[n++] = rs_timer_id(a);
            r++;
        }
    }
    free(near);
    /* The later days, each after the current one. */
    for (size_t k = 0; k < q->ndays && n < max; k++) {
        struct rs_timer_day *d = &q->days[k];

        if (d->day > day_of(upto))
            break;
        day_sort(d);
        for (size_t j = 0; j < d->count && n < max && d->v[j].at <= upto; j++)
            ids[n++] = rs_timer_id(&d->v[j]);
    }
    return n;
}

size_t rs_timerq_after(const struct rs_timerq *q,
                       const struct rs_timer **out, size_t max)
{
    size_t i = q->head, n = 0;

    if (i < q->run_count && rs_timerq_peek(q) == &q->run[i])
        i++;
    for (; i < q->run_count && n < max; i++)
        out[n++] = &q->run[i];
    return n;
}
