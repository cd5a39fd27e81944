#include "agent/base/strlist.h"

#include <ctype.h>
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

/* Edit distance without regard to ASCII case, with a swap of two
 * neighbours counting as one edit (optimal string alignment). 99 for words
 * too long to compare. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned d[3][64], *prev2 = d[0], *prev = d[1], *row = d[2], *t;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		row[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			unsigned v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			row[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = row;
		row = t;
	}
	return prev[lb];
}

const char *closest_word(const char *word, const char *const *words, size_t n)
{
	size_t len = strlen(word), i;
	unsigned limit = len < 4 ? 1 : 2, best_d = limit + 1;
	const char *best = NULL;
	char prefix[64];

	for (i = 0; i < n; i++) {
		unsigned d = distance(word, words[i]);
		/* A word may be the start of the candidate ({Frist} for
		 * FirstName): compared with as many characters, one more edit. */
		if (len < sizeof prefix && strlen(words[i]) > len) {
			memcpy(prefix, words[i], len);
			prefix[len] = '\0';
			if (distance(word, prefix) + 1 < d)
				d = distance(word, prefix) + 1;
		}
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	return best;
}
