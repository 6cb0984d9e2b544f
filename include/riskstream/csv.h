/* Reading CSV exports: RFC 4180 records with their line numbers.
 *
 * A record is fields separated by the delimiter and ended by LF, CRLF or
 * CR. A field that starts with the quote character runs to the matching
 * quote and may hold delimiters, line breaks and doubled quotes (""); a
 * quote inside an unquoted field is kept as text. A UTF-8 byte-order mark
 * at the start of the file is skipped, and so are empty lines (they hold
 * no record). Records are streamed: memory is bounded by the longest
 * record, not by the file.
 *
 * A record that breaks the format (text after a closing quote, a quoted
 * field still open at the end of the file, more than RS_CSV_FIELDS_MAX
 * fields or RS_CSV_RECORD_MAX bytes) is still returned, with `bad` saying
 * why, so the caller reports it with its line number and goes on.
 *
 * Ownership: rs_csv_open() returns a reader the caller frees with
 * rs_csv_close(). A record's fields point into the reader and are valid
 * until the next rs_csv_next(). */
#ifndef RS_CSV_H
#define RS_CSV_H

#include <stddef.h>
#include <stdint.h>

#define RS_CSV_FIELDS_MAX 1024
#define RS_CSV_RECORD_MAX (1024 * 1024)

struct rs_csv;

struct rs_csv_record {
    const char *const *fields; /* NUL-terminated, unquoted */
    size_t count;
    uint64_t line;   /* 1-based line where the record starts */
    const char *bad; /* NULL, or why the record breaks the format */
};

/* quote 0: no quoting. path "-" is standard input. Returns NULL with
 * errstr naming the file and why. */
struct rs_csv *rs_csv_open(const char *path, char delimiter, char quote,
                           char *errstr, size_t errstr_size);
void rs_csv_close(struct rs_csv *c);

/* 1 with *rec filled, 0 at the end, -1 with errstr on a read error. */
int rs_csv_next(struct rs_csv *c, struct rs_csv_record *rec, char *errstr,
                size_t errstr_size);

#endif
