/* Wire framings of Avro records on Kafka, and the Avro schema fingerprint.
 *
 * Two framings are read: Confluent's (0x00, 4-byte big-endian schema id,
 * body) and Avro single-object encoding (0xC3 0x01, 8-byte little-endian
 * CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form,
 * body). Pure functions over caller-owned buffers; nothing is allocated. */
#ifndef RS_FRAME_H
#define RS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RS_FRAME_CONFLUENT_HEADER 5
#define RS_FRAME_SINGLE_OBJECT_HEADER 10

enum rs_frame_kind {
    RS_FRAME_CONFLUENT,
    RS_FRAME_SINGLE_OBJECT,
};

enum rs_frame_result {
    RS_FRAME_OK,
    RS_FRAME_EMPTY,     /* no bytes at all (e.g. a tombstone) */
    RS_FRAME_TRUNCATED, /* a known magic, but shorter than its header */
    RS_FRAME_BAD_MAGIC, /* neither framing */
};

struct rs_frame {
    enum rs_frame_kind kind;
    uint32_t schema_id;   /* RS_FRAME_CONFLUENT */
    uint64_t fingerprint; /* RS_FRAME_SINGLE_OBJECT */
    const uint8_t *body;  /* points into the parsed buffer */
    size_t body_len;
};

enum rs_frame_result rs_frame_parse(const void *buf, size_t len,
                                    struct rs_frame *out);

/* A short English reason for a result, for dead letters and logs. */
const char *rs_frame_result_str(enum rs_frame_result r);

/* Write a header into dst (at least RS_FRAME_*_HEADER bytes); return its
 * length. */
size_t rs_frame_write_confluent(uint8_t *dst, uint32_t schema_id);
size_t rs_frame_write_single_object(uint8_t *dst, uint64_t fingerprint);

/* CRC-64-AVRO (Rabin) of bytes, as the Avro specification defines it for
 * schema fingerprints. */
uint64_t rs_frame_fingerprint64(const void *data, size_t len);

#endif
