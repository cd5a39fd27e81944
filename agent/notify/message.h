/* Mail messages from templates, as RFC 5322 + MIME text (no network).
 *
 * The body is UTF-8 text/plain, quoted-printable, with CRLF line ends and
 * lines of at most 76 characters. Header values are 7-bit: a display name or
 * subject that is not plain ASCII, or that folding at spaces could not keep
 * within 78 characters a line, becomes RFC 2047 encoded-words. No header
 * value may hold CR, LF or NUL: such input is refused, never passed on. */
#ifndef LDAPENROLL_MESSAGE_H
#define LDAPENROLL_MESSAGE_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/text/mime.h"
#include "agent/text/template.h"

struct message_headers {
	const char *from;        /* "Example IT <it@example.com>" (already checked) */
	const char *reply_to;    /* may be NULL */
	const char *to_name;     /* display name of the recipient, may be NULL or "" */
	const char *to;          /* the recipient's address (already checked) */
	const char *message_id;  /* without the angle brackets */
	time_t date;
};

/* Renders t with env and appends the whole message to out. Returns 0, or
 * ST_INPUT when a header value would hold a line break (the reason in d).
 * The message may carry a password: out should be a secret buffer
 * (BUF_SECRET_INIT), so that its growth leaves no copy behind. */
int message_build(const struct msg_template *t, const struct tmpl_env *env, const struct message_headers *h,
		  struct buf *out, struct diag *d);

/* The template variant for a locale ("de_DE" tries "de_DE", then "de",
 * then the plain one). variants[0] is the plain one. */
const struct msg_template *message_pick(const struct msg_template *variants, size_t n, const char *locale);

#endif
