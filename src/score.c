/* Scores, levels, hysteresis (score.h). */
#include "riskstream/score.h"

#include <stdio.h>
#include <string.h>

#include "riskstream/config.h"

void rs_scoring_build(const struct rs_config *conf, struct rs_scoring *out)
{
    memset(out, 0, sizeof(*out));
    out->def.level[0] = (int32_t)conf->score_level_medium;
    out->def.level[1] = (int32_t)conf->score_level_high;
    out->def.level[2] = (int32_t)conf->score_level_critical;
    for (int d = 0; d < RS_DETECTORS_MAX; d++)
        out->def.weight[d] = 100;
    out->hysteresis = (int32_t)conf->score_hysteresis;
    out->suppress_days = (int32_t)conf->score_suppress_days;
    for (size_t i = 0; i < conf->segment_count; i++) {
        const struct rs_segment_setting *st = &conf->segment_settings[i];
        struct rs_segment_profile *p = NULL;

        for (size_t j = 0; j < out->count && !p; j++)
            if (strcmp(out->segments[j].name, st->segment) == 0)
                p = &out->segments[j];
        if (!p) {
            if (out->count == RS_SEGMENTS_MAX)
                continue; /* the configuration refuses more */
            p = &out->segments[out->count++];
            *p = out->def;
            snprintf(p->name, sizeof(p->name), "%s", st->segment);
        }
        if (strcmp(st->key, "level.medium") == 0)
            p->level[0] = (int32_t)st->value;
        else if (strcmp(st->key, "level.high") == 0)
            p->level[1] = (int32_t)st->value;
        else if (strcmp(st->key, "level.critical") == 0)
            p->level[2] = (int32_t)st->value;
        else if (strncmp(st->key, "weight.", 7) == 0) {
            const struct rs_detector *d = rs_detector_find(st->key + 7);

            if (d)
                p->weight[d->id] = (int32_t)st->value;
        }
    }
}

const struct rs_segment_profile *rs_scoring_profile(const struct rs_scoring *s,
                                                    const char *segment)
{
    /* No profiles (the default): the segment's text, apart from the
     * customer, is not even read. */
    if (s->count && segment && *segment)
        for (size_t i = 0; i < s->count; i++)
            if (strcmp(s->segments[i].name, segment) == 0)
                return &s->segments[i];
    return &s->def;
}

void rs_score_tally_add(struct rs_score_tally *t, int32_t raw, int64_t weight)
{
    int64_t w = (int64_t)raw * weight / 100;
    int32_t v = w > 100 ? 100 : (int32_t)w;

    t->quarters += v / 4;
    if (v > t->best)
        t->best = v;
}

int32_t rs_score_tally_total(const struct rs_score_tally *t)
{
    /* The best counts in full, not a quarter of it. */
    int32_t sum = t->best + t->quarters - t->best / 4;

    return sum > 100 ? 100 : sum;
}

int32_t rs_score_combine(const struct rs_segment_profile *p,
                         struct rs_finding *f, int n)
{
    struct rs_score_tally t = {0, 0};

    for (int i = 0; i < n; i++) {
        int id = f[i].detector_id;
        int64_t w = id >= 0 && id < RS_DETECTORS_MAX ? p->weight[id] : 100;
        int32_t raw = f[i].score;

        f[i].score = (int32_t)((int64_t)raw * w / 100);
        if (f[i].score > 100)
            f[i].score = 100;
        rs_score_tally_add(&t, raw, w);
    }
    return rs_score_tally_total(&t);
}

static enum rs_level raw_level(const struct rs_segment_profile *p,
                               int32_t score)
{
    return score >= p->level[2]   ? RS_LEVEL_CRITICAL
           : score >= p->level[1] ? RS_LEVEL_HIGH
           : score >= p->level[0] ? RS_LEVEL_MEDIUM
                                  : RS_LEVEL_LOW;
}

enum rs_level rs_score_level(const struct rs_segment_profile *p,
                             int32_t hysteresis, int32_t score,
                             enum rs_level current)
{
    enum rs_level raw = raw_level(p, score);

    if (raw >= current)
        return raw;
    /* Going down: only as far as the score is clear of the thresholds. */
    while (current > raw && score < p->level[current - 1] - hysteresis)
        current--;
    return current;
}
