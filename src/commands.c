/* The table of self-contained subcommands; main.c dispatches through it. */
#include "commands.h"

#include <stddef.h>

const struct rs_command rs_commands[] = {
    {"backtest", "replay an event file through the engine; report quality", rs_cmd_backtest},
    /* commands: end */
    {NULL, NULL, NULL},
};
