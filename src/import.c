/* Importing invoice exports: rows to events (see import.h and
 * docs/import.md; the mapping file is read by import_map.c).
 *
 * The header turns each column reference into a field
 * index. A row is parsed completely (every value converted and every rule
 * checked) before any of its events is built, and its events are added
 * between a batch mark and a rollback, so a row is either wholly imported
 * or reported with the first reason it fails. Invoice numbers make the
 * event ids, so a number seen twice is a bad row; a hash set of the
 * numbers remembers the line each was first seen at. */
#include "riskstream/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"
#include "riskstream/csv.h"
#include "riskstream/customer.h"
#include "riskstream/format.h"
#include "riskstream/mem.h"

#define LONGEST_SUFFIX "-resolved" /* of the event ids made from an invoice */

/* ---- duplicate invoices ------------------------------------------- */

/* Invoice numbers must be unique in an export: they make the event ids. */
struct seen_entry {
    char *key; /* the invoice id */
    uint64_t line;
};

struct seen {
    struct seen_entry *v;
    size_t cap, count;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Adds key; returns 0, or the line it was first seen at. */
static uint64_t seen_add(struct seen *s, const char *key, uint64_t line)
{
    size_t i;

    if ((s->count + 1) * 2 > s->cap) {
        struct seen old = *s;

        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = rs_calloc(s->cap, sizeof(*s->v));
        for (size_t j = 0; j < old.cap; j++) {
            if (!old.v[j].key)
                continue;
            for (i = hash(old.v[j].key) & (s->cap - 1); s->v[i].key;
                 i = (i + 1) & (s->cap - 1))
                ;
            s->v[i] = old.v[j];
        }
        free(old.v);
    }
    for (i = hash(key) & (s->cap - 1); s->v[i].key;
         i = (i + 1) & (s->cap - 1))
        if (strcmp(s->v[i].key, key) == 0)
            return s->v[i].line;
    s->v[i].key = rs_strdup(key);
    s->v[i].line = line;
    s->count++;
    return 0;
}

static void seen_release(struct seen *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->v[i].key);
    free(s->v);
}

/* ---- rows ------------------------------------------------------------ */

struct ctx {
    const struct rs_import_mapping *m;
    int index[C_COUNT]; /* field index of each mapped column, -1 none */
    char name[C_COUNT][80]; /* how reasons name each column */
    size_t width;       /* fields per row */
    struct seen seen;
};

/* One row's values once parsed and checked. */
struct row {
    const char *customer, *invoice, *order, *sector, *segment;
    char customer_id[RS_ID_MAX * 2];
    char currency[RS_CURRENCY_MAX];
    int64_t amount;
    int32_t issue, due, terms;
    int settled_known;
    int32_t settled;
    int disputed;
};

static const char *value(const struct ctx *x, const struct rs_csv_record *r,
                         enum col c, char *buf, size_t size)
{
    char *p;

    if (x->index[c] < 0)
        return NULL;
    snprintf(buf, size, "%s", r->fields[x->index[c]]);
    p = buf;
    rs_import_trim(&p);
    return p;
}

/* Parses a decimal amount into minor units. */
static int parse_amount(const struct rs_import_mapping *m, const char *text,
                        int64_t *out, const char **why)
{
    const char *p = text;
    int neg = 0, digits = 0, decimals = -1;
    int64_t v = 0;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (v > (INT64_MAX - 9) / 10) {
                *why = "is too large";
                return -1;
            }
            v = v * 10 + (*p - '0');
            digits++;
            if (decimals >= 0 && ++decimals > m->minor_digits) {
                *why = "has more decimals than the currency's minor unit";
                return -1;
            }
        } else if (*p == m->decimal && decimals < 0) {
            decimals = 0;
        } else if (m->thousands && *p == m->thousands && decimals < 0 &&
                   digits > 0) {
            continue;
        } else {
            *why = "is not a decimal amount";
            return -1;
        }
    }
    if (!digits) {
        *why = "is not a decimal amount";
        return -1;
    }
    for (int i = decimals < 0 ? 0 : decimals; i < m->minor_digits; i++) {
        if (v > INT64_MAX / 10) {
            *why = "is too large";
            return -1;
        }
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

static int parse_days(const char *text, int32_t *out)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (!*text || *end || v < -36500 || v > 36500)
        return -1;
    *out = (int32_t)v;
    return 0;
}

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(why, why_size, __VA_ARGS__);                                  \
        return -1;                                                             \
    } while (0)

/* Reads and checks one row's values. */
static int parse_row(struct ctx *x, const struct rs_csv_record *r,
                     struct row *w, char bufs[C_COUNT][512], char *why,
                     size_t why_size)
{
    const struct rs_import_mapping *m = x->m;
    const char *v[C_COUNT], *bad;
    char dt[48];

    for (int c = 0; c < C_COUNT; c++)
        v[c] = value(x, r, (enum col)c, bufs[c], sizeof(bufs[c]));
    memset(w, 0, sizeof(*w));
    if (!v[C_CUSTOMER][0])
        FAIL("%s is empty", x->name[C_CUSTOMER]);
    if (strlen(m->prefix) + strlen(v[C_CUSTOMER]) > RS_ID_MAX - 1)
        FAIL("%s '%s%s' is longer than %d bytes", x->name[C_CUSTOMER],
             m->prefix, v[C_CUSTOMER], RS_ID_MAX - 1);
    snprintf(w->customer_id, sizeof(w->customer_id), "%s%s", m->prefix,
             v[C_CUSTOMER]);
    w->customer = w->customer_id;
    if (!v[C_INVOICE][0])
        FAIL("%s is empty", x->name[C_INVOICE]);
    /* The event ids add at most "-resolved" to it. */
    if (strlen(v[C_INVOICE]) > RS_ID_MAX - 1 - strlen(LONGEST_SUFFIX))
        FAIL("%s '%s' is longer than %d bytes", x->name[C_INVOICE],
             v[C_INVOICE], (int)(RS_ID_MAX - 1 - strlen(LONGEST_SUFFIX)));
    w->invoice = v[C_INVOICE];
    if (parse_amount(m, v[C_AMOUNT], &w->amount, &bad))
        FAIL("%s '%s' %s", x->name[C_AMOUNT], v[C_AMOUNT], bad);
    if (w->amount < 0)
        FAIL("%s '%s' is negative", x->name[C_AMOUNT], v[C_AMOUNT]);
    if (w->amount == 0)
        FAIL("%s '%s' is zero", x->name[C_AMOUNT], v[C_AMOUNT]);
    if (v[C_CURRENCY] && v[C_CURRENCY][0]) {
        if (!rs_import_currency_code(v[C_CURRENCY]))
            FAIL("%s '%s' is not an ISO 4217 code like EUR",
                 x->name[C_CURRENCY], v[C_CURRENCY]);
        snprintf(w->currency, sizeof(w->currency), "%s", v[C_CURRENCY]);
    } else if (m->currency[0]) {
        snprintf(w->currency, sizeof(w->currency), "%s", m->currency);
    } else {
        FAIL("%s is empty and the mapping sets no currency",
             x->name[C_CURRENCY]);
    }
    if (rs_import_parse_date(&m->date, v[C_ISSUE], &w->issue))
        FAIL("%s '%s' is not a date of format %s", x->name[C_ISSUE],
             v[C_ISSUE], m->date.text);
    w->terms = -1;
    if (v[C_TERMS] && v[C_TERMS][0] &&
        (parse_days(v[C_TERMS], &w->terms) || w->terms < 0))
        FAIL("%s '%s' is not a number of days", x->name[C_TERMS],
             v[C_TERMS]);
    if (w->terms < 0)
        w->terms = m->terms_days;
    if (v[C_DUE] && v[C_DUE][0]) {
        if (rs_import_parse_date(&m->date, v[C_DUE], &w->due))
            FAIL("%s '%s' is not a date of format %s", x->name[C_DUE],
                 v[C_DUE], m->date.text);
        if (w->due < w->issue)
            FAIL("%s '%s' is before %s '%s'", x->name[C_DUE], v[C_DUE],
                 x->name[C_ISSUE], v[C_ISSUE]);
        if (!v[C_TERMS] || !v[C_TERMS][0])
            w->terms = w->due - w->issue;
    } else if (w->terms >= 0) {
        w->due = w->issue + w->terms;
    } else {
        FAIL("%s is empty and no payment terms are known", x->name[C_DUE]);
    }
    if (v[C_SETTLED] && v[C_SETTLED][0]) {
        if (rs_import_parse_date(&m->date, v[C_SETTLED], &w->settled))
            FAIL("%s '%s' is not a date of format %s", x->name[C_SETTLED],
                 v[C_SETTLED], m->date.text);
        w->settled_known = 1;
    }
    if (v[C_DAYS_TO_SETTLE] && v[C_DAYS_TO_SETTLE][0]) {
        int32_t d;

        if (parse_days(v[C_DAYS_TO_SETTLE], &d))
            FAIL("%s '%s' is not a number of days",
                 x->name[C_DAYS_TO_SETTLE], v[C_DAYS_TO_SETTLE]);
        if (w->settled_known && w->settled - w->issue != d)
            FAIL("%s says %d days, but %s '%s' is %d days after %s '%s'",
                 x->name[C_DAYS_TO_SETTLE], (int)d, x->name[C_SETTLED],
                 v[C_SETTLED], (int)(w->settled - w->issue),
                 x->name[C_ISSUE], v[C_ISSUE]);
        w->settled = w->issue + d;
        w->settled_known = 1;
    }
    if (w->settled_known && w->settled < w->issue) {
        if (v[C_SETTLED] && v[C_SETTLED][0])
            FAIL("%s '%s' is before %s '%s'", x->name[C_SETTLED],
                 v[C_SETTLED], x->name[C_ISSUE], v[C_ISSUE]);
        FAIL("%s '%s' is negative", x->name[C_DAYS_TO_SETTLE],
             v[C_DAYS_TO_SETTLE]);
    }
    if (v[C_DAYS_LATE] && v[C_DAYS_LATE][0] && w->settled_known) {
        int32_t d, late = w->settled > w->due ? w->settled - w->due : 0;

        if (parse_days(v[C_DAYS_LATE], &d))
            FAIL("%s '%s' is not a number of days", x->name[C_DAYS_LATE],
                 v[C_DAYS_LATE]);
        if (d != late)
            FAIL("%s says %d days, but the invoice was settled %d days "
                 "after its due date %s",
                 x->name[C_DAYS_LATE], (int)d, (int)late,
                 rs_format_date(dt, sizeof(dt), w->due));
    }
    if (v[C_DISPUTED]) {
        int found = 0;

        for (int i = 0; i < m->nyes && !found; i++)
            if (strcasecmp(v[C_DISPUTED], m->yes[i]) == 0)
                found = 1, w->disputed = 1;
        for (int i = 0; i < m->nno && !found; i++)
            if (strcasecmp(v[C_DISPUTED], m->no[i]) == 0)
                found = 1;
        if (!found)
            FAIL("%s '%s' is neither a dispute.yes nor a dispute.no value",
                 x->name[C_DISPUTED], v[C_DISPUTED]);
    }
    if (v[C_ORDER] && strlen(v[C_ORDER]) > RS_ID_MAX - 1)
        FAIL("%s '%s' is longer than %d bytes", x->name[C_ORDER], v[C_ORDER],
             RS_ID_MAX - 1);
    if (v[C_SECTOR] && strlen(v[C_SECTOR]) > RS_TEXT_MAX - 1)
        FAIL("%s '%s' is longer than %d bytes", x->name[C_SECTOR],
             v[C_SECTOR], RS_TEXT_MAX - 1);
    if (v[C_SEGMENT] && strlen(v[C_SEGMENT]) > RS_TEXT_MAX - 1)
        FAIL("%s '%s' is longer than %d bytes", x->name[C_SEGMENT],
             v[C_SEGMENT], RS_TEXT_MAX - 1);
    w->order = v[C_ORDER] && v[C_ORDER][0] ? v[C_ORDER] : NULL;
    w->sector = v[C_SECTOR] && v[C_SECTOR][0] ? v[C_SECTOR] : m->sector;
    w->segment = v[C_SEGMENT] && v[C_SEGMENT][0] ? v[C_SEGMENT] : m->segment;
    return 0;
}

static void start(struct rs_event *ev, enum rs_event_kind kind, int type,
                  const struct row *w, const char *suffix, int32_t day,
                  int64_t time_ms)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->type = type;
    ev->event_time = (int64_t)day * RS_DAY_MS + time_ms;
    snprintf(ev->customer_id, sizeof(ev->customer_id), "%s", w->customer);
    snprintf(ev->event_id, sizeof(ev->event_id), "%s-%s", w->invoice, suffix);
}

/* Where the undated dispute goes: at the due date, or halfway between
 * issue and settlement when the invoice was settled by its due date. */
static int32_t dispute_day(const struct row *w)
{
    if (w->settled_known && w->settled <= w->due)
        return w->issue + (w->settled - w->issue) / 2;
    return w->due;
}

/* Builds the row's events; returns 0 or -1 with why. */
static int row_events(const struct rs_import_mapping *m, const struct row *w,
                      struct rs_evbatch *batch, uint64_t *events, char *why,
                      size_t why_size)
{
    struct rs_event ev;
    int32_t dday = dispute_day(w);

    start(&ev, RS_EVENT_INVOICE, RS_INVOICE_ISSUED, w, "inv", w->issue,
          m->time_ms);
    snprintf(ev.u.inv.invoice_id, RS_ID_MAX, "%s", w->invoice);
    ev.u.inv.amount = w->amount;
    snprintf(ev.u.inv.currency, RS_CURRENCY_MAX, "%s", w->currency);
    ev.u.inv.issue_date = w->issue;
    ev.u.inv.due_date = w->due;
    ev.u.inv.payment_terms_days = w->terms;
    if (w->order) {
        ev.has |= RS_INV_HAS_ORDER_ID;
        snprintf(ev.u.inv.order_id, RS_ID_MAX, "%s", w->order);
    }
    if (w->sector) {
        ev.has |= RS_INV_HAS_SECTOR;
        snprintf(ev.u.inv.sector, RS_TEXT_MAX, "%s", w->sector);
    }
    if (w->segment) {
        ev.has |= RS_INV_HAS_SEGMENT;
        snprintf(ev.u.inv.segment, RS_TEXT_MAX, "%s", w->segment);
    }
    if (rs_evbatch_add(batch, &ev, why, why_size))
        return -1;
    (*events)++;
    if (w->disputed) {
        start(&ev, RS_EVENT_COMM, RS_COMM_DISPUTE_OPENED, w, "dispute", dday,
              m->time_ms);
        ev.has = RS_COM_HAS_INVOICE_ID | RS_COM_HAS_DISPUTE_ID |
                 RS_COM_HAS_NOTE;
        snprintf(ev.u.com.invoice_id, RS_ID_MAX, "%s", w->invoice);
        snprintf(ev.u.com.dispute_id, RS_ID_MAX, "%s", w->invoice);
        snprintf(ev.u.com.note, RS_TEXT_MAX,
                 "inferred: the export flags the invoice as disputed but "
                 "gives no date; placed at the %s",
                 dday == w->due ? "due date" : "midpoint of issue and settlement");
        if (rs_evbatch_add(batch, &ev, why, why_size))
            return -1;
        (*events)++;
    }
    if (!w->settled_known)
        return 0;
    start(&ev, RS_EVENT_PAYMENT, RS_PAYMENT_FULL, w, "pay", w->settled,
          m->time_ms);
    ev.has = RS_PAY_HAS_INVOICE_ID;
    snprintf(ev.u.pay.payment_id, RS_ID_MAX, "%s", ev.event_id);
    ev.u.pay.amount = w->amount;
    snprintf(ev.u.pay.currency, RS_CURRENCY_MAX, "%s", w->currency);
    ev.u.pay.payment_date = w->settled;
    snprintf(ev.u.pay.invoice_id, RS_ID_MAX, "%s", w->invoice);
    if (m->method >= 0) {
        ev.has |= RS_PAY_HAS_METHOD;
        ev.u.pay.method = m->method;
    }
    if (rs_evbatch_add(batch, &ev, why, why_size))
        return -1;
    (*events)++;
    if (w->disputed) {
        start(&ev, RS_EVENT_COMM, RS_COMM_DISPUTE_RESOLVED, w, "resolved",
              w->settled, m->time_ms);
        ev.has = RS_COM_HAS_INVOICE_ID | RS_COM_HAS_DISPUTE_ID |
                 RS_COM_HAS_RESOLUTION | RS_COM_HAS_NOTE;
        snprintf(ev.u.com.invoice_id, RS_ID_MAX, "%s", w->invoice);
        snprintf(ev.u.com.dispute_id, RS_ID_MAX, "%s", w->invoice);
        snprintf(ev.u.com.resolution, RS_TEXT_MAX, "invoice settled");
        snprintf(ev.u.com.note, RS_TEXT_MAX,
                 "inferred: taken as resolved when the invoice was settled");
        if (rs_evbatch_add(batch, &ev, why, why_size))
            return -1;
        (*events)++;
    }
    return 0;
}

/* Finds each mapped column in the header (or takes its number). */
static int bind_columns(struct ctx *x, const struct rs_csv_record *hdr,
                        const char *csv_path, char *errstr, size_t errstr_size)
{
    const struct rs_import_mapping *m = x->m;

    for (int c = 0; c < C_COUNT; c++) {
        const char *ref = m->column[c];
        char *end;
        long n;

        x->index[c] = -1;
        snprintf(x->name[c], sizeof(x->name[c]), "%s", ref ? ref : rs_import_col_keys[c]);
        if (!ref)
            continue;
        if (hdr) {
            for (size_t i = 0; i < hdr->count; i++) {
                char buf[512], *p = buf;

                snprintf(buf, sizeof(buf), "%s", hdr->fields[i]);
                rs_import_trim(&p);
                if (strcmp(p, ref) == 0) {
                    x->index[c] = (int)i;
                    break;
                }
            }
            if (x->index[c] >= 0)
                continue;
        }
        n = strtol(ref + (ref[0] == '#'), &end, 10);
        if ((ref[0] == '#' || !hdr) && !*end && n >= 1 &&
            (size_t)n <= x->width) {
            x->index[c] = (int)n - 1;
            if (hdr)
                snprintf(x->name[c], sizeof(x->name[c]), "%s",
                         hdr->fields[n - 1]);
            else
                snprintf(x->name[c], sizeof(x->name[c]), "column %ld", n);
            continue;
        }
        snprintf(errstr, errstr_size,
                 "mapping '%s': %s = %s: %s '%s'", m->path, rs_import_col_keys[c], ref,
                 hdr ? "no such column in the header of"
                     : "not a column number (1 to the field count) of",
                 csv_path);
        return -1;
    }
    return 0;
}

int rs_import_csv(const struct rs_import_mapping *m, const char *csv_path,
                  struct rs_evbatch *batch, rs_import_bad_fn bad,
                  void *opaque, struct rs_import_stats *stats, char *errstr,
                  size_t errstr_size)
{
    struct rs_csv *csv = rs_csv_open(csv_path, m->delimiter, m->quote, errstr,
                                     errstr_size);
    struct rs_csv_record rec;
    char bufs[C_COUNT][512];
    struct ctx x;
    int rc = -1, got;

    memset(stats, 0, sizeof(*stats));
    memset(&x, 0, sizeof(x));
    x.m = m;
    if (!csv)
        return -1;
    got = rs_csv_next(csv, &rec, errstr, errstr_size);
    if (got <= 0) {
        if (got == 0)
            snprintf(errstr, errstr_size, "CSV file '%s' is empty", csv_path);
        goto out;
    }
    if (m->header && rec.bad) {
        snprintf(errstr, errstr_size, "%s:%llu: header: %s", csv_path,
                 (unsigned long long)rec.line, rec.bad);
        goto out;
    }
    x.width = rec.count;
    if (bind_columns(&x, m->header ? &rec : NULL, csv_path, errstr,
                     errstr_size))
        goto out;
    if (m->header)
        got = rs_csv_next(csv, &rec, errstr, errstr_size);
    for (; got > 0; got = rs_csv_next(csv, &rec, errstr, errstr_size)) {
        char why[1024];
        size_t mark = rs_evbatch_mark(batch);
        uint64_t events = 0, first;
        struct row w;

        if (rec.bad) {
            snprintf(why, sizeof(why), "%s", rec.bad);
        } else if (rec.count != x.width) {
            snprintf(why, sizeof(why), "has %zu fields, expected %zu%s",
                     rec.count, x.width,
                     m->header ? " as in the header" : "");
        } else if (parse_row(&x, &rec, &w, bufs, why, sizeof(why)) == 0) {
            first = seen_add(&x.seen, w.invoice, rec.line);
            if (first)
                snprintf(why, sizeof(why),
                         "invoice '%s' appears again (first at line %llu)",
                         w.invoice, (unsigned long long)first);
            else if (row_events(m, &w, batch, &events, why, sizeof(why)) ==
                     0) {
                stats->rows++;
                stats->events += events;
                continue;
            }
        }
        rs_evbatch_rollback(batch, mark);
        stats->bad++;
        if (bad)
            bad(opaque, rec.line, why);
    }
    rc = got < 0 ? -1 : 0;
out:
    seen_release(&x.seen);
    rs_csv_close(csv);
    return rc;
}
