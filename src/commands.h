/* Subcommands that parse their own options, one file each (src/cmd_*.c).
 *
 * Each takes argc/argv starting at its own name (argv[0] is the command),
 * prints its errors to stderr naming the thing and the reason, and returns
 * the process exit code: 0 success, 1 failure, 2 usage error. */
#ifndef RS_COMMANDS_H
#define RS_COMMANDS_H

struct rs_command {
    const char *name;
    const char *summary; /* one line for `riskstream --help` */
    int (*main)(int argc, char **argv);
};

/* The table, ended by an entry whose name is NULL (commands.c). */
extern const struct rs_command rs_commands[];

int rs_cmd_backtest(int argc, char **argv);
int rs_cmd_import(int argc, char **argv);      /* cmd_import.c */
int rs_cmd_convert_uci(int argc, char **argv); /* cmd_import.c */
int rs_cmd_produce(int argc, char **argv);     /* cmd_produce.c */
int rs_cmd_gen(int argc, char **argv);

#endif
