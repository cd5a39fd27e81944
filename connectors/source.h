/* connectors: the only code that talks to servers or reads the source. It
 * owns the source interface (source.c, source_columns.c) with the CSV and
 * LDAP sources (csv.c, ldap_source.c), the directory connection (directory.c,
 * the only libldap session user) and SMTP (smtp.c, the only libcurl user).
 * It may use agent/base, agent/text and config.
 *
 * The source interface: where people come from (a CSV file, or another LDAP
 * directory). A source is a const vtable plus a base struct that each
 * connector embeds first.
 *
 * open() reads what the source knows about its columns and maps the config's
 * column slots onto them: a column the config names and the source lacks is
 * an input error (ST_INPUT). next()
 * streams records, each allocated in the run's arena with its fields by slot
 * and the line it came from. */
#ifndef LDAPENROLL_SOURCE_H
#define LDAPENROLL_SOURCE_H

#include <stddef.h>

#include "agent/base/diag.h"
#include "agent/base/record.h"
#include "config/config.h"

struct arena;
struct source;

struct source_ops {
	const char *type;
	int (*open)(struct source *s, struct diag *d);
	/* Returns 1 with *out set, 0 at the end, or a negative status. */
	int (*next)(struct source *s, struct record **out, struct diag *d);
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	const struct config *cfg;
	struct arena *arena;  /* records are allocated here; owned by the caller */
	const char *name;     /* for messages: the file name, or the URI */
	/* Optional: sees every byte a file source reads (the run digests the
	 * source it acted on). */
	void (*tap)(void *arg, const void *data, size_t len);
	void *tap_arg;
	size_t trimmed;       /* values read without the spaces around them */
};

/* Creates the source the config describes (not yet opened). Records go into
 * arena, which must outlive them. Free with source_close(). */
struct source *source_new(const struct config *cfg, struct arena *arena, struct diag *d);

static inline int source_open(struct source *s, struct diag *d)
{
	return s->ops->open(s, d);
}

static inline int source_next(struct source *s, struct record **out, struct diag *d)
{
	return s->ops->next(s, out, d);
}

/* Closes and frees s (NULL is fine). */
void source_close(struct source *s);

/* Maps the config's column slots onto the columns a source has (names
 * compared exactly, or without case for LDAP attribute names), filling
 * map[slot] with the column index. A column the config names but the source
 * lacks is ST_INPUT, with where the config names it. */
int source_map_columns(const struct config *cfg, const char *name, const char *const *columns,
		       size_t n, int icase, int *map, struct diag *d);

/* Connectors. */
struct source *csv_source_new(const struct config *cfg, struct arena *arena, struct diag *d);
struct source *ldap_source_new(const struct config *cfg, struct arena *arena, struct diag *d);

#endif
