/* `riskstream backtest`: the engine over an event file, and a report.
 *
 * Wiring only: options into a configuration and backtest options, the
 * label files read, the run, the figures, the report directory written,
 * and a few lines of summary on standard output. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "riskstream/avro_text.h"
#include "riskstream/backtest.h"
#include "riskstream/config.h"
#include "riskstream/evbatch.h"
#include "riskstream/import.h"
#include "riskstream/log.h"
#include "riskstream/quality.h"
#include "riskstream/report.h"

#define EXIT_USAGE 2
#define CUSTOMERS_MAX RS_REPORT_TIMELINES_MAX

static const char usage[] =
    "usage: riskstream backtest --events FILE --report DIR [OPTIONS]\n"
    "       riskstream backtest --csv FILE --mapping MAP --report DIR ...\n"
    "\n"
    "Runs riskstream's engine in-process over an event file (RSEV1, as\n"
    "written by `riskstream gen` and `riskstream import`): the daemon's\n"
    "decoder, orderer, detectors and scoring, with state in memory, no\n"
    "Kafka and no Redis. Writes a report directory: alerts.jsonl,\n"
    "deadletters.jsonl, trajectories.csv, invoices.csv, labels.csv (with\n"
    "--labels), quality.json and index.html.\n"
    "\n"
    "options:\n"
    "  -e, --events FILE       the event file (- for standard input)\n"
    "      --csv FILE          or an ERP export (CSV), imported with\n"
    "      --mapping MAP       its mapping as `riskstream import` does\n"
    "  -r, --report DIR        the report directory (created if missing)\n"
    "  -c, --config FILE       settings as for `riskstream run`\n"
    "  -s, --set KEY=VALUE     override one setting (repeatable)\n"
    "  -n, --late-days N       an invoice is late when paid more than N days\n"
    "                          after its due date (default 0)\n"
    "  -t, --truth FILE        ground truth of generated data\n"
    "                          (customer_id,family,onset,reasons)\n"
    "  -l, --labels FILE       customer labels\n"
    "                          (customer_id,label_time,label)\n"
    "  -p, --partitions P      tasks (default: topic.partitions)\n"
    "  -u, --until WHEN        after the last event fire timers up to WHEN:\n"
    "                          'end' (default: the file's latest event\n"
    "                          time), 'none' (as the daemon, which only moves\n"
    "                          with events), or an ISO instant\n"
    "  -C, --customer ID       draw this customer's timeline (repeatable)\n"
    "  -T, --timelines N       also draw N customers picked by score and\n"
    "                          alert count (default 4)\n"
    "\n"
    "exit status: 0 ok, 1 failure, 2 usage error.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                               ...)
{
    va_list ap;

    fputs("riskstream backtest: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see riskstream backtest --help)\n", stderr);
    return EXIT_USAGE;
}

struct args {
    const char *events;
    const char *csv;     /* or an ERP export and its mapping (import) */
    const char *mapping;
    const char *report;
    const char *truth;
    const char *labels;
    int late_days;
    int partitions;
    int64_t until;
    const char *customers[CUSTOMERS_MAX];
    size_t customer_count;
    int timelines;
};

static int parse_int(const char *text, int min, int max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct rs_config *conf,
                      struct args *a)
{
    static const struct option opts[] = {
        {"events", required_argument, NULL, 'e'},
        {"csv", required_argument, NULL, 'x'},
        {"mapping", required_argument, NULL, 'm'},
        {"report", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"late-days", required_argument, NULL, 'n'},
        {"truth", required_argument, NULL, 't'},
        {"labels", required_argument, NULL, 'l'},
        {"partitions", required_argument, NULL, 'p'},
        {"until", required_argument, NULL, 'u'},
        {"customer", required_argument, NULL, 'C'},
        {"timelines", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char errstr[512];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":e:x:m:r:c:s:n:t:l:p:u:C:T:h", opts,
                            NULL)) != -1) {
        char *eq;

        switch (c) {
        case 'e':
            a->events = optarg;
            break;
        case 'x':
            a->csv = optarg;
            break;
        case 'm':
            a->mapping = optarg;
            break;
        case 'r':
            a->report = optarg;
            break;
        case 'c':
            if (rs_config_load_file(conf, optarg, errstr, sizeof(errstr))) {
                fprintf(stderr, "riskstream backtest: %s\n", errstr);
                return 1;
            }
            break;
        case 's':
            eq = strchr(optarg, '=');
            if (!eq)
                return usage_error("--set wants KEY=VALUE, got '%s'", optarg);
            *eq = '\0';
            if (rs_config_set(conf, optarg, eq + 1, errstr, sizeof(errstr))) {
                fprintf(stderr, "riskstream backtest: %s\n", errstr);
                return 1;
            }
            *eq = '=';
            break;
        case 'n':
            if (parse_int(optarg, 0, 3650, &a->late_days))
                return usage_error("--late-days wants 0 to 3650 days, got "
                                   "'%s'",
                                   optarg);
            break;
        case 't':
            a->truth = optarg;
            break;
        case 'l':
            a->labels = optarg;
            break;
        case 'p':
            if (parse_int(optarg, 1, RS_BACKTEST_PARTITIONS_MAX,
                          &a->partitions))
                return usage_error("--partitions wants 1 to %d, got '%s'",
                                   RS_BACKTEST_PARTITIONS_MAX, optarg);
            break;
        case 'u':
            if (strcmp(optarg, "end") == 0)
                a->until = RS_BACKTEST_UNTIL_DATA_END;
            else if (strcmp(optarg, "none") == 0)
                a->until = RS_BACKTEST_UNTIL_NONE;
            else if (rs_avro_parse_timestamp(optarg, &a->until))
                return usage_error("--until wants 'end', 'none' or an ISO "
                                   "instant like 2026-01-01T00:00:00Z, got "
                                   "'%s'",
                                   optarg);
            break;
        case 'C':
            if (a->customer_count == CUSTOMERS_MAX)
                return usage_error("at most %d --customer options",
                                   CUSTOMERS_MAX);
            a->customers[a->customer_count++] = optarg;
            break;
        case 'T':
            if (parse_int(optarg, 0, RS_REPORT_TIMELINES_MAX, &a->timelines))
                return usage_error("--timelines wants 0 to %d, got '%s'",
                                   RS_REPORT_TIMELINES_MAX, optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->events == !a->csv)
        return usage_error("give either --events FILE or --csv FILE with "
                           "--mapping MAP");
    if (!a->csv != !a->mapping)
        return usage_error("--csv and --mapping go together");
    if (!a->report)
        return usage_error("--report DIR is required");
    rs_log_threshold = (enum rs_log_level)conf->log_level;
    return 0;
}

static void bad_row(void *opaque, uint64_t line, const char *reason)
{
    fprintf(stderr, "%s:%" PRIu64 ": %s\n", (const char *)opaque, line,
            reason);
}

/* --csv/--mapping: the export imported as `riskstream import` would, into
 * the report directory's events.rsev. Any bad row fails the backtest:
 * judging alerts on a history with holes would mislead. */
static int import_csv(const struct args *a, const struct rs_config *conf,
                      const char *out, char *errstr, size_t errstr_size)
{
    struct rs_import_mapping *m =
        rs_import_mapping_load(a->mapping, errstr, errstr_size);
    struct rs_evbatch *b = NULL;
    struct rs_import_stats st;
    int rc = -1;

    if (!m)
        goto out;
    b = rs_evbatch_new(conf->schema_dir, errstr, errstr_size);
    if (!b || rs_import_csv(m, a->csv, b, bad_row, (void *)(uintptr_t)a->csv,
                            &st, errstr, errstr_size))
        goto out;
    if (st.bad) {
        snprintf(errstr, errstr_size,
                 "'%s': %" PRIu64 " bad rows (listed above); fix them or "
                 "import with `riskstream import --max-bad`",
                 a->csv, st.bad);
        goto out;
    }
    if (rs_evbatch_write(b, out, errstr, errstr_size))
        goto out;
    fprintf(stderr, "riskstream backtest: imported %" PRIu64 " rows of '%s' "
                    "into %" PRIu64 " events\n",
            st.rows, a->csv, st.events);
    rc = 0;
out:
    if (b)
        rs_evbatch_destroy(b);
    if (m)
        rs_import_mapping_destroy(m);
    return rc;
}

static FILE *open_in(const char *dir, const char *name, char *errstr,
                     size_t errstr_size)
{
    char path[4096];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (!fp)
        snprintf(errstr, errstr_size, "cannot create '%s': %s", path,
                 strerror(errno));
    return fp;
}

static void print_figure(const char *name, double v, const char *unit)
{
    if (isnan(v))
        printf("  %-38s n/a\n", name);
    else
        printf("  %-38s %.3f%s\n", name, v, unit);
}

static void summary(const struct rs_backtest *bt,
                    const struct rs_backtest_quality *q, const char *dir)
{
    printf("backtest: %" PRIu64 " records, %" PRIu64 " events applied, %" PRIu64
           " dead letters, %zu customers, %zu alerts, %d tasks\n",
           bt->records, bt->events_applied, bt->deadletter_count,
           bt->customers_with_events, bt->alert_count, bt->partitions);
    printf("  %-38s %zu (%zu late)\n", "invoices scored", q->invoices_scored,
           q->invoices_late);
    print_figure("auc_invoice_late", q->auc_invoice_late, "");
    print_figure("baseline_auc_late_share", q->baseline_auc_late_share, "");
    print_figure("auc_invoice_late_with_history",
                 q->auc_invoice_late_with_history, "");
    print_figure("baseline_auc_late_share_with_history",
                 q->baseline_auc_late_share_with_history, "");
    print_figure("hindsight_auc_late_share_with_history",
                 q->hindsight_auc_late_share_with_history, "");
    if (q->labels_scored) {
        print_figure("auc_label", q->auc_label, "");
        print_figure("baseline_auc_label", q->baseline_auc_label, "");
    }
    print_figure("alert_precision", q->alerts.precision, "");
    print_figure("alert_recall", q->alerts.recall, "");
    if (q->outcome == RS_OUTCOME_TRUTH)
        print_figure("alert_recall_any_level", q->alerts.recall_any_level,
                     "");
    print_figure("median_lead_time_days", q->alerts.median_lead_days, "");
    print_figure("alerts_per_100_customers_per_month",
                 q->alerts_per_100_customers_per_month, "");
    if (q->outcome == RS_OUTCOME_TRUTH)
        print_figure("false_alerts_none_per_100_per_year",
                     q->false_alerts_none_per_100_per_year, "");
    if (q->outcome == RS_OUTCOME_TRUTH)
        print_figure("false_any_level_per_100_per_year",
                     q->false_any_level_none_per_100_per_year, "");
    for (size_t i = 0; i < bt->kept_count && i < 10; i++)
        fprintf(stderr, "riskstream backtest: dead letter: record %" PRIu64
                        " (partition %d offset %" PRId64 ", key '%s'): %s: "
                        "%s\n",
                bt->kept[i].index, (int)bt->kept[i].partition,
                bt->kept[i].offset, bt->kept[i].key,
                rs_error_class_name(bt->kept[i].error_class), bt->kept[i].why);
    if (bt->deadletter_count > 10)
        fprintf(stderr, "riskstream backtest: ... %" PRIu64 " dead letters in "
                        "all, see %s/deadletters.jsonl\n",
                bt->deadletter_count, dir);
    printf("report: %s/index.html\n", dir);
}

int rs_cmd_backtest(int argc, char **argv)
{
    struct rs_config *conf = rs_config_new();
    struct args a;
    struct rs_quality_truth *truth = NULL;
    struct rs_quality_label *labels = NULL;
    long truth_count = 0, label_count = 0;
    struct rs_backtest_options opt;
    struct rs_backtest *bt = NULL;
    struct rs_backtest_quality q;
    struct rs_report_options ropt;
    char errstr[1024], imported[4096];
    int rc;

    memset(&a, 0, sizeof(a));
    a.until = RS_BACKTEST_UNTIL_DATA_END;
    a.timelines = 4;
    memset(&opt, 0, sizeof(opt));
    rc = parse_args(argc, argv, conf, &a);
    if (rc) {
        rs_config_destroy(conf);
        return rc < 0 ? 0 : rc;
    }
    rc = 1;
    if (a.truth) {
        truth_count = rs_quality_truth_load(a.truth, &truth, errstr,
                                            sizeof(errstr));
        if (truth_count < 0)
            goto fail;
    }
    if (a.labels) {
        label_count = rs_quality_labels_load(a.labels, &labels, errstr,
                                             sizeof(errstr));
        if (label_count < 0)
            goto fail;
    }
    if (mkdir(a.report, 0777) && errno != EEXIST) {
        snprintf(errstr, sizeof(errstr), "cannot create the report "
                                         "directory '%s': %s",
                 a.report, strerror(errno));
        goto fail;
    }
    if (a.csv) {
        snprintf(imported, sizeof(imported), "%s/events.rsev", a.report);
        if (import_csv(&a, conf, imported, errstr, sizeof(errstr)))
            goto fail;
        a.events = imported;
    }
    opt.conf = conf;
    opt.events_path = a.events;
    opt.partitions = a.partitions;
    opt.late_days = a.late_days;
    opt.until = a.until;
    opt.labels = labels;
    opt.label_count = (size_t)label_count;
    if (!(opt.alerts_out = open_in(a.report, "alerts.jsonl", errstr,
                                   sizeof(errstr))) ||
        !(opt.deadletters_out = open_in(a.report, "deadletters.jsonl", errstr,
                                        sizeof(errstr))))
        goto fail;
    bt = rs_backtest_new(&opt, errstr, sizeof(errstr));
    if (!bt || rs_backtest_run(bt, errstr, sizeof(errstr)))
        goto fail;
    if (fflush(opt.alerts_out) || ferror(opt.alerts_out) ||
        fflush(opt.deadletters_out) || ferror(opt.deadletters_out)) {
        snprintf(errstr, sizeof(errstr), "cannot write the alerts or dead "
                                         "letters in '%s': %s",
                 a.report, strerror(errno));
        goto fail;
    }
    rs_backtest_quality(bt, truth, (size_t)truth_count, &q);
    memset(&ropt, 0, sizeof(ropt));
    ropt.dir = a.report;
    ropt.title = a.events;
    ropt.customers = a.customers;
    ropt.customer_count = a.customer_count;
    ropt.auto_timelines = a.timelines;
    if (rs_report_write(bt, &q, &ropt, errstr, sizeof(errstr)))
        goto fail;
    summary(bt, &q, a.report);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "riskstream backtest: %s\n", errstr);
out:
    rs_backtest_destroy(bt);
    if (opt.alerts_out)
        fclose(opt.alerts_out);
    if (opt.deadletters_out)
        fclose(opt.deadletters_out);
    free(truth);
    free(labels);
    rs_config_destroy(conf);
    return rc;
}
