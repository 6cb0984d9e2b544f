/* riskstream: command line parsing and wiring; the work is in the library. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "riskstream/config.h"
#include "riskstream/log.h"
#include "riskstream/mem.h"
#include "riskstream/registry.h"
#include "riskstream/runner.h"
#include "riskstream/tools.h"
#include "riskstream/version.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: riskstream [--help] [--version] COMMAND [OPTIONS]\n"
    "\n"
    "riskstream reads invoices, payments, credit-bureau events and dunning\n"
    "communications from Kafka and warns, in real time, when a B2B customer\n"
    "is about to stop paying.\n"
    "\n"
    "commands:\n"
    "  run         run the stream processor until SIGTERM or SIGINT\n"
    "  topics      create the configured topics (existing ones are checked)\n"
    "  sample      produce the built-in sample events to the input topics\n"
    "  tail        print the records of topics as JSON lines\n"
    "  state       print customers' state from Redis as JSON lines:\n"
    "              riskstream state [OPTIONS] CUSTOMER...\n"
    "  config-doc  print the configuration reference (docs/configuration.md)\n"
    "\n"
    "options of run, topics, sample, tail and state:\n"
    "  -c, --config FILE     read settings from FILE (key = value lines)\n"
    "  -s, --set KEY=VALUE   override one setting (repeatable)\n"
    "options of tail:\n"
    "  -t, --topic NAME      topic to print (repeatable; default: all six)\n"
    "  -n, --max N           stop after N records (default: no limit)\n"
    "  -i, --idle-ms MS      stop when nothing came for MS (default 3000)\n"
    "\n"
    "run stops cleanly on SIGTERM or SIGINT and reloads its configuration\n"
    "on SIGHUP. exit status: 0 ok, 1 failure (state: also a customer not\n"
    "in Redis), 2 usage error.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                               ...)
{
    va_list ap;

    fputs("riskstream: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see riskstream --help)\n", stderr);
    return EXIT_USAGE;
}

/* Options common to the commands, parsed into a config. */
struct cli {
    struct rs_config *conf;
    /* The sources of conf, in order, for a reload: ("config", path) or
     * ("set", "key=value"). */
    const char *source_kind[64];
    const char *source[64];
    size_t source_count;
    const char *topics[16];
    size_t topic_count;
    long max;
    int idle_ms;
    /* The arguments after the options (state's customer ids). */
    const char *const *args;
    size_t arg_count;
};

static int parse_command_options(int argc, char **argv, struct cli *cli,
                                 int takes_args)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"topic", required_argument, NULL, 't'},
        {"max", required_argument, NULL, 'n'},
        {"idle-ms", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    char errstr[512];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":c:s:t:n:i:", opts, NULL)) != -1) {
        char *end, *eq;

        switch (c) {
        case 'c':
            if (cli->source_count < 64) {
                cli->source_kind[cli->source_count] = "config";
                cli->source[cli->source_count++] = optarg;
            }
            if (rs_config_load_file(cli->conf, optarg, errstr,
                                    sizeof(errstr))) {
                fprintf(stderr, "riskstream: %s\n", errstr);
                return 1;
            }
            break;
        case 's':
            eq = strchr(optarg, '=');
            if (!eq)
                return usage_error("--set wants KEY=VALUE, got '%s'", optarg);
            if (cli->source_count < 64) {
                cli->source_kind[cli->source_count] = "set";
                cli->source[cli->source_count++] = rs_strdup(optarg);
            }
            *eq = '\0';
            if (rs_config_set(cli->conf, optarg, eq + 1, errstr,
                              sizeof(errstr))) {
                fprintf(stderr, "riskstream: %s\n", errstr);
                return 1;
            }
            break;
        case 't':
            if (cli->topic_count == sizeof(cli->topics) / sizeof(*cli->topics))
                return usage_error("too many --topic options at '%s'", optarg);
            cli->topics[cli->topic_count++] = optarg;
            break;
        case 'n':
            cli->max = strtol(optarg, &end, 10);
            if (*end || cli->max < 0)
                return usage_error("--max wants a count, got '%s'", optarg);
            break;
        case 'i':
            cli->idle_ms = (int)strtol(optarg, &end, 10);
            if (*end || cli->idle_ms <= 0)
                return usage_error("--idle-ms wants milliseconds, got '%s'",
                                   optarg);
            break;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc && !takes_args)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (takes_args && optind == argc)
        return usage_error("%s wants at least one customer id", argv[0]);
    cli->args = (const char *const *)argv + optind;
    cli->arg_count = (size_t)(argc - optind);
    rs_log_threshold = (enum rs_log_level)cli->conf->log_level;
    return 0;
}

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

/* Reads the configuration again from the same file(s) and --set options. */
static struct rs_config *reload_config(void *opaque, char *errstr,
                                       size_t errstr_size)
{
    const struct cli *cli = opaque;
    struct rs_config *conf = rs_config_new();

    for (size_t i = 0; i < cli->source_count; i++) {
        int rc;

        if (strcmp(cli->source_kind[i], "config") == 0) {
            rc = rs_config_load_file(conf, cli->source[i], errstr,
                                     errstr_size);
        } else {
            char *kv = rs_strdup(cli->source[i]);
            char *eq = strchr(kv, '=');

            *eq = '\0';
            rc = rs_config_set(conf, kv, eq + 1, errstr, errstr_size);
            free(kv);
        }
        if (rc) {
            rs_config_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static int run_daemon(struct cli *cli)
{
    char errstr[1024];
    struct rs_runner *r;
    struct sigaction sa;
    int rc;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    r = rs_runner_new(cli->conf, errstr, sizeof(errstr));
    if (!r) {
        fprintf(stderr, "riskstream run: %s\n", errstr);
        return 1;
    }
    {
        struct rs_runner_signals sig = {&stop_requested, &reload_requested,
                                        reload_config, cli};

        rc = rs_runner_run(r, &sig, errstr, sizeof(errstr));
    }
    if (rc)
        fprintf(stderr, "riskstream run: %s\n", errstr);
    rs_runner_destroy(r);
    return rc ? 1 : 0;
}

static int run_command(const char *cmd, struct cli *cli)
{
    char errstr[1024];
    struct rs_registry *reg = NULL;
    int rc = 1;

    if (strcmp(cmd, "run") == 0)
        return run_daemon(cli);
    if (strcmp(cmd, "topics") == 0) {
        if (rs_tools_topics(cli->conf, errstr, sizeof(errstr)))
            goto fail;
        printf("topics ready: %s %s %s %s %s %s (%lld partitions)\n",
               cli->conf->topic_invoices, cli->conf->topic_payments,
               cli->conf->topic_bureau, cli->conf->topic_communications,
               cli->conf->topic_alerts, cli->conf->topic_deadletter,
               cli->conf->topic_partitions);
        return 0;
    }
    if (strcmp(cmd, "state") == 0) {
        size_t missing;

        if (rs_tools_state(cli->conf, 0, cli->args, cli->arg_count, stdout,
                           &missing, errstr, sizeof(errstr)))
            goto fail;
        return missing ? 1 : 0;
    }
    reg = rs_registry_load(cli->conf->schema_dir, errstr, sizeof(errstr));
    if (!reg)
        goto fail;
    if (strcmp(cmd, "sample") == 0) {
        size_t produced;

        if (rs_tools_sample(cli->conf, reg, &produced, errstr, sizeof(errstr)))
            goto fail;
        printf("produced %zu sample events\n", produced);
        rc = 0;
    } else {
        const char *all[] = {cli->conf->topic_invoices,
                             cli->conf->topic_payments,
                             cli->conf->topic_bureau,
                             cli->conf->topic_communications,
                             cli->conf->topic_alerts,
                             cli->conf->topic_deadletter};
        size_t printed, bad;
        int own = cli->topic_count > 0;

        if (rs_tools_tail(cli->conf, reg, own ? cli->topics : all,
                          own ? cli->topic_count : sizeof(all) / sizeof(*all),
                          cli->max, cli->idle_ms, stdout, &printed, &bad,
                          errstr, sizeof(errstr)))
            goto fail;
        fprintf(stderr, "riskstream: printed %zu records, %zu undecodable\n",
                printed, bad);
        rc = 0;
    }
    rs_registry_destroy(reg);
    return rc;
fail:
    fprintf(stderr, "riskstream %s: %s\n", cmd, errstr);
    rs_registry_destroy(reg);
    return 1;
}

int main(int argc, char **argv)
{
    static const char *const commands[] = {"run",  "topics", "sample",
                                           "tail", "state",  NULL};
    struct cli cli;
    const char *cmd;
    int rc;

    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        if (rs_commands[0].name)
            fputs("\nmore commands (each takes --help):\n", stdout);
        for (const struct rs_command *c = rs_commands; c->name; c++)
            printf("  %-11s %s\n", c->name, c->summary);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("riskstream %s\n", RS_VERSION_STRING);
        return 0;
    }
    if (argv[1][0] == '-')
        return usage_error("unknown option '%s'", argv[1]);
    cmd = argv[1];
    if (strcmp(cmd, "config-doc") == 0) {
        if (argc > 2)
            return usage_error("config-doc takes no argument, got '%s'",
                               argv[2]);
        rs_config_write_doc(stdout);
        return 0;
    }
    for (const struct rs_command *c = rs_commands; c->name; c++)
        if (strcmp(c->name, cmd) == 0)
            return c->main(argc - 1, argv + 1);
    for (rc = 0; commands[rc] && strcmp(commands[rc], cmd) != 0; rc++)
        ;
    if (!commands[rc])
        return usage_error("unknown command '%s'", cmd);

    memset(&cli, 0, sizeof(cli));
    cli.conf = rs_config_new();
    cli.max = -1;
    cli.idle_ms = 3000;
    rc = parse_command_options(argc - 1, argv + 1, &cli,
                               strcmp(cmd, "state") == 0);
    if (rc == 0)
        rc = run_command(cmd, &cli);
    rs_config_destroy(cli.conf);
    for (size_t i = 0; i < cli.source_count; i++)
        if (strcmp(cli.source_kind[i], "set") == 0)
            free((char *)(uintptr_t)cli.source[i]);
    return rc;
}
