#include "agent/base/hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/oom.h"

void hmap_init(struct hmap *m, unsigned flags)
{
	m->slots = NULL;
	m->cap = 0;
	m->size = 0;
	m->flags = flags;
}

void hmap_release(struct hmap *m)
{
	free(m->slots);
	hmap_init(m, m->flags);
}

/* The eight bytes of w with ASCII 'A'..'Z' made lower case: the high bit
 * of a byte says whether it is ASCII, and is 'A' or more, and is more than
 * 'Z', computed for all eight at once (no carry crosses a byte). */
static uint64_t fold8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, low7 = w & (ones * 0x7f);
	uint64_t upper = ~w & (low7 + ones * (0x80 - 'A')) & ~(low7 + ones * (0x80 - 'Z' - 1)) & (ones * 0x80);

	return w | (upper >> 2);
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

size_t hmap_hash(const char *key, unsigned flags)
{
	return hmap_hash_n(key, strlen(key), flags);
}

size_t hmap_hash_n(const char *key, size_t len, unsigned flags)
{
	/* Eight bytes at a time (a DN is some seventy), then a final mix so
	 * that the low bits are usable. */
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = mix(h, flags & HMAP_ICASE ? fold8(w) : w);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = mix(h, flags & HMAP_ICASE ? fold8(w) : w);
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static int keys_equal(const struct hmap *m, const char *a, const char *b)
{
	return (m->flags & HMAP_ICASE) ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static struct hmap_slot *find(const struct hmap *m, const char *key, size_t h)
{
	size_t mask = m->cap - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && keys_equal(m, s->key, key)))
			return s;
	}
}

static int grow(struct hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16, i;
	struct hmap_slot *old = m->slots, *ns;

	ns = calloc(ncap, sizeof *ns);
	if (!ns) {
		oom_note();
		return -1;
	}
	m->slots = ns;
	for (i = 0; i < m->cap; i++) {
		if (old[i].key) {
			size_t j = old[i].hash & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = old[i];
		}
	}
	m->cap = ncap;
	free(old);
	return 0;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_slot *s;

	if (!m->size || !key)
		return NULL;
	s = find(m, key, hmap_hash(key, m->flags));
	return s->key ? s->value : NULL;
}

static struct hmap_slot *slot_for(struct hmap *m, const char *key, size_t *h)
{
	/* A key that is not there is a copy that could not be made. */
	if (!key) {
		oom_note();
		return NULL;
	}
	if ((m->size + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return NULL;
	*h = hmap_hash(key, m->flags);
	return find(m, key, *h);
}

int hmap_insert(struct hmap *m, const char *key, void *value, void **existing)
{
	struct hmap_slot *s;
	size_t h;

	if (!(s = slot_for(m, key, &h)))
		return -1;
	if (s->key) {
		if (existing)
			*existing = s->value;
		return 0;
	}
	s->key = key;
	s->value = value;
	s->hash = h;
	m->size++;
	return 1;
}

int hmap_set(struct hmap *m, const char *key, void *value)
{
	struct hmap_slot *s;
	size_t h;

	if (!(s = slot_for(m, key, &h)))
		return -1;
	if (!s->key) {
		s->key = key;
		s->hash = h;
		m->size++;
	}
	s->value = value;
	return 0;
}

int hmap_next(const struct hmap *m, size_t *pos, const char **key, void **value)
{
	while (*pos < m->cap) {
		struct hmap_slot *s = &m->slots[(*pos)++];
		if (s->key) {
			if (key)
				*key = s->key;
			if (value)
				*value = s->value;
			return 1;
		}
	}
	return 0;
}
