/* Unit tests for the planner (agent/plan/plan.c and plan_row.c), from plain
 * tables: a real configuration loaded from YAML, source records built by
 * hand and directory entries built by hand. No LDAP, no mail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/hmap.h"
#include "agent/base/record.h"
#include "agent/plan/plan.h"
#include "agent/plan/plan_admin.h"
#include "agent/plan/plan_format.h"
#include "config/config.h"
#include "tests/unit/scratch.h"

#define BASE "dc=example,dc=com"
#define ROLES "ou=roles," BASE
#define ACME "ou=Acme," BASE
#define JDOE_DN "uid=jdoe," ACME
#define STANDARD_DN "cn=Acme Standard User," ROLES
#define LOCKED "000001010000Z" /* openldap's lock */

static const char config_yaml[] =
	"directory:\n"
	"  uri: ldap://localhost\n"
	"  bind_dn: cn=admin," BASE "\n"
	"  bind_password_file: bind.pw\n"
	"  base: " BASE "\n"
	"  password_policy: cn=default,ou=policies," BASE "\n"
	"source:\n"
	"  type: csv\n"
	"  path: users.csv\n"
	"  key: Username\n"
	"accounts:\n"
	"  dn: \"ou={Account},{base}\"\n"
	"  create_missing: true\n"
	"people:\n"
	"  dn: \"uid={Username},ou={Account},{base}\"\n"
	"  object_classes: [inetOrgPerson]\n"
	"  required: [Username, LastName, Account]\n"
	"  attributes:\n"
	"    uid: \"{Username}\"\n"
	"    cn: \"{FirstName} {LastName}\"\n"
	"    givenName: \"{FirstName}\"\n"
	"    sn: \"{LastName}\"\n"
	"    mail: \"{Email}\"\n"
	"  update: [cn, givenName, sn, mail]\n"
	"  absent: disable\n"
	"roles:\n"
	"  column: Role\n"
	"  dn: \"cn={role},ou=roles,{base}\"\n"
	"  object_classes: [groupOfNames]\n"
	"  member_attribute: member\n"
	"  map:\n"
	"    \"Customer Manager\": \"{Account} Customer Manager\"\n"
	"  default: \"{Account} Standard User\"\n"
	"  unknown: reject\n"
	"  create_missing: true\n"
	"notify:\n"
	"  smtp:\n"
	"    url: smtp://localhost:2525\n"
	"    starttls: off\n"
	"    allow_insecure: true\n"
	"  from: \"Example IT <it@example.com>\"\n"
	"  login_url: https://portal.example.com/login\n";

/* --- the configuration, loaded once --------------------------------------------- */

struct suite {
	char dir[128];
	struct config *cfg;
};

static struct suite S;

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fchmod(fd, mode) == 0;
	return close(fd) == 0 && ok ? 0 : -1;
}

static int suite_setup(void **state)
{
	struct strlist errors = {0};
	char path[256];
	size_t i;

	(void)state;
	if (scratch_dir_make(S.dir, sizeof S.dir, "plan") < 0)
		return -1;
	if (write_file(S.dir, "bind.pw", "secret\n", 0600) < 0 ||
	    write_file(S.dir, "ldapenroll.yaml", config_yaml, 0600) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/ldapenroll.yaml", S.dir);
	if (config_load(path, &S.cfg, &errors) != 0) {
		for (i = 0; i < errors.n; i++)
			fprintf(stderr, "%s\n", errors.items[i]);
		strlist_free(&errors);
		return -1;
	}
	strlist_free(&errors);
	return 0;
}

static int suite_teardown(void **state)
{
	(void)state;
	config_free(S.cfg);
	scratch_dir_remove(S.dir);
	return 0;
}

static int slot(const char *column)
{
	size_t i;

	for (i = 0; i < S.cfg->columns.n; i++)
		if (strcmp(S.cfg->columns.items[i], column) == 0)
			return (int)i;
	fail_msg("no column %s in the config", column);
	return -1;
}

/* --- a world: records and entries --------------------------------------------------- */

#define MAX_RECORDS 1500

struct world {
	struct arena a;
	struct entry_list dir;
	struct record *recs[MAX_RECORDS];
	size_t n_recs;
	int offline;
	struct plan *plan;
	struct diag d;
};

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);

	if (!w)
		return -1;
	arena_init(&w->a);
	entry_list_init(&w->dir, &w->a);
	diag_init(&w->d);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	plan_free(w->plan);
	entry_list_release(&w->dir);
	arena_release(&w->a);
	free(w);
	return 0;
}

static void set_field(struct record *r, const char *column, const char *value, struct arena *a)
{
	int s = slot(column);

	if (s >= 0) /* slot() failed the test otherwise */
		r->fields[s] = value ? arena_strdup(a, value) : NULL;
}

/* A source row (NULL: the column is absent). */
static struct record *add_row(struct world *w, unsigned line, const char *user, const char *first, const char *last,
			      const char *email, const char *account, const char *role)
{
	struct record *r = record_new(&w->a, S.cfg->columns.n);

	assert_non_null(r);
	assert_true(w->n_recs < MAX_RECORDS);
	r->line = line;
	set_field(r, "Username", user, &w->a);
	set_field(r, "FirstName", first, &w->a);
	set_field(r, "LastName", last, &w->a);
	set_field(r, "Email", email, &w->a);
	set_field(r, "Account", account, &w->a);
	set_field(r, "Role", role, &w->a);
	w->recs[w->n_recs++] = r;
	return r;
}

static struct entry *add_entry(struct world *w, const char *dn, const char *object_class)
{
	struct entry *e = entry_list_add(&w->dir, dn);

	assert_non_null(e);
	assert_int_equal(entry_add_attr(&w->dir, e, "objectClass", &object_class, 1), 0);
	return e;
}

static void add_attr(struct world *w, struct entry *e, const char *name, const char *value)
{
	assert_int_equal(entry_add_attr(&w->dir, e, name, &value, 1), 0);
}

/* A managed person as the planner would have created them (lock: NULL or
 * a pwdAccountLockedTime value). */
static struct entry *add_person(struct world *w, const char *dn, const char *uid, const char *first,
				const char *last, const char *cn, const char *mail, const char *lock)
{
	struct entry *e = add_entry(w, dn, "inetOrgPerson");

	add_attr(w, e, "uid", uid);
	add_attr(w, e, "cn", cn);
	add_attr(w, e, "givenName", first);
	add_attr(w, e, "sn", last);
	if (mail)
		add_attr(w, e, "mail", mail);
	if (lock)
		add_attr(w, e, "pwdAccountLockedTime", lock);
	return e;
}

static struct entry *add_group(struct world *w, const char *dn, const char *const *members, size_t n)
{
	struct entry *e = add_entry(w, dn, "groupOfNames");

	if (n)
		assert_int_equal(entry_add_attr(&w->dir, e, "member", members, n), 0);
	return e;
}

/* The base and the roles container. */
static void add_containers(struct world *w, int with_roles, int with_acme)
{
	add_entry(w, BASE, "dcObject");
	if (with_roles)
		add_entry(w, ROLES, "organizationalUnit");
	if (with_acme)
		add_entry(w, ACME, "organizationalUnit");
}

/* The plan in its three forms, for comparing two plans. */
static char *plan_text(const struct plan *p)
{
	static const enum plan_format formats[] = {PLAN_JSON, PLAN_TEXT, PLAN_LDIF};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	for (i = 0; i < sizeof formats / sizeof *formats; i++)
		assert_int_equal(plan_write(f, formats[i], p, S.cfg, "sync", NULL), 0);
	fclose(f);
	return text;
}

/* The session (plan_session_*) fed the entries k at a time, each time in a
 * new array (as a read's grows and moves), must give plan_build's result,
 * byte for byte in every form. */
static void assert_session_same(const struct plan_input *in, int rc_build, const struct plan *built)
{
	static const size_t pages[] = {1, 2, 3, 7, 64};
	char *want = rc_build == 0 ? plan_text(built) : NULL;
	size_t k;

	for (k = 0; k < sizeof pages / sizeof *pages; k++) {
		struct plan_input start = *in, end = *in;
		struct plan_session *s;
		struct entry *v = NULL;
		struct plan *p = NULL;
		struct diag d;
		size_t n = 0;
		int rc;

		start.entries = NULL;
		start.n_entries = 0;
		assert_non_null(s = plan_session_new(&start));
		while (n < in->n_entries) {
			size_t more = in->n_entries - n < pages[k] ? in->n_entries - n : pages[k];
			struct entry *t = malloc((n + more) * sizeof *t);
			assert_non_null(t);
			if (n)
				memcpy(t, v, n * sizeof *t);
			memcpy(t + n, in->entries + n, more * sizeof *t);
			free(v); /* a pointer kept into the old array is a use after free */
			v = t;
			n += more;
			plan_session_feed(s, v, n);
		}
		end.entries = v;
		end.n_entries = n;
		diag_init(&d);
		rc = plan_session_finish(s, &end, &p, &d);
		if (rc != rc_build)
			fail_msg("%zu at a time: %d (%s), plan_build %d", pages[k], rc, d.msg, rc_build);
		if (rc == 0) {
			char *got = plan_text(p);
			if (strcmp(got, want) != 0)
				fail_msg("%zu at a time, the plan differs:\n%s\n--- plan_build:\n%s", pages[k], got, want);
			free(got);
		}
		plan_free(p);
		free(v);
	}
	free(want);
}

static int build(struct world *w)
{
	struct plan_input in;
	int rc;

	memset(&in, 0, sizeof in);
	in.cfg = S.cfg;
	in.records = w->recs;
	in.n_records = w->n_recs;
	in.entries = w->dir.v;
	in.n_entries = w->dir.n;
	in.source = "users.csv";
	in.offline = w->offline;
	plan_free(w->plan);
	w->plan = NULL;
	diag_init(&w->d);
	rc = plan_build(&in, &w->plan, &w->d);
	/* Every case also as the directory is read. */
	if (!w->offline)
		assert_session_same(&in, rc, w->plan);
	return rc;
}

static void build_ok(struct world *w)
{
	int rc = build(w);

	if (rc != 0)
		fail_msg("plan_build: %d %s", rc, w->d.msg);
	assert_non_null(w->plan);
}

/* The n-th action of op (0-based), or NULL. */
static const struct plan_action *action(const struct plan *p, enum plan_op op, size_t n)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].op == op && n-- == 0)
			return &p->actions[i];
	return NULL;
}

static const struct plan_action *action_on(const struct plan *p, enum plan_op op, const char *dn)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++)
		if (p->actions[i].op == op && strcasecmp(p->actions[i].dn, dn) == 0)
			return &p->actions[i];
	return NULL;
}

static const struct plan_attr *attr_of(const struct plan_action *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_attrs; i++)
		if (strcasecmp(a->attrs[i].name, name) == 0)
			return &a->attrs[i];
	return NULL;
}

static void assert_attr1(const struct plan_action *a, const char *name, const char *value)
{
	const struct plan_attr *at = attr_of(a, name);

	if (!at)
		fail_msg("%s has no attribute %s", a->dn, name);
	assert_int_equal(at->n, 1);
	assert_string_equal(at->values[0], value);
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)", part);
}

/* The rejection of the row on line, which must exist. */
static const struct plan_reject *rejected(const struct plan *p, unsigned line)
{
	size_t i;

	for (i = 0; i < p->n_rejected; i++)
		if (p->rejected[i].line == line)
			return &p->rejected[i];
	fail_msg("line %u is not rejected", line);
	return NULL;
}

/* --- new people ------------------------------------------------------------------------ */

static void new_person_with_default_role(void **state)
{
	struct world *w = *state;
	const struct plan_action *acct, *person, *role;
	const struct plan *p;

	add_containers(w, 1, 0);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	p = w->plan;

	assert_int_equal(p->n_records, 1);
	assert_int_equal(p->n_rejected, 0);
	assert_int_equal(p->n_actions, 3);
	assert_true(plan_has_changes(p));
	/* In execution order: the container, the person, the group. */
	assert_int_equal(p->actions[0].op, OP_CREATE_ACCOUNT);
	assert_int_equal(p->actions[1].op, OP_CREATE_PERSON);
	assert_int_equal(p->actions[2].op, OP_CREATE_ROLE);

	acct = &p->actions[0];
	assert_string_equal(acct->dn, ACME);
	assert_string_equal(acct->account, "Acme");
	assert_string_equal(acct->reason, "needed by line 2");
	assert_attr1(acct, "ou", "Acme");
	assert_string_equal(attr_of(acct, "objectClass")->values[0], "organizationalUnit");

	person = &p->actions[1];
	assert_string_equal(plan_op_name(person->op), "create_person");
	assert_string_equal(person->dn, JDOE_DN);
	assert_string_equal(person->key, "jdoe");
	assert_int_equal(person->line, 2);
	assert_string_equal(person->reason, "not in the directory");
	assert_string_equal(person->role, "Acme Standard User");
	assert_string_equal(person->role_dn, STANDARD_DN);
	assert_int_equal(person->role_origin, ROLE_DEFAULT);
	assert_string_equal(role_origin_name(person->role_origin), "default");
	assert_string_equal(person->email, "john@example.com");
	assert_int_equal(person->n_messages, 3);
	assert_string_equal(person->username, "jdoe");
	assert_string_equal(person->first_name, "John");
	assert_string_equal(person->last_name, "Doe");
	assert_string_equal(person->account, "Acme");
	assert_string_equal(person->attrs[0].name, "objectClass");
	assert_string_equal(person->attrs[0].values[0], "inetOrgPerson");
	assert_attr1(person, "uid", "jdoe");
	assert_attr1(person, "cn", "John Doe");
	assert_attr1(person, "givenName", "John");
	assert_attr1(person, "sn", "Doe");
	assert_attr1(person, "mail", "john@example.com");
	assert_ptr_equal(person->rec, w->recs[0]);

	role = &p->actions[2];
	assert_string_equal(role->dn, STANDARD_DN);
	assert_string_equal(role->role, "Acme Standard User");
	assert_int_equal(role->n_members, 1);
	assert_attr1(role, "cn", "Acme Standard User");
	assert_string_equal(attr_of(role, "objectClass")->values[0], "groupOfNames");

	/* The summary. */
	assert_int_equal(p->counts[OP_CREATE_ACCOUNT], 1);
	assert_int_equal(p->counts[OP_CREATE_PERSON], 1);
	assert_int_equal(p->counts[OP_CREATE_ROLE], 1);
	assert_int_equal(p->counts[OP_DISABLE_PERSON], 0);
	assert_int_equal(p->n_messages, 3);
	assert_int_equal(p->n_manual, 0);
	assert_int_equal(p->n_unchanged, 0);
	assert_string_equal(p->source, "users.csv");
}

static void role_from_map(void **state)
{
	struct world *w = *state;
	const struct plan_action *person;

	add_containers(w, 1, 1);
	add_row(w, 2, "cm", "Carla", "Manager", "carla@example.com", "Acme", " Customer Manager ");
	build_ok(w);
	person = action(w->plan, OP_CREATE_PERSON, 0);
	assert_non_null(person);
	assert_string_equal(person->role, "Acme Customer Manager");
	assert_int_equal(person->role_origin, ROLE_MAP);
	assert_string_equal(role_origin_name(person->role_origin), "map");
	assert_string_equal(person->role_dn, "cn=Acme Customer Manager," ROLES);
	/* The account exists: not created again. */
	assert_int_equal(w->plan->counts[OP_CREATE_ACCOUNT], 0);
	assert_non_null(action_on(w->plan, OP_CREATE_ROLE, "cn=Acme Customer Manager," ROLES));
}

static void one_account_and_role_for_many_people(void **state)
{
	struct world *w = *state;
	const struct plan_action *role;

	add_containers(w, 1, 0);
	add_row(w, 2, "a1", "A", "One", "a1@example.com", "Acme", "");
	add_row(w, 3, "a2", "A", "Two", "a2@example.com", "Acme", "");
	add_row(w, 4, "a3", "A", "Three", "a3@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_ACCOUNT], 1);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 3);
	assert_int_equal(w->plan->counts[OP_CREATE_ROLE], 1);
	role = action(w->plan, OP_CREATE_ROLE, 0);
	assert_int_equal(role->n_members, 3);
	assert_int_equal(w->plan->n_messages, 9);
	/* Source order is kept within an operation. */
	assert_string_equal(action(w->plan, OP_CREATE_PERSON, 0)->key, "a1");
	assert_string_equal(action(w->plan, OP_CREATE_PERSON, 2)->key, "a3");
}

/* Many accounts and roles, each combination on two rows (the second time
 * a copy of the text for the account, the same string for the role): the
 * second row of a combination takes what the first came to (and the memo
 * grows past its first size); every person still gets their own account
 * and group. */
static void many_accounts_and_roles(void **state)
{
	struct world *w = *state;
	static char accounts[300][16];
	static const char *const roles[] = {"", "Customer Manager"};
	int account_slot = slot("Account"), role_slot = slot("Role");
	size_t i, k;

	w->offline = 1;
	for (i = 0; i < 300; i++)
		snprintf(accounts[i], sizeof accounts[i], "Acct%03zu", i);
	for (i = 0; i < 1200; i++) {
		char user[16];
		struct record *r;
		snprintf(user, sizeof user, "u%04zu", i);
		r = add_row(w, (unsigned)i + 2, user, "A", "B", NULL, "x", "x");
		r->fields[account_slot] = i < 600 ? accounts[i % 300] : arena_strdup(&w->a, accounts[i % 300]);
		r->fields[role_slot] = roles[(i / 300) % 2];
	}
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 1200);
	assert_int_equal(w->plan->counts[OP_CREATE_ACCOUNT], 300);
	assert_int_equal(w->plan->counts[OP_CREATE_ROLE], 600);
	for (k = 0; k < 600; k++)
		assert_int_equal(action(w->plan, OP_CREATE_ROLE, k)->n_members, 2);
	for (k = 0; k < 1200; k++) {
		const struct plan_action *a = action(w->plan, OP_CREATE_PERSON, k);
		size_t row = a->line - 2;
		char want[128];
		snprintf(want, sizeof want, "cn=%s %s,ou=roles," BASE, accounts[row % 300],
			 (row / 300) % 2 ? "Customer Manager" : "Standard User");
		assert_string_equal(a->role_dn, want);
		assert_string_equal(a->account, accounts[row % 300]);
		snprintf(want, sizeof want, "uid=u%04zu,ou=%s," BASE, row, accounts[row % 300]);
		assert_string_equal(a->dn, want);
	}
}

/* Actions come out grouped by operation in execution order, each group in
 * source order, however the rows interleave them. */
static void interleaved_actions_are_ordered(void **state)
{
	struct world *w = *state;
	char key[16], account[16];
	unsigned i;
	size_t k;

	add_containers(w, 1, 0);
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof key, "u%02u", i);
		snprintf(account, sizeof account, "Acct%u", (i * 7) % 9);
		add_row(w, i + 2, key, "A", "B", "a@example.com", account, i % 3 ? "" : "Customer Manager");
	}
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_ACCOUNT], 9);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 40);
	assert_int_equal(w->plan->counts[OP_CREATE_ROLE], 9); /* Standard User in 6 accounts, Customer Manager in 3 */
	for (k = 1; k < w->plan->n_actions; k++)
		assert_true(w->plan->actions[k - 1].op <= w->plan->actions[k].op);
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof key, "u%02u", i);
		assert_string_equal(action(w->plan, OP_CREATE_PERSON, i)->key, key);
	}
	/* The accounts in the order the rows first need them. */
	for (i = 0; i < 9; i++) {
		snprintf(account, sizeof account, "ou=Acct%u,", (i * 7) % 9);
		assert_memory_equal(action(w->plan, OP_CREATE_ACCOUNT, i)->dn, account, strlen(account));
	}
}

/* Values with DN special characters are escaped in every DN and kept raw
 * in the attributes. */
static void special_characters_in_account_and_names(void **state)
{
	struct world *w = *state;
	const struct plan_action *acct, *person, *role;

	add_containers(w, 1, 0);
	add_row(w, 2, "jdoe", "John", "Doe, Jr.", "john@example.com", "Acme, Inc", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 0);
	acct = action(w->plan, OP_CREATE_ACCOUNT, 0);
	assert_non_null(acct);
	assert_string_equal(acct->dn, "ou=Acme\\, Inc," BASE);
	assert_attr1(acct, "ou", "Acme, Inc");
	person = action(w->plan, OP_CREATE_PERSON, 0);
	assert_non_null(person);
	assert_string_equal(person->dn, "uid=jdoe,ou=Acme\\, Inc," BASE);
	assert_attr1(person, "cn", "John Doe, Jr.");
	assert_attr1(person, "sn", "Doe, Jr.");
	assert_string_equal(person->role, "Acme, Inc Standard User");
	assert_string_equal(person->role_dn, "cn=Acme\\, Inc Standard User," ROLES);
	role = action(w->plan, OP_CREATE_ROLE, 0);
	assert_non_null(role);
	assert_attr1(role, "cn", "Acme, Inc Standard User");
}

static void existing_role_group_not_created_again(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {"uid=someone,ou=Acme," BASE};

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_ROLE], 0);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 1);
	/* A new person joins with create_person, not with add_to_role. */
	assert_int_equal(w->plan->counts[OP_ADD_TO_ROLE], 0);
	assert_string_equal(action(w->plan, OP_CREATE_PERSON, 0)->role_dn, STANDARD_DN);
}

static void person_without_email_is_manual(void **state)
{
	struct world *w = *state;
	const struct plan_action *person;
	const struct plan *p;

	add_containers(w, 1, 1);
	add_row(w, 5, "nomail", "No", "Mail", "", "Acme", "");
	build_ok(w);
	p = w->plan;
	person = action(p, OP_CREATE_PERSON, 0);
	assert_non_null(person);
	assert_null(person->email);
	assert_int_equal(person->n_messages, 0);
	assert_null(attr_of(person, "mail"));
	assert_int_equal(p->n_messages, 0);
	assert_int_equal(p->n_manual, 1);
	assert_int_equal(p->manual[0].line, 5);
	assert_string_equal(p->manual[0].key, "nomail");
	assert_string_equal(p->manual[0].dn, "uid=nomail,ou=Acme," BASE);
	assert_string_equal(p->manual[0].reason, "no email address");
}

/* --- rejected rows ------------------------------------------------------------------------ */

static void unknown_role_rejected(void **state)
{
	struct world *w = *state;
	const struct plan_reject *r;

	add_containers(w, 1, 1);
	add_row(w, 2, "pilot", "Pia", "Lot", "pia@example.com", "Acme", "Pilot");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 1);
	r = rejected(w->plan, 2);
	assert_string_equal(r->key, "pilot");
	assert_contains(r->reason, "unknown role");
	assert_contains(r->reason, "'Pilot'");
	assert_int_equal(w->plan->n_actions, 0);
	assert_false(plan_has_changes(w->plan));
}

static void duplicate_key_without_case(void **state)
{
	struct world *w = *state;
	const struct plan_reject *r;

	add_containers(w, 1, 1);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	add_row(w, 3, "asmith", "Ann", "Smith", "ann@example.com", "Acme", "");
	add_row(w, 4, "JDoe", "Jane", "Doe", "jane@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 1);
	r = rejected(w->plan, 4);
	assert_string_equal(r->key, "JDoe");
	assert_string_equal(r->reason, "duplicate key, first seen on line 2");
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 2);
}

/* The same for a person the directory holds (found through the entry, not
 * the table of new keys). */
static void duplicate_key_of_existing_person(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_reject *r;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	add_row(w, 4, "JDoe", "Jane", "Doe", "jane@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 1);
	r = rejected(w->plan, 4);
	assert_string_equal(r->key, "JDoe");
	assert_string_equal(r->reason, "duplicate key, first seen on line 2");
	assert_int_equal(w->plan->n_actions, 0);
	assert_int_equal(w->plan->n_unchanged, 1);
}

/* A second person with a row's key arrives after the row was planned (as
 * the directory is read): the key is ambiguous after all, and the session
 * (build() runs one for each case) plans again, to the same rejection. */
static void second_person_with_the_key_arrives_late(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_reject *r;

	add_containers(w, 1, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	add_row(w, 3, "ann", "Ann", "Lee", "ann@example.com", "Acme", "");
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, "uid=jdoe,ou=Other," BASE, "JDOE", "Jim", "Doe", "Jim Doe", "jim@example.com", NULL);
	build_ok(w);
	r = rejected(w->plan, 2);
	assert_string_equal(r->reason, "several entries in the directory have uid=jdoe");
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 1);
	assert_int_equal(w->plan->n_unchanged, 0);
}

/* Rows whose people are read early and rows of new people in between, the
 * role group last: the memberships still come in row order, the new
 * people's with their creation, and the unchanged are counted. */
static void memberships_in_row_order_around_new_people(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {"uid=p1,ou=Acme," BASE, "uid=p4,ou=Acme," BASE};
	char user[16], dn[64];
	unsigned i;

	add_containers(w, 1, 1);
	for (i = 0; i < 6; i++) {
		snprintf(user, sizeof user, "p%u", i);
		if (i == 2 || i == 5)
			continue; /* new people */
		snprintf(dn, sizeof dn, "uid=%s,ou=Acme," BASE, user);
		add_person(w, dn, user, "P", "Q", "P Q", NULL, NULL);
	}
	add_group(w, STANDARD_DN, members, 2);
	for (i = 0; i < 6; i++) {
		snprintf(user, sizeof user, "p%u", i);
		add_row(w, i + 2, user, "P", "Q", NULL, "Acme", "");
	}
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 2);
	assert_int_equal(w->plan->counts[OP_ADD_TO_ROLE], 2);
	assert_string_equal(action(w->plan, OP_ADD_TO_ROLE, 0)->dn, "uid=p0,ou=Acme," BASE);
	assert_string_equal(action(w->plan, OP_ADD_TO_ROLE, 1)->dn, "uid=p3,ou=Acme," BASE);
	assert_int_equal(w->plan->n_memberships, 4);
	assert_int_equal(w->plan->n_unchanged, 2);
}

static void missing_required_value(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_row(w, 2, "nolast", "No", "", "n@example.com", "Acme", "");
	add_row(w, 3, "noacct", "No", "Account", "a@example.com", NULL, "");
	add_row(w, 4, "", "No", "Key", "k@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 3);
	assert_string_equal(rejected(w->plan, 2)->reason, "missing required value LastName");
	assert_string_equal(rejected(w->plan, 3)->reason, "missing required value Account");
	assert_string_equal(rejected(w->plan, 4)->reason, "missing key Username");
	assert_null(rejected(w->plan, 4)->key);
	assert_int_equal(w->plan->n_actions, 0);
}

static void line_break_in_a_field(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_row(w, 2, "lf", "Jo\nhn", "Doe", "lf@example.com", "Acme", "");
	add_row(w, 3, "cr", "John", "Doe\r", "cr@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 2);
	assert_contains(rejected(w->plan, 2)->reason, "line break in");
	assert_string_equal(rejected(w->plan, 2)->reason, "line break in FirstName");
	assert_string_equal(rejected(w->plan, 3)->reason, "line break in LastName");
	assert_int_equal(w->plan->n_actions, 0);
}

static void invalid_key(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_row(w, 2, "j doe", "J", "Doe", "j@example.com", "Acme", "");
	add_row(w, 3, "j*", "J", "Doe", "j@example.com", "Acme", "");
	add_row(w, 4, "j\xc3\xb6", "J", "Doe", "j@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 3);
	assert_string_equal(rejected(w->plan, 2)->reason, "Username contains a space");
	assert_contains(rejected(w->plan, 3)->reason, "'*'");
	assert_contains(rejected(w->plan, 4)->reason, "non-ASCII");
}

static void invalid_email(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_row(w, 2, "bad", "Bad", "Mail", "bad@", "Acme", "");
	add_row(w, 3, "two", "Two", "Mails", "a@example.com, b@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 2);
	assert_string_equal(rejected(w->plan, 2)->reason, "invalid email address 'bad@': has no domain");
	assert_contains(rejected(w->plan, 3)->reason, "invalid email address");
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 0);
}

static void record_error_rejected(void **state)
{
	struct world *w = *state;
	struct record *r;

	add_containers(w, 1, 1);
	r = add_row(w, 7, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	r->error = "wrong number of fields: 4, the header has 6";
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 1);
	assert_string_equal(rejected(w->plan, 7)->reason, "wrong number of fields: 4, the header has 6");
	assert_string_equal(rejected(w->plan, 7)->key, "jdoe");
}

/* --- people already in the directory -------------------------------------------------------- */

static void existing_person_changed_cn(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_action *u;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "Johnny Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 1);
	u = action(w->plan, OP_UPDATE_PERSON, 0);
	assert_non_null(u);
	assert_string_equal(u->dn, JDOE_DN);
	assert_string_equal(u->reason, "attributes differ from the source");
	assert_int_equal(u->n_changes, 1);
	assert_string_equal(u->changes[0].attr, "cn");
	assert_int_equal(u->changes[0].n_old, 1);
	assert_string_equal(u->changes[0].old[0], "Johnny Doe");
	assert_string_equal(u->changes[0].value, "John Doe");
	assert_int_equal(u->n_messages, 0);
	assert_int_equal(w->plan->n_unchanged, 0);
	assert_int_equal(w->plan->n_managed, 1);
}

static void existing_person_value_removed(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_action *u;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "", "Acme", "");
	build_ok(w);
	u = action(w->plan, OP_UPDATE_PERSON, 0);
	assert_non_null(u);
	assert_int_equal(u->n_changes, 1);
	assert_string_equal(u->changes[0].attr, "mail");
	assert_string_equal(u->changes[0].old[0], "john@example.com");
	assert_null(u->changes[0].value);
}

static void existing_disabled_person_enabled(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_action *en;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	struct entry *e = add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", LOCKED);

	add_attr(w, e, "description", SYNC_DISABLED_NOTE);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 1);
	en = action(w->plan, OP_ENABLE_PERSON, 0);
	assert_non_null(en);
	assert_string_equal(plan_op_name(en->op), "enable_person");
	assert_string_equal(en->dn, JDOE_DN);
	assert_int_equal(en->line, 2);
	assert_string_equal(en->reason, "disabled by sync, active in the source again");
	/* Enabled again with a new password: the messages go out. */
	assert_int_equal(en->n_messages, 3);
	assert_int_equal(w->plan->n_messages, 3);
}

/* Disabled without sync's note (ldapenroll disable, another tool): sync
 * leaves the person disabled and says so. */
static void disabled_by_an_administrator_stays(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", LOCKED);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 0);
	assert_int_equal(w->plan->n_unchanged, 0);
	assert_int_equal(w->plan->n_left_disabled, 1);
	assert_string_equal(w->plan->left_disabled[0].dn, JDOE_DN);
	assert_int_equal(w->plan->left_disabled[0].line, 2);
	assert_false(plan_has_changes(w->plan));
}

static void failed_login_lockout_is_not_disabled(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", "20240101120000Z");
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_ENABLE_PERSON], 0);
	assert_int_equal(w->plan->n_unchanged, 1);
}

static void unchanged_person(void **state)
{
	struct world *w = *state;
	/* Group members are compared as DNs, not as strings. */
	static const char *const members[] = {"UID=JDoe, OU=Acme, DC=Example, DC=Com"};

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	/* The key is matched without case. */
	add_row(w, 2, "JDOE", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 0);
	assert_false(plan_has_changes(w->plan));
	assert_int_equal(w->plan->n_unchanged, 1);
	assert_int_equal(w->plan->n_managed, 1);
	assert_int_equal(w->plan->n_rejected, 0);
	assert_int_equal(w->plan->n_messages, 0);
}

/* The same when the member's DN is plain (no spaces, nothing escaped) and
 * only its case differs: such DNs are their own keys, compared without
 * case. */
static void unchanged_person_plain_dns_in_other_case(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {"UID=JDoe,OU=ACME,DC=Example,DC=Com"};

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, "UID=JDOE,ou=acme,dc=EXAMPLE,dc=com", "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 0);
	assert_int_equal(w->plan->n_unchanged, 1);
	assert_int_equal(w->plan->n_rejected, 0);
}

static void existing_person_not_in_role_group(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {"uid=other,ou=Acme," BASE};
	const struct plan_action *add;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 1);
	add = action(w->plan, OP_ADD_TO_ROLE, 0);
	assert_non_null(add);
	assert_string_equal(plan_op_name(add->op), "add_to_role");
	assert_string_equal(add->dn, JDOE_DN);
	assert_string_equal(add->role_dn, STANDARD_DN);
	assert_string_equal(add->role, "Acme Standard User");
	assert_string_equal(add->reason, "not a member of the role group");
	assert_int_equal(w->plan->n_unchanged, 0);
	assert_int_equal(w->plan->counts[OP_CREATE_ROLE], 0);
}

/* The plan as LDIF: the membership modifies come in the order the rows
 * first name their groups, whichever group that is. */
static void ldif_memberships_in_row_order(void **state)
{
	struct world *w = *state;
	static const char *const none[] = {"uid=other,ou=Acme," BASE};
	const char *cm = "dn: cn=Acme Customer Manager," ROLES, *su = "dn: " STANDARD_DN;
	int order;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, none, 1);
	add_group(w, "cn=Acme Customer Manager," ROLES, none, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_person(w, "uid=ann,ou=Acme," BASE, "ann", "Ann", "Lee", "Ann Lee", "ann@example.com", NULL);
	add_person(w, "uid=bob,ou=Acme," BASE, "bob", "Bob", "Ray", "Bob Ray", "bob@example.com", NULL);
	for (order = 0; order < 2; order++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		const char *first = order ? su : cm, *second = order ? cm : su;

		assert_non_null(f);
		w->n_recs = 0;
		add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", order ? "" : "Customer Manager");
		add_row(w, 3, "ann", "Ann", "Lee", "ann@example.com", "Acme", order ? "Customer Manager" : "");
		add_row(w, 4, "bob", "Bob", "Ray", "bob@example.com", "Acme", "Customer Manager");
		build_ok(w);
		assert_int_equal(w->plan->counts[OP_ADD_TO_ROLE], 3);
		assert_int_equal(plan_write(f, PLAN_LDIF, w->plan, S.cfg, "sync", NULL), 0);
		assert_int_equal(fclose(f), 0);
		assert_non_null(strstr(text, first));
		assert_non_null(strstr(text, second));
		assert_true(strstr(text, first) < strstr(text, second));
		if (!order) /* jdoe then bob, in the rows' order */
			assert_true(strstr(text, "member: uid=jdoe") < strstr(text, "member: uid=bob"));
		free(text);
	}
}

/* A person who is a member of two groups is found in the second one
 * asked about too; a value in another case names the same person. */
static void member_of_two_groups(void **state)
{
	struct world *w = *state;
	static const char *const cm_members[] = {"uid=ann,ou=Acme," BASE, JDOE_DN};
	static const char *const su_members[] = {"UID=JDOE,ou=Acme," BASE};

	add_containers(w, 1, 1);
	add_group(w, "cn=Acme Customer Manager," ROLES, cm_members, 2);
	add_group(w, STANDARD_DN, su_members, 1);
	add_person(w, "uid=ann,ou=Acme," BASE, "ann", "Ann", "Lee", "Ann Lee", "ann@example.com", NULL);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_person(w, "uid=bob,ou=Acme," BASE, "bob", "Bob", "Ray", "Bob Ray", "bob@example.com", NULL);
	add_row(w, 2, "ann", "Ann", "Lee", "ann@example.com", "Acme", "Customer Manager");
	add_row(w, 3, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	add_row(w, 4, "bob", "Bob", "Ray", "bob@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_ADD_TO_ROLE], 1);
	assert_string_equal(action(w->plan, OP_ADD_TO_ROLE, 0)->dn, "uid=bob,ou=Acme," BASE);
	assert_int_equal(w->plan->n_unchanged, 2);
}

static void existing_person_role_group_missing(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "Customer Manager");
	build_ok(w);
	assert_non_null(action_on(w->plan, OP_ADD_TO_ROLE, JDOE_DN));
	assert_string_equal(action(w->plan, OP_ADD_TO_ROLE, 0)->reason, "the role group is created");
	assert_int_equal(action(w->plan, OP_CREATE_ROLE, 0)->n_members, 1);
	/* The group comes after the person and before the membership. */
	assert_int_equal(w->plan->actions[0].op, OP_CREATE_ROLE);
	assert_int_equal(w->plan->actions[1].op, OP_ADD_TO_ROLE);
}

/* --- people absent from the source ---------------------------------------------------------- */

static void absent_person_disabled(void **state)
{
	struct world *w = *state;
	static const char *const members[] = {JDOE_DN};
	const struct plan_action *dis;
	size_t i;

	add_containers(w, 1, 1);
	add_group(w, STANDARD_DN, members, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_person(w, "uid=gone," ACME, "gone", "Gone", "Away", "Gone Away", "gone@example.com", NULL);
	/* Already disabled: nothing to do. */
	add_person(w, "uid=old," ACME, "old", "Old", "Timer", "Old Timer", NULL, LOCKED);
	/* Not a person (no inetOrgPerson): not managed. */
	add_attr(w, add_entry(w, "uid=svc," ACME, "account"), "uid", "svc");
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);

	assert_int_equal(w->plan->counts[OP_DISABLE_PERSON], 1);
	dis = action(w->plan, OP_DISABLE_PERSON, 0);
	assert_string_equal(plan_op_name(dis->op), "disable_person");
	assert_string_equal(dis->dn, "uid=gone," ACME);
	assert_string_equal(dis->key, "gone");
	assert_int_equal(dis->line, 0);
	assert_string_equal(dis->reason, "absent from the source");
	assert_true(dis->by_sync); /* its note goes on the entry */
	assert_int_equal(dis->n_messages, 0);
	assert_int_equal(w->plan->n_managed, 3);
	assert_int_equal(w->plan->n_unchanged, 1);
	for (i = 0; i < w->plan->n_actions; i++)
		assert_true(strcmp(w->plan->actions[i].dn, "uid=old," ACME) != 0);
}

static void rejected_row_is_not_absent(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "john@example.com", NULL);
	add_person(w, "uid=asmith," ACME, "asmith", "Ann", "Smith", "Ann Smith", "ann@example.com", NULL);
	add_person(w, "uid=pilot," ACME, "pilot", "Pia", "Lot", "Pia Lot", "pia@example.com", NULL);
	/* Each row is broken in a different way; their people stay as they are. */
	add_row(w, 2, "jdoe", "John", "", "john@example.com", "Acme", "");
	add_row(w, 3, "ASMITH", "Ann", "Smith", "not-an-address", "Acme", "");
	add_row(w, 4, "pilot", "Pia", "Lot", "pia@example.com", "Acme", "Pilot");
	build_ok(w);
	assert_int_equal(w->plan->n_rejected, 3);
	assert_int_equal(w->plan->counts[OP_DISABLE_PERSON], 0);
	assert_int_equal(w->plan->n_actions, 0);
}

/* --- plan-wide problems -------------------------------------------------------------------- */

/* A key the directory holds at another DN is a conflict, reported, never
 * moved or overwritten (C14). */
static void existing_key_at_another_dn(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_entry(w, "ou=Other," BASE, "organizationalUnit");
	add_person(w, "uid=jdoe,ou=Other," BASE, "jdoe", "John", "Doe", "John Doe", "old@example.com", NULL);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->n_actions, 0);
	assert_int_equal(w->plan->n_rejected, 1);
	assert_contains(w->plan->rejected[0].reason, "already in the directory as uid=jdoe,ou=Other," BASE);
}

/* An entry at the person's DN that is not a managed person is never taken
 * over. */
static void dn_taken_by_another_entry(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	add_entry(w, JDOE_DN, "account");
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 0);
	assert_int_equal(w->plan->n_rejected, 1);
	assert_contains(w->plan->rejected[0].reason, "an entry already exists at " JDOE_DN);
}

/* A role group that is missing while roles.create_missing is false stops
 * the whole plan before any change (C20). */
static void role_group_missing_not_created(void **state)
{
	struct world *w = *state;
	int rc;

	add_containers(w, 1, 1);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	S.cfg->roles.create_missing = 0;
	rc = build(w);
	S.cfg->roles.create_missing = 1;
	assert_int_equal(rc, ST_INPUT);
	assert_null(w->plan);
	assert_contains(w->d.msg, "role group " STANDARD_DN " does not exist and roles.create_missing is false");
}

static void role_container_missing(void **state)
{
	struct world *w = *state;
	int rc;

	add_containers(w, 0, 1);
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	rc = build(w);
	assert_int_equal(rc, ST_INPUT);
	assert_null(w->plan);
	assert_int_equal(w->d.status, ST_INPUT);
	assert_contains(w->d.msg, "the role container " ROLES " does not exist");
}

static void role_container_missing_offline_is_fine(void **state)
{
	struct world *w = *state;

	/* Offline: no directory was read, every container is assumed. */
	w->offline = 1;
	add_row(w, 2, "jdoe", "John", "Doe", "john@example.com", "Acme", "");
	build_ok(w);
	assert_int_equal(w->plan->counts[OP_CREATE_PERSON], 1);
	assert_int_equal(w->plan->n_rejected, 0);
}

static void empty_source(void **state)
{
	struct world *w = *state;

	add_containers(w, 1, 1);
	build_ok(w);
	assert_int_equal(w->plan->n_records, 0);
	assert_int_equal(w->plan->n_actions, 0);
	assert_int_equal(w->plan->n_rejected, 0);
	assert_string_equal(plan_op_name(OP_CREATE_ROLE), "create_role");
	assert_string_equal(role_origin_name(ROLE_COLUMN), "column");
	assert_null(role_origin_name(ROLE_NONE));
}

/* Someone an earlier job gave a password whose messages were never
 * confirmed: a fresh password and the messages again, said as such. */
static void person_waiting_for_mail_is_sent_again(void **state)
{
	struct world *w = *state;
	struct plan_input in;
	const struct plan_action *a;
	struct hmap pending;

	add_containers(w, 1, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "jdoe@acme.example", NULL);
	add_group(w, STANDARD_DN, (const char *[]){JDOE_DN}, 1);
	add_row(w, 2, "jdoe", "John", "Doe", "jdoe@acme.example", "Acme", "");
	hmap_init(&pending, 0);
	assert_int_equal(hmap_set(&pending, "jdoe", "20261121T101500Z-3f9a"), 0);
	memset(&in, 0, sizeof in);
	in.cfg = S.cfg;
	in.records = w->recs;
	in.n_records = w->n_recs;
	in.entries = w->dir.v;
	in.n_entries = w->dir.n;
	in.source = "users.csv";
	in.pending = &pending;
	assert_int_equal(plan_build(&in, &w->plan, &w->d), 0);
	assert_non_null(a = action(w->plan, OP_RESET_PASSWORD, 0));
	assert_true(a->resend);
	assert_string_equal(a->reason, "messages never confirmed, job 20261121T101500Z-3f9a");
	assert_int_equal(a->n_messages, S.cfg->notify.n_messages);
	assert_true(plan_has_changes(w->plan));
	hmap_release(&pending);
}

/* An address the directory holds is checked like a row's: one that is not
 * a single plain address gets no mail and is listed for manual
 * notification. */
static void admin_address_not_plain_is_manual(void **state)
{
	struct world *w = *state;
	struct admin_input in;
	const struct plan_action *a;

	add_containers(w, 1, 1);
	add_person(w, JDOE_DN, "jdoe", "John", "Doe", "John Doe", "jdoe@acme.example, boss@acme.example", NULL);
	memset(&in, 0, sizeof in);
	in.cfg = S.cfg;
	in.entries = w->dir.v;
	in.n_entries = w->dir.n;
	in.kind = ADMIN_RESET;
	in.scope = RESET_ALL;
	in.source = "the directory";
	assert_int_equal(plan_admin(&in, &w->plan, &w->d), 0);
	assert_non_null(a = action(w->plan, OP_RESET_PASSWORD, 0));
	assert_int_equal(a->n_messages, 0);
	assert_null(a->email);
	assert_int_equal(w->plan->n_manual, 1);
	assert_non_null(strstr(w->plan->manual[0].reason, "is not one plain address"));
	assert_int_equal(w->plan->n_messages, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)
	const struct CMUnitTest tests[] = {
		T(new_person_with_default_role),
		T(role_from_map),
		T(one_account_and_role_for_many_people),
		T(many_accounts_and_roles),
		T(interleaved_actions_are_ordered),
		T(special_characters_in_account_and_names),
		T(existing_role_group_not_created_again),
		T(person_without_email_is_manual),
		T(unknown_role_rejected),
		T(duplicate_key_without_case),
		T(missing_required_value),
		T(line_break_in_a_field),
		T(invalid_key),
		T(invalid_email),
		T(record_error_rejected),
		T(existing_person_changed_cn),
		T(existing_person_value_removed),
		T(existing_disabled_person_enabled),
		T(disabled_by_an_administrator_stays),
		T(failed_login_lockout_is_not_disabled),
		T(unchanged_person),
		T(unchanged_person_plain_dns_in_other_case),
		T(duplicate_key_of_existing_person),
		T(second_person_with_the_key_arrives_late),
		T(memberships_in_row_order_around_new_people),
		T(existing_person_not_in_role_group),
		T(ldif_memberships_in_row_order),
		T(member_of_two_groups),
		T(existing_person_role_group_missing),
		T(absent_person_disabled),
		T(rejected_row_is_not_absent),
		T(existing_key_at_another_dn),
		T(dn_taken_by_another_entry),
		T(role_group_missing_not_created),
		T(role_container_missing),
		T(role_container_missing_offline_is_fine),
		T(empty_source),
		T(person_waiting_for_mail_is_sent_again),
		T(admin_address_not_plain_is_manual),
	};
#undef T

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
