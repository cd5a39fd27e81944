/* readcheck: a read that ends early must leave nothing behind on the
 * connection. For the integration tests (test_read_early_exit.sh).
 *
 *   readcheck BASE TARGET_DN
 *
 * Connects as the sandbox's administrator (the LDAPENROLL_SANDBOX_* variables),
 * reads the subtree BASE, which holds a referral object ahead of many
 * entries, so the read stops at the referral; then sends one modify of
 * TARGET_DN on the same connection. The first result to come back must be
 * that modify's: a leftover entry of the abandoned read would reach the
 * engine's result loop instead. Exits 0 when it is so, 1 otherwise, 2 on a
 * usage or connection error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/record.h"
#include "config/config.h"
#include "connectors/directory.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "readcheck: %s is not set\n", name);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const char *const attrs[] = {"cn", NULL};
	static const char *const value[] = {"touched after an abandoned read"};
	const struct dir_mod mod = {.op = DIR_MOD_REPLACE, .attr = "description", .values = value, .n = 1};
	struct cfg_ldap_conn conn = {0};
	struct dir *dir = NULL;
	struct entry_list list;
	struct dir_result res;
	struct arena a;
	struct diag d;
	int rc, msgid, status = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: readcheck BASE TARGET_DN\n");
		return 2;
	}
	diag_init(&d);
	arena_init(&a);
	entry_list_init(&list, &a);
	if (strlist_push(&conn.uris, env("LDAPENROLL_SANDBOX_LDAP_URI")) < 0)
		return 2;
	conn.starttls = TLS_REQUIRED;
	conn.ca_file = (char *)env("LDAPENROLL_SANDBOX_CA");
	conn.bind_dn = (char *)env("LDAPENROLL_SANDBOX_ADMIN_DN");
	conn.bind_password_file = (char *)env("LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE");
	conn.password_env = "LDAPENROLL_BIND_PASSWORD";
	conn.timeout_ms = 10000;
	if (dir_connect(&dir, &conn, &d) < 0) {
		fprintf(stderr, "readcheck: %s\n", d.msg);
		strlist_free(&conn.uris);
		return 2;
	}
	rc = dir_read(dir, argv[1], SCOPE_SUB, "(objectClass=*)", attrs, 0, &list, &d);
	if (rc >= 0 || !strstr(d.msg, "referral")) {
		fprintf(stderr, "readcheck: the read did not stop at the referral (%d: %s)\n", rc, d.msg);
		goto out;
	}
	printf("read stopped: %s\n", d.msg);
	diag_init(&d);
	if ((msgid = dir_send_modify(dir, argv[2], &mod, 1, NULL, &d)) < 0) {
		fprintf(stderr, "readcheck: %s\n", d.msg);
		goto out;
	}
	rc = dir_next_result(dir, 10000, &res, &d);
	if (rc != 1) {
		fprintf(stderr, "readcheck: no result for the modify (%d: %s)\n", rc, d.msg);
		goto out;
	}
	if (res.msgid != msgid || res.type != DIR_RES_MODIFY) {
		fprintf(stderr,
			"readcheck: the first result after the read is message %d (%s), not the modify %d: the read left responses behind\n",
			res.msgid, res.type == DIR_RES_MODIFY ? "a modify" : res.type == DIR_RES_ADD ? "an add" : "not a write",
			msgid);
		goto out;
	}
	if (res.code != DIR_SUCCESS) {
		fprintf(stderr, "readcheck: the modify failed: %s\n", res.text);
		goto out;
	}
	printf("first result: the modify (%d)\n", msgid);
	status = 0;
out:
	dir_close(dir);
	entry_list_release(&list);
	arena_release(&a);
	strlist_free(&conn.uris);
	return status;
}
