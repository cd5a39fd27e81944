#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/config.h"
#include "../connectors/directory.h"
#include "../connectors/source.h"
#include "arena.h"
#include "buf.h"
#include "dn.h"
#include "log.h"
#include "plan.h"
#include "plan_format.h"

/* Everything one run holds; released by run_release(). */
struct run {
	const struct cli *cli;
	struct config *cfg;
	struct arena records_arena;
	struct record **records;
	size_t n_records, alloc_records;
	const char *source_name;
	struct arena entries_arena;
	struct entry_list entries;
	struct dir *dir;
	struct plan *plan;
	struct diag d;
};

static void run_release(struct run *r)
{
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
	if (rc < 0) {
		diag_set(&r->d, rc, "%zu problem%s in the configuration; nothing was changed", errors.n,
			 errors.n == 1 ? "" : "s");
		strlist_free(&errors);
		return rc;
	}
	strlist_free(&errors);
	if (r->cli->state_dir) {
		free(r->cfg->state_dir);
		r->cfg->state_dir = strdup(r->cli->state_dir);
	}
	return 0;
}

/* --- stages ----------------------------------------------------------------- */

static int read_source(struct run *r)
{
	struct source *s = source_new(r->cfg, &r->records_arena, &r->d);
	struct record *rec;
	int rc;

	if (!s)
		return r->d.status;
	r->source_name = s->name;
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
	if (rc == 0 && r->n_records == 0)
		rc = diag_set(&r->d, ST_INPUT,
			      "%s: no data rows; an empty source is refused, so that it can never turn into disables",
			      s->name);
	if (rc == 0)
		log_info("read %zu rows from %s", r->n_records, s->name);
out:
	source_close(s);
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

static int read_directory(struct run *r)
{
	const struct config *cfg = r->cfg;
	const char **attrs;
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
	if (rc == 0)
		log_info("read %zu entries from %s", r->entries.n, dir_uri(r->dir));
	return rc;
}

static int make_plan(struct run *r, int with_directory)
{
	struct plan_input in = {
		.cfg = r->cfg,
		.records = r->records,
		.n_records = r->n_records,
		.entries = with_directory ? r->entries.v : NULL,
		.n_entries = with_directory ? r->entries.n : 0,
		.source = r->source_name,
		.offline = !with_directory,
	};

	return plan_build(&in, &r->plan, &r->d);
}

static enum plan_format plan_format_of(const struct cli *cli)
{
	return cli->format == OUT_JSON ? PLAN_JSON : cli->format == OUT_LDIF ? PLAN_LDIF : PLAN_TEXT;
}

static int write_plan(struct run *r, const char *command)
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
	if (plan_write(f, plan_format_of(r->cli), r->plan, r->cfg, command) < 0)
		rc = diag_set(&r->d, ST_FAIL, "writing the plan: %s", strerror(errno));
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = diag_set(&r->d, ST_FAIL, "writing %s: %s", r->cli->output, strerror(errno));
	return rc;
}

static void log_plan(const struct plan *p)
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

static int cmd_sync(struct run *r)
{
	int rc;

	if (r->cli->apply)
		return diag_set(&r->d, ST_INPUT,
				"sync --apply is not available in this version yet; nothing was changed (the preview works without --apply)");
	if ((rc = read_source(r)) < 0 || (rc = read_directory(r)) < 0 || (rc = make_plan(r, 1)) < 0)
		return rc;
	log_plan(r->plan);
	if ((rc = write_plan(r, "sync")) < 0)
		return rc;
	if (r->cli->check && plan_has_changes(r->plan))
		return 1;
	return 0;
}

static const char *tls_word(const struct cfg_ldap_conn *c, const char *uri)
{
	if (strncmp(uri, "ldaps://", 8) == 0)
		return "TLS";
	if (strncmp(uri, "ldapi://", 8) == 0)
		return "local socket";
	return c->starttls == TLS_REQUIRED ? "StartTLS" : "no TLS";
}

static void print_summary(FILE *f, const struct config *c)
{
	size_t i, k, variants = 0;

	fprintf(f, "config ok: %s\n", c->file);
	fprintf(f, "  directory: %s (%s), base %s, bind as %s\n", c->directory.conn.uris.items[0],
		tls_word(&c->directory.conn, c->directory.conn.uris.items[0]), c->directory.base,
		c->directory.conn.bind_dn);
	if (c->directory.conn.uris.n > 1)
		fprintf(f, "             and %zu more URI%s tried in order\n", c->directory.conn.uris.n - 1,
			c->directory.conn.uris.n > 2 ? "s" : "");
	fprintf(f, "  password policy: %s\n", c->directory.password_policy);
	if (c->source.type == SOURCE_CSV)
		fprintf(f, "  source: CSV %s, key %s\n", c->source.path, c->source.key);
	else
		fprintf(f, "  source: LDAP %s, base %s, key %s\n", c->source.conn.uris.items[0], c->source.base,
			c->source.key);
	fprintf(f, "  people: %s, %zu attributes (%zu kept in sync), found again by %s; absent people: %s\n",
		tmpl_source(c->people.dn), c->people.n_attrs, c->people.update.n, c->people.key_attr,
		c->people.absent == ABSENT_DISABLE ? "disable" : "keep");
	if (c->accounts.enabled)
		fprintf(f, "  accounts: %s (%s)\n", tmpl_source(c->accounts.dn),
			c->accounts.create_missing ? "created when missing" : "must exist");
	if (c->roles.enabled)
		fprintf(f, "  roles: %s, column %s, %zu mapped, default \"%s\", unknown roles: %s\n",
			tmpl_source(c->roles.dn), c->roles.column ? c->roles.column : "(none)", c->roles.n_map,
			c->roles.default_role ? tmpl_source(c->roles.default_role) : "(none)",
			c->roles.unknown == UNKNOWN_REJECT ? "reject" : "default");
	fprintf(f, "  passwords: %u characters, {%s}, %s\n", c->passwords.length,
		c->passwords.hash == PW_SSHA ? "SSHA" : c->passwords.hash == PW_SSHA256 ? "SSHA256" : "SSHA512",
		c->passwords.must_change ? "must be changed at first login" : "no forced change");
	if (c->notify.enabled) {
		fprintf(f, "  notify: %s, from %s, messages", c->notify.smtp.url, c->notify.from);
		for (i = 0; i < c->notify.n_messages; i++) {
			k = c->notify.messages[i];
			fprintf(f, "%s %s", i ? "," : "", msg_kind_name(c->notify.messages[i]));
			variants += c->notify.n_tmpl[k] - 1;
		}
		fprintf(f, "; templates %s (%zu locale variant%s)\n", c->notify.templates ? c->notify.templates : "built-in",
			variants, variants == 1 ? "" : "s");
	} else {
		fprintf(f, "  notify: not configured (people who get a password are listed for manual notification)\n");
	}
	fprintf(f, "  limits: disable at most %lu people and %u%%, create at most %lu\n", c->limits.max_disable,
		c->limits.max_disable_percent, c->limits.max_create);
	fprintf(f, "  state: %s\n", c->state_dir);
}

/* check --connect: the directory holds what the config refers to. */
static int check_directory(struct run *r)
{
	static const char *const policy_attrs[] = {"pwdMustChange", "pwdLockout", NULL};
	static const char *const no_attrs[] = {"1.1", NULL};
	const struct config *c = r->cfg;
	struct entry_list l;
	struct arena a;
	int rc, found;

	arena_init(&a);
	entry_list_init(&l, &a);
	if ((rc = dir_connect(&r->dir, &c->directory.conn, &r->d)) < 0)
		goto out;
	printf("directory ok: bound to %s as %s\n", dir_uri(r->dir), c->directory.conn.bind_dn);
	if ((found = dir_read_entry(r->dir, c->directory.base, no_attrs, &l, &r->d)) <= 0) {
		rc = found < 0 ? found : diag_set(&r->d, ST_INPUT, "directory.base: %s does not exist", c->directory.base);
		goto out;
	}
	printf("  base %s exists\n", c->directory.base);
	entry_list_release(&l);
	entry_list_init(&l, &a);
	if ((found = dir_read_entry(r->dir, c->directory.password_policy, policy_attrs, &l, &r->d)) <= 0) {
		rc = found < 0 ? found
			       : diag_set(&r->d, ST_INPUT, "directory.password_policy: %s does not exist (or cannot be read by %s)",
					  c->directory.password_policy, c->directory.conn.bind_dn);
		goto out;
	}
	if (!entry_has_value(&l.v[0], "pwdMustChange", "TRUE", 1)) {
		rc = diag_set(&r->d, ST_INPUT,
			      "directory.password_policy: %s does not have pwdMustChange: TRUE, so a temporary password would not have to be changed",
			      c->directory.password_policy);
		goto out;
	}
	printf("  password policy %s has pwdMustChange: TRUE\n", c->directory.password_policy);
	if (!entry_has_value(&l.v[0], "pwdLockout", "TRUE", 1))
		log_warn("the password policy %s does not have pwdLockout: TRUE; disabling people will not work",
			 c->directory.password_policy);
	if (c->roles.enabled) {
		struct tmpl_env env = {0};
		struct buf suffix = BUF_INIT;

		env.builtins[TB_BASE] = c->directory.base;
		tmpl_dn_fixed_suffix(c->roles.dn, &env, &suffix);
		if (suffix.len) {
			found = dir_read_entry(r->dir, buf_str(&suffix), no_attrs, &l, &r->d);
			if (found == 0)
				rc = diag_set(&r->d, ST_INPUT, "roles.dn: the role container %s does not exist",
					      buf_str(&suffix));
			else if (found > 0)
				printf("  role container %s exists\n", buf_str(&suffix));
			else
				rc = found;
		}
		buf_release(&suffix);
	}
out:
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

static int cmd_check(struct run *r)
{
	size_t i;
	int rc;

	print_summary(stdout, r->cfg);
	if (r->cfg->source.type == SOURCE_CSV) {
		if ((rc = read_source(r)) < 0 || (rc = make_plan(r, 0)) < 0)
			return rc;
		printf("source ok: %zu row%s, %zu would be rejected\n", r->n_records, r->n_records == 1 ? "" : "s",
		       r->plan->n_rejected);
		for (i = 0; i < r->plan->n_rejected; i++) {
			const struct plan_reject *j = &r->plan->rejected[i];
			printf("  line %u%s%s%s: %s\n", j->line, j->key ? " (" : "", j->key ? j->key : "",
			       j->key ? ")" : "", j->reason);
		}
	}
	if (r->cli->connect && (rc = check_directory(r)) < 0)
		return rc;
	fflush(stdout);
	return r->plan && r->plan->n_rejected ? 1 : 0;
}

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

	rc = load_config(&r);
	if (rc == 0) {
		switch (cli->cmd) {
		case CMD_CHECK:
			rc = cmd_check(&r);
			break;
		case CMD_SYNC:
			rc = cmd_sync(&r);
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
