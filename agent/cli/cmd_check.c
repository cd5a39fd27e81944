/* check [--connect]: the config, the templates and the rows of a CSV
 * source, without any server; with --connect also the directory (bind,
 * base, password policy, role container) and the mail server (EHLO,
 * STARTTLS, AUTH; nothing is sent). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "connectors/smtp.h"
#include "agent/text/address.h"
#include "agent/base/buf.h"
#include "agent/base/log.h"
#include "agent/cli/commands.h"

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
	if (c->directory.flavour->policy_subentry)
		fprintf(f, "  password policy: %s\n", c->directory.password_policy);
	else
		fprintf(f, "  password policy: the server's own (flavor %s)\n", c->directory.flavour->name);
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
	if (c->passwords.delivery == DELIVER_LINK) {
		unsigned long ttl = c->passwords.link_ttl_s;
		fprintf(f, "  delivery: set-password links to %s, valid %lu%s; the page: ldapenroll serve on %s\n",
			c->passwords.link_url, ttl % 86400 ? ttl % 3600 ? ttl / 60 : ttl / 3600 : ttl / 86400,
			ttl % 86400 ? ttl % 3600 ? "m" : "h" : "d", c->serve.listen ? c->serve.listen : "127.0.0.1:8480");
	}
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

/* The root DSE says which server this is: it must be the configured
 * flavour (another one's must-change and disable attributes would be
 * written, and ignored). */
static int check_flavour(struct run *r)
{
	static const char *const attrs[] = {"objectClass", "vendorName", "vendorVersion", "supportedCapabilities",
					    NULL};
	const struct flavour *want = r->cfg->directory.flavour, *f;
	struct entry_list l;
	struct arena a;
	size_t i;
	int rc = 0, found;

	arena_init(&a);
	entry_list_init(&l, &a);
	if ((found = dir_read_entry(r->dir, "", attrs, &l, &r->d)) < 0) {
		rc = found;
	} else if (!found) {
		log_warn("the root DSE cannot be read: directory.flavor %s is not checked", want->name);
	} else {
		for (i = 0; flavour_names[i]; i++) {
			f = flavour_by_name(flavour_names[i]);
			if (!entry_has_value(&l.v[0], f->rootdse_attr, f->rootdse_value, 1) &&
			    !(entry_first(&l.v[0], f->rootdse_attr) &&
			      strncasecmp(entry_first(&l.v[0], f->rootdse_attr), f->rootdse_value, strlen(f->rootdse_value)) == 0))
				continue;
			if (f != want)
				rc = diag_set(&r->d, ST_INPUT,
					      "directory.flavor is %s, but %s is %s (its root DSE has %s: %s); set directory.flavor: %s",
					      want->name, dir_uri(r->dir), f->name, f->rootdse_attr, f->rootdse_value, f->name);
			else
				printf("  the server is %s, as directory.flavor says\n", f->name);
			break;
		}
		if (!flavour_names[i])
			log_warn("the root DSE of %s names no flavour ldapenroll knows; directory.flavor %s is assumed",
				 dir_uri(r->dir), want->name);
	}
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* check --connect: the directory holds what the config refers to. */
static int check_directory(struct run *r)
{
	static const char *const no_attrs[] = {"1.1", NULL};
	const struct config *c = r->cfg;
	struct tmpl_env env = {0};
	struct buf suffix = BUF_INIT;
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
	if ((rc = check_flavour(r)) < 0)
		goto out;
	if ((rc = run_check_policy(r, 0)) < 0)
		goto out;
	if (c->directory.flavour->policy_subentry)
		printf("  password policy %s has pwdMustChange: TRUE\n", c->directory.password_policy);
	if (c->directory.flavour->policy_subentry && run_check_policy(r, 1) < 0) {
		diag_init(&r->d);
		log_warn("the password policy %s does not have pwdLockout: TRUE; disabling people will not work",
			 c->directory.password_policy);
	}
	if (c->roles.enabled) {
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
	}
out:
	buf_release(&suffix);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* check --connect: the mail path up to AUTH, without sending anything. */
static int check_mail(struct run *r)
{
	const struct cfg_notify *n = &r->cfg->notify;
	struct buf name = BUF_INIT, addr = BUF_INIT;
	struct smtp *s = NULL;
	const char *why;
	int rc;

	if (!n->enabled)
		return 0;
	mailbox_parse(n->from, &name, &addr, &why);
	rc = smtp_open(&s, &n->smtp, buf_str(&addr), &r->d);
	if (rc == 0)
		rc = smtp_check(s, &r->d);
	if (rc == 0)
		printf("mail ok: %s (%s%s%s), no message sent\n", n->smtp.url,
		       strncmp(n->smtp.url, "smtps://", 8) == 0 ? "TLS" : n->smtp.starttls == TLS_REQUIRED ? "STARTTLS" : "no TLS",
		       n->smtp.username ? ", AUTH as " : "", n->smtp.username ? n->smtp.username : "");
	smtp_close(s);
	buf_release(&name);
	buf_release(&addr);
	return rc;
}

int cmd_check(struct run *r)
{
	size_t i;
	int rc;

	print_summary(stdout, r->cfg);
	if (r->cfg->source.type == SOURCE_CSV) {
		if ((rc = run_read_source(r)) < 0 || (rc = run_make_plan(r, 0)) < 0)
			return rc;
		printf("source ok: %zu row%s, %zu would be rejected\n", r->n_records, r->n_records == 1 ? "" : "s",
		       r->plan->n_rejected);
		for (i = 0; i < r->plan->n_rejected; i++) {
			const struct plan_reject *j = &r->plan->rejected[i];
			printf("  line %u%s%s%s: %s\n", j->line, j->key ? " (" : "", j->key ? j->key : "",
			       j->key ? ")" : "", j->reason);
		}
	}
	if (r->opt->connect && ((rc = check_directory(r)) < 0 || (rc = check_mail(r)) < 0))
		return rc;
	fflush(stdout);
	/* Rows it would reject are a warning (the run would go on without
	 * them); --strict makes them a failure. */
	return r->plan && r->plan->n_rejected && r->opt->strict ? 1 : 0;
}

