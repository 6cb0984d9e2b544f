/* Growable byte buffer with a cap (see buf.h). */
#include "riskstream/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

void rs_buf_init(struct rs_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void rs_buf_release(struct rs_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void rs_buf_reset(struct rs_buf *b)
{
    b->len = 0;
    b->overflow = 0;
    if (b->data)
        b->data[0] = '\0';
}

int rs_buf_reserve(struct rs_buf *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra)) {
        b->overflow = 1;
        return -1;
    }
    rs_grow((void **)&b->data, &b->cap, b->len + extra + 1, 1);
    return 0;
}

int rs_buf_append(struct rs_buf *b, const void *data, size_t len)
{
    if (rs_buf_reserve(b, len))
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int rs_buf_puts(struct rs_buf *b, const char *s)
{
    return rs_buf_append(b, s, strlen(s));
}

int rs_buf_printf(struct rs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || rs_buf_reserve(b, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}
