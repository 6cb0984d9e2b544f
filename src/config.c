/* The property table, the key=value file reader and the generated docs.
 *
 * Each row names a field of struct rs_config by offset, so setting, default
 * values and documentation come from the same place and cannot drift apart.
 * Values are validated on set; a config that loaded is a config that is
 * usable (apart from reachability of the servers it names). */
#include "riskstream/config.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "riskstream/detector.h"
#include "riskstream/mem.h"
#include "riskstream/score.h"

enum prop_type {
    PROP_STRING,
    PROP_INT,
    PROP_ENUM,
};

struct prop {
    const char *name;
    enum prop_type type;
    size_t offset;
    const char *def;
    long long min, max;     /* PROP_INT */
    const char *choices[5]; /* PROP_ENUM, NULL-terminated */
    const char *desc;
};

#define STR(field) PROP_STRING, offsetof(struct rs_config, field)
#define INT(field) PROP_INT, offsetof(struct rs_config, field)
#define ENUM(field) PROP_ENUM, offsetof(struct rs_config, field)

static const struct prop props[] = {
    {"app.id", STR(app_id), "riskstream", 0, 0, {NULL},
     "Name of this riskstream application. The default consumer group "
     "(kafka.group.id) and the prefix of the transactional ids."},
    {"topic.invoices", STR(topic_invoices), "invoices", 0, 0, {NULL},
     "Input topic of Invoice events, keyed by customer id."},
    {"topic.payments", STR(topic_payments), "payments", 0, 0, {NULL},
     "Input topic of Payment events, keyed by customer id."},
    {"topic.bureau", STR(topic_bureau), "bureau", 0, 0, {NULL},
     "Input topic of CreditBureauEvent events, keyed by customer id."},
    {"topic.communications", STR(topic_communications), "communications", 0,
     0, {NULL},
     "Input topic of Communication events, keyed by customer id."},
    {"topic.alerts", STR(topic_alerts), "alerts", 0, 0, {NULL},
     "Output topic of RiskAlert records, keyed by customer id."},
    {"topic.deadletter", STR(topic_deadletter), "deadletter", 0, 0, {NULL},
     "Output topic of DeadLetter records: input that could not be used, with "
     "its original bytes and the reason."},
    {"topic.partitions", INT(topic_partitions), "4", 1, 10000, {NULL},
     "Partition count `riskstream topics` creates the topics with. The four "
     "input topics must have the same count (they are co-partitioned)."},
    {"schema.dir", STR(schema_dir), "schemas", 0, 0, {NULL},
     "Directory of the Avro writer schemas (*.avsc) and of ids.txt, which maps "
     "Confluent schema ids to schema files."},
    {"redis.host", STR(redis_host), "127.0.0.1", 0, 0, {NULL},
     "Redis server host name or address."},
    {"redis.port", INT(redis_port), "6379", 1, 65535, {NULL},
     "Redis server TCP port."},
    {"redis.password", STR(redis_password), "", 0, 0, {NULL},
     "Password sent with AUTH after connecting; empty sends no AUTH."},
    {"redis.timeout.ms", INT(redis_timeout_ms), "5000", 1, 600000, {NULL},
     "Timeout for connecting to Redis and for each reply."},
    {"redis.prefix", STR(redis_prefix), "rs", 0, 0, {NULL},
     "Prefix of every Redis key riskstream writes, so several deployments can "
     "share one Redis."},
    {"redis.summary", INT(redis_summary), "0", 0, 1, {NULL},
     "1: with each changed customer's packed state also write its readable "
     "summary (flat JSON: level, score, open and overdue amounts) to the "
     "task's P:{tT}:sum hash, for programs that read Redis directly. It "
     "costs about 40 % of Redis's memory per customer and of what each "
     "commit writes (docs/performance.md). 0: the packed state only; "
     "`riskstream state CUSTOMER...` prints the same summary from it. "
     "Summaries written while it was 1 stay, no longer updated, until the "
     "P:{tT}:sum hashes are deleted."},
    {"log.level", ENUM(log_level), "info", 0, 0,
     {"error", "warn", "info", "debug", NULL},
     "Lowest level of log lines written to stderr."},
    {"instance.id", STR(instance_id), "", 0, 0, {NULL},
     "Name of this instance, stable across restarts (empty: the host "
     "name). With app.id it makes the transactional id and the static "
     "group member id, so a restarted instance fences its dead self at "
     "once instead of waiting for timeouts. Two instances of one app.id "
     "must have different names."},
    {"commit.interval.ms", INT(commit_interval_ms), "20", 1, 60000, {NULL},
     "How often changed customers, offsets and alerts are committed while "
     "riskstream is caught up with its input: one atomic Redis write per "
     "task, then one Kafka transaction, written by a thread of their own "
     "while records are applied; counted from the last commit's begin (a "
     "commit that takes longer is followed at once by the next, so under "
     "load commits run back to back). Nothing changed: no commit. Event -> "
     "alert latency is about this plus a commit's time; at 100 ms the "
     "median latency was twice as high and the daemon kept up with less "
     "(docs/performance.md)."},
    {"commit.catchup.interval.ms", INT(commit_catchup_interval_ms), "1000",
     1, 600000, {NULL},
     "The commit interval while some input partition has not been read to "
     "its end (a backlog after a restart or an outage): rarer commits write "
     "each busy customer once for many events, so the backlog goes faster; "
     "nothing waits for them but the backlog itself."},
    {"commit.catchup.lag.records", INT(commit_catchup_lag_records), "20000",
     1, 1000000000, {NULL},
     "Records an input partition must be behind its end (by the consumer's "
     "cached high watermark) for riskstream to count as working off a "
     "backlog (commit.catchup.interval.ms). Several seconds of a "
     "partition's peak input, so that a live stream with a moment's delay "
     "keeps the short commit interval."},
    {"order.max.wait.ms", INT(order_max_wait_ms), "0", 0, 60000, {NULL},
     "How long a task waits for an input that is read to its end before "
     "processing the other inputs without it. An input that still has "
     "unread data is always waited for, so replays are deterministic."},
    {"order.queue.records", INT(order_queue_records), "1000", 16, 1000000,
     {NULL},
     "Decoded records per input partition in the event-time orderer "
     "(about 1.5 kB each); further records wait undecoded in "
     "order.buffer.records."},
    {"order.buffer.records", INT(order_buffer_records), "50000", 16,
     100000000, {NULL},
     "Undecoded records (pointers to librdkafka's messages) kept per input "
     "partition beyond order.queue.records before fetching from that "
     "partition pauses. Pausing is costly with librdkafka 2.0.2 (a resumed "
     "partition's prefetched data is dropped and its fetch backs off for a "
     "second), so this is large: a partition pauses only when it runs far "
     "ahead of the others in event time. It resumes when half of them "
     "have been taken."},
    {"evaluate.all", INT(evaluate_all), "0", 0, 1, {NULL},
     "1: run every detector at every evaluation instead of only those the "
     "event or a due timer concerns. Slower, same results: it is there to "
     "check exactly that (docs/architecture.md)."},
    {"evaluate.lookahead", INT(evaluate_lookahead), "0", 0, 64, {NULL},
     "How many of a detector's timers are looked past, when it is set, for "
     "the first at which its answer changes, so that timers that would "
     "change nothing do not fire (0: every timer fires). The same alerts "
     "and scores either way, fewer customer writes, more CPU; a stored "
     "timer may then depend on when a customer was reloaded "
     "(docs/architecture.md)."},
    {"lateness.ms", INT(lateness_ms), "604800000", 0, 31622400000LL, {NULL},
     "Allowed lateness: how far behind stream time an event may be. Later "
     "invoices and payments are still applied (balances must be complete) "
     "and counted; later communications and bureau events go to the "
     "dead-letter topic with error class LATE."},
    {"cache.customers", INT(cache_customers), "25000", 1, 100000000,
     {NULL},
     "Customers kept in memory per task (about 1 kB each for a customer "
     "seen once, more for busy ones); others are loaded from Redis, in "
     "batches, when their next event or timer comes. Customers changed "
     "since the last commit stay until it, so a task can briefly hold "
     "more."},
    {"record.max.bytes", INT(record_max_bytes), "65536", 64, 16777216,
     {NULL},
     "Largest input value accepted; larger ones are dead letters with "
     "error class OVERSIZED."},
    {"score.level.medium", INT(score_level_medium), "25", 1, 100, {NULL},
     "Score from which a customer is MEDIUM risk (default profile)."},
    {"score.level.high", INT(score_level_high), "50", 1, 100, {NULL},
     "Score from which a customer is HIGH risk (default profile)."},
    {"score.level.critical", INT(score_level_critical), "75", 1, 100, {NULL},
     "Score from which a customer is CRITICAL risk (default profile)."},
    {"score.hysteresis", INT(score_hysteresis), "10", 0, 100, {NULL},
     "Points the score must fall below a threshold before the level goes "
     "down, so a score hovering at a threshold does not flap."},
    {"score.suppress.days", INT(score_suppress_days), "14", 0, 3650, {NULL},
     "Rising again to a level the customer was raised to less than this "
     "many days ago makes no alert; it is counted in the next alert's "
     "suppressed_count."},
};

#define NPROPS (sizeof(props) / sizeof(props[0]))

const struct rs_kafka_default rs_kafka_defaults[] = {
    {RS_KAFKA_ROLE_CONSUMER, "enable.auto.commit", "false",
     "offsets are committed with the alerts in one transaction"},
    {RS_KAFKA_ROLE_CONSUMER, "enable.auto.offset.store", "false",
     "riskstream decides which offsets are done"},
    {RS_KAFKA_ROLE_CONSUMER, "auto.offset.reset", "earliest",
     "a new group starts at the beginning of history, not at its end"},
    {RS_KAFKA_ROLE_CONSUMER, "isolation.level", "read_committed",
     "never act on input from aborted transactions"},
    {RS_KAFKA_ROLE_CONSUMER, "enable.partition.eof", "true",
     "tells the orderer when an input is read to its end"},
    {RS_KAFKA_ROLE_CONSUMER, "session.timeout.ms", "10000",
     "a dead instance's tasks move within seconds"},
    {RS_KAFKA_ROLE_CONSUMER, "partition.assignment.strategy", "range",
     "keeps the same partition number of every co-partitioned topic on one "
     "member"},
    {RS_KAFKA_ROLE_PRODUCER, "enable.idempotence", "true",
     "no duplicates or reordering from producer retries"},
    {RS_KAFKA_ROLE_PRODUCER, "partitioner", "murmur2_random",
     "the partitioner of Java producers: a key lands on the same partition "
     "whichever client wrote it, so topics stay co-partitioned"},
    {RS_KAFKA_ROLE_PRODUCER, "linger.ms", "5",
     "small batches, low latency"},
    {RS_KAFKA_ROLE_TXN_PRODUCER, "transaction.timeout.ms", "60000",
     "the broker aborts a transaction of a dead instance after this long"},
    {RS_KAFKA_ROLE_TXN_PRODUCER, "message.timeout.ms", "30000",
     "must stay below transaction.timeout.ms"},
    {RS_KAFKA_ROLE_TXN_PRODUCER, "retry.backoff.ms", "10",
     "a transaction begun while the broker still writes the last one's "
     "markers is refused (CONCURRENT_TRANSACTIONS) and retried after this; "
     "at the default 100 ms, commits that follow each other at once lose "
     "that much each (docs/performance.md)"},
    {RS_KAFKA_ROLE_CONSUMER, NULL, NULL, NULL},
};

static const struct prop *prop_find(const char *name)
{
    for (size_t i = 0; i < NPROPS; i++)
        if (strcmp(props[i].name, name) == 0)
            return &props[i];
    return NULL;
}

static int prop_set(struct rs_config *conf, const struct prop *p,
                    const char *value, char *errstr, size_t errstr_size)
{
    char *field = (char *)conf + p->offset;

    switch (p->type) {
    case PROP_STRING: {
        char **s = (char **)(void *)field;

        free(*s);
        *s = rs_strdup(value);
        return 0;
    }
    case PROP_INT: {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end != '\0') {
            snprintf(errstr, errstr_size, "'%s': '%s' is not a whole number",
                     p->name, value);
            return -1;
        }
        if (v < p->min || v > p->max) {
            snprintf(errstr, errstr_size,
                     "'%s': %lld is out of range (%lld to %lld)", p->name, v,
                     p->min, p->max);
            return -1;
        }
        *(long long *)(void *)field = v;
        return 0;
    }
    case PROP_ENUM:
        for (int i = 0; p->choices[i]; i++) {
            if (strcmp(p->choices[i], value) == 0) {
                *(long long *)(void *)field = i;
                return 0;
            }
        }
        snprintf(errstr, errstr_size, "'%s': '%s' is not one of the choices",
                 p->name, value);
        return -1;
    }
    return -1;
}

struct rs_config *rs_config_new(void)
{
    struct rs_config *conf = rs_calloc(1, sizeof(*conf));
    char errstr[256];

    for (size_t i = 0; i < NPROPS; i++)
        if (prop_set(conf, &props[i], props[i].def, errstr, sizeof(errstr)))
            abort(); /* a bad default is a programming error */
    rs_detector_params_defaults(&conf->detector_params);
    return conf;
}

void rs_config_destroy(struct rs_config *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < NPROPS; i++)
        if (props[i].type == PROP_STRING)
            free(*(char **)(void *)((char *)conf + props[i].offset));
    for (size_t i = 0; i < conf->kafka_count; i++) {
        free(conf->kafka[i].key);
        free(conf->kafka[i].value);
    }
    free(conf->kafka);
    for (size_t i = 0; i < conf->segment_count; i++) {
        free(conf->segment_settings[i].segment);
        free(conf->segment_settings[i].key);
    }
    free(conf->segment_settings);
    free(conf);
}

/* Checks a pass-through key against librdkafka itself, so a typo is caught
 * when the file is read and not when the first client is created. */
static int kafka_check(const char *key, const char *value, char *errstr,
                       size_t errstr_size)
{
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    char why[256];
    int rc = 0;

    if (rd_kafka_conf_set(kc, key, value, why, sizeof(why)) !=
        RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "'kafka.%s': %s", key, why);
        rc = -1;
    }
    rd_kafka_conf_destroy(kc);
    return rc;
}

/* segment.<segment>.level.<medium|high|critical> = 1..100, or
 * segment.<segment>.weight.<detector> = 0..1000 (percent). */
static int segment_set(struct rs_config *conf, const char *key,
                       const char *value, char *errstr, size_t errstr_size)
{
    const char *name = key + 8, *sub = NULL, *p;
    long long v, max = 100, min = 1;
    char *end, *segment;
    size_t distinct = 0;

    for (p = name; (p = strchr(p, '.')); p++)
        if (strncmp(p, ".level.", 7) == 0 || strncmp(p, ".weight.", 8) == 0)
            sub = p;
    if (!sub || sub == name) {
        snprintf(errstr, errstr_size,
                 "'%s': expected segment.<segment>.level.<medium|high|"
                 "critical> or segment.<segment>.weight.<detector>",
                 key);
        return -1;
    }
    if (strncmp(sub, ".level.", 7) == 0) {
        const char *l = sub + 7;

        if (strcmp(l, "medium") && strcmp(l, "high") && strcmp(l, "critical")) {
            snprintf(errstr, errstr_size,
                     "'%s': the levels are medium, high and critical", key);
            return -1;
        }
    } else if (!rs_detector_find(sub + 8)) {
        snprintf(errstr, errstr_size, "'%s': no detector named '%s'", key,
                 sub + 8);
        return -1;
    } else {
        min = 0;
        max = 1000;
    }
    errno = 0;
    v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        snprintf(errstr, errstr_size, "'%s': '%s' is not a whole number from "
                                      "%lld to %lld",
                 key, value, min, max);
        return -1;
    }
    segment = rs_strndup(name, (size_t)(sub - name));
    for (size_t i = 0; i < conf->segment_count; i++) {
        int seen = 0;

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(conf->segment_settings[j].segment,
                          conf->segment_settings[i].segment) == 0;
        distinct += !seen;
    }
    if (distinct >= RS_SEGMENTS_MAX) {
        int known = 0;

        for (size_t i = 0; i < conf->segment_count && !known; i++)
            known = strcmp(conf->segment_settings[i].segment, segment) == 0;
        if (!known) {
            snprintf(errstr, errstr_size, "'%s': more than %d segments", key,
                     RS_SEGMENTS_MAX);
            free(segment);
            return -1;
        }
    }
    rs_grow((void **)&conf->segment_settings, &conf->segment_cap,
            conf->segment_count + 1, sizeof(*conf->segment_settings));
    conf->segment_settings[conf->segment_count].segment = segment;
    conf->segment_settings[conf->segment_count].key = rs_strdup(sub + 1);
    conf->segment_settings[conf->segment_count].value = v;
    conf->segment_count++;
    return 0;
}

int rs_config_set(struct rs_config *conf, const char *key, const char *value,
                  char *errstr, size_t errstr_size)
{
    const struct prop *p;
    int r;

    r = rs_detector_params_set(&conf->detector_params, key, value, errstr,
                               errstr_size);
    if (r <= 0)
        return r;
    if (strncmp(key, "segment.", 8) == 0)
        return segment_set(conf, key, value, errstr, errstr_size);

    if (strncmp(key, "kafka.", 6) == 0) {
        const char *k = key + 6;
        const char *bare = k;

        /* kafka.consumer.X / kafka.producer.X: only for that client. */
        if (strncmp(k, "consumer.", 9) == 0)
            bare = k + 9;
        else if (strncmp(k, "producer.", 9) == 0)
            bare = k + 9;

        if (!*bare) {
            snprintf(errstr, errstr_size, "'%s': empty librdkafka key", key);
            return -1;
        }
        if (kafka_check(bare, value, errstr, errstr_size))
            return -1;
        for (size_t i = 0; i < conf->kafka_count; i++) {
            if (strcmp(conf->kafka[i].key, k) == 0) {
                free(conf->kafka[i].value);
                conf->kafka[i].value = rs_strdup(value);
                return 0;
            }
        }
        rs_grow((void **)&conf->kafka, &conf->kafka_cap, conf->kafka_count + 1,
                sizeof(*conf->kafka));
        conf->kafka[conf->kafka_count].key = rs_strdup(k);
        conf->kafka[conf->kafka_count].value = rs_strdup(value);
        conf->kafka_count++;
        return 0;
    }
    p = prop_find(key);
    if (!p) {
        snprintf(errstr, errstr_size,
                 "unknown configuration key '%s' (see docs/configuration.md)",
                 key);
        return -1;
    }
    return prop_set(conf, p, value, errstr, errstr_size);
}

const char *rs_config_kafka_get(const struct rs_config *conf, const char *key)
{
    for (size_t i = 0; i < conf->kafka_count; i++)
        if (strcmp(conf->kafka[i].key, key) == 0)
            return conf->kafka[i].value;
    return NULL;
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
                       end[-1] == '\n'))
        *--end = '\0';
    return s;
}

int rs_config_load_file(struct rs_config *conf, const char *path, char *errstr,
                        size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    char why[512];
    int lineno = 0;
    int rc = -1;

    if (!f) {
        snprintf(errstr, errstr_size, "cannot open config file '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *s, *eq;

        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(errstr, errstr_size, "%s:%d: line longer than %zu bytes",
                     path, lineno, sizeof(line) - 2);
            goto out;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "%s:%d: expected 'key = value'",
                     path, lineno);
            goto out;
        }
        *eq = '\0';
        if (rs_config_set(conf, trim(s), trim(eq + 1), why, sizeof(why))) {
            snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, why);
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "cannot read config file '%s'", path);
        goto out;
    }
    rc = 0;
out:
    fclose(f);
    return rc;
}

static const char *role_name(enum rs_kafka_role role)
{
    switch (role) {
    case RS_KAFKA_ROLE_CONSUMER:
        return "consumer";
    case RS_KAFKA_ROLE_PRODUCER:
        return "producer";
    case RS_KAFKA_ROLE_TXN_PRODUCER:
        return "transactional producer";
    }
    return "?";
}

void rs_config_write_doc(FILE *out)
{
    fputs("# Configuration\n\n"
          "<!-- Generated by `riskstream config-doc` from the property table "
          "in src/config.c. Do not edit: CI fails when this file is stale. "
          "-->\n\n"
          "riskstream reads a file of `key = value` lines (`#` starts a "
          "comment) given with `--config FILE`; `--set key=value` overrides "
          "one key on the command line. Unknown keys are errors.\n\n"
          "| key | type | default | range | description |\n"
          "|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < NPROPS; i++) {
        const struct prop *p = &props[i];
        char range[128] = "";

        if (p->type == PROP_INT) {
            snprintf(range, sizeof(range), "%lld – %lld", p->min, p->max);
        } else if (p->type == PROP_ENUM) {
            size_t n = 0;

            for (int c = 0; p->choices[c]; c++)
                n += (size_t)snprintf(range + n, sizeof(range) - n, "%s%s",
                                      c ? ", " : "", p->choices[c]);
        }
        fprintf(out, "| `%s` | %s | %s%s%s | %s | %s |\n", p->name,
                p->type == PROP_INT    ? "integer"
                : p->type == PROP_ENUM ? "enum"
                                       : "string",
                *p->def ? "`" : "", *p->def ? p->def : "(empty)",
                *p->def ? "`" : "", range, p->desc);
    }
    fputs("\n## librdkafka settings (`kafka.*`)\n\n"
          "Every key that starts with `kafka.` is passed to librdkafka with "
          "the prefix removed, e.g. `kafka.bootstrap.servers = "
          "127.0.0.1:9092`; see librdkafka's CONFIGURATION.md for the keys. "
          "Keys are checked against librdkafka when the file is read. "
          "`kafka.consumer.<key>` and `kafka.producer.<key>` apply to only "
          "riskstream's consumer or producers (e.g. "
          "`kafka.consumer.session.timeout.ms`). "
          "`kafka.group.id` defaults to `app.id`. riskstream sets these "
          "defaults first; a `kafka.*` setting overrides them:\n\n"
          "| client | key | value | why |\n|---|---|---|---|\n",
          out);
    for (const struct rs_kafka_default *d = rs_kafka_defaults; d->key; d++)
        fprintf(out, "| %s | `%s` | `%s` | %s |\n", role_name(d->role), d->key,
                d->value, d->why);
    fputs("\n## Detector parameters (`detector.<detector>.<parameter>`)\n\n"
          "Whole numbers; docs/detectors.md explains each detector.\n\n"
          "| key | default | range | description |\n|---|---|---|---|\n",
          out);
    for (const struct rs_detector *const *d = rs_detectors; *d; d++)
        for (int i = 0; (*d)->props && (*d)->props[i].name; i++)
            fprintf(out, "| `detector.%s.%s` | `%lld` | %lld – %lld | %s |\n",
                    (*d)->name, (*d)->props[i].name,
                    (long long)(*d)->props[i].def,
                    (long long)(*d)->props[i].min,
                    (long long)(*d)->props[i].max, (*d)->props[i].desc);
    fputs("\n## Segment profiles (`segment.<segment>.*`)\n\n"
          "A customer's segment is the `segment` of its latest invoice. A "
          "profile overrides the default thresholds and weights for the "
          "customers of one segment; up to 64 segments.\n\n"
          "| key | range | meaning |\n|---|---|---|\n"
          "| `segment.<segment>.level.medium` | 1 – 100 | score from which the "
          "segment's customers are MEDIUM (default `score.level.medium`) |\n"
          "| `segment.<segment>.level.high` | 1 – 100 | the same for HIGH |\n"
          "| `segment.<segment>.level.critical` | 1 – 100 | the same for "
          "CRITICAL |\n"
          "| `segment.<segment>.weight.<detector>` | 0 – 1000 | percent applied "
          "to that detector's score contributions (default 100) |\n",
          out);
}
