/* Checks across keys, once every key has been read: TLS against URIs,
 * secret files, which attribute holds the source key, what can be updated,
 * whether the password rules can be met. Each error points at the key it is
 * about (the positions were remembered by the schema pass). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/text/address.h"
#include "agent/base/diag.h"
#include "agent/text/dn.h"
#include "agent/base/secret_file.h"
#include "agent/text/linktoken.h"
#include "config/config_internal.h"

static void resolve(struct loader *L, char **path)
{
	char *r;

	if (!*path)
		return;
	r = config_path(L->cfg, *path);
	if (r) {
		free(*path);
		*path = r;
	}
}

static void check_readable_file(struct loader *L, const char *key, const char *path)
{
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		load_error_at(L, key, "%s: cannot be read", path);
	else if (!S_ISREG(st.st_mode))
		load_error_at(L, key, "%s: not a regular file", path);
}

static void check_secret(struct loader *L, const char *key, const char *path)
{
	struct diag d;

	if (!path)
		return;
	diag_init(&d);
	if (secret_file_check(path, &d) < 0)
		load_error_at(L, key, "%s: %s", path, d.msg);
}

static void check_dn(struct loader *L, const char *key, const char *dn)
{
	struct buf b = BUF_INIT;

	if (dn && dn_normalize(dn, &b) < 0)
		load_error_at(L, key, "'%s' is not a valid DN", dn);
	buf_release(&b);
}

static void check_conn(struct loader *L, const char *section, struct cfg_ldap_conn *c)
{
	char key[128];
	size_t i;

	for (i = 0; i < c->uris.n; i++) {
		const char *u = c->uris.items[i];
		snprintf(key, sizeof key, "%s.uri", section);
		if (strncmp(u, "ldaps://", 8) == 0 || strncmp(u, "ldapi://", 8) == 0)
			continue;
		if (strncmp(u, "ldap://", 7) != 0) {
			load_error_at(L, key, "'%s' is not an ldap://, ldaps:// or ldapi:// URI", u);
			continue;
		}
		if (c->starttls == TLS_OFF && !c->allow_insecure) {
			snprintf(key, sizeof key, "%s.starttls", section);
			load_error_at(L, key, "off sends the bind password in clear text over %s; use starttls: required, an ldaps:// URI, or set allow_insecure: true (loopback tests only)",
				      u);
			break;
		}
	}
	snprintf(key, sizeof key, "%s.ca_file", section);
	resolve(L, &c->ca_file);
	check_readable_file(L, key, c->ca_file);
	snprintf(key, sizeof key, "%s.bind_dn", section);
	check_dn(L, key, c->bind_dn);
	snprintf(key, sizeof key, "%s.bind_password_file", section);
	resolve(L, &c->bind_password_file);
	if (!(L->flags & CONFIG_PAGE))
		check_secret(L, key, c->bind_password_file);
	if (c->bind_dn && !c->bind_password_file && !getenv(c->password_env)) {
		snprintf(key, sizeof key, "%s.bind_dn", section);
		load_error_at(L, key, "no bind password: set %s.bind_password_file or the environment variable %s",
			      section, c->password_env);
	}
}

/* Interns a column that a key names directly (source.key,
 * people.required); that key wins over earlier users in messages, being the
 * better explanation ("source.key" rather than "people.dn"). */
static int require_slot(struct loader *L, const char *column, const char *user)
{
	struct config *c = L->cfg;
	int slot;

	L->tmpl_path = user;
	slot = loader_column_slot(L, column);
	L->tmpl_path = NULL;
	/* source.key, interned first, keeps its name. */
	if (slot >= 0 && strcmp(c->column_users[slot], "source.key") != 0) {
		char *u = oom_checked(strdup(user));
		if (u) {
			free(c->column_users[slot]);
			c->column_users[slot] = u;
		}
	}
	return slot;
}

static void validate_source(struct loader *L)
{
	struct config *c = L->cfg;
	struct cfg_source *s = &c->source;
	size_t i;

	if (s->type == SOURCE_CSV) {
		static const char *const ldap_only[] = {"uri", "starttls", "ca_file", "bind_dn", "bind_password_file",
							"timeout", "allow_insecure", "base", "filter", "scope",
							"page_size", "attributes", NULL};
		char key[64];
		for (i = 0; ldap_only[i]; i++) {
			snprintf(key, sizeof key, "source.%s", ldap_only[i]);
			if (hmap_get(&L->marks, key))
				load_error_at(L, key, "only used with source.type: ldap");
		}
		if (!s->path)
			load_error_at(L, "source", "missing required key 'path' (the CSV file, or - for standard input)");
		else
			resolve(L, &s->path);
		return;
	}
	if (hmap_get(&L->marks, "source.path"))
		load_error_at(L, "source.path", "only used with source.type: csv");
	if (hmap_get(&L->marks, "source.encoding"))
		load_error_at(L, "source.encoding", "only used with source.type: csv");
	if (hmap_get(&L->marks, "source.delimiter"))
		load_error_at(L, "source.delimiter", "only used with source.type: csv");
	if (!s->conn.uris.n)
		load_error_at(L, "source", "missing required key 'uri'");
	if (!s->base)
		load_error_at(L, "source", "missing required key 'base'");
	if (!s->attributes.n)
		load_error_at(L, "source", "missing required key 'attributes' (the attributes to read; they become the column names)");
	check_conn(L, "source", &s->conn);
	check_dn(L, "source.base", s->base);
	if (!s->filter)
		s->filter = oom_checked(strdup("(objectClass=*)"));
	else if (s->filter[0] != '(')
		load_error_at(L, "source.filter", "an LDAP filter must be enclosed in parentheses");
}

void config_validate_columns(struct loader *L)
{
	struct config *c = L->cfg;
	size_t i;

	/* With a directory source the columns are the attributes read, so
	 * every column named anywhere must be one of them. */
	if (c->source.type != SOURCE_LDAP || !c->source.attributes.n)
		return;
	for (i = 0; i < c->columns.n; i++)
		if (!strlist_contains(&c->source.attributes, c->columns.items[i], 1))
			load_error_at(L, "source.attributes", "does not list %s, which is named by %s",
				      c->columns.items[i], c->column_users[i]);
}

static void default_list(struct strlist *l, const char *item)
{
	if (!l->n)
		strlist_push(l, item);
}

static void validate_people(struct loader *L)
{
	struct config *c = L->cfg;
	struct cfg_people *p = &c->people;
	size_t i, j;

	default_list(&p->object_classes, c->directory.flavour->person_class);
	if (!p->note_attribute)
		p->note_attribute = oom_checked(strdup("description"));
	if (!p->reserved_set) {
		static const char *const names[] = {DEFAULT_RESERVED_NAMES};
		for (i = 0; i < sizeof names / sizeof *names; i++)
			strlist_push(&p->reserved, names[i]);
	}
	p->required_slots = oom_checked(calloc(p->required.n ? p->required.n : 1, sizeof *p->required_slots));
	for (i = 0; i < p->required.n && p->required_slots; i++)
		p->required_slots[i] = require_slot(L, p->required.items[i], "people.required");
	if (!p->dn || !p->attrs)
		return;
	p->rdn_attr = tmpl_dn_first_type(p->dn);
	/* The attribute that carries the source key is how a person is found
	 * again in the directory on later runs. */
	for (i = 0; i < p->n_attrs; i++)
		if (c->source.key_slot >= 0 && tmpl_single_column(p->attrs[i].value) == c->source.key_slot) {
			p->key_attr = p->attrs[i].name;
			break;
		}
	if (!p->key_attr && c->source.key) {
		/* The usual cause: the key written in another case than the
		 * column the attributes use. */
		const char *near = NULL, *attr = NULL;
		for (i = 0; i < p->n_attrs && !near; i++) {
			int slot = tmpl_single_column(p->attrs[i].value);
			if (slot >= 0 && strcasecmp(c->columns.items[slot], c->source.key) == 0) {
				near = c->columns.items[slot];
				attr = p->attrs[i].name;
			}
		}
		if (near)
			load_error_at(L, "source.key",
				      "'%s' is not a column the attributes use, but people.attributes.%s is {%s}; names are compared exactly: set source.key: %s",
				      c->source.key, attr, near, near);
		else
			load_error_at(L, "people.attributes",
				      "no attribute is set to {%s} (source.key); map one, e.g. uid: \"{%s}\", so that people can be found again on later runs",
				      c->source.key, c->source.key);
	}
	for (i = 0; p->note_attribute && i < p->n_attrs; i++)
		if (strcasecmp(p->attrs[i].name, p->note_attribute) == 0)
			load_error_at(L, "people.note_attribute",
				      "%s is one of people.attributes; sync's note that it disabled someone needs an attribute of its own (set people.note_attribute)",
				      p->attrs[i].name);
	for (i = 0; i < p->update.n; i++) {
		const char *u = p->update.items[i];
		for (j = 0; j < p->n_attrs; j++)
			if (strcasecmp(p->attrs[j].name, u) == 0)
				break;
		if (j == p->n_attrs)
			load_error_at(L, "people.update", "%s is not one of people.attributes", u);
		else if (p->rdn_attr && strcasecmp(u, p->rdn_attr) == 0)
			load_error_at(L, "people.update", "%s names the entries (people.dn) and cannot be updated", u);
	}
}

static void validate_roles(struct loader *L)
{
	struct cfg_roles *r = &L->cfg->roles;

	if (!r->enabled)
		return;
	default_list(&r->object_classes, L->cfg->directory.flavour->group_class);
	if (!r->member_attribute)
		r->member_attribute = oom_checked(strdup("member"));
	if (r->dn && !tmpl_uses_builtin(r->dn, TB_ROLE))
		load_error_at(L, "roles.dn", "must contain {role}, or every role would share one group");
	if (r->column)
		r->column_slot = require_slot(L, r->column, "roles.column");
	if (!r->default_role && L->cfg->accounts.enabled) {
		/* A person without a role is a standard user of the account. */
		static const struct tmpl_spec spec = {TMPL_TEXT, TB_BIT(TB_ACCOUNT), 0, NULL, NULL};
		struct tmpl_error err;
		if (tmpl_compile(DEFAULT_ROLE, &spec, &r->default_role, &err) < 0)
			load_error_at(L, "roles.default", "%s", err.msg);
	}
}

static unsigned popcount(unsigned x)
{
	unsigned n = 0;

	for (; x; x >>= 1)
		n += x & 1;
	return n;
}

static void validate_passwords(struct loader *L)
{
	struct cfg_passwords *p = &L->cfg->passwords;

	if (popcount(p->classes) < p->min_classes)
		load_error_at(L, "passwords.classes", "%u classes cannot satisfy policy.min_classes %u",
			      popcount(p->classes), p->min_classes);
	if (p->length < p->min_length)
		load_error_at(L, "passwords.length", "%u is shorter than policy.min_length %u", p->length,
			      p->min_length);
	if (p->length < popcount(p->classes))
		load_error_at(L, "passwords.length", "%u is too short to hold one character of each class",
			      p->length);
}

/* An http(s) URL with no query or fragment (one is appended), no spaces.
 * Plain http:// only to this machine: the link carries a password. */
static void check_link_url(struct loader *L, const char *url)
{
	const char *host;

	if (strncmp(url, "https://", 8) == 0) {
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		host = url + 7;
		if (strncmp(host, "127.0.0.1", 9) != 0 && strncmp(host, "localhost", 9) != 0 &&
		    strncmp(host, "[::1]", 5) != 0) {
			load_error_at(L, "passwords.link_url",
				      "'%s': links carry a password, so they must be https:// (plain http:// only to 127.0.0.1 or localhost)",
				      url);
			return;
		}
	} else {
		load_error_at(L, "passwords.link_url", "'%s' is not an https:// URL", url);
		return;
	}
	if (!*host || *host == '/' || strpbrk(url, " \t\r\n\"<>?#'"))
		load_error_at(L, "passwords.link_url",
			      "'%s': expected the page's address with a host, without ?query or #fragment (the token is appended as ?token=...)",
			      url);
}

/* The key file: owner-only, and keys that parse. The keys are wiped at
 * once: whoever seals or opens a token reads the file again. */
static void check_link_keys(struct loader *L, const char *path)
{
	struct link_keys keys;
	struct diag d;

	diag_init(&d);
	if (link_keys_load(path, &keys, &d) < 0)
		load_error_at(L, "passwords.link_key_file", "%s", d.msg);
	link_keys_wipe(&keys);
}

static void validate_delivery(struct loader *L)
{
	struct config *c = L->cfg;
	struct cfg_passwords *p = &c->passwords;
	size_t i;
	int password_message = 0;

	resolve(L, &p->link_key_file);
	if (p->delivery == DELIVER_MAIL) {
		if (p->link_url)
			load_error_at(L, "passwords.link_url", "used only with passwords.delivery: link");
		if (p->link_key_file)
			load_error_at(L, "passwords.link_key_file", "used only with passwords.delivery: link");
		return;
	}
	if (strcmp(c->directory.flavour->name, "openldap") != 0)
		load_error_at(L, "passwords.delivery",
			      "link needs flavor: openldap (the set-password page changes the password with the RFC 3062 password modify and reads the ppolicy answer; flavor %s is not supported)",
			      c->directory.flavour->name);
	if (!p->must_change)
		load_error_at(L, "passwords.must_change",
			      "passwords.delivery: link needs must_change: true (the page finds unused links by pwdReset)");
	if (!p->link_url)
		load_error_at(L, "passwords.delivery", "link needs passwords.link_url (the set-password page's address)");
	else
		check_link_url(L, p->link_url);
	if (!p->link_key_file)
		load_error_at(L, "passwords.delivery",
			      "link needs passwords.link_key_file (owner-only, a line \"1 HEX\" with HEX from: openssl rand -hex 32)");
	else
		check_link_keys(L, p->link_key_file);
	if (p->link_ttl_s < 600 || p->link_ttl_s > 90ul * 86400)
		load_error_at(L, "passwords.link_ttl", "%lus is out of range: links live 10m to 90d", p->link_ttl_s);
	for (i = 0; i < c->notify.n_messages; i++)
		password_message |= c->notify.messages[i] == MSG_PASSWORD;
	if (!c->notify.enabled)
		load_error_at(L, "passwords.delivery", "link sends the link by mail: configure notify");
	else if (!password_message)
		load_error_at(L, "notify.messages", "passwords.delivery: link sends the link in the password message: list password");
}

static void validate_serve(struct loader *L)
{
	const char *l = L->cfg->serve.listen, *colon;
	char *end;
	unsigned long port;

	if (!l)
		return;
	colon = strrchr(l, ':');
	port = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (!colon || colon == l || !colon[1] || *end || port == 0 || port > 65535 ||
	    (l[0] == '[' && colon[-1] != ']'))
		load_error_at(L, "serve.listen", "'%s': expected ADDRESS:PORT, such as 127.0.0.1:8480 or [::1]:8480", l);
}

static void validate_notify(struct loader *L)
{
	struct cfg_notify *n = &L->cfg->notify;
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *why, *u;

	if (!n->enabled)
		return;
	u = n->smtp.url;
	if (u && strncmp(u, "smtp://", 7) != 0 && strncmp(u, "smtps://", 8) != 0)
		load_error_at(L, "notify.smtp.url", "'%s' is not an smtp:// or smtps:// URL", u);
	else if (u && strncmp(u, "smtp://", 7) == 0 && n->smtp.starttls == TLS_OFF && !n->smtp.allow_insecure)
		load_error_at(L, "notify.smtp.starttls",
			      "off sends passwords in clear text; use starttls: required, an smtps:// URL, or set allow_insecure: true (loopback tests only)");
	resolve(L, &n->smtp.ca_file);
	check_readable_file(L, "notify.smtp.ca_file", n->smtp.ca_file);
	resolve(L, &n->smtp.password_file);
	if (!(L->flags & CONFIG_PAGE))
		check_secret(L, "notify.smtp.password_file", n->smtp.password_file);
	if (n->smtp.username && !n->smtp.password_file)
		load_error_at(L, "notify.smtp.username", "needs notify.smtp.password_file");
	if (!n->smtp.username && n->smtp.password_file)
		load_error_at(L, "notify.smtp.password_file", "needs notify.smtp.username");
	if (n->from && mailbox_parse(n->from, &a, &b, &why) < 0)
		load_error_at(L, "notify.from", "'%s' %s", n->from, why);
	buf_reset(&a);
	buf_reset(&b);
	if (n->reply_to && mailbox_parse(n->reply_to, &a, &b, &why) < 0)
		load_error_at(L, "notify.reply_to", "'%s' %s", n->reply_to, why);
	if (n->login_url && ((strncmp(n->login_url, "https://", 8) != 0 && strncmp(n->login_url, "http://", 7) != 0) ||
			     strpbrk(n->login_url, " \t\r\n\"<>")))
		load_error_at(L, "notify.login_url", "'%s' is not an http:// or https:// URL", n->login_url);
	if (!n->n_messages)
		load_error_at(L, "notify.messages", "the list is empty; omit notify to send no mail");
	resolve(L, &n->templates);
	if (n->templates) {
		struct stat st;
		if (stat(n->templates, &st) < 0 || !S_ISDIR(st.st_mode))
			load_error_at(L, "notify.templates", "%s: not a readable directory", n->templates);
	}
	buf_release(&a);
	buf_release(&b);
}

void config_validate(struct loader *L)
{
	struct config *c = L->cfg;

	/* The key first: later checks look for the attribute that holds it. */
	if (c->source.key)
		c->source.key_slot = require_slot(L, c->source.key, "source.key");
	check_conn(L, "directory", &c->directory.conn);
	if (c->directory.flavour->tls_required && c->directory.conn.allow_insecure)
		load_error_at(L, "directory.allow_insecure", "flavor %s takes passwords only over TLS",
			      c->directory.flavour->name);
	if (c->directory.flavour->max_page_size && c->directory.page_size > c->directory.flavour->max_page_size)
		load_error_at(L, "directory.page_size", "flavor %s serves pages of at most %u entries",
			      c->directory.flavour->name, c->directory.flavour->max_page_size);
	check_dn(L, "directory.base", c->directory.base);
	if (!c->directory.flavour->policy_subentry && c->directory.password_policy)
		load_error_at(L, "directory.password_policy", "not used with flavor: %s (the server's own policy applies)",
			      c->directory.flavour->name);
	check_dn(L, "directory.password_policy", c->directory.password_policy);
	validate_people(L);
	validate_roles(L);
	if (c->accounts.enabled)
		default_list(&c->accounts.object_classes, "organizationalUnit");
	validate_passwords(L);
	validate_notify(L);
	validate_delivery(L);
	validate_serve(L);
	resolve(L, &c->state_dir);
	validate_source(L);
}
