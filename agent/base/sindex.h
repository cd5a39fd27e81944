/* An index of strings that the caller keeps in an array: key -> position.
 *
 * A slot holds a position and 32 bits of the key's hash: 8 bytes, where a
 * struct hmap slot takes 24 and holds the key itself. The keys are read
 * from the caller's array (passed to each call, so that it may move) when
 * the hashes agree. For the tables with one slot per directory entry, the
 * difference is tens of bytes per person. With HMAP_ICASE, keys hash and
 * compare with ASCII case folded, as in a struct hmap. */
#ifndef LDAPENROLL_SINDEX_H
#define LDAPENROLL_SINDEX_H

#include <stddef.h>
#include <stdint.h>

#define SINDEX_NONE ((size_t)-1)

struct sindex_slot {
	uint32_t hash;
	uint32_t pos1; /* the position + 1; 0: an empty slot */
};

struct sindex {
	struct sindex_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t size;
	unsigned flags;
};

void sindex_init(struct sindex *x, unsigned flags);
void sindex_release(struct sindex *x);
/* Makes room for n keys in all at once. Returns 0 or -1. */
int sindex_reserve(struct sindex *x, size_t n);
/* Adds keys[pos] unless an equal key is there. Returns 1 when added, 0 when
 * one was (*first, if given, gets its position), -1 when memory ran out or
 * keys[pos] is NULL (a copy that could not be made, counted as in oom.h) or
 * pos does not fit in 32 bits. */
int sindex_add(struct sindex *x, const char *const *keys, size_t pos, size_t *first);
/* The position of key, or SINDEX_NONE (also for a NULL key). */
size_t sindex_find(const struct sindex *x, const char *const *keys, const char *key);
/* The same for the len bytes at key (no NUL among them). */
size_t sindex_find_n(const struct sindex *x, const char *const *keys, const char *key, size_t len);

#endif
