/* bindcheck: logs in as many people as standard input lists, the way a
 * portal does, and says who could not or was not told to change the
 * password. For the integration tests: thousands of ldapwhoami processes
 * would take minutes.
 *
 *   bindcheck URI CA_FILE [--expect must-change|no-change] < DN<TAB>PASSWORD lines
 *
 * One connection (StartTLS for ldap://), one simple bind per line with the
 * password policy request control. With must-change (the default), each
 * bind must succeed and the server must answer that the password has to be
 * changed (ppolicy changeAfterReset); with no-change, it must succeed
 * without that. Prints one line per person that fails and a count; exits 0
 * when everyone passed, 1 otherwise, 2 on a usage or connection error.
 * Passwords come on standard input only, never in arguments. */
#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static LDAP *connect_to(const char *uri, const char *ca)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS || !ld)
		return NULL;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (strncmp(uri, "ldap://", 7) == 0 && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		fprintf(stderr, "bindcheck: %s: StartTLS failed: %s\n", uri, ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

/* Binds as dn; returns NULL when the expectation holds, else why not. */
static const char *check(LDAP *ld, const char *dn, const char *pw, int must_change, char *why, size_t size)
{
	LDAPControl *req = NULL, *reqs[2] = {NULL, NULL}, **ctrls = NULL, *pp;
	struct berval cred = {strlen(pw), (char *)pw};
	LDAPMessage *res = NULL;
	LDAPPasswordPolicyError pperr = PP_noError;
	ber_int_t expire = -1, grace = -1;
	int msgid, rc, err = LDAP_OTHER, told;

	if (ldap_create_passwordpolicy_control(ld, &req) != LDAP_SUCCESS)
		return "cannot build the password policy control";
	reqs[0] = req;
	rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, reqs, NULL, &msgid);
	ldap_control_free(req);
	if (rc != LDAP_SUCCESS || ldap_result(ld, msgid, LDAP_MSG_ALL, NULL, &res) <= 0) {
		snprintf(why, size, "the bind could not be sent or answered");
		return why;
	}
	rc = ldap_parse_result(ld, res, &err, NULL, NULL, NULL, &ctrls, 1);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		snprintf(why, size, "bind failed: %s (%d)", ldap_err2string(rc != LDAP_SUCCESS ? rc : err),
			 rc != LDAP_SUCCESS ? rc : err);
		ldap_controls_free(ctrls);
		return why;
	}
	pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL);
	if (pp)
		ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace, &pperr);
	ldap_controls_free(ctrls);
	told = pperr == PP_changeAfterReset;
	if (must_change && !told)
		return "the bind worked, but the server did not say the password must be changed";
	if (!must_change && told)
		return "the server says the password must still be changed";
	return NULL;
}

int main(int argc, char **argv)
{
	char line[4096], why[256];
	size_t n = 0, bad = 0;
	int must_change = 1;
	LDAP *ld;

	if (argc == 5 && strcmp(argv[3], "--expect") == 0 &&
	    (strcmp(argv[4], "must-change") == 0 || strcmp(argv[4], "no-change") == 0))
		must_change = strcmp(argv[4], "must-change") == 0;
	else if (argc != 3) {
		fprintf(stderr, "usage: bindcheck URI CA_FILE [--expect must-change|no-change] < DN<TAB>PASSWORD lines\n");
		return 2;
	}
	if (!(ld = connect_to(argv[1], argv[2]))) {
		fprintf(stderr, "bindcheck: cannot connect to %s\n", argv[1]);
		return 2;
	}
	while (fgets(line, sizeof line, stdin)) {
		char *tab = strchr(line, '\t'), *end = line + strcspn(line, "\r\n");
		const char *problem;

		*end = '\0';
		if (!tab || tab == line || !tab[1]) {
			if (*line)
				fprintf(stderr, "bindcheck: not DN<TAB>PASSWORD: a line of %zu characters\n", strlen(line));
			continue;
		}
		*tab = '\0';
		n++;
		if ((problem = check(ld, line, tab + 1, must_change, why, sizeof why))) {
			printf("%s: %s\n", line, problem);
			bad++;
		}
		memset(line, 0, sizeof line);
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	printf("bindcheck: %zu of %zu people passed on %s\n", n - bad, n, argv[1]);
	return bad || !n ? 1 : 0;
}
