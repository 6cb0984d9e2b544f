/* A falling bureau score or a lowered rating.
 *
 * Signal: "credit score change" (DOMAIN.md; seeds 000 §1, 004 #8, 003),
 * with the bureaus' direction-aware alerts: fire on a drop of at least N
 * points or a drop into a band; upgrades are no alarm, they end it.
 *
 * Scores: SCORE_UPDATE events, each normalised to 0-100 by score_max (100
 * when the source gives none). A drop is measured from the event's
 * old_score, or when it has none from the previous score of the same source
 * (scores of different sources are not comparable). Consecutive drops form
 * one decline: a drop that starts where the decline in force ended extends
 * it, so a slide of 8 + 8 points counts as 16. An upgrade ends the decline.
 * The decline is a finding while it is `drop.points` or more, or crossed
 * below `band.floor`, until `keep.days` after its last drop (a timer then
 * lowers the level).
 *
 * Ratings: RATING_UPDATE events on a simple scale: letter ratings are
 * placed on the S&P/Fitch ladder AAA, AA+, AA, AA- ... CCC-, CC, C, D
 * (Moody's Aaa, Aa1 ... Caa3, Ca, C on the same steps; plain grades A-F
 * fall on it in the same order) and a downgrade counts its steps
 * (notches). Numeric ratings (risk classes 1-5, an index 100-600) compare
 * by number, lower or higher being better as `rating.numbers` says; a
 * step is one unit of the number. Ratings this scale cannot
 * read (NR, SD, longer than 4 characters, letters against numbers) are
 * informational and change nothing. Consecutive downgrades form a decline
 * as for scores.
 *
 * Out of order: an older event than the latest one of its kind only
 * extends the decline in force backwards, when its new value is where the
 * decline started; otherwise the newer event already says more.
 *
 * Slots (scores are packed raw | score_max << 32, 0 = none):
 *   0 event time of the latest score update applied (ms)
 *   1 that latest score (packed)
 *   2 FNV-1a hash of its source
 *   3 score at the start of the decline in force (packed), 0 = none
 *   4 score at the end of the decline (packed)
 *   5 event time of the decline's last drop (ms)
 *   6 event time of the latest rating change applied (ms), 0 = none
 *   7 ratings: start of the decline (4 bytes) | latest rating << 32; equal
 *     when there is no decline */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "entries.h"
#include "riskstream/detector.h"
#include "riskstream/format.h"

enum {
    P_DROP,
    P_FLOOR,
    P_NOTCHES,
    P_NUMBERS,
    P_KEEP,
    P_SCORE,
    P_BAND_SCORE,
};

enum {
    S_TIME,
    S_LAST,
    S_SOURCE,
    S_FROM,
    S_TO,
    S_DROP_TIME,
    S_RATING_TIME,
    S_RATINGS,
};

static const struct rs_detector_prop props[] = {
    {"drop.points", 15, 1, 100,
     "A score that falls by this many points or more on a 0-100 scale "
     "(scores are normalised by their score_max) is flagged (score: "
     "detector.bureau_score.score)."},
    {"band.floor", 40, 0, 100,
     "A score that falls from this value or above to below it (0-100 "
     "scale) is flagged (band.score); 0: no band."},
    {"rating.notches", 1, 0, 1000,
     "A rating lowered by this many notches or more is flagged (score); 0: "
     "ratings are informational only."},
    {"rating.numbers", 1, 0, 2,
     "Numeric ratings: 1 lower is better (risk classes), 2 higher is "
     "better, 0 not read."},
    {"keep.days", 90, 1, 3650,
     "Days after the last drop or downgrade for which the finding stays."},
    {"score", 40, 0, 100,
     "Score contribution of a score drop or a rating downgrade."},
    {"band.score", 55, 0, 100,
     "Score contribution of a score drop into the band below band.floor."},
    {NULL, 0, 0, 0, NULL},
};

/* Scores. */

static int64_t pack_score(int32_t raw, int32_t max)
{
    return (int64_t)(uint32_t)raw | (int64_t)max << 32;
}

static int32_t score_raw(int64_t packed)
{
    return (int32_t)(packed & 0xffffffffLL);
}

static int32_t score_max(int64_t packed)
{
    return (int32_t)(packed >> 32);
}

/* On the 0-100 scale, in tenths of a point. */
static int64_t permille(int64_t packed)
{
    int32_t max = score_max(packed);

    return max > 0 ? (int64_t)score_raw(packed) * 1000 / max : 0;
}

/* "12" or "12.5" from tenths. */
static const char *points(char *buf, size_t size, int64_t tenths)
{
    if (tenths % 10 == 0)
        rs_format_text(buf, size, "%lld", (long long)(tenths / 10));
    else
        rs_format_text(buf, size, "%.1f", (double)tenths / 10.0);
    return buf;
}

static void observe_score(const int64_t *p, struct rs_dstate *s,
                          const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    int32_t max = (ev->has & RS_BUR_HAS_SCORE_MAX) ? b->score_max : 100;
    int64_t *v = s->v, t = ev->event_time, cur, prev = 0;
    int64_t keep = p[P_KEEP] * RS_DAY_MS;
    uint32_t h = rs_entry_hash(b->source);

    if (!(ev->has & RS_BUR_HAS_NEW_SCORE) || max <= 0)
        return;
    cur = pack_score(b->new_score, max);
    if (ev->has & RS_BUR_HAS_OLD_SCORE)
        prev = pack_score(b->old_score, max);
    if (v[S_LAST] && t < v[S_TIME]) {
        /* Older than the latest: only extends the decline backwards. */
        if (prev && v[S_FROM] && cur == v[S_FROM] &&
            permille(prev) > permille(cur))
            v[S_FROM] = prev;
        return;
    }
    if (!prev && v[S_LAST] && v[S_SOURCE] == h)
        prev = v[S_LAST];
    v[S_TIME] = t;
    v[S_LAST] = cur;
    v[S_SOURCE] = h;
    if (!prev || permille(cur) == permille(prev))
        return; /* first score of this source, or unchanged */
    if (permille(cur) > permille(prev)) {
        v[S_FROM] = v[S_TO] = v[S_DROP_TIME] = 0; /* an upgrade */
        return;
    }
    if (v[S_FROM] && t < v[S_DROP_TIME] + keep) {
        if (v[S_TO] == prev) {
            v[S_TO] = cur; /* continues the decline */
            v[S_DROP_TIME] = t;
            return;
        }
        if (permille(v[S_FROM]) - permille(v[S_TO]) >
            permille(prev) - permille(cur))
            return; /* the larger decline in force stays */
    }
    v[S_FROM] = prev;
    v[S_TO] = cur;
    v[S_DROP_TIME] = t;
}

/* Ratings. */

enum { RATING_NONE, RATING_LETTER, RATING_NUMBER };

/* Up to four bytes of text, without surrounding spaces; 0 if empty or
 * longer. */
static uint32_t pack_rating(const char *text)
{
    const char *a = text, *e;
    uint32_t r = 0;

    while (*a == ' ')
        a++;
    e = a + strlen(a);
    while (e > a && e[-1] == ' ')
        e--;
    if (e == a || e - a > 4)
        return 0;
    for (int i = 0; a + i < e; i++)
        r |= (uint32_t)(uint8_t)a[i] << (8 * i);
    return r;
}

static void unpack_rating(char out[5], uint32_t r)
{
    for (int i = 0; i < 4; i++)
        out[i] = (char)((r >> (8 * i)) & 0xff);
    out[4] = '\0';
}

/* Slot 7: where the decline started and the latest rating. */
static int64_t ratings(uint32_t from, uint32_t last)
{
    return (int64_t)((uint64_t)last << 32 | from);
}

/* Position on the S&P/Fitch ladder, 0 = AAA: AAA, AA+, AA, AA-, A+ ...
 * B-, CCC+, CCC, CCC-, CC, C, D (21); Moody's Aaa, Aa1 ... Caa3, Ca, C
 * fall on the same positions. Letters after D (grades A-F) follow D. */
static int64_t ladder_position(char letter, int reps, int mod)
{
    /* Tiers AAA AA A BBB BB B CCC CC C: first position; the modifiers
     * (+ none -) add 0, 1, 2 on the tiers AA to CCC. */
    static const int base[9] = {0, 1, 4, 7, 10, 13, 16, 19, 20};
    int tier;

    if (letter > 'C')
        return 21 + (letter - 'D');
    tier = (letter - 'A') * 3 + (3 - reps);
    if (tier >= 1 && tier <= 6)
        return base[tier] + (2 - mod);
    return base[tier];
}

/* The rating's kind and rank (higher is better), or RATING_NONE. */
static int rating_rank(const int64_t *p, uint32_t packed, int64_t *rank)
{
    char s[5];
    int i = 1, reps = 1, mod = 1;
    char letter;

    unpack_rating(s, packed);
    if (!s[0])
        return RATING_NONE;
    if (isdigit((unsigned char)s[0])) {
        int64_t n = 0;

        for (i = 0; s[i]; i++) {
            if (!isdigit((unsigned char)s[i]))
                return RATING_NONE;
            n = n * 10 + (s[i] - '0');
        }
        if (p[P_NUMBERS] == 0)
            return RATING_NONE;
        *rank = p[P_NUMBERS] == 1 ? -n : n;
        return RATING_NUMBER;
    }
    if (!isalpha((unsigned char)s[0]))
        return RATING_NONE;
    letter = (char)toupper((unsigned char)s[0]);
    while (s[i] && reps < 3 &&
           (toupper((unsigned char)s[i]) == letter || s[i] == 'a')) {
        reps++;
        i++;
    }
    switch (s[i]) {
    case '+':
    case '1':
        mod = 2;
        i++;
        break;
    case '-':
    case '3':
        mod = 0;
        i++;
        break;
    case '2':
        i++;
        break;
    default:
        break;
    }
    if (s[i] || letter < 'A')
        return RATING_NONE;
    *rank = -ladder_position(letter, reps, mod);
    return RATING_LETTER;
}

/* Notches from a to b (positive: b is lower), or 0 when not comparable. */
static int64_t notches(const int64_t *p, uint32_t a, uint32_t b, int *kind)
{
    int64_t ra, rb;
    int ka = rating_rank(p, a, &ra), kb = rating_rank(p, b, &rb);

    *kind = ka;
    if (ka == RATING_NONE || ka != kb)
        return 0;
    return ra - rb;
}

static void observe_rating(const int64_t *p, struct rs_dstate *s,
                           const struct rs_event *ev)
{
    const struct rs_bureau *b = &ev->u.bur;
    int64_t *v = s->v, t = ev->event_time, rank;
    int64_t keep = p[P_KEEP] * RS_DAY_MS;
    uint32_t from = (uint32_t)(v[S_RATINGS] & 0xffffffffLL);
    uint32_t last = (uint32_t)(v[S_RATINGS] >> 32);
    uint32_t nw, old = 0;
    int kind;
    int64_t n;

    if (!(ev->has & RS_BUR_HAS_NEW_RATING))
        return;
    nw = pack_rating(b->new_rating);
    if (rating_rank(p, nw, &rank) == RATING_NONE)
        return; /* not on the scale: informational */
    if (ev->has & RS_BUR_HAS_OLD_RATING)
        old = pack_rating(b->old_rating);
    if (v[S_RATING_TIME] && t < v[S_RATING_TIME]) {
        /* Older than the latest: only extends the decline backwards. */
        if (old && from != last && nw == from &&
            notches(p, old, nw, &kind) > 0)
            v[S_RATINGS] = ratings(old, last);
        return;
    }
    if (!old)
        old = last; /* compare with the latest known, if any */
    n = old ? notches(p, old, nw, &kind) : 0;
    if (old && n == 0 && rating_rank(p, old, &rank) != RATING_NONE &&
        last == nw)
        return; /* affirmed */
    if (n <= 0)
        /* An upgrade, another value affirmed, or nothing to compare
         * with: no decline. */
        v[S_RATINGS] = ratings(nw, nw);
    else if (from != last && old == last && t < v[S_RATING_TIME] + keep)
        v[S_RATINGS] = ratings(from, nw); /* continues the decline */
    else
        v[S_RATINGS] = ratings(old, nw);
    v[S_RATING_TIME] = t;
}

static void observe(const int64_t *p, const struct rs_customer *c,
                    struct rs_dstate *s, const struct rs_event *ev)
{
    (void)c;
    if (ev->kind != RS_EVENT_BUREAU)
        return;
    if (ev->type == RS_BUREAU_SCORE_UPDATE)
        observe_score(p, s, ev);
    else if (ev->type == RS_BUREAU_RATING_UPDATE)
        observe_rating(p, s, ev);
}

static void describe_scores(char *out, size_t size, int64_t from, int64_t to)
{
    if (score_max(from) == score_max(to))
        rs_format_text(out, size, "from %d to %d of %d", (int)score_raw(from),
                       (int)score_raw(to), (int)score_max(to));
    else
        rs_format_text(out, size, "from %d of %d to %d of %d",
                       (int)score_raw(from), (int)score_max(from),
                       (int)score_raw(to), (int)score_max(to));
}

static int score_finding(const int64_t *p, const struct rs_dstate *s,
                         int64_t now, struct rs_finding *f)
{
    const int64_t *v = s->v;
    int64_t from, to, floor = p[P_FLOOR] * 10;
    char scores[96], date[32], drop[16], b1[16], b2[16];
    int into;

    if (!v[S_FROM] || now >= v[S_DROP_TIME] + p[P_KEEP] * RS_DAY_MS)
        return 0;
    from = permille(v[S_FROM]);
    to = permille(v[S_TO]);
    into = floor > 0 && from >= floor && to < floor;
    if (!into && from - to < p[P_DROP] * 10)
        return 0;
    describe_scores(scores, sizeof(scores), v[S_FROM], v[S_TO]);
    rs_entry_date(date, sizeof(date), v[S_DROP_TIME]);
    points(drop, sizeof(drop), from - to);
    if (into) {
        rs_finding_start(f, "bureau_score", "BUREAU_SCORE_INTO_BAND",
                         (int32_t)p[P_BAND_SCORE]);
        rs_finding_say(f, "bureau score fell %s (last drop on %s), below the floor "
                 "of %d on a 0-100 scale (now %s): a drop of %s points",
                 scores, date, (int)p[P_FLOOR],
                 points(b1, sizeof(b1), to), drop);
        f->reason.threshold = (double)p[P_FLOOR];
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
        rs_finding_action(f, "SHORTER_TERMS");
    } else {
        rs_finding_start(f, "bureau_score", "BUREAU_SCORE_DROP",
                         (int32_t)p[P_SCORE]);
        rs_finding_say(f, "bureau score fell %s (last drop on %s): %s points on a "
                 "0-100 scale, from %s to %s (flagged from a drop of %d)",
                 scores, date, drop, points(b1, sizeof(b1), from),
                 points(b2, sizeof(b2), to), (int)p[P_DROP]);
        f->reason.threshold = (double)(from - p[P_DROP] * 10) / 10.0;
        rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    }
    f->reason.value = (double)to / 10.0;
    f->reason.has_baseline = 1;
    f->reason.baseline = (double)from / 10.0;
    return 1;
}

static int rating_finding(const int64_t *p, const struct rs_dstate *s,
                          int64_t now, struct rs_finding *f)
{
    const int64_t *v = s->v;
    uint32_t from = (uint32_t)(v[S_RATINGS] & 0xffffffffLL);
    uint32_t last = (uint32_t)(v[S_RATINGS] >> 32);
    char a[5], b[5], date[32];
    int kind;
    int64_t n;

    if (!v[S_RATING_TIME] || p[P_NOTCHES] == 0 ||
        now >= v[S_RATING_TIME] + p[P_KEEP] * RS_DAY_MS)
        return 0;
    n = notches(p, from, last, &kind);
    if (n < p[P_NOTCHES])
        return 0;
    unpack_rating(a, from);
    unpack_rating(b, last);
    rs_entry_date(date, sizeof(date), v[S_RATING_TIME]);
    rs_finding_start(f, "bureau_score", "BUREAU_RATING_DOWNGRADE",
                     (int32_t)p[P_SCORE]);
    if (kind == RATING_LETTER)
        rs_finding_say(f, "bureau rating lowered from %s to %s (last downgrade on "
                 "%s): %lld notch%s down (flagged from %d)",
                 a, b, date, (long long)n, n == 1 ? "" : "es",
                 (int)p[P_NOTCHES]);
    else
        rs_finding_say(f, "bureau rating worsened from %s to %s (last downgrade on "
                 "%s; %s is better): %lld step%s down (flagged from %d)",
                 a, b, date, p[P_NUMBERS] == 1 ? "lower" : "higher",
                 (long long)n, n == 1 ? "" : "s", (int)p[P_NOTCHES]);
    f->reason.value = (double)n;
    f->reason.threshold = (double)p[P_NOTCHES];
    rs_finding_action(f, "CHECK_CREDITWORTHINESS");
    return 1;
}

static int evaluate(const int64_t *p, const struct rs_customer *c,
                    const struct rs_dstate *s, int64_t now,
                    struct rs_finding *out, int max)
{
    int nf = 0;

    (void)c;
    if (nf < max && score_finding(p, s, now, &out[nf]))
        nf++;
    if (nf < max && rating_finding(p, s, now, &out[nf]))
        nf++;
    return nf;
}

static int64_t next_timer(const int64_t *p, const struct rs_customer *c,
                          const struct rs_dstate *s, int64_t now)
{
    const int64_t *v = s->v;
    int64_t keep = p[P_KEEP] * RS_DAY_MS, next = RS_NO_TIMER;

    (void)c;
    if (v[S_FROM] && v[S_DROP_TIME] + keep > now)
        next = v[S_DROP_TIME] + keep;
    if (v[S_RATING_TIME] &&
        (v[S_RATINGS] >> 32) != (v[S_RATINGS] & 0xffffffffLL) &&
        v[S_RATING_TIME] + keep > now && v[S_RATING_TIME] + keep < next)
        next = v[S_RATING_TIME] + keep;
    return next;
}

const struct rs_detector rs_detector_bureau_score = {
    .name = "bureau_score",
    .id = 12,
    .reads = RS_PART_NONE,
    .signal = "Credit score change: bureau score or rating drops "
              "(direction-aware: drops and drops into a band; upgrades end "
              "the finding)",
    .props = props,
    .inputs = RS_INPUT(RS_EVENT_BUREAU),
    .observe = observe,
    .evaluate = evaluate,
    .next_timer = next_timer,
};
