/* Numbers and times as text: strict decimal parsing, ISO-8601 dates.
 *
 * Small pure helpers shared by the decoder's reasons and the Redis store's
 * fields and replies. Parsing is strict: the whole text must be the number,
 * in range, with no sign on unsigned values and no spaces. Dates are in the
 * proleptic Gregorian calendar, UTC, from days or milliseconds since
 * 1970-01-01; every input value is safe, however absurd.
 *
 * Ownership: nothing is allocated; the caller owns every buffer. Text is
 * cut at the buffer's size like snprintf; 32 bytes always suffice. */
#ifndef RS_FORMAT_H
#define RS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal text of len bytes (not NUL-terminated) as a number: 0, or -1 if
 * it is empty, not all digits, or out of range. */
int rs_format_parse_i64(const char *s, size_t len, int64_t *out);
int rs_format_parse_u64(const char *s, size_t len, uint64_t *out);

/* Days since 1970-01-01 as YYYY-MM-DD, any year: at least four digits, a
 * year before 0 with its minus sign. Returns buf. */
const char *rs_format_date(char *buf, size_t size, int32_t days);

/* Milliseconds since 1970-01-01 as YYYY-MM-DDTHH:MM:SSZ, to the second,
 * any year as rs_format_date. Returns buf. */
const char *rs_format_time(char *buf, size_t size, int64_t ms);

/* Milliseconds since 1970-01-01 as YYYY-MM-DDTHH:MM:SS.mmmZ, e.g.
 * 2026-11-23T19:40:01.123Z; a time outside the years 0000-9999 as the
 * plain number of milliseconds. Returns buf. */
const char *rs_format_time_ms(char *buf, size_t size, int64_t ms);

/* vsnprintf(buf, size, fmt, ap) for the conversions the detectors' words
 * use, written by hand (with the dates, the printf family was about 3 %
 * of the daemon's CPU on the benchmark's stream): %s, %d, %u, %ld, %lu,
 * %lld, %llu, %% and %.Nf; the same text, cut the same way. A format with
 * any other conversion (a width, a flag) goes to vsnprintf whole. */
void rs_format_vtext(char *buf, size_t size, const char *fmt, va_list ap);
void rs_format_text(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
