/* argv -> command -> exit code. The only place that calls exit(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "connectors/smtp.h"
#include "agent/cli/cli.h"
#include "agent/base/diag.h"
#include "agent/base/log.h"
#include "agent/cli/commands.h"
#include "agent/base/secure.h"
#include "agent/base/testhook.h"

int main(int argc, char **argv)
{
	struct options opt;
	struct diag d;
	enum log_level level;
	int rc;

	/* A peer closing a socket must be an error to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	secure_process_init();
	diag_init(&d);
	log_setup(LOG_FORMAT_AUTO, LOG_INFO);
	if (cli_parse(argc, argv, &opt, &d) < 0) {
		log_error("%s", d.msg);
		exit(status_exit_code(d.status));
	}
	if (opt.help == 2) {
		printf("ldapenroll %s%s\n", LDAPENROLL_VERSION,
		       TESTHOOKS_BUILT ? " (test build: fault injection hooks compiled in)" : "");
		exit(0);
	}
	if (opt.help) {
		cli_usage(stdout, opt.cmd);
		exit(0);
	}
	level = opt.verbosity < 0 ? LOG_WARN : opt.verbosity > 0 ? LOG_DEBUG : LOG_INFO;
	log_setup(opt.log_format, level);
	smtp_global_init();
	rc = run_command(&opt);
	smtp_global_cleanup();
	if (fflush(stdout) != 0 && rc == 0)
		rc = ST_FAIL;
	exit(status_exit_code(rc));
}
