#include "agent/base/pwstore.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "agent/base/secure.h"

int pwstore_init(struct pwstore *s, size_t n, size_t slot_size)
{
	s->slot = slot_size;
	s->n = n;
	s->locked = 0;
	s->mem = calloc(n ? n : 1, slot_size);
	if (!s->mem)
		return -1;
	/* Keep passwords out of swap where the limits allow; the process is
	 * already kept out of core dumps. */
	s->locked = mlock(s->mem, (n ? n : 1) * slot_size) == 0;
	return 0;
}

char *pwstore_slot(struct pwstore *s, size_t i)
{
	return s->mem + i * s->slot;
}

int pwstore_has(const struct pwstore *s, size_t i)
{
	return s->mem && i < s->n && s->mem[i * s->slot] != '\0';
}

void pwstore_clear(struct pwstore *s, size_t i)
{
	if (s->mem && i < s->n)
		secure_wipe(s->mem + i * s->slot, s->slot);
}

void pwstore_release(struct pwstore *s)
{
	size_t size = (s->n ? s->n : 1) * s->slot;

	if (!s->mem)
		return;
	secure_wipe(s->mem, size);
	if (s->locked)
		munlock(s->mem, size);
	free(s->mem);
	s->mem = NULL;
	s->n = 0;
}
