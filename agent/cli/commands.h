/* agent/cli: the command line. It owns argv parsing (cli.c), the table of
 * commands (dispatch.c) and each command's own steps (cmd_*.c); it may use
 * agent/run and agent/web (serve) and, through them, every layer below. main.c is the only place
 * that calls exit().
 *
 * Each command runs on a struct run whose config is loaded (except `jobs
 * --state-dir DIR`), and returns 0, 1 (finished with something pending or
 * failed) or a negative status with the reason in r->d. */
#ifndef LDAPENROLL_COMMANDS_H
#define LDAPENROLL_COMMANDS_H

#include "agent/run/options.h"
#include "agent/run/run.h"

int cmd_check(struct run *r);
int cmd_sync(struct run *r);
int cmd_jobs(struct run *r);
/* serve: the set-password page (cmd_serve.c). */
int cmd_serve(struct run *r);
int cmd_admin(struct run *r);
int cmd_apply(struct run *r);

/* Runs the command opt names and returns its status. */
int run_command(const struct options *opt);

#endif
