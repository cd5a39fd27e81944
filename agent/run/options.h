/* What a run was asked to do: the command and its options, as the command
 * line gave them (agent/cli/cli.c parses them). No option ever holds a
 * secret. */
#ifndef LDAPENROLL_OPTIONS_H
#define LDAPENROLL_OPTIONS_H

#include "agent/base/log.h"

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
	CMD_SERVE,
};

enum out_format { OUT_TEXT, OUT_JSON, OUT_LDIF, OUT_CSV };

struct options {
	const char *config;       /* -c; NULL: the default search path */
	int verbosity;            /* -1 (-q), 0, 1 (-v) or more */
	enum log_format log_format;
	const char *state_dir;    /* --state-dir; NULL: from the config */
	enum command cmd;
	int help;                 /* --help: print usage and exit 0 */
	/* command options */
	int apply;
	int check;                /* sync --check */
	int strict;               /* check, sync, apply: rejected rows fail the run */
	int summary;              /* --summary: the text's counts and what to act on only */
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
	int not_activated;        /* notify --not-activated: across jobs */
	long older_than_s;        /* notify --older-than PERIOD; -1 when not given */
	int manual;               /* jobs ID --manual */
	int prune;                /* jobs --prune */
	char cmd_line[48];        /* "sync --apply": how the run lock names its holder */
};

#endif
