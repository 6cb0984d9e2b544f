/* Binary min-heap of timers (timers.h). */
#include "riskstream/timers.h"

#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

void rs_timers_init(struct rs_timers *t)
{
    memset(t, 0, sizeof(*t));
}

void rs_timers_release(struct rs_timers *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* Ties in time go in id order, as Redis orders a sorted set's equal
 * scores, so that reloaded timers fire in the order they would have.
 * Timers fall on day boundaries and tie often: the first 8 bytes of the
 * ids, compared as one number, decide most ties without strcmp. */
static int less(const struct rs_timer *a, const struct rs_timer *b)
{
    if (a->at != b->at)
        return a->at < b->at;
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix;
    return strcmp(a->id, b->id) < 0;
}

/* The first 8 bytes of a NUL-padded id as a big-endian number: numbers
 * compare as the bytes do, as strcmp does (unsigned char). */
static uint64_t prefix_of(const char *id)
{
    uint64_t v = 0;
    int end = 0;

    for (int i = 0; i < 8; i++) {
        uint8_t b = end ? 0 : (uint8_t)id[i];

        end = end || b == 0;
        v = v << 8 | b;
    }
    return v;
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
    size_t i;

    if (id_len >= RS_ID_MAX)
        id_len = RS_ID_MAX - 1;
    rs_grow((void **)&t->v, &t->cap, t->count + 1, sizeof(*t->v));
    i = t->count++;
    t->v[i].at = at;
    memcpy(t->v[i].id, id, id_len);
    t->v[i].id[id_len] = '\0';
    t->v[i].prefix = prefix_of(t->v[i].id);
    while (i > 0 && less(&t->v[i], &t->v[(i - 1) / 2])) {
        swap(&t->v[i], &t->v[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

const struct rs_timer *rs_timers_peek(const struct rs_timers *t)
{
    return t->count ? &t->v[0] : NULL;
}

size_t rs_timers_due(const struct rs_timers *t, int64_t upto,
                     const char **ids, size_t max)
{
    size_t n = 0, stack[64], top = 0;

    /* Depth first from the root: below an entry later than upto every
     * entry is later too. The stack holds at most one pending sibling per
     * level, and a heap of 2^64 entries has 64 levels. */
    if (t->count && t->v[0].at <= upto)
        stack[top++] = 0;
    while (top && n < max) {
        size_t i = stack[--top];

        ids[n++] = t->v[i].id;
        for (size_t c = 2 * i + 1; c <= 2 * i + 2 && c < t->count; c++)
            if (t->v[c].at <= upto && top < sizeof(stack) / sizeof(stack[0]))
                stack[top++] = c;
    }
    return n;
}

void rs_timers_pop(struct rs_timers *t)
{
    size_t i = 0;

    if (!t->count)
        return;
    t->v[0] = t->v[--t->count];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < t->count && less(&t->v[l], &t->v[m]))
            m = l;
        if (r < t->count && less(&t->v[r], &t->v[m]))
            m = r;
        if (m == i)
            break;
        swap(&t->v[i], &t->v[m]);
        i = m;
    }
}
