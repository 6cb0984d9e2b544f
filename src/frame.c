/* Confluent and single-object framings; CRC-64-AVRO fingerprints.
 *
 * The fingerprint table is built once, lazily; building it twice from two
 * threads writes the same values, so no lock is needed beyond the final
 * flag being written last. */
#include "riskstream/frame.h"

#include <string.h>

#define RS_CRC64_EMPTY 0xc15d213aa4d7a795ULL

static uint64_t crc_table[256];
static volatile int crc_ready;

static void crc_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t fp = (uint64_t)i;

        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (RS_CRC64_EMPTY & (0 - (fp & 1)));
        crc_table[i] = fp;
    }
    crc_ready = 1;
}

uint64_t rs_frame_fingerprint64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t fp = RS_CRC64_EMPTY;

    if (!crc_ready)
        crc_init();
    for (size_t i = 0; i < len; i++)
        fp = (fp >> 8) ^ crc_table[(fp ^ p[i]) & 0xff];
    return fp;
}

enum rs_frame_result rs_frame_parse(const void *buf, size_t len,
                                    struct rs_frame *out)
{
    const uint8_t *p = buf;

    if (len == 0)
        return RS_FRAME_EMPTY;
    if (p[0] == 0x00) {
        if (len < RS_FRAME_CONFLUENT_HEADER)
            return RS_FRAME_TRUNCATED;
        out->kind = RS_FRAME_CONFLUENT;
        out->schema_id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 8 | (uint32_t)p[4];
        out->fingerprint = 0;
        out->body = p + RS_FRAME_CONFLUENT_HEADER;
        out->body_len = len - RS_FRAME_CONFLUENT_HEADER;
        return RS_FRAME_OK;
    }
    if (p[0] == 0xC3) {
        if (len < 2)
            return RS_FRAME_TRUNCATED;
        if (p[1] != 0x01)
            return RS_FRAME_BAD_MAGIC;
        if (len < RS_FRAME_SINGLE_OBJECT_HEADER)
            return RS_FRAME_TRUNCATED;
        out->kind = RS_FRAME_SINGLE_OBJECT;
        out->schema_id = 0;
        out->fingerprint = 0;
        for (int i = 0; i < 8; i++)
            out->fingerprint |= (uint64_t)p[2 + i] << (8 * i);
        out->body = p + RS_FRAME_SINGLE_OBJECT_HEADER;
        out->body_len = len - RS_FRAME_SINGLE_OBJECT_HEADER;
        return RS_FRAME_OK;
    }
    return RS_FRAME_BAD_MAGIC;
}

const char *rs_frame_result_str(enum rs_frame_result r)
{
    switch (r) {
    case RS_FRAME_OK:
        return "ok";
    case RS_FRAME_EMPTY:
        return "empty value";
    case RS_FRAME_TRUNCATED:
        return "value shorter than its framing header";
    case RS_FRAME_BAD_MAGIC:
        return "neither Confluent (0x00) nor single-object (0xC3 0x01) framing";
    }
    return "unknown framing result";
}

size_t rs_frame_write_confluent(uint8_t *dst, uint32_t schema_id)
{
    dst[0] = 0x00;
    dst[1] = (uint8_t)(schema_id >> 24);
    dst[2] = (uint8_t)(schema_id >> 16);
    dst[3] = (uint8_t)(schema_id >> 8);
    dst[4] = (uint8_t)schema_id;
    return RS_FRAME_CONFLUENT_HEADER;
}

size_t rs_frame_write_single_object(uint8_t *dst, uint64_t fingerprint)
{
    dst[0] = 0xC3;
    dst[1] = 0x01;
    for (int i = 0; i < 8; i++)
        dst[2 + i] = (uint8_t)(fingerprint >> (8 * i));
    return RS_FRAME_SINGLE_OBJECT_HEADER;
}
