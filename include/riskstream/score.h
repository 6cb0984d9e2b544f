/* From findings to a score and a level, per customer segment.
 *
 * A segment profile holds the score thresholds of MEDIUM, HIGH and
 * CRITICAL and a weight (percent) per detector. The score is the strongest
 * weighted finding plus a quarter of each further one, capped at 100.
 * Hysteresis: a level is left downwards only when the score falls
 * `hysteresis` points below the threshold that was reached, so a score
 * hovering at a threshold does not flap. Suppression: rising again to a
 * level the customer was raised to less than `suppress_days` ago makes no
 * alert; it is counted and the count travels with the next alert. */
#ifndef RS_SCORE_H
#define RS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "riskstream/alert.h"
#include "riskstream/detector.h"

#define RS_SEGMENTS_MAX 64

struct rs_segment_profile {
    char name[RS_TEXT_MAX]; /* "" for the default profile */
    int32_t level[3];       /* score of MEDIUM, HIGH, CRITICAL */
    int32_t weight[RS_DETECTORS_MAX]; /* percent, 100 = as found */
};

struct rs_scoring {
    struct rs_segment_profile def;
    struct rs_segment_profile segments[RS_SEGMENTS_MAX];
    size_t count;
    int32_t hysteresis;
    int32_t suppress_days;
};

struct rs_config;

/* Builds the scoring from the configuration: the default profile from
 * score.level.* (weights 100), then each segment.<segment>.* setting on a
 * copy of the default. */
void rs_scoring_build(const struct rs_config *conf, struct rs_scoring *out);

/* The profile of a segment: its own, or the default. */
const struct rs_segment_profile *rs_scoring_profile(const struct rs_scoring *s,
                                                    const char *segment);

/* Applies the profile's weights to the findings (in place) and returns the
 * combined score, 0..100. */
int32_t rs_score_combine(const struct rs_segment_profile *p,
                         struct rs_finding *f, int n);

/* The combination rule, for callers that weigh contributions themselves
 * (the engine reuses detectors' last answers): the strongest weighted
 * contribution plus a quarter of each other, capped at 100. Start from
 * {0, 0}; add each raw contribution with its detector's weight (percent). */
struct rs_score_tally {
    int32_t best;
    int32_t quarters;
};
void rs_score_tally_add(struct rs_score_tally *t, int32_t raw, int64_t weight);
int32_t rs_score_tally_total(const struct rs_score_tally *t);

/* The level for score, given the current level (hysteresis). */
enum rs_level rs_score_level(const struct rs_segment_profile *p,
                             int32_t hysteresis, int32_t score,
                             enum rs_level current);

#endif
