/* `riskstream gen`: a synthetic event file with its ground truth.
 *
 * Wires the generator (gen.h) to an event file writer (evfile.h) and the
 * truth CSV, and prints what was made: record counts, the late share and
 * mean days late of the settled invoices (to compare with the IBM sample
 * the constants come from) and the speed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "riskstream/avro_text.h"
#include "riskstream/evfile.h"
#include "riskstream/format.h"
#include "riskstream/gen.h"
#include "riskstream/registry.h"

static const char usage[] =
    "usage: riskstream gen --customers N --days D --start YYYY-MM-DD\n"
    "                      --seed S --out EVENTS.rsev --truth TRUTH.csv\n"
    "                      [--deteriorating-share 0.3] [--schemas DIR]\n"
    "\n"
    "Writes a seeded, reproducible stream of invoices, payments, bureau\n"
    "events and communications for N customers over D days from START\n"
    "into an RSEV1 event file (Confluent framing, the newest schema ids in\n"
    "DIR, key = customer id, event-time order), and the ground truth of\n"
    "which customer deteriorates when (customer_id,family,onset,reasons).\n"
    "The same arguments give byte-identical files.\n"
    "\n"
    "  --customers N              number of customers (1 to 10000000)\n"
    "  --days D                   simulated days (planted deteriorations\n"
    "                             need at least 256)\n"
    "  --start YYYY-MM-DD         the first simulated day\n"
    "  --seed S                   random seed (an unsigned number)\n"
    "  --out PATH                 the event file ('-' for standard output)\n"
    "  --truth PATH               the ground-truth CSV\n"
    "  --deteriorating-share F    share of customers with a planted\n"
    "                             deterioration, 0 to 1 (default 0.3)\n"
    "  --schemas DIR              schema directory (default schemas)\n"
    "\n"
    "exit status: 0 ok, 1 failure, 2 usage error.\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "riskstream gen: %s '%s' (see riskstream gen --help)\n",
            what, arg);
    return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    return rs_format_parse_u64(s, strlen(s), out) || *out > max ? -1 : 0;
}

static int write_record(void *opaque, enum rs_event_kind kind, const char *key,
                        size_t key_len, const void *value, size_t value_len,
                        int64_t event_time, char *errstr, size_t errstr_size)
{
    (void)event_time;
    return rs_evfile_write(opaque, kind, key, key_len, value, value_len, errstr,
                           errstr_size);
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rs_cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"customers", required_argument, NULL, 'n'},
        {"days", required_argument, NULL, 'd'},
        {"start", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"truth", required_argument, NULL, 't'},
        {"deteriorating-share", required_argument, NULL, 'f'},
        {"schemas", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_gen_params p = {0};
    const char *out = NULL, *truth = NULL, *schemas = "schemas";
    int have_customers = 0, have_days = 0, have_start = 0, have_seed = 0;
    struct rs_registry *reg = NULL;
    struct rs_gen *g = NULL;
    struct rs_evfile_writer *w = NULL;
    char errstr[512];
    uint64_t v;
    int c, rc = 1;
    double t0;

    p.deteriorating_share = 0.3;
    optind = 0; /* glibc: a full reset, so the command can run twice */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_u64(optarg, RS_GEN_CUSTOMERS_MAX, &v) || v == 0)
                return usage_error("--customers wants 1 to 10000000, got",
                                   optarg);
            p.customers = (uint32_t)v;
            have_customers = 1;
            break;
        case 'd':
            if (parse_u64(optarg, RS_GEN_DAYS_MAX, &v) || v == 0)
                return usage_error("--days wants 1 to 3660, got", optarg);
            p.days = (uint32_t)v;
            have_days = 1;
            break;
        case 's':
            if (rs_avro_parse_date(optarg, &p.start_day))
                return usage_error("--start wants a date like 2025-01-01, got",
                                   optarg);
            have_start = 1;
            break;
        case 'r':
            if (parse_u64(optarg, UINT64_MAX, &v))
                return usage_error("--seed wants an unsigned number, got",
                                   optarg);
            p.seed = v;
            have_seed = 1;
            break;
        case 'o': out = optarg; break;
        case 't': truth = optarg; break;
        case 'f': {
            char *end;

            p.deteriorating_share = strtod(optarg, &end);
            if (end == optarg || *end || !(p.deteriorating_share >= 0.0) ||
                p.deteriorating_share > 1.0)
                return usage_error("--deteriorating-share wants 0 to 1, got",
                                   optarg);
            break;
        }
        case 'S': schemas = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return usage_error("option needs a value:", argv[optind - 1]);
        default: return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (!have_customers || !have_days || !have_start || !have_seed || !out ||
        !truth)
        return usage_error("missing option", !have_customers ? "--customers"
                                             : !have_days    ? "--days"
                                             : !have_start   ? "--start"
                                             : !have_seed    ? "--seed"
                                             : !out          ? "--out"
                                                             : "--truth");
    reg = rs_registry_load(schemas, errstr, sizeof(errstr));
    if (!reg)
        goto out;
    g = rs_gen_new(&p, reg, errstr, sizeof(errstr));
    if (!g)
        goto out;
    w = rs_evfile_create(out, errstr, sizeof(errstr));
    if (!w)
        goto out;
    t0 = seconds_now();
    if (rs_gen_run(g, write_record, w, errstr, sizeof(errstr))) {
        char ignored[64];

        rs_evfile_finish(w, ignored, sizeof(ignored));
        w = NULL;
        goto out;
    }
    if (rs_evfile_finish(w, errstr, sizeof(errstr))) {
        w = NULL;
        goto out;
    }
    w = NULL;
    if (rs_gen_write_truth(g, truth, errstr, sizeof(errstr)))
        goto out;
    {
        const struct rs_gen_stats *s = rs_gen_stats(g);
        uint64_t total =
            s->events[0] + s->events[1] + s->events[2] + s->events[3];
        double secs = seconds_now() - t0;
        size_t det = 0;

        for (size_t i = 0; i < rs_gen_truth_count(g); i++)
            det += strcmp(rs_gen_truth_at(g, i)->family, "none") != 0;
        fprintf(stderr,
                "riskstream gen: %llu records (%llu invoices, %llu payments, "
                "%llu bureau, %llu communications) for %u customers, %zu "
                "deteriorating, over %u days into '%s'; truth in '%s'\n",
                (unsigned long long)total, (unsigned long long)s->events[0],
                (unsigned long long)s->events[1],
                (unsigned long long)s->events[2],
                (unsigned long long)s->events[3], p.customers, det, p.days, out,
                truth);
        fprintf(stderr,
                "riskstream gen: %llu invoices settled, %.1f%% of them late, "
                "%.1f days late on average when late; %.0f records/s\n",
                (unsigned long long)s->invoices_settled,
                s->invoices_settled ? 100.0 * (double)s->invoices_late /
                                          (double)s->invoices_settled
                                    : 0.0,
                s->invoices_late
                    ? (double)s->days_late_sum / (double)s->invoices_late
                    : 0.0,
                secs > 0 ? (double)total / secs : 0.0);
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "riskstream gen: %s\n", errstr);
    if (w) {
        char ignored[64];

        rs_evfile_finish(w, ignored, sizeof(ignored));
    }
    rs_gen_destroy(g);
    if (reg)
        rs_registry_destroy(reg);
    return rc;
}
