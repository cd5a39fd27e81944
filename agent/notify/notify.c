#include "agent/notify/notify.h"

#include <stdio.h>
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
	struct smtp *smtp;
	char domain[256];      /* of the sender, for Message-IDs */
	int stop;              /* the mail phase stopped: the status */
	char stop_why[512];
	struct link_keys keys; /* link delivery: the keys that seal the links */
};

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
	journal_append_buf(S->j, &b);
	journal_flush(S->j);
	buf_release(&b);
	testhook_point("message");
	switch (st) {
	case MSG_SENT: S->rep->sent++; break;
	case MSG_FAILED: S->rep->failed++; break;
	case MSG_PENDING: S->rep->pending++; break;
	case MSG_SKIPPED: S->rep->skipped++; break;
	}
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
static enum msg_status send_one(struct sender *S, const struct plan_action *act, enum msg_kind kind,
				const char *data, size_t len, int *attempts, char *error, size_t errsize)
{
	const struct cfg_notify *n = &S->cfg->notify;
	unsigned delay = n->retry_delay_ms;
	struct smtp_result res;

	for (*attempts = 1;; (*attempts)++) {
		smtp_send(S->smtp, act->email, data, len, &res);
		if (res.cls == SMTP_SENT)
			return MSG_SENT;
		snprintf(error, errsize, "%s%s", res.text,
			 res.unknown ? " (the server may have it: the final reply was lost)" : "");
		if (res.cls == SMTP_AUTH || res.cls == SMTP_TLS) {
			S->stop = ST_SERVER;
			snprintf(S->stop_why, sizeof S->stop_why, "%s", res.text);
			return MSG_PENDING;
		}
		if (res.cls == SMTP_PERMANENT)
			return MSG_FAILED;
		if (*attempts > (int)n->retries) {
			/* No answer at all, every time: the server is down, and
			 * the others would only wait for it too. */
			if (res.code == 0) {
				S->stop = ST_SERVER;
				snprintf(S->stop_why, sizeof S->stop_why, "%s", res.text);
			}
			return MSG_PENDING;
		}
		log_warn("%s to %s: %s; trying again in %u ms", msg_kind_name(kind), act->email, res.text, delay);
		usleep(delay * 1000u);
		delay = delay > 60000 ? 120000 : delay * 2;
	}
}

static void notify_person(struct sender *S, size_t i)
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
		int attempts = 0;
		enum msg_status st;

		/* A message whose outcome cannot be journaled is not sent. */
		if (!S->stop && !journal_ok(S->j)) {
			S->stop = ST_FAIL;
			snprintf(S->stop_why, sizeof S->stop_why, "%s", journal_error(S->j));
		}
		if (!S->stop && interrupt_status()) {
			S->stop = interrupt_status();
			snprintf(S->stop_why, sizeof S->stop_why, "interrupted by %s",
				 S->stop == ST_SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (S->stop || worst == MSG_FAILED) {
			record(S, act, kind, S->stop ? MSG_PENDING : MSG_SKIPPED, 0,
			       S->stop ? "the mail phase stopped before this message" : "an earlier message to this address was refused",
			       NULL, 0);
			if (S->stop)
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
			st = send_one(S, act, kind, buf_str(&msg), msg.len, &attempts, error, sizeof error);
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
	if (worst == MSG_SENT)
		S->rep->people_done++;
	else if (worst == MSG_FAILED)
		S->rep->people_failed++;
	else
		S->rep->people_pending++;
	pwstore_clear(S->passwords, i);
}

int notify_run(const struct config *cfg, const struct plan *plan, struct pwstore *passwords, struct journal *j,
	       struct notify_report *rep, struct diag *d)
{
	struct sender S = {.cfg = cfg, .plan = plan, .passwords = passwords, .j = j, .rep = rep};
	struct buf name = BUF_INIT, addr = BUF_INIT;
	struct progress progress;
	const char *why, *at;
	size_t i, people = 0;
	int rc;

	memset(rep, 0, sizeof *rep);
	if (!cfg->notify.enabled || !passwords)
		return 0;
	for (i = 0; i < plan->n_actions; i++)
		if (pwstore_has(passwords, i) && plan->actions[i].n_messages && plan->actions[i].email)
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
	if ((rc = smtp_open(&S.smtp, &cfg->notify.smtp, buf_str(&addr), d)) < 0)
		goto out;
	log_info("sending the messages of %zu people through %s", people, cfg->notify.smtp.url);
	progress_start(&progress, "mail", "people", people);
	for (i = 0; i < plan->n_actions; i++) {
		const struct plan_action *act = &plan->actions[i];
		if (pwstore_has(passwords, i) && act->n_messages && act->email) {
			notify_person(&S, i);
			progress_step(&progress, 1);
		}
	}
	progress_end(&progress);
	journal_sync(j, NULL);
	if (S.stop)
		rc = diag_set(d, S.stop, "the mail phase stopped: %s; the directory changes stand, and %zu people wait for their messages (a later run sends them)",
			      S.stop_why, rep->people_pending);
out:
	link_keys_wipe(&S.keys);
	smtp_close(S.smtp);
	buf_release(&name);
	buf_release(&addr);
	return rc;
}
