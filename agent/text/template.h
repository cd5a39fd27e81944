/* agent/text: pure text, no I/O (the fuzz targets live here). It owns the
 * template language (template.c), DN and filter escaping (dn.c, filter.c),
 * email addresses (address.c), base64, the MIME encoders (mime.c), LDIF
 * lines (ldif.c) and set-password link tokens (linktoken.c, sealed with
 * base's AEAD). It may use agent/base, and libldap's string helpers that
 * open no session.
 *
 * The {Placeholder|filter} language used for DNs, attribute values, role
 * names and messages.
 *
 * A placeholder names a source column ("{LastName}") or a built-in
 * ("{base}", "{role}", ...), optionally followed by filters applied left to
 * right: lower, upper, ascii (transliterate to ASCII), initial (the first
 * character). "{{" and "}}" stand for literal braces.
 *
 * Escaping is decided by the context the template is compiled for, never by
 * its author:
 *   TMPL_TEXT    no escaping (attribute values, message bodies; a header is
 *                encoded by the message builder);
 *   TMPL_DN      the template is a DN: its literal text is DN syntax and each
 *                attribute value is assembled from literals and placeholders
 *                and then escaped as a whole (RFC 4514); a placeholder that
 *                fills a whole trailing RDN sequence, such as {base}, is
 *                inserted as a DN;
 *   TMPL_FILTER  every placeholder value is escaped for an LDAP filter
 *                (RFC 4515).
 *
 * Column names are turned into small integer slots at compile time through a
 * callback, so that rendering a row is an array lookup. */
#ifndef LDAPENROLL_TEMPLATE_H
#define LDAPENROLL_TEMPLATE_H

#include <stddef.h>

#include "agent/base/buf.h"

enum tmpl_builtin {
	TB_BASE,
	TB_ROLE,
	TB_DN,
	TB_USERNAME,
	TB_PASSWORD,
	TB_LOGIN_URL,
	TB_FIRST_NAME,
	TB_LAST_NAME,
	TB_ACCOUNT,
	TB_LINK,          /* the set-password link (link delivery) */
	TB_LINK_EXPIRES,  /* when it expires, in the person's language */
	TB_COUNT
};

#define TB_BIT(b) (1u << (b))

enum tmpl_ctx { TMPL_TEXT, TMPL_DN, TMPL_FILTER };

struct tmpl;

struct tmpl_spec {
	enum tmpl_ctx ctx;
	unsigned builtins;     /* TB_BIT() set of the built-ins allowed here */
	int allow_columns;     /* whether source columns may be named */
	/* Returns the slot of a column name (interning it), or -1 on failure.
	 * Required when allow_columns is set. */
	int (*column_slot)(void *arg, const char *name);
	void *arg;
};

struct tmpl_error {
	size_t offset;    /* byte offset in the source text */
	char msg[256];
};

/* Compiles src. On success *out is a template the caller frees with
 * tmpl_free(); on failure returns -1 and fills err. */
int tmpl_compile(const char *src, const struct tmpl_spec *spec, struct tmpl **out,
		 struct tmpl_error *err);
void tmpl_free(struct tmpl *t);

/* The source text (borrowed). */
const char *tmpl_source(const struct tmpl *t);
/* True when the template has no placeholder. */
int tmpl_is_literal(const struct tmpl *t);
/* When the template is exactly one column placeholder whose filters (if any)
 * only change case, returns its slot; otherwise -1. Such a template renders
 * a value equal to the column's when compared without case. */
int tmpl_single_column(const struct tmpl *t);
/* When the template is exactly one column placeholder without filters (it
 * renders the column's value as it is), returns its slot; otherwise -1. */
int tmpl_column(const struct tmpl *t);
/* For a DN template: the attribute type of the first AVA ("uid" for
 * "uid={Username},..."), or NULL. Borrowed. */
const char *tmpl_dn_first_type(const struct tmpl *t);
/* Calls fn for every column slot the template refers to. */
void tmpl_each_slot(const struct tmpl *t, void (*fn)(void *arg, int slot), void *arg);
/* True when the template refers to built-in b. */
int tmpl_uses_builtin(const struct tmpl *t, enum tmpl_builtin b);

/* The values a template is rendered with. fields[slot] may be NULL (empty);
 * builtins[b] may be NULL (empty). Borrowed for the call. */
struct tmpl_env {
	const char *const *fields;
	size_t n_fields;
	const char *builtins[TB_COUNT];
};

/* Renders t into out (appending). For a DN template the values are escaped
 * and the result is a DN string. Returns 0, or -1 with a reason in err->msg
 * (a DN attribute value that renders empty, or no memory). */
int tmpl_render(const struct tmpl *t, const struct tmpl_env *env, struct buf *out,
		struct tmpl_error *err);

/* For a DN template: appends the raw (unescaped) value of the first AVA,
 * e.g. "Acme, Inc" for "ou={Account},{base}". Returns 0 or -1. */
int tmpl_render_first_value(const struct tmpl *t, const struct tmpl_env *env, struct buf *out);

/* For a DN template: appends the trailing part that no column changes (the
 * AVAs after the last one naming a column, plus a {base}/{dn} suffix), e.g.
 * "ou=roles,dc=example,dc=com" for "cn={role},ou=roles,{base}". This is the
 * container every rendered DN lies under. Returns 0 or -1. */
int tmpl_dn_fixed_suffix(const struct tmpl *t, const struct tmpl_env *env, struct buf *out);

/* The filters, exposed for tests: each appends the transformed value. */
void tmpl_filter_lower(struct buf *out, const char *s, size_t len);
void tmpl_filter_upper(struct buf *out, const char *s, size_t len);
void tmpl_filter_ascii(struct buf *out, const char *s, size_t len);
void tmpl_filter_initial(struct buf *out, const char *s, size_t len);

/* The name of a built-in, e.g. "login_url". */
const char *tmpl_builtin_name(enum tmpl_builtin b);

#endif
