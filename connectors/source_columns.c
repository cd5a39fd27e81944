/* Matching the columns the config names with the columns a source has:
 * shared by every connector, kept apart from the source factory
 * (source.c), which knows the connectors. */
#include "connectors/source.h"

#include <string.h>
#include <strings.h>

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
