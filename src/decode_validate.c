/* Validation of decoded input records: the rules of docs/schemas.md that
 * a record can break although it decodes (an empty id, a negative amount,
 * an absurd date, a score above its scale, an incomplete group relay).
 * Each rule says which field and why, in words a producer's owner can act
 * on; the record is then dead-lettered as VALIDATION. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"
#include "riskstream/format.h"

int rs_decode_say(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!why || size == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

#define say rs_decode_say

static int bad_date(const char *name, int32_t days, char *why, size_t size)
{
    char t[48];

    if (days >= RS_DATE_MIN && days <= RS_DATE_MAX)
        return 0;
    return say(why, size,
               "%s %s is an absurd date (outside 1990-01-01..2100-12-31)",
               name, rs_format_date(t, sizeof(t), days));
}

static int bad_id(const char *name, const char *id, char *why, size_t size)
{
    return id[0] ? 0 : say(why, size, "%s is empty", name);
}

/* A customer id riskstream would relay to must not be one of its own. */
static int bad_related(const char *name, const char *id, char *why,
                       size_t size)
{
    if (strncmp(id, RS_RESERVED_ID_PREFIX, strlen(RS_RESERVED_ID_PREFIX)))
        return 0;
    return say(why, size,
               "%s starts with '%s', which riskstream reserves for its own "
               "records",
               name, RS_RESERVED_ID_PREFIX);
}

static int bad_positive(const char *name, int64_t v, char *why, size_t size)
{
    return v > 0 ? 0
                 : say(why, size, "%s %lld is not positive", name,
                       (long long)v);
}

static int bad_negative(const char *name, int64_t v, char *why, size_t size)
{
    return v >= 0 ? 0
                  : say(why, size, "%s %lld is negative", name, (long long)v);
}

static int bad_pair(uint32_t has, uint32_t a, const char *an, uint32_t b,
                    const char *bn, char *why, size_t size)
{
    if ((has & a) && !(has & b))
        return say(why, size, "%s is set without %s", an, bn);
    if ((has & b) && !(has & a))
        return say(why, size, "%s is set without %s", bn, an);
    return 0;
}

static int validate_invoice(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_invoice *v = &ev->u.inv;
    char a[48], b[48];

    if (bad_id("invoice_id", v->invoice_id, why, size) ||
        bad_positive("amount", v->amount, why, size) ||
        bad_date("issue_date", v->issue_date, why, size) ||
        bad_date("due_date", v->due_date, why, size) ||
        bad_negative("payment_terms_days", v->payment_terms_days, why, size))
        return -1;
    if (v->due_date < v->issue_date)
        return say(why, size, "due_date %s is before issue_date %s",
                   rs_format_date(a, sizeof(a), v->due_date),
                   rs_format_date(b, sizeof(b), v->issue_date));
    return 0;
}

static int validate_payment(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_payment *v = &ev->u.pay;

    if (bad_id("payment_id", v->payment_id, why, size) ||
        bad_positive("amount", v->amount, why, size) ||
        bad_date("payment_date", v->payment_date, why, size))
        return -1;
    return 0;
}

/* A group relay must say who, in which role, at which level: the group
 * detector acts on all three. */
static int validate_relay(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_bureau *v = &ev->u.bur;
    uint32_t need = RS_BUR_HAS_RELATED_CUSTOMER_ID | RS_BUR_HAS_GROUP_ROLE |
                    RS_BUR_HAS_RELATED_LEVEL;

    if ((ev->has & need) != need)
        return say(why, size,
                   "GROUP_RELAY needs related_customer_id, group_role and "
                   "related_level");
    if (bad_id("related_customer_id", v->related_customer_id, why, size))
        return -1;
    if (v->group_role == RS_GROUP_ROLE_UNKNOWN)
        return say(why, size, "GROUP_RELAY with an unknown group_role");
    if (v->related_level < -1 || v->related_level > 3)
        return say(why, size, "related_level %d is not between -1 and 3",
                   (int)v->related_level);
    if (strcmp(v->related_customer_id, ev->customer_id) == 0)
        return say(why, size, "GROUP_RELAY about the customer itself");
    return 0;
}

static int validate_bureau(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_bureau *v = &ev->u.bur;
    uint32_t has = ev->has;

    if ((has & RS_BUR_HAS_SCORE_MAX) &&
        bad_positive("score_max", v->score_max, why, size))
        return -1;
    if ((has & RS_BUR_HAS_OLD_SCORE) &&
        bad_negative("old_score", v->old_score, why, size))
        return -1;
    if ((has & RS_BUR_HAS_NEW_SCORE) &&
        bad_negative("new_score", v->new_score, why, size))
        return -1;
    if ((has & RS_BUR_HAS_SCORE_MAX) && (has & RS_BUR_HAS_OLD_SCORE) &&
        v->old_score > v->score_max)
        return say(why, size, "old_score %d is above score_max %d",
                   (int)v->old_score, (int)v->score_max);
    if ((has & RS_BUR_HAS_SCORE_MAX) && (has & RS_BUR_HAS_NEW_SCORE) &&
        v->new_score > v->score_max)
        return say(why, size, "new_score %d is above score_max %d",
                   (int)v->new_score, (int)v->score_max);
    if ((has & RS_BUR_HAS_LIMIT_AMOUNT) &&
        bad_negative("limit_amount", v->limit_amount, why, size))
        return -1;
    if (bad_pair(has, RS_BUR_HAS_LIMIT_AMOUNT, "limit_amount",
                 RS_BUR_HAS_LIMIT_CURRENCY, "limit_currency", why, size))
        return -1;
    if ((has & RS_BUR_HAS_BUYER_SHARE) &&
        !(v->buyer_share >= 0.0 && v->buyer_share <= 1.0))
        return say(why, size, "buyer_share %g is not between 0 and 1",
                   v->buyer_share);
    if ((has & RS_BUR_HAS_SEVERITY) && (v->severity < 1 || v->severity > 5))
        return say(why, size, "severity %d is not between 1 and 5",
                   (int)v->severity);
    if ((has & RS_BUR_HAS_PARENT_CUSTOMER_ID) &&
        bad_related("parent_customer_id", v->parent_customer_id, why, size))
        return -1;
    if ((has & RS_BUR_HAS_RELATED_CUSTOMER_ID) &&
        bad_related("related_customer_id", v->related_customer_id, why, size))
        return -1;
    if (ev->type == RS_BUREAU_GROUP_RELAY)
        return validate_relay(ev, why, size);
    return 0;
}

static int validate_comm(const struct rs_event *ev, char *why, size_t size)
{
    const struct rs_comm *v = &ev->u.com;
    uint32_t has = ev->has;

    if ((has & RS_COM_HAS_DUNNING_LEVEL) &&
        bad_negative("dunning_level", v->dunning_level, why, size))
        return -1;
    if ((has & RS_COM_HAS_REQUESTED_DAYS) &&
        bad_negative("requested_days", v->requested_days, why, size))
        return -1;
    if ((has & RS_COM_HAS_PROMISED_DATE) &&
        bad_date("promised_date", v->promised_date, why, size))
        return -1;
    if ((has & RS_COM_HAS_PROMISED_AMOUNT) &&
        bad_positive("promised_amount", v->promised_amount, why, size))
        return -1;
    return bad_pair(has, RS_COM_HAS_PROMISED_AMOUNT, "promised_amount",
                    RS_COM_HAS_CURRENCY, "currency", why, size);
}

/* ---- decoding -------------------------------------------------------- */

int rs_decode_validate(const struct rs_event *ev, char *why, size_t size)
{
    switch (ev->kind) {
    case RS_EVENT_INVOICE:
        return validate_invoice(ev, why, size);
    case RS_EVENT_PAYMENT:
        return validate_payment(ev, why, size);
    case RS_EVENT_BUREAU:
        return validate_bureau(ev, why, size);
    case RS_EVENT_COMM:
        return validate_comm(ev, why, size);
    }
    return 0;
}
