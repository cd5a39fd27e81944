/* jobs [ID] [--manual] [--format text|json|csv]: the jobs of the state
 * directory, one job with its counts and what became of each person (also
 * while it runs), or the people who need to be told by other means. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/base/buf.h"
#include "agent/state/jobs.h"
#include "agent/state/journal.h"
#include "agent/base/json.h"
#include "agent/base/oom.h"
#include "agent/base/testhook.h"
#include "agent/cli/commands.h"

/* A CSV cell. Text a spreadsheet would run as a formula (= + - @, tab, CR)
 * gets a leading apostrophe; cells with separators or quotes are quoted. */
static void csv_cell(struct buf *b, const char *s)
{
	const char *p;

	if (!s)
		s = "";
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r') {
		buf_adds(b, "\"'");
	} else if (strpbrk(s, ",\"\r\n")) {
		buf_addc(b, '"');
	} else {
		buf_adds(b, s);
		return;
	}
	for (p = s; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* What a job's reader knows beyond its journal: who set a password
 * through a link since (serve's record), and the time now. */
struct view {
	struct hmap activated;  /* DN -> time (intptr_t) */
	struct arena arena;
	time_t now;
	char why[192];          /* manual_reason's words for an expired link */
};

/* When the person set a password through a link, after this job gave
 * them one; 0 when they have not (as far as serve recorded). */
static time_t activated_at(const struct view *v, const struct job *j, const struct job_person *p)
{
	time_t t = p->dn ? (time_t)(intptr_t)hmap_get(&v->activated, p->dn) : 0;
	return t && t >= job_time(j->started) ? t : 0;
}

/* The expiry of the newest link sent to the person in this job, or 0. */
static long long link_expiry(const struct job_person *p)
{
	long long e = 0;
	size_t k;

	for (k = 0; k < p->n_messages; k++)
		if (p->messages[k].link_expires > e && strcmp(p->messages[k].status, "sent") == 0)
			e = p->messages[k].link_expires;
	return e;
}

/* A person's link in this job: when it expires, whether and when they set
 * a password with it, and in one word. Returns 0 when no link reached them. */
struct link_view {
	long long expires;
	time_t activated;
	const char *state;      /* "activated", "expired" or "waiting" */
	char expires_text[32], activated_text[32];
};

static int link_of(const struct view *v, const struct job *j, const struct job_person *p, struct link_view *l)
{
	memset(l, 0, sizeof *l);
	if (!(l->expires = link_expiry(p)))
		return 0;
	l->activated = activated_at(v, j, p);
	l->state = l->activated ? "activated" : l->expires < v->now ? "expired" : "waiting";
	utc_text((time_t)l->expires, l->expires_text);
	if (l->activated)
		utc_text(l->activated, l->activated_text);
	return 1;
}

static const char *manual_reason(struct view *v, const struct job *j, const struct job_person *p)
{
	struct link_view l;

	if (p->manual)
		return p->manual;
	if (link_of(v, j, p, &l) && strcmp(l.state, "expired") == 0) {
		snprintf(v->why, sizeof v->why, "the set-password link expired at %s unused", l.expires_text);
		return v->why;
	}
	return NULL;
}

static void link_text(struct buf *b, struct view *v, const struct job *j, const struct job_person *p)
{
	struct link_view l;

	if (!link_of(v, j, p, &l))
		return;
	if (l.activated)
		buf_printf(b, "      link: password set at %s\n", l.activated_text);
	else
		buf_printf(b, "      link: %s %s, no password set yet\n",
			   strcmp(l.state, "expired") == 0 ? "expired at" : "valid until", l.expires_text);
}

static void link_json(struct buf *b, struct view *v, const struct job *j, const struct job_person *p)
{
	struct link_view l;

	if (!link_of(v, j, p, &l))
		return;
	buf_printf(b, ",\"link\":{\"expires\":\"%s\",\"state\":\"%s\"", l.expires_text, l.state);
	if (l.activated)
		buf_printf(b, ",\"activated\":\"%s\"", l.activated_text);
	buf_addc(b, '}');
}

static void counts_json(struct buf *b, const struct job *j)
{
	buf_printf(b, "{\"planned\":%zu,\"results\":%zu,\"done\":%zu,\"failed\":%zu,\"refused\":%zu,\"skipped\":%zu,\"unknown\":%zu,"
		      "\"messages_sent\":%zu,\"messages_failed\":%zu,\"messages_pending\":%zu,\"messages_skipped\":%zu,"
		      "\"rejected\":%zu,\"not_enforced\":%zu",
		   j->planned, j->results, j->done, j->failed, j->refused, j->skipped, j->unknown, j->msg_sent, j->msg_failed,
		   j->msg_pending, j->msg_skipped, j->n_rejected, j->not_enforced);
	if (j->end_counts[0]) {
		buf_adds(b, ",\"final\":");
		buf_adds(b, j->end_counts);
	}
	buf_addc(b, '}');
}

/* How many people earlier jobs left waiting for their messages: the next
 * sync --apply sends them again. -1 when that cannot be read. */
static long waiting_for_mail(const char *state_dir)
{
	struct hmap pending;
	struct arena a;
	struct diag d;
	const char *key;
	void *job;
	size_t pos = 0;
	long n = 0;

	hmap_init(&pending, 0);
	arena_init(&a);
	diag_init(&d);
	if (pending_load(state_dir, &pending, &a, &d) < 0)
		n = -1;
	while (n >= 0 && hmap_next(&pending, &pos, &key, &job))
		n += job != NULL;
	hmap_release(&pending);
	arena_release(&a);
	return n;
}

static int list_jobs(struct run *r, const char *state_dir)
{
	long waiting = waiting_for_mail(state_dir);
	struct buf b = BUF_INIT;
	char **ids;
	size_t n, i;
	int rc;
	unsigned long oom_before = oom_count();

	if ((rc = jobs_ids(state_dir, &ids, &n, &r->d)) < 0)
		return rc;
	if (r->opt->format == OUT_JSON)
		buf_adds(&b, "{\"jobs\":[");
	else if (r->opt->format == OUT_CSV)
		buf_adds(&b, "id,command,started,finished,status,done,failed,messages_sent,messages_failed,messages_pending\n");
	else if (n)
		buf_printf(&b, "%-22s  %-15s  %-20s  %-23s  %s\n", "JOB", "COMMAND", "STARTED", "STATUS", "RESULT");
	else
		buf_printf(&b, "No jobs in %s yet.\n", state_dir);
	/* Newest first: that is the one people look for. */
	for (i = n; i-- > 0;) {
		struct job *j;
		if (job_read(state_dir, ids[i], &j, &r->d) < 0)
			continue;
		if (r->opt->format == OUT_JSON) {
			buf_adds(&b, i + 1 == n ? "\n{" : ",\n{");
			json_add_member_str(&b, "id", j->id);
			buf_addc(&b, ',');
			json_add_member_str(&b, "command", j->command);
			buf_addc(&b, ',');
			json_add_member_str(&b, "started", j->started);
			buf_addc(&b, ',');
			json_add_member_str(&b, "finished", j->finished);
			buf_addc(&b, ',');
			json_add_member_str(&b, "status", j->status);
			buf_adds(&b, ",\"counts\":");
			counts_json(&b, j);
			buf_addc(&b, '}');
		} else if (r->opt->format == OUT_CSV) {
			csv_cell(&b, j->id);
			buf_addc(&b, ',');
			csv_cell(&b, j->command);
			buf_addc(&b, ',');
			csv_cell(&b, j->started);
			buf_addc(&b, ',');
			csv_cell(&b, j->finished);
			buf_addc(&b, ',');
			csv_cell(&b, j->status);
			buf_printf(&b, ",%zu,%zu,%zu,%zu,%zu\n", j->done, j->failed, j->msg_sent, j->msg_failed, j->msg_pending);
		} else {
			buf_printf(&b, "%-22s  %-15s  %-20s  %-23s  %zu done, %zu failed; %zu messages sent, %zu failed, %zu pending\n",
				   j->id, j->command ? j->command : "?", j->started ? j->started : "?", j->status, j->done,
				   j->failed, j->msg_sent, j->msg_failed, j->msg_pending);
		}
		job_free(j);
	}
	if (r->opt->format == OUT_JSON) {
		buf_adds(&b, "\n]");
		if (waiting >= 0)
			buf_printf(&b, ",\"waiting_for_mail\":%ld", waiting);
		buf_adds(&b, "}\n");
	} else if (r->opt->format == OUT_TEXT && waiting > 0) {
		buf_printf(&b, "\n%ld %s for their messages (never confirmed); the next sync --apply sends them again.\n",
			   waiting, waiting == 1 ? "person waits" : "people wait");
	}
	/* A listing missing a line or a job would mislead: nothing then. */
	if (oom_count() != oom_before)
		rc = diag_set(&r->d, ST_FAIL, "out of memory listing the jobs");
	else
		fwrite(buf_str(&b), 1, b.len, stdout);
	buf_release(&b);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static void person_json(struct buf *b, struct view *v, const struct job *j, const struct job_person *p)
{
	size_t k;

	buf_addc(b, '{');
	json_add_member_str(b, "key", p->key);
	buf_addc(b, ',');
	json_add_member_str(b, "dn", p->dn);
	if (p->line)
		buf_printf(b, ",\"line\":%u", p->line);
	buf_adds(b, ",\"actions\":[");
	for (k = 0; k < p->n_actions; k++) {
		const struct job_action *a = &p->actions[k];
		buf_adds(b, k ? ",{" : "{");
		json_add_member_str(b, "op", a->op);
		buf_addc(b, ',');
		json_add_member_str(b, "status", a->status);
		if (a->code >= 0)
			buf_printf(b, ",\"code\":%d", a->code);
		if (a->error) {
			buf_addc(b, ',');
			json_add_member_str(b, "error", a->error);
		}
		if (a->role_dn) {
			buf_addc(b, ',');
			json_add_member_str(b, "role_dn", a->role_dn);
		}
		buf_addc(b, '}');
	}
	buf_adds(b, "],\"messages\":[");
	for (k = 0; k < p->n_messages; k++) {
		const struct job_message *m = &p->messages[k];
		buf_adds(b, k ? ",{" : "{");
		json_add_member_str(b, "kind", m->kind);
		buf_addc(b, ',');
		json_add_member_str(b, "to", m->to);
		buf_addc(b, ',');
		json_add_member_str(b, "status", m->status);
		buf_printf(b, ",\"attempts\":%d,", m->attempts);
		json_add_member_str(b, "error", m->error);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	link_json(b, v, j, p);
	buf_printf(b, ",\"manual\":%s", manual_reason(v, j, p) ? "true" : "false");
	if (manual_reason(v, j, p)) {
		buf_addc(b, ',');
		json_add_member_str(b, "manual_reason", manual_reason(v, j, p));
	}
	buf_printf(b, ",\"waiting_for_mail\":%s}", job_person_pending(p) ? "true" : "false");
}

static void person_text(struct buf *b, struct view *v, const struct job *j, const struct job_person *p)
{
	size_t k;

	buf_printf(b, "  %s  %s\n", p->key ? p->key : "-", p->dn ? p->dn : "");
	for (k = 0; k < p->n_actions; k++) {
		const struct job_action *a = &p->actions[k];
		buf_printf(b, "      %-15s %s", a->op, a->status);
		if (a->error)
			buf_printf(b, ": %s", a->error);
		buf_addc(b, '\n');
	}
	for (k = 0; k < p->n_messages; k++) {
		const struct job_message *m = &p->messages[k];
		buf_printf(b, "      %-15s %s to %s (%d attempt%s)", m->kind, m->status, m->to, m->attempts,
			   m->attempts == 1 ? "" : "s");
		if (m->error)
			buf_printf(b, ": %s", m->error);
		buf_addc(b, '\n');
	}
	link_text(b, v, j, p);
	if (manual_reason(v, j, p))
		buf_printf(b, "      needs manual notification: %s\n", manual_reason(v, j, p));
	else if (job_person_pending(p))
		buf_adds(b, "      waiting for mail: the next run sends a fresh password\n");
}

/* The server's words about the first message refused for good, or NULL. */
static const char *server_reply(const struct job_person *p)
{
	size_t i;

	for (i = 0; i < p->n_messages; i++)
		if (strcmp(p->messages[i].status, "failed") == 0)
			return p->messages[i].error;
	return NULL;
}

/* What to do for someone on the manual list, in words. */
static void next_step(struct buf *b, const struct job *j, const struct job_person *p)
{
	buf_reset(b);
	if (p->notify && strcmp(p->notify, "none") == 0)
		buf_adds(b, "tell them the password given with --password-file, by other means");
	else if (server_reply(p))
		buf_printf(b, "check the address with them; once the source has the right one: ldapenroll notify --job %s",
			   j->id);
	else if (!p->email)
		buf_printf(b, "add their address to the source, then: ldapenroll notify --job %s", j->id);
	else if (!p->manual && link_expiry(p))
		buf_printf(b, "send a fresh link: ldapenroll notify --job %s --apply (or notify --not-activated --apply)", j->id);
	else
		buf_printf(b, "configure notify, then: ldapenroll notify --job %s", j->id);
}

/* jobs ID --manual: who must be told by other means, why, and how. */
static void manual_list(struct buf *b, struct view *v, const struct job *j, enum out_format format)
{
	struct buf step = BUF_INIT;
	size_t i, shown = 0;

	if (format == OUT_CSV)
		buf_adds(b, "key,dn,email,reason,reply,next_step\n");
	else if (format == OUT_JSON)
		buf_printf(b, "{\"id\":\"%s\",\"manual\":[", j->id);
	for (i = 0; i < j->n_people; i++) {
		const struct job_person *p = &j->people[i];
		if (!manual_reason(v, j, p))
			continue;
		next_step(&step, j, p);
		if (format == OUT_CSV) {
			csv_cell(b, p->key);
			buf_addc(b, ',');
			csv_cell(b, p->dn);
			buf_addc(b, ',');
			csv_cell(b, p->email);
			buf_addc(b, ',');
			csv_cell(b, manual_reason(v, j, p));
			buf_addc(b, ',');
			csv_cell(b, server_reply(p));
			buf_addc(b, ',');
			csv_cell(b, buf_str(&step));
			buf_addc(b, '\n');
		} else if (format == OUT_JSON) {
			buf_adds(b, shown ? ",\n{" : "\n{");
			json_add_member_str(b, "key", p->key);
			buf_addc(b, ',');
			json_add_member_str(b, "dn", p->dn);
			buf_addc(b, ',');
			json_add_member_str(b, "email", p->email);
			buf_addc(b, ',');
			json_add_member_str(b, "reason", manual_reason(v, j, p));
			buf_addc(b, ',');
			json_add_member_str(b, "reply", server_reply(p));
			buf_addc(b, ',');
			json_add_member_str(b, "next_step", buf_str(&step));
			buf_addc(b, '}');
		} else {
			buf_printf(b, "%s  %s  %s\n", p->key ? p->key : "-", p->dn ? p->dn : "", manual_reason(v, j, p));
			if (server_reply(p))
				buf_printf(b, "    the server said: %s\n", server_reply(p));
			buf_printf(b, "    next: %s\n", buf_str(&step));
		}
		shown++;
	}
	buf_release(&step);
	if (format == OUT_JSON)
		buf_adds(b, "\n]}\n");
	else if (format == OUT_TEXT && !shown)
		buf_adds(b, "Nobody in this job needs manual notification.\n");
}

static void job_json(struct buf *b, struct view *v, const struct job *j)
{
	size_t i;

	buf_adds(b, "{");
	json_add_member_str(b, "id", j->id);
	buf_addc(b, ',');
	json_add_member_str(b, "command", j->command);
	buf_addc(b, ',');
	json_add_member_str(b, "status", j->status);
	buf_addc(b, ',');
	json_add_member_str(b, "started", j->started);
	buf_addc(b, ',');
	json_add_member_str(b, "finished", j->finished);
	buf_adds(b, ",\"counts\":");
	counts_json(b, j);
	buf_adds(b, ",\"people\":[");
	for (i = 0; i < j->n_people; i++) {
		buf_adds(b, i ? ",\n" : "\n");
		person_json(b, v, j, &j->people[i]);
	}
	buf_adds(b, "],\"rejected\":[");
	for (i = 0; i < j->n_rejected; i++) {
		buf_printf(b, "%s{\"line\":%u,", i ? "," : "", j->rejected[i].line);
		json_add_member_str(b, "key", j->rejected[i].key);
		buf_addc(b, ',');
		json_add_member_str(b, "reason", j->rejected[i].reason);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}\n");
}

static void job_csv(struct buf *b, struct view *v, const struct job *j)
{
	size_t i, k;

	buf_adds(b, "key,dn,actions,messages,manual\n");
	for (i = 0; i < j->n_people; i++) {
		const struct job_person *p = &j->people[i];
		struct buf acts = BUF_INIT, msgs = BUF_INIT;
		for (k = 0; k < p->n_actions; k++)
			buf_printf(&acts, "%s%s %s", k ? "; " : "", p->actions[k].op, p->actions[k].status);
		for (k = 0; k < p->n_messages; k++)
			buf_printf(&msgs, "%s%s %s", k ? "; " : "", p->messages[k].kind, p->messages[k].status);
		csv_cell(b, p->key);
		buf_addc(b, ',');
		csv_cell(b, p->dn);
		buf_addc(b, ',');
		csv_cell(b, buf_str(&acts));
		buf_addc(b, ',');
		csv_cell(b, buf_str(&msgs));
		buf_addc(b, ',');
		csv_cell(b, manual_reason(v, j, p));
		buf_addc(b, '\n');
		buf_release(&acts);
		buf_release(&msgs);
	}
}

static void job_text(struct buf *b, struct view *v, const struct job *j)
{
	size_t i;

	buf_printf(b, "job %s (%s): %s\n", j->id, j->command ? j->command : "?", j->status);
	buf_printf(b, "  started %s%s%s\n", j->started ? j->started : "?", j->finished ? ", finished " : "",
		   j->finished ? j->finished : "");
	if (!j->finished && j->planned)
		buf_printf(b, "  progress: %zu of %zu directory actions have an outcome\n", j->results, j->planned);
	buf_printf(b, "  directory: %zu done, %zu failed, %zu refused, %zu skipped, %zu unknown\n", j->done, j->failed,
		   j->refused, j->skipped, j->unknown);
	buf_printf(b, "  messages: %zu sent, %zu failed, %zu pending, %zu skipped\n", j->msg_sent, j->msg_failed,
		   j->msg_pending, j->msg_skipped);
	if (j->not_enforced)
		buf_printf(b, "  %zu people whose password change the directory will not force\n", j->not_enforced);
	{
		size_t links = 0, set = 0, expired = 0;
		struct link_view l;
		for (i = 0; i < j->n_people; i++) {
			if (!link_of(v, j, &j->people[i], &l))
				continue;
			links++;
			set += l.activated != 0;
			expired += strcmp(l.state, "expired") == 0;
		}
		if (links)
			buf_printf(b, "  links: %zu sent, %zu used to set a password, %zu waiting, %zu expired unused\n", links,
				   set, links - set - expired, expired);
	}
	for (i = 0; i < j->n_rejected; i++)
		buf_printf(b, "  rejected line %u%s%s%s: %s\n", j->rejected[i].line, j->rejected[i].key ? " (" : "",
			   j->rejected[i].key ? j->rejected[i].key : "", j->rejected[i].key ? ")" : "",
			   j->rejected[i].reason);
	if (j->n_people)
		buf_adds(b, "people:\n");
	for (i = 0; i < j->n_people; i++)
		person_text(b, v, j, &j->people[i]);
	if (j->bad_lines)
		buf_printf(b, "  (%zu unreadable journal lines skipped)\n", j->bad_lines);
}

/* jobs ID: one job, in the chosen format, or its manual list. */
static int show_job(struct run *r, const char *state_dir, const char *id)
{
	unsigned long oom_before = oom_count();
	struct buf b = BUF_INIT;
	struct job *j;
	int rc;

	struct view v;

	if ((rc = job_read(state_dir, id, &j, &r->d)) < 0)
		return rc;
	hmap_init(&v.activated, HMAP_ICASE);
	arena_init(&v.arena);
	v.now = testhook_now();
	if ((rc = activations_load(state_dir, &v.activated, &v.arena, &r->d)) < 0)
		goto out;
	if (r->opt->manual)
		manual_list(&b, &v, j, r->opt->format);
	else if (r->opt->format == OUT_JSON)
		job_json(&b, &v, j);
	else if (r->opt->format == OUT_CSV)
		job_csv(&b, &v, j);
	else
		job_text(&b, &v, j);
	if (oom_count() != oom_before)
		rc = diag_set(&r->d, ST_FAIL, "out of memory showing job %s", id);
	else
		fwrite(buf_str(&b), 1, b.len, stdout);
out:
	hmap_release(&v.activated);
	arena_release(&v.arena);
	buf_release(&b);
	job_free(j);
	return rc;
}

/* jobs --prune [--apply]: what state.keep_jobs lets go. */
static int prune_jobs(struct run *r, const char *state_dir)
{
	unsigned long keep = r->cfg ? r->cfg->keep_jobs_s : DEFAULT_KEEP_JOBS_S;
	struct jobs_prune p;
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if (!keep) {
		printf("state.keep_jobs is forever: no job is deleted.\n");
		return 0;
	}
	/* Deleting waits for no run, and no run for it. */
	if (r->opt->apply && (rc = run_lock_take(state_dir, "jobs --prune --apply", &r->lock, &r->d)) < 0)
		return rc;
	if ((rc = jobs_prune(state_dir, keep, time(NULL), r->opt->apply, &p, &r->d)) < 0) {
		jobs_prune_release(&p);
		return rc;
	}
	if (r->opt->format == OUT_JSON) {
		buf_printf(&b, "{\"keep_jobs_seconds\":%lu,\"%s\":[", keep, r->opt->apply ? "deleted" : "to_delete");
		for (i = 0; i < p.n; i++) {
			if (i)
				buf_addc(&b, ',');
			json_add_string(&b, p.ids[i]);
		}
		buf_printf(&b, "],\"kept_waiting_for_mail\":%zu,\"kept_not_in_snapshot\":%zu}\n", p.kept_waiting,
			   p.kept_unfolded);
	} else {
		buf_printf(&b, "%s %zu job%s older than %lu day%s", r->opt->apply ? "Deleted" : "Would delete", p.n,
			   p.n == 1 ? "" : "s", keep / 86400, keep / 86400 == 1 ? "" : "s");
		if (keep % 86400)
			buf_printf(&b, " (%lu s)", keep);
		buf_adds(&b, p.n ? ":\n" : ".\n");
		for (i = 0; i < p.n; i++)
			buf_printf(&b, "  %s\n", p.ids[i]);
		if (p.kept_waiting)
			buf_printf(&b, "Kept %zu older job%s whose people still wait for their messages.\n",
				   p.kept_waiting, p.kept_waiting == 1 ? "" : "s");
		if (p.kept_unfolded)
			buf_printf(&b, "Kept %zu older job%s that the next run still reads for who waits for messages.\n",
				   p.kept_unfolded, p.kept_unfolded == 1 ? "" : "s");
		if (!r->opt->apply && p.n)
			buf_adds(&b, "Nothing was deleted; use --apply to delete them.\n");
	}
	if (b.failed)
		rc = diag_set(&r->d, ST_FAIL, "out of memory");
	else
		fwrite(buf_str(&b), 1, b.len, stdout);
	buf_release(&b);
	jobs_prune_release(&p);
	return rc;
}

int cmd_jobs(struct run *r)
{
	const char *state_dir = r->opt->state_dir ? r->opt->state_dir : r->cfg->state_dir;

	if (r->opt->prune)
		return prune_jobs(r, state_dir);
	if (r->opt->job)
		return show_job(r, state_dir, r->opt->job);
	return list_jobs(r, state_dir);
}
