/* The command line: global options, a command, its options. Parsing only;
 * run.c does the work. No option ever takes a secret. */
#ifndef LDAPENROLL_CLI_H
#define LDAPENROLL_CLI_H

#include <stdio.h>

#include "agent/base/diag.h"
#include "agent/run/options.h"

/* Parses argv. Returns 0, or ST_INPUT with the reason in d. */
int cli_parse(int argc, char **argv, struct options *out, struct diag *d);

/* Usage of the whole program (CMD_NONE) or of one command. */
void cli_usage(FILE *f, enum command cmd);

const char *command_name(enum command cmd);

#endif
