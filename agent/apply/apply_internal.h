/* The parts of the apply engine that its files share: the operations a
 * plan becomes, and the engine's state. apply_build.c turns actions into
 * operations (passwords generated and hashed there) and role groups into
 * adds and member batches; apply.c sends them, settles their outcomes and
 * journals everything; verify.c checks, after the writes, that the server
 * will force every new password to be changed. Internal to the three. */
#ifndef LDAPENROLL_APPLY_INTERNAL_H
#define LDAPENROLL_APPLY_INTERNAL_H

#include <time.h>

#include "agent/apply/apply.h"
#include "agent/apply/inflight.h"
#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/base/json.h"
#include "agent/base/log.h"

enum op_kind { K_ADD, K_MODIFY };
enum op_state { S_QUEUED, S_SENT, S_DONE, S_FAILED, S_UNKNOWN, S_SKIPPED };

struct op {
	enum op_kind kind;
	size_t action;          /* the plan action; NO_ACTION for a member batch */
	const char *dn;
	struct dir_mod *mods;
	size_t n_mods;
	int permissive;
	const char *hash;       /* the hashed password sent, to recognise it on read-back; for
	                         * a password the server never shows (unicodePwd), "" */
	const char *assertion;  /* an update: the old values, as a filter the entry must match */
	size_t *members;        /* actions whose membership this operation carries */
	size_t n_members;
	int msgid;
	enum op_state state;
	int tries;              /* sends so far, across reconnections */
	double not_before;      /* a retry waits until then (seconds, monotonic) */
	const char *sent_to;    /* the URI of the server it was last sent to */
};

#define NO_ACTION ((size_t)-1)

/* A role group of phase 3 and the actions whose people join it. */
struct group {
	const char *dn;
	size_t create;          /* its create_role action, or NO_ACTION */
	size_t *members;
	size_t n, alloc;
};

/* What the engine knows about a new password's must-change flag. */
enum verdict {
	V_UNKNOWN,      /* not seen yet: the final check decides */
	V_ENFORCED,     /* seen with the flag, on the server that took the write */
	V_NOT_ENFORCED, /* seen without it */
};

struct engine {
	struct apply *a;
	struct apply_report *r;
	const struct config *cfg;
	const struct plan *plan;
	struct arena arena;
	struct arena secrets;   /* cleartext password values (unicodePwd), wiped at the end */
	struct diag *d;
	struct inflight fl;
	struct op **retry;
	size_t n_retry, alloc_retry;
	int stop;               /* the status that stopped the run, 0 while going */
	const char *uri;        /* the server of the current connection (in arena) */
	unsigned char *verdict; /* per action: enum verdict of its password */
	const char **written_to; /* per action: the server that confirmed its password */
	size_t unsynced;
	struct group *groups;   /* phase 3: who joins which group */
	size_t n_groups;
	struct progress progress;
	struct buf jb;          /* the journal record being built */
};

/* Operations in the order they go out. */
struct opvec {
	struct op **v;
	size_t n, alloc;
};

static inline const char *adup(struct engine *E, const char *s)
{
	return arena_strdup(&E->arena, s);
}

static inline const struct plan_action *act_of(struct engine *E, size_t i)
{
	return &E->plan->actions[i];
}

/* The monotonic clock, in seconds. */
static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The journal: each record is built in E->jb and appended. */
static inline void rec_person(struct buf *b, const struct plan_action *a)
{
	if (a->key) {
		buf_addc(b, ',');
		json_add_member_str(b, "key", a->key);
	}
	buf_addc(b, ',');
	json_add_member_str(b, "dn", a->dn);
	if (a->line)
		buf_printf(b, ",\"line\":%u", a->line);
}

/* Appends the record built in E->jb (one buffer, reused for every record). */
static inline void journal_write(struct engine *E)
{
	if (journal_append_buf(E->a->journal, &E->jb) < 0 && !E->stop)
		E->stop = diag_set(E->d, ST_FAIL, "%s; no further change is made", journal_error(E->a->journal));
}

static inline struct buf *record_start(struct engine *E)
{
	buf_reset(&E->jb);
	return &E->jb;
}

/* apply_build.c */
/* The operation of action i, its password (if any) generated into the
 * action's slot and hashed; NULL when that failed (E->d says why) or out of
 * memory. */
struct op *ap_build_op(struct engine *E, size_t i);
/* The operations of phase 3 from the outcomes of phases 1 and 2, appended to
 * ops (E->groups filled on the way); -1 when out of memory. A group that
 * none of its members could join gets no operation: its create_role (if
 * any) is for the caller to settle. */
int ap_build_groups(struct engine *E, struct opvec *ops);
int ap_opvec_push(struct opvec *o, struct op *op);

/* verify.c */
/* The must-change flag of a new password, as the entry shows it. */
enum verdict ap_must_change_of(struct engine *E, const struct entry *e);
/* After the writes: checks that the server will force every new password
 * to be changed, and says (warning, journal, report) of each that it will
 * not. */
void ap_verify_must_change(struct engine *E);

#endif
