/* Detectors: pure functions of a customer's state at a stream time.
 *
 * A detector reads the aggregates of struct rs_customer (which the state
 * model keeps up to date) and returns findings: a reason with its numbers
 * and a score contribution. It also says when, without any new event, its
 * answer could next change (an invoice crossing a threshold of days past
 * due, a promised date passing): the engine turns that into an event-time
 * timer persisted with the customer, which is how silence is detected.
 *
 * Detectors are const structs of callbacks, one file each under
 * src/detectors/, listed in rs_detectors[]. */
#ifndef RS_DETECTOR_H
#define RS_DETECTOR_H

#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/customer.h"

#define RS_FINDINGS_MAX RS_REASONS_MAX

struct rs_finding {
    int32_t score; /* contribution, 0..100 */
    struct rs_reason reason;
};

/* Parameters of every detector, from the configuration. */
struct rs_detector_params {
    int32_t overdue_grace_days;
    int32_t overdue_high_days;
    int32_t overdue_critical_days;
};

struct rs_detector {
    const char *name;
    /* Appends at most max findings for c at stream time now; returns how
     * many it appended. */
    int (*evaluate)(const struct rs_detector_params *p,
                    const struct rs_customer *c, int64_t now,
                    struct rs_finding *out, int max);
    /* The next stream time after now at which evaluate could answer
     * differently with no new event, or RS_NO_TIMER. */
    int64_t (*next_timer)(const struct rs_detector_params *p,
                          const struct rs_customer *c, int64_t now);
};

extern const struct rs_detector rs_detector_overdue;

/* NULL-terminated list of the detectors the engine runs. */
extern const struct rs_detector *const rs_detectors[];

/* "1,234.56 EUR" from minor units (two decimals). */
void rs_format_amount(char *out, size_t size, int64_t minor,
                      const char *currency);

#endif
