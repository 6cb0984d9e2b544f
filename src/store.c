/* The state store's shared parts: destroying a store, releasing a meta.
 *
 * Each implementation (store_redis.c, store_memory.c) fills a struct
 * rs_store with its table of operations; callers only ever go through the
 * inline wrappers in store.h, so the engine cannot tell which one it has.
 * Also the readable summary's JSON, which the Redis store writes and
 * `riskstream state` prints. */
#include "riskstream/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/alert.h"
#include "riskstream/format.h"

void rs_store_destroy(struct rs_store *s)
{
    if (!s)
        return;
    s->ops->destroy(s->self);
    free(s);
}

void rs_store_meta_release(struct rs_task_meta *meta)
{
    if (!meta)
        return;
    for (size_t i = 0; i < meta->outbox_count; i++) {
        free(meta->outbox[i].key);
        free(meta->outbox[i].value);
    }
    free(meta->outbox);
    memset(meta, 0, sizeof(*meta));
}

/* Writes v in decimal at p; returns the end. */
static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do
        tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* |x| in tenths, rounded as printf's "%.1f" rounds: to the nearest by
 * the exact binary value, an exact tie to even. x * 10 can only land on a
 * tie that is not one (1.05 is 1.05000000000000004...): the product's
 * rounding error, from fma(), says which side the exact value is on. */
static int64_t tenths(double x)
{
    double a = x < 0 ? -x : x, p = a * 10.0, fl = floor(p);

    if (p - fl == 0.5) {
        double e = fma(a, 10.0, -p);

        return (int64_t)fl + (e > 0 || (e == 0 && ((int64_t)fl & 1)));
    }
    return llround(p);
}

/* Written by hand, as snprintf was a hot spot of the flush. */
void rs_summary_json(struct rs_buf *out, const struct rs_summary *sm)
{
    char buf[320], last[40], *p = buf;
    double days = sm->days_beyond_terms;

    rs_format_time_ms(last, sizeof(last), sm->last_event_time);
    p = put_str(p, "{\"level\":\"");
    p = put_str(p, rs_level_name((enum rs_level)sm->level));
    p = put_str(p, "\",\"score\":");
    p = put_i64(p, sm->score);
    p = put_str(p, ",\"open_amount\":");
    p = put_i64(p, sm->open_amount);
    p = put_str(p, ",\"overdue_amount\":");
    p = put_i64(p, sm->overdue_amount);
    p = put_str(p, ",\"days_beyond_terms\":");
    if (days > -1e14 && days < 1e14) {
        int64_t t = tenths(days);

        if (days < 0 && t)
            *p++ = '-';
        p = put_i64(p, t / 10);
        *p++ = '.';
        *p++ = (char)('0' + t % 10);
    } else {
        p += snprintf(p, 40, "%.1e", days);
    }
    p = put_str(p, ",\"last_event_time\":\"");
    p = put_str(p, last);
    p = put_str(p, "\"}");
    rs_buf_append(out, buf, (size_t)(p - buf));
}
