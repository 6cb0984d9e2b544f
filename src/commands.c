/* The table of self-contained subcommands; main.c dispatches through it. */
#include "commands.h"

#include <stddef.h>

const struct rs_command rs_commands[] = {
    /* commands: end */
    {NULL, NULL, NULL},
};
