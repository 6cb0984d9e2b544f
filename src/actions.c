/* The action table and how an alert's actions are chosen (actions.h). */
#include "riskstream/actions.h"
#include "riskstream/mem.h"

#include <string.h>

struct action {
    const char *code;
    int level; /* recommended at this level by default; -1: only by findings */
    const char *text;
};

static const struct action table[] = {
    {"NORMAL_DUNNING", RS_LEVEL_LOW,
     "Back to the normal dunning track; keep the usual payment terms."},
    {"FOLLOW_UP_EARLIER", RS_LEVEL_MEDIUM,
     "Follow up earlier: call the customer about the open invoices instead "
     "of waiting for the next reminder."},
    {"INVOICE_IMMEDIATELY", RS_LEVEL_MEDIUM,
     "Invoice new deliveries immediately (or weekly) and offer a payment "
     "link or direct debit."},
    {"PAYMENT_LINK", -1,
     "Send a payment link, or ask for a direct debit mandate (after failed "
     "debits: another account or prepayment), so open amounts are paid in "
     "full at once."},
    {"CHECK_CREDITWORTHINESS", -1,
     "Check the customer's creditworthiness again before accepting a large "
     "order."},
    {"SHORTER_TERMS", -1,
     "Shorten the payment terms for new invoices."},
    {"STAY_IN_CONTACT", -1,
     "Stay in contact and ask what is going on: a signal is not a verdict."},
    {"RESOLVE_DISPUTE", -1,
     "Resolve the open dispute first: name an owner and a date."},
    {"STRICT_DUNNING", RS_LEVEL_HIGH,
     "Move the customer to the stricter dunning track for high-risk "
     "profiles."},
    {"PREPAYMENT", RS_LEVEL_HIGH,
     "Ask for (partial) prepayment or a deposit, or shorter payment terms, "
     "before accepting new orders."},
    {"BLOCK_DELIVERIES", RS_LEVEL_CRITICAL,
     "Block deliveries while debts are open."},
    {"COLLECTIONS_HANDOVER", RS_LEVEL_CRITICAL,
     "Prepare the hand-over to a collection agency or bailiff if no payment "
     "arrives."},
    {"REPORT_TO_INSURER", -1,
     "Report the overdue invoice to the credit insurer: the reporting "
     "deadline is near or passed."},
    {"INSURER_STOP_DELIVERIES", -1,
     "The insurer's maximum extension period is reached: deliveries must "
     "stop under the policy."},
    {"INSURER_COLLECTIONS_DEADLINE", -1,
     "Hand the claim over to collections before the insurer's deadline."},
};

#define NACTIONS (sizeof(table) / sizeof(table[0]))

const char *rs_action_text(const char *code)
{
    for (size_t i = 0; i < NACTIONS; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].text;
    return NULL;
}

static int wanted(const struct action *a, enum rs_level level,
                  const struct rs_finding *f, int n)
{
    if (a->level == (int)level)
        return 1;
    if (level == RS_LEVEL_LOW)
        return 0; /* going down: only the normal track */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < RS_FINDING_ACTIONS && f[i].actions[k]; k++)
            if (strcmp(f[i].actions[k], a->code) == 0)
                return 1;
    return 0;
}

void rs_actions_choose(struct rs_alert *a, const struct rs_finding *f, int n)
{
    a->action_count = 0;
    for (size_t i = 0; i < NACTIONS && a->action_count < RS_ACTIONS_MAX; i++) {
        if (!wanted(&table[i], a->level_after, f, n))
            continue;
        rs_strcpy_cut(a->actions[a->action_count].code, RS_NAME_MAX,
                      table[i].code);
        rs_strcpy_cut(a->actions[a->action_count].text, RS_MESSAGE_MAX,
                      table[i].text);
        a->action_count++;
    }
}
