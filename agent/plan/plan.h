/* agent/plan: PURE decisions. It owns the sync planner (plan.c and, for one
 * source row, plan_row.c), the administrator's planners (plan_admin.c), the
 * plan object and its builder (plan_build.c), the plan's text/JSON/LDIF
 * forms (plan_format.c) and saved plans read back (plan_load.c). It may use
 * agent/base, agent/text and config; never a connector.
 *
 * The planner: config + source records + directory entries -> a plan, the
 * list of actions (with reasons) that makes the directory match the source.
 *
 * PURE: no I/O, no LDAP, no clock. Everything it needs arrives in struct
 * plan_input; everything it decides is in struct plan. The preview prints
 * the plan; --apply executes that same plan. */
#ifndef LDAPENROLL_PLAN_H
#define LDAPENROLL_PLAN_H

#include <stddef.h>

#include "config/config.h"
#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/hmap.h"
#include "agent/base/record.h"

/* In execution order: containers before the people in them, people before
 * the groups that list them. */
enum plan_op {
	OP_CREATE_ACCOUNT,
	OP_CREATE_PERSON,
	OP_ENABLE_PERSON,
	OP_UPDATE_PERSON,
	OP_DISABLE_PERSON,
	OP_RESET_PASSWORD,
	OP_CREATE_ROLE,
	OP_ADD_TO_ROLE,
	OP_COUNT
};

enum role_origin { ROLE_NONE, ROLE_COLUMN, ROLE_MAP, ROLE_DEFAULT };

struct plan_attr {
	const char *name;
	const char **values;
	size_t n;
};

/* One attribute of update_person: the directory's values and the new one
 * (NULL: the attribute is removed because the source value is empty). */
struct plan_change {
	const char *attr;
	const char **old;
	size_t n_old;
	const char *value;
};

struct plan_action {
	/* Laid out for size: a million-row plan holds a million of these. */
	enum plan_op op : 8;
	enum role_origin role_origin : 8;     /* people and add_to_role */
	unsigned char n_messages;
	unsigned char messages[MSG_KINDS];    /* enum msg_kind: what they are sent, in order */
	unsigned char resend;     /* reset_password: the messages of an earlier job were never
	                           * confirmed; this sends them again */
	unsigned char by_sync;    /* disable_person: sync disables (its note goes on the entry,
	                           * so that sync may enable again); 0: an administrator does
	                           * (the note goes, and sync leaves the person disabled) */
	unsigned line;            /* people: the source line, 0 when none */
	const char *dn;           /* the entry acted on */
	const char *key;          /* people: the source key */
	const char *reason;       /* why, in words ("absent from the source") */
	/* people and add_to_role: the role */
	const char *role;
	const char *role_dn;
	/* people who get a generated password */
	const char *email;        /* NULL: no address */
	/* what messages are rendered with */
	const char *username, *first_name, *last_name, *account, *locale;
	/* create_*: the entry's attributes (objectClass first); the password
	 * attributes are added at apply time */
	struct plan_attr *attrs;
	/* update_person */
	struct plan_change *changes;
	unsigned n_attrs;
	unsigned n_changes;
	/* create_role: how many people it is created with */
	size_t n_members;
	/* borrowed: where the action came from (may be NULL) */
	const struct record *rec;
	const struct entry *entry;
};

struct plan_reject {
	unsigned line;
	const char *key; /* NULL when the row has no readable key */
	const char *reason;
};

struct plan_manual {
	unsigned line;
	const char *key;
	const char *dn;
	const char *reason;
};

struct plan {
	struct arena arena;       /* owns every string of the plan */
	struct plan_action *actions;
	size_t n_actions;
	struct plan_reject *rejected;
	size_t n_rejected;
	struct plan_manual *manual;
	size_t n_manual;
	/* Disabled by an administrator (no note of sync's) while active in
	 * the source: sync leaves them so, and says so. */
	struct plan_manual *left_disabled;
	size_t n_left_disabled;
	size_t counts[OP_COUNT];
	size_t n_messages;        /* messages that would be sent */
	size_t n_records;         /* source rows read */
	size_t n_managed;         /* managed people in the directory */
	size_t n_unchanged;       /* people already as they should be */
	size_t n_memberships;     /* people who join a role group: new ones (with their create)
	                           * and existing ones (add_to_role) */
	size_t n_inactive;        /* inactive people not in the directory: not created */
	const char *source;       /* the source's name, as the plan shows it */
	/* --force-limits N of the command line (-1: none), so that the preview
	 * can say whether the apply would stop at a safety limit */
	long force_limits;
};

struct plan_input {
	const struct config *cfg;
	struct record *const *records; /* borrowed; must outlive the plan */
	size_t n_records;
	const struct entry *entries;   /* borrowed; must outlive the plan */
	size_t n_entries;
	const char *source;            /* the source's name */
	int offline;                   /* no directory was read: check rows only, assume every
	                                * container exists */
	const struct hmap *pending;    /* key -> job id of people whose messages were never
	                                * confirmed (values NULL: settled); may be NULL */
};

/* What became of an action when the plan was applied. */
enum outcome {
	OUT_NONE,
	OUT_DONE,
	OUT_FAILED,
	OUT_SKIPPED,  /* not attempted */
	OUT_UNKNOWN,  /* sent, and the run stopped before its result was known */
	OUT_REFUSED,  /* a saved plan's precondition no longer held */
};

const char *outcome_name(enum outcome o);

/* Computes the plan. Row problems become rejected rows; problems that make
 * the whole plan wrong (a missing role container, a missing group or account
 * that may not be created) return ST_INPUT with every such problem in d.
 * On success *out is a plan the caller frees with plan_free(). */
int plan_build(const struct plan_input *in, struct plan **out, struct diag *d);
void plan_free(struct plan *p);

/* The same plan, made while the directory is read: fed the rows and the
 * entries that have arrived, the session indexes the entries and plans the
 * rows, in order, as far as their people have been read (what a row's role
 * group holds waits for the end). plan_session_finish with the whole input
 * gives exactly plan_build's plan; when an entry that arrived later changes
 * what an earlier row was planned on (a second person with its key), the
 * rows are planned again there. in is copied; its records and entries are
 * borrowed until the end, and may move (a growing array) between feeds. */
struct plan_session;
struct plan_session *plan_session_new(const struct plan_input *in);
void plan_session_feed(struct plan_session *s, const struct entry *entries, size_t n_entries);
/* Frees s; the result as plan_build's. */
int plan_session_finish(struct plan_session *s, const struct plan_input *in, struct plan **out, struct diag *d);
void plan_session_free(struct plan_session *s);

/* A managed person: every object class of people.object_classes and a key. */
int entry_is_person(const struct config *cfg, const struct entry *e);
/* Disabled the way this agent disables (the flavour's lock; other locks,
 * such as failed-login lockouts, are the server's). */
int entry_is_disabled(const struct config *cfg, const struct entry *e);
/* Active Directory's userAccountControl of the entry (a normal account
 * when absent or not a number), and its bits this agent touches. */
unsigned long entry_uac(const struct entry *e);
#define UAC_ACCOUNTDISABLE 0x2ul
#define UAC_NORMAL_ACCOUNT 0x200ul
/* Whether a source row is active (people.active: not empty, false, 0 or
 * no; everyone when unset). scratch is working space. */
int plan_record_active(const struct config *cfg, const struct record *rec, struct buf *scratch);
/* Disabled by sync: the entry holds sync's note (people.note_attribute). */
int entry_disabled_by_sync(const struct config *cfg, const struct entry *e);
/* The managed people among entries (what the safety limits count). */
size_t plan_count_managed(const struct config *cfg, const struct entry *entries, size_t n);

/* True when the plan changes anything in the directory. */
int plan_has_changes(const struct plan *p);

/* Names as they appear in plans ("create_person", "default"). */
const char *plan_op_name(enum plan_op op);
const char *role_origin_name(enum role_origin o);

/* Why someone given the password of --password-file is on the manual list:
 * nobody is sent anything. */
#define GIVEN_PASSWORD_REASON "a given password was set; no message is sent"



#endif
