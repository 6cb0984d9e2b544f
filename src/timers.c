/* Binary min-heap of timers (timers.h). */
#include "riskstream/timers.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

_Static_assert(sizeof(struct rs_timer) == 32, "a timer entry is 32 bytes");

void rs_timers_init(struct rs_timers *t)
{
    memset(t, 0, sizeof(*t));
}

void rs_timers_clear(struct rs_timers *t)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->v[i].u.ext.owned)
            free(t->v[i].u.ext.id);
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

    if (id_len >= RS_ID_MAX)
        id_len = RS_ID_MAX - 1;
    rs_grow((void **)&t->v, &t->cap, t->count + 1, sizeof(*t->v));
    i = t->count++;
    e = &t->v[i];
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

size_t rs_timers_due(const struct rs_timers *t, int64_t upto,
                     const char **ids, size_t max)
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

        ids[n++] = rs_timer_id(&t->v[i]);
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

/* Floyd's way: the hole left at the root goes down to a leaf along the
 * lesser children (one comparison a level instead of two), then the last
 * entry, which belongs near the bottom anyway, goes up from there. */
void rs_timers_pop(struct rs_timers *t)
{
    size_t i = 0, n;

    if (!t->count)
        return;
    if (t->v[0].u.ext.owned)
        free(t->v[0].u.ext.id);
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
