#include "agent/state/jobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/json.h"
#include "agent/base/log.h"
#include "agent/base/oom.h"
#include "agent/state/journal.h"

/* --- one job ----------------------------------------------------------------- */

static const char *keep(struct job *j, const char *s)
{
	return s ? arena_strdup(&j->arena, s) : NULL;
}

static struct job_person *person(struct job *j, const struct json *rec)
{
	const char *key = json_get_str(rec, "key"), *dn = json_get_str(rec, "dn");
	const char *id = key ? key : dn;
	struct job_person *p;
	void *found;

	if (!id)
		return NULL;
	if ((found = hmap_get(&j->by_key, id)))
		return &j->people[(size_t)found - 1];
	if (j->n_people == j->alloc_people) {
		size_t na = j->alloc_people ? j->alloc_people * 2 : 64;
		struct job_person *t = oom_checked(realloc(j->people, na * sizeof *t));
		if (!t)
			return NULL;
		j->people = t;
		j->alloc_people = na;
	}
	p = &j->people[j->n_people];
	memset(p, 0, sizeof *p);
	p->key = keep(j, key);
	p->dn = keep(j, dn);
	p->line = (unsigned)json_get_int_or(rec, "line", 0, UINT_MAX, 0);
	if (hmap_insert(&j->by_key, p->key ? p->key : p->dn, (void *)(j->n_people + 1), NULL) < 0)
		return NULL;
	j->n_people++;
	return p;
}

static int sets_password(const char *op)
{
	return op && (strcmp(op, "create_person") == 0 || strcmp(op, "enable_person") == 0 ||
		      strcmp(op, "reset_password") == 0);
}

/* An account or role group is not a person: its outcome only counts. */
static int is_person_op(const char *op)
{
	return op && strcmp(op, "create_account") != 0 && strcmp(op, "create_role") != 0;
}

static void on_result(struct job *j, const struct json *rec)
{
	const char *op = json_get_str(rec, "op"), *status = json_get_str(rec, "status");
	struct job_person *p;
	struct job_action *a;
	int membership = 0;

	if (!op || !status)
		return;
	/* A new person's membership (join_role in journals before 0.2) rides
	 * with the create: not an action of the plan. */
	if (strcmp(op, "join_role") == 0 || (strcmp(op, "add_to_role") == 0 && json_get(rec, "new_person")))
		op = "add_to_role", membership = 1;
	if (!membership) {
		j->results++;
		if (strcmp(status, "done") == 0)
			j->done++;
		else if (strcmp(status, "failed") == 0)
			j->failed++;
		else if (strcmp(status, "skipped") == 0)
			j->skipped++;
		else if (strcmp(status, "refused") == 0)
			j->refused++;
		else
			j->unknown++;
	} else if (strcmp(status, "done") != 0) {
		j->failed++;
	}
	if (!is_person_op(op) || !(p = person(j, rec)))
		return;
	if (p->n_actions == p->alloc_actions) {
		size_t na = p->alloc_actions ? p->alloc_actions * 2 : 4;
		struct job_action *t = arena_alloc(&j->arena, na * sizeof *t);
		if (!t)
			return;
		if (p->n_actions)
			memcpy(t, p->actions, p->n_actions * sizeof *t);
		p->actions = t;
		p->alloc_actions = na;
	}
	a = &p->actions[p->n_actions++];
	a->op = keep(j, op);
	a->status = keep(j, status);
	a->error = keep(j, json_get_str(rec, "error"));
	a->role_dn = keep(j, json_get_str(rec, "role_dn"));
	a->code = (int)json_get_int_or(rec, "code", -1, INT_MAX, -1);
	/* An unknown outcome may have set the password: treat it as set. */
	if (sets_password(op))
		p->password = strcmp(status, "done") == 0 || strcmp(status, "unknown") == 0;
}

static void on_message(struct job *j, const struct json *rec)
{
	struct job_person *p = person(j, rec);
	const char *status = json_get_str(rec, "status");
	struct job_message *m;

	if (!p || !status)
		return;
	if (p->n_messages == p->alloc_messages) {
		size_t na = p->alloc_messages ? p->alloc_messages * 2 : 4;
		struct job_message *t = arena_alloc(&j->arena, na * sizeof *t);
		if (!t)
			return;
		if (p->n_messages)
			memcpy(t, p->messages, p->n_messages * sizeof *t);
		p->messages = t;
		p->alloc_messages = na;
	}
	m = &p->messages[p->n_messages++];
	m->kind = keep(j, json_get_str(rec, "kind"));
	m->to = keep(j, json_get_str(rec, "to"));
	m->status = keep(j, status);
	m->error = keep(j, json_get_str(rec, "error"));
	m->attempts = (int)json_get_int_or(rec, "attempts", 0, INT_MAX, 0);
	m->link_expires = json_get_int_or(rec, "link_expires", 0, LONG_MAX, 0);
	if (strcmp(status, "sent") == 0)
		j->msg_sent++;
	else if (strcmp(status, "failed") == 0)
		j->msg_failed++;
	else if (strcmp(status, "skipped") == 0)
		j->msg_skipped++;
	else
		j->msg_pending++;
	/* The server's words stay with the message (jobs --manual shows
	 * them as the reply). */
	if (strcmp(status, "failed") == 0 && !p->manual)
		p->manual = keep(j, "a message was refused for good");
}

static void on_record(struct job *j, const struct json *rec)
{
	const char *type = json_get_str(rec, "type");
	struct job_person *p;

	if (!type)
		return;
	if (strcmp(type, "job") == 0) {
		j->id = keep(j, json_get_str(rec, "id"));
		j->command = keep(j, json_get_str(rec, "command"));
		j->started = keep(j, json_get_str(rec, "started"));
		j->pid = json_get_int_or(rec, "pid", 0, INT_MAX, 0);
		j->planned = (size_t)json_get_int_or(rec, "actions", 0, LONG_MAX, 0);
	} else if (strcmp(type, "intent") == 0) {
		/* Until its result comes, a password intent may have been
		 * carried out: a crash here leaves the person waiting. */
		if (json_get(rec, "password") && is_person_op(json_get_str(rec, "op")) && (p = person(j, rec)))
			p->password = 1;
	} else if (strcmp(type, "result") == 0) {
		on_result(j, rec);
	} else if (strcmp(type, "notify") == 0) {
		if ((p = person(j, rec))) {
			const struct json *m = json_get(rec, "messages");
			p->notify = keep(j, json_get_str(rec, "status"));
			p->email = keep(j, json_get_str(rec, "email"));
			p->n_expected = m && m->type == JSON_ARRAY ? m->n : 0;
			/* Nobody is told: no address, no notify section, or a
			 * password the administrator gave ("none"). */
			if (p->notify && (strcmp(p->notify, "manual") == 0 || strcmp(p->notify, "none") == 0))
				p->manual = keep(j, json_get_str(rec, "reason"));
		}
	} else if (strcmp(type, "message") == 0) {
		on_message(j, rec);
	} else if (strcmp(type, "verify") == 0) {
		const char *st = json_get_str(rec, "status");
		if (st && strcmp(st, "not_replicated") == 0)
			j->not_replicated++;
		else
			j->not_enforced++;
	} else if (strcmp(type, "rejected") == 0) {
		if (j->n_rejected == j->alloc_rejected) {
			size_t na = j->alloc_rejected ? j->alloc_rejected * 2 : 16;
			struct job_rejected *t = oom_checked(realloc(j->rejected, na * sizeof *t));
			if (!t)
				return;
			j->rejected = t;
			j->alloc_rejected = na;
		}
		j->rejected[j->n_rejected].line = (unsigned)json_get_int_or(rec, "line", 0, UINT_MAX, 0);
		j->rejected[j->n_rejected].key = keep(j, json_get_str(rec, "key"));
		j->rejected[j->n_rejected].reason = keep(j, json_get_str(rec, "reason"));
		j->n_rejected++;
	} else if (strcmp(type, "end") == 0) {
		const struct json *c = json_get(rec, "counts");
		struct buf b = BUF_INIT;
		j->finished = keep(j, json_get_str(rec, "finished"));
		j->status = keep(j, json_get_str(rec, "status"));
		if (c) {
			json_write(&b, c);
			snprintf(j->end_counts, sizeof j->end_counts, "%s", buf_str(&b));
		}
		buf_release(&b);
	}
}

/* Whether the job's process still holds the run lock (tested without
 * taking it: see run_lock_held). */
static int still_running(const char *state_dir, long pid)
{
	char path[4096], holder[128];
	ssize_t n;
	int fd;

	if (pid <= 0 || !run_lock_held(state_dir))
		return 0;
	snprintf(path, sizeof path, "%s/lock", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, holder, sizeof holder - 1);
	close(fd);
	holder[n > 0 ? n : 0] = '\0';
	return strtol(holder + (strncmp(holder, "pid ", 4) == 0 ? 4 : 0), NULL, 10) == pid;
}

static int valid_id(const char *id)
{
	const char *p;

	if (!*id || strlen(id) > 64)
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-'))
			return 0;
	return 1;
}

int job_read(const char *state_dir, const char *id, struct job **out, struct diag *d)
{
	char path[4200], err[128];
	struct job *j;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	unsigned long oom_before;

	*out = NULL;
	if (!valid_id(id))
		return diag_set(d, ST_INPUT, "'%s' is not a job id (see ldapenroll jobs)", id);
	snprintf(path, sizeof path, "%s/jobs/%s.jsonl", state_dir, id);
	if (!(f = fopen(path, "r")))
		return diag_set(d, ST_INPUT, "no job %s in %s (%s)", id, state_dir, strerror(errno));
	j = oom_checked(calloc(1, sizeof *j));
	if (!j) {
		fclose(f);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	oom_before = oom_count();
	arena_init(&j->arena);
	hmap_init(&j->by_key, 0);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct json *rec;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!(rec = json_parse(line, (size_t)n, err, sizeof err))) {
			j->bad_lines++;
			continue;
		}
		on_record(j, rec);
		json_free(rec);
	}
	free(line);
	fclose(f);
	if (oom_count() != oom_before) {
		/* A record may be missing: what the job did would be wrong. */
		job_free(j);
		return diag_set(d, ST_FAIL, "out of memory while reading job %s", id);
	}
	if (!j->id)
		j->id = keep(j, id);
	if (!j->status)
		j->status = still_running(state_dir, j->pid) ? "running" : "interrupted";
	*out = j;
	return 0;
}

void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->people);
	free(j->rejected);
	hmap_release(&j->by_key);
	arena_release(&j->arena);
	free(j);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int jobs_ids(const char *state_dir, char ***ids, size_t *n, struct diag *d)
{
	char path[4096];
	struct dirent *de;
	char **v = NULL;
	size_t count = 0;
	DIR *dir;

	*ids = NULL;
	*n = 0;
	snprintf(path, sizeof path, "%s/jobs", state_dir);
	if (!(dir = opendir(path))) {
		if (errno == ENOENT)
			return 0;
		return diag_set(d, ST_INPUT, "cannot read %s: %s", path, strerror(errno));
	}
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		char **t;
		if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0 || de->d_name[0] == '.')
			continue;
		if (!(t = realloc(v, (count + 1) * sizeof *t)) || !(t[count] = strndup(de->d_name, len - 6))) {
			if (t)
				v = t;
			while (count)
				free(v[--count]);
			free(v);
			closedir(dir);
			return diag_set(d, ST_FAIL, "out of memory");
		}
		v = t;
		count++;
	}
	closedir(dir);
	if (count)
		qsort(v, count, sizeof *v, cmp_str);
	*ids = v;
	*n = count;
	return 0;
}

/* --- who still waits for mail ------------------------------------------------------ */

/* How a person's messages ended: -1 no message was due (no password, or
 * nobody to send to), 0 every message announced was sent, 1 some were
 * never confirmed (pending, or missing after a crash), 2 one failed for
 * good. */
static int messages_outcome(const struct job_person *p)
{
	size_t i, sent = 0;
	int failed = 0;

	if (!p->password || (p->notify && (strcmp(p->notify, "manual") == 0 || strcmp(p->notify, "none") == 0)))
		return -1;
	for (i = 0; i < p->n_messages; i++) {
		failed |= strcmp(p->messages[i].status, "failed") == 0;
		sent += strcmp(p->messages[i].status, "sent") == 0;
	}
	if (failed)
		return 2;
	/* Settled only when every message announced was sent: a crash
	 * between two messages leaves the person waiting. */
	return p->n_messages && sent == p->n_messages && sent >= p->n_expected ? 0 : 1;
}

int job_person_pending(const struct job_person *p)
{
	/* A message refused for good calls for manual notification, not for
	 * another automatic attempt. */
	return messages_outcome(p) == 1;
}

int job_person_unconfirmed(const struct job_person *p)
{
	return messages_outcome(p) > 0;
}

void pending_apply_job(struct hmap *pending, struct arena *arena, const struct job *j)
{
	size_t i;

	for (i = 0; i < j->n_people; i++) {
		const struct job_person *p = &j->people[i];
		const char *key;
		if (!p->key || !p->password)
			continue;
		/* A newer password supersedes the older one either way. */
		key = hmap_get(pending, p->key) ? p->key : arena_strdup(arena, p->key);
		/* A value that could not be copied must not read as "settled":
		 * the failure is counted (oom.h) and the caller gives up. */
		if (job_person_pending(p)) {
			const char *id = arena_strdup(arena, j->id);
			if (id)
				hmap_set(pending, key, (void *)id);
		} else {
			hmap_set(pending, key, NULL);
		}
	}
}

time_t job_time(const char *iso)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	if (!iso || !(end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm)) || *end)
		return 0;
	return timegm(&tm);
}

int activation_record(const char *state_dir, const char *job, const char *dn, time_t when, struct diag *d)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	int fd, rc = 0;

	buf_printf(&path, "%s/activations.jsonl", state_dir);
	buf_printf(&b, "{\"time\":%lld,", (long long)when);
	json_add_member_str(&b, "job", job);
	buf_addc(&b, ',');
	json_add_member_str(&b, "dn", dn);
	buf_adds(&b, "}\n");
	if (b.failed || path.failed) {
		rc = diag_set(d, ST_FAIL, "out of memory");
	} else if ((fd = open(buf_str(&path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		rc = diag_set(d, ST_FAIL, "%s: %s", buf_str(&path), strerror(errno));
	} else {
		/* One write of one line: appends from several processes do not
		 * interleave. */
		if (write(fd, b.data, b.len) != (ssize_t)b.len)
			rc = diag_set(d, ST_FAIL, "%s: %s", buf_str(&path), strerror(errno ? errno : EIO));
		if (close(fd) < 0 && !rc)
			rc = diag_set(d, ST_FAIL, "%s: %s", buf_str(&path), strerror(errno));
	}
	buf_release(&b);
	buf_release(&path);
	return rc;
}

int activations_load(const char *state_dir, struct hmap *by_dn, struct arena *arena, struct diag *d)
{
	char path[4200], err[128];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof path, "%s/activations.jsonl", state_dir);
	if (!(f = fopen(path, "r")))
		return errno == ENOENT ? 0 : diag_set(d, ST_FAIL, "%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) > 0) {
		struct json *rec = json_parse(line, (size_t)len, err, sizeof err);
		const char *dn = json_get_str(rec, "dn");
		long when = json_get_int_or(rec, "time", 0, LONG_MAX, 0);
		char *k;

		if (dn && when && (k = arena_strdup(arena, dn)) && hmap_set(by_dn, k, (void *)(intptr_t)when) < 0)
			rc = diag_set(d, ST_FAIL, "out of memory");
		json_free(rec);
	}
	if (ferror(f))
		rc = diag_set(d, ST_FAIL, "reading %s: %s", path, strerror(errno ? errno : EIO));
	free(line);
	fclose(f);
	return rc;
}

int pending_load(const char *state_dir, struct hmap *pending, struct arena *arena, struct diag *d)
{
	char path[4200], err[128], through[80] = "";
	char **ids = NULL, *line = NULL;
	size_t n = 0, i, cap = 0;
	ssize_t len;
	FILE *f;
	int rc;
	unsigned long oom_before = oom_count();

	snprintf(path, sizeof path, "%s/pending.jsonl", state_dir);
	if ((f = fopen(path, "r"))) {
		while ((len = getline(&line, &cap, f)) > 0) {
			struct json *rec = json_parse(line, (size_t)len, err, sizeof err);
			const char *key = json_get_str(rec, "key"), *job = json_get_str(rec, "job"),
				   *t = json_get_str(rec, "through");
			if (t)
				snprintf(through, sizeof through, "%s", t);
			if (key && job) {
				const char *k = arena_strdup(arena, key), *v = arena_strdup(arena, job);
				if (v)
					hmap_set(pending, k, (void *)v);
			}
			json_free(rec);
		}
		/* A snapshot read only in part would lose people. */
		if (ferror(f) || !feof(f)) {
			free(line);
			fclose(f);
			return diag_set(d, ST_FAIL, "reading %s: %s", path, strerror(errno ? errno : EIO));
		}
		free(line);
		fclose(f);
	}
	if ((rc = jobs_ids(state_dir, &ids, &n, d)) < 0)
		return rc;
	/* Jobs after the snapshot: normally none, or one that crashed. */
	for (i = 0; i < n; i++) {
		struct job *j;
		if (strcmp(ids[i], through) <= 0)
			continue;
		/* A job that cannot be read may hold people who wait: the
		 * run cannot know whom to notify again. */
		if ((rc = job_read(state_dir, ids[i], &j, d)) < 0)
			break;
		if (j->bad_lines)
			log_warn("job %s: %zu journal line%s could not be read; anyone named only there is missing from who waits for messages",
				 j->id, j->bad_lines, j->bad_lines == 1 ? "" : "s");
		pending_apply_job(pending, arena, j);
		job_free(j);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (rc == 0 && oom_count() != oom_before)
		rc = diag_set(d, ST_FAIL, "out of memory while reading who waits for messages");
	return rc < 0 ? rc : 0;
}

int pending_save(const char *state_dir, const struct hmap *pending, const char *through_id, struct diag *d)
{
	char path[4200], tmp[4300], dir[4096];
	struct buf b = BUF_INIT;
	size_t pos = 0;
	const char *key;
	void *job;
	int fd, rc = 0;

	snprintf(path, sizeof path, "%s/pending.jsonl", state_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	buf_adds(&b, "{\"type\":\"pending\",");
	json_add_member_str(&b, "through", through_id);
	buf_adds(&b, "}\n");
	while (hmap_next(pending, &pos, &key, &job)) {
		if (!job)
			continue;
		buf_addc(&b, '{');
		json_add_member_str(&b, "key", key);
		buf_addc(&b, ',');
		json_add_member_str(&b, "job", job);
		buf_adds(&b, "}\n");
	}
	if (b.failed) {
		buf_release(&b);
		return diag_set(d, ST_FAIL, "out of memory while writing %s", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf_str(&b), b.len) != (ssize_t)b.len || fsync(fd) < 0 || rename(tmp, path) < 0)
		rc = diag_set(d, ST_FAIL, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	snprintf(dir, sizeof dir, "%s", state_dir);
	if (rc == 0 && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	buf_release(&b);
	return rc;
}

/* --- retention ---------------------------------------------------------------------- */

/* The start time of a job, from its id (20261121T101500Z-...); -1 when it
 * is not one. */
static time_t id_time(const char *id)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (strlen(id) < 16 || id[8] != 'T' || id[15] != 'Z' ||
	    sscanf(id, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* The id of the last job folded into the pending snapshot, "" when none. */
static int snapshot_through(const char *state_dir, char *through, size_t size, struct diag *d)
{
	char path[4200], err[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	through[0] = '\0';
	snprintf(path, sizeof path, "%s/pending.jsonl", state_dir);
	if (!(f = fopen(path, "r")))
		return errno == ENOENT ? 0 : diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
	if ((len = getline(&line, &cap, f)) > 0) {
		struct json *rec = json_parse(line, (size_t)len, err, sizeof err);
		const char *t = json_get_str(rec, "through");
		if (t)
			snprintf(through, size, "%s", t);
		json_free(rec);
	}
	free(line);
	fclose(f);
	return 0;
}

void jobs_prune_release(struct jobs_prune *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->ids[i]);
	free(p->ids);
	memset(p, 0, sizeof *p);
}

int jobs_prune(const char *state_dir, unsigned long keep_s, time_t now, int apply, struct jobs_prune *out,
	       struct diag *d)
{
	char through[80], path[4200];
	struct hmap pending, referenced;
	struct arena a;
	const char *key;
	void *job;
	char **ids = NULL;
	size_t n = 0, i, pos = 0;
	int rc;

	memset(out, 0, sizeof *out);
	hmap_init(&pending, 0);
	hmap_init(&referenced, 0);
	arena_init(&a);
	if ((rc = snapshot_through(state_dir, through, sizeof through, d)) < 0 ||
	    (rc = pending_load(state_dir, &pending, &a, d)) < 0 || (rc = jobs_ids(state_dir, &ids, &n, d)) < 0)
		goto out;
	/* The jobs whose people still wait. */
	while (hmap_next(&pending, &pos, &key, &job))
		if (job && hmap_insert(&referenced, job, job, NULL) < 0)
			rc = diag_set(d, ST_FAIL, "out of memory");
	if (rc < 0 || !(out->ids = calloc(n ? n : 1, sizeof *out->ids))) {
		rc = diag_set(d, ST_FAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		time_t t = id_time(ids[i]);

		if (!keep_s || t < 0 || t > now - (time_t)keep_s)
			continue;
		if (hmap_get(&referenced, ids[i])) {
			out->kept_waiting++;
			continue;
		}
		if (strcmp(ids[i], through) > 0) {
			out->kept_unfolded++;
			continue;
		}
		if (apply) {
			snprintf(path, sizeof path, "%s/jobs/%s.jsonl", state_dir, ids[i]);
			if (unlink(path) < 0 && errno != ENOENT) {
				rc = diag_set(d, ST_INPUT, "deleting %s: %s", path, strerror(errno));
				break;
			}
		}
		out->ids[out->n++] = ids[i];
		ids[i] = NULL;
	}
out:
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	hmap_release(&referenced);
	hmap_release(&pending);
	arena_release(&a);
	return rc;
}
