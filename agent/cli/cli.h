/* The command line: global options, a command, its options. Parsing only;
 * run.c does the work. No option ever takes a secret. */
#ifndef LDAPENROLL_CLI_H
#define LDAPENROLL_CLI_H

#include <stdio.h>

#include "agent/base/diag.h"
#include "agent/base/log.h"
#include "agent/plan/plan_format.h"

enum command {
	CMD_NONE,
	CMD_CHECK,
	CMD_SYNC,
	CMD_APPLY,
	CMD_ENABLE,
	CMD_DISABLE,
	CMD_RESET_PASSWORDS,
	CMD_NOTIFY,
	CMD_JOBS,
};

enum out_format { OUT_TEXT, OUT_JSON, OUT_LDIF, OUT_CSV };

struct cli {
	const char *config;       /* -c; NULL: the default search path */
	int verbosity;            /* -1 (-q), 0, 1 (-v) or more */
	enum log_format log_format;
	const char *state_dir;    /* --state-dir; NULL: from the config */
	enum command cmd;
	int help;                 /* --help: print usage and exit 0 */
	/* command options */
	int apply;
	int check;                /* sync --check */
	int connect;              /* check --connect */
	enum out_format format;
	int format_set;
	const char *output;       /* --output FILE */
	long force_limits;        /* --force-limits N; -1 when not given */
	const char *plan_file;    /* apply PLAN.json */
	const char *users;        /* --users FILE */
	const char *scope;        /* reset-passwords --scope */
	const char *password_file; /* reset-passwords --password-file */
	const char *job;          /* notify --job / jobs ID */
	int all;                  /* notify --all */
	int manual;               /* jobs ID --manual */
};

/* Parses argv. Returns 0, or ST_INPUT with the reason in d. */
int cli_parse(int argc, char **argv, struct cli *out, struct diag *d);

/* Usage of the whole program (CMD_NONE) or of one command. */
void cli_usage(FILE *f, enum command cmd);

const char *command_name(enum command cmd);

#endif
