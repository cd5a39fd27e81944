/* The set-password page as HTML: what `ldapenroll serve` answers, in the
 * person's language (English, German, French). No network: text in, text
 * out. Every value is HTML-escaped; the page needs no JavaScript and loads
 * nothing from elsewhere (its one stylesheet comes from the same place). */
#ifndef LDAPENROLL_PAGE_H
#define LDAPENROLL_PAGE_H

#include <stddef.h>

#include "agent/base/buf.h"

enum page_kind {
	PAGE_FORM,          /* the form (with an error, or none) */
	PAGE_INVALID,       /* not a link of this site */
	PAGE_EXPIRED,       /* a link past its expiry */
	PAGE_USED,          /* the temporary password no longer binds */
	PAGE_DONE,          /* the password is set */
	PAGE_UNAVAILABLE,   /* the directory did not answer */
	PAGE_FAILED,        /* the directory refused for another reason */
	PAGE_BAD_REQUEST,   /* not a form post this page understands */
};

enum page_error {
	PERR_NONE,
	PERR_EMPTY,         /* no new password given */
	PERR_MISMATCH,      /* the two fields differ */
	PERR_TOO_SHORT,     /* ppolicy: passwordTooShort */
	PERR_QUALITY,       /* ppolicy: insufficientPasswordQuality */
	PERR_HISTORY,       /* ppolicy: passwordInHistory */
	PERR_REFUSED,       /* the policy refused it for another reason */
};

struct page {
	enum page_kind kind;
	enum page_error error;
	const char *lang;          /* "en", "de" or "fr" (page_language) */
	const char *token;         /* PAGE_FORM: goes back in a hidden field */
	const char *action;        /* PAGE_FORM: where the form posts (relative) */
	const char *expires;       /* PAGE_EXPIRED, PAGE_FORM: the expiry, as people read it */
	const char *login_url;     /* where to sign in afterwards; may be NULL */
	unsigned min_length;       /* the hints: passwords.policy */
	unsigned min_classes;
};

/* Appends the whole page (an HTML document) to out. */
void page_render(const struct page *p, struct buf *out);

/* The page's language: the token's (a locale such as "de_DE"), else the
 * first supported one of an Accept-Language header, else English. */
const char *page_language(const char *token_locale, const char *accept_language);

/* The value of field name in an application/x-www-form-urlencoded body,
 * decoded ('+' and %XX) and appended to out, a secret buffer: every copy of
 * a password is in a buffer that is wiped (which MHD's post processor
 * would not promise). Returns 1 when present, 0 when not, -1 when it is
 * present twice, badly encoded, not UTF-8 or holds a NUL. */
int form_value(const char *body, size_t len, const char *name, struct buf *out);

/* The stylesheet the page links to (style.css, beside the page). */
extern const char page_css[];

#endif
