/* The benchmark's measure of the server's limit: a minimal asynchronous add
 * client, with no planning and no hashing. It reads the LDIF that gen.py
 * writes (one "attr: value" or "attr:: base64" per line, entries separated
 * by blank lines, no folding), and keeps WINDOW adds in flight on one
 * StartTLS connection. An entry whose parent is still in flight waits for
 * it (the account containers come just before their people).
 *
 *   bench_addclient URI CA_FILE BIND_DN PASSWORD_FILE LDIF WINDOW
 *
 * Prints "entries=N failed=F seconds=S" (the time of the adds alone). */
#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/text/base64.h"
#include "agent/base/buf.h"

struct entry {
	char *dn;
	LDAPMod **mods;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Adds one value to the entry's modifications (one LDAPMod per attribute). */
static void add_value(struct entry *e, const char *attr, const char *val, size_t len)
{
	size_t n = 0, k = 0;
	LDAPMod *m = NULL;
	struct berval *bv = malloc(sizeof *bv);

	while (e->mods && e->mods[n]) {
		if (strcmp(e->mods[n]->mod_type, attr) == 0)
			m = e->mods[n];
		n++;
	}
	if (!m) {
		e->mods = realloc(e->mods, (n + 2) * sizeof *e->mods);
		m = calloc(1, sizeof *m);
		m->mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		m->mod_type = strdup(attr);
		e->mods[n] = m;
		e->mods[n + 1] = NULL;
	}
	while (m->mod_bvalues && m->mod_bvalues[k])
		k++;
	m->mod_bvalues = realloc(m->mod_bvalues, (k + 2) * sizeof *m->mod_bvalues);
	bv->bv_val = malloc(len + 1);
	memcpy(bv->bv_val, val, len);
	bv->bv_val[len] = '\0';
	bv->bv_len = len;
	m->mod_bvalues[k] = bv;
	m->mod_bvalues[k + 1] = NULL;
}

static struct entry *read_ldif(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct entry *v = NULL, *cur = NULL;
	size_t alloc = 0, cap = 0;
	char *line = NULL;
	ssize_t len;

	*n = 0;
	if (!f)
		return NULL;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *colon, *val;
		struct buf dec = BUF_INIT;

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len) {
			cur = NULL;
			continue;
		}
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		val = colon + 1;
		if (*val == ':') {
			val++;
			while (*val == ' ')
				val++;
			base64_decode(&dec, val, strlen(val));
			val = dec.data ? dec.data : "";
			len = (ssize_t)dec.len;
		} else {
			while (*val == ' ')
				val++;
			len = (ssize_t)strlen(val);
		}
		if (strcmp(line, "dn") == 0) {
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 1024;
				v = realloc(v, alloc * sizeof *v);
			}
			cur = &v[(*n)++];
			cur->dn = strndup(val, (size_t)len);
			cur->mods = NULL;
		} else if (cur) {
			add_value(cur, line, val, (size_t)len);
		}
		buf_release(&dec);
	}
	free(line);
	fclose(f);
	return v;
}

/* Adds in flight: message id and DN, by slot. */
struct flight {
	int id;
	const char *dn;
};

static int parent_in_flight(const struct flight *f, int window, const char *dn)
{
	const char *parent = strchr(dn, ',');
	int i;

	if (!parent)
		return 0;
	parent++;
	for (i = 0; i < window; i++)
		if (f[i].dn && strcasecmp(f[i].dn, parent) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct flight *flight;
	struct timeval tv = {60, 0};
	struct berval cred;
	size_t n, next = 0, done = 0, failed = 0, inflight = 0;
	struct entry *entries;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, window, rc;
	char pw[256] = "";
	LDAP *ld;
	FILE *pf;
	double t0;

	if (argc != 7) {
		fprintf(stderr, "usage: %s URI CA_FILE BIND_DN PASSWORD_FILE LDIF WINDOW\n", argv[0]);
		return 2;
	}
	window = atoi(argv[6]);
	if (window < 1 || !(flight = calloc((size_t)window, sizeof *flight))) {
		fprintf(stderr, "bad window %s\n", argv[6]);
		return 2;
	}
	if (!(pf = fopen(argv[4], "r")) || !fgets(pw, sizeof pw, pf)) {
		fprintf(stderr, "cannot read %s\n", argv[4]);
		return 2;
	}
	fclose(pf);
	pw[strcspn(pw, "\n")] = '\0';
	if (!(entries = read_ldif(argv[5], &n))) {
		fprintf(stderr, "cannot read %s\n", argv[5]);
		return 2;
	}
	if (ldap_initialize(&ld, argv[1]) != LDAP_SUCCESS)
		return 2;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, argv[2]);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if ((rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		fprintf(stderr, "StartTLS: %s\n", ldap_err2string(rc));
		return 3;
	}
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	if ((rc = ldap_sasl_bind_s(ld, argv[3], LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL)) != LDAP_SUCCESS) {
		fprintf(stderr, "bind: %s\n", ldap_err2string(rc));
		return 3;
	}
	t0 = now();
	while (done < n) {
		LDAPMessage *res;
		int id, err;

		while (next < n && inflight < (size_t)window && !parent_in_flight(flight, window, entries[next].dn)) {
			int slot = 0;
			if (ldap_add_ext(ld, entries[next].dn, entries[next].mods, NULL, NULL, &id) != LDAP_SUCCESS) {
				fprintf(stderr, "send failed\n");
				return 3;
			}
			while (flight[slot].dn)
				slot++;
			flight[slot].id = id;
			flight[slot].dn = entries[next].dn;
			next++;
			inflight++;
		}
		rc = ldap_result(ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &res);
		if (rc <= 0) {
			fprintf(stderr, "no result\n");
			return 3;
		}
		id = ldap_msgid(res);
		for (int i = 0; i < window; i++)
			if (flight[i].dn && flight[i].id == id)
				flight[i].dn = NULL;
		if (ldap_parse_result(ld, res, &err, NULL, NULL, NULL, NULL, 1) != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			if (failed++ < 3)
				fprintf(stderr, "add failed: %s\n", ldap_err2string(err));
		}
		inflight--;
		done++;
	}
	printf("entries=%zu failed=%zu seconds=%.3f\n", n, failed, now() - t0);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return 0;
}
