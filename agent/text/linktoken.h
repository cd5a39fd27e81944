/* Set-password link tokens: what a link carries, sealed so that only the
 * holder of the link keys can read or make one. No token is stored
 * anywhere: the token itself holds the person's temporary password, so a
 * newer link (a new password) makes the older one useless, and a used one
 * stops working once the password is changed.
 *
 *   token = base64url( version (1) | key id (1) | nonce (12)
 *                      | AES-256-GCM(claims) | tag (16) )
 *
 * with the fixed associated data "ldapenroll set-password link v1" and the
 * version and key id authenticated as well. The claims are the expiry
 * (seconds since the epoch, 8 bytes big-endian), then the job id, the DN,
 * the temporary password and the language, each a 2-byte big-endian length
 * and its bytes. */
#ifndef LDAPENROLL_LINKTOKEN_H
#define LDAPENROLL_LINKTOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agent/base/buf.h"
#include "agent/base/crypto.h"

#define LINK_KEYS_MAX 16

/* The link keys, from an owner-only key file: one "ID HEX" line per key
 * (ID 1-255, HEX 64 hexadecimal digits: 32 random bytes), '#' comments.
 * The first key seals new tokens; every key opens them, so that keys can
 * rotate while older links live. Wiped by link_keys_wipe(). */
struct link_keys {
	struct {
		unsigned char id;
		unsigned char key[AEAD_KEY];
	} k[LINK_KEYS_MAX];
	size_t n;
};

/* Parses the text of a key file. Returns 0, or -1 with *why (and the line
 * in *line). */
int link_keys_parse(const char *text, size_t len, struct link_keys *out, unsigned *line, const char **why);
void link_keys_wipe(struct link_keys *keys);
/* Reads and parses an owner-only key file. Returns 0, or a negative status
 * with the reason (file:line) in d. */
int link_keys_load(const char *path, struct link_keys *out, struct diag *d);

/* The expiry as people read it, in UTC, in the language of locale ("de",
 * "fr_FR"; others get English): "7 December 2026, 14:05 UTC". */
void link_expiry_text(int64_t when, const char *locale, struct buf *out);

struct link_claims {
	int64_t expires;        /* seconds since the epoch */
	const char *job, *dn, *password, *language;
};

enum link_status {
	LINK_OK,
	LINK_MALFORMED,     /* not a token of this form (truncated, wrong version, bad encoding) */
	LINK_UNKNOWN_KEY,   /* sealed with a key that is not (or no longer) in the key file */
	LINK_FORGED,        /* does not open with its key: changed, or made without it */
	LINK_EXPIRED,       /* authentic, and past its expiry */
};

const char *link_status_text(enum link_status s);

/* Seals the claims with the first key and a fresh random nonce, appending
 * the token to out. Returns 0, or -1 (no keys, a field over 65535 bytes,
 * the random generator or no memory; d says which). */
int link_token_seal(const struct link_keys *keys, const struct link_claims *c, struct buf *out, struct diag *d);

/* Opens a token. On LINK_OK and LINK_EXPIRED, *c points into store (a
 * secret buffer: it holds the password), which the caller releases with
 * buf_release_secret(). now is the current time. */
enum link_status link_token_open(const struct link_keys *keys, const char *token, size_t len, int64_t now,
				 struct link_claims *c, struct buf *store);

#endif
