/* The job an --apply run makes: the state directory and the run lock, the
 * preflight (policy, safety limits, random generator), the journal's
 * records around the apply and the mail, who still waits for messages, and
 * the report and summary line. */
#include "agent/run/run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/interrupt.h"
#include "agent/base/json.h"
#include "agent/base/log.h"
#include "agent/base/oom.h"
#include "agent/base/secure.h"
#include "agent/base/testhook.h"
#include "agent/notify/notify.h"
#include "agent/plan/plan_limits.h"
#include "agent/state/jobs.h"

/* state.keep_jobs, at the start of every applied run: the jobs of an
 * hourly timer would otherwise pile up. A failure only warns. */
static void prune_old_jobs(struct run *r)
{
	struct jobs_prune p;
	struct diag d;

	if (!r->cfg->keep_jobs_s)
		return;
	diag_init(&d);
	if (jobs_prune(r->cfg->state_dir, r->cfg->keep_jobs_s, time(NULL), 1, &p, &d) < 0)
		log_warn("old jobs were not deleted: %s", d.msg);
	else if (p.n)
		log_info("deleted %zu job%s older than state.keep_jobs (%lu days)", p.n, p.n == 1 ? "" : "s",
			 r->cfg->keep_jobs_s / 86400);
	jobs_prune_release(&p);
}

int run_lock_state(struct run *r)
{
	int rc;

	if ((rc = state_prepare(r->cfg->state_dir, &r->d)) < 0 ||
	    (rc = run_lock_take(r->cfg->state_dir, r->opt->cmd_line, &r->lock, &r->d)) < 0)
		return rc;
	prune_old_jobs(r);
	return run_load_pending(r, 1);
}

int run_load_pending(struct run *r, int required)
{
	struct diag d;
	int rc;

	if (!r->cfg->notify.enabled)
		return 0;
	diag_init(&d);
	if ((rc = pending_load(r->cfg->state_dir, &r->pending, &r->pending_arena, &d)) < 0) {
		if (required)
			return diag_set(&r->d, rc, "%s", d.msg);
		/* A preview by someone who may not read the jobs. */
		log_warn("%s; the preview does not show who still waits for messages from earlier jobs", d.msg);
		return 0;
	}
	r->pending_loaded = 1;
	return 0;
}

/* The safety limits, on the plan, before the first change. --force-limits N
 * lets a run through whose creates, disables and resets are each at most N. */
static int check_limits(struct run *r)
{
	long force = r->opt->force_limits;
	struct plan_limits l;
	struct buf why = BUF_INIT;
	int rc = 0;

	plan_limits(r->plan, &r->cfg->limits, &l);
	if (!l.n)
		return 0;
	plan_limits_describe(&l, &why);
	if (force >= 0 && (size_t)force >= l.force)
		log_warn("safety limits: %s; going ahead because of --force-limits %ld", buf_str(&why), force);
	else if (force >= 0)
		rc = diag_set(&r->d, ST_LIMIT,
			      "safety limit: %s (of %zu managed people); --force-limits %ld allows at most %ld; nothing was changed",
			      buf_str(&why), r->plan->n_managed, force, force);
	else
		rc = diag_set(&r->d, ST_LIMIT,
			      "safety limit: %s (of %zu managed people); nothing was changed. If this is intended, run again with --force-limits %zu",
			      buf_str(&why), r->plan->n_managed, l.force);
	buf_release(&why);
	return rc;
}

/* Appends a record (collected with the next ones, see journal.h) and
 * releases b. */
static void journal_record(struct run *r, struct buf *b)
{
	journal_append_buf(r->journal, b);
	buf_release(b);
}

static void record_header(struct run *r, const char *command)
{
	struct buf b = BUF_INIT;
	char now[32];

	utc_now(now);
	buf_adds(&b, "{\"type\":\"job\",\"version\":1,");
	json_add_member_str(&b, "id", journal_id(r->journal));
	buf_addc(&b, ',');
	json_add_member_str(&b, "command", command);
	buf_addc(&b, ',');
	json_add_member_str(&b, "started", now);
	buf_addc(&b, ',');
	json_add_member_str(&b, "config", r->cfg->file);
	buf_addc(&b, ',');
	json_add_member_str(&b, "config_sha256", r->cfg->digest);
	buf_addc(&b, ',');
	json_add_member_str(&b, "source", r->plan->source);
	buf_addc(&b, ',');
	json_add_member_str(&b, "source_sha256", r->source_digest[0] ? r->source_digest : NULL);
	buf_printf(&b, ",\"pid\":%ld,\"actions\":%zu,\"rows\":%zu}", (long)getpid(), r->plan->n_actions,
		   r->plan->n_records);
	journal_record(r, &b);
}

static void record_rejected(struct run *r)
{
	size_t i;

	for (i = 0; i < r->plan->n_rejected; i++) {
		const struct plan_reject *j = &r->plan->rejected[i];
		struct buf b = BUF_INIT;
		buf_printf(&b, "{\"type\":\"rejected\",\"line\":%u,", j->line);
		json_add_member_str(&b, "key", j->key);
		buf_addc(&b, ',');
		json_add_member_str(&b, "reason", j->reason);
		buf_addc(&b, '}');
		journal_record(r, &b);
	}
}

/* Everyone who got a password: waiting for their messages, or listed for
 * manual notification (counted in *manual). */
static void record_notifications(struct run *r, size_t *manual)
{
	const struct config *cfg = r->cfg;
	size_t i, k;

	*manual = 0;
	for (i = 0; i < r->plan->n_actions; i++) {
		const struct plan_action *a = &r->plan->actions[i];
		struct buf b = BUF_INIT;

		if (!pwstore_has(r->apply.passwords, i))
			continue;
		buf_adds(&b, "{\"type\":\"notify\",");
		json_add_member_str(&b, "key", a->key);
		buf_addc(&b, ',');
		json_add_member_str(&b, "dn", a->dn);
		if (a->line)
			buf_printf(&b, ",\"line\":%u", a->line);
		buf_addc(&b, ',');
		json_add_member_str(&b, "email", a->email);
		if (r->apply.fixed_password) {
			/* The administrator chose the password and tells people:
			 * all of them are on the manual list. */
			buf_adds(&b, ",\"status\":\"none\",\"reason\":\"" GIVEN_PASSWORD_REASON "\"}");
			(*manual)++;
		} else if (a->n_messages) {
			buf_adds(&b, ",\"messages\":[");
			for (k = 0; k < a->n_messages; k++) {
				if (k)
					buf_addc(&b, ',');
				json_add_string(&b, msg_kind_name(a->messages[k]));
			}
			buf_adds(&b, "],\"status\":\"pending\"}");
		} else {
			buf_adds(&b, ",\"status\":\"manual\",");
			json_add_member_str(&b, "reason", cfg->notify.enabled ? "no email address"
										: "notifications are not configured");
			buf_addc(&b, '}');
			(*manual)++;
		}
		journal_record(r, &b);
	}
}

/* Who still waits for messages, now that this job is done: the job read
 * back from its journal, applied to what earlier jobs left. */
static void update_pending(struct run *r)
{
	struct job *j;
	struct diag d;
	unsigned long oom_before = oom_count();

	if (!r->pending_loaded)
		return;
	diag_init(&d);
	/* When this fails, the snapshot stays as it was and the next run
	 * reads this job's journal again. */
	if (job_read(r->cfg->state_dir, journal_id(r->journal), &j, &d) < 0)
		goto failed;
	pending_apply_job(&r->pending, &r->pending_arena, j);
	job_free(j);
	if (oom_count() != oom_before) {
		diag_set(&d, ST_FAIL, "out of memory");
		goto failed;
	}
	if (pending_save(r->cfg->state_dir, &r->pending, journal_id(r->journal), &d) == 0)
		return;
failed:
	log_warn("could not record who waits for messages: %s", d.msg);
}

static size_t total_failed(const struct apply_report *rep)
{
	size_t i, n = 0;

	for (i = 0; i < OP_COUNT; i++)
		n += rep->failed[i];
	return n;
}

static void record_end(struct run *r, const struct apply_report *rep, const char *status, double secs)
{
	struct buf b = BUF_INIT;
	char now[32];
	size_t i;

	utc_now(now);
	buf_adds(&b, "{\"type\":\"end\",");
	json_add_member_str(&b, "status", status);
	buf_addc(&b, ',');
	json_add_member_str(&b, "finished", now);
	buf_printf(&b, ",\"elapsed_ms\":%.0f,\"counts\":{", secs * 1000);
	for (i = 0; i < OP_COUNT; i++)
		buf_printf(&b, "\"%s\":%zu,", plan_op_name((enum plan_op)i), rep->done[i]);
	buf_printf(&b, "\"failed\":%zu,\"refused\":%zu,\"skipped\":%zu,\"rejected\":%zu,\"passwords\":%zu,\"not_enforced\":%zu,\"not_replicated\":%zu,\"memberships\":%zu}",
		   total_failed(rep), rep->refused, rep->skipped, r->plan->n_rejected, rep->passwords, rep->not_enforced,
		   rep->not_replicated, rep->memberships);
	if (strcmp(status, "stopped") == 0 && r->d.msg[0]) {
		buf_addc(&b, ',');
		json_add_member_str(&b, "error", r->d.msg);
	}
	buf_addc(&b, '}');
	if (b.failed) {
		/* The job still ends in the journal, if without its counts. */
		static const char fallback[] =
			"{\"type\":\"end\",\"status\":\"stopped\",\"error\":\"out of memory while building the end record\"}";
		buf_release(&b);
		journal_append(r->journal, fallback, sizeof fallback - 1);
		journal_flush(r->journal);
		return;
	}
	journal_record(r, &b);
}

static void summary_line(struct run *r, const char *command, const struct apply_report *rep,
			 const struct notify_report *nr, size_t manual, double secs, double dir_secs,
			 double mail_secs)
{
	const size_t *d = rep->done;
	char created[32], enabled[32], updated[32], disabled[32], reset[32], failed[32], refused[32],
		not_enforced[32], rejected[32], elapsed[32], accounts[32], roles[32], members[32], sent[32],
		mfailed[32], waiting[32], man[32], dir_time[32], mail_time[32];
	struct log_field f[] = {
		{"job", journal_id(r->journal)}, {"created", created},   {"enabled", enabled},
		{"updated", updated},            {"disabled", disabled}, {"reset", reset},
		{"accounts", accounts},          {"roles", roles},       {"memberships", members},
		{"failed", failed},              {"refused", refused},   {"not_enforced", not_enforced},
		{"rejected", rejected},          {"messages_sent", sent}, {"messages_failed", mfailed},
		{"messages_pending", waiting},   {"manual", man},        {"elapsed", elapsed},
		{"directory_seconds", dir_time}, {"mail_seconds", mail_time},
	};

	snprintf(created, sizeof created, "%zu", d[OP_CREATE_PERSON]);
	snprintf(enabled, sizeof enabled, "%zu", d[OP_ENABLE_PERSON]);
	snprintf(updated, sizeof updated, "%zu", d[OP_UPDATE_PERSON]);
	snprintf(disabled, sizeof disabled, "%zu", d[OP_DISABLE_PERSON]);
	snprintf(reset, sizeof reset, "%zu", d[OP_RESET_PASSWORD]);
	snprintf(accounts, sizeof accounts, "%zu", d[OP_CREATE_ACCOUNT]);
	snprintf(roles, sizeof roles, "%zu", d[OP_CREATE_ROLE]);
	snprintf(members, sizeof members, "%zu", rep->memberships);
	/* The same counts as the job's (ldapenroll jobs): failed actions and
	 * those whose outcome stayed unknown; refused and not enforced apart. */
	snprintf(failed, sizeof failed, "%zu", total_failed(rep));
	snprintf(refused, sizeof refused, "%zu", rep->refused);
	snprintf(not_enforced, sizeof not_enforced, "%zu", rep->not_enforced);
	snprintf(rejected, sizeof rejected, "%zu", r->plan->n_rejected);
	snprintf(sent, sizeof sent, "%zu", nr->sent);
	snprintf(mfailed, sizeof mfailed, "%zu", nr->failed);
	snprintf(waiting, sizeof waiting, "%zu", nr->pending);
	snprintf(man, sizeof man, "%zu", manual);
	snprintf(elapsed, sizeof elapsed, "%.2fs", secs);
	snprintf(dir_time, sizeof dir_time, "%.3f", dir_secs);
	snprintf(mail_time, sizeof mail_time, "%.3f", mail_secs);
	if (log_format_in_use() == LOG_FORMAT_TEXT) {
		log_info("%s: %s created, %s enabled, %s updated, %s disabled, %s passwords reset; %s accounts, %s role groups, %s memberships; %s failed, %s refused, %s not enforced, %s rejected; job %s in %s (directory %.2fs, mail %.2fs)",
			 command, created, enabled, updated, disabled, reset, accounts, roles, members, failed, refused,
			 not_enforced, rejected, journal_id(r->journal), elapsed, dir_secs, mail_secs);
		if (manual)
			log_info("messages: %s sent, %s failed, %s pending; %s %s manual notification (ldapenroll jobs %s --manual)",
				 sent, mfailed, waiting, man, manual == 1 ? "person needs" : "people need",
				 journal_id(r->journal));
		else if (nr->sent || nr->failed || nr->pending)
			log_info("messages: %s sent, %s failed, %s pending", sent, mfailed, waiting);
	} else {
		log_fields(LOG_INFO, "finished", f, sizeof f / sizeof *f);
	}
}

static int is_interrupt(int status)
{
	return status == ST_SIGINT || status == ST_SIGTERM;
}

/* What an interrupted run did, and how to finish it. */
static void say_interrupted(struct run *r, const char *command, const struct apply_report *rep,
			    const struct notify_report *nrep)
{
	size_t done = 0, i;
	int sync = strcmp(command, "sync") == 0 || strcmp(command, "apply") == 0;

	for (i = 0; i < OP_COUNT; i++)
		done += rep->done[i];
	if (nrep->sent + nrep->failed + nrep->pending)
		log_error("interrupted: %zu of %zu changes done, %zu of %zu messages sent; run sync --apply to finish",
			  done, r->plan->n_actions, nrep->sent, nrep->sent + nrep->failed + nrep->pending);
	else if (sync)
		log_error("interrupted: %zu of %zu changes done; run sync --apply to finish", done, r->plan->n_actions);
	else
		log_error("interrupted: %zu of %zu changes done; run %s again to finish (the next sync --apply sends the messages that were not sent)",
			  done, r->plan->n_actions, command);
}

int run_apply(struct run *r, const char *command)
{
	struct apply_report rep;
	struct notify_report nrep = {0};
	struct plan_status st = {0};
	struct timespec t0, phase;
	char pw[PASSWORD_MAX + 1];
	size_t manual = 0;
	double secs, dir_secs, mail_secs = 0;
	int rc, stop, mail;

	/* Preflight: nothing below changes the directory until all of it
	 * passed. */
	if ((rc = run_check_policy(r, r->plan->counts[OP_DISABLE_PERSON] > 0)) < 0 || (rc = check_limits(r)) < 0)
		return rc;
	rc = password_generate(&r->cfg->passwords, pw, sizeof pw, &r->d);
	secure_wipe(pw, sizeof pw);
	if (rc < 0)
		return rc;
	if ((rc = journal_create(r->cfg->state_dir, &r->journal, &r->d)) < 0)
		return rc;
	log_info("job %s: %s", journal_id(r->journal), journal_path(r->journal));
	run_lock_job(&r->lock, journal_id(r->journal));
	/* From the first change on, a signal stops the run at a safe point. */
	interrupt_catch();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	record_header(r, command);
	record_rejected(r);
	journal_flush(r->journal);
	testhook_point("preflight");

	r->apply.cfg = r->cfg;
	r->apply.plan = r->plan;
	r->apply.dir = r->dir;
	r->apply.journal = r->journal;
	r->apply.entries = r->entries.v;
	r->apply.n_entries = r->entries.n;
	stop = apply_plan(&r->apply, &rep, &r->d);
	dir_secs = seconds_since(&t0);
	if (r->apply.passwords && !journal_ok(r->journal)) {
		/* Nothing more happens once the journal cannot record it. */
		log_error("no message is sent: %s", journal_error(r->journal));
		if (!stop)
			stop = diag_set(&r->d, ST_FAIL, "%s; no message is sent", journal_error(r->journal));
	} else if (r->apply.passwords) {
		record_notifications(r, &manual);
		journal_flush(r->journal); /* on file before the first message */
		/* The directory changes stand whatever the mail does; after an
		 * interrupt, nobody is sent anything: they wait for the next run. */
		clock_gettime(CLOCK_MONOTONIC, &phase);
		if (!is_interrupt(stop)) {
			mail = notify_run(r->cfg, r->plan, r->apply.passwords, r->journal, &nrep, &r->d);
			if (!stop)
				stop = mail;
		}
		mail_secs = seconds_since(&phase);
	}
	update_pending(r);
	testhook_point("end");

	secs = seconds_since(&t0);
	record_end(r, &rep,
		   is_interrupt(stop) ? "interrupted"
		   : stop	      ? "stopped"
		   : total_failed(&rep) || rep.refused || rep.not_enforced || nrep.failed || nrep.pending
			   ? "completed_with_failures"
			   : "completed",
		   secs);
	journal_sync(r->journal, NULL);
	if (r->apply.outcome) {
		st.outcome = r->apply.outcome;
		st.error = r->apply.error;
		st.job = journal_id(r->journal);
		run_write_plan(r, command, &st);
	}
	summary_line(r, command, &rep, &nrep, manual, secs, dir_secs, mail_secs);
	if (rep.not_replicated)
		log_warn("%zu %s written to a server that went away before replicating %s; %s the others when it is back (ldapenroll jobs %s)",
			 rep.not_replicated, rep.not_replicated == 1 ? "person was" : "people were",
			 rep.not_replicated == 1 ? "it" : "them", rep.not_replicated == 1 ? "it reaches" : "they reach",
			 journal_id(r->journal));
	if (is_interrupt(stop))
		say_interrupted(r, command, &rep, &nrep);
	if (stop)
		return stop;
	/* Rejected rows alone are a warning, so that an hourly run over a
	 * source with one bad row does not fail every hour; --strict makes
	 * them a failure. */
	if (total_failed(&rep) || rep.refused || rep.not_enforced || nrep.failed || nrep.pending ||
	    (r->opt->strict && r->plan->n_rejected))
		return 1;
	return 0;
}
