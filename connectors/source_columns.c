/* Matching the columns the config names with the columns a source has:
 * shared by every connector, kept apart from the source factory
 * (source.c), which knows the connectors. */
#include "connectors/source.h"

#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/base/log.h"

/* "missing column 'Frist' (named by ...); did you mean 'FirstName'?" */
static void describe_missing(const struct config *cfg, const char *name, size_t slot, const char *const *columns,
			     size_t n, struct buf *out)
{
	const char *want = cfg->columns.items[slot], *near = NULL;
	size_t i;

	for (i = 0; i < n && !near; i++)
		if (strcasecmp(columns[i], want) == 0)
			near = columns[i];
	buf_reset(out);
	buf_printf(out, "%s: missing column '%s' (named by %s)", name, want, cfg->column_users[slot]);
	if (near)
		buf_printf(out, "; the source has '%s', and names are compared exactly", near);
	else if ((near = closest_word(want, columns, n)))
		buf_printf(out, "; did you mean '%s'?", near);
}

int source_map_columns(const struct config *cfg, const char *name, const char *const *columns,
		       size_t n, int icase, int *map, struct diag *d)
{
	struct buf msg = BUF_INIT;
	size_t slot, i, missing = 0;
	int rc = 0;

	for (slot = 0; slot < cfg->columns.n; slot++) {
		const char *want = cfg->columns.items[slot];

		map[slot] = -1;
		for (i = 0; i < n && map[slot] < 0; i++)
			if (icase ? strcasecmp(columns[i], want) == 0 : strcmp(columns[i], want) == 0)
				map[slot] = (int)i;
		missing += map[slot] < 0;
	}
	/* One missing column is the error; several are each named, so that
	 * one run shows every fix to make. */
	for (slot = 0; slot < cfg->columns.n && missing; slot++) {
		if (map[slot] >= 0)
			continue;
		describe_missing(cfg, name, slot, columns, n, &msg);
		if (missing == 1) {
			rc = diag_set(d, ST_INPUT, "%s", buf_str(&msg));
			break;
		}
		log_error("%s", buf_str(&msg));
	}
	if (missing > 1)
		rc = diag_set(d, ST_INPUT, "%s: %zu columns the config names are missing (above)", name, missing);
	buf_release(&msg);
	return rc;
}
