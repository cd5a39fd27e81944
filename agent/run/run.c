/* The run's context: its life cycle, the config it loads, and how a
 * failed run reports why. The stages are in stages.c, the job that --apply
 * makes in job.c. */
#include "agent/run/run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/log.h"

void run_init(struct run *r, const struct options *opt)
{
	memset(r, 0, sizeof *r);
	r->opt = opt;
	diag_init(&r->d);
	arena_init(&r->records_arena);
	arena_init(&r->entries_arena);
	entry_list_init(&r->entries, &r->entries_arena);
	r->lock.fd = -1;
	hmap_init(&r->pending, 0);
	arena_init(&r->pending_arena);
}

void run_release(struct run *r)
{
	hmap_release(&r->pending);
	arena_release(&r->pending_arena);
	apply_release(&r->apply);
	journal_close(r->journal);
	run_lock_release(&r->lock);
	plan_session_free(r->planning);
	plan_free(r->plan);
	dir_close(r->dir);
	entry_list_release(&r->entries);
	arena_release(&r->entries_arena);
	free(r->records);
	arena_release(&r->records_arena);
	config_free(r->cfg);
}

/* --- config ----------------------------------------------------------------- */

static const char *find_config(const struct options *opt)
{
	static const char *const defaults[] = {"ldapenroll.yaml", "/etc/ldapenroll/ldapenroll.yaml"};
	size_t i;

	if (opt->config)
		return opt->config;
	for (i = 0; i < 2; i++)
		if (access(defaults[i], F_OK) == 0)
			return defaults[i];
	return NULL;
}

int run_load_config(struct run *r)
{
	struct strlist errors = {0};
	const char *path = find_config(r->opt);
	size_t i;
	int rc;

	if (!path)
		return diag_set(&r->d, ST_INPUT,
				"no config: give -c FILE, or create ./ldapenroll.yaml or /etc/ldapenroll/ldapenroll.yaml");
	/* serve reads no service secret: it need not be given one. */
	rc = config_load_for(path, r->opt->cmd == CMD_SERVE ? CONFIG_PAGE : 0, &r->cfg, &errors);
	for (i = 0; i < errors.n; i++)
		log_error("%s", errors.items[i]);
	if (rc == ST_FAIL) {
		diag_set(&r->d, rc, "the configuration could not be loaded; nothing was changed");
		strlist_free(&errors);
		return rc;
	}
	if (rc < 0) {
		diag_set(&r->d, rc, "%zu problem%s in the configuration; nothing was changed", errors.n,
			 errors.n == 1 ? "" : "s");
		strlist_free(&errors);
		return rc;
	}
	strlist_free(&errors);
	if (r->opt->state_dir) {
		free(r->cfg->state_dir);
		if (!(r->cfg->state_dir = strdup(r->opt->state_dir)))
			return diag_set(&r->d, ST_FAIL, "out of memory");
	}
	return 0;
}

void run_log_error(struct run *r)
{
	/* A multi-line diagnostic (plan-wide problems) is logged line by line. */
	char *line = r->d.msg, *nl;

	if (r->d.status == ST_OK)
		return;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		log_error("%s", line);
		line = nl + 1;
	}
	log_error("%s", line);
}
