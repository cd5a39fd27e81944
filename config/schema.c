/* The schema: one function per section of the config, reading its keys
 * with the conversions of convert.c. Defaults are set before (config.c) and
 * checks across keys come after (validate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_internal.h"

/* --- sections ---------------------------------------------------------------- */

static const char *const tls_names[] = {"required", "off", NULL};

/* Keys shared by the directory and an LDAP source. */
static int conn_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
		      struct cfg_ldap_conn *c)
{
	int e;

	if (strcmp(key, "uri") == 0) {
		get_list(L, v, path, 1, &c->uris);
		if (v->type == YN_SEQ && !v->n_kids)
			err_node(L, v, path, "the list of URIs is empty");
	} else if (strcmp(key, "starttls") == 0) {
		if ((e = get_enum(L, v, path, tls_names)) >= 0)
			c->starttls = (enum tls_mode)e;
	} else if (strcmp(key, "ca_file") == 0) {
		free(c->ca_file);
		c->ca_file = get_word(L, v, path);
	} else if (strcmp(key, "bind_dn") == 0) {
		free(c->bind_dn);
		c->bind_dn = get_word(L, v, path);
	} else if (strcmp(key, "bind_password_file") == 0) {
		free(c->bind_password_file);
		c->bind_password_file = get_word(L, v, path);
	} else if (strcmp(key, "timeout") == 0) {
		get_duration(L, v, path, 100, 3600000, &c->timeout_ms);
	} else if (strcmp(key, "allow_insecure") == 0) {
		get_bool(L, v, path, &c->allow_insecure);
	} else {
		return 0;
	}
	return 1;
}

static const char *const directory_keys[] = {"uri", "starttls", "ca_file", "bind_dn", "bind_password_file",
					      "flavor", "base", "password_policy", "timeout", "window",
					      "page_size", "allow_insecure", NULL};

static void directory_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			    void *ctx)
{
	struct cfg_directory *d = ctx;
	int e;

	if (conn_entry(L, key, v, path, &d->conn))
		return;
	if (strcmp(key, "flavor") == 0) {
		if (v->type == YN_SCALAR && !yscalar_is_null(v) &&
		    (strcmp(v->value, "freeipa") == 0 || strcmp(v->value, "activedirectory") == 0))
			err_node(L, v, path, "'%s' is not supported%s", v->value,
				 strcmp(v->value, "activedirectory") == 0 ? "; Active Directory is flavor: ad" : " yet");
		else if ((e = get_enum(L, v, path, flavour_names)) >= 0)
			d->flavour = flavour_by_name(flavour_names[e]);
	} else if (strcmp(key, "base") == 0) {
		free(d->base);
		d->base = get_word(L, v, path);
	} else if (strcmp(key, "password_policy") == 0) {
		free(d->password_policy);
		d->password_policy = get_word(L, v, path);
	} else if (strcmp(key, "window") == 0) {
		get_uint(L, v, path, 1, 1000, &d->window);
	} else if (strcmp(key, "page_size") == 0) {
		get_uint(L, v, path, 1, 100000, &d->page_size);
	}
}

static const char *const source_keys[] = {"type", "path", "key", "uri", "starttls", "ca_file", "bind_dn",
					   "bind_password_file", "timeout", "allow_insecure", "base", "filter",
					   "scope", "page_size", "attributes", "encoding", "delimiter", NULL};

/* source.encoding: the names an administrator writes (in any case), and
 * iconv's; NULL is UTF-8, read as is. */
static const struct {
	const char *name, *iconv;
} encodings[] = {
	{"utf-8", NULL},         {"utf8", NULL},       {"windows-1252", "WINDOWS-1252"}, {"cp1252", "WINDOWS-1252"},
	{"iso-8859-1", "ISO-8859-1"}, {"latin1", "ISO-8859-1"}, {"utf-16", "UTF-16"},
};

static void get_encoding(struct loader *L, const struct ynode *v, const char *path, const char **out)
{
	char *s = get_str(L, v, path);
	size_t i;

	if (!s)
		return;
	for (i = 0; i < sizeof encodings / sizeof *encodings; i++)
		if (strcasecmp(s, encodings[i].name) == 0) {
			*out = encodings[i].iconv;
			free(s);
			return;
		}
	err_node(L, v, path, "'%s' is not one of: utf-8, windows-1252, iso-8859-1, utf-16 (with a byte order mark)", s);
	free(s);
}

/* source.delimiter: a comma, a semicolon, a tab, or auto (decided from
 * each file's header line). */
static void get_delimiter(struct loader *L, const struct ynode *v, const char *path, char *out)
{
	static const struct {
		const char *name;
		char c;
	} names[] = {{",", ','}, {"comma", ','}, {";", ';'}, {"semicolon", ';'}, {"tab", '\t'}, {"\t", '\t'}, {"auto", 0}};
	char *s = get_str(L, v, path);
	size_t i;

	if (!s)
		return;
	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].c;
			free(s);
			return;
		}
	err_node(L, v, path, "'%s' is not one of: \",\" (the default), \";\", tab, auto", s);
	free(s);
}

static void source_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			 void *ctx)
{
	static const char *const types[] = {"csv", "ldap", NULL};
	static const char *const scopes[] = {"base", "one", "sub", NULL};
	struct cfg_source *s = ctx;
	int e;

	if (conn_entry(L, key, v, path, &s->conn))
		return;
	if (strcmp(key, "type") == 0) {
		if ((e = get_enum(L, v, path, types)) >= 0)
			s->type = (enum source_type)e;
	} else if (strcmp(key, "path") == 0) {
		free(s->path);
		s->path = get_word(L, v, path);
	} else if (strcmp(key, "key") == 0) {
		free(s->key);
		s->key = get_word(L, v, path);
	} else if (strcmp(key, "base") == 0) {
		free(s->base);
		s->base = get_word(L, v, path);
	} else if (strcmp(key, "filter") == 0) {
		free(s->filter);
		s->filter = get_word(L, v, path);
	} else if (strcmp(key, "scope") == 0) {
		if ((e = get_enum(L, v, path, scopes)) >= 0)
			s->scope = (enum ldap_scope)e;
	} else if (strcmp(key, "page_size") == 0) {
		get_uint(L, v, path, 1, 100000, &s->page_size);
	} else if (strcmp(key, "attributes") == 0) {
		get_list(L, v, path, 0, &s->attributes);
	} else if (strcmp(key, "encoding") == 0) {
		get_encoding(L, v, path, &s->encoding);
	} else if (strcmp(key, "delimiter") == 0) {
		get_delimiter(L, v, path, &s->delimiter);
	}
}

static const char *const accounts_keys[] = {"dn", "create_missing", "object_classes", NULL};

static void accounts_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			   void *ctx)
{
	struct cfg_accounts *a = ctx;

	if (strcmp(key, "dn") == 0)
		a->dn = get_tmpl(L, v, path, TMPL_DN, TB_BIT(TB_BASE));
	else if (strcmp(key, "create_missing") == 0)
		get_bool(L, v, path, &a->create_missing);
	else if (strcmp(key, "object_classes") == 0)
		get_list(L, v, path, 1, &a->object_classes);
}

static int valid_attr_name(const char *s)
{
	const char *p = s;

	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return 0;
	for (p++; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == ';'))
			return 0;
	return 1;
}

/* Attributes that ldapenroll writes itself. */
static const char *const managed_attrs[] = {"userPassword", "pwdReset", "pwdPolicySubentry", "nsAccountLock", "passwordExpirationTime",
					    "unicodePwd", "userAccountControl", "pwdLastSet",
					    "pwdAccountLockedTime", "objectClass", NULL};

static void people_attributes(struct loader *L, const struct ynode *map, const char *path,
			      struct cfg_people *p)
{
	const unsigned builtins = TB_BIT(TB_BASE) | TB_BIT(TB_ACCOUNT) | TB_BIT(TB_ROLE) | TB_BIT(TB_DN);
	size_t i, j;

	if (map->type != YN_MAP) {
		err_node(L, map, path, "expected a mapping of attribute: template, found %s", type_name(map));
		return;
	}
	p->attrs = oom_checked(calloc(ymap_size(map) ? ymap_size(map) : 1, sizeof *p->attrs));
	if (!p->attrs)
		return;
	for (i = 0; i < ymap_size(map); i++) {
		const struct ynode *k = ymap_key(map, i), *v = ymap_value(map, i);
		char kpath[256];
		struct cfg_attr *a;

		if (k->ignored)
			continue;
		snprintf(kpath, sizeof kpath, "%s.%s", path, k->value);
		if (!valid_attr_name(k->value)) {
			err_node(L, k, kpath, "not a valid attribute name");
			continue;
		}
		for (j = 0; managed_attrs[j]; j++)
			if (strcasecmp(k->value, managed_attrs[j]) == 0)
				break;
		if (managed_attrs[j]) {
			err_node(L, k, kpath, "%s is written by ldapenroll itself and cannot be mapped", managed_attrs[j]);
			continue;
		}
		for (j = 0; j < p->n_attrs; j++)
			if (strcasecmp(p->attrs[j].name, k->value) == 0)
				break;
		if (j < p->n_attrs) {
			err_node(L, k, kpath, "the attribute is mapped twice (also as %s)", p->attrs[j].name);
			continue;
		}
		remember(L, kpath, v);
		a = &p->attrs[p->n_attrs];
		a->name = oom_checked(strdup(k->value));
		a->mark.line = v->line;
		a->mark.column = v->col;
		a->value = get_tmpl(L, v, kpath, TMPL_TEXT, builtins);
		if (a->name && a->value)
			p->n_attrs++;
		else {
			free(a->name);
			tmpl_free(a->value);
			a->name = NULL;
			a->value = NULL;
		}
	}
}

static const char *const people_keys[] = {"dn", "object_classes", "required", "active", "attributes",
					  "update", "absent", "reserved", "note_attribute", NULL};

static void people_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			 void *ctx)
{
	static const char *const absent[] = {"keep", "disable", NULL};
	struct cfg_people *p = ctx;
	int e;

	if (strcmp(key, "dn") == 0)
		p->dn = get_tmpl(L, v, path, TMPL_DN, TB_BIT(TB_BASE) | TB_BIT(TB_ACCOUNT));
	else if (strcmp(key, "object_classes") == 0)
		get_list(L, v, path, 1, &p->object_classes);
	else if (strcmp(key, "required") == 0)
		get_list(L, v, path, 1, &p->required);
	else if (strcmp(key, "active") == 0)
		p->active = get_tmpl(L, v, path, TMPL_TEXT, 0);
	else if (strcmp(key, "attributes") == 0)
		people_attributes(L, v, path, p);
	else if (strcmp(key, "update") == 0)
		get_list(L, v, path, 1, &p->update);
	else if (strcmp(key, "absent") == 0 && (e = get_enum(L, v, path, absent)) >= 0)
		p->absent = (enum absent_policy)e;
	else if (strcmp(key, "reserved") == 0) {
		p->reserved_set = 1;
		get_list(L, v, path, 1, &p->reserved);
	} else if (strcmp(key, "note_attribute") == 0) {
		free(p->note_attribute);
		if ((p->note_attribute = get_word(L, v, path)) && !valid_attr_name(p->note_attribute))
			err_node(L, v, path, "'%s' is not an attribute name", p->note_attribute);
	}
}

static void roles_map(struct loader *L, const struct ynode *map, const char *path, struct cfg_roles *r)
{
	const unsigned builtins = TB_BIT(TB_ACCOUNT) | TB_BIT(TB_BASE);
	size_t i;

	r->has_map = 1;
	if (map->type != YN_MAP) {
		err_node(L, map, path, "expected a mapping of source value: role name, found %s", type_name(map));
		return;
	}
	r->map = oom_checked(calloc(ymap_size(map) ? ymap_size(map) : 1, sizeof *r->map));
	if (!r->map)
		return;
	for (i = 0; i < ymap_size(map); i++) {
		const struct ynode *k = ymap_key(map, i), *v = ymap_value(map, i);
		struct cfg_role_map *m = &r->map[r->n_map];
		char kpath[512];

		if (k->ignored)
			continue;
		snprintf(kpath, sizeof kpath, "%s.%s", path, k->value);
		m->from = get_str(L, k, kpath);
		m->to = get_tmpl(L, v, kpath, TMPL_TEXT, builtins);
		if (m->from && m->to)
			r->n_map++;
		else {
			free(m->from);
			tmpl_free(m->to);
			m->from = NULL;
			m->to = NULL;
		}
	}
}

static const char *const roles_keys[] = {"column", "dn", "object_classes", "member_attribute", "map",
					 "default", "unknown", "create_missing", NULL};

static void roles_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			void *ctx)
{
	static const char *const unknown[] = {"reject", "default", NULL};
	struct cfg_roles *r = ctx;
	int e;

	if (strcmp(key, "column") == 0) {
		free(r->column);
		r->column = get_word(L, v, path);
	} else if (strcmp(key, "dn") == 0) {
		r->dn = get_tmpl(L, v, path, TMPL_DN, TB_BIT(TB_ROLE) | TB_BIT(TB_BASE) | TB_BIT(TB_ACCOUNT));
	} else if (strcmp(key, "object_classes") == 0) {
		get_list(L, v, path, 1, &r->object_classes);
	} else if (strcmp(key, "member_attribute") == 0) {
		free(r->member_attribute);
		r->member_attribute = get_word(L, v, path);
	} else if (strcmp(key, "map") == 0) {
		roles_map(L, v, path, r);
	} else if (strcmp(key, "default") == 0) {
		r->default_role = get_tmpl(L, v, path, TMPL_TEXT, TB_BIT(TB_ACCOUNT) | TB_BIT(TB_BASE));
	} else if (strcmp(key, "unknown") == 0) {
		if ((e = get_enum(L, v, path, unknown)) >= 0)
			r->unknown = (enum unknown_role)e;
	} else if (strcmp(key, "create_missing") == 0) {
		get_bool(L, v, path, &r->create_missing);
	}
}

static const char *const policy_keys[] = {"min_length", "min_classes", NULL};

static void policy_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			 void *ctx)
{
	struct cfg_passwords *p = ctx;

	if (strcmp(key, "min_length") == 0)
		get_uint(L, v, path, 1, 128, &p->min_length);
	else if (strcmp(key, "min_classes") == 0)
		get_uint(L, v, path, 0, 4, &p->min_classes);
}

static const char *const passwords_keys[] = {"length", "classes", "policy", "must_change", "hash", "delivery",
					      "link_ttl", "link_url", "link_key_file", NULL};

static void passwords_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			    void *ctx)
{
	static const char *const classes[] = {"lower", "upper", "digit", "symbol", NULL};
	static const char *const hashes[] = {"ssha", "ssha256", "ssha512", NULL};
	static const char *const deliveries[] = {"mail", "link", NULL};
	struct cfg_passwords *p = ctx;
	int e;

	if (strcmp(key, "length") == 0) {
		get_uint(L, v, path, 8, 128, &p->length);
	} else if (strcmp(key, "classes") == 0) {
		size_t i;
		if (v->type != YN_SEQ || !v->n_kids) {
			err_node(L, v, path, "expected a non-empty list of lower, upper, digit, symbol");
			return;
		}
		p->classes = 0;
		for (i = 0; i < v->n_kids; i++) {
			char ipath[256];
			snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
			if ((e = get_enum(L, v->kids[i], ipath, classes)) < 0)
				continue;
			if (p->classes & (1u << e))
				err_node(L, v->kids[i], ipath, "'%s' is listed twice", classes[e]);
			p->classes |= 1u << e;
		}
	} else if (strcmp(key, "policy") == 0) {
		each_entry(L, v, path, policy_keys, policy_entry, p);
	} else if (strcmp(key, "must_change") == 0) {
		get_bool(L, v, path, &p->must_change);
	} else if (strcmp(key, "hash") == 0) {
		if ((e = get_enum(L, v, path, hashes)) >= 0)
			p->hash = (enum pw_hash)e;
	} else if (strcmp(key, "delivery") == 0) {
		if ((e = get_enum(L, v, path, deliveries)) >= 0)
			p->delivery = (enum pw_delivery)e;
	} else if (strcmp(key, "link_ttl") == 0) {
		get_period(L, v, path, NULL, &p->link_ttl_s);
	} else if (strcmp(key, "link_url") == 0) {
		free(p->link_url);
		p->link_url = get_word(L, v, path);
	} else if (strcmp(key, "link_key_file") == 0) {
		free(p->link_key_file);
		p->link_key_file = get_word(L, v, path);
	}
}

static const char *const serve_keys[] = {"listen", "connections", "per_ip", "timeout", NULL};

static void serve_entry(struct loader *L, const char *key, const struct ynode *v, const char *path, void *ctx)
{
	struct cfg_serve *s = ctx;

	if (strcmp(key, "listen") == 0) {
		free(s->listen);
		s->listen = get_word(L, v, path);
	} else if (strcmp(key, "connections") == 0) {
		get_uint(L, v, path, 1, 10000, &s->connections);
	} else if (strcmp(key, "per_ip") == 0) {
		get_uint(L, v, path, 1, 10000, &s->per_ip);
	} else if (strcmp(key, "timeout") == 0) {
		get_duration(L, v, path, 1000, 600000, &s->timeout_ms);
	}
}

static const char *const smtp_keys[] = {"url", "starttls", "ca_file", "username", "password_file",
					"timeout", "allow_insecure", NULL};

static void smtp_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
		       void *ctx)
{
	struct cfg_smtp *s = ctx;
	int e;

	if (strcmp(key, "url") == 0) {
		free(s->url);
		s->url = get_word(L, v, path);
	} else if (strcmp(key, "starttls") == 0) {
		if ((e = get_enum(L, v, path, tls_names)) >= 0)
			s->starttls = (enum tls_mode)e;
	} else if (strcmp(key, "ca_file") == 0) {
		free(s->ca_file);
		s->ca_file = get_word(L, v, path);
	} else if (strcmp(key, "username") == 0) {
		free(s->username);
		s->username = get_word(L, v, path);
	} else if (strcmp(key, "password_file") == 0) {
		free(s->password_file);
		s->password_file = get_word(L, v, path);
	} else if (strcmp(key, "timeout") == 0) {
		get_duration(L, v, path, 100, 3600000, &s->timeout_ms);
	} else if (strcmp(key, "allow_insecure") == 0) {
		get_bool(L, v, path, &s->allow_insecure);
	}
}

static const char *const notify_keys[] = {"smtp", "from", "reply_to", "login_url", "messages",
					  "templates", "locale", "retries", "retry_delay", "connections", NULL};

static void notify_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			 void *ctx)
{
	static const char *const kinds[] = {"welcome", "username", "password", NULL};
	struct cfg_notify *n = ctx;
	unsigned long seen;
	int e;

	if (strcmp(key, "smtp") == 0) {
		seen = each_entry(L, v, path, smtp_keys, smtp_entry, &n->smtp);
		require_keys(L, v, path, smtp_keys, seen, BIT(0));
	} else if (strcmp(key, "from") == 0) {
		free(n->from);
		n->from = get_word(L, v, path);
	} else if (strcmp(key, "reply_to") == 0) {
		free(n->reply_to);
		n->reply_to = get_word(L, v, path);
	} else if (strcmp(key, "login_url") == 0) {
		free(n->login_url);
		n->login_url = get_word(L, v, path);
	} else if (strcmp(key, "messages") == 0) {
		size_t i, j;
		if (v->type != YN_SEQ) {
			err_node(L, v, path, "expected a list of welcome, username, password, found %s", type_name(v));
			return;
		}
		n->n_messages = 0;
		for (i = 0; i < v->n_kids; i++) {
			char ipath[256];
			snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
			if ((e = get_enum(L, v->kids[i], ipath, kinds)) < 0)
				continue;
			for (j = 0; j < n->n_messages; j++)
				if (n->messages[j] == (enum msg_kind)e)
					break;
			if (j < n->n_messages)
				err_node(L, v->kids[i], ipath, "'%s' is listed twice", kinds[e]);
			else
				n->messages[n->n_messages++] = (enum msg_kind)e;
		}
	} else if (strcmp(key, "templates") == 0) {
		free(n->templates);
		n->templates = get_word(L, v, path);
	} else if (strcmp(key, "locale") == 0) {
		n->locale = get_tmpl(L, v, path, TMPL_TEXT, 0);
	} else if (strcmp(key, "retries") == 0) {
		get_uint(L, v, path, 0, 20, &n->retries);
	} else if (strcmp(key, "retry_delay") == 0) {
		get_duration(L, v, path, 0, 600000, &n->retry_delay_ms);
	} else if (strcmp(key, "connections") == 0) {
		get_uint(L, v, path, 1, 16, &n->connections);
	}
}

static const char *const limits_keys[] = {"max_disable", "max_disable_percent", "max_create", "max_reset",
					  "max_reset_percent", NULL};

static void limits_entry(struct loader *L, const char *key, const struct ynode *v, const char *path,
			 void *ctx)
{
	struct cfg_limits *l = ctx;

	if (strcmp(key, "max_disable") == 0)
		get_ulong(L, v, path, 0, 100000000, &l->max_disable);
	else if (strcmp(key, "max_disable_percent") == 0)
		get_uint(L, v, path, 0, 100, &l->max_disable_percent);
	else if (strcmp(key, "max_create") == 0)
		get_ulong(L, v, path, 0, 100000000, &l->max_create);
	else if (strcmp(key, "max_reset") == 0)
		get_ulong(L, v, path, 0, 100000000, &l->max_reset);
	else if (strcmp(key, "max_reset_percent") == 0)
		get_uint(L, v, path, 0, 100, &l->max_reset_percent);
}

static const char *const state_keys[] = {"keep_jobs", NULL};

static void state_entry(struct loader *L, const char *key, const struct ynode *v, const char *path, void *ctx)
{
	struct config *c = ctx;

	if (strcmp(key, "keep_jobs") == 0)
		get_period(L, v, path, "forever", &c->keep_jobs_s);
}

const char *const config_top_keys[] = {"directory", "source", "accounts", "people", "roles", "passwords",
				       "notify", "limits", "state_dir", "state", "serve", NULL};

void config_top_entry(struct loader *L, const char *key, const struct ynode *v, const char *path, void *ctx)
{
	struct config *c = ctx;
	unsigned long seen;

	if (strcmp(key, "directory") == 0) {
		seen = each_entry(L, v, path, directory_keys, directory_entry, &c->directory);
		/* password_policy: required by the flavours whose entries name it. */
		require_keys(L, v, path, directory_keys, seen,
			     BIT(0) | BIT(3) | BIT(6) | (c->directory.flavour->policy_subentry ? BIT(7) : 0));
	} else if (strcmp(key, "source") == 0) {
		seen = each_entry(L, v, path, source_keys, source_entry, &c->source);
		require_keys(L, v, path, source_keys, seen, BIT(2));
	} else if (strcmp(key, "accounts") == 0) {
		c->accounts.enabled = 1;
		seen = each_entry(L, v, path, accounts_keys, accounts_entry, &c->accounts);
		require_keys(L, v, path, accounts_keys, seen, BIT(0));
	} else if (strcmp(key, "people") == 0) {
		seen = each_entry(L, v, path, people_keys, people_entry, &c->people);
		require_keys(L, v, path, people_keys, seen, BIT(0) | BIT(4));
	} else if (strcmp(key, "roles") == 0) {
		c->roles.enabled = 1;
		seen = each_entry(L, v, path, roles_keys, roles_entry, &c->roles);
		require_keys(L, v, path, roles_keys, seen, BIT(1));
	} else if (strcmp(key, "passwords") == 0) {
		each_entry(L, v, path, passwords_keys, passwords_entry, &c->passwords);
	} else if (strcmp(key, "notify") == 0) {
		c->notify.enabled = 1;
		seen = each_entry(L, v, path, notify_keys, notify_entry, &c->notify);
		require_keys(L, v, path, notify_keys, seen, BIT(0) | BIT(1) | BIT(3));
	} else if (strcmp(key, "limits") == 0) {
		each_entry(L, v, path, limits_keys, limits_entry, &c->limits);
	} else if (strcmp(key, "state_dir") == 0) {
		free(c->state_dir);
		c->state_dir = get_word(L, v, path);
	} else if (strcmp(key, "state") == 0) {
		each_entry(L, v, path, state_keys, state_entry, c);
	} else if (strcmp(key, "serve") == 0) {
		each_entry(L, v, path, serve_keys, serve_entry, &c->serve);
	}
}
