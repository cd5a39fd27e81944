/* The administrator's one-off jobs, each previewed unless --apply:
 *
 *   enable --users FILE / disable --users FILE
 *   reset-passwords --scope all|all-except|without-role|selected
 *                   [--users FILE] [--password-file FILE]
 *   notify --job ID [--all]
 *
 * They read the directory, not the source: the people are the managed
 * entries, found by the attribute that holds the source key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/csv.h"
#include "agent/state/jobs.h"
#include "agent/base/hmap.h"
#include "agent/base/log.h"
#include "agent/plan/plan_admin.h"
#include "agent/cli/cli.h"
#include "agent/cli/commands.h"
#include "agent/base/secret_file.h"

static int read_users(struct run *r, struct listed **out, size_t *n)
{
	struct listed_key *keys;
	size_t i;
	int rc;

	rc = csv_read_keys(r->opt->users, r->cfg->source.key, r->cfg->source.encoding, &r->records_arena, &keys, n, &r->d);
	if (rc < 0)
		return rc;
	*out = calloc(*n, sizeof **out);
	if (!*out) {
		free(keys);
		return diag_set(&r->d, ST_FAIL, "out of memory");
	}
	for (i = 0; i < *n; i++) {
		(*out)[i].key = keys[i].key;
		(*out)[i].line = keys[i].line;
	}
	free(keys);
	log_info("read %zu keys from %s", *n, r->opt->users);
	return 0;
}

/* enable: the next sync disables again whoever is inactive in the source,
 * or absent from it with people.absent: disable. Say so for each; a source
 * that cannot be read is a warning, not a reason to stop. */
static void warn_disabled_again(struct run *r)
{
	const struct config *cfg = r->cfg;
	struct hmap rows;
	struct buf scratch = BUF_INIT;
	size_t i;

	if (run_read_source(r) < 0) {
		log_warn("cannot tell whether the next sync disables them again: %s", r->d.msg);
		diag_init(&r->d);
		return;
	}
	hmap_init(&rows, HMAP_ICASE);
	for (i = 0; i < r->n_records; i++) {
		const char *key = cfg->source.key_slot >= 0 ? r->records[i]->fields[cfg->source.key_slot] : NULL;
		if (key && hmap_insert(&rows, key, r->records[i], NULL) < 0)
			break;
	}
	for (i = 0; i < r->plan->n_actions; i++) {
		const struct plan_action *a = &r->plan->actions[i];
		const struct record *rec;
		if (a->op != OP_ENABLE_PERSON || !a->key)
			continue;
		rec = hmap_get(&rows, a->key);
		if (rec && !rec->error && !plan_record_active(cfg, rec, &scratch))
			log_warn("%s is inactive in the source (line %u): the next sync disables them again", a->dn,
				 rec->line);
		else if (!rec && cfg->people.absent == ABSENT_DISABLE)
			log_warn("%s is absent from the source (people.absent: disable): the next sync disables them again",
				 a->dn);
	}
	buf_release(&scratch);
	hmap_release(&rows);
}

/* notify --job: the people of that job who got a password. */
static int read_job_people(struct run *r, struct job **job, struct listed **out, size_t *n)
{
	size_t i;
	int rc;

	if ((rc = job_read(r->cfg->state_dir, r->opt->job, job, &r->d)) < 0)
		return rc;
	*out = calloc((*job)->n_people ? (*job)->n_people : 1, sizeof **out);
	if (!*out)
		return diag_set(&r->d, ST_FAIL, "out of memory");
	for (*n = 0, i = 0; i < (*job)->n_people; i++) {
		const struct job_person *p = &(*job)->people[i];
		if (!p->password)
			continue;
		(*out)[*n].key = p->key;
		(*out)[*n].dn = p->dn;
		(*out)[*n].unconfirmed = job_person_unconfirmed(p);
		(*n)++;
	}
	if (!*n)
		return diag_set(&r->d, ST_INPUT, "job %s set no password: there is nothing to send again", r->opt->job);
	return 0;
}

/* notify --not-activated: across the jobs, oldest first, each person's
 * latest password-setting job; those whose latest is older than the
 * cut-off. Later jobs replace earlier ones: a person sent a fresh link
 * yesterday is not sent another. The jobs stay open (the list points into
 * them) until cmd_admin ends. */
struct job_set {
	struct job **v;
	size_t n;
};

static int read_not_activated(struct run *r, struct job_set *jobs, struct listed **out, size_t *n)
{
	long older = r->opt->older_than_s >= 0 ? r->opt->older_than_s : (long)r->cfg->passwords.link_ttl_s;
	time_t cutoff = time(NULL) - older;
	struct hmap latest;            /* key (or DN) -> index + 1 in cand */
	struct {
		const struct job_person *p;
		const struct job *j;
	} *cand = NULL;
	char **ids = NULL;
	size_t n_ids = 0, n_cand = 0, alloc_cand = 0, i, k;
	int rc;

	*n = 0;
	*out = NULL;
	if ((rc = jobs_ids(r->cfg->state_dir, &ids, &n_ids, &r->d)) < 0)
		return rc;
	hmap_init(&latest, HMAP_ICASE);
	jobs->v = calloc(n_ids ? n_ids : 1, sizeof *jobs->v);
	if (!jobs->v) {
		rc = diag_set(&r->d, ST_FAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < n_ids; i++) {
		struct job *j;
		if ((rc = job_read(r->cfg->state_dir, ids[i], &j, &r->d)) < 0)
			goto out;
		jobs->v[jobs->n++] = j;
		for (k = 0; k < j->n_people; k++) {
			const struct job_person *p = &j->people[k];
			const char *key = p->key ? p->key : p->dn;
			size_t at = (size_t)(uintptr_t)hmap_get(&latest, key);
			if (!p->password)
				continue;
			if (!at) {
				if (n_cand == alloc_cand) {
					size_t na = alloc_cand ? 2 * alloc_cand : 64;
					void *t = realloc(cand, na * sizeof *cand);
					if (!t) {
						rc = diag_set(&r->d, ST_FAIL, "out of memory");
						goto out;
					}
					cand = t;
					alloc_cand = na;
				}
				if (hmap_set(&latest, key, (void *)(uintptr_t)(n_cand + 1)) < 0) {
					rc = diag_set(&r->d, ST_FAIL, "out of memory");
					goto out;
				}
				at = ++n_cand;
			}
			cand[at - 1].p = p;
			cand[at - 1].j = j;
		}
	}
	if (!(*out = calloc(n_cand ? n_cand : 1, sizeof **out))) {
		rc = diag_set(&r->d, ST_FAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < n_cand; i++) {
		if (!cand[i].j->started || job_time(cand[i].j->started) > cutoff)
			continue;
		(*out)[*n].key = cand[i].p->key;
		(*out)[*n].dn = cand[i].p->dn;
		(*out)[*n].job = cand[i].j->id;
		(*out)[*n].unconfirmed = job_person_unconfirmed(cand[i].p);
		(*n)++;
	}
	log_info("%zu people got their latest password more than %lds ago (in %zu jobs)", *n, older, jobs->n);
	rc = 0;
out:
	for (i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(cand);
	hmap_release(&latest);
	return rc;
}

/* --password-file: owner-only, the whole content (less a final newline)
 * is the password, and it must pass the policy. */
static int read_default_password(struct run *r, struct buf *pw)
{
	const char *why;
	int rc;

	if ((rc = secret_file_read(r->opt->password_file, pw, &r->d)) < 0) {
		diag_prefix(&r->d, "--password-file: ");
		return rc;
	}
	if (password_check(&r->cfg->passwords, pw->data, pw->len, &why) < 0)
		return diag_set(&r->d, ST_INPUT, "--password-file: the password is refused: %s; nothing was changed", why);
	return 0;
}

static enum reset_scope scope_of(const char *s)
{
	if (strcmp(s, "all") == 0)
		return RESET_ALL;
	if (strcmp(s, "all-except") == 0)
		return RESET_ALL_EXCEPT;
	if (strcmp(s, "without-role") == 0)
		return RESET_WITHOUT_ROLE;
	return RESET_SELECTED;
}

int cmd_admin(struct run *r)
{
	const struct options *opt = r->opt;
	const char *command = command_name(opt->cmd);
	struct admin_input in = {0};
	struct buf pw = BUF_INIT, source = BUF_INIT;
	struct listed *listed = NULL;
	struct job *job = NULL;
	struct job_set jobs = {0};
	size_t i;
	int rc;

	in.cfg = r->cfg;
	in.kind = opt->cmd == CMD_ENABLE ? ADMIN_ENABLE
		  : opt->cmd == CMD_DISABLE ? ADMIN_DISABLE
		  : opt->cmd == CMD_NOTIFY  ? ADMIN_NOTIFY
					    : ADMIN_RESET;
	if (opt->scope)
		in.scope = scope_of(opt->scope);
	if (in.kind == ADMIN_RESET && !opt->password_file && r->cfg->notify.enabled &&
	    !r->cfg->notify.n_tmpl[MSG_PASSWORD]) {
		rc = diag_set(&r->d, ST_INPUT,
			      "reset-passwords sends the password message, but %s has no password.txt; add one, or give --password-file",
			      r->cfg->notify.templates);
		goto out;
	}
	if (opt->password_file && (rc = read_default_password(r, &pw)) < 0)
		goto out;
	if (opt->apply && (rc = run_lock_state(r)) < 0)
		goto out;
	if (opt->users && (rc = read_users(r, &listed, &in.n_listed)) < 0)
		goto out;
	if (opt->cmd == CMD_NOTIFY && opt->not_activated) {
		if ((rc = read_not_activated(r, &jobs, &listed, &in.n_listed)) < 0)
			goto out;
		buf_printf(&source, "the jobs (--not-activated)");
	} else if (opt->cmd == CMD_NOTIFY) {
		if ((rc = read_job_people(r, &job, &listed, &in.n_listed)) < 0)
			goto out;
		buf_printf(&source, "job %s", opt->job);
	} else if (opt->users) {
		buf_adds(&source, opt->users);
	} else {
		buf_printf(&source, "the directory (--scope %s)", opt->scope);
	}
	if (source.failed) {
		rc = diag_set(&r->d, ST_FAIL, "out of memory");
		goto out;
	}
	if ((rc = run_read_directory(r)) < 0)
		goto out;
	in.entries = r->entries.v;
	in.n_entries = r->entries.n;
	in.listed = listed;
	in.default_password = pw.len > 0;
	in.all = opt->all;
	in.job = opt->job ? opt->job : "(several)";
	in.source = buf_str(&source);
	if ((rc = plan_admin(&in, &r->plan, &r->d)) < 0)
		goto out;
	run_warn_rejected(r->plan);
	if (opt->cmd == CMD_ENABLE && r->plan->counts[OP_ENABLE_PERSON])
		warn_disabled_again(r);
	if (r->plan->n_unchanged)
		log_info("%zu people are left as they are (%s)", r->plan->n_unchanged,
			 opt->cmd == CMD_NOTIFY ? "they changed their password, or are disabled"
			 : opt->cmd == CMD_RESET_PASSWORDS ? "spared, or disabled"
							   : "already as asked");
	if (opt->apply) {
		r->apply.fixed_password = pw.len ? pw.data : NULL;
		rc = run_apply(r, command);
		r->apply.fixed_password = NULL;
	} else {
		rc = run_write_plan(r, command, NULL);
	}
out:
	buf_release_secret(&pw);
	buf_release(&source);
	free(listed);
	job_free(job);
	for (i = 0; i < jobs.n; i++)
		job_free(jobs.v[i]);
	free(jobs.v);
	return rc;
}
