/* apply PLAN.json [--apply]: executes a plan saved with `sync --format json
 * --output PLAN.json`, exactly. A plan made with another config is refused;
 * each action's precondition is checked against the directory as it is now
 * (and an update's old values again by the server, with the assertion
 * control), and an action whose precondition no longer holds is refused and
 * reported, never guessed. Without --apply it shows what would happen. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/log.h"
#include "agent/base/oom.h"
#include "agent/plan/plan_load.h"
#include "agent/cli/commands.h"

#define PLAN_MAX_BYTES (1024L * 1024 * 1024)

static int read_file(const char *path, struct buf *out, struct diag *d)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
	out->cap = PLAN_MAX_BYTES;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_add(out, chunk, (size_t)n) < 0) {
			rc = diag_set(d, ST_INPUT, "%s: larger than 1 GiB", path);
			break;
		}
	if (n < 0)
		rc = diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int cmd_apply(struct run *r)
{
	struct buf text = BUF_INIT;
	const char **refused = NULL, *made_by = NULL;
	enum outcome *would = NULL;
	size_t n_refused, i;
	unsigned long oom_before;
	int rc;

	if (r->opt->apply && (rc = run_lock_state(r)) < 0)
		return rc;
	if ((rc = read_file(r->opt->plan_file, &text, &r->d)) < 0 ||
	    (rc = plan_load(buf_str(&text), text.len, r->cfg, r->opt->plan_file, &r->plan, &made_by, &r->d)) < 0)
		goto out;
	log_info("read a plan of %zu actions (made by %s) from %s", r->plan->n_actions, made_by, r->opt->plan_file);
	if ((rc = run_read_directory(r)) < 0)
		goto out;
	refused = calloc(r->plan->n_actions ? r->plan->n_actions : 1, sizeof *refused);
	would = calloc(r->plan->n_actions ? r->plan->n_actions : 1, sizeof *would);
	if (!refused || !would) {
		rc = diag_set(&r->d, ST_FAIL, "out of memory");
		goto out;
	}
	oom_before = oom_count();
	n_refused = plan_check_preconditions(r->plan, r->cfg, r->entries.v, r->entries.n, refused);
	if (oom_count() != oom_before) { /* a verdict may rest on a missing entry */
		rc = diag_set(&r->d, ST_FAIL, "out of memory while checking the plan against the directory");
		goto out;
	}
	if (n_refused)
		log_warn("%zu of %zu actions are refused: the directory changed since the plan was made", n_refused,
			 r->plan->n_actions);
	for (i = 0; i < r->plan->n_actions; i++)
		would[i] = refused[i] ? OUT_REFUSED : OUT_NONE;
	/* The safety limits measure against the directory as it is now. */
	r->plan->n_managed = plan_count_managed(r->cfg, r->entries.v, r->entries.n);
	if (r->opt->apply) {
		r->apply.refused = refused;
		rc = run_apply(r, "apply");
		r->apply.refused = NULL;
	} else {
		struct plan_status st = {would, refused, NULL, 1};
		rc = run_write_plan(r, "apply", &st);
		if (rc == 0 && n_refused)
			rc = 1;
	}
out:
	free(refused);
	free(would);
	buf_release(&text);
	return rc;
}
