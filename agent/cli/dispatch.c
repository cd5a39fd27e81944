/* From a parsed command line to the command that runs it. */
#include "agent/cli/cli.h"
#include "agent/cli/commands.h"

static int (*const handlers[])(struct run *r) = {
	[CMD_CHECK] = cmd_check,
	[CMD_SYNC] = cmd_sync,
	[CMD_APPLY] = cmd_apply,
	[CMD_ENABLE] = cmd_admin,
	[CMD_DISABLE] = cmd_admin,
	[CMD_RESET_PASSWORDS] = cmd_admin,
	[CMD_NOTIFY] = cmd_admin,
	[CMD_JOBS] = cmd_jobs,
	[CMD_SERVE] = cmd_serve,
};

int run_command(const struct options *opt)
{
	struct run r;
	int rc;

	run_init(&r, opt);
	/* jobs needs only the state directory; --state-dir spares the config. */
	rc = opt->cmd == CMD_JOBS && opt->state_dir ? 0 : run_load_config(&r);
	if (rc == 0) {
		if ((size_t)opt->cmd < sizeof handlers / sizeof *handlers && handlers[opt->cmd])
			rc = handlers[opt->cmd](&r);
		else
			rc = diag_set(&r.d, ST_INPUT, "the %s command is not available in this version",
				      command_name(opt->cmd));
	}
	if (rc < 0)
		run_log_error(&r);
	run_release(&r);
	return rc;
}
