/* A person as each side sees it: a source record (fields by slot, with the
 * line it came from) and a directory entry (DN and attribute values). Both
 * live in arenas owned by the run; the planner only reads them. */
#ifndef LDAPENROLL_RECORD_H
#define LDAPENROLL_RECORD_H

#include <stddef.h>

struct arena;

struct record {
	unsigned line;        /* 1-based physical line of the record's first line (header is line 1); 0 if none */
	const char *error;    /* a problem found while reading it (e.g. field count), or NULL */
	const char *fields[]; /* by config slot; NULL when the source has no such column */
};

/* Allocates a record with n_slots fields, all NULL, in the arena. */
struct record *record_new(struct arena *a, size_t n_slots);

struct entry_attr {
	const char *name;
	const char **values;
	size_t n;
};

struct entry {
	const char *dn;
	struct entry_attr *attrs;
	size_t n_attrs;
};

/* The attribute named name (compared without case), or NULL. */
const struct entry_attr *entry_attr(const struct entry *e, const char *name);
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
struct entry_list {
	struct entry *v;
	size_t n, alloc;
	struct arena *arena;
	size_t shared;       /* values (and names) taken from the previous entry */
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
/* Appends an empty entry for dn (copied); returns it or NULL. */
struct entry *entry_list_add(struct entry_list *l, const char *dn);
/* The same for a DN of len bytes (not NUL-terminated). */
struct entry *entry_list_add_n(struct entry_list *l, const char *dn, size_t len);
/* Adds an attribute with n values (copied) to e. */
int entry_add_attr(struct entry_list *l, struct entry *e, const char *name, const char *const *values,
		   size_t n);
/* Sets all of e's attributes at once (e has none yet), sharing names and
 * values with the previous entry of the list where they are equal. */
int entry_set_attrs(struct entry_list *l, struct entry *e, const struct entry_attr_in *in, size_t n);

#endif
