/* The sync planner's state, shared by its three parts: plan_index.c (the
 * directory's index, role groups and their members), plan_row.c (one
 * source row: its checks, account and role, rendering, and what it plans)
 * and plan.c (the people absent from the source, the groups and containers
 * the rows need, the session), each using only those before it. Not for
 * use outside them. */
#ifndef LDAPENROLL_PLAN_SYNC_H
#define LDAPENROLL_PLAN_SYNC_H

#include <stdint.h>

#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/base/hmap.h"
#include "agent/base/sindex.h"
#include "agent/plan/plan.h"
#include "agent/plan/plan_internal.h"
#include "agent/text/template.h"

/* A role group the plan touches. */
struct group {
	const char *dn, *ndn, *role;
	const struct entry *entry; /* NULL: the group is created */
	uint32_t number;           /* 1-based, in the order the plan meets groups */
	int members_marked;        /* its members are marked on their entries */
	size_t joining;            /* people the plan adds */
	const char *account;       /* the account of the first person joining (for the text) */
};

/* A set of (entry, group) pairs, open addressing; 0 is an empty slot. */
struct pairs {
	uint64_t *slots;
	size_t cap, size;
};

/* A row's account and role, and the group it joins. */
struct account_role {
	const char *account_dn, *account_ndn, *account;
	const char *role, *role_dn, *role_ndn;
	enum role_origin origin;
	struct group *group; /* the role group (NULL when memory ran out) */
};

/* What a row's account and role come to, for the values of the columns
 * they are made of. Rows of one account and role are many; the memo is a
 * hash table of the combinations, one place each, up to MEMO_MAX of them
 * (rows of others are worked out each time). */
enum { MEMO_SLOTS = 4, MEMO_MAX = 16384 };

struct memo {
	const char *fields[MEMO_SLOTS];
	int used;
	struct account_role ar;
};

struct planner {
	const struct config *cfg;
	struct plan_builder B;
	struct plan *p;      /* B.p */
	struct arena *a;     /* its arena */
	/* The directory's entries by DN, and its people by key, without ASCII
	 * case: positions in the entries, whose keys are ndn[] (the entry's own
	 * DN when plain, else a canonical copy) and key[]. */
	struct sindex by_dn, by_key;
	const char **ndn, **key;
	unsigned char *mark;   /* per entry: MATCHED, AMBIGUOUS */
	/* Role groups' members, marked on their entries as each group is first
	 * asked about: the number of the first group an entry is a member of,
	 * and (entry, group) pairs for its other groups. */
	uint32_t *member_of;
	struct pairs other_groups;
	struct hmap keys_seen; /* key (no case) -> first line, as (void *)(uintptr_t) */
	/* Per entry: the line of the row that named it (duplicate keys of
	 * people the directory holds are found here; keys_seen keeps only the
	 * others, so an hourly run with few new people keeps a small table). */
	unsigned *first_line;
	struct hmap groups;    /* canonical DN -> struct group */
	struct group **group_list;
	size_t n_groups;
	struct hmap accounts;  /* canonical DN -> DN, for containers the plan creates */
	struct buf fatal;      /* plan-wide problems, one per line */
	struct hmap fatal_seen;
	const char *mail_attr; /* the people attribute holding the address */
	int *update_attr;      /* per people.update name: its index in people.attributes, or -1 */
	/* Per people.attributes template: the column it is exactly, or -1;
	 * the earlier attribute with the same template, or -1. */
	int *attr_column, *attr_same_as;
	/* Strings that repeat across rows (accounts, roles, their DNs,
	 * locales) are stored once; a row's own canonical DNs live only
	 * while the row is planned. A million-row plan stays compact. */
	struct hmap interned;
	struct buf scratch, row_ndn, parent_ndn;
	/* What a row renders (its DN, its attribute values and lists) lives
	 * here while the row is planned, and moves to the plan only when an
	 * action keeps it (persist_row): a run where little changes keeps
	 * nothing per unchanged person. */
	struct arena row;
	int memo_slots[MEMO_SLOTS];
	size_t n_memo_slots;   /* 0: no memo (more columns than MEMO_SLOTS) */
	struct memo *memo;
	size_t memo_cap, memo_size;
	unsigned long oom_before;
	/* The input, with the entries so far while the directory is read;
	 * how far the entries are indexed (and the room in the per-entry
	 * arrays) and the rows planned. */
	struct plan_input input;
	size_t n_indexed, alloc_indexed;
	size_t next_row;
	int early;     /* rows are planned while the directory is read */
	int replan;    /* a person arrived with the key of a row planned early */
	int replaying; /* a deferred row read again: it is not a duplicate of itself */
	/* Rows planned early whose role membership waits for the end: the row,
	 * its person's entry, its group's number (| UNCHANGED: the row had no
	 * action so far). */
	struct deferred {
		uint32_t row, entry, group;
	} *deferred;
	size_t n_deferred, alloc_deferred;
	/* Actions planned early that name an entry, by position: the array of
	 * entries moves while the read makes it longer. */
	struct moved {
		size_t action, entry;
	} *moved;
	size_t n_moved, alloc_moved;
};


#define UNCHANGED 0x80000000u


enum {
	MATCHED = 1,  /* a row names the person */
	AMBIGUOUS = 2 /* the first of several people with the same key */
};

/* By its address, the answer for a key that several people have. */
extern const char planner_ambiguous;

/* A source row while it is planned (plan_row.c: read_row). */
struct row {
	const struct record *rec;
	struct tmpl_env env;
	const char *key;
	struct account_role ar;
	const char *dn, *ndn;
	struct plan_attr *attrs;
	size_t n_attrs;
	const char **values;   /* rendered people.attributes, by index ("" = empty) */
	const struct entry *ent; /* by_key's answer for the key: the person, &planner_ambiguous or NULL */
	int active;
	int persisted;         /* dn, values and attrs are in the plan's arena */
};

#define fmt(P, ...) pb_printf(&(P)->B, __VA_ARGS__)
#define adup(P, s) pb_strdup(&(P)->B, s)
#define canon(P, dn) pb_canon(&(P)->B, dn)
#define new_action(P, op) pb_action(&(P)->B, op)
#define is_disabled(e) entry_is_disabled(P->cfg, e)

/* --- plan_index.c ---------------------------------------------------------- */

/* One stored copy of s for the whole plan. */
const char *intern(struct planner *P, const char *s);
/* The canonical form of dn in b (overwritten), or NULL when dn is not one
 * (or memory ran out: the plan then fails as a whole). */
const char *canon_in(struct planner *P, struct buf *b, const char *dn);
/* The canonical form of a DN that repeats across rows, stored once. */
const char *canon_interned(struct planner *P, const char *dn);
/* A plan-wide problem (said once). */
void add_fatal(struct planner *P, const char *msg);
/* Rejects the row; returns -1, for the callers that stop there. */
int reject(struct planner *P, const struct record *r, const char *key, const char *reason);
/* True when dn exists or the plan creates it (or, offline, may exist). */
int dn_available(struct planner *P, const char *ndn);
/* The entry at a DN (plain or canonical), or NULL. */
const struct entry *entry_at(const struct planner *P, const char *ndn);
/* The position of an entry of the input. */
size_t entry_index(const struct planner *P, const struct entry *e);
/* The role group at dn (ndn canonical), met for the first time or again;
 * NULL when memory ran out. */
struct group *group_for(struct planner *P, const char *dn, const char *ndn, const char *role);
/* Whether the person (entry number person) is a member of g. */
int is_member(struct planner *P, struct group *g, size_t person);
/* Indexes the entries that arrived since the last time; 0 or -1 (no
 * memory). */
int index_entries(struct planner *P);
/* The person with that key, &planner_ambiguous when several have it, or
 * NULL. */
const struct entry *person_with_key(const struct planner *P, const char *key);
/* The person a row's key names: the entry, &planner_ambiguous, or NULL (no
 * key, or nobody with it). */
const struct entry *row_person(const struct planner *P, const struct record *rec);

/* --- plan_row.c ------------------------------------------------------------ */

/* The columns a row's account and role are made of; no memo when they
 * are more than MEMO_SLOTS. */
void memo_init(struct planner *P);
/* The checks and the rendering of a row, up to the person it describes.
 * Returns 0, or -1 when the row was rejected (or memory ran out). */
int read_row(struct planner *P, const struct record *rec, const struct entry *ent, struct row *r);
/* A row whose key names ent (row_person). */
void plan_row(struct planner *P, const struct record *rec, const struct entry *ent);
/* Joins the person to their role group when not a member yet (existing:
 * the person is in the directory). */
void plan_membership(struct planner *P, struct row *r, int existing);
/* The entry of a container or group the plan creates: its object classes
 * and the naming attribute with the value from its DN. */
void container_attrs(struct planner *P, struct plan_action *act, const struct strlist *classes);

#endif
