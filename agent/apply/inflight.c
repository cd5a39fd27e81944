#include "agent/apply/inflight.h"

#include <stdlib.h>

int inflight_init(struct inflight *f, size_t window)
{
	f->cap = 16;
	while (f->cap < window * 4)
		f->cap *= 2;
	f->slot = calloc(f->cap, sizeof *f->slot);
	f->id = calloc(f->cap, sizeof *f->id);
	/* A rebuild happens before half the table is used. */
	f->keep_slot = calloc(f->cap / 2, sizeof *f->keep_slot);
	f->keep_id = calloc(f->cap / 2, sizeof *f->keep_id);
	f->n = f->used = 0;
	return f->slot && f->id && f->keep_slot && f->keep_id ? 0 : -1;
}

void inflight_release(struct inflight *f)
{
	free(f->slot);
	free(f->id);
	free(f->keep_slot);
	free(f->keep_id);
	f->slot = f->keep_slot = NULL;
	f->id = f->keep_id = NULL;
	f->cap = f->n = f->used = 0;
}

static void insert(struct inflight *f, int id, void *value)
{
	size_t i = (size_t)id & (f->cap - 1);

	while (f->id[i] > 0)
		i = (i + 1) & (f->cap - 1);
	if (f->id[i] == 0)
		f->used++;
	f->id[i] = id;
	f->slot[i] = value;
	f->n++;
}

/* Drops the tombstones: the live entries are set aside, the table emptied,
 * and they go in again. */
static void rebuild(struct inflight *f)
{
	size_t i, live = 0;

	for (i = 0; i < f->cap; i++) {
		if (f->id[i] > 0) {
			f->keep_id[live] = f->id[i];
			f->keep_slot[live] = f->slot[i];
			live++;
		}
		f->id[i] = 0;
		f->slot[i] = NULL;
	}
	f->n = f->used = 0;
	for (i = 0; i < live; i++)
		insert(f, f->keep_id[i], f->keep_slot[i]);
}

void inflight_put(struct inflight *f, int id, void *value)
{
	if (2 * (f->used + 1) > f->cap)
		rebuild(f);
	insert(f, id, value);
}

void *inflight_take(struct inflight *f, int id)
{
	size_t i = (size_t)id & (f->cap - 1);
	void *value;

	if (id <= 0)
		return NULL;
	for (; f->id[i] != 0; i = (i + 1) & (f->cap - 1))
		if (f->id[i] == id) {
			value = f->slot[i];
			f->id[i] = -1;
			f->slot[i] = NULL;
			f->n--;
			return value;
		}
	return NULL;
}

void *inflight_pop(struct inflight *f)
{
	size_t i;
	void *value;

	for (i = 0; f->n && i < f->cap; i++)
		if (f->id[i] > 0) {
			value = f->slot[i];
			f->id[i] = -1;
			f->slot[i] = NULL;
			f->n--;
			return value;
		}
	/* Empty: start again without tombstones. */
	for (i = 0; i < f->cap; i++) {
		f->id[i] = 0;
		f->slot[i] = NULL;
	}
	f->used = 0;
	return NULL;
}
