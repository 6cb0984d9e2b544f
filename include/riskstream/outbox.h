/* The outbox entry's stored form: one struct rs_outbox_entry (store.h) as
 * a versioned, self-delimiting byte string. The Redis store keeps a
 * flush's entries back to back in one string (a list of one element each
 * before 2026-12-07, still read).
 *
 * Format, big-endian, version 1:
 *   u8 format (1) | u8 topic | u32 key length | key | u32 value length | value
 * A key length of 0xffffffff means a NULL key (no bytes follow for it),
 * which is not the same as an empty key. The value length must reach
 * exactly to the end of the entry. A reader refuses any other format byte,
 * so a later layout must take a new number, never change this one.
 *
 * Ownership: rs_outbox_encode() only appends to the caller's buffer;
 * rs_outbox_decode() and rs_outbox_copy() give the entry heap copies of
 * key and value that the caller frees with free() (rs_store_meta_release()
 * does so for a meta's outbox). */
#ifndef RS_OUTBOX_H
#define RS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/buf.h"
#include "riskstream/store.h"

/* 1 if topic is one of enum rs_outbox_topic, else 0. */
int rs_outbox_topic_valid(int topic);

/* Appends the encoding of e to b: NULL, or why e cannot be encoded (an
 * unknown topic, a key or value of 4 GB or more), b then unchanged. */
const char *rs_outbox_encode(struct rs_buf *b, const struct rs_outbox_entry *e);

/* Decodes the n bytes at p, exactly one entry, into e: NULL, or why they
 * are not an entry, e then zeroed and owning nothing. */
const char *rs_outbox_decode(const uint8_t *p, size_t n,
                             struct rs_outbox_entry *e);

/* One flush's outbox as the Redis store keeps it, in one string: the
 * entries back to back (the first byte is then the entry format, 1), or,
 * when they take RS_OUTBOX_PACK_MIN bytes or more and LZ4 makes them
 * smaller, u8 0x81 | u32 the entries' length | the entries as one LZ4
 * block. Alerts repeat their words and ids: the benchmark's compress
 * about 7 to 1 (docs/performance.md, "Thirteenth round"). */
#define RS_OUTBOX_PACK_MIN 512

/* Appends the stored string of the n bytes of entries at p to out. */
void rs_outbox_pack(struct rs_buf *out, const uint8_t *p, size_t n);

/* The entries of the stored string of n bytes at p: *entries and *len
 * point into p, or at a copy decompressed into *owned (NULL when not; the
 * caller frees it). NULL, or why the string is not an outbox. */
const char *rs_outbox_unpack(const uint8_t *p, size_t n,
                             const uint8_t **entries, size_t *len,
                             uint8_t **owned);

/* The size of the entry that begins at p, as its lengths say, when it
 * fits in the n bytes there; else n (rs_outbox_decode() of those n bytes
 * then says what is wrong). For entries stored back to back. */
size_t rs_outbox_entry_size(const uint8_t *p, size_t n);

/* A deep copy of src into dst: NULL keys stay NULL; value is always
 * allocated, even when empty. */
void rs_outbox_copy(struct rs_outbox_entry *dst,
                    const struct rs_outbox_entry *src);

#endif
