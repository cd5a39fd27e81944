/* The LDAP source: people read from another directory (a corporate one),
 * through the same connection code as the target (directory.c).
 *
 * The whole result is read before the first record is handed out, with
 * paged results (RFC 2696), so that a read that fails anywhere fails as a
 * whole: a size or time limit, a referral, a missing page, a lost connection
 * or an empty result stops the run (ST_SERVER) before anything changes. It
 * never turns into "everyone is absent". The attributes of source.attributes
 * are the column names; a multi-valued attribute gives its first value. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/arena.h"
#include "agent/base/log.h"
#include "connectors/directory.h"
#include "connectors/source.h"

struct ldap_source {
	struct source base;
	struct dir *dir;
	struct arena entries_arena;
	struct entry_list entries;
	size_t next;
	int *map;        /* slot -> index in source.attributes */
	size_t n_slots;
	char *uri;
};

static int ls_open(struct source *s, struct diag *d)
{
	struct ldap_source *ls = (struct ldap_source *)s;
	const struct cfg_source *c = &s->cfg->source;
	const char **attrs;
	size_t i;
	int rc;

	ls->map = calloc(ls->n_slots ? ls->n_slots : 1, sizeof *ls->map);
	attrs = calloc(c->attributes.n + 1, sizeof *attrs);
	if (!ls->map || !attrs) {
		free(attrs);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	for (i = 0; i < c->attributes.n; i++)
		attrs[i] = c->attributes.items[i];
	rc = source_map_columns(s->cfg, s->name, (const char *const *)attrs, c->attributes.n, 1, ls->map, d);
	if (rc < 0)
		goto out;
	if ((rc = dir_connect(&ls->dir, &c->conn, d)) < 0) {
		diag_prefix(d, "the source directory: ");
		goto out;
	}
	rc = dir_read(ls->dir, c->base, c->scope, c->filter, attrs, c->page_size, &ls->entries, d);
	if (rc < 0) {
		/* Whatever went wrong, the read is incomplete: nothing may be
		 * planned from it. */
		diag_prefix(d, "reading the source failed, so nothing is changed: ");
		rc = ST_SERVER;
		d->status = ST_SERVER;
		goto out;
	}
	if (!ls->entries.n) {
		rc = diag_set(d, ST_SERVER,
			      "the source %s returned no entries under %s with %s; an empty source is refused, so that it can never turn into disables",
			      s->name, c->base, c->filter);
		goto out;
	}
	log_info("read %zu entries from the source %s", ls->entries.n, dir_uri(ls->dir));
out:
	free(attrs);
	/* The connection is not needed any more. */
	dir_close(ls->dir);
	ls->dir = NULL;
	return rc;
}

static int ls_next(struct source *s, struct record **out, struct diag *d)
{
	struct ldap_source *ls = (struct ldap_source *)s;
	const struct cfg_source *c = &s->cfg->source;
	const struct entry *e;
	struct record *rec;
	size_t slot;

	if (ls->next >= ls->entries.n)
		return 0;
	e = &ls->entries.v[ls->next++];
	rec = record_new(s->arena, ls->n_slots);
	if (!rec)
		return diag_set(d, ST_FAIL, "out of memory");
	/* A directory has no lines: a record's "line" is its place in the read. */
	rec->line = (unsigned)ls->next;
	for (slot = 0; slot < ls->n_slots; slot++) {
		int col = ls->map[slot];
		const char *v;
		if (col < 0)
			continue;
		v = entry_first(e, c->attributes.items[col]);
		if (v && !(rec->fields[slot] = arena_strdup(s->arena, v)))
			return diag_set(d, ST_FAIL, "out of memory");
	}
	*out = rec;
	return 1;
}

static void ls_close(struct source *s)
{
	struct ldap_source *ls = (struct ldap_source *)s;

	dir_close(ls->dir);
	entry_list_release(&ls->entries);
	arena_release(&ls->entries_arena);
	free(ls->map);
	free(ls->uri);
	free(ls);
}

static const struct source_ops ldap_ops = {"ldap", ls_open, ls_next, ls_close};

struct source *ldap_source_new(const struct config *cfg, struct arena *arena, struct diag *d)
{
	struct ldap_source *ls = calloc(1, sizeof *ls);
	size_t i, len = 0;

	if (!ls) {
		diag_set(d, ST_FAIL, "out of memory");
		return NULL;
	}
	ls->base.ops = &ldap_ops;
	ls->base.cfg = cfg;
	ls->base.arena = arena;
	ls->n_slots = cfg->columns.n;
	arena_init(&ls->entries_arena);
	entry_list_init(&ls->entries, &ls->entries_arena);
	/* The name shown in plans and messages: the URIs. */
	for (i = 0; i < cfg->source.conn.uris.n; i++)
		len += strlen(cfg->source.conn.uris.items[i]) + 1;
	ls->uri = calloc(1, len + 1);
	for (i = 0; ls->uri && i < cfg->source.conn.uris.n; i++) {
		if (i)
			strcat(ls->uri, " ");
		strcat(ls->uri, cfg->source.conn.uris.items[i]);
	}
	ls->base.name = ls->uri ? ls->uri : "the source directory";
	return &ls->base;
}
