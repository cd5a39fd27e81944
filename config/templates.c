/* Message templates: welcome, username and password, each a file whose first
 * line is "Subject: ...", then a blank line, then the UTF-8 body. They come
 * from notify.templates or, when that is not set, from the defaults built
 * into the program (config/templates/, embedded at build time). Locale
 * variants are named KIND.LOCALE.txt ("welcome.de.txt"). Errors point into
 * the template file: "welcome.txt:3:14: unknown placeholder {Frist}". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"
#include "agent/base/utf8.h"
#include "config/config_internal.h"
#include "config/embedded_templates.h"

#define TEMPLATE_MAX_BYTES (64 * 1024)

/* Line and column (1-based, in characters) of byte offset off in text. */
static void position(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i, start = 0;

	*line = 1;
	for (i = 0; i < off && text[i]; i++)
		if (text[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	*col = (unsigned)utf8_chars(text + start, off - start) + 1;
}

static void file_error(struct loader *L, const char *name, const char *text, size_t off, const char *msg)
{
	struct buf b = BUF_INIT;
	unsigned line, col;

	position(text, off, &line, &col);
	buf_printf(&b, "%s:%u:%u: %s", name, line, col, msg);
	strlist_push(L->errors, buf_str(&b));
	L->n_errors++;
	buf_release(&b);
}

static struct tmpl *compile_part(struct loader *L, const char *name, const char *text, size_t off,
				 size_t len, unsigned builtins)
{
	struct tmpl_spec spec = {TMPL_TEXT, builtins, 1, loader_column_slot, L};
	struct tmpl_error err;
	struct tmpl *t = NULL;
	char *src = oom_checked(strndup(text + off, len));

	if (!src)
		return NULL;
	L->tmpl_path = name;
	if (tmpl_compile(src, &spec, &t, &err) < 0) {
		file_error(L, name, text, off + err.offset, err.msg);
		t = NULL;
	}
	L->tmpl_path = NULL;
	free(src);
	return t;
}

/* Parses one template file's text (CRLF or LF line ends, normalised to LF
 * here; the message builder writes CRLF). */
static int parse_template(struct loader *L, const char *name, const char *raw, size_t rawlen,
			  enum msg_kind kind, struct msg_template *out)
{
	unsigned builtins = TB_BIT(TB_BASE) | TB_BIT(TB_ROLE) | TB_BIT(TB_DN) | TB_BIT(TB_USERNAME) |
			    TB_BIT(TB_LOGIN_URL) | TB_BIT(TB_FIRST_NAME) | TB_BIT(TB_LAST_NAME) |
			    TB_BIT(TB_ACCOUNT);
	struct buf text = BUF_INIT;
	const char *t, *nl, *body;
	size_t i, bad, errors = L->n_errors;

	int link = L->cfg->passwords.delivery == DELIVER_LINK;
	enum tmpl_builtin secret = link ? TB_LINK : TB_PASSWORD;

	/* The password message carries the password, or in link mode the
	 * link; no other message carries either. */
	if (kind == MSG_PASSWORD)
		builtins |= link ? TB_BIT(TB_LINK) | TB_BIT(TB_LINK_EXPIRES) : TB_BIT(TB_PASSWORD);
	bad = utf8_validate(raw, rawlen);
	if (bad < rawlen) {
		file_error(L, name, raw, bad, "invalid UTF-8");
		return -1;
	}
	if (rawlen >= 3 && memcmp(raw, "\xef\xbb\xbf", 3) == 0)
		raw += 3, rawlen -= 3;
	for (i = 0; i < rawlen; i++) {
		if (raw[i] == '\r' && i + 1 < rawlen && raw[i + 1] == '\n')
			continue;
		if (raw[i] == '\0' || raw[i] == '\r' || ((unsigned char)raw[i] < 0x20 && raw[i] != '\n' && raw[i] != '\t')) {
			file_error(L, name, raw, i, "control character in a template");
			buf_release(&text);
			return -1;
		}
		buf_addc(&text, raw[i]);
	}
	t = buf_str(&text);
	if (strncmp(t, "Subject:", 8) != 0) {
		file_error(L, name, t, 0, "the first line must be \"Subject: ...\"");
		buf_release(&text);
		return -1;
	}
	nl = strchr(t, '\n');
	if (!nl || nl[1] != '\n') {
		file_error(L, name, t, nl ? (size_t)(nl - t) + 1 : strlen(t),
			   "the subject line must be followed by a blank line, then the body");
		buf_release(&text);
		return -1;
	}
	{
		size_t s = 8;
		while (t[s] == ' ' || t[s] == '\t')
			s++;
		if ((size_t)(nl - t) == s) {
			file_error(L, name, t, s, "the subject is empty");
			buf_release(&text);
			return -1;
		}
		/* A subject travels in headers that servers log: no password,
		 * no link. */
		out->subject = compile_part(L, name, t, s, (size_t)(nl - t) - s, builtins & ~TB_BIT(secret));
	}
	body = nl + 2;
	if (link && strstr(t, "{password}")) {
		file_error(L, name, t, (size_t)(strstr(t, "{password}") - t),
			   "{password} in a message of passwords.delivery: link, which mails no password (the password message has {link})");
		buf_release(&text);
		return -1;
	}
	out->body = compile_part(L, name, t, (size_t)(body - t), strlen(body), builtins);
	if (out->body && kind == MSG_PASSWORD && !tmpl_uses_builtin(out->body, secret))
		file_error(L, name, t, (size_t)(body - t),
			   link ? "the password message does not contain {link} (passwords.delivery: link)"
				: "the password message does not contain {password}");
	buf_release(&text);
	return L->n_errors == errors ? 0 : -1;
}

static int add_template(struct loader *L, enum msg_kind kind, const char *name, const char *locale,
			const char *text, size_t len)
{
	struct cfg_notify *n = &L->cfg->notify;
	struct msg_template *v, m = {0};

	if (parse_template(L, name, text, len, kind, &m) < 0) {
		tmpl_free(m.subject);
		tmpl_free(m.body);
		return -1;
	}
	v = oom_checked(realloc(n->tmpl[kind], (n->n_tmpl[kind] + 1) * sizeof *v));
	if (!v) {
		tmpl_free(m.subject);
		tmpl_free(m.body);
		return -1;
	}
	n->tmpl[kind] = v;
	m.path = oom_checked(strdup(name));
	m.locale = locale ? oom_checked(strdup(locale)) : NULL;
	v[n->n_tmpl[kind]++] = m;
	return 0;
}

/* "welcome.de.txt" for kind "welcome" gives locale "de"; NULL when the name
 * is not a variant of kind. */
static char *variant_locale(const char *file, const char *kind)
{
	size_t k = strlen(kind), f = strlen(file), i;

	if (f <= k + 5 || strncmp(file, kind, k) != 0 || file[k] != '.' || strcmp(file + f - 4, ".txt") != 0)
		return NULL;
	for (i = k + 1; i < f - 4; i++) {
		char c = file[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return NULL;
	}
	return oom_checked(strndup(file + k + 1, f - 4 - k - 1));
}

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;

	if (!f)
		return -1;
	out->cap = TEMPLATE_MAX_BYTES;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_add(out, chunk, n) < 0) {
			fclose(f);
			errno = EFBIG;
			return -1;
		}
	n = ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

static void load_from_dir(struct loader *L, enum msg_kind kind, int required)
{
	const char *dir = L->cfg->notify.templates, *kname = msg_template_name(L->cfg, kind);
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct dirent *de;
	DIR *d;

	buf_printf(&path, "%s/%s.txt", dir, kname);
	if (read_file(buf_str(&path), &text) < 0) {
		/* A kind no message uses may be missing; the others not. */
		if (!required && errno == ENOENT)
			goto out;
		load_error_at(L, "notify.templates", "%s: %s", buf_str(&path),
			      errno == EFBIG ? "larger than 64 KiB" : strerror(errno));
	} else {
		add_template(L, kind, buf_str(&path), NULL, buf_str(&text), text.len);
	}
	if (!(d = opendir(dir)))
		goto out;
	while ((de = readdir(d))) {
		char *loc = variant_locale(de->d_name, kname);
		if (!loc)
			continue;
		buf_reset(&path);
		buf_reset(&text);
		buf_printf(&path, "%s/%s", dir, de->d_name);
		if (read_file(buf_str(&path), &text) < 0)
			load_error_at(L, "notify.templates", "%s: %s", buf_str(&path), strerror(errno));
		else
			add_template(L, kind, buf_str(&path), loc, buf_str(&text), text.len);
		free(loc);
	}
	closedir(d);
out:
	buf_release(&path);
	buf_release(&text);
}

static void load_builtin(struct loader *L, enum msg_kind kind)
{
	const char *kname = msg_template_name(L->cfg, kind);
	struct buf name = BUF_INIT;
	size_t i;

	for (i = 0; i < n_embedded_templates; i++) {
		const struct embedded_file *e = &embedded_templates[i];
		char *loc = variant_locale(e->name, kname);
		size_t k = strlen(kname);
		int plain = strncmp(e->name, kname, k) == 0 && strcmp(e->name + k, ".txt") == 0;

		if (!plain && !loc)
			continue;
		buf_reset(&name);
		buf_printf(&name, "built-in:%s", e->name);
		/* The plain variant goes first: it is the fallback. */
		add_template(L, kind, buf_str(&name), loc, e->text, e->len);
		if (plain && L->cfg->notify.n_tmpl[kind] > 1) {
			struct msg_template *v = L->cfg->notify.tmpl[kind], t = v[L->cfg->notify.n_tmpl[kind] - 1];
			memmove(v + 1, v, (L->cfg->notify.n_tmpl[kind] - 1) * sizeof *v);
			v[0] = t;
		}
		free(loc);
	}
	buf_release(&name);
}

void config_load_templates(struct loader *L)
{
	struct cfg_notify *n = &L->cfg->notify;
	size_t i, k;

	if (!n->enabled)
		return;
	/* Every kind is loaded (reset-passwords sends the password message
	 * even when sync does not); the kinds of notify.messages must exist. */
	for (k = 0; k < MSG_KINDS; k++) {
		int required = 0;
		for (i = 0; i < n->n_messages; i++)
			required |= n->messages[i] == (enum msg_kind)k;
		if (n->templates)
			load_from_dir(L, (enum msg_kind)k, required);
		else
			load_builtin(L, (enum msg_kind)k);
	}
}
