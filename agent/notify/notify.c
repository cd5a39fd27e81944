#include "agent/notify/notify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connectors/smtp.h"
#include "agent/text/address.h"
#include "agent/base/buf.h"
#include "agent/base/interrupt.h"
#include "agent/base/json.h"
#include "agent/base/log.h"
#include "agent/base/testhook.h"
#include "agent/notify/message.h"
#include "agent/base/crypto.h"
#include "agent/text/linktoken.h"

const char *msg_status_name(enum msg_status s)
{
	static const char *const names[] = {"pending", "sent", "failed", "skipped"};
	return names[s];
}

struct sender {
	const struct config *cfg;
	const struct plan *plan;
	struct pwstore *passwords;
	struct journal *j;
	struct notify_report *rep;
	char domain[256];      /* of the sender, for Message-IDs */
	int stop;              /* the mail phase stopped: the status */
	char stop_why[512];
	struct link_keys keys; /* link delivery: the keys that seal the links */
	/* notify.connections > 1: one thread per connection, each taking the
	 * next person; the journal, the counts, the progress and stop are
	 * shared under the lock. */
	int threads;
	pthread_mutex_t lock;
	size_t next;
	struct progress progress;
};

static void lock(struct sender *S)
{
	if (S->threads > 1)
		pthread_mutex_lock(&S->lock);
}

static void unlock(struct sender *S)
{
	if (S->threads > 1)
		pthread_mutex_unlock(&S->lock);
}

/* Stops the mail phase (the first reason stays). */
static void stop(struct sender *S, int status, const char *why)
{
	lock(S);
	if (!S->stop) {
		S->stop = status;
		snprintf(S->stop_why, sizeof S->stop_why, "%s", why);
	}
	unlock(S);
}

static int stopped(struct sender *S)
{
	int st;

	lock(S);
	st = S->stop;
	unlock(S);
	return st;
}

static void record(struct sender *S, const struct plan_action *act, enum msg_kind kind, enum msg_status st,
		   int attempts, const char *error, const char *message_id, int64_t link_expires)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"type\":\"message\",");
	json_add_member_str(&b, "key", act->key);
	buf_addc(&b, ',');
	json_add_member_str(&b, "dn", act->dn);
	buf_addc(&b, ',');
	json_add_member_str(&b, "kind", msg_kind_name(kind));
	buf_addc(&b, ',');
	json_add_member_str(&b, "to", act->email);
	buf_addc(&b, ',');
	json_add_member_str(&b, "status", msg_status_name(st));
	buf_printf(&b, ",\"attempts\":%d", attempts);
	if (error) {
		buf_addc(&b, ',');
		json_add_member_str(&b, "error", error);
	}
	if (message_id) {
		buf_addc(&b, ',');
		json_add_member_str(&b, "message_id", message_id);
	}
	if (link_expires)
		buf_printf(&b, ",\"link_expires\":%lld", (long long)link_expires);
	buf_addc(&b, '}');
	/* Written at once: a message known to be sent must not be sent
	 * again because the program died before the record reached the file. */
	lock(S);
	journal_append_buf(S->j, &b);
	journal_flush(S->j);
	testhook_point("message");
	switch (st) {
	case MSG_SENT: S->rep->sent++; break;
	case MSG_FAILED: S->rep->failed++; break;
	case MSG_PENDING: S->rep->pending++; break;
	case MSG_SKIPPED: S->rep->skipped++; break;
	}
	unlock(S);
	buf_release(&b);
}

/* <job.key-digest.kind@sender-domain>: unique per job, person and kind, and
 * the same if the same job ever sends it again. */
static void message_id(struct sender *S, const struct plan_action *act, enum msg_kind kind, char *out,
		       size_t size)
{
	struct digest dg;
	char hex[65] = "";

	if (digest_init(&dg, DIGEST_SHA256) == 0) {
		digest_update(&dg, act->key ? act->key : act->dn, strlen(act->key ? act->key : act->dn));
		digest_final(&dg, hex);
	}
	hex[16] = '\0';
	snprintf(out, size, "%s.%s.%s@%s", journal_id(S->j), hex, msg_kind_name(kind), S->domain);
}

/* Link delivery: the link that carries the password, sealed, and its
 * expiry in the person's language. link is a secret buffer. Returns 0, or
 * -1 with the reason in d. */
static int make_link(struct sender *S, const struct plan_action *act, const char *password, int64_t expires,
		     struct buf *link, struct buf *expires_text, struct diag *d)
{
	struct link_claims c = {expires, journal_id(S->j), act->dn, password, act->locale ? act->locale : ""};

	buf_adds(link, S->cfg->passwords.link_url);
	buf_adds(link, "?token=");
	if (link_token_seal(&S->keys, &c, link, d) < 0)
		return -1;
	link_expiry_text(expires, act->locale, expires_text);
	if (link->failed || expires_text->failed)
		return diag_set(d, ST_FAIL, "out of memory");
	return 0;
}

static void env_for(struct sender *S, const struct plan_action *act, const char *password, struct tmpl_env *env)
{
	memset(env, 0, sizeof *env);
	if (act->rec) {
		env->fields = act->rec->fields;
		env->n_fields = S->cfg->columns.n;
	}
	env->builtins[TB_BASE] = S->cfg->directory.base;
	env->builtins[TB_ROLE] = act->role;
	env->builtins[TB_DN] = act->dn;
	env->builtins[TB_USERNAME] = act->username;
	env->builtins[TB_PASSWORD] = password;
	env->builtins[TB_LOGIN_URL] = S->cfg->notify.login_url;
	env->builtins[TB_FIRST_NAME] = act->first_name;
	env->builtins[TB_LAST_NAME] = act->last_name;
	env->builtins[TB_ACCOUNT] = act->account;
}

/* One message, with retries. Returns its status. */
static enum msg_status send_one(struct sender *S, struct smtp *smtp, const struct plan_action *act,
				enum msg_kind kind, const char *data, size_t len, int *attempts, char *error,
				size_t errsize)
{
	const struct cfg_notify *n = &S->cfg->notify;
	unsigned delay = n->retry_delay_ms;
	struct smtp_result res;

	for (*attempts = 1;; (*attempts)++) {
		smtp_send(smtp, act->email, data, len, &res);
		if (res.cls == SMTP_SENT)
			return MSG_SENT;
		snprintf(error, errsize, "%s%s", res.text,
			 res.unknown ? " (the server may have it: the final reply was lost)" : "");
		if (res.cls == SMTP_AUTH || res.cls == SMTP_TLS) {
			stop(S, ST_SERVER, res.text);
			return MSG_PENDING;
		}
		if (res.cls == SMTP_PERMANENT)
			return MSG_FAILED;
		if (*attempts > (int)n->retries) {
			/* No answer at all, every time: the server is down, and
			 * the others would only wait for it too. */
			if (res.code == 0)
				stop(S, ST_SERVER, res.text);
			return MSG_PENDING;
		}
		log_warn("%s to %s: %s; trying again in %u ms", msg_kind_name(kind), act->email, res.text, delay);
		usleep(delay * 1000u);
		delay = delay > 60000 ? 120000 : delay * 2;
	}
}

static void notify_person(struct sender *S, struct smtp *smtp, size_t i)
{
	const struct plan_action *act = &S->plan->actions[i];
	const struct cfg_notify *n = &S->cfg->notify;
	char *password = pwstore_slot(S->passwords, i);
	enum msg_status worst = MSG_SENT;
	struct buf name = BUF_INIT;
	size_t k;

	if (act->first_name)
		buf_adds(&name, act->first_name);
	if (act->last_name)
		buf_printf(&name, "%s%s", name.len ? " " : "", act->last_name);
	for (k = 0; k < act->n_messages; k++) {
		enum msg_kind kind = act->messages[k];
		const struct msg_template *t = message_pick(n->tmpl[kind], n->n_tmpl[kind], act->locale);
		struct message_headers h = {n->from, n->reply_to, buf_str(&name), act->email, NULL, time(NULL)};
		struct buf msg = BUF_SECRET_INIT, link = BUF_SECRET_INIT, expires_text = BUF_INIT;
		int64_t expires = 0;
		struct tmpl_env env;
		struct diag d;
		char id[384], error[DIAG_MSG_MAX + 64] = "";
		int attempts = 0, halted;
		enum msg_status st;

		/* A message whose outcome cannot be journaled is not sent. */
		lock(S);
		if (!S->stop && !journal_ok(S->j)) {
			S->stop = ST_FAIL;
			snprintf(S->stop_why, sizeof S->stop_why, "%s", journal_error(S->j));
		}
		unlock(S);
		if (interrupt_status())
			stop(S, interrupt_status(), interrupt_status() == ST_SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM");
		halted = stopped(S);
		if (halted || worst == MSG_FAILED) {
			record(S, act, kind, halted ? MSG_PENDING : MSG_SKIPPED, 0,
			       halted ? "the mail phase stopped before this message" : "an earlier message to this address was refused",
			       NULL, 0);
			if (halted)
				worst = worst == MSG_FAILED ? MSG_FAILED : MSG_PENDING;
			continue;
		}
		message_id(S, act, kind, id, sizeof id);
		h.message_id = id;
		env_for(S, act, password, &env);
		diag_init(&d);
		if (kind == MSG_PASSWORD && n->enabled && S->cfg->passwords.delivery == DELIVER_LINK) {
			expires = (int64_t)h.date + (int64_t)S->cfg->passwords.link_ttl_s;
			if (make_link(S, act, password, expires, &link, &expires_text, &d) == 0) {
				env.builtins[TB_LINK] = buf_str(&link);
				env.builtins[TB_LINK_EXPIRES] = buf_str(&expires_text);
			}
		}
		if (d.status) {
			st = MSG_FAILED;
			snprintf(error, sizeof error, "%s", d.msg);
		} else if (!t) {
			st = MSG_FAILED;
			snprintf(error, sizeof error, "no %s template", msg_template_name(S->cfg, kind));
		} else if (message_build(t, &env, &h, &msg, &d) < 0) {
			st = MSG_FAILED;
			snprintf(error, sizeof error, "%s", d.msg);
		} else {
			st = send_one(S, smtp, act, kind, buf_str(&msg), msg.len, &attempts, error, sizeof error);
		}
		/* The message held the password (or the link that holds it). */
		buf_release(&msg);
		buf_release(&link);
		buf_release(&expires_text);
		record(S, act, kind, st, attempts, st == MSG_SENT ? NULL : error, id, st == MSG_SENT ? expires : 0);
		if (st == MSG_FAILED)
			log_warn("%s message to %s failed: %s", msg_kind_name(kind), act->email, error);
		if (st != MSG_SENT && worst != MSG_FAILED)
			worst = st;
	}
	buf_release(&name);
	lock(S);
	if (worst == MSG_SENT)
		S->rep->people_done++;
	else if (worst == MSG_FAILED)
		S->rep->people_failed++;
	else
		S->rep->people_pending++;
	progress_step(&S->progress, 1);
	unlock(S);
	pwstore_clear(S->passwords, i);
}

static int to_notify(const struct sender *S, size_t i)
{
	const struct plan_action *act = &S->plan->actions[i];
	return pwstore_has(S->passwords, i) && act->n_messages && act->email;
}

/* One connection's worker: the next person nobody has taken, until none
 * is left. Each person's messages go over one connection, in order. */
struct worker {
	struct sender *S;
	struct smtp *smtp;
	pthread_t thread;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct sender *S = w->S;

	for (;;) {
		size_t i;
		lock(S);
		while (S->next < S->plan->n_actions && !to_notify(S, S->next))
			S->next++;
		i = S->next++;
		unlock(S);
		if (i >= S->plan->n_actions)
			break;
		notify_person(S, w->smtp, i);
	}
	return NULL;
}

/* Opens the connections (up to notify.connections; at most one per
 * person) and sends over all of them, one thread each when more than one.
 * Returns 0, or a negative status when not even one could be prepared. */
static int send_all(struct sender *S, const char *from, size_t people, struct diag *d)
{
	const struct config *cfg = S->cfg;
	size_t n = cfg->notify.connections ? cfg->notify.connections : 1, k, started;
	struct worker *w;
	int rc = 0;

	if (n > people)
		n = people;
	if (!(w = calloc(n, sizeof *w)))
		return diag_set(d, ST_FAIL, "out of memory");
	for (k = 0; k < n; k++) {
		w[k].S = S;
		if ((rc = smtp_open(&w[k].smtp, &cfg->notify.smtp, from, d)) < 0)
			break;
	}
	if (k == 0)
		goto out;
	rc = 0;
	n = k;
	S->threads = (int)n;
	if (n == 1) {
		work(&w[0]);
		goto out;
	}
	pthread_mutex_init(&S->lock, NULL);
	for (started = 0; started < n; started++)
		if (pthread_create(&w[started].thread, NULL, work, &w[started]) != 0)
			break;
	if (!started)
		work(&w[0]); /* no thread at all: this one does it */
	for (k = 0; k < started; k++)
		pthread_join(w[k].thread, NULL);
	pthread_mutex_destroy(&S->lock);
out:
	for (k = 0; k < n; k++)
		smtp_close(w[k].smtp);
	free(w);
	return rc;
}

int notify_run(const struct config *cfg, const struct plan *plan, struct pwstore *passwords, struct journal *j,
	       struct notify_report *rep, struct diag *d)
{
	struct sender S = {.cfg = cfg, .plan = plan, .passwords = passwords, .j = j, .rep = rep};
	struct buf name = BUF_INIT, addr = BUF_INIT;
	const char *why, *at;
	size_t i, people = 0;
	int rc;

	memset(rep, 0, sizeof *rep);
	if (!cfg->notify.enabled || !passwords)
		return 0;
	for (i = 0; i < plan->n_actions; i++)
		if (to_notify(&S, i))
			people++;
	if (!people)
		return 0;
	if (mailbox_parse(cfg->notify.from, &name, &addr, &why) < 0 || !(at = strchr(buf_str(&addr), '@'))) {
		rc = diag_set(d, ST_INPUT, "notify.from: %s", why);
		goto out;
	}
	snprintf(S.domain, sizeof S.domain, "%s", at + 1);
	if (cfg->passwords.delivery == DELIVER_LINK &&
	    (rc = link_keys_load(cfg->passwords.link_key_file, &S.keys, d)) < 0)
		goto out;
	log_info("sending the messages of %zu people through %s%s", people, cfg->notify.smtp.url,
		 cfg->notify.connections > 1 ? " (several connections)" : "");
	progress_start(&S.progress, "mail", "people", people);
	rc = send_all(&S, buf_str(&addr), people, d);
	progress_end(&S.progress);
	if (rc < 0)
		goto out;
	journal_sync(j, NULL);
	if (S.stop)
		rc = diag_set(d, S.stop, "the mail phase stopped: %s; the directory changes stand, and %zu people wait for their messages (a later run sends them)",
			      S.stop_why, rep->people_pending);
out:
	link_keys_wipe(&S.keys);
	buf_release(&name);
	buf_release(&addr);
	return rc;
}
