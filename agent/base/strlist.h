/* A list of heap strings: the config's lists (URIs, object classes,
 * columns) and collected error lines. */
#ifndef LDAPENROLL_STRLIST_H
#define LDAPENROLL_STRLIST_H

#include <stddef.h>

struct strlist {
	char **items;
	size_t n;
};

/* Frees every item and the array; the list is empty afterwards. */
void strlist_free(struct strlist *l);
/* Appends a copy of s. Returns 0, or -1 (noted in oom.h's count) when out
 * of memory. */
int strlist_push(struct strlist *l, const char *s);
/* True when the list holds s (compared exactly, or without ASCII case). */
int strlist_contains(const struct strlist *l, const char *s, int icase);
/* The one of words (n of them) that word most likely misspells, for "did
 * you mean": at most one edit away for short words, two for others (case
 * aside; two swapped neighbours are one edit; a word may be the start of
 * the candidate, at the cost of one edit). NULL when none is that close. */
const char *closest_word(const char *word, const char *const *words, size_t n);

#endif
