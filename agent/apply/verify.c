/* The final check of a run that set passwords: the server must force every
 * new one to be changed at first login. What each entry shows
 * (ap_must_change_of) and how the people are checked after the writes,
 * reading them or searching the base, by what costs the server less
 * (ap_verify_must_change). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/apply/apply_internal.h"
#include "agent/base/hmap.h"
#include "agent/base/testhook.h"
#include "agent/text/dn.h"
#include "agent/text/filter.h"

/* The must-change flag of a new password, as the entry shows it: the
 * flavour's flag (pwdReset TRUE; 389-ds: passwordExpirationTime in 1970)
 * and, where the entry names its policy, the configured one (which
 * preflight found to have pwdMustChange TRUE). */
enum verdict ap_must_change_of(struct engine *E, const struct entry *e)
{
	const struct flavour *f = E->cfg->directory.flavour;
	const char *policy = entry_first(e, "pwdPolicySubentry");
	struct buf a = BUF_INIT, b = BUF_INIT;
	int same;

	if (!entry_has_value(e, f->verify_attr, f->verify_value, 1))
		return V_NOT_ENFORCED;
	if (!f->policy_subentry)
		return V_ENFORCED;
	if (!policy)
		return V_NOT_ENFORCED;
	same = dn_normalize(policy, &a) == 0 && dn_normalize(E->cfg->directory.password_policy, &b) == 0 &&
	       strcmp(buf_str(&a), buf_str(&b)) == 0;
	buf_release(&a);
	buf_release(&b);
	return same ? V_ENFORCED : V_NOT_ENFORCED;
}

#define REPLICATION_QUIET 5.0 /* seconds without a missing entry arriving: replication has stalled */
#define REPLICATION_MAX 60.0  /* seconds of waiting for replication at most */

static void rec_verify(struct engine *E, size_t i, const char *status, const char *server)
{
	struct buf *b = record_start(E);

	buf_adds(b, "{\"type\":\"verify\"");
	rec_person(b, act_of(E, i));
	buf_addc(b, ',');
	json_add_member_str(b, "status", status);
	if (server) {
		buf_addc(b, ',');
		json_add_member_str(b, "written_to", server);
	}
	buf_addc(b, '}');
	journal_write(E);
}

static void not_enforced(struct engine *E, size_t i, const char *why)
{
	const struct plan_action *pa = act_of(E, i);

	E->r->not_enforced++;
	log_warn("the directory will not force %s to change the temporary password (%s)", pa->dn, why);
	rec_verify(E, i, "not_enforced", NULL);
}

static const char *flag_missing(const struct engine *E)
{
	return E->cfg->directory.flavour->policy_subentry ? "pwdReset or the policy is missing"
							  : "the server did not expire the password";
}

/* People read one by one at the end of a run (pipelined): the person at
 * who[k] for the k-th DN. Present without the flag is reported; absent is
 * kept in missing when it waits for replication (waiting, or written to
 * another server), else reported. While waiting, found[k] says who was
 * read present. */
struct check {
	struct engine *E;
	const size_t *who;
	size_t *missing, n_missing;
	int waiting;
	unsigned char *found;
};

static void checked(void *arg, size_t k, int rc, const struct entry *e, const struct diag *ed)
{
	struct check *c = arg;
	struct engine *E = c->E;
	size_t i = c->who[k];

	if (rc == 1) {
		if (c->found)
			c->found[k] = 1;
		if (ap_must_change_of(E, e) == V_NOT_ENFORCED)
			not_enforced(E, i, flag_missing(E));
	} else if (rc == 0) {
		if (c->waiting || (E->written_to[i] && strcmp(E->written_to[i], E->uri) != 0))
			c->missing[c->n_missing++] = i;
		else
			not_enforced(E, i, "the entry is not there any more");
	} else {
		log_warn("could not verify the must-change flag of %s: %s", act_of(E, i)->dn, ed->msg);
	}
}

/* Reads the people who[0..n) on the current server (see struct check; the
 * absent go to missing, room for n). Returns 0, or -1 when the reads
 * could not be made (said in a warning): then, while waiting, missing
 * holds everyone not read present; otherwise those found absent so far. */
static int read_people(struct engine *E, const size_t *who, size_t n, int waiting, size_t *missing, size_t *n_missing)
{
	const char *const attrs[] = {E->cfg->directory.flavour->verify_attr, "pwdPolicySubentry", NULL};
	struct check c = {E, who, missing, 0, waiting, NULL};
	const char **dns = calloc(n ? n : 1, sizeof *dns);
	struct diag d;
	size_t k;
	int rc = 0;

	diag_init(&d);
	if (!dns || (waiting && !(c.found = calloc(n ? n : 1, 1)))) {
		log_warn("could not verify the must-change flags: out of memory");
		rc = -1;
		goto out;
	}
	for (k = 0; k < n; k++)
		dns[k] = act_of(E, who[k])->dn;
	if (dir_read_entries(E->a->dir, dns, n, NULL, attrs, E->cfg->directory.window, checked, &c, &d) < 0) {
		log_warn("could not verify the must-change flags: %s", d.msg);
		rc = -1;
	}
out:
	if (rc < 0 && waiting)
		for (c.n_missing = 0, k = 0; k < n; k++)
			if (!c.found || !c.found[k])
				missing[c.n_missing++] = who[k];
	*n_missing = c.n_missing;
	free(c.found);
	free(dns);
	return rc;
}

/* People written to a server that is not the one connected now, and not
 * here yet: replication brings them, unless their server went down before
 * it passed them on. Waits while they keep arriving; the rest are said to
 * be on their way (they reach this server when theirs comes back). */
static void wait_for_replication(struct engine *E, size_t *missing, size_t n)
{
	double start = now(), last_arrival = start;
	size_t k, left, *still = calloc(n ? n : 1, sizeof *still);
	int rc;

	log_info("%zu people written to another server are not on %s yet; waiting for replication", n, E->uri);
	while (still && n && now() - last_arrival < REPLICATION_QUIET && now() - start < REPLICATION_MAX) {
		usleep(500000);
		/* A read that fails leaves those not seen waiting. */
		rc = read_people(E, missing, n, 1, still, &left);
		if (left < n)
			last_arrival = now();
		memcpy(missing, still, left * sizeof *missing);
		n = left;
		if (rc < 0)
			break;
	}
	free(still);
	for (k = 0; k < n; k++) {
		size_t i = missing[k];
		E->r->not_replicated++;
		log_warn("%s was written to %s, which went away before replicating it to %s: it reaches %s when %s is back",
			 act_of(E, i)->dn, E->written_to[i], E->uri, E->uri, E->written_to[i]);
		rec_verify(E, i, "not_replicated", E->written_to[i]);
	}
}

/* --- choosing how to check ----------------------------------------------------

 * Three ways, by what they cost the server, measured against slapd 2.5 with
 * 200,000 people: a search of the base costs about 1.4 us for each entry it
 * scans and 12 us for each it returns; a read of one entry about 80 us.
 *   reads      each person read alone, pipelined: 80n;
 *   flagged    a search for the entries with the flag, and a read of each
 *              person it does not list: 1.4S + 12(F + n), F the flagged
 *              entries the run read before planning, S all entries now;
 *   unflagged  a search for the entries without the flag, after reading
 *              one person per container with the flag as the filter:
 *              1.4S + 12U + 80c, U the entries without the flag (those read
 *              unflagged before planning, and what this run created with
 *              no password: containers, role groups), c the containers.
 * An hourly run that gives a few people a password in a large directory
 * reads them (0.14 s for 2,000 people in 200,000, against 2.1 s for a
 * search that returns every flagged entry); a run that creates most of the
 * directory searches for the few entries without the flag (10,000 new
 * people: 0.01 s, against 0.12-0.22 s for the flagged search, which returns
 * all of them). */
#define COST_READ 80.0
#define COST_SCANNED 1.4
#define COST_RETURNED 12.0

enum way { BY_READS, BY_FLAGGED, BY_UNFLAGGED };

struct costs {
	double reads, flagged, unflagged; /* unflagged < 0: not a way here */
};

/* The entries this run created (all) and those of them with no password. */
static void created(const struct engine *E, size_t *all, size_t *bare)
{
	size_t i;

	*all = *bare = 0;
	for (i = 0; i < E->plan->n_actions; i++) {
		enum plan_op op = E->plan->actions[i].op;
		if ((op == OP_CREATE_PERSON || op == OP_CREATE_ACCOUNT || op == OP_CREATE_ROLE) &&
		    E->a->outcome[i] == OUT_DONE) {
			(*all)++;
			*bare += !pwstore_has(E->a->passwords, i);
		}
	}
}

/* Whether a search for the entries without the flag can stand for reading
 * who[0..n): each was written to this server (it is here, with nothing to
 * wait for from replication) and lies under the base. Then probe[] gets
 * the first person of each container (DNs compared as written, which may
 * read a container twice) and their number is returned; else 0. */
static size_t probes_of(const struct engine *E, const size_t *who, size_t n, size_t *probe)
{
	struct hmap parents;
	size_t k, n_probes = 0;

	hmap_init(&parents, HMAP_ICASE);
	for (k = 0; k < n; k++) {
		const char *dn = E->plan->actions[who[k]].dn, *parent = dn_parent(dn);
		const char *to = E->written_to[who[k]];
		int rc;
		if ((to && strcmp(to, E->uri) != 0) || !parent || !dn_is_under(dn, E->cfg->directory.base) ||
		    (rc = hmap_insert(&parents, parent, NULL, NULL)) < 0) {
			n_probes = 0;
			break;
		}
		if (rc == 1)
			probe[n_probes++] = who[k];
	}
	hmap_release(&parents);
	return n_probes;
}

/* The cheapest way to check who[0..n) (probe[]: see probes_of). */
static enum way cheapest(const struct engine *E, const size_t *who, size_t n, size_t *probe, size_t *n_probes,
			 struct costs *c)
{
	const struct apply *A = E->a;
	const struct flavour *f = E->cfg->directory.flavour;
	size_t i, all, bare, flagged = 0;
	const char *by;
	double scan;

	*n_probes = 0;
	c->reads = COST_READ * (double)n;
	c->flagged = c->unflagged = -1;
	if ((by = testhook_verify_by())) { /* test builds: the way named, where it is open */
		c->flagged = 0; /* after a probe that failed, the search for the flagged */
		if (strcmp(by, "unflagged") == 0 && (*n_probes = probes_of(E, who, n, probe)))
			return BY_UNFLAGGED;
		return strcmp(by, "reads") == 0 ? BY_READS : BY_FLAGGED;
	}
	if (!A->n_entries)
		return BY_FLAGGED; /* the directory's size is not known */
	created(E, &all, &bare);
	scan = COST_SCANNED * (double)(A->n_entries + all);
	if (c->reads <= scan)
		return BY_READS; /* cheaper than any search */
	for (i = 0; i < A->n_entries; i++)
		flagged += entry_has_value(&A->entries[i], f->verify_attr, f->verify_value, 1) != 0;
	c->flagged = scan + COST_RETURNED * (double)(flagged + n);
	c->unflagged = scan + COST_RETURNED * (double)(A->n_entries - flagged + bare);
	if (c->unflagged < c->reads && c->unflagged < c->flagged && (*n_probes = probes_of(E, who, n, probe)))
		c->unflagged += COST_READ * (double)*n_probes;
	else
		c->unflagged = -1;
	if (c->unflagged >= 0 && c->unflagged < c->reads && c->unflagged < c->flagged)
		return BY_UNFLAGGED;
	return c->reads < c->flagged ? BY_READS : BY_FLAGGED;
}

/* --- the searches ------------------------------------------------------------------ */

/* The flavour's flag as a filter, under the configured policy where
 * entries name one: (&(pwdReset=TRUE)(pwdPolicySubentry=cn=...)). */
static void flag_filter(const struct engine *E, struct buf *filter)
{
	const struct flavour *f = E->cfg->directory.flavour;

	buf_printf(filter, "(&(%s=", f->verify_attr);
	filter_escape_value(filter, f->verify_value, strlen(f->verify_value));
	buf_adds(filter, ")");
	if (f->policy_subentry) {
		buf_adds(filter, "(pwdPolicySubentry=");
		filter_escape_value(filter, E->cfg->directory.password_policy, strlen(E->cfg->directory.password_policy));
		buf_adds(filter, ")");
	}
	buf_adds(filter, ")");
}

/* The names of the entries under the base that match filter, in found:
 * keyed by the DN as the directory compares it (a plain DN stands for
 * itself, compared without case; others are normalized into l's arena).
 * Returns 0, or -1 with d set. */
static int search_names(struct engine *E, const char *filter, struct entry_list *l, struct hmap *found,
			struct diag *d)
{
	/* Only the names: the server compares the policy DN as a DN. */
	static const char *const attrs[] = {"1.1", NULL};
	struct buf dn = BUF_INIT;
	size_t i;
	int rc = 0;

	if (dir_read(E->a->dir, E->cfg->directory.base, SCOPE_SUB, filter, attrs, E->cfg->directory.page_size, l, d) < 0)
		return -1;
	for (i = 0; i < l->n && rc == 0; i++) {
		const char *key = l->v[i].dn;
		buf_reset(&dn);
		if (!dn_is_plain(key)) {
			if (dn_normalize(key, &dn) != 0)
				continue;
			key = arena_strdup(l->arena, buf_str(&dn));
		}
		if (hmap_insert(found, key, (void *)1, NULL) < 0)
			rc = diag_set(d, ST_FAIL, "out of memory");
	}
	buf_release(&dn);
	return rc;
}

/* Whether the search_names map holds dn. */
static int listed(const struct hmap *found, const char *dn, struct buf *scratch)
{
	if (dn_is_plain(dn))
		return hmap_get(found, dn) != NULL;
	buf_reset(scratch);
	return dn_normalize(dn, scratch) == 0 && hmap_get(found, buf_str(scratch)) != NULL;
}

/* Lists the people of who[0..n) that a search of the base finds flagged:
 * they are dropped from who, *n becomes the number left. Returns 0, or -1
 * when the search failed (said in a warning; who is then unchanged). */
static int drop_flagged(struct engine *E, size_t *who, size_t *n)
{
	struct entry_list l;
	struct arena a;
	struct hmap flagged;
	struct buf filter = BUF_INIT, scratch = BUF_INIT;
	struct diag d;
	size_t i, left = 0;
	int rc = 0;

	arena_init(&a);
	entry_list_init(&l, &a);
	hmap_init(&flagged, HMAP_ICASE);
	diag_init(&d);
	flag_filter(E, &filter);
	if (search_names(E, buf_str(&filter), &l, &flagged, &d) < 0) {
		log_warn("could not verify the must-change flags: %s", d.msg);
		rc = -1;
		goto out;
	}
	for (i = 0; i < *n; i++)
		if (!listed(&flagged, act_of(E, who[i])->dn, &scratch))
			who[left++] = who[i];
	*n = left;
out:
	buf_release(&scratch);
	buf_release(&filter);
	hmap_release(&flagged);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

struct probe {
	size_t failed, first; /* how many probes were not found flagged, and the first of them (k) */
};

static void probed(void *arg, size_t k, int rc, const struct entry *e, const struct diag *ed)
{
	struct probe *p = arg;

	(void)e;
	(void)ed;
	if (rc != 1 && !p->failed++)
		p->first = k;
}

/* Checks who[0..n) with one search of the base for the entries without the
 * flag: each person it lists is said not to be forced; the others are. The
 * server returns an entry only where it could evaluate the filter as true,
 * so an entry whose flag this account may not search would pass unseen:
 * first the probes (one person per container) are read with the flag as
 * the filter, and each must come back, showing that the flag can be
 * searched there and is set. Returns 0 when done; 1 when a probe did not
 * come back or a read or the search failed (the caller checks another
 * way; said in a debug line). */
static int search_unflagged(struct engine *E, const size_t *who, size_t n, const size_t *probe, size_t n_probes)
{
	const char *const attrs[] = {"1.1", NULL};
	struct probe p = {0, 0};
	struct entry_list l;
	struct arena a;
	struct hmap unflagged;
	struct buf filter = BUF_INIT, scratch = BUF_INIT;
	const char **dns = calloc(n_probes ? n_probes : 1, sizeof *dns);
	struct diag d;
	size_t k;
	int rc = 1;

	arena_init(&a);
	entry_list_init(&l, &a);
	hmap_init(&unflagged, HMAP_ICASE);
	diag_init(&d);
	if (!dns)
		goto out;
	for (k = 0; k < n_probes; k++)
		dns[k] = act_of(E, probe[k])->dn;
	flag_filter(E, &filter);
	if (dir_read_entries(E->a->dir, dns, n_probes, buf_str(&filter), attrs, E->cfg->directory.window, probed, &p,
			     &d) < 0) {
		log_debug("not searching for the entries without the must-change flag: %s", d.msg);
		goto out;
	}
	if (p.failed) {
		log_debug("not searching for the entries without the must-change flag: %s does not show it to a search "
			  "for it (%zu of %zu people read first)",
			  dns[p.first], p.failed, n_probes);
		goto out;
	}
	buf_reset(&filter);
	buf_adds(&filter, "(!");
	flag_filter(E, &filter);
	buf_adds(&filter, ")");
	if (search_names(E, buf_str(&filter), &l, &unflagged, &d) < 0) {
		log_debug("the search for the entries without the must-change flag failed: %s", d.msg);
		goto out;
	}
	rc = 0;
	log_debug("%zu entries under the base are without the must-change flag", l.n);
	for (k = 0; unflagged.size && k < n; k++)
		if (listed(&unflagged, act_of(E, who[k])->dn, &scratch))
			not_enforced(E, who[k], flag_missing(E));
out:
	free(dns);
	buf_release(&scratch);
	buf_release(&filter);
	hmap_release(&unflagged);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* After the writes: every person who got a password must be one the server
 * will force to change it, that is with pwdReset: TRUE under the configured
 * policy (checked to have pwdMustChange: TRUE before the run).
 *
 * With several servers, the one that took each write said so in its answer
 * (post-read) or when the entry was read back. Then, on the current server,
 * the cheapest way (see cheapest): each person read; or a search of the
 * base for the flagged entries, and whoever it does not list read alone;
 * or, when everyone was written to this server, a search for the entries
 * without the flag. Present without the flag is a real failure; absent is
 * a write that another server took and has not replicated here yet (after
 * a failover), which is waited for and, failing that, said, never taken
 * for a missing flag. (Someone who deletes or renames a new entry before
 * the check is seen by the reads, not by the search for the unflagged.) */
void ap_verify_must_change(struct engine *E)
{
	size_t n = E->plan->n_actions, i, checked_n = 0, n_who = 0, n_probes = 0;
	size_t *who = NULL, *missing = NULL, *probe = NULL, n_missing = 0;
	const char *how = "no search";
	struct costs c;
	enum way way;

	if (!E->cfg->passwords.must_change)
		return;
	if (!(who = calloc(n ? n : 1, sizeof *who)) || !(missing = calloc(n ? n : 1, sizeof *missing)) ||
	    !(probe = calloc(n ? n : 1, sizeof *probe))) {
		log_warn("could not verify the must-change flags: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!pwstore_has(E->a->passwords, i))
			continue;
		checked_n++;
		if (E->verdict[i] == V_NOT_ENFORCED)
			not_enforced(E, i, "the server that took the password did not flag it for change");
		else
			who[n_who++] = i;
	}
	way = n_who ? cheapest(E, who, n_who, probe, &n_probes, &c) : BY_READS;
	if (way == BY_UNFLAGGED) {
		if (search_unflagged(E, who, n_who, probe, n_probes) == 0) {
			how = "one search of the base for the entries without it";
			n_who = n_probes;
			goto done;
		}
		way = c.reads < c.flagged ? BY_READS : BY_FLAGGED;
	}
	if (way == BY_FLAGGED) {
		if (drop_flagged(E, who, &n_who) < 0)
			goto out;
		how = "one search of the base";
	}
	/* A read that fails still leaves those found missing to wait for. */
	if (n_who)
		read_people(E, who, n_who, 0, missing, &n_missing);
	if (n_missing)
		wait_for_replication(E, missing, n_missing);
done:
	log_debug("verified the must-change flag of %zu people: %s, %zu read alone", checked_n, how, n_who);
out:
	free(who);
	free(missing);
	free(probe);
}
