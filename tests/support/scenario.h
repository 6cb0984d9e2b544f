/* Detector scenarios for unit tests: events as "field=value" text go
 * through the real decoder and one engine task over the memory store; the
 * test then looks at the alerts made, a customer's findings and state.
 *
 *   struct rs_scn *s = rs_scn_new("detector.overdue.grace.days = 5");
 *   rs_scn_event(s, RS_EVENT_INVOICE, "event_id=e1 event_time=2026-01-05T09:00:00Z "
 *                "customer_id=C1 type=ISSUED invoice_id=I1 amount=100000 currency=EUR "
 *                "issue_date=2026-01-05 due_date=2026-02-04 payment_terms_days=30");
 *   rs_scn_advance(s, "2026-03-01T00:00:00Z");
 *   const struct rs_alert *a = rs_scn_last_alert(s, "C1");
 *
 * Every call fails the test (cmocka) on a bad config, a record that does
 * not decode, or a store error. */
#ifndef RS_TEST_SCENARIO_H
#define RS_TEST_SCENARIO_H

#include <stddef.h>

#include "riskstream/alert.h"
#include "riskstream/customer.h"
#include "riskstream/detector.h"
#include "riskstream/event.h"

struct rs_scn;

/* config: "key = value" lines (may be NULL) on top of the defaults. */
struct rs_scn *rs_scn_new(const char *config);
void rs_scn_destroy(struct rs_scn *s);

/* Flushes the task to the store and starts it again from there, as a
 * restarted daemon would: nothing resident, state loaded on demand. */
void rs_scn_restart(struct rs_scn *s);

/* The engine task, for calls the helpers do not wrap. */
struct rs_task *rs_scn_task(struct rs_scn *s);

/* The memory store the task flushes to (task number 0). */
struct rs_store *rs_scn_store(struct rs_scn *s);

/* How many times the engine read timers from the store (range reads). */
size_t rs_scn_timer_reads(const struct rs_scn *s);

/* Applies one event (its offset is the count of events of that kind so
 * far). Returns 0, or 1 when the engine refused it as LATE. */
int rs_scn_event(struct rs_scn *s, enum rs_event_kind kind,
                 const char *fields);

/* The last event rs_scn_event() decoded and applied (as the engine saw
 * it). */
const struct rs_event *rs_scn_last_event(const struct rs_scn *s);

/* Advances stream time to an ISO instant, firing due timers. */
void rs_scn_advance(struct rs_scn *s, const char *iso);

/* The number of group relays the engine made and the scenario applied
 * (they are fed back as bureau events right after the call that made
 * them, as the bureau topic would deliver them). */
size_t rs_scn_relays(const struct rs_scn *s);

/* Every alert so far, in order. */
size_t rs_scn_alert_count(const struct rs_scn *s);
const struct rs_alert *rs_scn_alert(const struct rs_scn *s, size_t i);

/* The latest alert of a customer, or NULL. */
const struct rs_alert *rs_scn_last_alert(const struct rs_scn *s,
                                         const char *customer);

/* The customer's findings at the current stream time (strongest first);
 * returns their number and the combined score in *score. */
int rs_scn_findings(struct rs_scn *s, const char *customer,
                    struct rs_finding *out, int max, int32_t *score);

/* The finding with this code among a customer's current findings, copied
 * into out; returns 1 if found, else 0. */
int rs_scn_finding(struct rs_scn *s, const char *customer, const char *code,
                   struct rs_finding *out);

/* The customer's state (valid until the next call), or NULL. */
const struct rs_customer *rs_scn_customer(struct rs_scn *s,
                                          const char *customer);

/* The customer's current level (enum rs_level) and score. */
int rs_scn_level(struct rs_scn *s, const char *customer, int32_t *score);

#endif
