/* What the planners (plan.c for sync, plan_admin.c for the one-off jobs)
 * share: a builder that collects actions, rejected rows and the manual list
 * in a plan's arena, and the facts about directory entries both need. Not
 * for use outside the planners. */
#ifndef LDAPENROLL_PLAN_INTERNAL_H
#define LDAPENROLL_PLAN_INTERNAL_H

#include "agent/plan/plan.h"

struct plan_builder {
	struct plan *p;
	struct plan_action *acts;
	size_t n_acts, alloc_acts;
	size_t alloc_rejected, alloc_manual, alloc_left_disabled;
	int oom;                /* sticky: something could not be allocated */
};

/* Starts a plan; returns 0 or -1 (no memory). */
int pb_init(struct plan_builder *b, const char *source);
/* Orders the actions by operation (keeping their order within each) and
 * hands the plan over; on a builder that ran out of memory, frees it and
 * returns -1. */
int pb_finish(struct plan_builder *b, struct plan **out);

/* Strings in the plan's arena (NULL in, NULL out). */
char *pb_strdup(struct plan_builder *b, const char *s);
char *pb_printf(struct plan_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The canonical form of a DN (dn.h), or NULL when it is not one. */
const char *pb_canon(struct plan_builder *b, const char *dn);

/* A new action, zeroed but for its op; NULL when out of memory. */
struct plan_action *pb_action(struct plan_builder *b, enum plan_op op);
void pb_reject(struct plan_builder *b, unsigned line, const char *key, const char *reason);
void pb_manual(struct plan_builder *b, const struct plan_action *act, const char *reason);
/* An active person an administrator disabled: sync leaves them disabled. */
void pb_left_disabled(struct plan_builder *b, unsigned line, const char *key, const char *dn);
/* A person who gets a password is sent these messages, or (no notify, no
 * address) goes to the manual list. */
void pb_messages(struct plan_builder *b, const struct config *cfg, struct plan_action *act,
		 const enum msg_kind *kinds, size_t n);

/* The people attribute that holds the address ("mail"), or NULL. */
const char *config_mail_attr(const struct config *cfg);

#endif
