/* Decoding input records: every kind with every field, both framings,
 * schema evolution (skipped fields of every complex type, promotions, enum
 * symbols by name, missing fields), every poison class with its reason, and
 * a mutation loop that must never crash.
 *
 * Test records are built with Avro C's generic API and rs_avro_fill, so the
 * bytes come from an independent encoder; a few bodies are written byte by
 * byte where Avro C cannot produce them (negative block counts, broken
 * lengths). Evolved writer schemas are written here as JSON (single quotes,
 * turned into double quotes when the file is written) into a temporary
 * schema directory with its own ids.txt. */
#include "support.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "riskstream/avro_text.h"
#include "riskstream/buf.h"
#include "riskstream/decode.h"
#include "riskstream/frame.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"

#define MAX_RECORD 65536
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- evolved writer schemas ------------------------------------------ */

#define HDR(type)                                                            \
    "{'name':'event_id','type':'string'},"                                   \
    "{'name':'event_time','type':'long'},"                                   \
    "{'name':'customer_id','type':'string'},"                                \
    "{'name':'type','type':" type "},"
#define REC(name, fields)                                                    \
    "{'type':'record','name':'" name "','namespace':'io.riskstream',"        \
    "'fields':[" fields "]}"
#define OPT(name, type) "{'name':'" name "','type':['null'," type "]}"

#define INVOICE_TYPE                                                         \
    "{'type':'enum','name':'InvoiceType','symbols':['ISSUED','CREDITED',"    \
    "'CANCELLED','UNKNOWN']}"

/* Invoice with extra fields of every complex type between the known ones,
 * the type symbols reordered plus one the reader lacks, and at the end an
 * array, a map and an array of nulls that tests fill with hand-made
 * blocks. */
static const char invoice_v2[] = REC(
    "Invoice",
    "{'name':'event_id','type':'string'},"
    "{'name':'event_time','type':'long'},"
    "{'name':'ext_record','type':{'type':'record','name':'Extra','fields':["
    "{'name':'a','type':'long'},{'name':'b','type':'string'},"
    "{'name':'tags','type':{'type':'array','items':'string'}}]}},"
    "{'name':'customer_id','type':'string'},"
    "{'name':'type','type':{'type':'enum','name':'InvoiceType','symbols':["
    "'CANCELLED','REISSUED','ISSUED','CREDITED','UNKNOWN']}},"
    "{'name':'invoice_id','type':'string'},"
    "{'name':'ext_tree','type':{'type':'record','name':'Node','fields':["
    "{'name':'value','type':'int'},"
    "{'name':'children','type':{'type':'array','items':'Node'}}]}},"
    "{'name':'order_id','type':['null','string']},"
    "{'name':'amount','type':'long'},"
    "{'name':'ext_union','type':['null','string',"
    "{'type':'map','values':'long'}]},"
    "{'name':'currency','type':'string'},"
    "{'name':'ext_enum','type':{'type':'enum','name':'Colour','symbols':["
    "'RED','GREEN']}},"
    "{'name':'issue_date','type':'int'},"
    "{'name':'ext_fixed','type':{'type':'fixed','name':'Md5','size':16}},"
    "{'name':'due_date','type':'int'},"
    "{'name':'payment_terms_days','type':'int'},"
    "{'name':'ext_float','type':'float'},{'name':'ext_double','type':'double'},"
    "{'name':'ext_bool','type':'boolean'},{'name':'ext_bytes','type':'bytes'},"
    "{'name':'ext_null','type':'null'},"
    "{'name':'sector','type':['null','string']},"
    "{'name':'segment','type':['null','string']},"
    "{'name':'credited_invoice_id','type':['null','string']},"
    "{'name':'ext_array','type':{'type':'array','items':'long'}},"
    "{'name':'ext_map','type':{'type':'map','values':"
    "{'type':'array','items':'int'}}},"
    "{'name':'ext_nulls','type':{'type':'array','items':'null'}}");

/* An older Invoice: no segment, no credited_invoice_id, amount an int,
 * currency as bytes. */
static const char invoice_old[] =
    REC("Invoice", HDR(INVOICE_TYPE)
        "{'name':'invoice_id','type':'string'},"
        OPT("order_id", "'string'") ","
        "{'name':'amount','type':'int'},"
        "{'name':'currency','type':'bytes'},"
        "{'name':'issue_date','type':'int'},"
        "{'name':'due_date','type':'int'},"
        "{'name':'payment_terms_days','type':'int'},"
        OPT("sector", "'string'"));

/* An Invoice without the required currency: incompatible. */
static const char invoice_no_currency[] =
    REC("Invoice", HDR(INVOICE_TYPE)
        "{'name':'invoice_id','type':'string'},"
        "{'name':'amount','type':'long'},"
        "{'name':'issue_date','type':'int'},"
        "{'name':'due_date','type':'int'},"
        "{'name':'payment_terms_days','type':'int'}");

/* Payment: payment_id as bytes, amount optional in the writer (a null there
 * makes the record invalid), a method symbol the reader lacks. */
static const char payment_v2[] = REC(
    "Payment",
    HDR("{'type':'enum','name':'PaymentType','symbols':['FULL','PARTIAL',"
        "'REVERSAL','FAILED_DIRECT_DEBIT','UNKNOWN']}")
    "{'name':'payment_id','type':'bytes'},"
    OPT("amount", "'long'") ","
    "{'name':'currency','type':'string'},"
    "{'name':'payment_date','type':'int'},"
    OPT("invoice_id", "'string'") ","
    OPT("method", "{'type':'enum','name':'PaymentMethod','symbols':["
                  "'TRANSFER','DIRECT_DEBIT','CARD','CHEQUE','PAYMENT_LINK',"
                  "'OTHER','CRYPTO']}"));

#define BUREAU_TYPE                                                          \
    "{'type':'enum','name':'CreditBureauEventType','symbols':["              \
    "'SCORE_UPDATE','RATING_UPDATE','CREDIT_INQUIRY','BANKRUPTCY_FILING',"   \
    "'LEGAL_FILING','MANAGEMENT_CHANGE','FINANCING_CHANGE',"                 \
    "'HOUSE_BANK_CHANGE','OWNERSHIP_LINK','REPUTATION_SIGNAL',"              \
    "'CREDIT_LIMIT_DECISION','MAJOR_BUYER_FAILURE','UNKNOWN']}"

/* Bureau: buyer_share a float (promoted to double), severity with a string
 * branch the reader cannot take (records using it are DECODE poison). */
static const char bureau_v2[] =
    REC("CreditBureauEvent", HDR(BUREAU_TYPE)
        "{'name':'source','type':'string'},"
        OPT("new_score", "'int'") ","
        OPT("buyer_share", "'float'") ","
        "{'name':'severity','type':['null','int','string']}");

/* Bureau: old_score as a long, which no reader int can take. */
static const char bureau_bad_type[] =
    REC("CreditBureauEvent", HDR(BUREAU_TYPE)
        "{'name':'source','type':'string'},"
        OPT("old_score", "'long'"));

/* Communication: promised_amount an optional int (promoted in a union). */
static const char comm_v2[] = REC(
    "Communication",
    HDR("{'type':'enum','name':'CommunicationType','symbols':['REMINDER',"
        "'FORMAL_NOTICE','CALL_ATTEMPT','CALL_ANSWERED','INBOUND_REPLY',"
        "'PROMISE_TO_PAY','EXTENSION_REQUEST','EXCUSE','DISPUTE_OPENED',"
        "'DISPUTE_RESOLVED','PAYMENT_TERMS_REQUEST','DEPOSIT_REFUSED',"
        "'COLLECTIONS_HANDOVER','UNKNOWN']}")
    OPT("promised_amount", "'int'") "," OPT("currency", "'string'"));

enum {
    ID_INVOICE_V2 = 101,
    ID_INVOICE_OLD = 102,
    ID_INVOICE_NO_CURRENCY = 103,
    ID_PAYMENT_V2 = 104,
    ID_BUREAU_V2 = 105,
    ID_BUREAU_BAD_TYPE = 106,
    ID_COMM_V2 = 107,
};

static const struct {
    uint32_t id;
    const char *file;
    const char *json; /* NULL: copied from schemas/ */
} evolved_files[] = {
    {1, "Invoice.avsc", NULL},
    {2, "Payment.avsc", NULL},
    {3, "CreditBureauEvent.avsc", NULL},
    {4, "Communication.avsc", NULL},
    {ID_INVOICE_V2, "InvoiceV2.avsc", invoice_v2},
    {ID_INVOICE_OLD, "InvoiceOld.avsc", invoice_old},
    {ID_INVOICE_NO_CURRENCY, "InvoiceNoCurrency.avsc", invoice_no_currency},
    {ID_PAYMENT_V2, "PaymentV2.avsc", payment_v2},
    {ID_BUREAU_V2, "BureauV2.avsc", bureau_v2},
    {ID_BUREAU_BAD_TYPE, "BureauBadType.avsc", bureau_bad_type},
    {ID_COMM_V2, "CommV2.avsc", comm_v2},
};

/* ---- fixture --------------------------------------------------------- */

struct fixture {
    struct rs_registry *reg; /* schemas/ */
    struct rs_decoder *dec;
    char dir[64];            /* the evolved schema directory */
    struct rs_registry *evo_reg;
    struct rs_decoder *evo;
};

static struct fixture fx;

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(data, 1, len, f) != len)
        fail_msg("cannot write '%s'", path);
    fclose(f);
}

static void make_evolved_dir(void)
{
    char path[256];
    struct rs_buf ids;

    snprintf(fx.dir, sizeof(fx.dir), "/tmp/rs-test-decode-XXXXXX");
    if (!mkdtemp(fx.dir))
        fail_msg("mkdtemp failed");
    rs_buf_init(&ids, 0);
    for (size_t i = 0; i < COUNT(evolved_files); i++) {
        char *text;
        size_t len;

        if (evolved_files[i].json) {
            text = rs_strdup(evolved_files[i].json);
            len = strlen(text);
            for (size_t j = 0; j < len; j++)
                if (text[j] == '\'')
                    text[j] = '"';
        } else {
            char rel[128];

            snprintf(rel, sizeof(rel), "schemas/%s", evolved_files[i].file);
            text = rs_test_read_file(rs_test_path(rel), &len);
        }
        snprintf(path, sizeof(path), "%s/%s", fx.dir, evolved_files[i].file);
        write_file(path, text, len);
        free(text);
        rs_buf_printf(&ids, "%u %s\n", evolved_files[i].id,
                      evolved_files[i].file);
    }
    snprintf(path, sizeof(path), "%s/ids.txt", fx.dir);
    write_file(path, (const char *)ids.data, ids.len);
    rs_buf_release(&ids);
}

static void remove_evolved_dir(void)
{
    char path[256];

    for (size_t i = 0; i < COUNT(evolved_files); i++) {
        snprintf(path, sizeof(path), "%s/%s", fx.dir, evolved_files[i].file);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/ids.txt", fx.dir);
    unlink(path);
    rmdir(fx.dir);
}

static int setup(void **state)
{
    char err[512] = "";

    (void)state;
    fx.reg = rs_registry_load(rs_test_path("schemas"), err, sizeof(err));
    if (!fx.reg)
        fail_msg("registry: %s", err);
    fx.dec = rs_decoder_new(fx.reg, MAX_RECORD, err, sizeof(err));
    if (!fx.dec)
        fail_msg("decoder: %s", err);
    make_evolved_dir();
    fx.evo_reg = rs_registry_load(fx.dir, err, sizeof(err));
    if (!fx.evo_reg)
        fail_msg("evolved registry: %s", err);
    fx.evo = rs_decoder_new(fx.evo_reg, MAX_RECORD, err, sizeof(err));
    if (!fx.evo)
        fail_msg("evolved decoder: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_decoder_destroy(fx.dec);
    rs_decoder_destroy(fx.evo);
    rs_registry_destroy(fx.reg);
    rs_registry_destroy(fx.evo_reg);
    remove_evolved_dir();
    return 0;
}

/* ---- building records ------------------------------------------------ */

static const char *const base_text[RS_EVENT_KINDS] = {
    "event_id=E1 event_time=2026-03-01T10:00:00Z customer_id=C1 type=ISSUED "
    "invoice_id=INV-1 amount=125000 currency=EUR issue_date=2026-03-01 "
    "due_date=2026-03-31 payment_terms_days=30",
    "event_id=E2 event_time=2026-04-02T08:30:00Z customer_id=C1 type=FULL "
    "payment_id=P-1 amount=5000 currency=USD payment_date=2026-04-01",
    "event_id=E3 event_time=2026-04-03T00:00:00Z customer_id=C1 "
    "type=REPUTATION_SIGNAL source=Graydon",
    "event_id=E4 event_time=2026-04-04T12:00:00Z customer_id=C1 "
    "type=REMINDER",
};

static const struct rs_schema_entry *entry(struct rs_registry *reg,
                                           uint32_t id)
{
    const struct rs_schema_entry *e = rs_registry_by_id(reg, id);

    if (!e)
        fail_msg("no schema id %u", id);
    return e;
}

/* A generic record of e's schema filled from text; *iface to decref. */
static void new_record(const struct rs_schema_entry *e, const char *text,
                       avro_value_iface_t **iface, avro_value_t *rec)
{
    char err[256] = "";

    *iface = avro_generic_class_from_schema(e->schema);
    if (!*iface || avro_generic_value_new(*iface, rec))
        fail_msg("cannot make a value of %s", e->file);
    if (rs_avro_fill(rec, text, err, sizeof(err)))
        fail_msg("%s: '%s': %s", e->file, text, err);
}

static void put_header(struct rs_buf *out, const struct rs_schema_entry *e,
                       enum rs_frame_kind framing)
{
    uint8_t hdr[RS_FRAME_SINGLE_OBJECT_HEADER];
    size_t n = framing == RS_FRAME_CONFLUENT
                   ? rs_frame_write_confluent(hdr, e->id)
                   : rs_frame_write_single_object(hdr, e->fingerprint);

    rs_buf_append(out, hdr, n);
}

static void encode_value(const struct rs_schema_entry *e, avro_value_t *rec,
                         enum rs_frame_kind framing, struct rs_buf *out)
{
    rs_buf_reset(out);
    put_header(out, e, framing);
    if (rs_avro_encode(rec, out))
        fail_msg("cannot encode a %s record", e->file);
}

/* Frames and encodes a record of schema id `id` filled from text. */
static void build(struct rs_registry *reg, uint32_t id, const char *text,
                  enum rs_frame_kind framing, struct rs_buf *out)
{
    const struct rs_schema_entry *e = entry(reg, id);
    avro_value_iface_t *iface;
    avro_value_t rec;

    new_record(e, text, &iface, &rec);
    encode_value(e, &rec, framing, out);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

/* The kind's base text followed by overrides (a later field=value wins). */
static const char *with(enum rs_event_kind kind, const char *more, char *buf,
                        size_t size)
{
    snprintf(buf, size, "%s%s%s", base_text[kind], more && *more ? " " : "",
             more ? more : "");
    return buf;
}

struct result {
    enum rs_decode_result rc;
    enum rs_error_class cls;
    char why[512];
};

static struct result decode_as(struct rs_decoder *d, enum rs_event_kind kind,
                               const char *key, const struct rs_buf *value,
                               struct rs_event *ev)
{
    struct result r;

    memset(&r, 0, sizeof(r));
    r.cls = RS_ERROR_OTHER;
    r.rc = rs_decode(d, kind, key, key ? strlen(key) : 0, value->data,
                     value->len, ev, &r.cls, r.why, sizeof(r.why));
    return r;
}

static void expect_ok(const struct result *r, const char *what)
{
    if (r->rc != RS_DECODE_OK)
        fail_msg("%s: poison %s: %s", what, rs_error_class_name(r->cls),
                 r->why);
}

static void expect_poison(const struct result *r, enum rs_error_class cls,
                          const char *reason, const char *what)
{
    if (r->rc != RS_DECODE_POISON)
        fail_msg("%s: decoded, expected %s '%s'", what,
                 rs_error_class_name(cls), reason);
    if (r->cls != cls || !strstr(r->why, reason))
        fail_msg("%s: got %s '%s', expected %s '%s'", what,
                 rs_error_class_name(r->cls), r->why,
                 rs_error_class_name(cls), reason);
}

static int32_t day(const char *iso)
{
    int32_t d = 0;

    if (rs_avro_parse_date(iso, &d))
        fail_msg("bad date '%s'", iso);
    return d;
}

static int64_t ms(const char *iso)
{
    int64_t t = 0;

    if (rs_avro_parse_timestamp(iso, &t))
        fail_msg("bad timestamp '%s'", iso);
    return t;
}

/* ---- every kind, every field ----------------------------------------- */

static const char *const full_text[RS_EVENT_KINDS] = {
    "event_id=E-INV-1 event_time=2026-03-01T10:00:00.250Z customer_id=C1 "
    "type=CREDITED invoice_id=CN-7 order_id=SO-9 amount=125000 currency=EUR "
    "issue_date=2026-03-01 due_date=2026-03-31 payment_terms_days=30 "
    "sector=C25 segment=key-account credited_invoice_id=INV-6",
    "event_id=E-PAY-1 event_time=2026-04-02T08:30:00Z customer_id=C1 "
    "type=PARTIAL payment_id=P-1 amount=5000 currency=USD "
    "payment_date=2026-04-01 invoice_id=INV-6 method=DIRECT_DEBIT",
    "event_id=E-BUR-1 event_time=2026-04-03T07:00:00Z customer_id=C1 "
    "type=SCORE_UPDATE source=Graydon old_score=61 new_score=42 "
    "score_max=100 old_rating=A new_rating=BB+ inquirer=BankX "
    "filing_kind=petition interim=true parent_customer_id=C0 "
    "limit_action=REDUCED limit_amount=0 limit_currency=EUR "
    "buyer_name=BuyerCo buyer_share=0.25 severity=3 description=headline",
    "event_id=E-COM-1 event_time=2026-04-04T12:00:00Z customer_id=C1 "
    "type=PROMISE_TO_PAY invoice_id=INV-6 dunning_level=2 channel=PHONE "
    "promised_date=2026-05-01 promised_amount=2500 currency=EUR "
    "requested_days=14 excuse_category=CASH_PROBLEMS dispute_id=D-1 "
    "resolution=credit-note note=will-pay-friday",
};

static void check_full(enum rs_event_kind kind, const struct rs_event *ev)
{
    assert_int_equal(ev->kind, kind);
    assert_string_equal(ev->customer_id, "C1");
    switch (kind) {
    case RS_EVENT_INVOICE: {
        const struct rs_invoice *v = &ev->u.inv;

        assert_string_equal(ev->event_id, "E-INV-1");
        assert_true(ev->event_time == ms("2026-03-01T10:00:00.250Z"));
        assert_int_equal(ev->type, RS_INVOICE_CREDITED);
        assert_int_equal(ev->has, RS_INV_HAS_ORDER_ID | RS_INV_HAS_SECTOR |
                                      RS_INV_HAS_SEGMENT |
                                      RS_INV_HAS_CREDITED_INVOICE_ID);
        assert_string_equal(v->invoice_id, "CN-7");
        assert_string_equal(v->order_id, "SO-9");
        assert_true(v->amount == 125000);
        assert_string_equal(v->currency, "EUR");
        assert_int_equal(v->issue_date, day("2026-03-01"));
        assert_int_equal(v->due_date, day("2026-03-31"));
        assert_int_equal(v->payment_terms_days, 30);
        assert_string_equal(v->sector, "C25");
        assert_string_equal(v->segment, "key-account");
        assert_string_equal(v->credited_invoice_id, "INV-6");
        break;
    }
    case RS_EVENT_PAYMENT: {
        const struct rs_payment *v = &ev->u.pay;

        assert_string_equal(ev->event_id, "E-PAY-1");
        assert_true(ev->event_time == ms("2026-04-02T08:30:00Z"));
        assert_int_equal(ev->type, RS_PAYMENT_PARTIAL);
        assert_int_equal(ev->has, RS_PAY_HAS_INVOICE_ID | RS_PAY_HAS_METHOD);
        assert_string_equal(v->payment_id, "P-1");
        assert_true(v->amount == 5000);
        assert_string_equal(v->currency, "USD");
        assert_int_equal(v->payment_date, day("2026-04-01"));
        assert_string_equal(v->invoice_id, "INV-6");
        assert_int_equal(v->method, RS_METHOD_DIRECT_DEBIT);
        break;
    }
    case RS_EVENT_BUREAU: {
        const struct rs_bureau *v = &ev->u.bur;

        assert_string_equal(ev->event_id, "E-BUR-1");
        assert_true(ev->event_time == ms("2026-04-03T07:00:00Z"));
        assert_int_equal(ev->type, RS_BUREAU_SCORE_UPDATE);
        assert_int_equal(ev->has, 0xffffu);
        assert_string_equal(v->source, "Graydon");
        assert_int_equal(v->old_score, 61);
        assert_int_equal(v->new_score, 42);
        assert_int_equal(v->score_max, 100);
        assert_string_equal(v->old_rating, "A");
        assert_string_equal(v->new_rating, "BB+");
        assert_string_equal(v->inquirer, "BankX");
        assert_string_equal(v->filing_kind, "petition");
        assert_int_equal(v->interim, 1);
        assert_string_equal(v->parent_customer_id, "C0");
        assert_int_equal(v->limit_action, RS_LIMIT_REDUCED);
        assert_true(v->limit_amount == 0);
        assert_string_equal(v->limit_currency, "EUR");
        assert_string_equal(v->buyer_name, "BuyerCo");
        assert_true(v->buyer_share == 0.25);
        assert_int_equal(v->severity, 3);
        assert_string_equal(v->description, "headline");
        break;
    }
    case RS_EVENT_COMM: {
        const struct rs_comm *v = &ev->u.com;

        assert_string_equal(ev->event_id, "E-COM-1");
        assert_true(ev->event_time == ms("2026-04-04T12:00:00Z"));
        assert_int_equal(ev->type, RS_COMM_PROMISE_TO_PAY);
        assert_int_equal(ev->has, 0x7ffu);
        assert_string_equal(v->invoice_id, "INV-6");
        assert_int_equal(v->dunning_level, 2);
        assert_int_equal(v->channel, RS_CHANNEL_PHONE);
        assert_int_equal(v->promised_date, day("2026-05-01"));
        assert_true(v->promised_amount == 2500);
        assert_string_equal(v->currency, "EUR");
        assert_int_equal(v->requested_days, 14);
        assert_int_equal(v->excuse_category, RS_EXCUSE_CASH_PROBLEMS);
        assert_string_equal(v->dispute_id, "D-1");
        assert_string_equal(v->resolution, "credit-note");
        assert_string_equal(v->note, "will-pay-friday");
        break;
    }
    }
}

static void test_decode_every_kind_all_fields(void **state)
{
    static const enum rs_frame_kind framings[] = {RS_FRAME_CONFLUENT,
                                                  RS_FRAME_SINGLE_OBJECT};
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    for (size_t f = 0; f < COUNT(framings); f++) {
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            struct rs_event ev;
            struct result r;
            char what[64];

            snprintf(what, sizeof(what), "%s, %s framing",
                     rs_event_kind_name((enum rs_event_kind)k),
                     f ? "single-object" : "Confluent");
            build(fx.reg, (uint32_t)k + 1, full_text[k], framings[f], &buf);
            r = decode_as(fx.dec, (enum rs_event_kind)k, "C1", &buf, &ev);
            expect_ok(&r, what);
            check_full((enum rs_event_kind)k, &ev);
            /* The evolved directory holds the same schemas: same result. */
            r = decode_as(fx.evo, (enum rs_event_kind)k, "C1", &buf, &ev);
            expect_ok(&r, what);
            check_full((enum rs_event_kind)k, &ev);
        }
    }
    rs_buf_release(&buf);
}

static void test_decode_optional_fields_absent(void **state)
{
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        struct rs_event ev;
        struct result r;

        build(fx.reg, (uint32_t)k + 1, base_text[k], RS_FRAME_CONFLUENT, &buf);
        r = decode_as(fx.dec, (enum rs_event_kind)k, "C1", &buf, &ev);
        expect_ok(&r, base_text[k]);
        assert_int_equal(ev.has, 0);
        assert_string_equal(ev.customer_id, "C1");
    }
    /* Spot checks of the required fields of the base texts. */
    build(fx.reg, 1, base_text[0], RS_FRAME_CONFLUENT, &buf);
    {
        struct rs_event ev;
        struct result r = decode_as(fx.dec, RS_EVENT_INVOICE, "C1", &buf, &ev);

        expect_ok(&r, "invoice");
        assert_string_equal(ev.event_id, "E1");
        assert_int_equal(ev.type, RS_INVOICE_ISSUED);
        assert_string_equal(ev.u.inv.invoice_id, "INV-1");
        assert_int_equal(ev.u.inv.due_date, day("2026-03-31"));
        assert_string_equal(ev.u.inv.order_id, "");
    }
    rs_buf_release(&buf);
}

/* Identifiers up to 63 bytes pass, free text is cut at a character. */
static void test_decode_string_caps(void **state)
{
    char id63[64], text[1024], more[1200];
    struct rs_buf buf;
    struct rs_event ev;
    struct result r;

    (void)state;
    memset(id63, 'x', 63);
    id63[63] = '\0';
    rs_buf_init(&buf, 0);
    snprintf(more, sizeof(more), "invoice_id=%s order_id=%s", id63, id63);
    build(fx.reg, 1, with(RS_EVENT_INVOICE, more, text, sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.dec, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_ok(&r, "63-byte ids");
    assert_string_equal(ev.u.inv.invoice_id, id63);
    assert_string_equal(ev.u.inv.order_id, id63);

    /* 100 two-byte characters: 127 bytes would split the 64th. */
    strcpy(more, "note=");
    for (int i = 0; i < 100; i++)
        strcat(more, "\xc3\xa9");
    build(fx.reg, 4, with(RS_EVENT_COMM, more, text, sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.dec, RS_EVENT_COMM, "C1", &buf, &ev);
    expect_ok(&r, "long note");
    assert_int_equal(strlen(ev.u.com.note), 126);
    assert_memory_equal(ev.u.com.note, more + 5, 126);
    assert_true(ev.has & RS_COM_HAS_NOTE);
    rs_buf_release(&buf);
}

/* The decoder's symbol tables and rs_event_type_name() follow the reader
 * schemas: every symbol of every enum decodes to its position. */
static void test_decode_enums_match_schemas(void **state)
{
    static const struct {
        enum rs_event_kind kind;
        const char *field;
        size_t offset;
    } enums[] = {
        {RS_EVENT_INVOICE, "type", offsetof(struct rs_event, type)},
        {RS_EVENT_PAYMENT, "type", offsetof(struct rs_event, type)},
        {RS_EVENT_PAYMENT, "method", offsetof(struct rs_event, u.pay.method)},
        {RS_EVENT_BUREAU, "type", offsetof(struct rs_event, type)},
        {RS_EVENT_BUREAU, "limit_action",
         offsetof(struct rs_event, u.bur.limit_action)},
        {RS_EVENT_COMM, "type", offsetof(struct rs_event, type)},
        {RS_EVENT_COMM, "channel", offsetof(struct rs_event, u.com.channel)},
        {RS_EVENT_COMM, "excuse_category",
         offsetof(struct rs_event, u.com.excuse_category)},
    };
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    for (size_t i = 0; i < COUNT(enums); i++) {
        const struct rs_schema_entry *e = entry(fx.reg, enums[i].kind + 1u);
        avro_schema_t s =
            avro_schema_record_field_get(e->schema, enums[i].field);

        if (avro_typeof(s) == AVRO_UNION)
            s = avro_schema_union_branch(s, 1);
        assert_int_equal(avro_typeof(s), AVRO_ENUM);
        for (int j = 0; j < avro_schema_enum_number_of_symbols(s); j++) {
            const char *sym = avro_schema_enum_get(s, j);
            char more[128], text[1024];
            struct rs_event ev;
            struct result r;
            int got;

            if (strcmp(enums[i].field, "type") == 0)
                assert_string_equal(rs_event_type_name(enums[i].kind, j),
                                    sym);
            snprintf(more, sizeof(more), "%s=%s", enums[i].field, sym);
            build(fx.reg, e->id, with(enums[i].kind, more, text, sizeof(text)),
                  RS_FRAME_CONFLUENT, &buf);
            r = decode_as(fx.dec, enums[i].kind, "C1", &buf, &ev);
            expect_ok(&r, more);
            memcpy(&got, (const char *)&ev + enums[i].offset, sizeof(got));
            if (got != j)
                fail_msg("%s decoded as %d, not %d", more, got, j);
        }
    }
    assert_string_equal(rs_event_type_name(RS_EVENT_INVOICE, 99), "?");
    assert_string_equal(rs_event_kind_name(RS_EVENT_COMM), "communication");
    assert_string_equal(rs_event_kind_name(RS_EVENT_BUREAU), "bureau");
    rs_buf_release(&buf);
}

/* ---- schema evolution ------------------------------------------------ */

static void field(avro_value_t *rec, const char *name, avro_value_t *out)
{
    if (avro_value_get_by_name(rec, name, out, NULL))
        fail_msg("no field '%s'", name);
}

/* A chain of depth Node records under `tree`, values 1..depth. */
static void set_tree(avro_value_t *tree, int depth)
{
    avro_value_t cur = *tree;

    for (int i = 1; i <= depth; i++) {
        avro_value_t v, kids, child;

        field(&cur, "value", &v);
        avro_value_set_int(&v, i);
        field(&cur, "children", &kids);
        if (i == depth)
            break;
        if (avro_value_append(&kids, &child, NULL))
            fail_msg("cannot append a child");
        cur = child;
    }
}

/* Fills the complex extra fields of an InvoiceV2 record. */
static void set_extras(avro_value_t *rec, int tree_depth)
{
    static const char md5[16] = "0123456789abcde";
    avro_value_t f, sub, el, br;

    field(rec, "ext_record", &f);
    field(&f, "a", &sub);
    avro_value_set_long(&sub, -77);
    field(&f, "b", &sub);
    avro_value_set_string(&sub, "bee");
    field(&f, "tags", &sub);
    avro_value_append(&sub, &el, NULL);
    avro_value_set_string(&el, "t1");
    avro_value_append(&sub, &el, NULL);
    avro_value_set_string(&el, "t2");

    field(rec, "ext_tree", &f);
    set_tree(&f, tree_depth);

    field(rec, "ext_union", &f);
    avro_value_set_branch(&f, 2, &br);
    avro_value_add(&br, "k1", &el, NULL, NULL);
    avro_value_set_long(&el, 5);
    avro_value_add(&br, "k2", &el, NULL, NULL);
    avro_value_set_long(&el, 6);

    field(rec, "ext_fixed", &f);
    avro_value_set_fixed(&f, (void *)(uintptr_t)md5, 16);
}

static void append_hex(struct rs_buf *b, const char *hex)
{
    unsigned v;
    int n;

    while (sscanf(hex, " %2x%n", &v, &n) == 1) {
        uint8_t byte = (uint8_t)v;

        rs_buf_append(b, &byte, 1);
        hex += n;
    }
}

/* The last three fields (ext_array, ext_map, ext_nulls) as hand-made
 * blocks: negative counts with byte sizes, then positive counts. */
#define EXT_TAIL                                                             \
    /* ext_array: -2 items in 3 bytes (1, 300), then 1 item (7), end */      \
    "03 06 02 d8 04  02 0e  00"                                              \
    /* ext_map: -1 entry in 5 bytes ("k": [5]), then 1 entry ("z": a */      \
    /* negative block of one int, 3), end */                                 \
    " 01 0a 02 6b 02 0a 00  02 02 7a 01 02 06 00  00"                        \
    /* ext_nulls: 3 nulls, then -2 nulls in 0 bytes, end */                  \
    " 06 03 00 00"

static const char evolved_text[] =
    "event_id=E-V2 event_time=2026-03-01T10:00:00Z customer_id=C1 "
    "type=ISSUED invoice_id=INV-2 order_id=SO-2 amount=99 currency=EUR "
    "issue_date=2026-03-01 due_date=2026-03-02 payment_terms_days=1 "
    "ext_enum=GREEN ext_float=1.5 ext_double=2.5 ext_bool=true "
    "ext_bytes=abc sector=S1";

/* An InvoiceV2 record with every extra field set, tail blocks hand-made. */
static void build_evolved(const char *text, int tree_depth,
                          enum rs_frame_kind framing, const char *tail,
                          struct rs_buf *out)
{
    const struct rs_schema_entry *e = entry(fx.evo_reg, ID_INVOICE_V2);
    avro_value_iface_t *iface;
    avro_value_t rec;

    new_record(e, text, &iface, &rec);
    set_extras(&rec, tree_depth);
    encode_value(e, &rec, framing, out);
    /* Avro C wrote the three empty tail collections as three zeros. */
    assert_true(out->len > 3);
    assert_memory_equal(out->data + out->len - 3, "\0\0\0", 3);
    out->len -= 3;
    append_hex(out, tail);
    avro_value_decref(&rec);
    avro_value_iface_decref(iface);
}

static void test_decode_evolved_writer_skips_unknown_fields(void **state)
{
    const struct rs_schema_entry *e = entry(fx.evo_reg, ID_INVOICE_V2);
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    for (int f = 0; f < 2; f++) {
        enum rs_frame_kind framing =
            f ? RS_FRAME_SINGLE_OBJECT : RS_FRAME_CONFLUENT;
        size_t hdr = f ? RS_FRAME_SINGLE_OBJECT_HEADER
                       : RS_FRAME_CONFLUENT_HEADER;
        struct rs_event ev;
        struct result r;

        build_evolved(evolved_text, 3, framing, EXT_TAIL, &buf);

        /* The hand-made blocks are valid Avro: Avro C reads them too. */
        {
            avro_value_iface_t *iface = avro_generic_class_from_schema(e->schema);
            avro_reader_t rd = avro_reader_memory((const char *)buf.data + hdr,
                                                  (int64_t)(buf.len - hdr));
            avro_value_t rec, fv;
            size_t n = 0;

            avro_generic_value_new(iface, &rec);
            if (avro_value_read(rd, &rec))
                fail_msg("Avro C cannot read the evolved record: %s",
                         avro_strerror());
            field(&rec, "ext_array", &fv);
            avro_value_get_size(&fv, &n);
            assert_int_equal(n, 3);
            field(&rec, "ext_map", &fv);
            avro_value_get_size(&fv, &n);
            assert_int_equal(n, 2);
            avro_value_decref(&rec);
            avro_value_iface_decref(iface);
            avro_reader_free(rd);
        }

        r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
        expect_ok(&r, "evolved invoice");
        assert_string_equal(ev.event_id, "E-V2");
        assert_string_equal(ev.customer_id, "C1");
        assert_int_equal(ev.type, RS_INVOICE_ISSUED); /* writer index 2 */
        assert_string_equal(ev.u.inv.invoice_id, "INV-2");
        assert_string_equal(ev.u.inv.order_id, "SO-2");
        assert_true(ev.u.inv.amount == 99);
        assert_string_equal(ev.u.inv.currency, "EUR");
        assert_int_equal(ev.u.inv.due_date, day("2026-03-02"));
        assert_int_equal(ev.u.inv.payment_terms_days, 1);
        assert_string_equal(ev.u.inv.sector, "S1");
        assert_int_equal(ev.has, RS_INV_HAS_ORDER_ID | RS_INV_HAS_SECTOR);

        /* The same writer is unknown to the plain schema directory. */
        r = decode_as(fx.dec, RS_EVENT_INVOICE, "C1", &buf, &ev);
        expect_poison(&r, RS_ERROR_UNKNOWN_SCHEMA,
                      f ? "fingerprint" : "schema id 101 is not in",
                      "evolved invoice, plain directory");
    }
    rs_buf_release(&buf);
}

static void test_decode_evolved_skip_caps(void **state)
{
    struct rs_buf buf;
    struct rs_event ev;
    struct result r;

    (void)state;
    rs_buf_init(&buf, 0);
    /* Each tree level is a record in an array: 2 levels of depth. */
    build_evolved(evolved_text, 15, RS_FRAME_CONFLUENT, EXT_TAIL, &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_ok(&r, "tree of 15 levels");
    build_evolved(evolved_text, 40, RS_FRAME_CONFLUENT, EXT_TAIL, &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_DECODE,
                  "field 'ext_tree': nested deeper than 32 levels",
                  "tree of 40 levels");
    /* 2^40 nulls take no bytes: the work cap ends them. */
    build_evolved(evolved_text, 1, RS_FRAME_CONFLUENT,
                  "00 00 80 80 80 80 80 40 00", &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_DECODE, "field 'ext_nulls': more than",
                  "2^40 nulls");
    /* 2^40 longs cannot fit in the bytes left. */
    build_evolved(evolved_text, 1, RS_FRAME_CONFLUENT,
                  "80 80 80 80 80 40 00 00 00", &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_DECODE,
                  "field 'ext_array': block count 1099511627776", "2^40 longs");
    /* A negative block whose byte size runs past the end. */
    build_evolved(evolved_text, 1, RS_FRAME_CONFLUENT, "03 7e 02 04 00 00 00",
                  &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_DECODE, "field 'ext_array': length 63",
                  "block size past the end");
    rs_buf_release(&buf);
}

static void test_decode_evolved_enum_symbols_by_name(void **state)
{
    static const struct {
        const char *type;
        int want;
    } cases[] = {
        {"CANCELLED", RS_INVOICE_CANCELLED}, /* writer index 0 */
        {"REISSUED", RS_INVOICE_UNKNOWN},    /* unknown to the reader */
        {"ISSUED", RS_INVOICE_ISSUED},
        {"CREDITED", RS_INVOICE_CREDITED},
        {"UNKNOWN", RS_INVOICE_UNKNOWN},
    };
    struct rs_buf buf;
    char text[1024];

    (void)state;
    rs_buf_init(&buf, 0);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct rs_event ev;
        struct result r;

        snprintf(text, sizeof(text), "%s type=%s", evolved_text,
                 cases[i].type);
        build_evolved(text, 1, RS_FRAME_CONFLUENT, EXT_TAIL, &buf);
        r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
        expect_ok(&r, cases[i].type);
        if (ev.type != cases[i].want)
            fail_msg("type %s decoded as %d, not %d", cases[i].type, ev.type,
                     cases[i].want);
    }
    /* A payment method the reader lacks maps to the default, OTHER. */
    {
        struct rs_event ev;
        struct result r;

        build(fx.evo_reg, ID_PAYMENT_V2,
              with(RS_EVENT_PAYMENT, "method=CRYPTO", text, sizeof(text)),
              RS_FRAME_CONFLUENT, &buf);
        r = decode_as(fx.evo, RS_EVENT_PAYMENT, "C1", &buf, &ev);
        expect_ok(&r, "method CRYPTO");
        assert_int_equal(ev.u.pay.method, RS_METHOD_OTHER);
        assert_true(ev.has & RS_PAY_HAS_METHOD);
    }
    rs_buf_release(&buf);
}

/* An older writer lacks optional fields (null) and writes amount as an
 * int (promoted to long) and currency as bytes (read as string). */
static void test_decode_older_writer(void **state)
{
    struct rs_buf buf;
    struct rs_event ev;
    struct result r;
    char text[1024];

    (void)state;
    rs_buf_init(&buf, 0);
    build(fx.evo_reg, ID_INVOICE_OLD,
          with(RS_EVENT_INVOICE, "amount=2000000000 order_id=SO-3 sector=S3",
               text, sizeof(text)),
          RS_FRAME_SINGLE_OBJECT, &buf);
    r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
    expect_ok(&r, "older invoice");
    assert_true(ev.u.inv.amount == 2000000000);
    assert_string_equal(ev.u.inv.currency, "EUR");
    assert_string_equal(ev.u.inv.order_id, "SO-3");
    assert_int_equal(ev.has, RS_INV_HAS_ORDER_ID | RS_INV_HAS_SECTOR);
    assert_string_equal(ev.u.inv.segment, "");
    assert_string_equal(ev.u.inv.credited_invoice_id, "");
    rs_buf_release(&buf);
}

static void test_decode_incompatible_writers(void **state)
{
    static const char invoice_no_currency_text[] =
        "event_id=E1 event_time=2026-03-01T10:00:00Z customer_id=C1 "
        "type=ISSUED invoice_id=INV-1 amount=1 issue_date=2026-03-01 "
        "due_date=2026-03-31 payment_terms_days=30";
    struct rs_buf buf;
    struct rs_event ev;
    struct result r;

    (void)state;
    rs_buf_init(&buf, 0);
    for (int f = 0; f < 2; f++) {
        build(fx.evo_reg, ID_INVOICE_NO_CURRENCY, invoice_no_currency_text,
              f ? RS_FRAME_SINGLE_OBJECT : RS_FRAME_CONFLUENT, &buf);
        r = decode_as(fx.evo, RS_EVENT_INVOICE, "C1", &buf, &ev);
        expect_poison(&r, RS_ERROR_UNKNOWN_SCHEMA,
                      "writer schema id 103 (InvoiceNoCurrency.avsc) lacks "
                      "required field 'currency'",
                      "invoice without currency");
    }
    build(fx.evo_reg, ID_BUREAU_BAD_TYPE, base_text[RS_EVENT_BUREAU],
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_BUREAU, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_UNKNOWN_SCHEMA,
                  "writer schema id 106 (BureauBadType.avsc) has field "
                  "'old_score' as a union with no branch the reader's int "
                  "can take",
                  "bureau with a long score");
    rs_buf_release(&buf);
}

/* Promotions inside unions, bytes for strings, and writer unions for
 * reader fields that are required (a null there is invalid) or of another
 * type (a branch the reader cannot take is a DECODE error). */
static void test_decode_promotions_and_unions(void **state)
{
    struct rs_buf buf;
    struct rs_event ev;
    struct result r;
    char text[1024];

    (void)state;
    rs_buf_init(&buf, 0);
    build(fx.evo_reg, ID_PAYMENT_V2, base_text[RS_EVENT_PAYMENT],
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_PAYMENT, "C1", &buf, &ev);
    expect_ok(&r, "payment v2");
    assert_string_equal(ev.u.pay.payment_id, "P-1");
    assert_true(ev.u.pay.amount == 5000);
    assert_int_equal(ev.has, 0);

    build(fx.evo_reg, ID_PAYMENT_V2,
          with(RS_EVENT_PAYMENT, "amount=null", text, sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_PAYMENT, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_VALIDATION, "amount is null but required",
                  "payment with a null amount");

    build(fx.evo_reg, ID_BUREAU_V2,
          with(RS_EVENT_BUREAU, "buyer_share=0.375 severity=4 new_score=7",
               text, sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_BUREAU, "C1", &buf, &ev);
    expect_ok(&r, "bureau v2");
    assert_true(ev.u.bur.buyer_share == 0.375);
    assert_int_equal(ev.u.bur.severity, 4);
    assert_int_equal(ev.u.bur.new_score, 7);
    assert_int_equal(ev.has, RS_BUR_HAS_BUYER_SHARE | RS_BUR_HAS_SEVERITY |
                                 RS_BUR_HAS_NEW_SCORE);

    build(fx.evo_reg, ID_BUREAU_V2,
          with(RS_EVENT_BUREAU, "severity=high", text, sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_BUREAU, "C1", &buf, &ev);
    expect_poison(&r, RS_ERROR_DECODE,
                  "field 'severity': the writer's string branch cannot be "
                  "read as the reader's int",
                  "bureau with a string severity");

    build(fx.evo_reg, ID_COMM_V2,
          with(RS_EVENT_COMM, "promised_amount=2500 currency=EUR", text,
               sizeof(text)),
          RS_FRAME_CONFLUENT, &buf);
    r = decode_as(fx.evo, RS_EVENT_COMM, "C1", &buf, &ev);
    expect_ok(&r, "comm v2");
    assert_true(ev.u.com.promised_amount == 2500);
    assert_int_equal(ev.has, RS_COM_HAS_PROMISED_AMOUNT | RS_COM_HAS_CURRENCY);
    rs_buf_release(&buf);
}

/* ---- poison ---------------------------------------------------------- */

enum mut {
    M_NONE,
    M_EMPTY,        /* no bytes */
    M_MAGIC,        /* first byte 0x42 */
    M_SO_MAGIC,     /* 0xC3 0x02 */
    M_KEEP,         /* keep arg bytes of the whole value */
    M_KEEP_BODY,    /* keep the header and arg bytes of the body */
    M_APPEND,       /* append arg zero bytes */
    M_PAD,          /* pad to one byte over the cap */
    M_FINGERPRINT,  /* single-object framing, a fingerprint nobody has */
};

struct poison_case {
    const char *name;
    enum rs_event_kind topic;
    int other_writer;          /* build with `writer`, not the topic's kind */
    enum rs_event_kind writer;
    const char *more;          /* overrides of the writer's base text */
    const char *hex;           /* instead: this body, Confluent id `id` */
    uint32_t id;
    enum mut mut;
    size_t arg;
    const char *key; /* NULL: "C1" */
    int null_key;
    enum rs_error_class cls;
    const char *reason;
};

#define ID64 "x123456789012345678901234567890123456789012345678901234567890123"

static const struct poison_case poison_cases[] = {
    /* framing */
    {.name = "empty", .mut = M_EMPTY, .cls = RS_ERROR_FRAMING,
     .reason = "empty value"},
    {.name = "bad magic", .mut = M_MAGIC, .cls = RS_ERROR_FRAMING,
     .reason = "neither Confluent (0x00) nor single-object"},
    {.name = "bad single-object magic", .mut = M_SO_MAGIC,
     .cls = RS_ERROR_FRAMING, .reason = "neither Confluent"},
    {.name = "truncated header", .mut = M_KEEP, .arg = 3,
     .cls = RS_ERROR_FRAMING, .reason = "shorter than its framing header"},
    /* schema */
    {.name = "unknown id", .hex = "00", .id = 999,
     .cls = RS_ERROR_UNKNOWN_SCHEMA,
     .reason = "schema id 999 is not in the schema directory"},
    {.name = "unknown fingerprint", .mut = M_FINGERPRINT,
     .cls = RS_ERROR_UNKNOWN_SCHEMA,
     .reason = "schema fingerprint 0123456789abcdef is not in"},
    {.name = "payment on the invoice topic", .other_writer = 1,
     .writer = RS_EVENT_PAYMENT, .cls = RS_ERROR_UNKNOWN_SCHEMA,
     .reason = "schema id 2 (Payment.avsc) writes io.riskstream.Payment, but "
               "the invoice topic carries io.riskstream.Invoice"},
    {.name = "invoice on the communication topic", .topic = RS_EVENT_COMM,
     .other_writer = 1, .writer = RS_EVENT_INVOICE,
     .cls = RS_ERROR_UNKNOWN_SCHEMA,
     .reason = "writes io.riskstream.Invoice, but the communication topic "
               "carries io.riskstream.Communication"},
    {.name = "alert on the payment topic", .topic = RS_EVENT_PAYMENT,
     .hex = "00", .id = 5, .cls = RS_ERROR_UNKNOWN_SCHEMA,
     .reason = "schema id 5 (RiskAlert.avsc) writes io.riskstream.RiskAlert"},
    /* body */
    {.name = "truncated body", .mut = M_KEEP_BODY, .arg = 2,
     .cls = RS_ERROR_DECODE,
     .reason = "field 'event_id': length 2 at byte 5 runs past the end of the "
               "value (1 byte left)"},
    {.name = "last byte missing", .mut = M_KEEP_BODY, .arg = 36,
     .cls = RS_ERROR_DECODE,
     .reason = "value ends inside field 'credited_invoice_id' at byte 41"},
    {.name = "garbage body", .hex = "ff ff ff ff ff ff ff ff ff ff ff ff",
     .id = 1, .cls = RS_ERROR_DECODE,
     .reason = "field 'event_id': varint longer than 10 bytes at byte 5"},
    {.name = "trailing bytes", .mut = M_APPEND, .arg = 2,
     .cls = RS_ERROR_DECODE,
     .reason = "2 trailing bytes after the record at byte 42"},
    {.name = "huge length", .hex = "80 80 80 80 80 40 78 78", .id = 1,
     .cls = RS_ERROR_DECODE,
     .reason = "field 'event_id': length 1099511627776 at byte 5 runs past "
               "the end of the value (2 bytes left)"},
    {.name = "negative length", .hex = "05 45", .id = 1,
     .cls = RS_ERROR_DECODE,
     .reason = "field 'event_id': negative length -3 at byte 5"},
    {.name = "enum index out of range", .hex = "02 45 02 04 43 31 12",
     .id = 1, .cls = RS_ERROR_DECODE,
     .reason = "field 'type': enum index 9 out of range (4 symbols) at byte "
               "11"},
    {.name = "union branch out of range",
     .hex = "02 45 02 04 43 31 00 02 49 0a", .id = 1,
     .cls = RS_ERROR_DECODE,
     .reason = "field 'order_id': union branch 5 out of range (2 branches) "
               "at byte 14"},
    {.name = "int out of range",
     .hex = "02 45 02 04 43 31 00 02 49 00 02 06 45 55 52 ff ff ff ff 7f",
     .id = 1, .cls = RS_ERROR_DECODE,
     .reason = "field 'issue_date': int -17179869184 out of range at byte 20"},
    {.name = "oversized", .mut = M_PAD, .cls = RS_ERROR_OVERSIZED,
     .reason = "value of 65537 bytes is larger than the cap of 65536"},
    /* validation */
    {.name = "missing customer id", .more = "customer_id=",
     .cls = RS_ERROR_VALIDATION, .reason = "customer_id is empty"},
    {.name = "missing event id", .more = "event_id=",
     .cls = RS_ERROR_VALIDATION, .reason = "event_id is empty"},
    {.name = "missing invoice id", .more = "invoice_id=",
     .cls = RS_ERROR_VALIDATION, .reason = "invoice_id is empty"},
    {.name = "reserved customer id", .more = "customer_id=~rs:segment:x",
     .key = "~rs:segment:x", .cls = RS_ERROR_VALIDATION,
     .reason = "customer_id '~rs:segment:x' starts with '~rs:'"},
    {.name = "key mismatch", .key = "C2", .cls = RS_ERROR_KEY_MISMATCH,
     .reason = "key 'C2' is not the customer_id 'C1'"},
    {.name = "key longer than customer id", .key = "C1 ",
     .cls = RS_ERROR_KEY_MISMATCH, .reason = "key 'C1 ' is not"},
    {.name = "null key", .null_key = 1, .cls = RS_ERROR_KEY_MISMATCH,
     .reason = "no key; the key must be the customer_id 'C1'"},
    {.name = "negative amount", .more = "amount=-5",
     .cls = RS_ERROR_VALIDATION, .reason = "amount -5 is not positive"},
    {.name = "zero payment", .topic = RS_EVENT_PAYMENT, .more = "amount=0",
     .cls = RS_ERROR_VALIDATION, .reason = "amount 0 is not positive"},
    {.name = "due before issue",
     .more = "issue_date=2026-02-01 due_date=2026-01-01",
     .cls = RS_ERROR_VALIDATION,
     .reason = "due_date 2026-01-01 is before issue_date 2026-02-01"},
    {.name = "absurd issue date",
     .more = "issue_date=1900-01-01 due_date=1900-02-01",
     .cls = RS_ERROR_VALIDATION,
     .reason = "issue_date 1900-01-01 is an absurd date (outside "
               "1990-01-01..2100-12-31)"},
    {.name = "absurd payment date", .topic = RS_EVENT_PAYMENT,
     .more = "payment_date=2101-01-01", .cls = RS_ERROR_VALIDATION,
     .reason = "payment_date 2101-01-01 is an absurd date"},
    {.name = "absurd event time", .more = "event_time=2150-01-01T00:00:00Z",
     .cls = RS_ERROR_VALIDATION,
     .reason = "event_time 2150-01-01T00:00:00Z is an absurd date"},
    {.name = "event time just before 1990",
     .more = "event_time=1989-12-31T23:59:59Z", .cls = RS_ERROR_VALIDATION,
     .reason = "event_time 1989-12-31T23:59:59Z is an absurd date"},
    {.name = "lower-case currency", .more = "currency=eur",
     .cls = RS_ERROR_VALIDATION,
     .reason = "currency 'eur' is not three upper-case letters"},
    {.name = "four-letter currency", .topic = RS_EVENT_PAYMENT,
     .more = "currency=EURO", .cls = RS_ERROR_VALIDATION,
     .reason = "currency 'EURO' is not three upper-case letters"},
    {.name = "id too long", .more = "invoice_id=" ID64,
     .cls = RS_ERROR_VALIDATION,
     .reason = "invoice_id is longer than 63 bytes"},
    {.name = "customer id too long", .more = "customer_id=" ID64,
     .cls = RS_ERROR_VALIDATION,
     .reason = "customer_id is longer than 63 bytes"},
    {.name = "negative terms", .more = "payment_terms_days=-1",
     .cls = RS_ERROR_VALIDATION,
     .reason = "payment_terms_days -1 is negative"},
    {.name = "severity 7", .topic = RS_EVENT_BUREAU, .more = "severity=7",
     .cls = RS_ERROR_VALIDATION,
     .reason = "severity 7 is not between 1 and 5"},
    {.name = "buyer share 1.5", .topic = RS_EVENT_BUREAU,
     .more = "buyer_share=1.5", .cls = RS_ERROR_VALIDATION,
     .reason = "buyer_share 1.5 is not between 0 and 1"},
    {.name = "limit without currency", .topic = RS_EVENT_BUREAU,
     .more = "limit_amount=100", .cls = RS_ERROR_VALIDATION,
     .reason = "limit_amount is set without limit_currency"},
    {.name = "negative limit", .topic = RS_EVENT_BUREAU,
     .more = "limit_amount=-1 limit_currency=EUR", .cls = RS_ERROR_VALIDATION,
     .reason = "limit_amount -1 is negative"},
    {.name = "score above max", .topic = RS_EVENT_BUREAU,
     .more = "new_score=120 score_max=100", .cls = RS_ERROR_VALIDATION,
     .reason = "new_score 120 is above score_max 100"},
    {.name = "zero score max", .topic = RS_EVENT_BUREAU,
     .more = "score_max=0", .cls = RS_ERROR_VALIDATION,
     .reason = "score_max 0 is not positive"},
    {.name = "negative dunning level", .topic = RS_EVENT_COMM,
     .more = "dunning_level=-1", .cls = RS_ERROR_VALIDATION,
     .reason = "dunning_level -1 is negative"},
    {.name = "negative requested days", .topic = RS_EVENT_COMM,
     .more = "requested_days=-2", .cls = RS_ERROR_VALIDATION,
     .reason = "requested_days -2 is negative"},
    {.name = "promise without currency", .topic = RS_EVENT_COMM,
     .more = "promised_amount=10", .cls = RS_ERROR_VALIDATION,
     .reason = "promised_amount is set without currency"},
    {.name = "absurd promised date", .topic = RS_EVENT_COMM,
     .more = "promised_date=1970-01-01", .cls = RS_ERROR_VALIDATION,
     .reason = "promised_date 1970-01-01 is an absurd date"},
};

static void make_value(const struct poison_case *c, struct rs_buf *buf)
{
    static const uint8_t pad[256];
    char text[2048];

    rs_buf_reset(buf);
    if (c->hex) {
        uint8_t hdr[RS_FRAME_CONFLUENT_HEADER];

        rs_buf_append(buf, hdr, rs_frame_write_confluent(hdr, c->id));
        append_hex(buf, c->hex);
    } else {
        enum rs_event_kind w = c->other_writer ? c->writer : c->topic;

        build(fx.reg, (uint32_t)w + 1, with(w, c->more, text, sizeof(text)),
              RS_FRAME_CONFLUENT, buf);
    }
    switch (c->mut) {
    case M_NONE:
        break;
    case M_EMPTY:
        buf->len = 0;
        break;
    case M_MAGIC:
        buf->data[0] = 0x42;
        break;
    case M_SO_MAGIC:
        buf->data[0] = 0xC3;
        buf->data[1] = 0x02;
        break;
    case M_KEEP:
        buf->len = c->arg;
        break;
    case M_KEEP_BODY:
        assert_true(RS_FRAME_CONFLUENT_HEADER + c->arg < buf->len);
        buf->len = RS_FRAME_CONFLUENT_HEADER + c->arg;
        break;
    case M_APPEND:
        rs_buf_append(buf, pad, c->arg);
        break;
    case M_PAD:
        while (buf->len <= MAX_RECORD)
            rs_buf_append(buf, pad,
                          MAX_RECORD + 1 - buf->len < sizeof(pad)
                              ? MAX_RECORD + 1 - buf->len
                              : sizeof(pad));
        break;
    case M_FINGERPRINT: {
        struct rs_buf so;
        uint8_t hdr[RS_FRAME_SINGLE_OBJECT_HEADER];

        rs_buf_init(&so, 0);
        rs_buf_append(&so, hdr,
                      rs_frame_write_single_object(hdr, 0x0123456789abcdefULL));
        rs_buf_append(&so, buf->data + RS_FRAME_CONFLUENT_HEADER,
                      buf->len - RS_FRAME_CONFLUENT_HEADER);
        rs_buf_reset(buf);
        rs_buf_append(buf, so.data, so.len);
        rs_buf_release(&so);
        break;
    }
    }
}

static void test_decode_poison_classes_and_reasons(void **state)
{
    struct rs_buf buf;

    (void)state;
    rs_buf_init(&buf, 0);
    for (size_t i = 0; i < COUNT(poison_cases); i++) {
        const struct poison_case *c = &poison_cases[i];
        struct rs_event ev;
        struct result r;

        make_value(c, &buf);
        r = decode_as(fx.dec, c->topic, c->null_key ? NULL : c->key ? c->key : "C1",
                      &buf, &ev);
        expect_poison(&r, c->cls, c->reason, c->name);
    }
    rs_buf_release(&buf);
}

/* Boundaries that must still pass. */
static void test_decode_valid_edges(void **state)
{
    static const struct {
        enum rs_event_kind kind;
        const char *more;
    } cases[] = {
        {RS_EVENT_INVOICE, "event_time=1990-01-01T00:00:00Z"},
        {RS_EVENT_INVOICE, "event_time=2100-12-31T23:59:59.999Z"},
        {RS_EVENT_INVOICE, "issue_date=1990-01-01 due_date=2100-12-31"},
        {RS_EVENT_INVOICE, "issue_date=2026-03-31 due_date=2026-03-31 "
                           "payment_terms_days=0"},
        {RS_EVENT_BUREAU, "limit_amount=0 limit_currency=EUR "
                          "limit_action=WITHDRAWN"},
        {RS_EVENT_BUREAU, "buyer_share=0 severity=1"},
        {RS_EVENT_BUREAU, "buyer_share=1 severity=5 old_score=0 "
                          "new_score=100 score_max=100"},
        {RS_EVENT_COMM, "dunning_level=0 requested_days=0"},
    };
    struct rs_buf buf;
    char text[1024];

    (void)state;
    rs_buf_init(&buf, 0);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct rs_event ev;
        struct result r;

        build(fx.reg, (uint32_t)cases[i].kind + 1,
              with(cases[i].kind, cases[i].more, text, sizeof(text)),
              RS_FRAME_CONFLUENT, &buf);
        r = decode_as(fx.dec, cases[i].kind, "C1", &buf, &ev);
        expect_ok(&r, cases[i].more);
    }
    rs_buf_release(&buf);
}

static void test_decode_new_errors(void **state)
{
    char err[256] = "";

    (void)state;
    assert_null(rs_decoder_new(fx.reg, 0, err, sizeof(err)));
    assert_true(strstr(err, "record size cap") != NULL);
    assert_null(rs_decoder_new(NULL, 100, err, sizeof(err)));
}

/* ---- mutations ------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    uint64_t x = rng_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

struct seed {
    struct rs_decoder *dec;
    enum rs_event_kind kind;
    struct rs_buf value;
};

static void mutate(struct rs_buf *b)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff,
                                          0xfe, 0x02, 0x40, 0xc3};
    size_t pos = b->len ? rng() % b->len : 0;

    switch (rng() % 6) {
    case 0: /* flip a bit */
        if (b->len)
            b->data[pos] ^= (uint8_t)(1u << (rng() % 8));
        break;
    case 1: /* an interesting byte */
        if (b->len)
            b->data[pos] = interesting[rng() % sizeof(interesting)];
        break;
    case 2: /* truncate */
        b->len = pos;
        break;
    case 3: { /* insert 1..8 random bytes */
        size_t n = 1 + rng() % 8;
        uint8_t ins[8];

        for (size_t i = 0; i < n; i++)
            ins[i] = (uint8_t)rng();
        rs_buf_append(b, ins, n); /* grow, then shift into place */
        memmove(b->data + pos + n, b->data + pos, b->len - n - pos);
        memcpy(b->data + pos, ins, n);
        break;
    }
    case 4: { /* delete a range */
        size_t n = b->len - pos < 8 ? b->len - pos : 1 + rng() % 8;

        memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
        b->len -= n;
        break;
    }
    case 5: /* a run of continuation bytes: long varints */
        for (size_t i = pos; i < b->len && i < pos + 1 + rng() % 12; i++)
            b->data[i] = 0xff;
        break;
    }
}

static void test_decode_mutations_never_crash(void **state)
{
    struct seed seeds[2 * RS_EVENT_KINDS + 2];
    size_t nseeds = 0;
    size_t outcomes[2 + RS_ERROR_CLASSES] = {0};
    struct rs_buf b;

    (void)state;
    for (int f = 0; f < 2; f++) {
        for (int k = 0; k < RS_EVENT_KINDS; k++) {
            struct seed *s = &seeds[nseeds++];

            s->dec = fx.dec;
            s->kind = (enum rs_event_kind)k;
            rs_buf_init(&s->value, 0);
            build(fx.reg, (uint32_t)k + 1, full_text[k],
                  f ? RS_FRAME_SINGLE_OBJECT : RS_FRAME_CONFLUENT, &s->value);
        }
    }
    seeds[nseeds].dec = fx.evo;
    seeds[nseeds].kind = RS_EVENT_INVOICE;
    rs_buf_init(&seeds[nseeds].value, 0);
    build_evolved(evolved_text, 4, RS_FRAME_CONFLUENT, EXT_TAIL,
                  &seeds[nseeds].value);
    nseeds++;
    seeds[nseeds].dec = fx.evo;
    seeds[nseeds].kind = RS_EVENT_BUREAU;
    rs_buf_init(&seeds[nseeds].value, 0);
    build(fx.evo_reg, ID_BUREAU_V2,
          "event_id=E event_time=2026-01-01T00:00:00Z customer_id=C1 "
          "type=UNKNOWN source=S buyer_share=0.5 severity=2 new_score=1",
          RS_FRAME_CONFLUENT, &seeds[nseeds].value);
    nseeds++;

    rs_buf_init(&b, 0);
    for (int i = 0; i < 20000; i++) {
        const struct seed *s = &seeds[rng() % nseeds];
        enum rs_event_kind kind =
            rng() % 16 ? s->kind : (enum rs_event_kind)(rng() % 4);
        int rounds = 1 + (int)(rng() % 4);
        enum rs_error_class cls = RS_ERROR_CLASSES;
        enum rs_decode_result rc;
        struct rs_event ev;
        char why[256];

        rs_buf_reset(&b);
        rs_buf_append(&b, s->value.data, s->value.len);
        for (int m = 0; m < rounds; m++)
            mutate(&b);
        memset(why, 'Z', sizeof(why));
        rc = rs_decode(s->dec, kind, "C1", 2, b.data, b.len, &ev, &cls, why,
                       sizeof(why));
        if (rc == RS_DECODE_OK) {
            assert_true(strnlen(ev.event_id, RS_ID_MAX) < RS_ID_MAX);
            assert_true(strnlen(ev.customer_id, RS_ID_MAX) < RS_ID_MAX);
            assert_string_equal(ev.customer_id, "C1");
            outcomes[0]++;
        } else {
            if (rc != RS_DECODE_POISON || cls >= RS_ERROR_CLASSES)
                fail_msg("mutation %d: result %d class %d", i, rc, cls);
            if (!memchr(why, '\0', sizeof(why)) || why[0] == '\0')
                fail_msg("mutation %d: no reason", i);
            outcomes[2 + cls]++;
        }
    }
    print_message("mutations: %zu ok, poison: framing %zu, unknown schema "
                  "%zu, decode %zu, validation %zu, oversized %zu, key %zu\n",
                  outcomes[0], outcomes[2 + RS_ERROR_FRAMING],
                  outcomes[2 + RS_ERROR_UNKNOWN_SCHEMA],
                  outcomes[2 + RS_ERROR_DECODE],
                  outcomes[2 + RS_ERROR_VALIDATION],
                  outcomes[2 + RS_ERROR_OVERSIZED],
                  outcomes[2 + RS_ERROR_KEY_MISMATCH]);
    assert_true(outcomes[0] > 0);
    assert_true(outcomes[2 + RS_ERROR_DECODE] > 0);
    rs_buf_release(&b);
    for (size_t i = 0; i < nseeds; i++)
        rs_buf_release(&seeds[i].value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_every_kind_all_fields),
        cmocka_unit_test(test_decode_optional_fields_absent),
        cmocka_unit_test(test_decode_string_caps),
        cmocka_unit_test(test_decode_enums_match_schemas),
        cmocka_unit_test(test_decode_evolved_writer_skips_unknown_fields),
        cmocka_unit_test(test_decode_evolved_skip_caps),
        cmocka_unit_test(test_decode_evolved_enum_symbols_by_name),
        cmocka_unit_test(test_decode_older_writer),
        cmocka_unit_test(test_decode_incompatible_writers),
        cmocka_unit_test(test_decode_promotions_and_unions),
        cmocka_unit_test(test_decode_poison_classes_and_reasons),
        cmocka_unit_test(test_decode_valid_edges),
        cmocka_unit_test(test_decode_new_errors),
        cmocka_unit_test(test_decode_mutations_never_crash),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
