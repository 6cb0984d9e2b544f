/* The outbox entry's stored form (format in outbox.h).
 *
 * The Redis store writes a flush's outbox as these strings back to back in
 * one value, packed with LZ4 when that is shorter, and reads it back on
 * open_task; the memory store keeps entries as structs and only shares the
 * copy. Decoding never trusts the bytes: the lengths must add up to the
 * entry's size exactly before anything is copied, so a corrupt entry is
 * refused whole, with a reason, and allocates nothing; a packed outbox
 * must decompress to exactly the length it states, which cannot be more
 * than LZ4 can expand its block to. */
#include "riskstream/outbox.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define OUTBOX_FORMAT 1
#define OUTBOX_NO_KEY 0xffffffffu
#define OUTBOX_HEADER 6 /* format, topic, key length */
#define OUTBOX_LZ4 0x81   /* a packed outbox: LZ4 block (outbox.h) */
#define OUTBOX_LZ4_HEADER 5

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint8_t *copy_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = rs_malloc(n);

    if (n)
        memcpy(c, p, n);
    return c;
}

int rs_outbox_topic_valid(int topic)
{
    return topic == RS_OUTBOX_ALERTS || topic == RS_OUTBOX_DEADLETTER ||
           topic == RS_OUTBOX_GROUP;
}

const char *rs_outbox_encode(struct rs_buf *b, const struct rs_outbox_entry *e)
{
    uint8_t h[OUTBOX_HEADER], vl[4];

    if (!rs_outbox_topic_valid(e->topic))
        return "unknown topic";
    if ((e->key && e->key_len >= OUTBOX_NO_KEY) ||
        e->value_len >= OUTBOX_NO_KEY)
        return "key or value of 4 GB or more";
    h[0] = OUTBOX_FORMAT;
    h[1] = (uint8_t)e->topic;
    put_u32(h + 2, e->key ? (uint32_t)e->key_len : OUTBOX_NO_KEY);
    put_u32(vl, (uint32_t)e->value_len);
    rs_buf_append(b, h, sizeof(h));
    if (e->key)
        rs_buf_append(b, e->key, e->key_len);
    rs_buf_append(b, vl, sizeof(vl));
    rs_buf_append(b, e->value, e->value_len);
    return NULL;
}

const char *rs_outbox_decode(const uint8_t *p, size_t n,
                             struct rs_outbox_entry *e)
{
    size_t pos = OUTBOX_HEADER;
    uint32_t key_len, value_len;

    memset(e, 0, sizeof(*e));
    if (n < OUTBOX_HEADER)
        return "shorter than its header";
    if (p[0] != OUTBOX_FORMAT)
        return "unknown format";
    if (!rs_outbox_topic_valid(p[1]))
        return "unknown topic";
    key_len = get_u32(p + 2);
    if (key_len != OUTBOX_NO_KEY && key_len > n - pos)
        return "key runs past the end";
    if (key_len != OUTBOX_NO_KEY)
        pos += key_len;
    if (n - pos < 4)
        return "value length missing";
    value_len = get_u32(p + pos);
    pos += 4;
    if (value_len != n - pos)
        return "value length does not match the entry's size";
    e->topic = (enum rs_outbox_topic)p[1];
    if (key_len != OUTBOX_NO_KEY) {
        e->key = copy_bytes(p + OUTBOX_HEADER, key_len);
        e->key_len = key_len;
    }
    e->value = copy_bytes(p + pos, value_len);
    e->value_len = value_len;
    return NULL;
}

void rs_outbox_pack(struct rs_buf *out, const uint8_t *p, size_t n)
{
    int bound, got;
    uint8_t *h;

    if (n < RS_OUTBOX_PACK_MIN || n > LZ4_MAX_INPUT_SIZE ||
        rs_buf_reserve(out, OUTBOX_LZ4_HEADER +
                                (size_t)LZ4_compressBound((int)n)))
        goto raw;
    bound = LZ4_compressBound((int)n);
    h = out->data + out->len;
    got = LZ4_compress_default((const char *)p,
                               (char *)h + OUTBOX_LZ4_HEADER, (int)n, bound);
    if (got <= 0 || (size_t)got + OUTBOX_LZ4_HEADER >= n)
        goto raw; /* did not fit, or saved nothing */
    h[0] = OUTBOX_LZ4;
    put_u32(h + 1, (uint32_t)n);
    out->len += OUTBOX_LZ4_HEADER + (size_t)got;
    out->data[out->len] = '\0';
    return;
raw:
    rs_buf_append(out, p, n);
}

const char *rs_outbox_unpack(const uint8_t *p, size_t n,
                             const uint8_t **entries, size_t *len,
                             uint8_t **owned)
{
    uint32_t raw;
    int got;

    *owned = NULL;
    *entries = p;
    *len = n;
    if (n == 0 || p[0] != OUTBOX_LZ4)
        return NULL; /* entries as they are (decoding checks them) */
    if (n < OUTBOX_LZ4_HEADER)
        return "a packed outbox shorter than its header";
    raw = get_u32(p + 1);
    /* LZ4 expands a block at most 255 times (a match's length takes a
     * byte per 255): a larger stated length is corrupt, and is not
     * allocated. */
    if (raw == 0 || raw > LZ4_MAX_INPUT_SIZE ||
        n - OUTBOX_LZ4_HEADER > (size_t)LZ4_MAX_INPUT_SIZE ||
        raw > 255 * (n - OUTBOX_LZ4_HEADER) + 16)
        return "a packed outbox of an impossible length";
    *owned = rs_malloc(raw);
    got = LZ4_decompress_safe((const char *)p + OUTBOX_LZ4_HEADER,
                              (char *)*owned,
                              (int)(n - OUTBOX_LZ4_HEADER), (int)raw);
    if (got != (int)raw) {
        free(*owned);
        *owned = NULL;
        *entries = NULL;
        *len = 0;
        return "a packed outbox that does not decompress to its length";
    }
    *entries = *owned;
    *len = raw;
    return NULL;
}

size_t rs_outbox_entry_size(const uint8_t *p, size_t n)
{
    size_t pos = OUTBOX_HEADER;
    uint32_t key_len, value_len;

    if (n < OUTBOX_HEADER)
        return n;
    key_len = get_u32(p + 2);
    if (key_len != OUTBOX_NO_KEY) {
        if (key_len > n - pos)
            return n;
        pos += key_len;
    }
    if (n - pos < 4)
        return n;
    value_len = get_u32(p + pos);
    pos += 4;
    return value_len > n - pos ? n : pos + value_len;
}

void rs_outbox_copy(struct rs_outbox_entry *dst,
                    const struct rs_outbox_entry *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->topic = src->topic;
    if (src->key) {
        dst->key = copy_bytes(src->key, src->key_len);
        dst->key_len = src->key_len;
    }
    dst->value = copy_bytes(src->value, src->value_len);
    dst->value_len = src->value_len;
}
