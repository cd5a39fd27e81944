/* Fuzzing the config loader (config/config.c) with arbitrary bytes as the
 * configuration file, written to a temporary file because config_load()
 * takes a path. Files the text names (secrets, CA files, template
 * directories) mostly do not exist: that must only produce errors. The bind
 * passwords come from the environment, so that a config can load at all.
 *
 * Properties:
 *  - a load that succeeds returns a config and no errors; the config names
 *    the file, carries a 64-digit hex digest, and every column slot it
 *    hands out is within its column list, with a place that names it;
 *  - a load that fails returns ST_INPUT, no config, and at least one error,
 *    each a non-empty single line that starts with the file's name and
 *    holds no control character (but tabs);
 *  - nothing leaks either way (config_free, strlist_free). */
#include "config/config.h"
#include "agent/base/diag.h"
#include "tests/fuzz/fuzz.h"

static void check_slot(const struct config *c, int slot, int optional)
{
	CHECK(slot >= (optional ? -1 : 0));
	CHECK(slot < (int)c->columns.n);
}

static void check_config(const struct config *c, const char *path)
{
	size_t i;

	CHECK(c->file && strcmp(c->file, path) == 0);
	CHECK(strlen(c->digest) == 64 && strspn(c->digest, "0123456789abcdef") == 64);
	CHECK(c->state_dir && c->state_dir[0]);
	for (i = 0; i < c->columns.n; i++) {
		CHECK(c->columns.items[i] && c->columns.items[i][0]);
		CHECK(c->column_users[i] && c->column_users[i][0]);
	}
	if (c->source.type == SOURCE_CSV) {
		CHECK(c->source.path && c->source.path[0]);
		if (c->source.key)
			check_slot(c, c->source.key_slot, 0);
	}
	check_slot(c, c->roles.column_slot, 1);
	for (i = 0; i < c->people.required.n; i++)
		check_slot(c, c->people.required_slots[i], 0);
	CHECK(c->people.dn != NULL);
	CHECK(c->passwords.length >= c->passwords.min_length);
	CHECK(c->notify.n_messages <= MSG_KINDS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist errors = {NULL, 0};
	struct config *cfg = (struct config *)&errors; /* must be reset */
	char path[256];
	size_t i;
	int rc;

	setenv("LDAPENROLL_BIND_PASSWORD", "fuzz", 0);
	setenv("LDAPENROLL_SOURCE_BIND_PASSWORD", "fuzz", 0);
	fuzz_write_temp(path, sizeof path, data, size);
	rc = config_load(path, &cfg, &errors);
	unlink(path);
	if (rc == ST_OK) {
		CHECK(cfg != NULL);
		CHECK(errors.n == 0);
		check_config(cfg, path);
		config_free(cfg);
	} else {
		CHECK(rc == ST_INPUT);
		CHECK(cfg == NULL);
		CHECK(errors.n >= 1);
		for (i = 0; i < errors.n; i++) {
			const char *e = errors.items[i];
			CHECK(e && strncmp(e, path, strlen(path)) == 0 && e[strlen(path)] == ':');
			CHECK(e[strlen(path) + 1] != '\0');
			for (; *e; e++)
				CHECK(((unsigned char)*e >= 0x20 || *e == '\t') && *e != 0x7f);
		}
	}
	strlist_free(&errors);
	return 0;
}
