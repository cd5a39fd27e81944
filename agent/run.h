/* Runs one command: loads the config, drives the stages (source, directory
 * read, plan, preview) and returns a status that main() turns into the exit
 * code. */
#ifndef LDAPENROLL_RUN_H
#define LDAPENROLL_RUN_H

#include "cli.h"

int run_command(const struct cli *cli);

#endif
