/* The detectors the engine runs, their parameters, and helpers they share.
 *
 * To add a detector: write src/detectors/<name>.c defining
 * `const struct rs_detector rs_detector_<name>` with an unused id, declare
 * it below and list it in rs_detectors[] before the end marker. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/format.h"
#include "riskstream/mem.h"

extern const struct rs_detector rs_detector_overdue;
extern const struct rs_detector rs_detector_insurer;
extern const struct rs_detector rs_detector_cluster;
extern const struct rs_detector rs_detector_late_trend;
extern const struct rs_detector rs_detector_pattern_shift;
extern const struct rs_detector rs_detector_partials;
extern const struct rs_detector rs_detector_bureau_score;
extern const struct rs_detector rs_detector_inquiries;
extern const struct rs_detector rs_detector_filings;
extern const struct rs_detector rs_detector_management;
extern const struct rs_detector rs_detector_financing;
extern const struct rs_detector rs_detector_ownership;
extern const struct rs_detector rs_detector_reputation;
extern const struct rs_detector rs_detector_insurer_limit;
extern const struct rs_detector rs_detector_buyer_failure;
extern const struct rs_detector rs_detector_extensions;
extern const struct rs_detector rs_detector_excuses;
extern const struct rs_detector rs_detector_promises;
extern const struct rs_detector rs_detector_disputes;
extern const struct rs_detector rs_detector_silence;
extern const struct rs_detector rs_detector_dunning;
extern const struct rs_detector rs_detector_terms_pressure;
extern const struct rs_detector rs_detector_exposure;
extern const struct rs_detector rs_detector_ordering;
extern const struct rs_detector rs_detector_group;
extern const struct rs_detector rs_detector_payment_record;
/* detector declarations: end */

const struct rs_detector *const rs_detectors[] = {
    &rs_detector_overdue,
    &rs_detector_insurer,
    &rs_detector_cluster,
    &rs_detector_late_trend,
    &rs_detector_pattern_shift,
    &rs_detector_partials,
    &rs_detector_bureau_score,
    &rs_detector_inquiries,
    &rs_detector_filings,
    &rs_detector_management,
    &rs_detector_financing,
    &rs_detector_ownership,
    &rs_detector_reputation,
    &rs_detector_insurer_limit,
    &rs_detector_buyer_failure,
    &rs_detector_extensions,
    &rs_detector_excuses,
    &rs_detector_promises,
    &rs_detector_disputes,
    &rs_detector_silence,
    &rs_detector_dunning,
    &rs_detector_terms_pressure,
    &rs_detector_exposure,
    &rs_detector_ordering,
    &rs_detector_group,
    &rs_detector_payment_record,
    /* detector list: end */
    NULL,
};

const struct rs_detector *rs_detector_find(const char *name)
{
    for (const struct rs_detector *const *d = rs_detectors; *d; d++)
        if (strcmp((*d)->name, name) == 0)
            return *d;
    return NULL;
}

void rs_detector_params_defaults(struct rs_detector_params *params)
{
    memset(params, 0, sizeof(*params));
    for (const struct rs_detector *const *d = rs_detectors; *d; d++)
        for (int i = 0; (*d)->props && (*d)->props[i].name; i++)
            params->v[(*d)->id][i] = (*d)->props[i].def;
}

int rs_detector_params_set(struct rs_detector_params *params, const char *key,
                           const char *value, char *errstr,
                           size_t errstr_size)
{
    char name[64];
    const char *rest, *dot;
    const struct rs_detector *d;
    char *end;
    long long v;

    if (strncmp(key, "detector.", 9) != 0)
        return 1;
    rest = key + 9;
    dot = strchr(rest, '.');
    if (!dot || (size_t)(dot - rest) >= sizeof(name)) {
        snprintf(errstr, errstr_size,
                 "'%s': expected detector.<detector>.<parameter>", key);
        return -1;
    }
    memcpy(name, rest, (size_t)(dot - rest));
    name[dot - rest] = '\0';
    d = rs_detector_find(name);
    if (!d) {
        snprintf(errstr, errstr_size, "'%s': no detector named '%s'", key,
                 name);
        return -1;
    }
    for (int i = 0; d->props && d->props[i].name; i++) {
        if (strcmp(d->props[i].name, dot + 1) != 0)
            continue;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(errstr, errstr_size, "'%s': '%s' is not a whole number",
                     key, value);
            return -1;
        }
        if (v < d->props[i].min || v > d->props[i].max) {
            snprintf(errstr, errstr_size,
                     "'%s': %lld is out of range (%" PRId64 " to %" PRId64
                     ")",
                     key, v, d->props[i].min, d->props[i].max);
            return -1;
        }
        params->v[d->id][i] = v;
        return 0;
    }
    snprintf(errstr, errstr_size, "'%s': detector '%s' has no parameter '%s'",
             key, name, dot + 1);
    return -1;
}

void rs_format_amount(char *out, size_t size, int64_t minor,
                      const char *currency)
{
    /* By hand, not snprintf: detectors format amounts on every
     * evaluation, and this was a hot spot. */
    uint64_t v = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t units = v / 100;
    char tmp[64], *p = tmp + sizeof(tmp);
    size_t n, cur = strnlen(currency, RS_CURRENCY_MAX);
    int digits = 0;

    *--p = '\0';
    for (size_t i = cur; i > 0; i--)
        *--p = currency[i - 1];
    if (cur)
        *--p = ' ';
    *--p = (char)('0' + v % 10);
    *--p = (char)('0' + v / 10 % 10);
    *--p = '.';
    do {
        if (digits && digits % 3 == 0)
            *--p = ',';
        *--p = (char)('0' + units % 10);
        units /= 10;
        digits++;
    } while (units);
    if (minor < 0)
        *--p = '-';
    n = (size_t)(tmp + sizeof(tmp) - 1 - p);
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}



struct rs_finding *rs_finding_start(struct rs_finding *f, const char *detector,
                                    const char *code, int32_t score)
{
    int quiet = f->quiet;

    if (quiet == RS_QUIET_SCORE) {
        f->score = score; /* the engine reads nothing else */
        return f;
    }
    if (quiet) {
        /* Named: everything but the message and the evidence lists (most
         * of the kilobyte), which stay empty. */
        struct rs_reason *r = &f->reason;

        f->detector_id = 0;
        memset(f->actions, 0, sizeof(f->actions));
        r->message[0] = '\0';
        r->value = r->baseline = r->threshold = 0;
        r->has_baseline = r->has_window_days = 0;
        r->window_days = 0;
        r->evidence_count = 0;
    } else {
        memset(f, 0, sizeof(*f));
    }
    f->quiet = quiet;
    f->score = score;
    rs_strcpy_cut(f->reason.detector, sizeof(f->reason.detector), detector);
    rs_strcpy_cut(f->reason.code, sizeof(f->reason.code), code);
    return f;
}

void rs_finding_say(struct rs_finding *f, const char *fmt, ...)
{
    va_list ap;

    if (f->quiet)
        return;
    va_start(ap, fmt);
    rs_format_vtext(f->reason.message, sizeof(f->reason.message), fmt, ap);
    va_end(ap);
}

void rs_finding_evidence(struct rs_finding *f, const char *event_id)
{
    if (f->quiet || !event_id || !*event_id || /* quiet: score only */
        f->reason.evidence_count >= RS_EVIDENCE_MAX)
        return;
    for (int i = 0; i < f->reason.evidence_count; i++)
        if (strcmp(f->reason.evidence[i], event_id) == 0)
            return;
    rs_strcpy_cut(f->reason.evidence[f->reason.evidence_count++], RS_ID_MAX,
              event_id);
}

void rs_finding_action(struct rs_finding *f, const char *code)
{
    if (f->quiet == RS_QUIET_SCORE)
        return;
    for (int i = 0; i < RS_FINDING_ACTIONS; i++) {
        if (!f->actions[i]) {
            f->actions[i] = code;
            return;
        }
        if (strcmp(f->actions[i], code) == 0)
            return;
    }
}
