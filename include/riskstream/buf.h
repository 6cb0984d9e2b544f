/* A growable byte buffer for building encodings and text.
 *
 * Embedded (rs_buf_init/rs_buf_release); data is NUL-terminated after every
 * append so text can be used directly. A cap bounds growth: an append that
 * would pass it fails and sets the sticky overflow flag, so a builder can
 * append freely and check once at the end. */
#ifndef RS_BUF_H
#define RS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rs_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;   /* 0 = no cap */
    int overflow; /* set when an append was refused by max */
};

void rs_buf_init(struct rs_buf *b, size_t max);
void rs_buf_release(struct rs_buf *b);
void rs_buf_reset(struct rs_buf *b);
int rs_buf_append(struct rs_buf *b, const void *data, size_t len);
/* Room for extra more bytes (and the NUL after them): 0, or -1 with
 * overflow set when the cap refuses. */
int rs_buf_reserve(struct rs_buf *b, size_t extra);
int rs_buf_puts(struct rs_buf *b, const char *s);

/* rs_buf_append(), inline when the bytes fit the room the buffer has (the
 * common case for a reused buffer: encoders append a few bytes at a
 * time). */
static inline int rs_buf_add(struct rs_buf *b, const void *data, size_t len)
{
    if (len < b->cap - b->len && (!b->max || len <= b->max - b->len)) {
        if (len)
            memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
    }
    return rs_buf_append(b, data, len);
}
int rs_buf_printf(struct rs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
