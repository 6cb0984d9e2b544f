/* The table of self-contained subcommands; main.c dispatches through it. */
#include "commands.h"

#include <stddef.h>

const struct rs_command rs_commands[] = {
    {"backtest", "replay an event file through the engine; report quality", rs_cmd_backtest},
    {"import", "turn a CSV export of invoices into an event file", rs_cmd_import},
    {"convert-uci", "turn the UCI credit-card data into events and labels", rs_cmd_convert_uci},
    {"produce", "produce an event file's records to the input topics", rs_cmd_produce},
    {"gen", "write a synthetic event file and its ground truth", rs_cmd_gen},
    /* commands: end */
    {NULL, NULL, NULL},
};
