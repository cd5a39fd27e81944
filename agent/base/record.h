/* A person as each side sees it: a source record (fields by slot, with the
 * line it came from) and a directory entry (DN and attribute values). Both
 * live in arenas owned by the run; the planner only reads them. */
#ifndef LDAPENROLL_RECORD_H
#define LDAPENROLL_RECORD_H

#include <stddef.h>

#include "agent/base/sindex.h"

struct arena;

struct record {
	unsigned line;        /* 1-based physical line of the record's first line (header is line 1); 0 if none */
	const char *error;    /* a problem found while reading it (e.g. field count), or NULL */
	const char *fields[]; /* by config slot; NULL when the source has no such column */
};

/* Allocates a record with n_slots fields, all NULL, in the arena. */
struct record *record_new(struct arena *a, size_t n_slots);

/* One attribute of an entry, as entry_attr gives it: name NULL (and no
 * values) when the entry has no attribute of that name. */
struct entry_attr {
	const char *name;
	const char **values;
	size_t n;
};

/* The attribute names and value counts of an entry. Entries read in one
 * list nearly all look alike, so they share one shape: an entry itself is
 * its DN and one slot per attribute. */
struct entry_shape {
	size_t n_attrs;
	const char **names;
	size_t *counts;
};

union entry_slot {
	const char *one;   /* an attribute with one value: that value */
	const char **many; /* otherwise: its values (NULL for none) */
};

struct entry {
	const char *dn;
	const struct entry_shape *shape; /* NULL while the entry has no attributes */
	union entry_slot *slots;         /* by the shape's attribute index */
};

/* The attribute named name (compared without case). */
struct entry_attr entry_attr(const struct entry *e, const char *name);
/* The entry's attribute number i (< entry_n_attrs(e)). */
struct entry_attr entry_attr_at(const struct entry *e, size_t i);
size_t entry_n_attrs(const struct entry *e);
/* Its first value, or NULL. */
const char *entry_first(const struct entry *e, const char *name);
/* True when the attribute holds value (compared exactly, or without ASCII
 * case when icase is set). */
int entry_has_value(const struct entry *e, const char *name, const char *value, int icase);

/* A growable list of entries whose strings and attribute arrays live in
 * an arena: what a directory read fills. A large read repeats itself from
 * entry to entry (the same attribute names in the same order, the same
 * objectClass values, the same policy DN): what equals the previous
 * entry's is shared, not copied again. */
enum { ENTRY_RECENT_SHAPES = 8 };

struct entry_list {
	struct entry *v;
	size_t n, alloc;
	struct arena *arena;
	size_t shared;       /* values taken from the previous entry */
	/* The shapes of the last entries, newest first: a new entry takes one
	 * of them when its names and counts are the same. */
	const struct entry_shape *recent[ENTRY_RECENT_SHAPES];
	size_t n_shapes;     /* shapes made, for the tests */
	/* While sharing is on (entry_list_share_dns): the DNs kept so far,
	 * the entries' own and the values that are DNs (hold '='), so that a
	 * group's member value and the entry it names are one string. */
	int sharing;
	struct sindex dns;
	const char **dn_strings;
	size_t n_dn_strings, alloc_dn_strings;
};

/* One attribute as read off the wire: values with their lengths (a value
 * is cut at a NUL byte; none the program reads is binary). */
struct entry_attr_in {
	const char *name;
	size_t name_len;
	const char *const *values;
	const size_t *lens;
	size_t n;
};

void entry_list_init(struct entry_list *l, struct arena *a);
void entry_list_release(struct entry_list *l);
/* Starts (on) or ends (off: the index is freed, what it shared stays
 * shared) the sharing of DN strings among the entries added meanwhile. */
void entry_list_share_dns(struct entry_list *l, int on);
/* Appends an empty entry for dn (copied); returns it or NULL. */
struct entry *entry_list_add(struct entry_list *l, const char *dn);
/* The same for a DN of len bytes (not NUL-terminated). */
struct entry *entry_list_add_n(struct entry_list *l, const char *dn, size_t len);
/* Adds an attribute with n values (copied) to e. */
int entry_add_attr(struct entry_list *l, struct entry *e, const char *name, const char *const *values,
		   size_t n);
/* Sets all of e's attributes at once (e has none yet), sharing the shape
 * with a recent entry and values with the previous entry of the list where
 * they are equal. */
int entry_set_attrs(struct entry_list *l, struct entry *e, const struct entry_attr_in *in, size_t n);

#endif
