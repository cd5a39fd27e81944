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
	if (dir_read_entries(E->a->dir, dns, n, attrs, E->cfg->directory.window, checked, &c, &d) < 0) {
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

/* Whether the final check reads the n people one by one (pipelined)
 * rather than searching the base for the flagged entries. Measured against
 * slapd 2.5 with 200,000 people: the search costs the server about 1.4 us
 * for each entry it scans and 12 us for each it returns (every password
 * still to be changed, this run's or older ones); a read, about 80 us. So
 * reading is cheaper when 80n < 1.4E + 12(F + n), that is 48n < E + 8.6F,
 * with E the entries and F the flagged ones the run read before planning.
 * An hourly run that gives a few people a password in a large directory
 * reads them (0.14 s for 2,000 people in 200,000, against 2.1 s for the
 * search); a run that creates most of the directory searches. */
static int read_alone(const struct engine *E, size_t n)
{
	const struct apply *A = E->a;
	const struct flavour *f = E->cfg->directory.flavour;
	size_t i, flagged = 0;

	if (!A->n_entries)
		return 0; /* not known */
	if (n * 48 < A->n_entries)
		return 1; /* cheaper however many are flagged */
	for (i = 0; i < A->n_entries; i++)
		flagged += entry_has_value(&A->entries[i], f->verify_attr, f->verify_value, 1) != 0;
	return n * 48 < A->n_entries + 8 * flagged;
}

/* Lists the people of who[0..n) that a search of the base finds flagged
 * (the flavour's flag and, where entries name one, the configured policy):
 * they are dropped from who, *n becomes the number left. Returns 0, or -1
 * when the search failed (who is then unchanged). */
static int drop_flagged(struct engine *E, size_t *who, size_t *n)
{
	/* Only the names: the server compares the policy DN as a DN. */
	static const char *const attrs[] = {"1.1", NULL};
	const struct flavour *f = E->cfg->directory.flavour;
	struct entry_list l;
	struct arena a;
	struct hmap flagged;
	struct buf dn = BUF_INIT, filter = BUF_INIT;
	struct diag d;
	size_t i, left = 0;
	int rc = 0;

	arena_init(&a);
	entry_list_init(&l, &a);
	hmap_init(&flagged, 0);
	diag_init(&d);
	buf_printf(&filter, "(&(%s=", f->verify_attr);
	filter_escape_value(&filter, f->verify_value, strlen(f->verify_value));
	buf_adds(&filter, ")");
	if (f->policy_subentry) {
		buf_adds(&filter, "(pwdPolicySubentry=");
		filter_escape_value(&filter, E->cfg->directory.password_policy, strlen(E->cfg->directory.password_policy));
		buf_adds(&filter, ")");
	}
	buf_adds(&filter, ")");
	if (dir_read(E->a->dir, E->cfg->directory.base, SCOPE_SUB, buf_str(&filter), attrs,
		     E->cfg->directory.page_size, &l, &d) < 0) {
		log_warn("could not verify the must-change flags: %s", d.msg);
		rc = -1;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		buf_reset(&dn);
		if (dn_normalize(l.v[i].dn, &dn) == 0)
			hmap_insert(&flagged, arena_strdup(&a, buf_str(&dn)), (void *)1, NULL);
	}
	for (i = 0; i < *n; i++) {
		buf_reset(&dn);
		if (dn_normalize(act_of(E, who[i])->dn, &dn) != 0 || !hmap_get(&flagged, buf_str(&dn)))
			who[left++] = who[i];
	}
	*n = left;
out:
	buf_release(&dn);
	buf_release(&filter);
	hmap_release(&flagged);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

/* After the writes: every person who got a password must be one the server
 * will force to change it, that is with pwdReset: TRUE under the configured
 * policy (checked to have pwdMustChange: TRUE before the run).
 *
 * With several servers, the one that took each write said so in its answer
 * (post-read) or when the entry was read back. Then, on the current server:
 * a search of the base lists the flagged entries and whoever it does not
 * list is read alone, or, when that is cheaper for the server, each one is
 * read (read_alone). Present without the flag
 * is a real failure; absent is a write that another server took and has
 * not replicated here yet (after a failover), which is waited for and,
 * failing that, said, never taken for a missing flag. */
void ap_verify_must_change(struct engine *E)
{
	size_t n = E->plan->n_actions, i, checked_n = 0, n_who = 0, *who = NULL, *missing = NULL, n_missing = 0;
	int searched = 0;

	if (!E->cfg->passwords.must_change)
		return;
	if (!(who = calloc(n ? n : 1, sizeof *who)) || !(missing = calloc(n ? n : 1, sizeof *missing))) {
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
	if (n_who && !read_alone(E, n_who)) {
		if (drop_flagged(E, who, &n_who) < 0)
			goto out;
		searched = 1;
	}
	/* A read that fails still leaves those found missing to wait for. */
	if (n_who)
		read_people(E, who, n_who, 0, missing, &n_missing);
	if (n_missing)
		wait_for_replication(E, missing, n_missing);
	log_debug("verified the must-change flag of %zu people: %s, %zu read alone", checked_n,
		  searched ? "one search of the base" : "no search", n_who);
out:
	free(who);
	free(missing);
}
