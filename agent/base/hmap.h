/* A string-keyed hash map with open addressing (linear probing).
 *
 * Keys are borrowed: they must outlive the map (they usually live in an
 * arena). With HMAP_ICASE, keys compare and hash with ASCII case folded, the
 * way the directory compares uid, cn and ou values. Values are opaque. */
#ifndef LDAPENROLL_HMAP_H
#define LDAPENROLL_HMAP_H

#include <stddef.h>

#define HMAP_ICASE 1u

struct hmap_slot {
	const char *key;
	void *value;
	size_t hash;
};

struct hmap {
	struct hmap_slot *slots;
	size_t cap;  /* a power of two, or 0 */
	size_t size;
	unsigned flags;
};

void hmap_init(struct hmap *m, unsigned flags);
void hmap_release(struct hmap *m);

/* The value stored under key, or NULL (also for a NULL key). */
void *hmap_get(const struct hmap *m, const char *key);
/* Inserts key -> value unless key is present. Returns 1 when inserted, 0 when
 * the key was already there (then *existing, if given, receives its value and
 * nothing changes), -1 when memory is exhausted. A NULL key (a copy that
 * could not be made) is refused the same way, and counted (oom.h). */
int hmap_insert(struct hmap *m, const char *key, void *value, void **existing);
/* Inserts or replaces. Returns 0 or -1. */
int hmap_set(struct hmap *m, const char *key, void *value);

/* Iteration in unspecified order: start with *pos = 0; returns 0 at the end. */
int hmap_next(const struct hmap *m, size_t *pos, const char **key, void **value);

/* The hash used by the map, for the indexes built on it (sindex.h); the
 * same for the len bytes at key as for those bytes as a string. */
size_t hmap_hash(const char *key, unsigned flags);
size_t hmap_hash_n(const char *key, size_t len, unsigned flags);

#endif
