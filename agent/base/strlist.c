#include "agent/base/strlist.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/oom.h"

void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int strlist_push(struct strlist *l, const char *s)
{
	char **t = oom_checked(realloc(l->items, (l->n + 1) * sizeof *t));
	char *c;

	if (!t)
		return -1;
	l->items = t;
	if (!(c = oom_checked(strdup(s))))
		return -1;
	l->items[l->n++] = c;
	return 0;
}

int strlist_contains(const struct strlist *l, const char *s, int icase)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (icase ? strcasecmp(l->items[i], s) == 0 : strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}
