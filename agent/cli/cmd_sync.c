/* sync: make the directory match the source. Without --apply it prints the
 * plan and changes nothing; with --apply it runs the plan as a job. */
#include "agent/base/log.h"
#include "agent/cli/commands.h"

int cmd_sync(struct run *r)
{
	int rc;

	/* The lock first: a second run stops before reading anything. */
	if (r->opt->apply && (rc = run_lock_state(r)) < 0)
		return rc;
	/* The preview shows, and --check counts, who still waits for the
	 * messages of earlier jobs: the apply sends them again. */
	if (!r->opt->apply && (rc = run_load_pending(r, 0)) < 0)
		return rc;
	if ((rc = run_read_inputs(r)) < 0 || (rc = run_make_plan(r, 1)) < 0)
		return rc;
	run_log_plan(r->plan);
	if (r->opt->apply)
		return run_apply(r, "sync");
	if ((rc = run_write_plan(r, "sync", NULL)) < 0)
		return rc;
	if (r->opt->check && plan_has_changes(r->plan))
		return 1;
	return r->opt->strict && r->plan->n_rejected ? 1 : 0;
}
