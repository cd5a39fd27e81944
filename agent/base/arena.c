#include "agent/base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/oom.h"
#include "agent/base/secure.h"

#define CHUNK_MIN (256 * 1024)

/* What the program keeps in arenas (pointers, sizes, 64-bit integers,
 * doubles) aligns to this: 8 bytes, where max_align_t (16 on x86-64, for
 * long double) would pad every array of pointers. */
union arena_align {
	void *p;
	long long ll;
	double d;
	size_t z;
};

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	arena_init(a);
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *keep = a->head, *c, *next;

	if (!keep)
		return;
	for (c = keep->next; c; c = next) {
		next = c->next;
		free(c);
	}
	keep->next = NULL;
	keep->used = 0;
	a->total = 0;
}

int arena_owns(const struct arena *a, const void *p)
{
	const struct arena_chunk *c;
	const unsigned char *b = p;

	for (c = a->head; c && b; c = c->next)
		if (b >= c->data && b < c->data + c->used)
			return 1;
	return 0;
}

void arena_release_secret(struct arena *a)
{
	struct arena_chunk *c;

	for (c = a->head; c; c = c->next)
		secure_wipe(c->data, c->used);
	arena_release(a);
}

/* n bytes at an offset that is a multiple of align (a power of two). */
static void *alloc_aligned(struct arena *a, size_t n, size_t align)
{
	struct arena_chunk *c = a->head;
	size_t size, pad = 0;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (c)
		pad = (align - (c->used & (align - 1))) & (align - 1);
	if (!c || c->size - c->used < n + pad) {
		pad = 0; /* a new chunk starts aligned */
		size = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof *c + size);
		if (!c) {
			oom_note();
			return NULL;
		}
		c->size = size;
		c->used = 0;
		/* A chunk made for one big block goes behind the current one, so
		 * the free space of the current chunk is not lost. */
		if (a->head && n > CHUNK_MIN) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	a->total += n;
	c->used += pad + n;
	return c->data + c->used - n;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return alloc_aligned(a, n, alignof(union arena_align));
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
	void *p;

	if (size && count > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	/* Strings need no alignment: packed, they take a third less room. */
	p = alloc_aligned(a, n + 1, 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}
