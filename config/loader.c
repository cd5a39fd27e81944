/* Conversions from YAML nodes to typed values, with the errors they
 * report: the helpers every section of the schema (schema.c) is read with. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"
#include "agent/base/utf8.h"
#include "config/config_internal.h"

/* --- error reporting ----------------------------------------------------- */

void add_error(struct loader *L, struct buf *msg)
{
	struct buf line = BUF_INIT;
	const char *s = buf_str(msg);
	size_t i;

	/* Each error is one line: a line break or another control character
	 * quoted from the file (in a key, a value, a template) is escaped. */
	for (i = 0; i < msg->len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			buf_adds(&line, "\\n");
		else if (c == '\r')
			buf_adds(&line, "\\r");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			buf_printf(&line, "\\x%02x", c);
		else
			buf_addc(&line, (char)c);
	}
	strlist_push(L->errors, buf_str(&line));
	L->n_errors++;
	buf_release(&line);
	buf_release(msg);
}

void load_error(struct loader *L, unsigned line, unsigned col, const char *path, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_printf(&b, "%s:%u:%u: ", L->file, line, col);
	if (path && *path)
		buf_printf(&b, "%s: ", path);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	add_error(L, &b);
}

void load_error_at(struct loader *L, const char *path, const char *fmt, ...)
{
	const struct cfg_mark *m = hmap_get(&L->marks, path);
	struct buf b = BUF_INIT;
	va_list ap;

	buf_printf(&b, "%s:%u:%u: %s: ", L->file, m ? m->line : 1, m ? m->column : 1, path);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	add_error(L, &b);
}

void err_node(struct loader *L, const struct ynode *n, const char *path, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (n->reported) {
		/* Already reported (an alias); count it, say nothing more. */
		L->n_errors++;
		return;
	}
	buf_printf(&b, "%s:%u:%u: ", L->file, n->line, n->col);
	if (*path)
		buf_printf(&b, "%s: ", path);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	add_error(L, &b);
}

void remember(struct loader *L, const char *path, const struct ynode *n)
{
	struct cfg_mark *m;
	char *key;

	if (hmap_get(&L->marks, path))
		return;
	m = oom_checked(malloc(sizeof *m));
	key = oom_checked(strdup(path));
	if (!m || !key) {
		free(m);
		free(key);
		return;
	}
	m->line = n->line;
	m->column = n->col;
	if (hmap_insert(&L->marks, key, m, NULL) != 1) {
		free(m);
		free(key);
	}
}

const char *type_name(const struct ynode *n)
{
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	if (yscalar_is_null(n))
		return "nothing (null)";
	return n->plain ? "a plain scalar" : "a quoted string";
}

/* --- scalars -------------------------------------------------------------- */

/* Expands ${NAME} from the environment; "$$" is a literal '$'. */
static int expand_env(struct loader *L, const struct ynode *n, const char *path, struct buf *out)
{
	const char *p = n->value;

	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			buf_addc(out, '$');
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}'), *v;
			char name[128];
			size_t len;

			if (!end) {
				err_node(L, n, path, "unterminated ${ (write $$ for a literal $)");
				return -1;
			}
			len = (size_t)(end - p - 2);
			if (!len || len >= sizeof name) {
				err_node(L, n, path, "invalid environment variable reference");
				return -1;
			}
			memcpy(name, p + 2, len);
			name[len] = '\0';
			for (size_t i = 0; i < len; i++) {
				char c = name[i];
				if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
				      (i && c >= '0' && c <= '9'))) {
					err_node(L, n, path, "invalid environment variable name '%s'", name);
					return -1;
				}
			}
			v = getenv(name);
			if (!v) {
				err_node(L, n, path, "environment variable %s is not set", name);
				return -1;
			}
			buf_adds(out, v);
			p = end + 1;
		} else {
			buf_addc(out, *p++);
		}
	}
	return 0;
}

/* A string value: a scalar that is not null. Returns a heap string or NULL
 * (the error is recorded). */
char *get_str(struct loader *L, const struct ynode *n, const char *path)
{
	struct buf b = BUF_INIT;

	if (n->type != YN_SCALAR || yscalar_is_null(n)) {
		err_node(L, n, path, "expected a string, found %s", type_name(n));
		return NULL;
	}
	if (expand_env(L, n, path, &b) < 0 || b.failed) {
		buf_release(&b);
		return NULL;
	}
	if (memchr(buf_str(&b), '\0', b.len) || b.len != strlen(buf_str(&b))) {
		err_node(L, n, path, "contains a NUL character");
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* A string that must not be empty and holds no control characters. */
char *get_word(struct loader *L, const struct ynode *n, const char *path)
{
	char *s = get_str(L, n, path);
	const char *p;

	if (!s)
		return NULL;
	if (!*s) {
		err_node(L, n, path, "must not be empty");
		free(s);
		return NULL;
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			err_node(L, n, path, "contains a control character");
			free(s);
			return NULL;
		}
	return s;
}

int get_bool(struct loader *L, const struct ynode *n, const char *path, int *out)
{
	static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off",
					     "YES", "NO", "ON", "OFF", "True", "False", "TRUE", "FALSE"};
	size_t i;

	if (n->type == YN_SCALAR && n->plain) {
		if (strcmp(n->value, "true") == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->value, "false") == 0) {
			*out = 0;
			return 0;
		}
		for (i = 0; i < sizeof yaml11 / sizeof *yaml11; i++)
			if (strcmp(n->value, yaml11[i]) == 0) {
				err_node(L, n, path, "'%s' is not a boolean here; write true or false", n->value);
				return -1;
			}
	}
	if (n->type == YN_SCALAR && !yscalar_is_null(n))
		err_node(L, n, path, "expected true or false, found '%s'", n->value);
	else
		err_node(L, n, path, "expected true or false, found %s", type_name(n));
	return -1;
}

int get_ulong(struct loader *L, const struct ynode *n, const char *path, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (n->type != YN_SCALAR || yscalar_is_null(n)) {
		err_node(L, n, path, "expected a number, found %s", type_name(n));
		return -1;
	}
	if (!n->plain) {
		err_node(L, n, path, "expected a number, found a quoted string; remove the quotes");
		return -1;
	}
	for (p = n->value; *p; p++) {
		if (*p < '0' || *p > '9' || p - n->value > 12) {
			err_node(L, n, path, "expected a whole number, found '%s'", n->value);
			return -1;
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!n->len) {
		err_node(L, n, path, "expected a number");
		return -1;
	}
	if (v < min || v > max) {
		err_node(L, n, path, "%lu is out of range (%lu to %lu)", v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int get_uint(struct loader *L, const struct ynode *n, const char *path, unsigned min,
		    unsigned max, unsigned *out)
{
	unsigned long v;

	if (get_ulong(L, n, path, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "100ms", "10s", "2m", "1h": the largest unit that is exact. */
int get_period(struct loader *L, const struct ynode *n, const char *path, const char *never_word,
	       unsigned long *out)
{
	static const struct {
		const char *unit;
		unsigned long s;
	} units[] = {{"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}};
	unsigned long v = 0;
	const char *p;
	char *s;
	size_t i;

	if (n->type != YN_SCALAR || yscalar_is_null(n)) {
		err_node(L, n, path, "expected a period such as 90d, found %s", type_name(n));
		return -1;
	}
	if (!(s = get_str(L, n, path)))
		return -1;
	if (never_word && strcmp(s, never_word) == 0) {
		free(s);
		*out = 0;
		return 0;
	}
	for (p = s; *p >= '0' && *p <= '9' && p - s < 6; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	for (i = 0; p != s && v && i < sizeof units / sizeof *units; i++)
		if (strcmp(p, units[i].unit) == 0) {
			*out = v * units[i].s;
			free(s);
			return 0;
		}
	err_node(L, n, path, "expected a period with a unit (s, m, h, d) such as 90d%s%s, found '%s'",
		 never_word ? ", or " : "", never_word ? never_word : "", s);
	free(s);
	return -1;
}

static const char *fmt_ms(char *out, size_t size, unsigned ms)
{
	if (ms && ms % 3600000 == 0)
		snprintf(out, size, "%uh", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(out, size, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(out, size, "%us", ms / 1000);
	else
		snprintf(out, size, "%ums", ms);
	return out;
}

/* A duration: a number with a unit, ms, s, m or h ("10s", "500ms"). */
int get_duration(struct loader *L, const struct ynode *n, const char *path,
			unsigned min_ms, unsigned max_ms, unsigned *out)
{
	unsigned long v = 0, mult;
	const char *p;
	char *s;

	if (n->type != YN_SCALAR || yscalar_is_null(n)) {
		err_node(L, n, path, "expected a duration such as 10s, found %s", type_name(n));
		return -1;
	}
	if (!(s = get_str(L, n, path)))
		return -1;
	for (p = s; *p >= '0' && *p <= '9' && p - s < 9; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p == '\0' || (*p >= '0' && *p <= '9')) {
		err_node(L, n, path, "expected a duration with a unit (ms, s, m, h) such as 10s, found '%s'", s);
		free(s);
		return -1;
	}
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "m") == 0 || strcmp(p, "min") == 0)
		mult = 60000;
	else if (strcmp(p, "h") == 0)
		mult = 3600000;
	else {
		err_node(L, n, path, "unknown unit '%s' (use ms, s, m or h)", p);
		free(s);
		return -1;
	}
	v *= mult;
	if (v < min_ms || v > max_ms) {
		char lo[32], hi[32];
		err_node(L, n, path, "'%s' is out of range (%s to %s)", s, fmt_ms(lo, sizeof lo, min_ms),
			 fmt_ms(hi, sizeof hi, max_ms));
		free(s);
		return -1;
	}
	free(s);
	*out = (unsigned)v;
	return 0;
}

/* One of names (a NULL-terminated list); returns the index or -1. */
int get_enum(struct loader *L, const struct ynode *n, const char *path,
		    const char *const *names)
{
	struct buf b = BUF_INIT;
	char *s;
	int i;

	if (!(s = get_str(L, n, path)))
		return -1;
	for (i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			free(s);
			return i;
		}
	for (i = 0; names[i]; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	err_node(L, n, path, "'%s' is not one of: %s", s, buf_str(&b));
	buf_release(&b);
	free(s);
	return -1;
}

/* A list of non-empty strings; a single string is accepted as a list of one
 * when single_ok is set. */
int get_list(struct loader *L, const struct ynode *n, const char *path, int single_ok,
		    struct strlist *out)
{
	size_t i;
	int rc = 0;

	strlist_free(out);
	if (n->type == YN_SCALAR && single_ok && !yscalar_is_null(n)) {
		char *s = get_word(L, n, path);
		if (!s)
			return -1;
		rc = strlist_push(out, s);
		free(s);
		return rc;
	}
	if (n->type != YN_SEQ) {
		err_node(L, n, path, "expected a list%s, found %s", single_ok ? " or a string" : "", type_name(n));
		return -1;
	}
	for (i = 0; i < n->n_kids; i++) {
		char ipath[256];
		char *s;

		snprintf(ipath, sizeof ipath, "%s[%zu]", path, i);
		if (!(s = get_word(L, n->kids[i], ipath))) {
			rc = -1;
			continue;
		}
		if (strlist_push(out, s) < 0)
			rc = -1;
		free(s);
	}
	return rc;
}

/* --- templates ------------------------------------------------------------ */

int loader_column_slot(void *arg, const char *name)
{
	struct loader *L = arg;
	struct config *cfg = L->cfg;
	void *v = hmap_get(&L->columns, name);
	size_t slot;
	char **users;

	if (v)
		return (int)((size_t)v - 1);
	slot = cfg->columns.n;
	users = oom_checked(realloc(cfg->column_users, (slot + 1) * sizeof *users));
	if (!users)
		return -1;
	cfg->column_users = users;
	if (strlist_push(&cfg->columns, name) < 0)
		return -1;
	/* Where the column is first named, for "missing column" messages. */
	if (L->tmpl_line) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s:%u:%u, %s", L->file, L->tmpl_line, L->tmpl_col, L->tmpl_path);
		cfg->column_users[slot] = b.failed ? (buf_release(&b), NULL) : buf_take(&b);
	} else {
		cfg->column_users[slot] = oom_checked(strdup(L->tmpl_path ? L->tmpl_path : "the configuration"));
	}
	if (!cfg->column_users[slot]) {
		/* The slot stays out of use: the load fails anyway. */
		free(cfg->columns.items[--cfg->columns.n]);
		return -1;
	}
	if (hmap_insert(&L->columns, cfg->columns.items[slot], (void *)(slot + 1), NULL) < 0)
		return -1;
	return (int)slot;
}

struct tmpl *loader_compile(struct loader *L, const struct ynode *node, const char *path,
			    const char *src, enum tmpl_ctx ctx, unsigned builtins)
{
	struct tmpl_spec spec = {ctx, builtins, 1, loader_column_slot, L};
	struct tmpl_error err;
	struct tmpl *t = NULL;
	unsigned col = node->col;

	L->tmpl_path = path;
	L->tmpl_line = node->line;
	L->tmpl_col = node->col;
	if (tmpl_compile(src, &spec, &t, &err) < 0) {
		/* Point at the placeholder when the scalar sits on one line and
		 * its text is the value as written (no ${VAR} expanded, no escapes). */
		int quoted = !node->plain;
		if (node->line == node->end_line && strcmp(src, node->value) == 0 &&
		    node->end_col - node->col == utf8_chars(src, strlen(src)) + (quoted ? 2u : 0u))
			col = node->col + (quoted ? 1u : 0u) + (unsigned)utf8_chars(src, err.offset);
		load_error(L, node->line, col, path, "%s", err.msg);
		t = NULL;
	}
	L->tmpl_path = NULL;
	L->tmpl_line = L->tmpl_col = 0;
	return t;
}

struct tmpl *get_tmpl(struct loader *L, const struct ynode *n, const char *path,
			     enum tmpl_ctx ctx, unsigned builtins)
{
	char *s = get_str(L, n, path);
	struct tmpl *t;

	if (!s)
		return NULL;
	t = loader_compile(L, n, path, s, ctx, builtins);
	free(s);
	return t;
}

/* --- maps ------------------------------------------------------------------ */

static void unknown_key(struct loader *L, const struct ynode *k, const char *path,
			const char *const *known)
{
	const char *best;
	size_t n = 0;

	if (strcmp(k->value, "<<") == 0) {
		err_node(L, k, path, "merge keys (<<) are not allowed");
		return;
	}
	if (strstr(k->value, "password") && !strstr(k->value, "file")) {
		err_node(L, k, path, "unknown key; secrets are never written in the config: use a *_password_file key with an owner-only file");
		return;
	}
	while (known[n])
		n++;
	if ((best = closest_word(k->value, known, n)))
		err_node(L, k, path, "unknown key (did you mean '%s'?)", best);
	else
		err_node(L, k, path, "unknown key");
}

/* Calls fn for each entry of a mapping whose key is in known; reports the
 * others. Returns a bit set of the known keys seen (by index). */
unsigned long each_entry(struct loader *L, const struct ynode *map, const char *path,
				const char *const *known, entry_fn fn, void *ctx)
{
	unsigned long seen = 0;
	size_t i, j;

	if (map->type != YN_MAP) {
		err_node(L, map, path, "expected a mapping, found %s", type_name(map));
		return 0;
	}
	for (i = 0; i < ymap_size(map); i++) {
		const struct ynode *k = ymap_key(map, i), *v = ymap_value(map, i);
		char kpath[256];

		if (k->ignored)
			continue;
		snprintf(kpath, sizeof kpath, "%s%s%s", path, *path ? "." : "", k->value);
		for (j = 0; known[j]; j++)
			if (strcmp(known[j], k->value) == 0)
				break;
		if (!known[j]) {
			unknown_key(L, k, kpath, known);
			continue;
		}
		seen |= 1ul << j;
		remember(L, kpath, v);
		fn(L, k->value, v, kpath, ctx);
	}
	return seen;
}

/* Reports the keys of known marked in `required` but missing from seen. */
void require_keys(struct loader *L, const struct ynode *map, const char *path,
			 const char *const *known, unsigned long seen, unsigned long required)
{
	size_t j;

	if (map->type != YN_MAP)
		return;
	for (j = 0; known[j]; j++)
		if ((required & (1ul << j)) && !(seen & (1ul << j)))
			load_error(L, map->line, map->col, path, "missing required key '%s'", known[j]);
}
