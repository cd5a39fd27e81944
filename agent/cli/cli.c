#include "agent/cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum command cmd;
} commands[] = {
	{"check", CMD_CHECK},
	{"sync", CMD_SYNC},
	{"apply", CMD_APPLY},
	{"enable", CMD_ENABLE},
	{"disable", CMD_DISABLE},
	{"reset-passwords", CMD_RESET_PASSWORDS},
	{"notify", CMD_NOTIFY},
	{"jobs", CMD_JOBS},
	{"serve", CMD_SERVE},
};

const char *command_name(enum command cmd)
{
	size_t i;

	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "ldapenroll";
}

static const char exit_codes[] =
	"Exit codes:\n"
	"  0  success; a preview finished; nothing failed\n"
	"  1  --check found pending changes (people waiting for messages included), or\n"
	"     the run finished but some directory actions or messages failed (see the\n"
	"     job); rejected rows alone are a warning (--strict makes them exit 1)\n"
	"  2  usage, config or input-file error; nothing was changed\n"
	"  3  the directory or mail server could not be reached, bound or trusted;\n"
	"     nothing changed after the failure point\n"
	"  4  a safety limit stopped the run before its first change\n"
	"  5  another run holds the lock\n"
	"  130, 143  interrupted by SIGINT or SIGTERM: in-flight work collected, the\n"
	"     job closed, who waits for messages recorded; sync --apply finishes it\n";

/* The options every command that can change something shares. */
#define JOB_OPTIONS                                                                            \
	"  --format F          text (default) or json (the plan, or with --apply the\n"          \
	"                      report)\n"                                                        \
	"  --summary           text: only the counts and what to act on (limits,\n"             \
	"                      rejected rows, people left disabled), not every action\n"       \
	"  --output FILE       write it to FILE (mode 0600) instead of standard output\n"        \
	"  --apply             make the changes (and send the messages) as a job\n"
#define USERS_OPTION                                                                           \
	"  --users FILE        a CSV whose header names the source key column, or one\n"        \
	"                      key per line\n"

static const char *const command_help[] = {
	[CMD_CHECK] =
		"Usage: ldapenroll [global options] check [--connect] [--strict]\n"
		"\n"
		"Validates the config and the message templates, and reads a CSV source to\n"
		"report the rows that would be rejected. Changes nothing and contacts no\n"
		"server unless --connect is given.\n"
		"\n"
		"  --connect   also bind to the directory and check the base, the password\n"
		"              policy (pwdMustChange) and the role container, and prove the\n"
		"              mail path (EHLO, STARTTLS, AUTH) without sending anything\n"
		"  --strict    exit 1 when any row would be rejected\n",
	[CMD_SYNC] =
		"Usage: ldapenroll [global options] sync [--apply] [--check] [--format F]\n"
		"                  [--summary] [--output FILE] [--force-limits N] [--strict]\n"
		"\n"
		"Reads the source and the directory, computes the plan and prints it. With\n"
		"--apply the plan is executed as a job and the messages are sent.\n"
		"\n"
		"  --format F          text (default), json (the versioned plan, which apply\n"
		"                      reads back) or ldif (the changes, passwords left out)\n"
		"  --summary           text: only the counts and what to act on (limits,\n"
		"                      rejected rows, people left disabled), not every action\n"
		"  --output FILE       write the plan or report to FILE (mode 0600)\n"
		"  --check             exit 1 when changes are pending (for monitoring)\n"
		"  --apply             execute the plan and send the notifications\n"
		"  --force-limits N    go past a safety limit when the plan disables and\n"
		"                      creates at most N people\n"
		"  --strict            exit 1 when rows were rejected (a warning otherwise)\n",
	[CMD_APPLY] =
		"Usage: ldapenroll [global options] apply PLAN.json [--apply] [--format F]\n"
		"                  [--summary] [--output FILE] [--force-limits N] [--strict]\n"
		"\n"
		"Executes exactly a plan saved with sync --format json --output PLAN.json.\n"
		"A plan made with another config is refused. An action whose precondition no\n"
		"longer holds (the entry changed since planning) is refused and reported.\n"
		"Without --apply, shows what would be done and refused.\n"
		"\n"
		JOB_OPTIONS
		"  --force-limits N    go past a safety limit when the plan disables and\n"
		"                      creates at most N people\n"
		"  --strict            exit 1 when the plan holds rejected rows\n",
	[CMD_ENABLE] =
		"Usage: ldapenroll [global options] enable --users FILE [--apply] [--format F]\n"
		"                  [--output FILE]\n"
		"\n"
		"Enables the listed people: removes the lock, sets a fresh temporary password\n"
		"(must be changed at first login) and sends the configured messages. FILE is\n"
		"a CSV whose header names the source key column, or one key per line. Listed\n"
		"people who are not in the directory are reported; so are those the next\n"
		"sync would disable again (inactive in, or absent from, the source).\n"
		"\n"
		USERS_OPTION JOB_OPTIONS,
	[CMD_DISABLE] =
		"Usage: ldapenroll [global options] disable --users FILE [--apply] [--format F]\n"
		"                  [--output FILE] [--force-limits N]\n"
		"\n"
		"Disables the listed people (pwdAccountLockedTime 000001010000Z). They stay\n"
		"disabled whatever the source says, until enable: sync re-enables only the\n"
		"people it disabled itself. FILE is as for enable. The safety limits apply.\n"
		"\n"
		USERS_OPTION JOB_OPTIONS
		"  --force-limits N    go past the safety limits when at most N people are\n"
		"                      disabled\n",
	[CMD_RESET_PASSWORDS] =
		"Usage: ldapenroll [global options] reset-passwords\n"
		"                  --scope all|all-except|without-role|selected\n"
		"                  [--users FILE] [--password-file FILE] [--apply] [--format F]\n"
		"                  [--output FILE] [--force-limits N]\n"
		"\n"
		"Resets passwords: all managed people, all but the listed (--users), those\n"
		"in no role group, or only the listed (--users). Each gets a generated\n"
		"temporary password and the password message; with --password-file (an\n"
		"owner-only file whose content, less a final newline, is the password,\n"
		"checked against passwords.policy) everyone gets that one and no message.\n"
		"Either way the password must be changed at first login.\n"
		"\n"
		"  --scope S           all, all-except (--users required), without-role, or\n"
		"                      selected (--users required)\n"
		USERS_OPTION
		"  --password-file F   one given password for everyone; no message is sent\n"
		"  --force-limits N    go past limits.max_reset and max_reset_percent when at\n"
		"                      most N passwords are reset\n"
		JOB_OPTIONS,
	[CMD_NOTIFY] =
		"Usage: ldapenroll [global options] notify --job ID [--all] [--apply]\n"
		"                  [--format F] [--output FILE] [--force-limits N]\n"
		"       ldapenroll [global options] notify --not-activated [--older-than PERIOD]\n"
		"                  [--apply] [--format F] [--output FILE] [--force-limits N]\n"
		"\n"
		"Sends the messages of an earlier job again, with a fresh temporary password\n"
		"(none is ever stored), to the people of that job who still hold a temporary\n"
		"password or whose messages failed or never went out; --all includes everyone\n"
		"of the job. With passwords.delivery: link the fresh password travels in a\n"
		"fresh link, and the older links stop working. The re-send is a job itself.\n"
		"\n"
		"  --job ID            the job to send again (see ldapenroll jobs)\n"
		"  --all               also the people who changed their password\n"
		"  --not-activated     across all jobs: everyone whose latest password (or\n"
		"                      link) is older than --older-than and still unchanged\n"
		"  --older-than P      a period such as 3d (s, m, h, d); default\n"
		"                      passwords.link_ttl (3d)\n"
		JOB_OPTIONS
		"  --force-limits N    go past limits.max_reset when at most N passwords are\n"
		"                      reset\n",
	[CMD_JOBS] =
		"Usage: ldapenroll [global options] jobs [ID] [--manual] [--format text|json|csv]\n"
		"       ldapenroll [global options] jobs --prune [--apply]\n"
		"\n"
		"Lists the jobs (newest first), or shows one: progress while it runs, counts,\n"
		"and what became of each person and message. --manual lists the people to\n"
		"tell by other means (no address, a message refused for good, or a password\n"
		"given with --password-file), with the server's reply and the next step.\n"
		"\n"
		"  --prune             the jobs older than state.keep_jobs (90d by default),\n"
		"                      except those whose people still wait for messages;\n"
		"                      with --apply they are deleted (every --apply run\n"
		"                      does that at its start)\n",
	[CMD_SERVE] =
		"Usage: ldapenroll [global options] serve\n"
		"\n"
		"Serves the set-password page that the links of passwords.delivery: link\n"
		"open, on serve.listen (127.0.0.1:8480 by default), until SIGINT or SIGTERM.\n"
		"Put it behind the site's HTTPS reverse proxy at passwords.link_url. Opening a\n"
		"link changes nothing; the form's POST binds as the person with the\n"
		"temporary password the link carries and changes it to the chosen one (RFC\n"
		"3062), so the directory's password policy judges it. serve needs no\n"
		"directory credential, only the link keys, and records each password set in\n"
		"the state directory (activations.jsonl) for jobs to show.\n",
};

void cli_usage(FILE *f, enum command cmd)
{
	if (cmd == CMD_NONE) {
		fputs("Usage: ldapenroll [-c FILE] [-v|-q] [--log-format text|logfmt|json] [--state-dir DIR]\n"
		      "                  COMMAND [ARGS]\n"
		      "\n"
		      "Keeps an LDAP portal directory in step with a CSV export or another directory:\n"
		      "creates and enables people, puts them in role groups, sets temporary passwords\n"
		      "that must be changed at first login, and emails them. Every command that\n"
		      "changes anything previews by default and changes nothing without --apply.\n"
		      "\n"
		      "Commands:\n"
		      "  check [--connect]            validate the config, templates and source\n"
		      "  sync [--apply] [--check]     make the directory match the source\n"
		      "  apply PLAN.json [--apply]    execute a saved plan exactly\n"
		      "  enable --users FILE          enable listed people (new password, messages)\n"
		      "  disable --users FILE         disable listed people\n"
		      "  reset-passwords --scope S    reset passwords (all, all-except, without-role,\n"
		      "                               selected; --password-file for a given one)\n"
		      "  notify --job ID [--all]      send a job's messages again\n"
		      "  notify --not-activated       send again to whoever has not set a password\n"
		      "  jobs [ID] [--manual]         list jobs, or show one\n"
		      "  serve                        the set-password page (passwords.delivery: link)\n"
		      "\n"
		      "Global options:\n"
		      "  -c, --config FILE      the config (default ./ldapenroll.yaml, then\n"
		      "                         /etc/ldapenroll/ldapenroll.yaml; - reads standard input)\n"
		      "  -v, --verbose          more log detail; -q, --quiet: warnings and errors only\n"
		      "      --log-format F     text (default on a terminal), logfmt (otherwise) or json\n"
		      "      --state-dir DIR    where jobs and the run lock live (overrides state_dir)\n"
		      "  -h, --help             this help; COMMAND --help for a command's options\n"
		      "  -V, --version          the version\n"
		      "\n"
		      "Logs go to standard error, results to standard output. No secret is ever\n"
		      "accepted on the command line. See ldapenroll(1) and ldapenroll.yaml(5).\n\n",
		      f);
	} else {
		fputs(command_help[cmd], f);
		fputs("\nGlobal options (-c, -v, -q, --log-format, --state-dir) may come before or\n"
		      "after the command. See ldapenroll --help.\n\n",
		      f);
	}
	fputs(exit_codes, f);
}

static int parse_format(const char *s, struct options *c, struct diag *d)
{
	static const char *const names[] = {"text", "json", "ldif", "csv"};
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			c->format = (enum out_format)i;
			c->format_set = 1;
			return 0;
		}
	return diag_set(d, ST_INPUT, "--format: '%s' is not one of text, json, ldif, csv", s);
}

static int parse_count(const char *s, long *out, struct diag *d)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return diag_set(d, ST_INPUT, "--force-limits: '%s' is not a count (a whole number, 0 or more)", s);
	*out = v;
	return 0;
}

/* --older-than: 3d, 12h, 90m, 600s. */
static int parse_period(const char *s, long *out, struct diag *d)
{
	static const struct {
		char unit;
		long s;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end;
	long v;
	size_t i;

	errno = 0;
	v = strtol(s, &end, 10);
	for (i = 0; !errno && end != s && v >= 0 && v <= 36500 * 24L && i < sizeof units / sizeof *units; i++)
		if (end[0] == units[i].unit && !end[1]) {
			*out = v * units[i].s;
			return 0;
		}
	return diag_set(d, ST_INPUT, "--older-than: '%s' is not a period such as 3d (units s, m, h, d)", s);
}

enum {
	OPT_LOG_FORMAT = 256,
	OPT_STATE_DIR,
	OPT_APPLY,
	OPT_CHECK,
	OPT_CONNECT,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_FORCE,
	OPT_USERS,
	OPT_SCOPE,
	OPT_PASSWORD_FILE,
	OPT_JOB,
	OPT_ALL,
	OPT_MANUAL,
	OPT_PRUNE,
	OPT_STRICT,
	OPT_SUMMARY,
	OPT_NOT_ACTIVATED,
	OPT_OLDER_THAN,
	OPT_HELP,
};

/* The global options; returns 1 when o was one of them, 0 when not, or a
 * negative status. They are accepted after the command name too. */
static int global_option(int o, struct options *c, struct diag *d)
{
	switch (o) {
	case 'c':
		c->config = optarg;
		return 1;
	case 'v':
		c->verbosity = c->verbosity < 0 ? 1 : c->verbosity + 1;
		return 1;
	case 'q':
		c->verbosity = -1;
		return 1;
	case OPT_LOG_FORMAT:
		if (strcmp(optarg, "text") == 0)
			c->log_format = LOG_FORMAT_TEXT;
		else if (strcmp(optarg, "logfmt") == 0)
			c->log_format = LOG_FORMAT_LOGFMT;
		else if (strcmp(optarg, "json") == 0)
			c->log_format = LOG_FORMAT_JSON;
		else
			return diag_set(d, ST_INPUT, "--log-format: '%s' is not one of text, logfmt, json", optarg);
		return 1;
	case OPT_STATE_DIR:
		c->state_dir = optarg;
		return 1;
	}
	return 0;
}

#define GLOBAL_OPTIONS                                                                             \
	{"config", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},             \
		{"quiet", no_argument, NULL, 'q'},                                                 \
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},                           \
		{"state-dir", required_argument, NULL, OPT_STATE_DIR}

static int parse_global(int argc, char **argv, struct options *c, struct diag *d)
{
	static const struct option opts[] = {
		GLOBAL_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int o, rc;

	/* "+" stops at the command: its options are parsed separately. */
	while ((o = getopt_long(argc, argv, "+:c:vqhV", opts, NULL)) != -1) {
		if ((rc = global_option(o, c, d)) != 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		switch (o) {
		case 'h':
			c->help = 1;
			return 0;
		case 'V':
			c->help = 2;
			return 0;
		case ':':
			return diag_set(d, ST_INPUT, "option %s needs a value", argv[optind - 1]);
		default:
			return diag_set(d, ST_INPUT, "unknown option %s (see ldapenroll --help)", argv[optind - 1]);
		}
	}
	return 0;
}

#define C(x) (1u << (x))

/* Which command takes which option. */
static const struct {
	int opt;
	unsigned commands;
} option_commands[] = {
	{OPT_APPLY, C(CMD_SYNC) | C(CMD_ENABLE) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS) | C(CMD_NOTIFY) | C(CMD_APPLY) |
			    C(CMD_JOBS)},
	{OPT_CHECK, C(CMD_SYNC)},
	{OPT_CONNECT, C(CMD_CHECK)},
	{OPT_FORMAT, C(CMD_SYNC) | C(CMD_APPLY) | C(CMD_ENABLE) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS) |
			     C(CMD_NOTIFY) | C(CMD_JOBS)},
	{OPT_OUTPUT, C(CMD_SYNC) | C(CMD_APPLY) | C(CMD_ENABLE) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS) |
			     C(CMD_NOTIFY)},
	{OPT_FORCE, C(CMD_SYNC) | C(CMD_APPLY) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS) | C(CMD_NOTIFY)},
	{OPT_USERS, C(CMD_ENABLE) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS)},
	{OPT_SCOPE, C(CMD_RESET_PASSWORDS)},
	{OPT_PASSWORD_FILE, C(CMD_RESET_PASSWORDS)},
	{OPT_JOB, C(CMD_NOTIFY)},
	{OPT_ALL, C(CMD_NOTIFY)},
	{OPT_NOT_ACTIVATED, C(CMD_NOTIFY)},
	{OPT_OLDER_THAN, C(CMD_NOTIFY)},
	{OPT_MANUAL, C(CMD_JOBS)},
	{OPT_PRUNE, C(CMD_JOBS)},
	{OPT_STRICT, C(CMD_CHECK) | C(CMD_SYNC) | C(CMD_APPLY)},
	{OPT_SUMMARY, C(CMD_SYNC) | C(CMD_APPLY) | C(CMD_ENABLE) | C(CMD_DISABLE) | C(CMD_RESET_PASSWORDS) |
			      C(CMD_NOTIFY)},
};

static int option_applies(int opt, enum command cmd)
{
	size_t i;

	for (i = 0; i < sizeof option_commands / sizeof *option_commands; i++)
		if (option_commands[i].opt == opt)
			return (option_commands[i].commands & C(cmd)) != 0;
	return 1;
}

/* The checks across options, once all are read. */
static int check_command(struct options *c, const char *name, struct diag *d)
{
	if (c->check && c->apply)
		return diag_set(d, ST_INPUT, "sync: --check and --apply cannot be combined");
	if (c->format == OUT_CSV && c->cmd != CMD_JOBS)
		return diag_set(d, ST_INPUT, "%s: --format csv is only for jobs", name);
	if (c->format == OUT_LDIF && c->cmd != CMD_SYNC)
		return diag_set(d, ST_INPUT, "%s: --format ldif is only for sync", name);
	if (c->summary && c->format != OUT_TEXT)
		return diag_set(d, ST_INPUT, "%s: --summary is a short form of the text format", name);
	if ((c->cmd == CMD_ENABLE || c->cmd == CMD_DISABLE) && !c->users)
		return diag_set(d, ST_INPUT, "%s: --users FILE is required (a CSV with the key column, or one key per line)",
				name);
	if (c->cmd == CMD_RESET_PASSWORDS) {
		int listed;
		if (!c->scope)
			return diag_set(d, ST_INPUT,
					"reset-passwords: --scope all|all-except|without-role|selected is required");
		if (strcmp(c->scope, "all") && strcmp(c->scope, "all-except") && strcmp(c->scope, "without-role") &&
		    strcmp(c->scope, "selected"))
			return diag_set(d, ST_INPUT,
					"reset-passwords: --scope '%s' is not one of all, all-except, without-role, selected",
					c->scope);
		listed = !strcmp(c->scope, "all-except") || !strcmp(c->scope, "selected");
		if (listed && !c->users)
			return diag_set(d, ST_INPUT, "reset-passwords: --scope %s needs --users FILE", c->scope);
		if (!listed && c->users)
			return diag_set(d, ST_INPUT, "reset-passwords: --scope %s takes no --users (it names nobody)",
					c->scope);
	}
	if (c->cmd == CMD_NOTIFY && !c->job && !c->not_activated)
		return diag_set(d, ST_INPUT, "notify: --job ID or --not-activated is required (see ldapenroll jobs)");
	if (c->cmd == CMD_NOTIFY && c->job && c->not_activated)
		return diag_set(d, ST_INPUT, "notify: --job and --not-activated cannot be combined");
	if (c->older_than_s >= 0 && !c->not_activated)
		return diag_set(d, ST_INPUT, "notify: --older-than goes with --not-activated");
	if (c->not_activated && c->all)
		return diag_set(d, ST_INPUT, "notify: --all goes with --job (--not-activated is who has not changed their password)");
	if (c->cmd == CMD_APPLY && !c->plan_file)
		return diag_set(d, ST_INPUT, "apply: the plan file is required (saved with sync --format json --output FILE)");
	if (c->manual && !c->job)
		return diag_set(d, ST_INPUT, "jobs: --manual needs a job id");
	if (c->prune && (c->job || c->manual))
		return diag_set(d, ST_INPUT, "jobs: --prune takes no job id and no --manual");
	if (c->cmd == CMD_JOBS && c->apply && !c->prune)
		return diag_set(d, ST_INPUT, "jobs: --apply goes with --prune (jobs changes nothing otherwise)");
	return 0;
}

static int parse_command(int argc, char **argv, struct options *c, struct diag *d)
{
	static const struct option opts[] = {
		GLOBAL_OPTIONS,
		{"apply", no_argument, NULL, OPT_APPLY},
		{"check", no_argument, NULL, OPT_CHECK},
		{"connect", no_argument, NULL, OPT_CONNECT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"force-limits", required_argument, NULL, OPT_FORCE},
		{"users", required_argument, NULL, OPT_USERS},
		{"scope", required_argument, NULL, OPT_SCOPE},
		{"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
		{"job", required_argument, NULL, OPT_JOB},
		{"all", no_argument, NULL, OPT_ALL},
		{"manual", no_argument, NULL, OPT_MANUAL},
		{"prune", no_argument, NULL, OPT_PRUNE},
		{"strict", no_argument, NULL, OPT_STRICT},
		{"summary", no_argument, NULL, OPT_SUMMARY},
		{"not-activated", no_argument, NULL, OPT_NOT_ACTIVATED},
		{"older-than", required_argument, NULL, OPT_OLDER_THAN},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *name = command_name(c->cmd);
	char opt[64];
	int o, rc, li = -1;

	while ((o = getopt_long(argc, argv, ":c:vqh", opts, &li)) != -1) {
		/* The option as typed, without its value. */
		if (li >= 0)
			snprintf(opt, sizeof opt, "--%s", opts[li].name);
		else
			snprintf(opt, sizeof opt, "%s", argv[optind - 1]);
		li = -1;
		if ((rc = global_option(o, c, d)) != 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if (o != ':' && o != '?' && !option_applies(o, c->cmd))
			return diag_set(d, ST_INPUT, "%s: option %s does not apply to this command", name, opt);
		switch (o) {
		case OPT_APPLY: c->apply = 1; break;
		case OPT_CHECK: c->check = 1; break;
		case OPT_CONNECT: c->connect = 1; break;
		case OPT_FORMAT:
			if ((rc = parse_format(optarg, c, d)) < 0)
				return rc;
			break;
		case OPT_OUTPUT: c->output = optarg; break;
		case OPT_FORCE:
			if ((rc = parse_count(optarg, &c->force_limits, d)) < 0)
				return rc;
			break;
		case OPT_USERS: c->users = optarg; break;
		case OPT_SCOPE: c->scope = optarg; break;
		case OPT_PASSWORD_FILE: c->password_file = optarg; break;
		case OPT_JOB: c->job = optarg; break;
		case OPT_ALL: c->all = 1; break;
		case OPT_MANUAL: c->manual = 1; break;
		case OPT_PRUNE: c->prune = 1; break;
		case OPT_STRICT: c->strict = 1; break;
		case OPT_SUMMARY: c->summary = 1; break;
		case OPT_NOT_ACTIVATED: c->not_activated = 1; break;
		case OPT_OLDER_THAN:
			if ((rc = parse_period(optarg, &c->older_than_s, d)) < 0)
				return rc;
			break;
		case OPT_HELP:
		case 'h':
			c->help = 1;
			return 0;
		case ':':
			return diag_set(d, ST_INPUT, "%s: option %s needs a value", name, argv[optind - 1]);
		default:
			return diag_set(d, ST_INPUT, "%s: unknown option %s (see ldapenroll %s --help)", name,
					argv[optind - 1], name);
		}
	}
	/* jobs [ID] and apply PLAN.json take one argument. */
	if (optind < argc && (c->cmd == CMD_JOBS || c->cmd == CMD_APPLY)) {
		if (c->cmd == CMD_JOBS)
			c->job = argv[optind++];
		else
			c->plan_file = argv[optind++];
	}
	if (optind < argc)
		return diag_set(d, ST_INPUT, "%s: unexpected argument '%s'", name, argv[optind]);
	return check_command(c, name, d);
}

int cli_parse(int argc, char **argv, struct options *c, struct diag *d)
{
	const char *name;
	size_t i;
	int rc;

	memset(c, 0, sizeof *c);
	c->force_limits = -1;
	c->older_than_s = -1;
	c->log_format = LOG_FORMAT_AUTO;
	opterr = 0;
	optind = 1;
	if ((rc = parse_global(argc, argv, c, d)) < 0 || c->help)
		return rc;
	if (optind >= argc)
		return diag_set(d, ST_INPUT, "no command given (see ldapenroll --help)");
	name = argv[optind];
	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(name, commands[i].name) == 0)
			c->cmd = commands[i].cmd;
	if (c->cmd == CMD_NONE)
		return diag_set(d, ST_INPUT, "unknown command '%s' (see ldapenroll --help)", name);
	/* The command's own options start after its name. */
	argc -= optind;
	argv += optind;
	/* 0, not 1: glibc then resets its scanning state for the new vector. */
	optind = 0;
	if ((rc = parse_command(argc, argv, c, d)) < 0)
		return rc;
	snprintf(c->cmd_line, sizeof c->cmd_line, "%s%s", name, c->apply ? " --apply" : "");
	return 0;
}
