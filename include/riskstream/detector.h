/* Detectors: pure functions of a customer's state at a stream time.
 *
 * A detector reads the shared aggregates of struct rs_customer (open
 * invoices, settled invoices, communication rings, bureau score) and, if it
 * needs more, its own eight state slots, which it updates in observe() for
 * every event of the customer. evaluate() returns findings: a reason with
 * its numbers, a score contribution and the actions it recommends.
 * next_timer() says when, with no new event, the answer could next change
 * (an invoice crossing a threshold, a promised date passing): the engine
 * turns it into an event-time timer persisted with the customer, which is
 * how silence is detected.
 *
 * Each detector is a const struct in its own file under src/detectors/,
 * listed in rs_detectors[] (src/detectors/registry.c). Its parameters are
 * a table of props; their values arrive as the int64 array p, in the
 * table's order, from the configuration keys detector.<name>.<prop>. */
#ifndef RS_DETECTOR_H
#define RS_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/customer.h"
#include "riskstream/params.h"

#define RS_FINDINGS_MAX RS_REASONS_MAX
#define RS_INPUT(kind) (1u << (kind))

/* The group detector's id: the engine leaves its findings out of a
 * company's own level, which is what it relays to the group. */
#define RS_GROUP_DETECTOR_ID 24
#define RS_FINDING_ACTIONS 3
#define RS_QUIET_NAMED 1
#define RS_QUIET_SCORE 2

struct rs_finding {
    int32_t score; /* contribution before segment weights, 0..100 */
    /* Set by the engine before evaluate(): 0 for the whole finding (an
     * alert's); RS_QUIET_NAMED when only the score, detector and code
     * count (no alert can come of it), so rs_finding_say() skips the
     * words; RS_QUIET_SCORE when only the score counts (the engine's
     * score reads), so that rs_finding_start() does not even copy the
     * names and rs_finding_action() records nothing. rs_finding_start()
     * keeps it. A detector reads back nothing of a quiet finding but the
     * fields it set itself after rs_finding_start(). */
    int quiet;
    int detector_id; /* set by the engine: whose finding this is */
    struct rs_reason reason;
    /* Action codes this finding recommends (see actions.h); NULL-padded. */
    const char *actions[RS_FINDING_ACTIONS];
};

struct rs_detector_prop {
    const char *name; /* configuration key detector.<detector>.<name> */
    int64_t def;
    int64_t min;
    int64_t max;
    const char *desc;
};

struct rs_detector {
    const char *name;
    int id; /* stable: the index of its state slots and parameters */
    const char *signal; /* the DOMAIN.md signal(s) it answers, for docs */
    const struct rs_detector_prop *props; /* ends with a NULL name */
    /* The event kinds (RS_INPUT bits) whose events can change evaluate()'s
     * answer, through observe() or the shared aggregates it reads; 0: any
     * kind. Between such events the answer changes only at next_timer(),
     * so the engine reuses the last score contributions of a detector an
     * event cannot concern and whose timer is not due (see engine.c,
     * scores()): next_timer() must never be later than the first change. */
    uint32_t inputs;
    /* The parts of the customer's shared state (RS_PART_* bits, or
     * RS_PART_NONE) that evaluate() and next_timer() read besides the
     * detector's own state: the engine re-runs it after an event only when
     * the event changed one of them or observe() changed its state
     * (test_det_timers checks the declarations). 0: not declared; then
     * after every event of a kind in inputs. */
    uint32_t reads;
    /* 1: evaluate() also reads state from outside the customer (the
     * segment's health): never reused. */
    int volatile_state;
    /* Optional: called after the shared aggregates took the event. */
    void (*observe)(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev);
    /* Appends at most max findings; returns how many. */
    int (*evaluate)(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max);
    /* Optional: the next stream time after now at which evaluate could
     * answer differently with no new event, or RS_NO_TIMER. */
    int64_t (*next_timer)(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now);
};

/* NULL-terminated list of the detectors the engine runs. */
extern const struct rs_detector *const rs_detectors[];

/* The detector of that name, or NULL. */
const struct rs_detector *rs_detector_find(const char *name);

/* Fills params with every detector's defaults. */
void rs_detector_params_defaults(struct rs_detector_params *params);

/* Sets detector.<name>.<prop> = value. Returns 0, 1 when key is not a
 * detector key at all, or -1 with errstr (unknown detector or prop, not a
 * number, out of range). */
int rs_detector_params_set(struct rs_detector_params *params, const char *key,
                           const char *value, char *errstr,
                           size_t errstr_size);

/* Helpers shared by detectors. */

/* "1,234.56 EUR" from minor units (two decimals). */
void rs_format_amount(char *out, size_t size, int64_t minor,
                      const char *currency);

/* Starts a finding: zeroes it and sets detector, code, score (only the
 * score when the finding is RS_QUIET_SCORE). */
struct rs_finding *rs_finding_start(struct rs_finding *f, const char *detector,
                                    const char *code, int32_t score);

/* Writes the finding's message (plain words with the numbers), unless the
 * finding is quiet. */
void rs_finding_say(struct rs_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends an evidence event id (ignored when full or empty). */
void rs_finding_evidence(struct rs_finding *f, const char *event_id);

/* Adds a recommended action code (ignored when full, and when the
 * finding is RS_QUIET_SCORE). */
void rs_finding_action(struct rs_finding *f, const char *code);

#endif
