/* The run: config, the shared stages, and the apply path (preflight, job
 * journal, apply, report) that every command that changes anything uses. */
#include "agent/run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connectors/source.h"
#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/state/jobs.h"
#include "agent/base/json.h"
#include "agent/notify/notify.h"
#include "agent/base/oom.h"
#include "agent/base/log.h"
#include "agent/base/testhook.h"

static void run_release(struct run *r)
{
	hmap_release(&r->pending);
	arena_release(&r->pending_arena);
	apply_release(&r->apply);
	journal_close(r->journal);
	run_lock_release(&r->lock);
	plan_free(r->plan);
	dir_close(r->dir);
	entry_list_release(&r->entries);
	arena_release(&r->entries_arena);
	free(r->records);
	arena_release(&r->records_arena);
	config_free(r->cfg);
}

/* --- config ----------------------------------------------------------------- */

static const char *find_config(const struct cli *cli)
{
	static const char *const defaults[] = {"ldapenroll.yaml", "/etc/ldapenroll/ldapenroll.yaml"};
	size_t i;

	if (cli->config)
		return cli->config;
	for (i = 0; i < 2; i++)
		if (access(defaults[i], F_OK) == 0)
			return defaults[i];
	return NULL;
}

static int load_config(struct run *r)
{
	struct strlist errors = {0};
	const char *path = find_config(r->cli);
	size_t i;
	int rc;

	if (!path)
		return diag_set(&r->d, ST_INPUT,
				"no config: give -c FILE, or create ./ldapenroll.yaml or /etc/ldapenroll/ldapenroll.yaml");
	rc = config_load(path, &r->cfg, &errors);
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
	if (r->cli->state_dir) {
		free(r->cfg->state_dir);
		if (!(r->cfg->state_dir = strdup(r->cli->state_dir)))
			return diag_set(&r->d, ST_FAIL, "out of memory");
	}
	return 0;
}

/* --- stages ----------------------------------------------------------------- */

static void digest_tap(void *arg, const void *data, size_t len)
{
	digest_update(arg, data, len);
}

int run_read_source(struct run *r)
{
	unsigned long oom_before = oom_count();
	struct source *s = source_new(r->cfg, &r->records_arena, &r->d);
	struct record *rec;
	int rc;

	struct digest dg = {NULL};

	if (!s)
		return r->d.status;
	/* The name outlives the source: the plan and the report show it. */
	if (!(r->source_name = arena_strdup(&r->records_arena, s->name))) {
		source_close(s);
		return diag_set(&r->d, ST_FAIL, "out of memory");
	}
	if (r->cfg->source.type == SOURCE_CSV && digest_init(&dg) == 0) {
		s->tap = digest_tap;
		s->tap_arg = &dg;
	}
	if ((rc = source_open(s, &r->d)) < 0)
		goto out;
	while ((rc = source_next(s, &rec, &r->d)) > 0) {
		if (r->n_records == r->alloc_records) {
			size_t na = r->alloc_records ? r->alloc_records * 2 : 1024;
			struct record **t = realloc(r->records, na * sizeof *t);
			if (!t) {
				rc = diag_set(&r->d, ST_FAIL, "out of memory reading the source");
				goto out;
			}
			r->records = t;
			r->alloc_records = na;
		}
		r->records[r->n_records++] = rec;
	}
	/* A row or value lost to memory could turn into a disable. */
	if (rc == 0 && oom_count() != oom_before)
		rc = diag_set(&r->d, ST_FAIL, "out of memory reading the source");
	if (rc == 0 && r->n_records == 0)
		rc = diag_set(&r->d, ST_INPUT,
			      "%s: no data rows; an empty source is refused, so that it can never turn into disables",
			      s->name);
	if (rc == 0)
		log_info("read %zu rows from %s", r->n_records, s->name);
out:
	source_close(s);
	if (dg.ctx)
		digest_final(&dg, r->source_digest);
	return rc;
}

/* The attributes the planner compares. */
static const char **directory_attrs(const struct config *cfg)
{
	size_t n = 0, i, max = 8 + cfg->people.update.n + cfg->people.n_attrs;
	const char **a = calloc(max + 1, sizeof *a);

	if (!a)
		return NULL;
	a[n++] = "objectClass";
	a[n++] = "pwdAccountLockedTime";
	a[n++] = "pwdReset";
	a[n++] = "pwdPolicySubentry";
	if (cfg->people.key_attr)
		a[n++] = cfg->people.key_attr;
	if (cfg->roles.enabled)
		a[n++] = cfg->roles.member_attribute;
	for (i = 0; i < cfg->people.update.n; i++)
		a[n++] = cfg->people.update.items[i];
	for (i = 0; i < cfg->people.n_attrs; i++)
		if (strcasecmp(cfg->people.attrs[i].name, "mail") == 0)
			a[n++] = cfg->people.attrs[i].name;
	a[n] = NULL;
	return a;
}

/* Reads the container a DN template's entries live in, when it is not
 * under the base (role groups kept elsewhere, for instance). */
static int read_container(struct run *r, const struct tmpl *t, const char *what, const char **attrs)
{
	struct tmpl_env env = {0};
	struct buf suffix = BUF_INIT;
	int rc = 0;

	env.builtins[TB_BASE] = r->cfg->directory.base;
	tmpl_dn_fixed_suffix(t, &env, &suffix);
	if (suffix.len && !dn_is_under(buf_str(&suffix), r->cfg->directory.base)) {
		rc = dir_read(r->dir, buf_str(&suffix), SCOPE_SUB, "(objectClass=*)", attrs,
			      r->cfg->directory.page_size, &r->entries, &r->d);
		if (rc == ST_INPUT)
			diag_prefix(&r->d, "%s: ", what);
	}
	buf_release(&suffix);
	return rc;
}

int run_read_directory(struct run *r)
{
	const struct config *cfg = r->cfg;
	const char **attrs;
	unsigned long oom_before = oom_count();
	int rc;

	if ((rc = dir_connect(&r->dir, &cfg->directory.conn, &r->d)) < 0)
		return rc;
	if (!(attrs = directory_attrs(cfg)))
		return diag_set(&r->d, ST_FAIL, "out of memory");
	rc = dir_read(r->dir, cfg->directory.base, SCOPE_SUB, "(objectClass=*)", attrs, cfg->directory.page_size,
		      &r->entries, &r->d);
	if (rc == ST_INPUT)
		diag_prefix(&r->d, "directory.base: ");
	if (rc == 0 && cfg->roles.enabled)
		rc = read_container(r, cfg->roles.dn, "roles.dn", attrs);
	if (rc == 0 && cfg->accounts.enabled)
		rc = read_container(r, cfg->accounts.dn, "accounts.dn", attrs);
	free(attrs);
	/* An entry lost to memory would be planned as missing. */
	if (rc == 0 && oom_count() != oom_before)
		rc = diag_set(&r->d, ST_FAIL, "out of memory reading the directory");
	if (rc == 0)
		log_info("read %zu entries from %s", r->entries.n, dir_uri(r->dir));
	return rc;
}

int run_make_plan(struct run *r, int with_directory)
{
	struct plan_input in = {
		.cfg = r->cfg,
		.records = r->records,
		.n_records = r->n_records,
		.entries = with_directory ? r->entries.v : NULL,
		.n_entries = with_directory ? r->entries.n : 0,
		.source = r->source_name,
		.offline = !with_directory,
		.pending = r->pending_loaded ? &r->pending : NULL,
	};

	return plan_build(&in, &r->plan, &r->d);
}

static enum plan_format plan_format_of(const struct cli *cli)
{
	return cli->format == OUT_JSON ? PLAN_JSON : cli->format == OUT_LDIF ? PLAN_LDIF : PLAN_TEXT;
}

int run_write_plan(struct run *r, const char *command, const struct plan_status *status)
{
	FILE *f = stdout;
	int fd, rc = 0;

	if (r->cli->output) {
		/* Plans carry names and addresses: owner-only. */
		fd = open(r->cli->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd);
			return diag_set(&r->d, ST_INPUT, "--output %s: %s", r->cli->output, strerror(errno));
		}
	}
	if (plan_write(f, plan_format_of(r->cli), r->plan, r->cfg, command, status) < 0)
		rc = diag_set(&r->d, ST_FAIL, "writing the plan: %s", strerror(errno));
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = diag_set(&r->d, ST_FAIL, "writing %s: %s", r->cli->output, strerror(errno));
	return rc;
}

void run_log_plan(const struct plan *p)
{
	log_info("plan: %zu to create, %zu to enable, %zu to update, %zu to disable, %zu role groups and %zu accounts to create, %zu memberships to add, %zu rows rejected",
		 p->counts[OP_CREATE_PERSON], p->counts[OP_ENABLE_PERSON], p->counts[OP_UPDATE_PERSON],
		 p->counts[OP_DISABLE_PERSON], p->counts[OP_CREATE_ROLE], p->counts[OP_CREATE_ACCOUNT],
		 p->counts[OP_ADD_TO_ROLE], p->n_rejected);
	if (p->n_rejected)
		log_warn("%zu row%s rejected; see the plan for the line and reason of each", p->n_rejected,
			 p->n_rejected == 1 ? " is" : "s are");
}

/* --- commands ---------------------------------------------------------------- */

int run_command(const struct cli *cli)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof r);
	r.cli = cli;
	diag_init(&r.d);
	arena_init(&r.records_arena);
	arena_init(&r.entries_arena);
	entry_list_init(&r.entries, &r.entries_arena);
	r.lock.fd = -1;
	hmap_init(&r.pending, 0);
	arena_init(&r.pending_arena);

	/* jobs needs only the state directory; --state-dir spares the config. */
	rc = cli->cmd == CMD_JOBS && cli->state_dir ? 0 : load_config(&r);
	if (rc == 0) {
		switch (cli->cmd) {
		case CMD_CHECK:
			rc = cmd_check(&r);
			break;
		case CMD_SYNC:
			rc = cmd_sync(&r);
			break;
		case CMD_JOBS:
			rc = cmd_jobs(&r);
			break;
		case CMD_APPLY:
			rc = cmd_apply(&r);
			break;
		case CMD_ENABLE:
		case CMD_DISABLE:
		case CMD_RESET_PASSWORDS:
		case CMD_NOTIFY:
			rc = cmd_admin(&r);
			break;
		default:
			rc = diag_set(&r.d, ST_INPUT, "the %s command is not available in this version",
				      command_name(cli->cmd));
			break;
		}
	}
	if (rc < 0 && r.d.status != ST_OK) {
		/* A multi-line diagnostic (plan-wide problems) is logged line by line. */
		char *line = r.d.msg, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			log_error("%s", line);
			line = nl + 1;
		}
		log_error("%s", line);
	}
	run_release(&r);
	return rc;
}

/* --- the apply path ------------------------------------------------------------ */

int run_lock_state(struct run *r)
{
	int rc;

	if ((rc = state_prepare(r->cfg->state_dir, &r->d)) < 0 ||
	    (rc = run_lock_take(r->cfg->state_dir, &r->lock, &r->d)) < 0)
		return rc;
	if (r->cfg->notify.enabled) {
		if ((rc = pending_load(r->cfg->state_dir, &r->pending, &r->pending_arena, &r->d)) < 0)
			return rc;
		r->pending_loaded = 1;
	}
	return 0;
}

int run_check_policy(struct run *r, int need_lockout)
{
	static const char *const attrs[] = {"pwdMustChange", "pwdLockout", NULL};
	const char *policy = r->cfg->directory.password_policy;
	struct entry_list l;
	struct arena a;
	int rc = 0, found;

	arena_init(&a);
	entry_list_init(&l, &a);
	found = dir_read_entry(r->dir, policy, attrs, &l, &r->d);
	if (found < 0)
		rc = found;
	else if (!found)
		rc = diag_set(&r->d, ST_INPUT,
			      "directory.password_policy: %s does not exist (or %s may not read it); nothing was changed",
			      policy, r->cfg->directory.conn.bind_dn);
	else if (r->cfg->passwords.must_change && !entry_has_value(&l.v[0], "pwdMustChange", "TRUE", 1))
		rc = diag_set(&r->d, ST_INPUT,
			      "directory.password_policy: %s does not have pwdMustChange: TRUE, so temporary passwords would not have to be changed; nothing was changed",
			      policy);
	else if (need_lockout && !entry_has_value(&l.v[0], "pwdLockout", "TRUE", 1))
		rc = diag_set(&r->d, ST_INPUT,
			      "directory.password_policy: %s does not have pwdLockout: TRUE, so disabled people could still log in; nothing was changed",
			      policy);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* The safety limits, on the plan, before the first change. --force-limits N
 * lets a run through whose creates and disables are each at most N. */
static int check_limits(struct run *r)
{
	const struct cfg_limits *lim = &r->cfg->limits;
	const struct plan *p = r->plan;
	size_t creates = p->counts[OP_CREATE_PERSON], disables = p->counts[OP_DISABLE_PERSON];
	size_t pct_limit = p->n_managed * lim->max_disable_percent / 100;
	long force = r->cli->force_limits;
	struct buf why = BUF_INIT;
	size_t over = 0;
	int rc = 0;

	if (creates > lim->max_create) {
		buf_printf(&why, "the plan creates %zu people (limits.max_create is %lu)", creates, lim->max_create);
		over = creates;
	}
	if (disables > lim->max_disable || (disables && disables > pct_limit)) {
		buf_printf(&why, "%sthe plan disables %zu of %zu managed people (limits.max_disable is %lu, limits.max_disable_percent %u%% is %zu)",
			   why.len ? "; " : "", disables, p->n_managed, lim->max_disable, lim->max_disable_percent,
			   pct_limit);
		if (disables > over)
			over = disables;
	}
	if (!over)
		goto out;
	if (force >= 0 && (size_t)force >= over) {
		log_warn("%s; going ahead because of --force-limits %ld", buf_str(&why), force);
		goto out;
	}
	if (force >= 0)
		rc = diag_set(&r->d, ST_LIMIT, "safety limit: %s; --force-limits %ld allows at most %ld; nothing was changed",
			      buf_str(&why), force, force);
	else
		rc = diag_set(&r->d, ST_LIMIT,
			      "safety limit: %s; nothing was changed. If this is intended, run again with --force-limits %zu",
			      buf_str(&why), over);
out:
	buf_release(&why);
	return rc;
}

static void journal_record(struct run *r, struct buf *b)
{
	journal_append_buf(r->journal, b);
	journal_flush(r->journal);
	buf_release(b);
}

static void record_header(struct run *r, const char *command)
{
	struct buf b = BUF_INIT;
	char now[32];

	utc_now(now);
	buf_adds(&b, "{\"type\":\"job\",\"version\":1,");
	json_add_member_str(&b, "id", journal_id(r->journal));
	buf_addc(&b, ',');
	json_add_member_str(&b, "command", command);
	buf_addc(&b, ',');
	json_add_member_str(&b, "started", now);
	buf_addc(&b, ',');
	json_add_member_str(&b, "config", r->cfg->file);
	buf_addc(&b, ',');
	json_add_member_str(&b, "config_sha256", r->cfg->digest);
	buf_addc(&b, ',');
	json_add_member_str(&b, "source", r->plan->source);
	buf_addc(&b, ',');
	json_add_member_str(&b, "source_sha256", r->source_digest[0] ? r->source_digest : NULL);
	buf_printf(&b, ",\"pid\":%ld,\"actions\":%zu,\"rows\":%zu}", (long)getpid(), r->plan->n_actions,
		   r->plan->n_records);
	journal_record(r, &b);
}

static void record_rejected(struct run *r)
{
	size_t i;

	for (i = 0; i < r->plan->n_rejected; i++) {
		const struct plan_reject *j = &r->plan->rejected[i];
		struct buf b = BUF_INIT;
		buf_printf(&b, "{\"type\":\"rejected\",\"line\":%u,", j->line);
		json_add_member_str(&b, "key", j->key);
		buf_addc(&b, ',');
		json_add_member_str(&b, "reason", j->reason);
		buf_addc(&b, '}');
		journal_record(r, &b);
	}
}

/* Everyone who got a password: waiting for their messages, or listed for
 * manual notification (counted in *manual). */
static void record_notifications(struct run *r, size_t *manual)
{
	const struct config *cfg = r->cfg;
	size_t i, k;

	*manual = 0;
	for (i = 0; i < r->plan->n_actions; i++) {
		const struct plan_action *a = &r->plan->actions[i];
		struct buf b = BUF_INIT;

		if (!pwstore_has(r->apply.passwords, i))
			continue;
		buf_adds(&b, "{\"type\":\"notify\",");
		json_add_member_str(&b, "key", a->key);
		buf_addc(&b, ',');
		json_add_member_str(&b, "dn", a->dn);
		if (a->line)
			buf_printf(&b, ",\"line\":%u", a->line);
		buf_addc(&b, ',');
		json_add_member_str(&b, "email", a->email);
		if (r->apply.fixed_password) {
			/* The administrator chose the password and tells people. */
			buf_adds(&b, ",\"status\":\"none\",\"reason\":\"a given password was set; no message is sent\"}");
		} else if (a->n_messages) {
			buf_adds(&b, ",\"messages\":[");
			for (k = 0; k < a->n_messages; k++) {
				if (k)
					buf_addc(&b, ',');
				json_add_string(&b, msg_kind_name(a->messages[k]));
			}
			buf_adds(&b, "],\"status\":\"pending\"}");
		} else {
			buf_adds(&b, ",\"status\":\"manual\",");
			json_add_member_str(&b, "reason", cfg->notify.enabled ? "no email address"
										: "notifications are not configured");
			buf_addc(&b, '}');
			(*manual)++;
		}
		journal_record(r, &b);
	}
}

/* Who still waits for messages, now that this job is done: the job read
 * back from its journal, applied to what earlier jobs left. */
static void update_pending(struct run *r)
{
	struct job *j;
	struct diag d;
	unsigned long oom_before = oom_count();

	if (!r->pending_loaded)
		return;
	diag_init(&d);
	/* When this fails, the snapshot stays as it was and the next run
	 * reads this job's journal again. */
	if (job_read(r->cfg->state_dir, journal_id(r->journal), &j, &d) < 0)
		goto failed;
	pending_apply_job(&r->pending, &r->pending_arena, j);
	job_free(j);
	if (oom_count() != oom_before) {
		diag_set(&d, ST_FAIL, "out of memory");
		goto failed;
	}
	if (pending_save(r->cfg->state_dir, &r->pending, journal_id(r->journal), &d) == 0)
		return;
failed:
	log_warn("could not record who waits for messages: %s", d.msg);
}

static size_t total_failed(const struct apply_report *rep)
{
	size_t i, n = 0;

	for (i = 0; i < OP_COUNT; i++)
		n += rep->failed[i];
	return n;
}

static void record_end(struct run *r, const struct apply_report *rep, const char *status, double secs)
{
	struct buf b = BUF_INIT;
	char now[32];
	size_t i;

	utc_now(now);
	buf_adds(&b, "{\"type\":\"end\",");
	json_add_member_str(&b, "status", status);
	buf_addc(&b, ',');
	json_add_member_str(&b, "finished", now);
	buf_printf(&b, ",\"elapsed_ms\":%.0f,\"counts\":{", secs * 1000);
	for (i = 0; i < OP_COUNT; i++)
		buf_printf(&b, "\"%s\":%zu,", plan_op_name((enum plan_op)i), rep->done[i]);
	buf_printf(&b, "\"failed\":%zu,\"refused\":%zu,\"skipped\":%zu,\"rejected\":%zu,\"passwords\":%zu,\"not_enforced\":%zu,\"memberships\":%zu}",
		   total_failed(rep), rep->refused, rep->skipped, r->plan->n_rejected, rep->passwords, rep->not_enforced,
		   rep->memberships);
	if (strcmp(status, "stopped") == 0 && r->d.msg[0]) {
		buf_addc(&b, ',');
		json_add_member_str(&b, "error", r->d.msg);
	}
	buf_addc(&b, '}');
	if (b.failed) {
		/* The job still ends in the journal, if without its counts. */
		static const char fallback[] =
			"{\"type\":\"end\",\"status\":\"stopped\",\"error\":\"out of memory while building the end record\"}";
		buf_release(&b);
		journal_append(r->journal, fallback, sizeof fallback - 1);
		journal_flush(r->journal);
		return;
	}
	journal_record(r, &b);
}

static void summary_line(struct run *r, const char *command, const struct apply_report *rep,
			 const struct notify_report *nr, size_t manual, double secs, double dir_secs,
			 double mail_secs)
{
	const size_t *d = rep->done;
	char created[32], enabled[32], updated[32], disabled[32], reset[32], failed[32], rejected[32],
		elapsed[32], accounts[32], roles[32], members[32], sent[32], mfailed[32], waiting[32], man[32],
		dir_time[32], mail_time[32];
	struct log_field f[] = {
		{"job", journal_id(r->journal)}, {"created", created},   {"enabled", enabled},
		{"updated", updated},            {"disabled", disabled}, {"reset", reset},
		{"accounts", accounts},          {"roles", roles},       {"memberships", members},
		{"failed", failed},              {"rejected", rejected}, {"messages_sent", sent},
		{"messages_failed", mfailed},    {"messages_pending", waiting}, {"manual", man},
		{"elapsed", elapsed},            {"directory_seconds", dir_time}, {"mail_seconds", mail_time},
	};

	snprintf(created, sizeof created, "%zu", d[OP_CREATE_PERSON]);
	snprintf(enabled, sizeof enabled, "%zu", d[OP_ENABLE_PERSON]);
	snprintf(updated, sizeof updated, "%zu", d[OP_UPDATE_PERSON]);
	snprintf(disabled, sizeof disabled, "%zu", d[OP_DISABLE_PERSON]);
	snprintf(reset, sizeof reset, "%zu", d[OP_RESET_PASSWORD]);
	snprintf(accounts, sizeof accounts, "%zu", d[OP_CREATE_ACCOUNT]);
	snprintf(roles, sizeof roles, "%zu", d[OP_CREATE_ROLE]);
	snprintf(members, sizeof members, "%zu", rep->memberships);
	snprintf(failed, sizeof failed, "%zu", total_failed(rep) + rep->not_enforced + rep->refused);
	snprintf(rejected, sizeof rejected, "%zu", r->plan->n_rejected);
	snprintf(sent, sizeof sent, "%zu", nr->sent);
	snprintf(mfailed, sizeof mfailed, "%zu", nr->failed);
	snprintf(waiting, sizeof waiting, "%zu", nr->pending);
	snprintf(man, sizeof man, "%zu", manual);
	snprintf(elapsed, sizeof elapsed, "%.2fs", secs);
	snprintf(dir_time, sizeof dir_time, "%.3f", dir_secs);
	snprintf(mail_time, sizeof mail_time, "%.3f", mail_secs);
	if (log_format_in_use() == LOG_FORMAT_TEXT) {
		log_info("%s: %s created, %s enabled, %s updated, %s disabled, %s passwords reset; %s accounts, %s role groups, %s memberships; %s failed, %s rejected; job %s in %s (directory %.2fs, mail %.2fs)",
			 command, created, enabled, updated, disabled, reset, accounts, roles, members, failed, rejected,
			 journal_id(r->journal), elapsed, dir_secs, mail_secs);
		if (manual)
			log_info("messages: %s sent, %s failed, %s pending; %s %s manual notification (ldapenroll jobs %s --manual)",
				 sent, mfailed, waiting, man, manual == 1 ? "person needs" : "people need",
				 journal_id(r->journal));
		else if (nr->sent || nr->failed || nr->pending)
			log_info("messages: %s sent, %s failed, %s pending", sent, mfailed, waiting);
	} else {
		log_fields(LOG_INFO, "finished", f, sizeof f / sizeof *f);
	}
}

int run_apply(struct run *r, const char *command)
{
	struct apply_report rep;
	struct notify_report nrep = {0};
	struct plan_status st = {0};
	struct timespec t0, phase;
	char pw[PASSWORD_MAX + 1];
	size_t manual = 0;
	double secs, dir_secs, mail_secs = 0;
	int rc, stop, mail;

	/* Preflight: nothing below changes the directory until all of it
	 * passed. */
	if ((rc = run_check_policy(r, r->plan->counts[OP_DISABLE_PERSON] > 0)) < 0 || (rc = check_limits(r)) < 0)
		return rc;
	rc = password_generate(&r->cfg->passwords, pw, sizeof pw, &r->d);
	password_wipe(pw, sizeof pw);
	if (rc < 0)
		return rc;
	if ((rc = journal_create(r->cfg->state_dir, &r->journal, &r->d)) < 0)
		return rc;
	log_info("job %s: %s", journal_id(r->journal), journal_path(r->journal));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	record_header(r, command);
	record_rejected(r);
	testhook_point("preflight");

	r->apply.cfg = r->cfg;
	r->apply.plan = r->plan;
	r->apply.dir = r->dir;
	r->apply.journal = r->journal;
	stop = apply_plan(&r->apply, &rep, &r->d);
	dir_secs = seconds_since(&t0);
	if (r->apply.passwords && !journal_ok(r->journal)) {
		/* Nothing more happens once the journal cannot record it. */
		log_error("no message is sent: %s", journal_error(r->journal));
		if (!stop)
			stop = diag_set(&r->d, ST_FAIL, "%s; no message is sent", journal_error(r->journal));
	} else if (r->apply.passwords) {
		record_notifications(r, &manual);
		/* The directory changes stand whatever the mail does. */
		clock_gettime(CLOCK_MONOTONIC, &phase);
		mail = notify_run(r->cfg, r->plan, &r->apply, r->journal, &nrep, &r->d);
		mail_secs = seconds_since(&phase);
		if (!stop)
			stop = mail;
	}
	update_pending(r);
	testhook_point("end");

	secs = seconds_since(&t0);
	record_end(r, &rep, stop ? "stopped" : total_failed(&rep) || rep.refused || rep.not_enforced || nrep.failed || nrep.pending
							  ? "completed_with_failures" : "completed",
		   secs);
	journal_sync(r->journal, NULL);
	if (r->apply.outcome) {
		st.outcome = r->apply.outcome;
		st.error = r->apply.error;
		st.job = journal_id(r->journal);
		run_write_plan(r, command, &st);
	}
	summary_line(r, command, &rep, &nrep, manual, secs, dir_secs, mail_secs);
	if (stop)
		return stop;
	if (total_failed(&rep) || rep.refused || rep.not_enforced || r->plan->n_rejected || nrep.failed || nrep.pending)
		return 1;
	return 0;
}
