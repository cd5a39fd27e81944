/* A scratch directory for a unit test: made under $TMPDIR (or /tmp) with
 * a name that says which test it belongs to, and removed whole. */
#ifndef LDAPENROLL_TEST_SCRATCH_H
#define LDAPENROLL_TEST_SCRATCH_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes "$TMPDIR/ldapenroll-NAME-XXXXXX" into dir; returns 0 or -1. */
static inline int scratch_dir_make(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/ldapenroll-%s-XXXXXX", tmp ? tmp : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int scratch_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything in it. */
static inline void scratch_dir_remove(const char *dir)
{
	nftw(dir, scratch_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
