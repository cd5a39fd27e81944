/* A bump allocator for data that lives as long as a run stage: source
 * records, directory entries, plan actions. Allocation is a pointer bump;
 * everything is freed at once. This keeps the hot path of a million-row run
 * free of per-row malloc/free pairs. */
#ifndef LDAPENROLL_ARENA_H
#define LDAPENROLL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total; /* bytes handed out, for reporting */
};

void arena_init(struct arena *a);
/* Frees every chunk. Pointers obtained from the arena become invalid. */
void arena_release(struct arena *a);
/* The same for an arena that held secrets: every byte used is wiped first. */
void arena_release_secret(struct arena *a);

/* Forgets everything allocated, keeping the newest chunk for reuse: for a
 * scratch arena that holds one item at a time (a row being planned). */
void arena_reset(struct arena *a);
/* Whether p points into memory the arena handed out. */
int arena_owns(const struct arena *a, const void *p);

/* Returns n bytes aligned for pointers, sizes, 64-bit integers and doubles
 * (not long double), or NULL when memory is exhausted. */
void *arena_alloc(struct arena *a, size_t n);
/* Zeroed variant, with overflow check on count * size. */
void *arena_calloc(struct arena *a, size_t count, size_t size);
/* Copies of strings, owned by the arena. NULL in gives NULL out. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
