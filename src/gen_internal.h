/* The generator's internals shared by gen.c, gen_model.c and gen_encode.c.
 *
 * gen_encode.c compiles each input record's newest writer schema into a
 * list of field operations and writes a struct rs_event as framed Avro
 * binary with them: the inverse of the decoder, without generic values.
 * gen_model.c is the customer model (what each customer does on a day);
 * gen.c drives the days, sorts each day's records and hands them out. */
#ifndef RS_GEN_INTERNAL_H
#define RS_GEN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/event.h"
#include "riskstream/gen.h"
#include "riskstream/registry.h"

/* ---- encoding (gen_encode.c) ---- */

#define RS_GEN_RECORD_MAX 16384 /* bytes of one framed record, at most */
#define RS_GEN_FIELDS_MAX 64

struct rs_gen_op {
    uint16_t field;       /* enum gen_field in gen_encode.c */
    uint8_t vt;           /* value type */
    uint8_t optional;     /* writer field is a union with null */
    uint8_t null_branch;  /* its null branch */
    uint8_t value_branch; /* its value branch */
    uint8_t single;       /* double written as a float */
    uint32_t has;         /* presence bit in struct rs_event, 0 = always */
    int8_t symbols[24];   /* enum: reader index -> writer index, -1 none */
};

struct rs_gen_codec {
    uint32_t schema_id[RS_EVENT_KINDS];
    const char *file[RS_EVENT_KINDS];
    struct rs_gen_op ops[RS_EVENT_KINDS][RS_GEN_FIELDS_MAX];
    int op_count[RS_EVENT_KINDS];
};

/* Compiles the newest writer schema of the four input records. Returns 0,
 * or -1 with errstr naming the schema and field. */
int rs_gen_codec_init(struct rs_gen_codec *c, const struct rs_registry *reg,
                      char *errstr, size_t errstr_size);

/* Writes ev framed (Confluent) into out (RS_GEN_RECORD_MAX bytes); returns
 * the length, or -1 with errstr when the schema lacks a symbol ev uses. */
long rs_gen_encode(const struct rs_gen_codec *c, const struct rs_event *ev,
                   uint8_t *out, char *errstr, size_t errstr_size);

/* ---- random numbers (gen_model.c) ---- */

struct rs_gen_rng {
    uint64_t s[4];
};

void rs_gen_rng_seed(struct rs_gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t rs_gen_rng_next(struct rs_gen_rng *r);
double rs_gen_rng_unit(struct rs_gen_rng *r); /* [0, 1) */
int32_t rs_gen_rng_range(struct rs_gen_rng *r, int32_t lo,
                         int32_t hi); /* [lo, hi] */
double rs_gen_rng_normal(struct rs_gen_rng *r);

/* ---- the customer model (gen_model.c plans, gen_emit.c emits) ---- */

double rs_gen_rng_uniform(struct rs_gen_rng *r, double lo, double hi);
/* Days to an event of a Poisson process with this mean gap, at least 1. */
int32_t rs_gen_rng_exp_days(struct rs_gen_rng *r, double mean);

enum rs_gen_what {
    W_PAY_FULL,    /* amount; a = due day (for the figures) */
    W_PAY_PARTIAL, /* amount */
    W_PAY_FAILED,  /* amount: a failed direct debit */
    W_CREDIT_NOTE, /* amount */
    W_REMINDER,    /* a = dunning level */
    W_NOTICE,      /* a = dunning level */
    W_CALL_ATTEMPT,
    W_CALL_ANSWERED,
    W_REPLY,
    W_PROMISE,         /* a = promised day */
    W_EXTENSION,       /* a = requested days */
    W_EXCUSE,          /* a = enum rs_excuse */
    W_DISPUTE_OPEN,    /* a = dispute number */
    W_DISPUTE_RESOLVE, /* a = dispute number, b = credit note (1) or not */
    W_TERMS_REQUEST,   /* a = requested term */
    W_DEPOSIT_REFUSED,
    W_SCORE, /* a = points down from the latest score */
    W_SCORE_PERIODIC,
    W_INQUIRY, /* a = inquirer number */
    W_INQUIRY_NOISE,
    W_MANAGEMENT_NOISE,
    W_FILING,
    W_LIMIT,     /* a = enum rs_limit_action, amount = the new limit */
    W_OWNERSHIP, /* a = parent customer index */
};

enum rs_gen_family {
    RS_GEN_NONE = -1,
    RS_GEN_LATE_TREND,
    RS_GEN_PATTERN_SHIFT,
    RS_GEN_OVERDUE,
    RS_GEN_SILENCE,
    RS_GEN_BROKEN_PROMISES,
    RS_GEN_EXTENSIONS,
    RS_GEN_EXCUSES,
    RS_GEN_DISPUTES,
    RS_GEN_DUNNING,
    RS_GEN_ORDERING_DROP,
    RS_GEN_ORDERING_SPIKE,
    RS_GEN_PARTIALS,
    RS_GEN_TERMS_PRESSURE,
    RS_GEN_BUREAU_DOWNGRADE,
    RS_GEN_BANKRUPTCY,
    RS_GEN_CREDIT_INQUIRIES,
    RS_GEN_LIMIT_WITHDRAWN,
    RS_GEN_EXPOSURE,
    RS_GEN_GROUP_CONTAGION,
    RS_GEN_FAMILIES,
};

/* The reason codes that describe each family, "A|B". */
extern const char *const rs_gen_family_reasons[RS_GEN_FAMILIES];

/* A planned action of a customer: an event to emit on a day. */
struct rs_gen_action {
    int32_t day;  /* simulated day, 0-based */
    uint8_t hour; /* phase of the day: orders events of one day */
    uint8_t what; /* enum rs_gen_what */
    uint16_t pad;
    uint32_t seq; /* planning order, breaks ties */
    int32_t inv;  /* invoice number, 0 = none */
    int32_t a, b; /* what-specific integers */
    int64_t amount;
};

struct rs_gen_customer {
    char id[RS_ID_MAX];
    uint32_t id_len;
    uint32_t index;
    struct rs_gen_rng rng;
    int family;             /* enum rs_gen_family */
    int32_t onset;          /* simulated day; -1 for none */
    int32_t parent;         /* customer index of the parent, -1 none */
    int32_t stop_invoicing; /* day from which no invoice is issued */

    /* Drawn once. */
    const char *sector;
    const char *segment;
    int32_t terms;
    double gap;       /* days between invoices */
    double amount_mu; /* log of the median amount (cents) */
    double amount_sigma;
    double habit;    /* days after due the payment run starts from */
    int32_t run_day; /* weekday of the payment run (day % 7) */
    int method;      /* enum rs_payment_method */
    int64_t limit;   /* credit limit, cents */
    int32_t score;   /* bureau score base (of 100) */
    int32_t last_score;

    /* Simulation. */
    int32_t next_invoice;
    double grid; /* where the rhythm puts the next invoice */
    uint32_t invoices;
    uint32_t disputes;
    uint32_t payments;
    uint32_t events;
    uint32_t after_onset; /* invoices planned under the family */
    int32_t last_rare[4]; /* day of the last rare healthy event, per kind */
    struct rs_gen_action *agenda; /* a min-heap by (day, hour, seq) */
    size_t agenda_count;
    size_t agenda_cap;
    uint32_t plan_seq;
};

struct rs_gen_sink; /* gen.c: receives the events of the day */

/* Draws a customer's traits from its random stream. */
void rs_gen_customer_draw(struct rs_gen_customer *c, int32_t days);
/* Plans what the family does (onset events) and the first bureau events;
 * called once after the families are assigned. */
void rs_gen_customer_start(struct rs_gen_customer *c, int32_t days);
/* The agenda, a min-heap by (day, hour, planning order). */
void rs_gen_agenda_push(struct rs_gen_customer *c, int32_t day, int hour,
                        int what, int32_t inv, int32_t a, int32_t b,
                        int64_t amount);
struct rs_gen_action rs_gen_agenda_pop(struct rs_gen_customer *c);

/* Is day at or after the customer's onset? */
int rs_gen_after_onset(const struct rs_gen_customer *c, int32_t day);
/* Does the family stop paying at the onset (overdue, silence, bankruptcy)? */
int rs_gen_stops_paying(const struct rs_gen_customer *c);
/* The day a healthy customer pays invoice issued on t, due on due. */
int32_t rs_gen_healthy_pay_day(const struct rs_gen_customer *c, int32_t t,
                               int32_t due);
/* Plans the life of invoice n (issued on t, due on due) on the agenda. */
void rs_gen_plan_invoice(struct rs_gen_customer *c, int32_t n, int32_t t,
                         int32_t due, int64_t amount);

/* Emits everything the customer does on day (invoices and due actions). */
int rs_gen_customer_day(struct rs_gen_customer *c, int32_t day,
                        struct rs_gen_sink *sink);

/* gen.c: takes one event of a customer (called by the model). */
int rs_gen_sink_put(struct rs_gen_sink *sink, struct rs_gen_customer *c,
                    struct rs_event *ev);
/* gen.c: the customer id of another customer (for ownership links). */
const char *rs_gen_sink_customer_id(struct rs_gen_sink *sink, int32_t index);
/* gen.c: the first simulated day, for dates. */
int32_t rs_gen_sink_start_day(const struct rs_gen_sink *sink);
/* gen.c: counts an invoice settled (days_late < 0 for "not settled"). */
void rs_gen_sink_settled(struct rs_gen_sink *sink, int32_t days_late);

#endif
