/* `riskstream import` and `riskstream convert-uci`: CSV in, event file out.
 *
 * Both commands share their options, the reporting of bad rows and the
 * --max-bad rule, so they live in one file: import reads any invoice
 * export through a mapping file, convert-uci reads the UCI credit-card
 * layout with fixed rules and also writes the default labels. Bad rows go
 * to stderr as `FILE:LINE: reason` (and all of them to --errors FILE; then
 * stderr shows the first few). When more rows are bad than --max-bad
 * allows, nothing is written and the exit status is 1. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "riskstream/config.h"
#include "riskstream/evbatch.h"
#include "riskstream/import.h"

#define STDERR_BAD_MAX 10 /* bad rows echoed to stderr with --errors */

static const char import_usage[] =
    "usage: riskstream import --mapping MAP --csv FILE --out EVENTS.rsev\n"
    "                         [--errors FILE] [--max-bad N] [--schemas DIR]\n"
    "\n"
    "Turns a CSV export of invoices into riskstream events: per row the\n"
    "invoice issued, its payment when settled, and an inferred dispute when\n"
    "the row is flagged disputed. MAP says which column holds what (see\n"
    "docs/import.md; tools/mappings/ has examples). Events are written in\n"
    "event-time order, Confluent-framed with the newest schema ids of the\n"
    "schema directory, keyed by customer id.\n"
    "\n"
    "  -m, --mapping MAP    the mapping file (key = value lines)\n"
    "  -i, --csv FILE       the CSV export ('-': standard input)\n"
    "  -o, --out FILE       the event file to write ('-': standard output)\n"
    "  -e, --errors FILE    also write every bad row, one per line\n"
    "  -b, --max-bad N      bad rows tolerated (default 0); with more,\n"
    "                       nothing is written and the exit status is 1\n"
    "  -S, --schemas DIR    schema directory (default: schema.dir, 'schemas')\n"
    "\n"
    "Bad rows are reported as FILE:LINE: reason. The last line is\n"
    "`imported R rows into E events, B bad rows` (on stderr with --out -).\n"
    "exit status: 0 ok, 1 failure or too many bad rows, 2 usage error.\n";

static const char uci_usage[] =
    "usage: riskstream convert-uci --csv UCI_Credit_Card.csv --out EVENTS.rsev\n"
    "                              [--labels LABELS.csv] [--errors FILE]\n"
    "                              [--max-bad N] [--schemas DIR]\n"
    "\n"
    "Turns the UCI 'default of credit card clients' data (Taiwan, Apr-Sep\n"
    "2005) into riskstream events: per client a credit limit, six monthly\n"
    "statements, the payments on them, their lateness from the repayment\n"
    "status, and reminders or formal notices while payments are delayed\n"
    "(docs/import.md has the rules). --labels writes\n"
    "customer_id,label_time,label with the default flag, read at\n"
    RS_UCI_LABEL_TIME ".\n"
    "\n"
    "  -i, --csv FILE       the UCI CSV (Kaggle form, header row)\n"
    "  -o, --out FILE       the event file to write ('-': standard output)\n"
    "  -l, --labels FILE    the label CSV to write\n"
    "  -e, --errors FILE    also write every bad row, one per line\n"
    "  -b, --max-bad N      bad rows tolerated (default 0)\n"
    "  -S, --schemas DIR    schema directory (default: schema.dir, 'schemas')\n"
    "\n"
    "exit status: 0 ok, 1 failure or too many bad rows, 2 usage error.\n";

struct opts {
    const char *cmd;
    const char *mapping, *csv, *out, *errors, *labels, *schemas;
    long max_bad;
};

struct reporter {
    const char *csv;
    FILE *errors;
    uint64_t shown;
};

static void on_bad(void *opaque, uint64_t line, const char *reason)
{
    struct reporter *r = opaque;

    if (r->errors)
        fprintf(r->errors, "%s:%llu: %s\n", r->csv, (unsigned long long)line,
                reason);
    if (!r->errors || r->shown < STDERR_BAD_MAX)
        fprintf(stderr, "%s:%llu: %s\n", r->csv, (unsigned long long)line,
                reason);
    r->shown++;
}

static int usage_error(const struct opts *o, const char *what,
                       const char *arg)
{
    fprintf(stderr, "riskstream %s: %s%s%s%s (see riskstream %s --help)\n",
            o->cmd, what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "",
            o->cmd);
    return 2;
}

/* Parses the options; returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct opts *o, int uci)
{
    static const struct option longs[] = {
        {"mapping", required_argument, NULL, 'm'},
        {"csv", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},
        {"errors", required_argument, NULL, 'e'},
        {"labels", required_argument, NULL, 'l'},
        {"max-bad", required_argument, NULL, 'b'},
        {"schemas", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:i:o:e:l:b:S:h", longs, NULL)) !=
           -1) {
        char *end;

        switch (c) {
        case 'm':
            if (uci)
                return usage_error(o, "unknown option", "--mapping");
            o->mapping = optarg;
            break;
        case 'i':
            o->csv = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'e':
            o->errors = optarg;
            break;
        case 'l':
            if (!uci)
                return usage_error(o, "unknown option", "--labels");
            o->labels = optarg;
            break;
        case 'b':
            o->max_bad = strtol(optarg, &end, 10);
            if (!*optarg || *end || o->max_bad < 0)
                return usage_error(o, "--max-bad wants a count, got", optarg);
            break;
        case 'S':
            o->schemas = optarg;
            break;
        case 'h':
            fputs(uci ? uci_usage : import_usage, stdout);
            return 0;
        case ':':
            return usage_error(o, "option needs a value:", argv[optind - 1]);
        default:
            return usage_error(o, "unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error(o, "unexpected argument", argv[optind]);
    if (!uci && !o->mapping)
        return usage_error(o, "--mapping is required", NULL);
    if (!o->csv)
        return usage_error(o, "--csv is required", NULL);
    if (!o->out)
        return usage_error(o, "--out is required", NULL);
    return -1;
}

static int run(int argc, char **argv, int uci)
{
    struct opts o = {.cmd = argv[0]};
    struct rs_config *conf = rs_config_new();
    struct rs_import_mapping *map = NULL;
    struct rs_evbatch *batch = NULL;
    struct rs_import_stats st;
    struct reporter rep = {NULL, NULL, 0};
    FILE *labels = NULL, *summary;
    char errstr[1024];
    int rc, read_rc;

    memset(&st, 0, sizeof(st));
    rc = parse(argc, argv, &o, uci);
    if (rc >= 0)
        goto out;
    rc = 1;
    rep.csv = o.csv;
    if (!o.schemas)
        o.schemas = conf->schema_dir;
    if (!uci) {
        map = rs_import_mapping_load(o.mapping, errstr, sizeof(errstr));
        if (!map)
            goto fail;
    }
    batch = rs_evbatch_new(o.schemas, errstr, sizeof(errstr));
    if (!batch)
        goto fail;
    if (o.errors) {
        rep.errors = fopen(o.errors, "w");
        if (!rep.errors) {
            snprintf(errstr, sizeof(errstr), "cannot create '%s': %s",
                     o.errors, strerror(errno));
            goto fail;
        }
    }
    if (o.labels) {
        labels = fopen(o.labels, "w");
        if (!labels) {
            snprintf(errstr, sizeof(errstr), "cannot create '%s': %s",
                     o.labels, strerror(errno));
            goto fail;
        }
    }
    read_rc = uci ? rs_import_uci(o.csv, batch, labels, on_bad, &rep, &st,
                                  errstr, sizeof(errstr))
                  : rs_import_csv(map, o.csv, batch, on_bad, &rep, &st,
                                  errstr, sizeof(errstr));
    if (read_rc)
        goto fail;
    if (rep.errors && rep.shown > STDERR_BAD_MAX)
        fprintf(stderr, "... and %llu more bad rows in '%s'\n",
                (unsigned long long)(rep.shown - STDERR_BAD_MAX), o.errors);
    /* With --out - the events are on stdout: the summary goes aside. */
    summary = strcmp(o.out, "-") == 0 ? stderr : stdout;
    if (st.bad > (uint64_t)o.max_bad) {
        fprintf(summary, "imported %llu rows into %llu events, %llu bad rows\n",
               (unsigned long long)st.rows, (unsigned long long)st.events,
               (unsigned long long)st.bad);
        snprintf(errstr, sizeof(errstr),
                 "%llu bad rows are more than --max-bad %ld allows; '%s' "
                 "not written",
                 (unsigned long long)st.bad, o.max_bad, o.out);
        if (labels) {
            fclose(labels);
            labels = NULL;
            unlink(o.labels);
        }
        goto fail;
    }
    if (rs_evbatch_write(batch, o.out, errstr, sizeof(errstr)))
        goto fail;
    if (labels) {
        int bad = ferror(labels);

        bad |= fclose(labels) != 0;
        labels = NULL;
        if (bad) {
            snprintf(errstr, sizeof(errstr), "cannot write '%s'", o.labels);
            goto fail;
        }
    }
    fprintf(summary, "imported %llu rows into %llu events, %llu bad rows\n",
            (unsigned long long)st.rows, (unsigned long long)st.events,
            (unsigned long long)st.bad);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "riskstream %s: %s\n", o.cmd, errstr);
out:
    if (labels)
        fclose(labels);
    if (rep.errors)
        fclose(rep.errors);
    rs_evbatch_destroy(batch);
    rs_import_mapping_destroy(map);
    rs_config_destroy(conf);
    return rc;
}

int rs_cmd_import(int argc, char **argv)
{
    return run(argc, argv, 0);
}

int rs_cmd_convert_uci(int argc, char **argv)
{
    return run(argc, argv, 1);
}
