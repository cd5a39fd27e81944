#include "connectors/source.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


struct source *source_new(const struct config *cfg, struct arena *arena, struct diag *d)
{
	switch (cfg->source.type) {
	case SOURCE_CSV:
		return csv_source_new(cfg, arena, d);
	case SOURCE_LDAP:
		return ldap_source_new(cfg, arena, d);
	}
	diag_set(d, ST_INPUT, "unknown source.type");
	return NULL;
}

void source_close(struct source *s)
{
	if (s)
		s->ops->close(s);
}

int source_map_columns(const struct config *cfg, const char *name, const char *const *columns,
		       size_t n, int icase, int *map, struct diag *d)
{
	size_t slot, i;

	for (slot = 0; slot < cfg->columns.n; slot++) {
		const char *want = cfg->columns.items[slot];
		const char *near = NULL;

		map[slot] = -1;
		for (i = 0; i < n; i++) {
			if (icase ? strcasecmp(columns[i], want) == 0 : strcmp(columns[i], want) == 0) {
				map[slot] = (int)i;
				break;
			}
			if (strcasecmp(columns[i], want) == 0)
				near = columns[i];
		}
		if (map[slot] >= 0)
			continue;
		if (near)
			return diag_set(d, ST_INPUT, "%s: missing column '%s' (named by %s); the source has '%s', and names are compared exactly",
					name, want, cfg->column_users[slot], near);
		return diag_set(d, ST_INPUT, "%s: missing column '%s' (named by %s)", name, want,
				cfg->column_users[slot]);
	}
	return 0;
}
