/* The apply engine. See apply.h for what it guarantees; the shape is:
 *
 *   build   every operation of the plan (apply_build.c; passwords generated
 *           and hashed now, before anything is written, so a broken
 *           generator stops the run with nothing changed);
 *   journal the intents of the containers and people, fsync;
 *   phase 1 account containers; phase 2 people (skipping those whose
 *           container failed);
 *   journal the intents of the role groups, fsync;
 *   phase 3 role groups, with the people that now exist;
 *   verify  that the server will force the change for every new password
 *           (verify.c).
 *
 * Each phase is one pipeline (run_ops): up to `window` operations in flight,
 * results matched by message id. */
#include "agent/apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/base/hmap.h"
#include "agent/base/interrupt.h"
#include "agent/base/json.h"
#include "agent/base/log.h"
#include "agent/base/testhook.h"

#define SYNC_EVERY 512    /* outcomes between fsyncs of the journal */
#define MAX_TRIES 3       /* sends of one operation on busy/unavailable answers */
#define MAX_SENDS 5       /* sends of one operation in all, across reconnections */
#define RETRY_DELAY 0.2   /* seconds before the n-th retry of a busy answer: n times this */

/* --- the journal ------------------------------------------------------------- */

static void rec_intent(struct engine *E, size_t i, const char *op)
{
	const struct plan_action *a = act_of(E, i);
	struct buf *b = record_start(E);

	buf_adds(b, "{\"type\":\"intent\",");
	json_add_member_str(b, "op", op);
	rec_person(b, a);
	if (a->op == OP_CREATE_PERSON || a->op == OP_ENABLE_PERSON || a->op == OP_RESET_PASSWORD)
		buf_adds(b, ",\"password\":true");
	buf_addc(b, '}');
	journal_write(E);
}

/* role_dn: the group an add_to_role joins; new_person: it is the
 * membership of a person this plan creates, which travels with the create
 * (not an action of its own). */
static void rec_result_of(struct engine *E, size_t i, const char *op, const char *status, int code,
			  const char *error, const char *role_dn, int new_person)
{
	const struct plan_action *a = act_of(E, i);
	struct buf *b = record_start(E);

	buf_adds(b, "{\"type\":\"result\",");
	json_add_member_str(b, "op", op);
	rec_person(b, a);
	if (role_dn) {
		buf_addc(b, ',');
		json_add_member_str(b, "role_dn", role_dn);
	}
	if (new_person)
		buf_adds(b, ",\"new_person\":true");
	buf_addc(b, ',');
	json_add_member_str(b, "status", status);
	if (code >= 0)
		buf_printf(b, ",\"code\":%d", code);
	if (error) {
		buf_addc(b, ',');
		json_add_member_str(b, "error", error);
	}
	buf_addc(b, '}');
	journal_write(E);
	if (++E->unsynced >= SYNC_EVERY)
		E->unsynced = 0, journal_sync(E->a->journal, NULL);
}

static void rec_result(struct engine *E, size_t i, const char *op, const char *status, int code,
		       const char *error, const char *role_dn)
{
	rec_result_of(E, i, op, status, code, error, role_dn, 0);
}

/* The outcome of an action, once: in the report, the per-action state and
 * the journal. */
static void ap_settle(struct engine *E, size_t i, enum outcome o, int code, const char *error)
{
	const struct plan_action *a = act_of(E, i);
	const char *status = outcome_name(o);

	/* The progress counts actions: its total is the plan's, known from
	 * the start. */
	if (E->a->outcome[i] == OUT_NONE)
		progress_step(&E->progress, 1);
	E->a->outcome[i] = o;
	E->a->error[i] = error ? arena_strdup(&E->a->strings, error) : NULL;
	if (o == OUT_DONE)
		E->r->done[a->op]++;
	else if (o == OUT_FAILED || o == OUT_UNKNOWN)
		E->r->failed[a->op]++;
	else if (o == OUT_SKIPPED)
		E->r->skipped++;
	else if (o == OUT_REFUSED)
		E->r->refused++;
	if (o == OUT_FAILED && a->line)
		log_warn("%s %s failed (line %u): %s", plan_op_name(a->op), a->dn, a->line, error ? error : "?");
	else if (o == OUT_FAILED)
		log_warn("%s %s failed: %s", plan_op_name(a->op), a->dn, error ? error : "?");
	rec_result(E, i, plan_op_name(a->op), status, o == OUT_FAILED || o == OUT_REFUSED ? code : -1, error,
		   a->op == OP_ADD_TO_ROLE ? a->role_dn : NULL);
	/* A password that never reached the directory must not be mailed. */
	if (o != OUT_DONE && E->a->passwords)
		pwstore_clear(E->a->passwords, i);
}

/* --- messages in flight ------------------------------------------------------ */

static void push_retry(struct engine *E, struct op *op)
{
	if (E->n_retry == E->alloc_retry) {
		size_t na = E->alloc_retry ? E->alloc_retry * 2 : 64;
		struct op **t = realloc(E->retry, na * sizeof *t);
		if (!t) {
			E->stop = diag_set(E->d, ST_FAIL, "out of memory");
			return;
		}
		E->retry = t;
		E->alloc_retry = na;
	}
	op->state = S_QUEUED;
	E->retry[E->n_retry++] = op;
}

/* --- outcomes ------------------------------------------------------------------ */

/* Settles every action an operation carries. */
static void finish_op(struct engine *E, struct op *op, enum op_state st, int code, const char *error)
{
	size_t k;

	op->state = st;
	if (op->action != NO_ACTION)
		ap_settle(E, op->action, st == S_DONE ? OUT_DONE : st == S_SKIPPED ? OUT_SKIPPED : st == S_UNKNOWN ? OUT_UNKNOWN : OUT_FAILED,
		       code, error);
	for (k = 0; k < op->n_members; k++) {
		size_t m = op->members[k];
		const struct plan_action *a = act_of(E, m);
		if (a->op == OP_ADD_TO_ROLE) {
			if (m != op->action)
				ap_settle(E, m, st == S_DONE ? OUT_DONE : st == S_SKIPPED ? OUT_SKIPPED : OUT_FAILED, code,
				       error);
		} else {
			/* A new person's membership: recorded on its own line. */
			rec_result_of(E, m, "add_to_role", st == S_DONE ? "done" : st == S_SKIPPED ? "skipped" : "failed",
				      st == S_FAILED ? code : -1, error, a->role_dn, 1);
			if (st != S_DONE)
				E->r->failed[OP_ADD_TO_ROLE]++;
		}
		if (st == S_DONE)
			E->r->memberships++;
	}
}

/* Whether an operation whose outcome is unknown took effect, judged from
 * the entry as it is now (NULL: it does not exist). Returns 1 (it did), 0
 * (it did not: send it again) or -1 (the entry holds something else). */
static int took_effect(struct engine *E, const struct op *op, const struct entry *e)
{
	const struct plan_action *a = op->action != NO_ACTION ? act_of(E, op->action) : NULL;
	const char *member = E->cfg->roles.member_attribute;
	size_t k;

	if (!e)
		return 0;
	/* A password the server never shows (unicodePwd): an add happened when
	 * the entry is there; a modify is sent again (the same password). */
	if (op->hash && !*op->hash)
		return op->kind == K_ADD ? 1 : 0;
	if (op->hash) /* a password write: ours is there, or it did not happen */
		return entry_has_value(e, E->cfg->directory.flavour->password_attr, op->hash, 0) ? 1
		       : op->kind == K_ADD					      ? -1
										      : 0;
	if (a && a->op == OP_DISABLE_PERSON)
		return entry_is_disabled(E->cfg, e);
	if (a && a->op == OP_UPDATE_PERSON) {
		for (k = 0; k < a->n_changes; k++) {
			const struct plan_change *c = &a->changes[k];
			struct entry_attr at = entry_attr(e, c->attr);
			if (c->value ? !(at.n == 1 && strcmp(at.values[0], c->value) == 0) : at.n > 0)
				return 0;
		}
		return 1;
	}
	if (op->n_members) { /* a group add or a member batch */
		for (k = 0; k < op->n_members; k++)
			if (!entry_has_value(e, member, act_of(E, op->members[k])->dn, 1))
				return 0;
		return 1;
	}
	return 1; /* an account container exists */
}

/* Whether the entry holds every attribute the add carries (but the password
 * ones), with the same values: an add of this plan, or of an earlier run
 * made from the same data. */
static int holds_attributes(const struct plan_action *a, const struct entry *e)
{
	size_t k, j;

	for (k = 0; k < a->n_attrs; k++) {
		const struct plan_attr *pa = &a->attrs[k];
		struct entry_attr at = entry_attr(e, pa->name);
		int is_class = strcasecmp(pa->name, "objectClass") == 0;
		if (!at.n || (!is_class && at.n != pa->n))
			return 0;
		for (j = 0; j < pa->n; j++)
			if (!entry_has_value(e, pa->name, pa->values[j], is_class))
				return 0;
	}
	return 1;
}

/* A new person whose entry appeared between the read of the directory and
 * the add: most often an earlier run's add that the server finished after
 * that run died, so its password never reached anyone. The entry is taken
 * over when it holds exactly this add's attributes, is not disabled, and
 * nobody has chosen a password for it (it holds none, or one that must
 * still be changed): the add becomes the password part alone, a replace,
 * and the new temporary password is mailed as planned. Anything else is a
 * conflict and is left alone. Not for a saved plan, whose create promised an
 * absent entry. */
static int take_over(struct engine *E, struct op *op, const struct entry *e)
{
	const struct plan_action *a = op->action != NO_ACTION ? act_of(E, op->action) : NULL;
	struct buf *b;
	size_t k;

	if (!a || a->op != OP_CREATE_PERSON || op->kind != K_ADD || E->a->refused || !e)
		return 0;
	if (!entry_is_person(E->cfg, e) || !holds_attributes(a, e) || entry_is_disabled(E->cfg, e) ||
	    (entry_first(e, E->cfg->directory.flavour->password_attr) &&
	     !entry_has_value(e, E->cfg->directory.flavour->verify_attr, E->cfg->directory.flavour->verify_value, 1)))
		return 0;
	/* The password mods follow the attributes (build_op). */
	op->mods += a->n_attrs;
	op->n_mods -= a->n_attrs;
	for (k = 0; k < op->n_mods; k++)
		op->mods[k].op = DIR_MOD_REPLACE;
	op->kind = K_MODIFY;
	b = record_start(E);
	buf_adds(b, "{\"type\":\"takeover\",\"op\":\"create_person\"");
	rec_person(b, a);
	buf_adds(b, ",\"reason\":\"the entry appeared after the directory was read, with this plan's attributes "
		    "and no password of its own\"}");
	journal_write(E);
	log_warn("create_person %s: the entry appeared after the directory was read, with this plan's attributes "
		 "and no password of its own (an earlier run's add that finished late?); it gets a new temporary "
		 "password instead",
		 op->dn);
	return 1;
}

/* Notes what the server that took an operation's password write says of
 * it: from the result's post-read, or from the entry read back. */
static void note_verdict(struct engine *E, const struct op *op, const struct entry *e)
{
	if (!op->hash || op->action == NO_ACTION || !E->cfg->passwords.must_change)
		return;
	E->written_to[op->action] = op->sent_to ? op->sent_to : E->uri;
	E->verdict[op->action] = e ? ap_must_change_of(E, e) : V_UNKNOWN;
}

/* Reads the entry of an operation back: took_effect's verdict, 2 when the
 * add was turned into a take-over (take_over), or -2 when the read failed. */
static int read_back(struct engine *E, struct op *op)
{
	const struct flavour *f = E->cfg->directory.flavour;
	const char *const attrs[] = {"objectClass", f->password_attr, f->lock_attr, f->verify_attr, "pwdPolicySubentry",
				     "*", NULL};
	struct entry_list l;
	struct arena a;
	struct diag d;
	int rc;

	arena_init(&a);
	entry_list_init(&l, &a);
	diag_init(&d);
	rc = dir_read_entry(E->a->dir, op->dn, attrs, &l, &d);
	if (rc >= 0) {
		const struct entry *e = rc ? &l.v[0] : NULL;
		rc = took_effect(E, op, e);
		if (rc == 1) {
			/* This server holds the write now: it says. */
			struct op here = *op;
			here.sent_to = E->uri;
			note_verdict(E, &here, e);
		}
		if (rc == -1 && take_over(E, op, e))
			rc = 2;
	} else {
		rc = -2;
	}
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* Everything in flight has an unknown outcome now: it is resolved by
 * reading it back before anything is sent again. */
static void drain_unknown(struct engine *E)
{
	struct op *op;

	while ((op = inflight_pop(&E->fl))) {
		op->state = S_UNKNOWN;
		push_retry(E, op);
	}
}

/* The connection is gone (or the server stopped answering): reconnect, then
 * decide each operation in flight from what the directory holds. */
static void lost_connection(struct engine *E, const char *why)
{
	struct buf *b = record_start(E);
	size_t i, unknown;
	int rc;

	drain_unknown(E);
	unknown = E->n_retry;
	log_warn("%s; %zu operations have an unknown outcome", why, unknown);
	buf_adds(b, "{\"type\":\"connection\",\"status\":\"lost\",");
	json_add_member_str(b, "error", why);
	buf_printf(b, ",\"unknown\":%zu}", unknown);
	journal_write(E);
	journal_sync(E->a->journal, NULL);
	if ((rc = dir_reconnect(E->a->dir, E->d)) < 0) {
		E->stop = rc;
		return;
	}
	if (!(E->uri = adup(E, dir_uri(E->a->dir)))) {
		E->stop = diag_set(E->d, ST_FAIL, "out of memory");
		return;
	}
	for (i = 0; i < E->n_retry; i++) {
		struct op *op = E->retry[i];
		if (op->state != S_QUEUED || op->tries == 0)
			continue;
		switch (read_back(E, op)) {
		case 1:
			finish_op(E, op, S_DONE, 0, NULL);
			break;
		case -1:
			finish_op(E, op, S_FAILED, DIR_ALREADY_EXISTS,
				  "the entry exists with other content; it was not written by this run");
			break;
		case -2:
			E->stop = diag_set(E->d, ST_SERVER, "reading back %s after reconnecting failed", op->dn);
			return;
		default:
			break; /* not applied, or taken over: stays queued and is sent (again) */
		}
	}
}

static void on_result(struct engine *E, struct op *op, const struct dir_result *res)
{
	const struct plan_action *a = op->action != NO_ACTION ? act_of(E, op->action) : NULL;

	if (res->code == DIR_SUCCESS) {
		note_verdict(E, op, res->post);
		finish_op(E, op, S_DONE, 0, NULL);
		return;
	}
	if (res->code == DIR_ASSERTION_FAILED && op->assertion && op->action != NO_ACTION) {
		ap_settle(E, op->action, OUT_REFUSED, res->code,
		       "refused: the values it replaces changed since the plan was made");
		return;
	}
	if (res->code == DIR_ALREADY_EXISTS && op->kind == K_ADD) {
		/* Someone (or an earlier attempt of ours) got there first. */
		int r = read_back(E, op);
		if (r == 1 && (!a || a->op != OP_CREATE_ROLE)) {
			finish_op(E, op, S_DONE, 0, NULL);
			return;
		}
		if (r == 2) {
			push_retry(E, op);
			return;
		}
		if (a && a->op == OP_CREATE_ROLE && r >= 0) {
			/* The group exists now: add the members to it instead (the
			 * member values are the add's last attribute). */
			op->mods += op->n_mods - 1;
			op->n_mods = 1;
			op->kind = K_MODIFY;
			op->permissive = 1;
			push_retry(E, op);
			return;
		}
		if (r == -1 && E->a->refused) {
			ap_settle(E, op->action, OUT_REFUSED, res->code, "refused: the entry exists now");
			return;
		}
		if (r == -1) {
			finish_op(E, op, S_FAILED, res->code,
				  "an entry appeared there after the directory was read, with other attributes, "
				  "disabled, or with a password of its own: it is left as it is");
			return;
		}
	}
	if (dir_code_is_transient(res->code) && op->tries < MAX_TRIES) {
		/* Later, without holding up what is in flight. */
		op->not_before = now() + RETRY_DELAY * op->tries;
		push_retry(E, op);
		return;
	}
	finish_op(E, op, S_FAILED, res->code, res->text);
	if (dir_code_is_fatal(res->code) && !E->stop)
		E->stop = diag_set(E->d, ST_SERVER, "%s on %s: %s (%d); the run stops: the bind identity may not make these changes",
				   dir_uri(E->a->dir), op->dn, res->text, res->code);
}

/* --- the pipeline ---------------------------------------------------------------- */

/* The next operation to send: a retry whose time has come, else the next of
 * the phase. *wait gets the seconds until the earliest retry that is not
 * due yet (0 when there is none). */
static struct op *next_op(struct engine *E, struct op **ops, size_t n, size_t *next, double *wait)
{
	double t = 0, earliest = 0;
	size_t i = E->n_retry;

	*wait = 0;
	while (i-- > 0) {
		struct op *op = E->retry[i];
		if (op->state != S_QUEUED) {
			E->retry[i] = E->retry[--E->n_retry];
			continue;
		}
		if (op->not_before > 0) {
			if (!t)
				t = now();
			if (op->not_before > t) {
				if (!earliest || op->not_before < earliest)
					earliest = op->not_before;
				continue;
			}
		}
		E->retry[i] = E->retry[--E->n_retry];
		return op;
	}
	while (*next < n) {
		struct op *op = ops[(*next)++];
		if (op->state == S_QUEUED)
			return op;
	}
	if (earliest)
		*wait = earliest - t;
	return NULL;
}

/* Sends op; false when the connection went away meanwhile (the operation is
 * then queued again, and lost_connection has run). */
static int send_op(struct engine *E, struct op *op)
{
	const char *const must_change_attrs[] = {E->cfg->directory.flavour->verify_attr, "pwdPolicySubentry", NULL};
	struct dir_write w = {op->permissive, op->assertion, NULL};
	struct diag d;
	int rc;

	if (op->tries >= MAX_SENDS) {
		finish_op(E, op, S_FAILED, -1,
			  "no result after several attempts: the connection was lost or the server did not answer each time");
		return 1;
	}
	/* With more than one server, the one that takes a new password says at
	 * once whether it will force the change: the final check runs where the
	 * run ends, which after a failover may be a replica that lags. With one
	 * server the final check reads every entry where it was written, and
	 * the server is not asked twice (this costs it a tenth of its time). */
	if (op->hash && E->cfg->passwords.must_change && E->cfg->directory.conn.uris.n > 1)
		w.post_read = must_change_attrs;
	diag_init(&d);
	op->tries++;
	rc = op->kind == K_ADD ? dir_send_add(E->a->dir, op->dn, op->mods, op->n_mods, &w, &d)
			       : dir_send_modify(E->a->dir, op->dn, op->mods, op->n_mods, &w, &d);
	if (rc == ST_SERVER) {
		op->tries--;
		push_retry(E, op);
		lost_connection(E, d.msg);
		return 0;
	}
	if (rc < 0) {
		finish_op(E, op, S_FAILED, -1, d.msg);
		return 1;
	}
	op->msgid = rc;
	op->state = S_SENT;
	op->sent_to = E->uri;
	inflight_put(&E->fl, rc, op);
	return 1;
}

/* A result for an operation in flight; one of another kind than the
 * request means the connection cannot be trusted. */
static void take_result(struct engine *E, const struct dir_result *res)
{
	struct op *op = inflight_take(&E->fl, res->msgid);

	if (!op)
		return; /* a late answer to something abandoned */
	if (res->type != (op->kind == K_ADD ? DIR_RES_ADD : DIR_RES_MODIFY)) {
		char why[160];
		inflight_put(&E->fl, op->msgid, op);
		snprintf(why, sizeof why, "%s: the answer to message %d is not the answer to its %s", E->uri,
			 res->msgid, op->kind == K_ADD ? "add" : "modify");
		lost_connection(E, why);
		return;
	}
	on_result(E, op, res);
}

static void run_ops(struct engine *E, struct op **ops, size_t n)
{
	size_t next = 0, window = E->cfg->directory.window;
	unsigned timeout = E->cfg->directory.conn.timeout_ms;
	double wait = 0, quiet_since = now();
	struct dir_result res;
	struct diag d;
	struct op *op;
	int rc;

	for (;;) {
		if (!E->stop && interrupt_status()) {
			E->stop = diag_set(E->d, interrupt_status(), "interrupted by %s",
					   interrupt_status() == ST_SIGINT ? "SIGINT" : "SIGTERM");
			log_warn("interrupted: nothing more is sent; collecting the %zu operations in flight", E->fl.n);
		}
		while (!E->stop && E->fl.n < window && (op = next_op(E, ops, n, &next, &wait))) {
			if (!journal_ok(E->a->journal)) {
				push_retry(E, op);
				E->stop = diag_set(E->d, ST_FAIL, "%s; no further change is made",
						   journal_error(E->a->journal));
				break;
			}
			if (send_op(E, op))
				quiet_since = now();
		}
		if (!E->fl.n) {
			if (E->stop || !wait)
				break;
			/* Only retries that are not due yet: nothing in flight waits. */
			usleep((useconds_t)(wait * 1e6) + 1000);
			continue;
		}
		diag_init(&d);
		/* Wake up for a retry that comes due, not only for results. */
		rc = dir_next_result(E->a->dir, wait > 0 && wait * 1000 < timeout ? (unsigned)(wait * 1000) + 1 : 0, &res,
				     &d);
		if (rc == 1) {
			quiet_since = now();
			take_result(E, &res);
			testhook_point("result");
		} else if (rc == 0) {
			char why[128];
			if ((now() - quiet_since) * 1000 < timeout)
				continue; /* woken for a retry */
			snprintf(why, sizeof why, "the directory did not answer within %u ms", timeout);
			if (E->stop)
				drain_unknown(E);
			else
				lost_connection(E, why);
			quiet_since = now();
		} else if (E->stop) {
			drain_unknown(E);
		} else {
			lost_connection(E, d.msg);
			quiet_since = now();
		}
	}
	/* Whatever is left was not attempted (or stayed unknown). */
	while ((op = next_op(E, ops, n, &next, &wait)) || (E->n_retry && (op = E->retry[--E->n_retry]))) {
		if (op->state != S_QUEUED)
			continue;
		finish_op(E, op, op->tries ? S_UNKNOWN : S_SKIPPED, -1,
			  op->tries ? "the outcome is unknown: the run stopped before it could be read back"
				    : "not attempted: the run stopped");
	}
}

/* --- phases ------------------------------------------------------------------------ */

/* People under a container that failed are not attempted. */
static void skip_orphans(struct engine *E, struct opvec *people)
{
	struct hmap failed;
	struct buf n = BUF_INIT;
	size_t i;

	hmap_init(&failed, 0);
	for (i = 0; i < E->plan->n_actions; i++) {
		const struct plan_action *a = act_of(E, i);
		if (a->op == OP_CREATE_ACCOUNT && E->a->outcome[i] != OUT_DONE) {
			buf_reset(&n);
			if (dn_normalize(a->dn, &n) == 0)
				hmap_insert(&failed, adup(E, buf_str(&n)), (void *)a->dn, NULL); /* NULL: counted */
		}
	}
	for (i = 0; failed.size && i < people->n; i++) {
		struct op *op = people->v[i];
		const char *parent = act_of(E, op->action)->op == OP_CREATE_PERSON ? dn_parent(op->dn) : NULL;
		const char *container;
		buf_reset(&n);
		if (parent && dn_normalize(parent, &n) == 0 && (container = hmap_get(&failed, buf_str(&n)))) {
			char why[512];
			snprintf(why, sizeof why, "not attempted: the account container %s could not be created", container);
			finish_op(E, op, S_SKIPPED, -1, why);
		}
	}
	buf_release(&n);
	hmap_release(&failed);
}

/* --- the run ------------------------------------------------------------------- */

static void write_intents(struct engine *E, struct op **ops, size_t n)
{
	size_t i;

	for (i = 0; i < n && !E->stop; i++)
		if (ops[i]->action != NO_ACTION && ops[i]->state == S_QUEUED)
			rec_intent(E, ops[i]->action, plan_op_name(act_of(E, ops[i]->action)->op));
	if (!E->stop && journal_sync(E->a->journal, E->d) < 0)
		E->stop = ST_FAIL;
}

int apply_plan(struct apply *A, struct apply_report *r, struct diag *d)
{
	struct engine E;
	struct opvec containers = {0}, people = {0}, groups = {0};
	size_t n = A->plan->n_actions, i, k;
	struct timespec start;
	double t[4] = {0};
	int rc = 0;

	memset(r, 0, sizeof *r);
	memset(&E, 0, sizeof E);
	E.a = A;
	E.r = r;
	E.cfg = A->cfg;
	E.plan = A->plan;
	E.d = d;
	arena_init(&E.arena);
	arena_init(&E.secrets);
	clock_gettime(CLOCK_MONOTONIC, &start);
	arena_init(&A->strings);
	A->outcome = calloc(n ? n : 1, sizeof *A->outcome);
	A->error = calloc(n ? n : 1, sizeof *A->error);
	A->passwords = calloc(1, sizeof *A->passwords);
	E.verdict = calloc(n ? n : 1, sizeof *E.verdict);
	E.written_to = calloc(n ? n : 1, sizeof *E.written_to);
	E.uri = adup(&E, dir_uri(A->dir));
	if (!A->outcome || !A->error || !A->passwords || !E.verdict || !E.written_to || !E.uri ||
	    pwstore_init(A->passwords, n,
			 (A->fixed_password ? strlen(A->fixed_password) : E.cfg->passwords.length) + 1) < 0 ||
	    inflight_init(&E.fl, E.cfg->directory.window) < 0) {
		rc = diag_set(d, ST_FAIL, "out of memory");
		goto out;
	}

	/* A saved plan's actions whose preconditions no longer hold are not
	 * done, and said so. */
	for (i = 0; A->refused && i < n; i++)
		if (A->refused[i])
			ap_settle(&E, i, OUT_REFUSED, -1, A->refused[i]);
	/* Build first: a password that cannot be generated stops the run
	 * before anything is written. */
	for (i = 0; i < n; i++) {
		const struct plan_action *a = &A->plan->actions[i];
		struct op *op;
		if (a->op == OP_CREATE_ROLE || a->op == OP_ADD_TO_ROLE || A->outcome[i] == OUT_REFUSED)
			continue;
		if (!(op = ap_build_op(&E, i))) {
			rc = diag_failed(d) ? d->status : diag_set(d, ST_FAIL, "out of memory");
			goto out;
		}
		if (ap_opvec_push(a->op == OP_CREATE_ACCOUNT ? &containers : &people, op) < 0) {
			rc = diag_set(d, ST_FAIL, "out of memory");
			goto out;
		}
	}
	progress_start(&E.progress, "directory", "actions", n);
	t[0] = seconds_since(&start);

	write_intents(&E, containers.v, containers.n);
	write_intents(&E, people.v, people.n);
	t[1] = seconds_since(&start);
	testhook_point("intents");
	if (!E.stop)
		run_ops(&E, containers.v, containers.n);
	if (!E.stop) {
		skip_orphans(&E, &people);
		run_ops(&E, people.v, people.n);
	} else {
		run_ops(&E, people.v, people.n); /* settles them as not attempted */
	}
	t[2] = seconds_since(&start);
	testhook_point("groups");
	if (!E.stop && ap_build_groups(&E, &groups) < 0)
		E.stop = diag_set(d, ST_FAIL, "out of memory");
	for (i = 0; i < E.n_groups && !E.stop; i++)
		if (!E.groups[i].n && E.groups[i].create != NO_ACTION)
			ap_settle(&E, E.groups[i].create, OUT_SKIPPED, -1,
				  "not created: none of its members could be created");
	for (i = 0; i < groups.n && !E.stop; i++) {
		struct op *op = groups.v[i];
		if (op->action != NO_ACTION)
			rec_intent(&E, op->action, "create_role");
		for (k = 0; k < op->n_members; k++)
			if (act_of(&E, op->members[k])->op == OP_ADD_TO_ROLE)
				rec_intent(&E, op->members[k], "add_to_role");
	}
	if (!E.stop && groups.n && journal_sync(A->journal, d) < 0)
		E.stop = ST_FAIL;
	run_ops(&E, groups.v, groups.n);
	t[3] = seconds_since(&start);
	/* Actions no phase reached (the run stopped first). */
	for (i = 0; i < n; i++)
		if (A->outcome[i] == OUT_NONE)
			ap_settle(&E, i, OUT_SKIPPED, -1, "not attempted: the run stopped");
	progress_end(&E.progress);
	testhook_point("verify");
	if (!E.stop)
		ap_verify_must_change(&E);
	/* Where the time went, for tuning. */
	log_debug("directory phases: preparing %.3fs, intents %.3fs, containers and people %.3fs, groups %.3fs, verifying %.3fs",
		  t[0], t[1] - t[0], t[2] - t[1], t[3] - t[2], seconds_since(&start) - t[3]);
	for (i = 0; i < n; i++)
		r->passwords += pwstore_has(A->passwords, i);
	r->stopped = E.stop != 0;
	rc = E.stop;
	journal_sync(A->journal, NULL);
out:
	for (i = 0; i < E.n_groups; i++)
		free(E.groups[i].members);
	free(E.groups);
	free(containers.v);
	free(people.v);
	free(groups.v);
	free(E.retry);
	free(E.verdict);
	free(E.written_to);
	inflight_release(&E.fl);
	arena_release(&E.arena);
	arena_release_secret(&E.secrets);
	buf_release(&E.jb);
	return rc;
}

void apply_release(struct apply *a)
{
	if (a->passwords) {
		pwstore_release(a->passwords);
		free(a->passwords);
	}
	free(a->outcome);
	free(a->error);
	arena_release(&a->strings);
	a->passwords = NULL;
	a->outcome = NULL;
	a->error = NULL;
}
