/* The operations in flight on one connection, found by LDAP message id.
 *
 * Open addressing with linear probing over window * 4 slots (ids are > 0).
 * A taken slot becomes a tombstone so that later probes go on; before the
 * live slots and tombstones would fill half of the table it is rebuilt
 * without them, so that a lookup of any id, one the table holds or not
 * (such as 0, the id of an unsolicited notification), always ends. */
#ifndef LDAPENROLL_INFLIGHT_H
#define LDAPENROLL_INFLIGHT_H

#include <stddef.h>

struct inflight {
	void **slot;
	int *id;          /* > 0 live, -1 tombstone, 0 empty */
	size_t cap;       /* a power of two, at least 4 * window */
	size_t n;         /* live slots */
	size_t used;      /* live slots and tombstones */
	void **keep_slot; /* room for the live entries while the table is rebuilt */
	int *keep_id;
};

/* For at most window entries at a time. Returns 0 or -1 (no memory). */
int inflight_init(struct inflight *f, size_t window);
void inflight_release(struct inflight *f);
/* Adds value under id (> 0, not in the table). At most window entries are
 * live at a time. */
void inflight_put(struct inflight *f, int id, void *value);
/* Removes and returns the value under id, or NULL when there is none. */
void *inflight_take(struct inflight *f, int id);
/* Removes and returns any value, NULL when the table is empty: for
 * emptying it. */
void *inflight_pop(struct inflight *f);

#endif
