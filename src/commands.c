/* The table of self-contained subcommands; main.c dispatches through it. */
#include "commands.h"

#include <stddef.h>

const struct rs_command rs_commands[] = {
    {"gen", "write a synthetic event file and its ground truth", rs_cmd_gen},
    /* commands: end */
    {NULL, NULL, NULL},
};
