/* Unit tests for saved plans read back (agent/plan/plan_load.c): a plan is
 * input from outside, which someone may have edited between the preview
 * and the apply, so every action must be one the config could have
 * planned. Each case takes a valid plan and changes one thing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/plan/plan.h"
#include "agent/plan/plan_load.h"
#include "config/config.h"
#include "tests/unit/scratch.h"

#define BASE "dc=example,dc=com"

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
	"people:\n"
	"  dn: \"uid={Username},ou={Account},{base}\"\n"
	"  object_classes: [inetOrgPerson]\n"
	"  attributes:\n"
	"    uid: \"{Username}\"\n"
	"    cn: \"{FirstName} {LastName}\"\n"
	"    sn: \"{LastName}\"\n"
	"    mail: \"{Email}\"\n"
	"  update: [cn, sn, mail]\n"
	"roles:\n"
	"  column: Role\n"
	"  dn: \"cn={role},ou=roles,{base}\"\n"
	"  default: \"{Account} Standard User\"\n";

/* A valid plan: %s is the config digest, then the actions. */
static const char plan_head[] = "{\"version\":1,\"command\":\"sync\",\"source\":\"users.csv\",\"config_sha256\":\"%s\",\"actions\":[";
static const char create_person[] =
	"{\"op\":\"create_person\",\"key\":\"jdoe\",\"line\":2,\"dn\":\"uid=jdoe,ou=Acme," BASE "\","
	"\"role\":\"Acme Standard User\",\"role_origin\":\"default\",\"role_dn\":\"cn=Acme Standard User,ou=roles," BASE "\","
	"\"email\":\"jdoe@acme.example\",\"messages\":[\"welcome\",\"password\"],"
	"\"attributes\":{\"objectClass\":[\"inetOrgPerson\"],\"uid\":[\"jdoe\"],\"cn\":[\"J Doe\"],\"sn\":[\"Doe\"]}}";
static const char update_person[] =
	"{\"op\":\"update_person\",\"key\":\"ann\",\"line\":3,\"dn\":\"uid=ann,ou=Acme," BASE "\","
	"\"changes\":{\"sn\":{\"old\":[\"A\"],\"new\":\"B\"}}}";
static const char create_role[] =
	"{\"op\":\"create_role\",\"dn\":\"cn=Acme Standard User,ou=roles," BASE "\",\"role\":\"Acme Standard User\","
	"\"members\":1,\"attributes\":{\"objectClass\":[\"groupOfNames\"],\"cn\":[\"Acme Standard User\"]}}";

static struct {
	char dir[128];
	struct config *cfg;
} S;

static int suite_setup(void **state)
{
	struct strlist errors = {0};
	char path[256];
	int fd;

	(void)state;
	if (scratch_dir_make(S.dir, sizeof S.dir, "plan-load") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/bind.pw", S.dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || write(fd, "x\n", 2) != 2 || close(fd) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/ldapenroll.yaml", S.dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, config_yaml, sizeof config_yaml - 1) != (ssize_t)(sizeof config_yaml - 1) || close(fd) < 0)
		return -1;
	if (config_load(path, &S.cfg, &errors) != 0) {
		for (size_t i = 0; i < errors.n; i++)
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

/* Loads a plan of the given actions; returns the status, the reason in d. */
static int load(const char *actions, struct diag *d, struct plan **p)
{
	struct buf text = BUF_INIT;
	const char *cmd;
	int rc;

	buf_printf(&text, plan_head, S.cfg->digest);
	buf_adds(&text, actions);
	buf_adds(&text, "]}");
	diag_init(d);
	*p = NULL;
	rc = plan_load(buf_str(&text), text.len, S.cfg, "plan.json", p, &cmd, d);
	buf_release(&text);
	return rc;
}

static void accepted(const char *actions)
{
	struct diag d;
	struct plan *p;

	if (load(actions, &d, &p) != 0)
		fail_msg("refused: %s", d.msg);
	plan_free(p);
}

/* The valid action with one piece replaced. */
static void refused(const char *valid, const char *from, const char *to, const char *why)
{
	struct buf a = BUF_INIT;
	const char *at = strstr(valid, from);
	struct diag d;
	struct plan *p;

	assert_non_null(at);
	buf_add(&a, valid, (size_t)(at - valid));
	buf_adds(&a, to);
	buf_adds(&a, at + strlen(from));
	assert_int_equal(load(buf_str(&a), &d, &p), ST_INPUT);
	assert_null(p);
	if (!strstr(d.msg, why))
		fail_msg("'%s' not in: %s", why, d.msg);
	buf_release(&a);
}

static void valid_plans_load(void **state)
{
	(void)state;
	accepted(create_person);
	accepted(update_person);
	accepted(create_role);
}

static void attributes_must_be_the_configs(void **state)
{
	(void)state;
	refused(create_person, "\"sn\":[\"Doe\"]", "\"userPassword\":[\"{SSHA}x\"]",
		"attribute 'userPassword' is not one the config sets");
	refused(create_person, "\"sn\":[\"Doe\"]", "\"pwdReset\":[\"FALSE\"]", "attribute 'pwdReset' is not one");
	refused(create_person, "[\"inetOrgPerson\"]", "[\"inetOrgPerson\",\"simpleSecurityObject\"]",
		"object class 'simpleSecurityObject' is not one the config gives");
	refused(update_person, "\"sn\":{", "\"userPassword\":{", "attribute 'userPassword' is not in people.update");
	/* uid is set at creation but not kept in sync. */
	refused(update_person, "\"sn\":{", "\"uid\":{", "attribute 'uid' is not in people.update");
	refused(update_person, "\"sn\":{", "\"sn)(objectClass=*\":{", "is not in people.update");
	refused(create_role, "\"cn\":[\"Acme", "\"member\":[\"x\"],\"cn\":[\"Acme", "attribute 'member' is not one");
}

static void dns_must_be_under_the_base(void **state)
{
	(void)state;
	refused(create_person, "uid=jdoe,ou=Acme," BASE, "cn=admin,dc=other,dc=org", "is not a DN under " BASE);
	refused(create_person, "uid=jdoe,ou=Acme," BASE, "not a dn", "is not a DN under");
	refused(create_person, "cn=Acme Standard User,ou=roles," BASE, "cn=admins,dc=other,dc=org",
		"role_dn cn=admins,dc=other,dc=org is not a DN the config manages");
}

static void addresses_must_be_plain(void **state)
{
	(void)state;
	refused(create_person, "jdoe@acme.example", "jdoe@acme.example, boss@acme.example", "email 'jdoe@acme.example, boss");
	refused(create_person, "jdoe@acme.example", "jdoe@acme.example\\r\\nBcc: x@y", "email");
}

static void numbers_must_be_in_range(void **state)
{
	(void)state;
	refused(create_person, "\"line\":2", "\"line\":-1", "line is not a line number");
	refused(create_person, "\"line\":2", "\"line\":1e30", "line is not a line number");
	refused(create_person, "\"line\":2", "\"line\":2.5", "line is not a line number");
	refused(create_person, "\"line\":2", "\"line\":\"2\"", "line is not a line number");
	refused(create_role, "\"members\":1", "\"members\":-5", "members is not a count");
	refused(create_role, "\"members\":1", "\"members\":1e300", "members is not a count");
	refused(create_person, "\"role_origin\":\"default\"", "\"role_origin\":\"whatever\"",
		"role_origin is not column, map or default");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_plans_load),
		cmocka_unit_test(attributes_must_be_the_configs),
		cmocka_unit_test(dns_must_be_under_the_base),
		cmocka_unit_test(addresses_must_be_plain),
		cmocka_unit_test(numbers_must_be_in_range),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
