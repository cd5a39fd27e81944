/* Column names interned into slots, for unit tests that compile templates
 * without a config: the tmpl_spec column_slot callback. Up to
 * TEST_MAX_COLUMNS names, for the whole test program. */
#ifndef LDAPENROLL_TEST_COLUMNS_H
#define LDAPENROLL_TEST_COLUMNS_H

#include <string.h>

#define TEST_MAX_COLUMNS 32

static char test_column_names[TEST_MAX_COLUMNS][64];
static int test_n_columns;

static inline int column_slot(void *arg, const char *name)
{
	int i;

	(void)arg;
	for (i = 0; i < test_n_columns; i++)
		if (strcmp(test_column_names[i], name) == 0)
			return i;
	if (test_n_columns == TEST_MAX_COLUMNS || strlen(name) >= sizeof test_column_names[0])
		return -1;
	strcpy(test_column_names[test_n_columns], name);
	return test_n_columns++;
}

#endif
