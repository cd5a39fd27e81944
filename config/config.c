/* Loading a config: read the file, build the YAML tree (yaml_tree.c), set
 * the defaults, read the sections (schema.c), check across keys
 * (validate.c), load the message templates (templates.c). Loading is strict
 * and collects every error of the file before anything is reported. */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/base/oom.h"
#include "agent/base/crypto.h"
#include "agent/base/utf8.h"
#include "config/config_internal.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

/* --- defaults, reading, entry point ---------------------------------------- */

static int set_defaults(struct config *c)
{
	static const struct cfg_ldap_conn conn = {.starttls = TLS_REQUIRED, .timeout_ms = 10000};

	c->directory.conn = conn;
	c->directory.conn.password_env = "LDAPENROLL_BIND_PASSWORD";
	c->directory.window = 64;
	c->directory.page_size = 500;
	c->directory.flavour = &flavour_openldap;
	c->source.type = SOURCE_CSV;
	c->source.delimiter = ',';
	c->source.conn = conn;
	c->source.conn.password_env = "LDAPENROLL_SOURCE_BIND_PASSWORD";
	c->source.scope = SCOPE_SUB;
	c->source.page_size = 500;
	c->source.key_slot = -1;
	c->accounts.create_missing = 1;
	c->people.absent = ABSENT_KEEP;
	c->roles.column_slot = -1;
	c->roles.unknown = UNKNOWN_REJECT;
	c->roles.create_missing = 1;
	c->passwords.length = 16;
	c->passwords.classes = PW_LOWER | PW_UPPER | PW_DIGIT | PW_SYMBOL;
	c->passwords.min_length = 12;
	c->passwords.min_classes = 3;
	c->passwords.must_change = 1;
	c->passwords.hash = PW_SSHA512;
	c->passwords.link_ttl_s = 3ul * 24 * 3600;
	c->serve.connections = 64;
	c->serve.per_ip = 8;
	c->serve.timeout_ms = 30000;
	c->notify.smtp.starttls = TLS_REQUIRED;
	c->notify.smtp.timeout_ms = 30000;
	c->notify.messages[0] = MSG_WELCOME;
	c->notify.messages[1] = MSG_USERNAME;
	c->notify.messages[2] = MSG_PASSWORD;
	c->notify.n_messages = 3;
	c->notify.retries = 3;
	c->notify.retry_delay_ms = 2000;
	c->notify.connections = 1;
	c->limits.max_disable = 50;
	c->limits.max_disable_percent = 10;
	c->limits.max_create = 100000;
	c->limits.max_reset = 50;
	c->limits.max_reset_percent = 10;
	c->keep_jobs_s = DEFAULT_KEEP_JOBS_S;
	return (c->state_dir = strdup("/var/lib/ldapenroll")) ? 0 : -1;
}

static int read_all(FILE *f, struct buf *b)
{
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_add(b, chunk, n) < 0)
			return -1;
	return ferror(f) ? -1 : 0;
}

static void tree_report(void *arg, unsigned line, unsigned col, const char *path, const char *msg)
{
	load_error(arg, line, col, path, "%s", msg);
}

static void free_marks(struct hmap *m)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (hmap_next(m, &pos, &k, &v)) {
		free((char *)k);
		free(v);
	}
	hmap_release(m);
}

int config_load(const char *path, struct config **out, struct strlist *errors)
{
	return config_load_for(path, 0, out, errors);
}

int config_load_for(const char *path, unsigned flags, struct config **out, struct strlist *errors)
{
	struct config *c = calloc(1, sizeof *c);
	struct loader L = {0};
	struct buf text = BUF_INIT;
	struct ynode *root = NULL;
	FILE *f;
	const char *slash;
	unsigned long seen, oom_before;

	*out = NULL;
	if (!c || set_defaults(c) < 0) {
		strlist_push(errors, "out of memory");
		config_free(c);
		return ST_FAIL;
	}
	L.cfg = c;
	L.errors = errors;
	L.flags = flags;
	oom_before = oom_count();
	hmap_init(&L.columns, 0);
	hmap_init(&L.marks, 0);
	c->file = oom_checked(strdup(strcmp(path, "-") == 0 ? "<stdin>" : path));
	slash = strrchr(path, '/');
	c->dir = oom_checked(strcmp(path, "-") == 0 ? strdup("")
			     : slash ? strndup(path, (size_t)(slash - path) + (slash == path))
				     : strdup(""));
	L.file = c->file ? c->file : path;

	text.cap = CONFIG_MAX_BYTES;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s: cannot read the configuration: %s", path, strerror(errno));
		add_error(&L, &b);
		goto done;
	}
	if (read_all(f, &text) < 0) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s: cannot read the configuration: %s", path,
			   text.failed ? "larger than 1 MiB" : strerror(errno));
		add_error(&L, &b);
	}
	if (f != stdin)
		fclose(f);
	if (L.n_errors)
		goto done;
	{
		struct digest dg;
		if (digest_init(&dg, DIGEST_SHA256) == 0) {
			digest_update(&dg, buf_str(&text), text.len);
			digest_final(&dg, c->digest);
		}
	}
	{
		/* Checked here for an exact position; libyaml reports less. */
		size_t bad = utf8_validate(buf_str(&text), text.len), i;
		unsigned line = 1, col = 1;
		for (i = 0; i < bad && i < text.len; i++) {
			if (text.data[i] == '\n')
				line++, col = 1;
			else if (((unsigned char)text.data[i] & 0xc0) != 0x80)
				col++;
		}
		if (bad < text.len) {
			load_error(&L, line, col, "", "invalid UTF-8 (the file must be UTF-8 encoded)");
			goto done;
		}
		if (memchr(buf_str(&text), '\0', text.len)) {
			load_error(&L, 1, 1, "", "the file contains a NUL byte");
			goto done;
		}
	}
	root = ytree_parse(buf_str(&text), text.len, tree_report, &L);
	if (!root)
		goto done; /* the parser said why */
	seen = each_entry(&L, root, "", config_top_keys, config_top_entry, c);
	require_keys(&L, root, "", config_top_keys, seen, BIT(0) | BIT(1) | BIT(3));
	if (!L.n_errors)
		config_validate(&L);
	if (!L.n_errors)
		config_load_templates(&L);
	if (!L.n_errors)
		config_validate_columns(&L);
done:
	ytree_free(root);
	buf_release(&text);
	hmap_release(&L.columns);
	free_marks(&L.marks);
	if (oom_count() != oom_before) {
		/* What was reported may be a consequence: none of it counts. */
		strlist_free(errors);
		strlist_push(errors, "out of memory while loading the configuration");
		config_free(c);
		return ST_FAIL;
	}
	if (L.n_errors) {
		config_free(c);
		return ST_INPUT;
	}
	*out = c;
	return ST_OK;
}

static void conn_free(struct cfg_ldap_conn *c)
{
	strlist_free(&c->uris);
	free(c->ca_file);
	free(c->bind_dn);
	free(c->bind_password_file);
}

void config_free(struct config *c)
{
	size_t i, k;

	if (!c)
		return;
	free(c->file);
	free(c->dir);
	conn_free(&c->directory.conn);
	free(c->directory.base);
	free(c->directory.password_policy);
	conn_free(&c->source.conn);
	free(c->source.path);
	free(c->source.key);
	free(c->source.base);
	free(c->source.filter);
	strlist_free(&c->source.attributes);
	tmpl_free(c->accounts.dn);
	strlist_free(&c->accounts.object_classes);
	tmpl_free(c->people.dn);
	strlist_free(&c->people.object_classes);
	strlist_free(&c->people.required);
	free(c->people.required_slots);
	free(c->people.note_attribute);
	tmpl_free(c->people.active);
	for (i = 0; i < c->people.n_attrs; i++) {
		free(c->people.attrs[i].name);
		tmpl_free(c->people.attrs[i].value);
	}
	free(c->people.attrs);
	strlist_free(&c->people.update);
	strlist_free(&c->people.reserved);
	free(c->roles.column);
	tmpl_free(c->roles.dn);
	strlist_free(&c->roles.object_classes);
	free(c->roles.member_attribute);
	for (i = 0; i < c->roles.n_map; i++) {
		free(c->roles.map[i].from);
		tmpl_free(c->roles.map[i].to);
	}
	free(c->roles.map);
	tmpl_free(c->roles.default_role);
	free(c->passwords.link_url);
	free(c->passwords.link_key_file);
	free(c->serve.listen);
	free(c->notify.smtp.url);
	free(c->notify.smtp.ca_file);
	free(c->notify.smtp.username);
	free(c->notify.smtp.password_file);
	free(c->notify.from);
	free(c->notify.reply_to);
	free(c->notify.login_url);
	free(c->notify.templates);
	tmpl_free(c->notify.locale);
	for (k = 0; k < MSG_KINDS; k++) {
		for (i = 0; i < c->notify.n_tmpl[k]; i++) {
			free(c->notify.tmpl[k][i].path);
			free(c->notify.tmpl[k][i].locale);
			tmpl_free(c->notify.tmpl[k][i].subject);
			tmpl_free(c->notify.tmpl[k][i].body);
		}
		free(c->notify.tmpl[k]);
	}
	free(c->state_dir);
	for (i = 0; i < c->columns.n; i++)
		free(c->column_users[i]);
	free(c->column_users);
	strlist_free(&c->columns);
	free(c);
}
