/* rsbench: the helper programs of the benchmark harness (bench/run.py).
 *
 * One executable with subcommands, each a small librdkafka program that the
 * harness starts, times and reads one JSON line from:
 *
 *   fill     pre-fills the four input topics with generated events
 *   raw      consumes the input topics with riskstream's own consumer
 *            settings and no processing, touching every payload
 *   lag      waits until a consumer group's committed offsets reach the
 *            end of the input topics
 *   probe    produces a steady mix at a constant rate with event_time = now
 *            plus alert-triggering probes, and measures event time → output
 *            record consumed (read_committed) for the probes
 *   forward  the no-op forwarder: consume → produce, transactionally with
 *            riskstream's commit interval (or plain)
 *   admin    create / delete topics, delete consumer groups, versions
 *
 * Events come from the bench's own generator (gen.c), which writes the four
 * input records as Avro binary by hand; `fill --check` decodes them with
 * riskstream's decoder first. Benchmark code: not part of riskstream_core. */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "riskstream/config.h"
#include "riskstream/event.h"

#define RS_BENCH_VALUE_MAX 512
#define RS_BENCH_KEY_MAX 64

/* Event generator. */

struct rs_bench_gen_opts {
    uint64_t seed;
    uint32_t customers;
    double zipf;        /* exponent of the key skew; 0: uniform; < 0:
                         * every customer in turn (shuffled) */
    int64_t time_from;  /* event times spread evenly over [from, to] (ms) */
    int64_t time_to;
    uint64_t events;    /* how many events the time range is spread over */
    const char *id_tag; /* makes event ids unique per run */
    uint32_t schema_ids[RS_EVENT_KINDS];
};

struct rs_bench_gen;

/* One generated event, framed (Confluent) and encoded, ready to produce. */
struct rs_bench_event {
    enum rs_event_kind kind;
    char key[RS_BENCH_KEY_MAX];
    size_t key_len;
    uint8_t value[RS_BENCH_VALUE_MAX];
    size_t len;
    int64_t event_time;
};

struct rs_bench_gen *rs_bench_gen_new(const struct rs_bench_gen_opts *o);
void rs_bench_gen_destroy(struct rs_bench_gen *g);

/* The next event of the stream. event_time < 0: the stream's own time
 * (spread over the range); else that time (the latency phase uses now). */
void rs_bench_gen_next(struct rs_bench_gen *g, int64_t event_time,
                       struct rs_bench_event *ev);

/* A bankruptcy filing for a fresh customer `customer` at `event_time`: a
 * CRITICAL alert at once (docs/detectors.md, filings). */
void rs_bench_gen_probe(struct rs_bench_gen *g, const char *customer,
                        int64_t event_time, struct rs_bench_event *ev);

/* Helpers shared by the subcommands (util.c). */

int64_t rs_bench_wall_us(void);
int64_t rs_bench_mono_us(void);
double rs_bench_cpu_seconds(void); /* this process, all threads */

/* A riskstream configuration from -s KEY=VALUE pairs (riskstream's own
 * keys, kafka.* included); exits the program on a bad key. */
struct rs_config *rs_bench_config(int count, char **kv);

/* Schema ids of the four input records from the schema dir. */
int rs_bench_schema_ids(const char *schema_dir, uint32_t ids[RS_EVENT_KINDS]);

/* A consumer made by riskstream's own adapter, the four input topic names
 * (in event-kind order) and their partition count. NULL with a message on
 * stderr ("rsbench <who>: ...") when it cannot be made or the topics'
 * metadata does not come. */
rd_kafka_t *rs_bench_input_consumer(const struct rs_config *conf,
                                    const char *who,
                                    const char *topics[RS_EVENT_KINDS],
                                    int *partitions);

/* Comma-separated list split in place into at most max items. */
size_t rs_bench_split(char *list, const char **items, size_t max);

int rs_bench_fill(int argc, char **argv);
int rs_bench_raw(int argc, char **argv);
int rs_bench_lag(int argc, char **argv);
int rs_bench_probe(int argc, char **argv);
int rs_bench_forward(int argc, char **argv);
int rs_bench_admin(int argc, char **argv);

#endif
