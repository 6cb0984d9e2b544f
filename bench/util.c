/* Small helpers shared by the rsbench subcommands (bench.h), and main(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "riskstream/kafka.h"
#include "riskstream/registry.h"

int64_t rs_bench_wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t rs_bench_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double rs_bench_cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct rs_config *rs_bench_config(int count, char **kv)
{
    struct rs_config *conf = rs_config_new();
    char errstr[512];

    for (int i = 0; i < count; i++) {
        char *eq = strchr(kv[i], '=');
        int rc;

        if (!eq) {
            fprintf(stderr, "rsbench: -s wants KEY=VALUE, got '%s'\n", kv[i]);
            exit(2);
        }
        *eq = '\0';
        rc = rs_config_set(conf, kv[i], eq + 1, errstr, sizeof(errstr));
        *eq = '=';
        if (rc) {
            fprintf(stderr, "rsbench: %s\n", errstr);
            exit(2);
        }
    }
    return conf;
}

int rs_bench_schema_ids(const char *schema_dir, uint32_t ids[RS_EVENT_KINDS])
{
    static const char *const names[RS_EVENT_KINDS] = {
        "io.riskstream.Invoice", "io.riskstream.Payment",
        "io.riskstream.CreditBureauEvent", "io.riskstream.Communication"};
    char errstr[512];
    struct rs_registry *reg = rs_registry_load(schema_dir, errstr,
                                               sizeof(errstr));

    if (!reg) {
        fprintf(stderr, "rsbench: %s\n", errstr);
        return -1;
    }
    for (int k = 0; k < RS_EVENT_KINDS; k++) {
        const struct rs_schema_entry *e = rs_registry_by_name(reg, names[k]);

        if (!e) {
            fprintf(stderr, "rsbench: no schema %s in '%s'\n", names[k],
                    schema_dir);
            rs_registry_destroy(reg);
            return -1;
        }
        ids[k] = e->id;
    }
    /* gen.c writes the CreditBureauEvent fields of version 1, which bureau
     * feeds may keep writing (docs/schemas.md); version 2 adds riskstream's
     * own group relay fields. */
    for (size_t i = 0; i < rs_registry_count(reg); i++)
        if (strcmp(rs_registry_at(reg, i)->file, "CreditBureauEvent.avsc") == 0)
            ids[RS_EVENT_BUREAU] = rs_registry_at(reg, i)->id;
    rs_registry_destroy(reg);
    return 0;
}

size_t rs_bench_split(char *list, const char **items, size_t max)
{
    size_t n = 0;

    for (char *tok = strtok(list, ","); tok && n < max;
         tok = strtok(NULL, ","))
        items[n++] = tok;
    return n;
}

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"fill", rs_bench_fill},   {"raw", rs_bench_raw},
    {"lag", rs_bench_lag},     {"probe", rs_bench_probe},
    {"forward", rs_bench_forward}, {"admin", rs_bench_admin},
};

int main(int argc, char **argv)
{
    if (argc >= 2)
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].main(argc - 1, argv + 1);
    fputs("usage: rsbench fill|raw|lag|probe|forward|admin [OPTIONS]\n"
          "(the benchmark's helper programs; bench/run.py drives them)\n",
          stderr);
    return 2;
}

rd_kafka_t *rs_bench_input_consumer(const struct rs_config *conf,
                                    const char *who,
                                    const char *topics[RS_EVENT_KINDS],
                                    int *partitions)
{
    char errstr[512];
    rd_kafka_t *rk;

    topics[0] = conf->topic_invoices;
    topics[1] = conf->topic_payments;
    topics[2] = conf->topic_bureau;
    topics[3] = conf->topic_communications;
    rk = rs_kafka_new(conf, RS_KAFKA_ROLE_CONSUMER, NULL, NULL, errstr,
                      sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rsbench %s: %s\n", who, errstr);
        return NULL;
    }
    *partitions = rs_kafka_partition_count(rk, topics[0], 10000, errstr,
                                           sizeof(errstr));
    if (*partitions < 0) {
        fprintf(stderr, "rsbench %s: %s\n", who, errstr);
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}
