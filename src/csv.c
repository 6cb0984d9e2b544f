/* RFC 4180 CSV records with line numbers (see csv.h).
 *
 * A small state machine over getc(): the record's text goes into one
 * growing buffer with a NUL after each field, and the field starts into a
 * second array, so a record costs two allocations that are reused for the
 * next one. Past a cap the machine keeps reading to the end of the record
 * (so the next record starts in the right place) but stores nothing more. */
#include "riskstream/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/mem.h"

#define NONE (-2)

struct rs_csv {
    FILE *fp;
    int own;
    char *path;
    char delimiter;
    char quote;
    uint64_t line; /* line of the next character */
    int at_start;  /* nothing read yet: skip a byte-order mark */
    int pending[3]; /* bytes read ahead while looking for the mark */
    int npending, ipending;
    int unread; /* one byte pushed back, or NONE */
    char *text;
    size_t len, cap;
    size_t *starts;
    size_t starts_cap;
    const char **fields;
    size_t fields_cap;
    size_t count;
    const char *bad;
};

struct rs_csv *rs_csv_open(const char *path, char delimiter, char quote,
                           char *errstr, size_t errstr_size)
{
    int own = strcmp(path, "-") != 0;
    FILE *fp = own ? fopen(path, "rb") : stdin;
    struct rs_csv *c;

    if (!fp) {
        snprintf(errstr, errstr_size, "cannot open CSV file '%s': %s", path,
                 strerror(errno));
        return NULL;
    }
    c = rs_calloc(1, sizeof(*c));
    c->fp = fp;
    c->own = own;
    c->path = rs_strdup(path);
    c->delimiter = delimiter;
    c->quote = quote;
    c->line = 1;
    c->at_start = 1;
    c->unread = NONE;
    return c;
}

void rs_csv_close(struct rs_csv *c)
{
    if (!c)
        return;
    if (c->own)
        fclose(c->fp);
    free(c->path);
    free(c->text);
    free(c->starts);
    free(c->fields);
    free(c);
}

static void put(struct rs_csv *c, int ch)
{
    if (c->bad)
        return;
    if (c->len + 1 >= RS_CSV_RECORD_MAX) {
        c->bad = "record is longer than 1 MiB";
        return;
    }
    rs_grow((void **)&c->text, &c->cap, c->len + 1, 1);
    c->text[c->len++] = (char)ch;
}

static void end_field(struct rs_csv *c)
{
    put(c, '\0');
    if (c->bad)
        return;
    if (c->count == RS_CSV_FIELDS_MAX) {
        c->bad = "record has more than 1024 fields";
        return;
    }
    rs_grow((void **)&c->starts, &c->starts_cap, c->count + 1,
            sizeof(*c->starts));
    c->starts[c->count++] = c->len;
}

/* The next byte of the file, after a UTF-8 byte-order mark if any. */
static int raw_char(struct rs_csv *c)
{
    static const int bom[3] = {0xef, 0xbb, 0xbf};

    if (c->unread != NONE) {
        int ch = c->unread;

        c->unread = NONE;
        return ch;
    }
    if (c->at_start) {
        c->at_start = 0;
        while (c->npending < 3) {
            int ch = getc(c->fp);

            if (ch == EOF)
                break;
            c->pending[c->npending++] = ch;
            if (ch != bom[c->npending - 1])
                break;
        }
        if (c->npending == 3 && c->pending[0] == 0xef &&
            c->pending[1] == 0xbb && c->pending[2] == 0xbf)
            c->npending = 0;
    }
    if (c->ipending < c->npending)
        return c->pending[c->ipending++];
    return getc(c->fp);
}

/* Reads one character, ending a CR LF pair as one '\n' and counting lines. */
static int next_char(struct rs_csv *c)
{
    int ch = raw_char(c);

    if (ch == '\r') {
        int n = raw_char(c);

        if (n != '\n' && n != EOF)
            c->unread = n;
        ch = '\n';
    }
    if (ch == '\n')
        c->line++;
    return ch;
}

int rs_csv_next(struct rs_csv *c, struct rs_csv_record *rec, char *errstr,
                size_t errstr_size)
{
    enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_QUOTE } st;
    int ch;

    /* Empty lines hold no record. */
    do {
        rec->line = c->line;
        ch = next_char(c);
    } while (ch == '\n');
    if (ch == EOF)
        goto end;
    c->len = 0;
    c->count = 0;
    c->bad = NULL;
    /* starts[i] is where field i ends + 1; field 0 starts at 0. */
    st = FIELD_START;
    for (;; ch = next_char(c)) {
        if (ch == EOF) {
            if (st == QUOTED)
                c->bad = "quoted field is not closed before the end of the "
                         "file";
            end_field(c);
            break;
        }
        switch (st) {
        case FIELD_START:
            if (c->quote && ch == c->quote) {
                st = QUOTED;
                continue;
            }
            st = UNQUOTED;
            /* fall through */
        case UNQUOTED:
            if (ch == c->delimiter) {
                end_field(c);
                st = FIELD_START;
            } else if (ch == '\n') {
                end_field(c);
                goto done;
            } else {
                put(c, ch);
            }
            continue;
        case QUOTED:
            if (ch == c->quote)
                st = QUOTE_IN_QUOTED;
            else
                put(c, ch == '\n' ? '\n' : ch);
            continue;
        case QUOTE_IN_QUOTED:
            if (ch == c->quote) {
                put(c, ch); /* "" is one quote */
                st = QUOTED;
                continue;
            }
            st = AFTER_QUOTE;
            /* fall through */
        case AFTER_QUOTE:
            if (ch == c->delimiter) {
                end_field(c);
                st = FIELD_START;
            } else if (ch == '\n') {
                end_field(c);
                goto done;
            } else if (!c->bad) {
                c->bad = "text after a closing quote";
            }
            continue;
        }
    }
done:
    rs_grow((void **)&c->fields, &c->fields_cap, c->count + 1,
            sizeof(*c->fields));
    for (size_t i = 0; i < c->count; i++)
        c->fields[i] = c->text + (i ? c->starts[i - 1] : 0);
    rec->fields = c->fields;
    rec->count = c->count;
    rec->bad = c->bad;
    return 1;
end:
    if (ferror(c->fp)) {
        snprintf(errstr, errstr_size, "cannot read CSV file '%s': %s",
                 c->path, strerror(errno));
        return -1;
    }
    return 0;
}
