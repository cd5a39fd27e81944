/* The stages every command shares: read the source, read the directory,
 * make the plan, write it; and the password policy check before a change. */
#include "agent/run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/crypto.h"
#include "agent/base/log.h"
#include "agent/base/oom.h"
#include "agent/text/dn.h"
#include "connectors/source.h"

static int read_directory(struct run *r, int plan_along);

static void digest_tap(void *arg, const void *data, size_t len)
{
	digest_update(arg, data, len);
}

/* Reads the source into r->records; problems go to d (the caller's, or a
 * diag of the reading thread's own). */
static int read_source(struct run *r, struct diag *d)
{
	unsigned long oom_before = oom_count();
	struct source *s = source_new(r->cfg, &r->records_arena, d);
	struct record *rec;
	int rc;

	struct digest dg = {NULL};

	if (!s)
		return d->status;
	/* The name outlives the source: the plan and the report show it. */
	if (!(r->source_name = arena_strdup(&r->records_arena, s->name))) {
		source_close(s);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	if (r->cfg->source.type == SOURCE_CSV && digest_init(&dg, DIGEST_SHA256) == 0) {
		s->tap = digest_tap;
		s->tap_arg = &dg;
	}
	if ((rc = source_open(s, d)) < 0)
		goto out;
	while ((rc = source_next(s, &rec, d)) > 0) {
		if (r->n_records == r->alloc_records) {
			size_t na = r->alloc_records ? r->alloc_records * 2 : 1024;
			struct record **t = realloc(r->records, na * sizeof *t);
			if (!t) {
				rc = diag_set(d, ST_FAIL, "out of memory reading the source");
				goto out;
			}
			r->records = t;
			r->alloc_records = na;
		}
		r->records[r->n_records++] = rec;
	}
	/* A row or value lost to memory could turn into a disable. */
	if (rc == 0 && oom_count() != oom_before)
		rc = diag_set(d, ST_FAIL, "out of memory reading the source");
	if (rc == 0 && r->n_records == 0)
		rc = diag_set(d, ST_INPUT,
			      "%s: no data rows; an empty source is refused, so that it can never turn into disables",
			      s->name);
	if (rc == 0)
		log_info("read %zu rows from %s", r->n_records, s->name);
	if (rc == 0 && s->trimmed)
		log_info("%zu value%s had spaces around %s (as spreadsheets leave them); they are read without them",
			 s->trimmed, s->trimmed == 1 ? "" : "s", s->trimmed == 1 ? "it" : "them");
out:
	source_close(s);
	if (dg.ctx)
		digest_final(&dg, r->source_digest);
	return rc;
}

int run_read_source(struct run *r)
{
	return read_source(r, &r->d);
}

/* The source read in a thread of its own while the directory is read:
 * they use different cores, and neither needs the other. */
struct source_thread {
	struct run *r;
	struct diag d;
	int rc;
};

static void *source_thread(void *arg)
{
	struct source_thread *t = arg;

	/* The rows are the planner's from here (the directory's read plans
	 * them between pages): nothing here touches them after. */
	if ((t->rc = read_source(t->r, &t->d)) == 0)
		atomic_store_explicit(&t->r->records_ready, 1, memory_order_release);
	return NULL;
}

int run_read_inputs(struct run *r)
{
	struct source_thread t = {r, {0, ""}, 0};
	pthread_t thread;
	int rc;

	/* A directory source has connections of its own to make, and
	 * connecting arms a process-wide watchdog: one after the other. */
	if (r->cfg->source.type != SOURCE_CSV || pthread_create(&thread, NULL, source_thread, &t) != 0) {
		if ((rc = run_read_source(r)) < 0)
			return rc;
		atomic_store_explicit(&r->records_ready, 1, memory_order_release);
		return read_directory(r, 1);
	}
	rc = read_directory(r, 1);
	pthread_join(thread, NULL);
	/* A bad source is what to fix first, as when it was read first. */
	if (t.rc < 0) {
		r->d = t.d;
		return t.rc;
	}
	return rc;
}

/* The attributes the planner compares (and, for the commands that send
 * messages from the directory alone, the one that holds the language). */
static const char **directory_attrs(const struct config *cfg, enum command cmd)
{
	size_t n = 0, i, max = 8 + cfg->people.update.n + 2 * cfg->people.n_attrs;
	int messages = cmd == CMD_ENABLE || cmd == CMD_RESET_PASSWORDS || cmd == CMD_NOTIFY;
	int locale = messages && cfg->notify.locale ? tmpl_single_column(cfg->notify.locale) : -1;
	const char **a = calloc(max + 1, sizeof *a);

	if (!a)
		return NULL;
	a[n++] = "objectClass";
	a[n++] = cfg->directory.flavour->lock_attr;
	a[n++] = cfg->directory.flavour->verify_attr;
	a[n++] = "pwdPolicySubentry";
	a[n++] = cfg->people.note_attribute; /* who sync disabled */
	if (cfg->people.key_attr)
		a[n++] = cfg->people.key_attr;
	if (cfg->roles.enabled)
		a[n++] = cfg->roles.member_attribute;
	for (i = 0; i < cfg->people.update.n; i++)
		a[n++] = cfg->people.update.items[i];
	for (i = 0; i < cfg->people.n_attrs; i++)
		if (strcasecmp(cfg->people.attrs[i].name, "mail") == 0)
			a[n++] = cfg->people.attrs[i].name;
	/* Messages sent from the directory alone (enable, notify --job) are
	 * in the language the entry keeps, when notify.locale is a column
	 * that an attribute holds. */
	for (i = 0; locale >= 0 && i < cfg->people.n_attrs; i++)
		if (tmpl_single_column(cfg->people.attrs[i].value) == locale)
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

static struct plan_input plan_input_of(const struct run *r, int with_directory)
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

	return in;
}

/* Between pages of the read: the rows are planned as far as their people
 * have arrived, while the server prepares the next page (plan.h). */
static void plan_between_pages(void *arg)
{
	struct run *r = arg;

	if (!atomic_load_explicit(&r->records_ready, memory_order_acquire) || r->planning_failed)
		return;
	if (!r->planning) {
		struct plan_input in = plan_input_of(r, 1);
		if (!(r->planning = plan_session_new(&in))) {
			r->planning_failed = 1; /* planned after the read, then */
			return;
		}
	}
	plan_session_feed(r->planning, r->entries.v, r->entries.n);
}

int run_read_directory(struct run *r)
{
	return read_directory(r, 0);
}

static int read_directory(struct run *r, int plan_along)
{
	const struct config *cfg = r->cfg;
	const struct dir_page_hook hook = {plan_between_pages, r};
	const char **attrs;
	unsigned long oom_before = oom_count();
	int rc;

	if ((rc = dir_connect(&r->dir, &cfg->directory.conn, &r->d)) < 0)
		return rc;
	if (!(attrs = directory_attrs(cfg, r->opt->cmd)))
		return diag_set(&r->d, ST_FAIL, "out of memory");
	if (plan_along)
		dir_set_page_hook(r->dir, &hook);
	/* A role group's member values and the people they name are one
	 * string each, whichever is read first. */
	entry_list_share_dns(&r->entries, 1);
	rc = dir_read(r->dir, cfg->directory.base, SCOPE_SUB, "(objectClass=*)", attrs, cfg->directory.page_size,
		      &r->entries, &r->d);
	if (rc == ST_INPUT)
		diag_prefix(&r->d, "directory.base: ");
	if (rc == 0 && cfg->roles.enabled)
		rc = read_container(r, cfg->roles.dn, "roles.dn", attrs);
	if (rc == 0 && cfg->accounts.enabled)
		rc = read_container(r, cfg->accounts.dn, "accounts.dn", attrs);
	entry_list_share_dns(&r->entries, 0);
	dir_set_page_hook(r->dir, NULL);
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
	struct plan_input in = plan_input_of(r, with_directory);
	struct plan_session *s = r->planning;

	if (with_directory && s) {
		r->planning = NULL;
		return plan_session_finish(s, &in, &r->plan, &r->d);
	}
	return plan_build(&in, &r->plan, &r->d);
}

static enum plan_format plan_format_of(const struct options *opt)
{
	return opt->format == OUT_JSON ? PLAN_JSON : opt->format == OUT_LDIF ? PLAN_LDIF : opt->summary ? PLAN_SUMMARY : PLAN_TEXT;
}

int run_write_plan(struct run *r, const char *command, const struct plan_status *status)
{
	FILE *f = stdout;
	int fd, rc = 0;

	if (r->opt->output) {
		/* Plans carry names and addresses: owner-only. */
		fd = open(r->opt->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd);
			return diag_set(&r->d, ST_INPUT, "--output %s: %s", r->opt->output, strerror(errno));
		}
	}
	r->plan->force_limits = r->opt->force_limits;
	if (plan_write(f, plan_format_of(r->opt), r->plan, r->cfg, command, status) < 0)
		rc = diag_set(&r->d, ST_FAIL, "writing the plan: %s", strerror(errno));
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = diag_set(&r->d, ST_FAIL, "writing %s: %s", r->opt->output, strerror(errno));
	return rc;
}

void run_log_plan(const struct plan *p)
{
	log_info("plan: %zu to create, %zu to enable, %zu to update, %zu to disable, %zu role groups and %zu accounts to create, %zu memberships to add, %zu rows rejected",
		 p->counts[OP_CREATE_PERSON], p->counts[OP_ENABLE_PERSON], p->counts[OP_UPDATE_PERSON],
		 p->counts[OP_DISABLE_PERSON], p->counts[OP_CREATE_ROLE], p->counts[OP_CREATE_ACCOUNT],
		 p->counts[OP_ADD_TO_ROLE], p->n_rejected);
	run_warn_rejected(p);
}

void run_warn_rejected(const struct plan *p)
{
	if (p->n_rejected)
		log_warn("%zu row%s rejected; see the plan for the line and reason of each", p->n_rejected,
			 p->n_rejected == 1 ? " is" : "s are");
}

int run_check_policy(struct run *r, int need_lockout)
{
	static const char *const attrs[] = {"pwdMustChange", "pwdLockout", NULL};
	const char *policy = r->cfg->directory.password_policy;
	struct entry_list l;
	struct arena a;
	int rc = 0, found;

	/* A flavour whose entries name no policy has the server's own, which a
	 * service account cannot read: the verification after the writes
	 * tells. */
	if (!r->cfg->directory.flavour->policy_subentry)
		return 0;
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
