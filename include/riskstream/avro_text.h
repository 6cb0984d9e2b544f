/* Building and printing Avro generic values from text.
 *
 * For tools, samples and tests, not the hot path: a record is filled from
 * `field=value` text, converting by the field's schema type. Integer fields
 * also accept ISO dates (`2026-01-05` → days since 1970-01-01, for
 * logicalType date) and, for long fields, ISO timestamps
 * (`2026-01-05T09:00:00Z` or with `.123Z` → milliseconds since the epoch,
 * for logicalType timestamp-millis). An optional field (union with null)
 * takes `null` or a value of its other branch.
 *
 * Ownership: out buffers and strings are the caller's (rs_buf_release /
 * free). */
#ifndef RS_AVRO_TEXT_H
#define RS_AVRO_TEXT_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "riskstream/buf.h"

/* Sets one field of a record value from text. Returns 0, or -1 with errstr
 * naming the field and why. */
int rs_avro_set_text(avro_value_t *record, const char *field,
                     const char *text, char *errstr, size_t errstr_size);

/* Fills a record from "k=v k=v ..." (space separated, so values cannot
 * hold spaces; an array field takes comma-separated elements). Optional
 * fields not named are set to null. */
int rs_avro_fill(avro_value_t *record, const char *fields, char *errstr,
                 size_t errstr_size);

/* Appends the Avro binary encoding of value to out. */
int rs_avro_encode(avro_value_t *value, struct rs_buf *out);

/* Parses `YYYY-MM-DD` into days since the epoch, or `YYYY-MM-DDTHH:MM:SS[.mmm]Z`
 * into milliseconds. Return 0 on success, -1 if the text is not of that form. */
int rs_avro_parse_date(const char *text, int32_t *days);
int rs_avro_parse_timestamp(const char *text, int64_t *millis);

#endif
