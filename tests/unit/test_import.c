/* Import: CSV exports and the UCI layout turned into events, read back from
 * the event file with the daemon's decoder; bad rows reported with their
 * line numbers and reasons; mapping files checked key by key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "riskstream/avro_text.h"
#include "riskstream/csv.h"
#include "riskstream/decode.h"
#include "riskstream/evbatch.h"
#include "riskstream/evfile.h"
#include "riskstream/import.h"
#include "riskstream/registry.h"
#include "support.h"

#define MAX_EVENTS 256
#define MAX_BAD 32

/* ---- helpers ---------------------------------------------------------- */

static const char *tmp(const char *name)
{
    static char path[8][128];
    static int n;
    char *p = path[n++ % 8];

    snprintf(p, 128, "/tmp/rs-test-import-%d-%s", (int)getpid(), name);
    return p;
}

static const char *write_file(const char *name, const char *text)
{
    const char *path = tmp(name);
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

struct bad_row {
    uint64_t line;
    char reason[512];
};

struct result {
    struct rs_event ev[MAX_EVENTS];
    char key[MAX_EVENTS][RS_ID_MAX];
    size_t n;
    struct bad_row bad[MAX_BAD];
    size_t nbad;
    struct rs_import_stats st;
};

static void on_bad(void *opaque, uint64_t line, const char *reason)
{
    struct result *r = opaque;

    assert_true(r->nbad < MAX_BAD);
    r->bad[r->nbad].line = line;
    snprintf(r->bad[r->nbad].reason, sizeof(r->bad[0].reason), "%s", reason);
    r->nbad++;
}

/* Writes the batch to an event file and decodes every record back. */
static void read_back(struct rs_evbatch *b, struct result *r)
{
    const char *path = tmp("out.rsev");
    char err[512];
    struct rs_registry *reg;
    struct rs_decoder *dec;
    struct rs_evfile_reader *rd;
    struct rs_evrecord rec;
    int got;

    assert_int_equal(rs_evbatch_write(b, path, err, sizeof(err)), 0);
    reg = rs_registry_load(rs_test_path("schemas"), err, sizeof(err));
    assert_non_null(reg);
    dec = rs_decoder_new(reg, 65536, err, sizeof(err));
    assert_non_null(dec);
    rd = rs_evfile_open(path, err, sizeof(err));
    assert_non_null(rd);
    r->n = 0;
    while ((got = rs_evfile_next(rd, &rec, err, sizeof(err))) == 1) {
        enum rs_error_class ec;
        char why[512];

        assert_true(r->n < MAX_EVENTS);
        if (rs_decode(dec, rec.kind, rec.key, rec.key_len, rec.value,
                      rec.value_len, &r->ev[r->n], &ec, why,
                      sizeof(why)) != RS_DECODE_OK)
            fail_msg("record %zu does not decode: %s", r->n, why);
        snprintf(r->key[r->n], RS_ID_MAX, "%.*s", (int)rec.key_len,
                 (const char *)rec.key);
        r->n++;
    }
    assert_int_equal(got, 0);
    rs_evfile_close(rd);
    rs_decoder_destroy(dec);
    rs_registry_destroy(reg);
    unlink(path);
}

/* Imports csv text with mapping text; the result is heap (free it). */
static struct result *import_text(const char *mapping, const char *csv)
{
    struct result *r = calloc(1, sizeof(*r));
    struct rs_import_mapping *m;
    struct rs_evbatch *b;
    char err[512];

    assert_non_null(r);
    m = rs_import_mapping_load(write_file("map", mapping), err, sizeof(err));
    if (!m)
        fail_msg("%s", err);
    b = rs_evbatch_new(rs_test_path("schemas"), err, sizeof(err));
    assert_non_null(b);
    if (rs_import_csv(m, write_file("in.csv", csv), b, on_bad, r, &r->st, err,
                      sizeof(err)))
        fail_msg("%s", err);
    read_back(b, r);
    rs_evbatch_destroy(b);
    rs_import_mapping_destroy(m);
    return r;
}

static const struct rs_event *find(const struct result *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->ev[i].event_id, id) == 0)
            return &r->ev[i];
    fail_msg("no event '%s'", id);
    return NULL;
}

static int has(const struct result *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->ev[i].event_id, id) == 0)
            return 1;
    return 0;
}

static int32_t day(const char *iso)
{
    int32_t d;

    assert_int_equal(rs_avro_parse_date(iso, &d), 0);
    return d;
}

static int64_t at(const char *iso)
{
    int64_t ms;

    assert_int_equal(rs_avro_parse_timestamp(iso, &ms), 0);
    return ms;
}

/* Events come out in event-time order, ties by kind. */
static void assert_ordered(const struct result *r)
{
    for (size_t i = 1; i < r->n; i++) {
        const struct rs_event *a = &r->ev[i - 1], *b = &r->ev[i];

        if (a->event_time > b->event_time ||
            (a->event_time == b->event_time && a->kind > b->kind))
            fail_msg("'%s' is written before '%s'", a->event_id, b->event_id);
    }
}

static const char *ibm_map(void)
{
    return rs_test_path("tools/mappings/ibm-accounts-receivable.map");
}

static struct result *import_ibm(const char *csv)
{
    char *text = rs_test_read_file(ibm_map(), NULL);
    struct result *r = import_text(text, csv);

    free(text);
    return r;
}

#define IBM_HEADER                                                             \
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,"  \
    "InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate"

/* ---- the IBM layout --------------------------------------------------- */

static void test_import_ibm_rows(void **state)
{
    struct result *r;
    const struct rs_event *e;

    (void)state;
    r = import_ibm(
        IBM_HEADER "\r\n"
        "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,"
        "1/15/2013,Paper,13,0\r\n"
        "406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,"
        "3/3/2013,Electronic,36,6\r\n"
        "818,\"5148-SYKLB\",8/28/2013,\"0018104516\",1/27/2012,2/26/2012,94,"
        "Yes,2/22/2012,\"Paper, \"\"mailed\"\"\",26,0\r\n");
    assert_int_equal(r->nbad, 0);
    assert_int_equal(r->st.rows, 3);
    assert_int_equal(r->st.bad, 0);
    assert_int_equal(r->st.events, 10);
    assert_int_equal(r->n, 10);
    assert_ordered(r);

    e = find(r, "0000611365-inv");
    assert_int_equal(e->kind, RS_EVENT_INVOICE);
    assert_int_equal(e->type, RS_INVOICE_ISSUED);
    assert_string_equal(e->customer_id, "0379-NEVHP");
    assert_string_equal(r->key[e - r->ev], "0379-NEVHP");
    assert_string_equal(e->u.inv.invoice_id, "0000611365");
    assert_int_equal(e->u.inv.amount, 5594);
    assert_string_equal(e->u.inv.currency, "USD");
    assert_int_equal(e->u.inv.issue_date, day("2013-01-02"));
    assert_int_equal(e->u.inv.due_date, day("2013-02-01"));
    assert_int_equal(e->u.inv.payment_terms_days, 30);
    assert_true(e->event_time == at("2013-01-02T00:00:00Z"));

    e = find(r, "0000611365-pay");
    assert_int_equal(e->kind, RS_EVENT_PAYMENT);
    assert_int_equal(e->type, RS_PAYMENT_FULL);
    assert_int_equal(e->u.pay.amount, 5594);
    assert_int_equal(e->u.pay.payment_date, day("2013-01-15"));
    assert_true(e->has & RS_PAY_HAS_INVOICE_ID);
    assert_string_equal(e->u.pay.invoice_id, "0000611365");
    assert_true(e->event_time == at("2013-01-15T00:00:00Z"));
    assert_false(has(r, "0000611365-dispute"));

    /* Disputed and settled late: the dispute is placed at the due date. */
    e = find(r, "0007900770-dispute");
    assert_int_equal(e->kind, RS_EVENT_COMM);
    assert_int_equal(e->type, RS_COMM_DISPUTE_OPENED);
    assert_string_equal(e->u.com.invoice_id, "0007900770");
    assert_string_equal(e->u.com.dispute_id, "0007900770");
    assert_true(e->event_time == at("2013-02-25T00:00:00Z"));
    assert_non_null(strstr(e->u.com.note, "inferred"));
    assert_non_null(strstr(e->u.com.note, "due date"));
    e = find(r, "0007900770-resolved");
    assert_int_equal(e->type, RS_COMM_DISPUTE_RESOLVED);
    assert_true(e->event_time == at("2013-03-03T00:00:00Z"));
    assert_non_null(strstr(e->u.com.note, "inferred"));

    /* Quoted fields lose their quotes; a dispute of an invoice settled
     * before its due date goes halfway between issue and settlement. */
    e = find(r, "0018104516-inv");
    assert_string_equal(e->customer_id, "5148-SYKLB");
    assert_int_equal(e->u.inv.amount, 9400);
    e = find(r, "0018104516-dispute");
    assert_true(e->event_time == at("2012-02-09T00:00:00Z"));
    assert_non_null(strstr(e->u.com.note, "midpoint"));
    free(r);
}

/* What each bad row is reported as: its line and the reason. */
static const struct {
    const char *row;
    const char *reason;
} bad_rows[] = {
    {"391,C1,4/6/2013,I03,13/45/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0",
     "InvoiceDate '13/45/2013' is not a date of format M/D/YYYY"},
    {"391,,4/6/2013,I04,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0",
     "customerID is empty"},
    {"391,C1,4/6/2013,I05,1/2/2013,2/1/2013,-5.00,No,1/15/2013,Paper,13,0",
     "InvoiceAmount '-5.00' is negative"},
    {"391,C1,4/6/2013,I06,1/2/2013,2/1/2013,5.00,No,1/1/2013,Paper,-1,0",
     "SettledDate '1/1/2013' is before InvoiceDate '1/2/2013'"},
    {"391,C1,4/6/2013,I07,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13",
     "has 11 fields, expected 12 as in the header"},
    {"391,C1,4/6/2013,I01,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0",
     "invoice 'I01' appears again (first at line 2)"},
    {"391,C1,4/6/2013,I09,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,3",
     "DaysLate says 3 days, but the invoice was settled 0 days after its due "
     "date 2013-02-01"},
    {"391,C1,4/6/2013,I10,1/2/2013,2/1/2013,5.00,Maybe,1/15/2013,Paper,13,0",
     "Disputed 'Maybe' is neither a dispute.yes nor a dispute.no value"},
    {"391,C1,4/6/2013,I11,1/2/2013,2/1/2013,12.345,No,1/15/2013,Paper,13,0",
     "InvoiceAmount '12.345' has more decimals than the currency's minor "
     "unit"},
    {"391,C1,4/6/2013,I12,1/2/2013,2/1/2013,0.00,No,1/15/2013,Paper,13,0",
     "InvoiceAmount '0.00' is zero"},
    {"391,\"C1\"x,4/6/2013,I13,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0",
     "text after a closing quote"},
    {"391,C123456789012345678901234567890123456789012345678901234567890123,"
     "4/6/2013,I15,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0",
     "customerID 'C123456789012345678901234567890123456789012345678901234567890"
     "123' is longer than 63 bytes"},
    {"391,C1,4/6/2013,I14,1/2/2013,2/1/2013,5.00,No,1/15/2013,\"Paper,13,0",
     "quoted field is not closed before the end of the file"},
};

static void test_import_bad_rows_reported(void **state)
{
    size_t n = sizeof(bad_rows) / sizeof(bad_rows[0]);
    char csv[8192];
    size_t len = 0;
    uint64_t expect_line[32];
    uint64_t line = 1;
    struct result *r;

    (void)state;
    len += (size_t)snprintf(csv + len, sizeof(csv) - len, "%s\n", IBM_HEADER);
    /* Line 2: good. Lines 3..: the bad rows, with a good row whose quoted
     * field spans two lines in the middle, so line numbers must count the
     * record's lines, not the records. */
    len += (size_t)snprintf(csv + len, sizeof(csv) - len,
                            "391,C1,4/6/2013,I01,1/2/2013,2/1/2013,5.00,No,"
                            "1/15/2013,Paper,13,0\n");
    line = 3;
    for (size_t i = 0; i < n; i++) {
        if (i == 4) {
            len += (size_t)snprintf(csv + len, sizeof(csv) - len,
                                    "391,C2,4/6/2013,I02,1/2/2013,2/1/2013,"
                                    "7.50,Yes,2/3/2013,\"Paper\nmailed\","
                                    "32,2\n");
            line += 2;
        }
        expect_line[i] = line++;
        len += (size_t)snprintf(csv + len, sizeof(csv) - len, "%s\n",
                                bad_rows[i].row);
    }
    r = import_ibm(csv);
    assert_int_equal(r->st.rows, 2);
    assert_int_equal(r->st.bad, n);
    assert_int_equal(r->nbad, n);
    for (size_t i = 0; i < n; i++) {
        if (r->bad[i].line != expect_line[i] ||
            strcmp(r->bad[i].reason, bad_rows[i].reason) != 0)
            fail_msg("bad row %zu: got line %llu '%s', want line %llu '%s'",
                     i, (unsigned long long)r->bad[i].line, r->bad[i].reason,
                     (unsigned long long)expect_line[i], bad_rows[i].reason);
    }
    /* Only the two good rows made events: nothing of the bad ones. */
    assert_int_equal(r->n, 6);
    assert_true(has(r, "I01-inv") && has(r, "I01-pay"));
    assert_true(has(r, "I02-inv") && has(r, "I02-pay") &&
                has(r, "I02-dispute") && has(r, "I02-resolved"));
    assert_int_equal(find(r, "I02-pay")->u.pay.payment_date,
                     day("2013-02-03"));
    free(r);
}

/* Another layout: semicolons, day-first dates, decimal commas, terms
 * instead of due dates, a currency column, open invoices. */
static void test_import_other_layout(void **state)
{
    struct result *r;
    const struct rs_event *e;

    (void)state;
    r = import_text("delimiter = ;\n"
                    "date.format = D-M-YYYY\n"
                    "time.of_day = 09:30\n"
                    "amount.decimal = ,\n"
                    "amount.thousands = .\n"
                    "customer.prefix = erp1-\n"
                    "column.customer = Debtor\n"
                    "column.invoice = Number\n"
                    "column.amount = Gross\n"
                    "column.currency = Ccy\n"
                    "column.issue_date = Date\n"
                    "column.terms_days = Terms\n"
                    "column.settled_date = Paid\n"
                    "segment = key-account\n",
                    "Debtor;Number;Gross;Ccy;Date;Terms;Paid\n"
                    "\n"
                    "D7;F-1;1.234,5;EUR;5-3-2024;14;\n"
                    "D7;F-2;10;GBP;29-2-2024;30;1-4-2024\n");
    assert_int_equal(r->nbad, 0);
    assert_int_equal(r->st.rows, 2);
    assert_int_equal(r->n, 3);
    assert_ordered(r);
    e = find(r, "F-1-inv");
    assert_string_equal(e->customer_id, "erp1-D7");
    assert_int_equal(e->u.inv.amount, 123450);
    assert_string_equal(e->u.inv.currency, "EUR");
    assert_int_equal(e->u.inv.issue_date, day("2024-03-05"));
    assert_int_equal(e->u.inv.due_date, day("2024-03-19"));
    assert_int_equal(e->u.inv.payment_terms_days, 14);
    assert_string_equal(e->u.inv.segment, "key-account");
    assert_true(e->event_time == at("2024-03-05T09:30:00Z"));
    assert_false(has(r, "F-1-pay")); /* not settled: stays open */
    e = find(r, "F-2-pay");
    assert_int_equal(e->u.pay.amount, 1000);
    assert_string_equal(e->u.pay.currency, "GBP");
    assert_int_equal(e->u.pay.payment_date, day("2024-04-01"));
    free(r);
}

/* ---- mapping files ---------------------------------------------------- */

static const struct {
    const char *text;
    const char *error;
} bad_mappings[] = {
    {"column.customer = c\ncolumn.invoice = i\ncolum.amount = a\n",
     ":3: unknown key 'colum.amount'"},
    {"# comment\n\ndate.format = YYYY/DD\n",
     ":3: date.format: 'YYYY/DD' is not a date format"},
    {"delimiter = ab\n", ":1: delimiter: 'ab' is not one character"},
    {"currency = euro\n", ":1: currency: 'euro' is not an ISO 4217 code"},
    {"just text\n", ":1: 'just text' is not key = value"},
    {"column.customer = c\ncolumn.invoice = i\ncolumn.issue_date = d\n"
     "terms.days = 30\ncurrency = EUR\n",
     ": column.amount is required"},
    {"column.customer = c\ncolumn.invoice = i\ncolumn.amount = a\n"
     "column.issue_date = d\ncurrency = EUR\n",
     ": the due date needs column.due_date, column.terms_days or terms.days"},
};

static void test_import_mapping_errors(void **state)
{
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad_mappings) / sizeof(bad_mappings[0]);
         i++) {
        const char *path = write_file("bad.map", bad_mappings[i].text);
        struct rs_import_mapping *m =
            rs_import_mapping_load(path, err, sizeof(err));

        if (m)
            fail_msg("mapping %zu was accepted", i);
        if (!strstr(err, bad_mappings[i].error))
            fail_msg("mapping %zu: got '%s', want '%s'", i, err,
                     bad_mappings[i].error);
        assert_non_null(strstr(err, path));
    }
}

static void test_import_mapped_column_missing(void **state)
{
    char err[512];
    struct rs_import_mapping *m;
    struct rs_evbatch *b;
    struct rs_import_stats st;
    const char *csv = write_file("in.csv", "cust,inv,amt,date\nC,I,1,2024-01-01\n");

    (void)state;
    m = rs_import_mapping_load(
        write_file("m.map", "column.customer = cust\ncolumn.invoice = inv\n"
                            "column.amount = Amount\ncolumn.issue_date = date\n"
                            "terms.days = 30\ncurrency = EUR\n"),
        err, sizeof(err));
    assert_non_null(m);
    b = rs_evbatch_new(rs_test_path("schemas"), err, sizeof(err));
    assert_non_null(b);
    assert_int_equal(rs_import_csv(m, csv, b, NULL, NULL, &st, err,
                                   sizeof(err)),
                     -1);
    assert_non_null(
        strstr(err, "column.amount = Amount: no such column in the header"));
    rs_evbatch_destroy(b);
    rs_import_mapping_destroy(m);
}

/* ---- the CSV reader --------------------------------------------------- */

static void test_import_csv_reader(void **state)
{
    const char *path = write_file(
        "r.csv", "\xef\xbb\xbf"
                 "a,\"b \"\"q\"\"\",c\r\n"
                 "\r\n"
                 "1,\"two\r\nlines\",\r"
                 "x\n");
    char err[256];
    struct rs_csv *c = rs_csv_open(path, ',', '"', err, sizeof(err));
    struct rs_csv_record rec;

    (void)state;
    assert_non_null(c);
    assert_int_equal(rs_csv_next(c, &rec, err, sizeof(err)), 1);
    assert_int_equal(rec.line, 1);
    assert_int_equal(rec.count, 3);
    assert_string_equal(rec.fields[0], "a");
    assert_string_equal(rec.fields[1], "b \"q\"");
    assert_string_equal(rec.fields[2], "c");
    assert_int_equal(rs_csv_next(c, &rec, err, sizeof(err)), 1);
    assert_int_equal(rec.line, 3);
    assert_int_equal(rec.count, 3);
    assert_string_equal(rec.fields[1], "two\nlines");
    assert_string_equal(rec.fields[2], "");
    assert_null(rec.bad);
    assert_int_equal(rs_csv_next(c, &rec, err, sizeof(err)), 1);
    assert_int_equal(rec.line, 5);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.fields[0], "x");
    assert_int_equal(rs_csv_next(c, &rec, err, sizeof(err)), 0);
    rs_csv_close(c);
}

/* ---- the UCI layout --------------------------------------------------- */

#define UCI_HEADER                                                             \
    "\"ID\",\"LIMIT_BAL\",\"SEX\",\"EDUCATION\",\"MARRIAGE\",\"AGE\","         \
    "\"PAY_0\",\"PAY_2\",\"PAY_3\",\"PAY_4\",\"PAY_5\",\"PAY_6\","             \
    "\"BILL_AMT1\",\"BILL_AMT2\",\"BILL_AMT3\",\"BILL_AMT4\",\"BILL_AMT5\","   \
    "\"BILL_AMT6\",\"PAY_AMT1\",\"PAY_AMT2\",\"PAY_AMT3\",\"PAY_AMT4\","       \
    "\"PAY_AMT5\",\"PAY_AMT6\",\"default.payment.next.month\""

/* Columns are newest month first (PAY_0 = September ... PAY_6 = April). */
static const char uci_csv[] =
    UCI_HEADER "\n"
    /* 1: pays every statement in full, on time. */
    "1,50000,2,2,1,30,-1,-1,-1,-1,-1,-1,600,500,400,300,200,100,"
    "500,400,300,200,100,0,0\n"
    /* 2: revolves, falls one month behind in June, catches up in July. */
    "2,2e+04,1,2,2,40,0,0,0,1,0,0,1000,1000,1000,1000,1000,1000,"
    "100,100,100,100,100,100,1\n"
    /* 3: stops paying after May and falls further behind each month. */
    "3,10000,1,1,1,50,4,3,2,1,0,0,6000,5000,4000,3000,2000,1000,"
    "0,0,0,0,1000,0,1\n"
    /* 4: a status the layout does not have. */
    "4,10000,1,1,1,50,12,3,2,1,0,0,6000,5000,4000,3000,2000,1000,"
    "0,0,0,0,1000,0,1\n";

static struct result *convert_uci(const char *labels_path)
{
    struct result *r = calloc(1, sizeof(*r));
    struct rs_evbatch *b;
    FILE *labels = fopen(labels_path, "w");
    char err[512];

    assert_non_null(r);
    assert_non_null(labels);
    b = rs_evbatch_new(rs_test_path("schemas"), err, sizeof(err));
    assert_non_null(b);
    if (rs_import_uci(write_file("uci.csv", uci_csv), b, labels, on_bad, r,
                      &r->st, err, sizeof(err)))
        fail_msg("%s", err);
    fclose(labels);
    read_back(b, r);
    rs_evbatch_destroy(b);
    return r;
}

static void test_import_uci_sample(void **state)
{
    const char *labels = tmp("labels.csv");
    struct result *r;
    const struct rs_event *e;
    char *text;
    int64_t open3 = 0;

    (void)state;
    r = convert_uci(labels);
    assert_int_equal(r->st.rows, 3);
    assert_int_equal(r->st.bad, 1);
    assert_int_equal(r->bad[0].line, 5);
    assert_string_equal(r->bad[0].reason,
                        "PAY_0 '12' is not a repayment status from -2 to 9");
    assert_ordered(r);
    text = rs_test_read_file(labels, NULL);
    assert_string_equal(text, "customer_id,label_time,label\n"
                              "uci-1,2005-10-01T00:00:00Z,0\n"
                              "uci-2,2005-10-01T00:00:00Z,1\n"
                              "uci-3,2005-10-01T00:00:00Z,1\n");
    free(text);

    /* The credit limit comes first. */
    e = find(r, "uci-1-limit");
    assert_int_equal(e->kind, RS_EVENT_BUREAU);
    assert_int_equal(e->type, RS_BUREAU_CREDIT_LIMIT_DECISION);
    assert_int_equal(e->u.bur.limit_action, RS_LIMIT_GRANTED);
    assert_int_equal(e->u.bur.limit_amount, 5000000);
    assert_string_equal(e->u.bur.limit_currency, "TWD");
    assert_true(e->event_time == at("2005-04-01T00:00:00Z"));
    assert_int_equal(find(r, "uci-2-limit")->u.bur.limit_amount, 2000000);

    /* 1: statement on the 20th, due 20 days later, paid in full on the
     * 5th of the next month. */
    e = find(r, "uci-1-2005-04-inv");
    assert_int_equal(e->type, RS_INVOICE_ISSUED);
    assert_string_equal(e->customer_id, "uci-1");
    assert_string_equal(e->u.inv.invoice_id, "uci-1-2005-04");
    assert_int_equal(e->u.inv.amount, 10000);
    assert_int_equal(e->u.inv.issue_date, day("2005-04-20"));
    assert_int_equal(e->u.inv.due_date, day("2005-05-10"));
    /* In segment "card", for the profile of tools/mappings/uci-card.conf. */
    assert_true(e->has & RS_INV_HAS_SEGMENT);
    assert_string_equal(e->u.inv.segment, "card");
    e = find(r, "uci-1-2005-04-pay-05");
    assert_int_equal(e->type, RS_PAYMENT_FULL);
    assert_int_equal(e->u.pay.amount, 10000);
    assert_int_equal(e->u.pay.payment_date, day("2005-05-05"));
    assert_string_equal(e->u.pay.invoice_id, "uci-1-2005-04");
    assert_int_equal(find(r, "uci-1-2005-09-inv")->u.inv.amount, 60000);
    assert_false(has(r, "uci-1-2005-04-carry"));
    assert_false(has(r, "uci-1-2005-06-dun"));

    /* 2: pays part of each statement, current (revolving): the rest is
     * carried the same day, before the payment, which then settles what
     * was due in full. */
    e = find(r, "uci-2-2005-04-pay-05");
    assert_int_equal(e->type, RS_PAYMENT_FULL);
    assert_int_equal(e->u.pay.amount, 10000);
    e = find(r, "uci-2-2005-04-carry");
    assert_int_equal(e->type, RS_INVOICE_CREDITED);
    assert_int_equal(e->u.inv.amount, 90000);
    assert_string_equal(e->u.inv.credited_invoice_id, "uci-2-2005-04");
    assert_true(e->event_time == at("2005-05-05T00:00:00Z"));
    assert_true(e->event_time <
                find(r, "uci-2-2005-04-pay-05")->event_time);
    assert_int_equal(find(r, "uci-2-2005-05-inv")->u.inv.amount, 100000);
    /* June, one month behind: May's statement stays open, June's money
     * goes to it, a first reminder, and June's statement is only what is
     * new. */
    e = find(r, "uci-2-2005-05-pay-06");
    assert_int_equal(e->type, RS_PAYMENT_PARTIAL);
    assert_int_equal(e->u.pay.payment_date, day("2005-06-05"));
    e = find(r, "uci-2-2005-06-dun");
    assert_int_equal(e->type, RS_COMM_REMINDER);
    assert_int_equal(e->u.com.dunning_level, 1);
    assert_string_equal(e->u.com.invoice_id, "uci-2-2005-05");
    assert_int_equal(find(r, "uci-2-2005-06-inv")->u.inv.amount, 10000);
    assert_false(has(r, "uci-2-2005-05-carry") &&
                 find(r, "uci-2-2005-05-carry")->event_time <
                     at("2005-07-01T00:00:00Z"));
    /* July, current again: May's statement is paid 30 days after its due
     * date (one month late), the rest carried. */
    e = find(r, "uci-2-2005-05-pay-07");
    assert_int_equal(e->type, RS_PAYMENT_FULL);
    assert_int_equal(e->u.pay.payment_date, day("2005-07-09"));
    assert_int_equal(e->u.pay.amount, 10000);
    e = find(r, "uci-2-2005-05-carry");
    assert_int_equal(e->u.inv.amount, 80000);
    assert_int_equal(e->u.inv.issue_date, day("2005-07-09"));

    /* 3: behind from June; May's statement is never paid, dunning climbs
     * to a formal notice of step 4, and the open amount is September's
     * balance. */
    assert_int_equal(find(r, "uci-3-2005-04-pay-05")->type, RS_PAYMENT_FULL);
    assert_false(has(r, "uci-3-2005-05-pay-06"));
    assert_int_equal(find(r, "uci-3-2005-07-dun")->u.com.dunning_level, 2);
    e = find(r, "uci-3-2005-09-dun");
    assert_int_equal(e->type, RS_COMM_FORMAL_NOTICE);
    assert_int_equal(e->u.com.dunning_level, 4);
    assert_string_equal(e->u.com.invoice_id, "uci-3-2005-05");
    assert_true(e->event_time == at("2005-09-12T09:00:00Z"));
    for (size_t i = 0; i < r->n; i++) {
        e = &r->ev[i];
        if (strcmp(e->customer_id, "uci-3") != 0)
            continue;
        if (e->kind == RS_EVENT_INVOICE)
            open3 += e->type == RS_INVOICE_ISSUED ? e->u.inv.amount
                                                  : -e->u.inv.amount;
        else if (e->kind == RS_EVENT_PAYMENT)
            open3 -= e->u.pay.amount;
    }
    assert_int_equal(open3, 600000);
    assert_false(has(r, "uci-4-limit"));
    free(r);
    unlink(labels);
}

/* ---- the command ------------------------------------------------------ */

static int run(const char *cmd, char *out, size_t size)
{
    char full[4096];
    FILE *p;
    size_t n;
    int status;

    snprintf(full, sizeof(full), "%s 2>&1", cmd);
    p = popen(full, "r");
    assert_non_null(p);
    n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_import_command_max_bad(void **state)
{
    const char *csv = write_file(
        "cmd.csv",
        IBM_HEADER "\n"
        "391,C1,4/6/2013,I01,1/2/2013,2/1/2013,5.00,No,1/15/2013,Paper,13,0\n"
        "391,C1,4/6/2013,I02,1/2/2013,2/1/2013,5.00,No,1/1/2013,Paper,-1,0\n");
    const char *out_file = tmp("cmd.rsev"), *errors = tmp("cmd.err");
    char cmd[2048], out[4096], map[512], *text;

    (void)state;
    unlink(out_file);
    snprintf(map, sizeof(map), "%s", ibm_map()); /* rs_test_path is static */
    snprintf(cmd, sizeof(cmd),
             "%s import --mapping %s --csv %s --out %s --schemas %s "
             "--errors %s",
             rs_test_binary(), map, csv, out_file, rs_test_path("schemas"),
             errors);
    /* One bad row, none allowed: reported, nothing written, exit 1. */
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_non_null(strstr(out, ":3: SettledDate '1/1/2013' is before "
                                "InvoiceDate '1/2/2013'"));
    assert_non_null(strstr(out, "imported 1 rows into 2 events, 1 bad rows"));
    assert_non_null(strstr(out, "1 bad rows are more than --max-bad 0"));
    assert_int_equal(access(out_file, F_OK), -1);
    text = rs_test_read_file(errors, NULL);
    assert_non_null(strstr(text, ":3: SettledDate"));
    free(text);

    /* Allowed: the good row is written. */
    strcat(cmd, " --max-bad 1");
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "imported 1 rows into 2 events, 1 bad rows"));
    assert_int_equal(access(out_file, F_OK), 0);

    /* Usage errors exit 2. */
    snprintf(cmd, sizeof(cmd), "%s import --csv %s --out %s",
             rs_test_binary(), csv, out_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--mapping is required"));
    snprintf(cmd, sizeof(cmd), "%s convert-uci --frobnicate",
             rs_test_binary());
    assert_int_equal(run(cmd, out, sizeof(out)), 2);
    unlink(out_file);
    unlink(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_ibm_rows),
        cmocka_unit_test(test_import_bad_rows_reported),
        cmocka_unit_test(test_import_other_layout),
        cmocka_unit_test(test_import_mapping_errors),
        cmocka_unit_test(test_import_mapped_column_missing),
        cmocka_unit_test(test_import_csv_reader),
        cmocka_unit_test(test_import_uci_sample),
        cmocka_unit_test(test_import_command_max_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
