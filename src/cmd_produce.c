/* `riskstream produce`: an event file's records to the input topics.
 *
 * Each record goes, byte for byte, to the topic of its kind (topic.*
 * settings) with its key, through riskstream's producer settings: an
 * idempotent producer with the murmur2 partitioner, so the four topics
 * stay co-partitioned and a retry never duplicates or reorders a record.
 * The command waits for every delivery report and fails, naming the first
 * error, if any record was not delivered. A topic is checked once, when
 * its first record comes, so a missing topic is reported by name instead
 * of as a delivery timeout. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "riskstream/config.h"
#include "riskstream/evfile.h"
#include "riskstream/kafka.h"

#define CHECK_TIMEOUT_MS 10000

static const char usage[] =
    "usage: riskstream produce EVENTS.rsev [-c CONF] [-s KEY=VALUE]...\n"
    "\n"
    "Produces the records of an event file (from import, convert-uci or\n"
    "gen) to the input topics: invoices to topic.invoices, payments to\n"
    "topic.payments, bureau events to topic.bureau, communications to\n"
    "topic.communications, keyed by customer id, with an idempotent\n"
    "producer. Waits until every record is delivered, then prints\n"
    "`produced N records`.\n"
    "\n"
    "  -c, --config FILE     read settings from FILE (key = value lines)\n"
    "  -s, --set KEY=VALUE   override one setting (repeatable)\n"
    "\n"
    "exit status: 0 all delivered, 1 failure, 2 usage error.\n";

struct delivery {
    uint64_t acked;
    uint64_t failed;
    char first_error[512];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    struct delivery *d = opaque;

    (void)rk;
    if (!m->err) {
        d->acked++;
        return;
    }
    if (d->failed++ == 0)
        snprintf(d->first_error, sizeof(d->first_error),
                 "topic '%s': %s", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "riskstream produce: %s '%s' (see riskstream produce "
                    "--help)\n",
            what, arg);
    return 2;
}

static int parse(int argc, char **argv, struct rs_config *conf,
                 const char **path)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char errstr[512];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":c:s:h", longs, NULL)) != -1) {
        char kv[1024], *eq;

        switch (c) {
        case 'c':
            if (rs_config_load_file(conf, optarg, errstr, sizeof(errstr))) {
                fprintf(stderr, "riskstream produce: %s\n", errstr);
                return 1;
            }
            break;
        case 's':
            snprintf(kv, sizeof(kv), "%s", optarg);
            eq = strchr(kv, '=');
            if (!eq)
                return usage_error("--set wants KEY=VALUE, got", optarg);
            *eq = '\0';
            if (rs_config_set(conf, kv, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "riskstream produce: %s\n", errstr);
                return 1;
            }
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case ':':
            return usage_error("option needs a value:", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind == argc) {
        fputs("riskstream produce: which event file? (see riskstream "
              "produce --help)\n",
              stderr);
        return 2;
    }
    if (optind + 1 < argc)
        return usage_error("unexpected argument", argv[optind + 1]);
    *path = argv[optind];
    rs_log_threshold = (enum rs_log_level)conf->log_level;
    return -1;
}

/* Produces one record, waiting while the local queue is full. */
static int send_record(rd_kafka_t *rk, const char *topic,
                       const struct rs_evrecord *rec, char *errstr,
                       size_t errstr_size)
{
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_KEY((void *)(uintptr_t)rec->key, rec->key_len),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)rec->value, rec->value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(rk, 100);
    }
    if (!err)
        return 0;
    snprintf(errstr, errstr_size, "cannot produce record %llu to '%s': %s",
             (unsigned long long)rec->index, topic, rd_kafka_err2str(err));
    return -1;
}

int rs_cmd_produce(int argc, char **argv)
{
    struct rs_config *conf = rs_config_new();
    struct delivery d;
    struct rs_kafka_hooks hooks = {on_delivery, NULL, &d, NULL};
    struct rs_evfile_reader *r = NULL;
    struct rs_evrecord rec;
    rd_kafka_t *rk = NULL;
    const char *path = NULL, *topics[RS_EVENT_KINDS];
    int checked[RS_EVENT_KINDS] = {0};
    uint64_t sent = 0;
    char errstr[1024];
    int rc, got;

    memset(&d, 0, sizeof(d));
    rc = parse(argc, argv, conf, &path);
    if (rc >= 0)
        goto done;
    rc = 1;
    topics[RS_EVENT_INVOICE] = conf->topic_invoices;
    topics[RS_EVENT_PAYMENT] = conf->topic_payments;
    topics[RS_EVENT_BUREAU] = conf->topic_bureau;
    topics[RS_EVENT_COMM] = conf->topic_communications;
    r = rs_evfile_open(path, errstr, sizeof(errstr));
    if (!r)
        goto fail;
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_PRODUCER, NULL, &hooks, errstr,
                      sizeof(errstr));
    if (!rk)
        goto fail;
    while ((got = rs_evfile_next(r, &rec, errstr, sizeof(errstr))) == 1) {
        const char *topic = topics[rec.kind];

        if (!checked[rec.kind]) {
            if (rs_kafka_partition_count(rk, topic, CHECK_TIMEOUT_MS, errstr,
                                         sizeof(errstr)) < 0)
                goto fail;
            checked[rec.kind] = 1;
        }
        if (send_record(rk, topic, &rec, errstr, sizeof(errstr)))
            goto fail;
        sent++;
        rd_kafka_poll(rk, 0);
    }
    if (got < 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "riskstream produce: %s\n", errstr);
done:
    if (rk) {
        /* Every delivery report comes, at the latest when
         * message.timeout.ms expires for a record. */
        while (rd_kafka_outq_len(rk) > 0)
            rd_kafka_flush(rk, 1000);
        if (d.failed) {
            fprintf(stderr,
                    "riskstream produce: %llu of %llu records not "
                    "delivered; first error: %s\n",
                    (unsigned long long)d.failed, (unsigned long long)sent,
                    d.first_error);
            rc = 1;
        } else if (rc == 0) {
            printf("produced %llu records\n", (unsigned long long)d.acked);
        }
        rd_kafka_destroy(rk);
    }
    rs_evfile_close(r);
    rs_config_destroy(conf);
    return rc;
}
