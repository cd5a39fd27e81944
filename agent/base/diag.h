/* agent/base: the ground every layer stands on. It owns the containers
 * (buf, arena, hmap, sindex, strlist), errors and logging (diag, log,
 * oom), the person records both sides fill (record), JSON and UTF-8,
 * secrets in memory and on disk (secure, secret_file, pwstore), randomness
 * and digests (crypto, the only user of OpenSSL's generator and digests)
 * and the test hooks. It may use libc and OpenSSL only.
 *
 * Status codes and the first-error-wins diagnostic.
 *
 * Functions return 0 or a negative status; the words go into a struct diag.
 * The negative statuses are chosen so that main() can turn them into the exit
 * codes of the command line contract without a table: -status is the exit
 * code, except ST_FAIL (internal or unexpected failure), which exits 1. */
#ifndef LDAPENROLL_DIAG_H
#define LDAPENROLL_DIAG_H

#include <stddef.h>

enum status {
	ST_OK = 0,
	ST_FAIL = -1,    /* internal error, out of memory, I/O failure */
	ST_INPUT = -2,   /* usage, config or input-file error; nothing changed */
	ST_SERVER = -3,  /* a server could not be reached, bound or trusted */
	ST_LIMIT = -4,   /* a safety limit stopped the run */
	ST_LOCKED = -5,  /* another run holds the lock */
	/* An administrator (SIGINT) or the service manager (SIGTERM) stopped
	 * the run: what was in flight is collected, the journal closed, who
	 * waits for messages recorded. Exit 128 + the signal, as shells do. */
	ST_SIGINT = -130,
	ST_SIGTERM = -143,
};

#define DIAG_MSG_MAX 2048

struct diag {
	int status;             /* the status of the first error, ST_OK if none */
	char msg[DIAG_MSG_MAX]; /* lower-case, no trailing full stop */
};

void diag_init(struct diag *d);
/* Records the error unless one is already recorded; returns status, so that
 * callers can write `return diag_set(d, ST_INPUT, "...")`. A NULL d is
 * accepted and ignored. */
int diag_set(struct diag *d, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts context in front of the recorded message ("reading x: " + msg). */
void diag_prefix(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_failed(const struct diag *d);

/* The process exit code for a status (0, 1, 2, 3, 4, 5, 130 or 143). Commands return
 * 1 (not an error status) when they finished with something pending or
 * failed, which also exits 1. */
int status_exit_code(int status);

#endif
