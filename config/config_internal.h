/* Shared by the parts of the config loader (config.c: the schema, validate.c:
 * checks across keys, templates.c: message template files). Not for use
 * outside config/. */
#ifndef LDAPENROLL_CONFIG_INTERNAL_H
#define LDAPENROLL_CONFIG_INTERNAL_H

#include "agent/base/hmap.h"
#include "agent/base/oom.h"
#include "config/config.h"
#include "config/yaml_tree.h"

struct loader {
	const char *file;       /* the name used in messages */
	struct config *cfg;
	struct strlist *errors;
	size_t n_errors;
	unsigned flags;         /* CONFIG_PAGE */
	struct hmap columns;    /* column name -> slot + 1 */
	struct hmap marks;      /* key path -> struct cfg_mark *, for later checks */
	/* While compiling a template: the key and position that name columns. */
	const char *tmpl_path;
	unsigned tmpl_line, tmpl_col;
};

/* --- convert.c: errors and conversions ----------------------------------- */

/* An allocation that fails anywhere in the load (every one is noted, see
 * agent/base/oom.h) ends it with "out of memory" and no config, however far it
 * got: what was reported may be a consequence. */

/* Appends a finished message to the error list (and releases msg). */
void add_error(struct loader *L, struct buf *msg);
/* Records "file:line:col: path: message". */
void load_error(struct loader *L, unsigned line, unsigned col, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same, at the position recorded for path (or the top of the file). */
void load_error_at(struct loader *L, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records an error at node n; silent (but counted) for a node that stands
 * in for something already reported. */
void err_node(struct loader *L, const struct ynode *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Remembers where path was written, for errors found by later checks. */
void remember(struct loader *L, const char *path, const struct ynode *n);
const char *type_name(const struct ynode *n);

/* Scalars. Each returns the value (a heap string, or 0 with *out set) or
 * NULL/-1 after recording the error. */
char *get_str(struct loader *L, const struct ynode *n, const char *path);
char *get_word(struct loader *L, const struct ynode *n, const char *path); /* non-empty, no controls */
int get_bool(struct loader *L, const struct ynode *n, const char *path, int *out);
int get_ulong(struct loader *L, const struct ynode *n, const char *path, unsigned long min,
	      unsigned long max, unsigned long *out);
int get_uint(struct loader *L, const struct ynode *n, const char *path, unsigned min, unsigned max,
	     unsigned *out);
int get_duration(struct loader *L, const struct ynode *n, const char *path, unsigned min_ms,
		 unsigned max_ms, unsigned *out);
/* A long period such as 90d (units s, m, h, d), in seconds, or the word
 * never_word (when not NULL), which gives 0. */
int get_period(struct loader *L, const struct ynode *n, const char *path, const char *never_word,
	       unsigned long *out);
/* One of the NULL-terminated names; returns its index or -1. */
int get_enum(struct loader *L, const struct ynode *n, const char *path, const char *const *names);
/* A list of non-empty strings (a single string too when single_ok). */
int get_list(struct loader *L, const struct ynode *n, const char *path, int single_ok, struct strlist *out);
struct tmpl *get_tmpl(struct loader *L, const struct ynode *n, const char *path, enum tmpl_ctx ctx,
		      unsigned builtins);

/* Maps: calls fn for each entry whose key is in known (NULL-terminated),
 * reports the others; returns the set of known keys seen, by index. */
typedef void (*entry_fn)(struct loader *L, const char *key, const struct ynode *value, const char *path,
			 void *ctx);
unsigned long each_entry(struct loader *L, const struct ynode *map, const char *path,
			 const char *const *known, entry_fn fn, void *ctx);
/* Reports the keys marked in required (by index in known) that seen lacks. */
void require_keys(struct loader *L, const struct ynode *map, const char *path, const char *const *known,
		  unsigned long seen, unsigned long required);
#define BIT(i) (1ul << (i))

/* Interns a column name; returns its slot or -1. */
int loader_column_slot(void *loader, const char *name);
/* Compiles src as a template of the given context, reporting errors at the
 * position of node (adjusted to the placeholder when the scalar is on one
 * line). */
struct tmpl *loader_compile(struct loader *L, const struct ynode *node, const char *path,
			    const char *src, enum tmpl_ctx ctx, unsigned builtins);

/* --- schema.c: the sections ---------------------------------------------- */

extern const char *const config_top_keys[];
void config_top_entry(struct loader *L, const char *key, const struct ynode *v, const char *path, void *ctx);

/* --- validate.c, templates.c -------------------------------------------- */

/* Checks across keys, after the schema pass (validate.c). */
void config_validate(struct loader *L);
/* Checks the columns named anywhere (message templates included) against an
 * LDAP source's attributes (validate.c). */
void config_validate_columns(struct loader *L);
/* Loads the message templates named by notify.messages (templates.c). */
void config_load_templates(struct loader *L);

#endif
