#include "agent/base/sindex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/hmap.h"
#include "agent/base/oom.h"

void sindex_init(struct sindex *x, unsigned flags)
{
	x->slots = NULL;
	x->cap = 0;
	x->size = 0;
	x->flags = flags;
}

void sindex_release(struct sindex *x)
{
	free(x->slots);
	sindex_init(x, x->flags);
}

/* A kept key (a string) is the len bytes at key. */
static int equal(const struct sindex *x, const char *kept, const char *key, size_t len)
{
	/* Often the very string (a member value and the DN it names share
	 * one): no need to read it again. */
	if (kept == key && !kept[len])
		return 1;
	/* One pass: both comparisons stop at a shorter kept string's end
	 * (key has no NUL among its len bytes). */
	if ((x->flags & HMAP_ICASE) ? strncasecmp(kept, key, len) != 0 : strncmp(kept, key, len) != 0)
		return 0;
	return !kept[len];
}

/* The slot of the len bytes at key (hash h), or the empty one where they
 * would go. */
static struct sindex_slot *find(const struct sindex *x, const char *const *keys, const char *key, size_t len,
				uint32_t h)
{
	size_t mask = x->cap - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct sindex_slot *s = &x->slots[i];
		if (!s->pos1 || (s->hash == h && equal(x, keys[s->pos1 - 1], key, len)))
			return s;
	}
}

static int resize(struct sindex *x, size_t ncap)
{
	struct sindex_slot *old = x->slots, *ns = calloc(ncap, sizeof *ns);
	size_t i;

	if (!ns) {
		oom_note();
		return -1;
	}
	for (i = 0; i < x->cap; i++) {
		if (old[i].pos1) {
			size_t j = old[i].hash & (ncap - 1);
			while (ns[j].pos1)
				j = (j + 1) & (ncap - 1);
			ns[j] = old[i];
		}
	}
	x->slots = ns;
	x->cap = ncap;
	free(old);
	return 0;
}

/* Room for n keys at seven eighths full at most: with 8 slots to a cache
 * line, a probe that runs on is cheap, and the table with one slot per
 * entry is the largest the planner has. */
int sindex_reserve(struct sindex *x, size_t n)
{
	size_t cap = x->cap ? x->cap : 16;

	while (n * 8 > cap * 7) {
		if (cap > SIZE_MAX / 2 / sizeof(struct sindex_slot))
			return -1;
		cap *= 2;
	}
	return cap == x->cap ? 0 : resize(x, cap);
}

int sindex_add(struct sindex *x, const char *const *keys, size_t pos, size_t *first)
{
	struct sindex_slot *s;
	size_t len;
	uint32_t h;

	if (!keys[pos]) {
		oom_note();
		return -1;
	}
	if (pos >= UINT32_MAX || sindex_reserve(x, x->size + 1) < 0)
		return -1;
	len = strlen(keys[pos]);
	h = (uint32_t)hmap_hash_n(keys[pos], len, x->flags);
	s = find(x, keys, keys[pos], len, h);
	if (s->pos1) {
		if (first)
			*first = s->pos1 - 1;
		return 0;
	}
	s->hash = h;
	s->pos1 = (uint32_t)pos + 1;
	x->size++;
	return 1;
}

size_t sindex_find(const struct sindex *x, const char *const *keys, const char *key)
{
	return key ? sindex_find_n(x, keys, key, strlen(key)) : SINDEX_NONE;
}

size_t sindex_find_n(const struct sindex *x, const char *const *keys, const char *key, size_t len)
{
	const struct sindex_slot *s;

	if (!x->size || !key)
		return SINDEX_NONE;
	s = find(x, keys, key, len, (uint32_t)hmap_hash_n(key, len, x->flags));
	return s->pos1 ? s->pos1 - 1 : SINDEX_NONE;
}
