/* SMTP with libcurl: the only module that knows libcurl.
 *
 * One easy handle for the whole run, so that one connection carries every
 * message. STARTTLS is required by default (CURLUSESSL_ALL; smtps:// is TLS
 * from the start) with certificate verification; AUTH uses the password
 * file; connect and transfer timeouts are always set; one recipient per
 * message. Each send is one attempt: the caller decides about retries from
 * the class of the outcome, read from the SMTP reply code, not only from
 * libcurl's error. */
#ifndef LDAPENROLL_SMTP_H
#define LDAPENROLL_SMTP_H

#include <stddef.h>

#include "agent/base/diag.h"
#include "config/config.h"

enum smtp_class {
	SMTP_SENT,      /* 250 after the data */
	SMTP_TRANSIENT, /* a 4xx reply, or the connection failed or was lost */
	SMTP_PERMANENT, /* a 5xx reply for this message */
	SMTP_AUTH,      /* the server refused our credentials: stop mailing */
	SMTP_TLS,       /* no STARTTLS, or a certificate that is not trusted: stop mailing */
};

struct smtp_result {
	enum smtp_class cls;
	long code;          /* the last SMTP reply code, 0 when none */
	int unknown;        /* the data was sent but no final reply came (RFC 1047) */
	char text[512];     /* what went wrong, for the journal and the log (cut) */
};

struct smtp;

/* Once per process, before and after any other call (libcurl's global
 * state). */
void smtp_global_init(void);
void smtp_global_cleanup(void);

/* Prepares the connection (nothing is sent yet). from is the envelope
 * sender address. The password is read from the owner-only file. */
int smtp_open(struct smtp **out, const struct cfg_smtp *cfg, const char *from, struct diag *d);
void smtp_close(struct smtp *s);

/* Connects, says EHLO, upgrades with STARTTLS and authenticates, without
 * sending mail (check --connect). Returns 0 or ST_SERVER. */
int smtp_check(struct smtp *s, struct diag *d);

/* The URL given to libcurl: url with name (what we say EHLO with) as its
 * path, unless url has a path already. Returns a new string, or NULL when
 * url does not parse. */
char *smtp_ehlo_url(const char *url, const char *name);

/* Sends one message to one recipient. The result's text holds the server's
 * whole last reply when there was one. */
void smtp_send(struct smtp *s, const char *rcpt, const char *data, size_t len, struct smtp_result *res);

#endif
