/* Unit tests for the configuration loader (config/): a minimal file and its
 * defaults, then one test per kind of error, each checking the exact
 * "file:line:column: key.path: problem" form of the message. Every test
 * works in its own temporary directory holding the YAML file, an
 * owner-only secret file and, where needed, message templates. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/diag.h"
#include "config/config.h"
#include "tests/unit/scratch.h"

/* --- fixture ---------------------------------------------------------------- */

struct fx {
	char dir[128];
	char path[192]; /* the YAML file */
};

static void write_file(const struct fx *f, const char *name, const char *text, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void make_dir(const struct fx *f, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	if (scratch_dir_make(f->dir, sizeof f->dir, "config") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/ldapenroll.yaml", f->dir);
	write_file(f, "bind.pw", "directory-secret\n", 0600);
	unsetenv("LDAPENROLL_BIND_PASSWORD");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	scratch_dir_remove(f->dir);
	free(f);
	return 0;
}

/* The loaded errors, copied so that the list can be freed before any check
 * (a failing check then leaks nothing). */
#define MAX_ERRORS 16

struct errs {
	size_t n;
	char line[MAX_ERRORS][1024];
};

static struct config *load_ok(const struct fx *f, const char *yaml)
{
	struct strlist errors = {0};
	struct config *cfg = NULL;
	char first[1024] = "";
	size_t n;
	int rc;

	write_file(f, "ldapenroll.yaml", yaml, 0600);
	rc = config_load(f->path, &cfg, &errors);
	n = errors.n;
	if (n)
		snprintf(first, sizeof first, "%s", errors.items[0]);
	strlist_free(&errors);
	if (rc != 0 || n) {
		config_free(cfg);
		fail_msg("config_load failed (%d, %zu errors): %s", rc, n, first);
	}
	assert_non_null(cfg);
	return cfg;
}

static void load_fails(const struct fx *f, const char *yaml, struct errs *e)
{
	struct strlist errors = {0};
	struct config *cfg = NULL;
	size_t i;
	int rc;

	write_file(f, "ldapenroll.yaml", yaml, 0600);
	rc = config_load(f->path, &cfg, &errors);
	memset(e, 0, sizeof *e);
	e->n = errors.n;
	for (i = 0; i < errors.n && i < MAX_ERRORS; i++)
		snprintf(e->line[i], sizeof e->line[i], "%s", errors.items[i]);
	strlist_free(&errors);
	if (rc == 0) {
		config_free(cfg);
		fail_msg("config_load accepted the file");
	}
	assert_int_equal(rc, ST_INPUT);
	assert_null(cfg);
	assert_true(e->n >= 1);
}

/* Error i starts with exactly "FILE:LINE:COL: KEYPATH: " and its problem
 * contains `problem`. */
static void expect_error_at(const struct fx *f, const struct errs *e, size_t i, unsigned line, unsigned col,
			    const char *keypath, const char *problem)
{
	char prefix[512];

	assert_true(i < e->n);
	if (keypath)
		snprintf(prefix, sizeof prefix, "%s:%u:%u: %s: ", f->path, line, col, keypath);
	else
		snprintf(prefix, sizeof prefix, "%s:%u:%u: ", f->path, line, col);
	if (strncmp(e->line[i], prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", e->line[i], prefix);
	if (!strstr(e->line[i] + strlen(prefix), problem))
		fail_msg("error \"%s\" does not say \"%s\"", e->line[i], problem);
}

/* The only error is exactly "FILE:LINE:COL: KEYPATH: PROBLEM". */
static void expect_only_error(const struct fx *f, const struct errs *e, unsigned line, unsigned col,
			      const char *keypath, const char *problem)
{
	char want[1024];

	if (e->n != 1)
		fail_msg("%zu errors, the first: %s", e->n, e->line[0]);
	snprintf(want, sizeof want, "%s:%u:%u: %s: %s", f->path, line, col, keypath, problem);
	assert_string_equal(e->line[0], want);
}

/* --- the files ---------------------------------------------------------------- */

/* Lines 1-6. */
#define DIRECTORY                                                     \
	"directory:\n"                                                \
	"  uri: ldap://localhost\n"                                   \
	"  bind_dn: cn=admin,dc=example,dc=com\n"                     \
	"  bind_password_file: bind.pw\n"                             \
	"  base: dc=example,dc=com\n"                                 \
	"  password_policy: cn=default,ou=policies,dc=example,dc=com\n"

/* Eight lines: source and people. */
#define REST                                  \
	"source:\n"                           \
	"  type: csv\n"                       \
	"  path: users.csv\n"                 \
	"  key: Username\n"                   \
	"people:\n"                           \
	"  dn: \"uid={Username},{base}\"\n"   \
	"  attributes:\n"                     \
	"    uid: \"{Username}\"\n"

#define MINIMAL DIRECTORY REST /* 14 lines */

#define NOTIFY_HEAD                               \
	"notify:\n"                               \
	"  smtp:\n"                               \
	"    url: smtp://localhost:2525\n"        \
	"    starttls: off\n"                     \
	"    allow_insecure: true\n"              \
	"  from: \"Example IT <it@example.com>\"\n" \
	"  login_url: https://portal.example.com/login\n"

/* --- loading ------------------------------------------------------------------ */

static void minimal_config_and_defaults(void **state)
{
	struct fx *f = *state;
	struct config *cfg = load_ok(f, MINIMAL);
	char want[512];

	assert_string_equal(cfg->file, f->path);
	assert_string_equal(cfg->dir, f->dir);
	/* directory */
	assert_int_equal(cfg->directory.conn.uris.n, 1);
	assert_string_equal(cfg->directory.conn.uris.items[0], "ldap://localhost");
	assert_int_equal(cfg->directory.conn.starttls, TLS_REQUIRED);
	assert_int_equal(cfg->directory.conn.allow_insecure, 0);
	assert_string_equal(cfg->directory.conn.bind_dn, "cn=admin,dc=example,dc=com");
	snprintf(want, sizeof want, "%s/bind.pw", f->dir);
	assert_string_equal(cfg->directory.conn.bind_password_file, want);
	assert_string_equal(cfg->directory.base, "dc=example,dc=com");
	assert_string_equal(cfg->directory.password_policy, "cn=default,ou=policies,dc=example,dc=com");
	assert_int_equal(cfg->directory.window, 64);
	assert_int_equal(cfg->directory.page_size, 500);
	assert_int_equal(cfg->directory.conn.timeout_ms, 10000);
	assert_null(cfg->directory.conn.ca_file);
	/* source */
	assert_int_equal(cfg->source.type, SOURCE_CSV);
	snprintf(want, sizeof want, "%s/users.csv", f->dir);
	assert_string_equal(cfg->source.path, want);
	assert_string_equal(cfg->source.key, "Username");
	assert_true(cfg->source.key_slot >= 0);
	assert_string_equal(cfg->columns.items[cfg->source.key_slot], "Username");
	/* people */
	assert_non_null(cfg->people.dn);
	assert_int_equal(cfg->people.n_attrs, 1);
	assert_string_equal(cfg->people.attrs[0].name, "uid");
	assert_int_equal(cfg->people.attrs[0].mark.line, 14);
	assert_string_equal(cfg->people.key_attr, "uid");
	assert_string_equal(cfg->people.rdn_attr, "uid");
	assert_int_equal(cfg->people.object_classes.n, 1);
	assert_string_equal(cfg->people.object_classes.items[0], "inetOrgPerson");
	assert_int_equal(cfg->people.absent, ABSENT_KEEP);
	/* passwords */
	assert_int_equal(cfg->passwords.length, 16);
	assert_int_equal(cfg->passwords.classes, PW_LOWER | PW_UPPER | PW_DIGIT | PW_SYMBOL);
	assert_int_equal(cfg->passwords.hash, PW_SSHA512);
	assert_string_equal(pw_hash_name(cfg->passwords.hash), "ssha512");
	assert_true(cfg->passwords.must_change);
	/* limits */
	assert_int_equal(cfg->limits.max_disable, 50);
	assert_int_equal(cfg->limits.max_disable_percent, 10);
	assert_int_equal(cfg->limits.max_create, 100000);
	/* sections left out */
	assert_int_equal(cfg->notify.enabled, 0);
	assert_int_equal(cfg->roles.enabled, 0);
	assert_int_equal(cfg->accounts.enabled, 0);
	assert_int_equal(cfg->notify.n_tmpl[MSG_WELCOME], 0);
	assert_string_equal(cfg->state_dir, "/var/lib/ldapenroll");
	config_free(cfg);
}

/* A person without a role is the account's standard user unless
 * roles.default says otherwise; without accounts there is no default. */
static void default_role(void **state)
{
	struct fx *f = *state;
	struct config *cfg;

	cfg = load_ok(f, MINIMAL "accounts:\n  dn: \"ou={Account},{base}\"\n"
				 "roles:\n  column: Role\n  dn: \"cn={role},{base}\"\n");
	assert_non_null(cfg->roles.default_role);
	assert_string_equal(tmpl_source(cfg->roles.default_role), "{account} Standard User");
	config_free(cfg);
	cfg = load_ok(f, MINIMAL "accounts:\n  dn: \"ou={Account},{base}\"\n"
				 "roles:\n  column: Role\n  dn: \"cn={role},{base}\"\n  default: Member\n");
	assert_string_equal(tmpl_source(cfg->roles.default_role), "Member");
	config_free(cfg);
	cfg = load_ok(f, MINIMAL "roles:\n  column: Role\n  dn: \"cn={role},{base}\"\n");
	assert_null(cfg->roles.default_role);
	config_free(cfg);
}

/* Login names no row may take: a default list, replaced by the config's,
 * or none at all. */
static void reserved_names(void **state)
{
	struct fx *f = *state;
	struct config *cfg;

	cfg = load_ok(f, MINIMAL);
	assert_true(cfg->people.reserved.n >= 4);
	assert_string_equal(cfg->people.reserved.items[0], "root");
	config_free(cfg);
	cfg = load_ok(f, DIRECTORY "source:\n  type: csv\n  path: users.csv\n  key: Username\n"
				  "people:\n  dn: \"uid={Username},{base}\"\n  attributes:\n    uid: \"{Username}\"\n"
				  "  reserved: [svc-backup, Operator]\n");
	assert_int_equal(cfg->people.reserved.n, 2);
	assert_string_equal(cfg->people.reserved.items[1], "Operator");
	config_free(cfg);
	cfg = load_ok(f, DIRECTORY "source:\n  type: csv\n  path: users.csv\n  key: Username\n"
				  "people:\n  dn: \"uid={Username},{base}\"\n  attributes:\n    uid: \"{Username}\"\n"
				  "  reserved: []\n");
	assert_int_equal(cfg->people.reserved.n, 0);
	config_free(cfg);
}

static void values_and_environment(void **state)
{
	struct fx *f = *state;
	struct config *cfg;
	char want[512];

	setenv("LDAPENROLL_TEST_STATE", f->dir, 1);
	cfg = load_ok(f, DIRECTORY
		      "  window: 128\n"
		      "  page_size: 1000\n"
		      "  timeout: 1500ms\n"
		      REST
		      "passwords:\n"
		      "  length: 20\n"
		      "  classes: [lower, digit]\n"
		      "  policy: { min_length: 8, min_classes: 2 }\n"
		      "  hash: ssha256\n"
		      "limits:\n"
		      "  max_disable: 0\n"
		      "state_dir: ${LDAPENROLL_TEST_STATE}/st$$te\n");
	assert_int_equal(cfg->directory.window, 128);
	assert_int_equal(cfg->directory.page_size, 1000);
	assert_int_equal(cfg->directory.conn.timeout_ms, 1500);
	assert_int_equal(cfg->passwords.length, 20);
	assert_int_equal(cfg->passwords.classes, PW_LOWER | PW_DIGIT);
	assert_int_equal(cfg->passwords.min_length, 8);
	assert_int_equal(cfg->passwords.hash, PW_SSHA256);
	assert_int_equal(cfg->limits.max_disable, 0);
	snprintf(want, sizeof want, "%s/st$te", f->dir);
	assert_string_equal(cfg->state_dir, want);
	config_free(cfg);
	unsetenv("LDAPENROLL_TEST_STATE");
}

static void missing_file(void **state)
{
	struct fx *f = *state;
	struct strlist errors = {0};
	struct config *cfg = NULL;
	char path[256];
	int rc;

	snprintf(path, sizeof path, "%s/nope.yaml", f->dir);
	rc = config_load(path, &cfg, &errors);
	assert_int_equal(rc, ST_INPUT);
	assert_null(cfg);
	assert_int_equal(errors.n, 1);
	assert_non_null(strstr(errors.items[0], "cannot read the configuration"));
	strlist_free(&errors);
}

/* --- schema errors ----------------------------------------------------------- */

static void unknown_key_with_suggestion(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  windw: 64\n" REST, &e);
	expect_only_error(f, &e, 7, 3, "directory.windw", "unknown key (did you mean 'window'?)");

	load_fails(f, MINIMAL "limit:\n  max_create: 5\n", &e);
	expect_only_error(f, &e, 15, 1, "limit", "unknown key (did you mean 'limits'?)");

	/* Nothing close: no suggestion. */
	load_fails(f, MINIMAL "colour: blue\n", &e);
	expect_only_error(f, &e, 15, 1, "colour", "unknown key");
}

static void duplicate_key(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  base: dc=other,dc=com\n" REST, &e);
	expect_only_error(f, &e, 7, 3, "directory.base", "duplicate key (first defined on line 5)");

	load_fails(f, MINIMAL "people:\n  dn: x\n", &e);
	expect_error_at(f, &e, 0, 15, 1, "people", "duplicate key (first defined on line 11)");
}

static void anchors_and_aliases(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL
		   "limits:\n"
		   "  max_disable: &n 5\n"
		   "  max_create: *n\n", &e);
	assert_int_equal(e.n, 2);
	expect_error_at(f, &e, 0, 16, 16, "limits.max_disable", "anchors (&n) are not allowed");
	expect_error_at(f, &e, 1, 17, 15, "limits.max_create", "aliases (*n) are not allowed");
}

static void yaml11_boolean(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  allow_insecure: yes\n" REST, &e);
	expect_only_error(f, &e, 7, 19, "directory.allow_insecure",
			  "'yes' is not a boolean here; write true or false");

	load_fails(f, DIRECTORY "  allow_insecure: \"true\"\n" REST, &e);
	expect_error_at(f, &e, 0, 7, 19, "directory.allow_insecure", "expected true or false");
}

static void quoted_number(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  window: \"64\"\n" REST, &e);
	expect_only_error(f, &e, 7, 11, "directory.window",
			  "expected a number, found a quoted string; remove the quotes");
}

static void number_out_of_range(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  window: 0\n" REST, &e);
	expect_only_error(f, &e, 7, 11, "directory.window", "0 is out of range (1 to 1000)");

	load_fails(f, DIRECTORY "  window: 5000\n" REST, &e);
	expect_only_error(f, &e, 7, 11, "directory.window", "5000 is out of range (1 to 1000)");

	load_fails(f, DIRECTORY "  window: -1\n" REST, &e);
	expect_only_error(f, &e, 7, 11, "directory.window", "expected a whole number, found '-1'");
}

static void durations(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY "  timeout: 10\n" REST, &e);
	expect_only_error(f, &e, 7, 12, "directory.timeout",
			  "expected a duration with a unit (ms, s, m, h) such as 10s, found '10'");

	load_fails(f, DIRECTORY "  timeout: 0s\n" REST, &e);
	expect_only_error(f, &e, 7, 12, "directory.timeout", "'0s' is out of range (100ms to 1h)");

	load_fails(f, DIRECTORY "  timeout: 10 s\n" REST, &e);
	expect_error_at(f, &e, 0, 7, 12, "directory.timeout", "unknown unit ' s'");

	load_fails(f, DIRECTORY "  timeout: 2d\n" REST, &e);
	expect_only_error(f, &e, 7, 12, "directory.timeout", "unknown unit 'd' (use ms, s, m or h)");
}

static void unset_environment_variable(void **state)
{
	struct fx *f = *state;
	struct errs e;

	unsetenv("LDAPENROLL_TEST_UNSET");
	load_fails(f, MINIMAL "state_dir: ${LDAPENROLL_TEST_UNSET}/state\n", &e);
	expect_only_error(f, &e, 15, 12, "state_dir", "environment variable LDAPENROLL_TEST_UNSET is not set");

	load_fails(f, MINIMAL "state_dir: ${BAD-NAME}\n", &e);
	expect_error_at(f, &e, 0, 15, 12, "state_dir", "invalid environment variable name 'BAD-NAME'");

	load_fails(f, MINIMAL "state_dir: /x/${OPEN\n", &e);
	expect_error_at(f, &e, 0, 15, 12, "state_dir", "unterminated ${");
}

static void multiple_errors_all_reported(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY
		   "  window: 0\n"          /* 7 */
		   "  page_size: \"5\"\n"   /* 8 */
		   "  timeout: 5\n"         /* 9 */
		   REST                     /* 10-17 */
		   "passwords:\n"           /* 18 */
		   "  hash: md5\n"          /* 19 */
		   "  lenght: 12\n"         /* 20 */
		   "limits:\n"              /* 21 */
		   "  max_disable_percent: 101\n", &e);
	assert_int_equal(e.n, 6);
	expect_error_at(f, &e, 0, 7, 11, "directory.window", "out of range");
	expect_error_at(f, &e, 1, 8, 14, "directory.page_size", "quoted string");
	expect_error_at(f, &e, 2, 9, 12, "directory.timeout", "with a unit");
	expect_error_at(f, &e, 3, 19, 9, "passwords.hash", "'md5' is not one of: ssha, ssha256, ssha512");
	expect_error_at(f, &e, 4, 20, 3, "passwords.lenght", "did you mean 'length'?");
	expect_error_at(f, &e, 5, 22, 24, "limits.max_disable_percent", "101 is out of range (0 to 100)");
}

static void missing_required_keys(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, DIRECTORY REST "roles:\n  column: Role\n", &e);
	expect_only_error(f, &e, 16, 3, "roles", "missing required key 'dn'");

	load_fails(f, REST, &e);
	assert_int_equal(e.n, 1);
	expect_error_at(f, &e, 0, 1, 1, NULL, "missing required key 'directory'");
}

/* --- YAML structure ------------------------------------------------------------- */

static void nesting_too_deep(void **state)
{
	struct fx *f = *state;
	char yaml[2048];
	struct errs e;
	int i, n;

	n = snprintf(yaml, sizeof yaml, "%snested: ", MINIMAL);
	for (i = 0; i < 40; i++)
		yaml[n++] = '[';
	for (i = 0; i < 40; i++)
		yaml[n++] = ']';
	yaml[n++] = '\n';
	yaml[n] = '\0';
	load_fails(f, yaml, &e);
	assert_int_equal(e.n, 1);
	/* The root mapping is level 1: the 32nd '[' (column 9 + 31) is one too many. */
	expect_error_at(f, &e, 0, 15, 40, NULL, "nesting deeper than 32 levels");
}

static void second_document(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL "---\nstate_dir: /tmp\n", &e);
	assert_int_equal(e.n, 1);
	expect_error_at(f, &e, 0, 15, 1, NULL, "only one YAML document is allowed");
}

static void syntax_error_and_encoding(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL "state_dir: [unclosed\n", &e);
	assert_int_equal(e.n, 1);
	assert_memory_equal(e.line[0], f->path, strlen(f->path));

	load_fails(f, MINIMAL "state_dir: /caf\xe9\n", &e);
	assert_int_equal(e.n, 1);
	expect_error_at(f, &e, 0, 15, 16, NULL, "invalid UTF-8");
}

/* --- templates in the config -------------------------------------------------------- */

static void template_unknown_filter_column(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL "    cn: \"{LastName|lowr}\"\n", &e);
	expect_only_error(f, &e, 15, 20, "people.attributes.cn",
			  "unknown filter 'lowr' in {LastName} (known: lower, upper, ascii, initial)");

	/* Unquoted, the column is counted from the value itself. */
	load_fails(f, MINIMAL "    sn: x{LastName|upper|bad}\n", &e);
	expect_error_at(f, &e, 0, 15, 26, "people.attributes.sn", "unknown filter 'bad'");
}

static void template_builtin_not_allowed(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL "    description: \"pw {password}\"\n", &e);
	expect_only_error(f, &e, 15, 22, "people.attributes.description", "{password} is not available here");
}

/* --- cross-key checks ----------------------------------------------------------------- */

static void secret_file_mode(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char want[512];

	write_file(f, "bind.pw", "directory-secret\n", 0644);
	load_fails(f, MINIMAL, &e);
	snprintf(want, sizeof want, "%s/bind.pw: readable by group or others (mode 0644); make it owner-only with chmod 600",
		 f->dir);
	expect_only_error(f, &e, 4, 23, "directory.bind_password_file", want);
}

static void secret_file_symlink(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char target[512], link[512], want[512];

	snprintf(target, sizeof target, "%s/real.pw", f->dir);
	snprintf(link, sizeof link, "%s/bind.pw", f->dir);
	assert_int_equal(rename(link, target), 0);
	assert_int_equal(symlink(target, link), 0);
	load_fails(f, MINIMAL, &e);
	snprintf(want, sizeof want, "%s/bind.pw: is a symbolic link; secret files must be regular files", f->dir);
	expect_only_error(f, &e, 4, 23, "directory.bind_password_file", want);
}

static void secret_file_missing(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char path[512];

	snprintf(path, sizeof path, "%s/bind.pw", f->dir);
	assert_int_equal(unlink(path), 0);
	load_fails(f, MINIMAL, &e);
	expect_error_at(f, &e, 0, 4, 23, "directory.bind_password_file", "No such file or directory");
}

static void starttls_off_needs_allow_insecure(void **state)
{
	struct fx *f = *state;
	struct errs e;
	struct config *cfg;

	load_fails(f, DIRECTORY "  starttls: off\n" REST, &e);
	expect_error_at(f, &e, 0, 7, 13, "directory.starttls",
			"off sends the bind password in clear text over ldap://localhost");
	assert_int_equal(e.n, 1);

	cfg = load_ok(f, DIRECTORY "  starttls: off\n  allow_insecure: true\n" REST);
	assert_int_equal(cfg->directory.conn.starttls, TLS_OFF);
	assert_int_equal(cfg->directory.conn.allow_insecure, 1);
	config_free(cfg);

	/* ldaps:// needs no StartTLS. */
	cfg = load_ok(f, "directory:\n"
			 "  uri: [ldaps://a.example, ldaps://b.example]\n"
			 "  starttls: off\n"
			 "  bind_dn: cn=admin,dc=example,dc=com\n"
			 "  bind_password_file: bind.pw\n"
			 "  base: dc=example,dc=com\n"
			 "  password_policy: cn=default,ou=policies,dc=example,dc=com\n" REST);
	assert_int_equal(cfg->directory.conn.uris.n, 2);
	assert_string_equal(cfg->directory.conn.uris.items[1], "ldaps://b.example");
	config_free(cfg);
}

/* --- notify and message templates ----------------------------------------------------- */

static void builtin_templates_when_omitted(void **state)
{
	struct fx *f = *state;
	struct config *cfg = load_ok(f, MINIMAL NOTIFY_HEAD);

	assert_int_equal(cfg->notify.enabled, 1);
	assert_null(cfg->notify.templates);
	assert_int_equal(cfg->notify.n_messages, 3);
	assert_int_equal(cfg->notify.messages[0], MSG_WELCOME);
	assert_int_equal(cfg->notify.smtp.starttls, TLS_OFF);
	assert_true(cfg->notify.n_tmpl[MSG_WELCOME] >= 1);
	assert_true(cfg->notify.n_tmpl[MSG_USERNAME] >= 1);
	assert_true(cfg->notify.n_tmpl[MSG_PASSWORD] >= 1);
	/* The plain variant comes first: it is the fallback. */
	assert_string_equal(cfg->notify.tmpl[MSG_WELCOME][0].path, "built-in:welcome.txt");
	assert_null(cfg->notify.tmpl[MSG_WELCOME][0].locale);
	assert_true(tmpl_uses_builtin(cfg->notify.tmpl[MSG_PASSWORD][0].body, TB_PASSWORD));
	assert_false(tmpl_uses_builtin(cfg->notify.tmpl[MSG_WELCOME][0].body, TB_PASSWORD));
	for (size_t i = 1; i < cfg->notify.n_tmpl[MSG_WELCOME]; i++)
		assert_non_null(cfg->notify.tmpl[MSG_WELCOME][i].locale);
	config_free(cfg);
}

static void templates_from_directory(void **state)
{
	struct fx *f = *state;
	struct config *cfg;

	make_dir(f, "tpl");
	write_file(f, "tpl/welcome.txt", "Subject: Welcome {first_name}\n\nHello {first_name}, see {login_url}\n", 0644);
	write_file(f, "tpl/welcome.de.txt", "Subject: Willkommen\r\n\r\nHallo {first_name}\r\n", 0644);
	cfg = load_ok(f, MINIMAL NOTIFY_HEAD "  messages: [welcome]\n  templates: tpl\n");
	assert_int_equal(cfg->notify.n_messages, 1);
	assert_int_equal(cfg->notify.n_tmpl[MSG_WELCOME], 2);
	assert_null(cfg->notify.tmpl[MSG_WELCOME][0].locale);
	assert_string_equal(cfg->notify.tmpl[MSG_WELCOME][1].locale, "de");
	assert_int_equal(cfg->notify.n_tmpl[MSG_PASSWORD], 0);
	config_free(cfg);
}

static void password_not_available_in_welcome(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char want[512];

	make_dir(f, "tpl");
	write_file(f, "tpl/welcome.txt", "Subject: Hi\n\nYour password is {password}\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [welcome]\n  templates: tpl\n", &e);
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof want, "%s/tpl/welcome.txt:3:18: {password} is not available here", f->dir);
	assert_string_equal(e.line[0], want);
}

static void password_not_in_subject(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char want[512];

	make_dir(f, "tpl");
	write_file(f, "tpl/password.txt", "Subject: {password}\n\nIt is {password}\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [password]\n  templates: tpl\n", &e);
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof want, "%s/tpl/password.txt:1:10: {password} is not available here", f->dir);
	assert_string_equal(e.line[0], want);
}

static void password_template_without_password(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char want[512];

	make_dir(f, "tpl");
	write_file(f, "tpl/password.txt", "Subject: Your password\n\nSee you soon.\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [password]\n  templates: tpl\n", &e);
	assert_int_equal(e.n, 1);
	snprintf(want, sizeof want, "%s/tpl/password.txt:3:1: the password message does not contain {password}", f->dir);
	assert_string_equal(e.line[0], want);
}

static void template_file_problems(void **state)
{
	struct fx *f = *state;
	struct errs e;
	char want[512];

	make_dir(f, "tpl");
	write_file(f, "tpl/welcome.txt", "Hello without a subject\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [welcome]\n  templates: tpl\n", &e);
	snprintf(want, sizeof want, "%s/tpl/welcome.txt:1:1: the first line must be \"Subject: ...\"", f->dir);
	assert_string_equal(e.line[0], want);

	write_file(f, "tpl/welcome.txt", "Subject: x\n\nDear {Frist|lowr}\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [welcome]\n  templates: tpl\n", &e);
	snprintf(want, sizeof want, "%s/tpl/welcome.txt:3:13: unknown filter 'lowr'", f->dir);
	assert_memory_equal(e.line[0], want, strlen(want));

	/* The file of a message that is sent must be there. */
	write_file(f, "tpl/welcome.txt", "Subject: x\n\nDear {first_name}\n", 0644);
	load_fails(f, MINIMAL NOTIFY_HEAD "  messages: [username]\n  templates: tpl\n", &e);
	assert_non_null(strstr(e.line[0], "username.txt"));
	assert_non_null(strstr(e.line[0], "notify.templates"));
}

static void notify_smtp_needs_tls_or_allow_insecure(void **state)
{
	struct fx *f = *state;
	struct errs e;

	load_fails(f, MINIMAL
		   "notify:\n"                                  /* 15 */
		   "  smtp:\n"                                  /* 16 */
		   "    url: smtp://mail.example.com\n"         /* 17 */
		   "    starttls: off\n"                        /* 18 */
		   "  from: \"Example IT <it@example.com>\"\n"
		   "  login_url: https://portal.example.com/login\n", &e);
	expect_only_error(f, &e, 18, 15, "notify.smtp.starttls",
			  "off sends passwords in clear text; use starttls: required, an smtps:// URL, or set allow_insecure: true (loopback tests only)");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(minimal_config_and_defaults),
		T(values_and_environment),
		T(default_role),
		T(reserved_names),
		T(missing_file),
		T(unknown_key_with_suggestion),
		T(duplicate_key),
		T(anchors_and_aliases),
		T(yaml11_boolean),
		T(quoted_number),
		T(number_out_of_range),
		T(durations),
		T(unset_environment_variable),
		T(multiple_errors_all_reported),
		T(missing_required_keys),
		T(nesting_too_deep),
		T(second_document),
		T(syntax_error_and_encoding),
		T(template_unknown_filter_column),
		T(template_builtin_not_allowed),
		T(secret_file_mode),
		T(secret_file_symlink),
		T(secret_file_missing),
		T(starttls_off_needs_allow_insecure),
		T(builtin_templates_when_omitted),
		T(templates_from_directory),
		T(password_not_available_in_welcome),
		T(password_not_in_subject),
		T(password_template_without_password),
		T(template_file_problems),
		T(notify_smtp_needs_tls_or_allow_insecure),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
