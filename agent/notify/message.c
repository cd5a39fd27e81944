#include "agent/notify/message.h"

#include <string.h>
#include <strings.h>

#include "agent/text/address.h"
#include "agent/text/mime.h"
#include "agent/base/utf8.h"

static void add_date(struct buf *out, time_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	/* Written by hand: strftime's names follow the locale. */
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int single_line(const char *s)
{
	return !strpbrk(s, "\r\n");
}

int message_build(const struct msg_template *t, const struct tmpl_env *env, const struct message_headers *h,
		  struct buf *out, struct diag *d)
{
	/* Subject and body may hold the password (out must be a secret buffer
	 * too: see message.h). */
	struct buf subject = BUF_SECRET_INIT, body = BUF_SECRET_INIT, name = BUF_INIT, addr = BUF_INIT;
	struct tmpl_error err;
	const char *why;
	int rc = 0;

	if (tmpl_render(t->subject, env, &subject, &err) < 0 || tmpl_render(t->body, env, &body, &err) < 0) {
		rc = diag_set(d, ST_INPUT, "%s: %s", t->path, err.msg);
		goto out;
	}
	if (!single_line(buf_str(&subject)) || (h->to_name && !single_line(h->to_name)) || !single_line(h->to) ||
	    !single_line(h->message_id) || (h->reply_to && !single_line(h->reply_to)) ||
	    memchr(buf_str(&body), '\0', body.len) != NULL || strchr(buf_str(&body), '\r')) {
		rc = diag_set(d, ST_INPUT, "%s: a line break (or NUL) in a value would end up in a header; the message is refused",
			      t->path);
		goto out;
	}
	if (mailbox_parse(h->from, &name, &addr, &why) < 0) {
		rc = diag_set(d, ST_INPUT, "notify.from: %s", why);
		goto out;
	}
	header_add_mailbox(out, "From", buf_str(&name), buf_str(&addr));
	header_add_mailbox(out, "To", h->to_name, h->to);
	if (h->reply_to) {
		buf_reset(&name);
		buf_reset(&addr);
		if (mailbox_parse(h->reply_to, &name, &addr, &why) < 0) {
			rc = diag_set(d, ST_INPUT, "notify.reply_to: %s", why);
			goto out;
		}
		header_add_mailbox(out, "Reply-To", buf_str(&name), buf_str(&addr));
	}
	header_add_text(out, "Subject", buf_str(&subject));
	add_date(out, h->date);
	buf_printf(out, "Message-ID: <%s>\r\n", h->message_id);
	buf_adds(out, "Auto-Submitted: auto-generated\r\n");
	buf_adds(out, "MIME-Version: 1.0\r\n");
	buf_adds(out, "Content-Type: text/plain; charset=UTF-8\r\n");
	buf_adds(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_encode(out, buf_str(&body), body.len);
	if (body.len && body.data[body.len - 1] != '\n')
		buf_adds(out, "\r\n");
	if (out->failed)
		rc = diag_set(d, ST_FAIL, "out of memory building a message");
out:
	buf_release(&body);
	buf_release(&subject);
	buf_release(&name);
	buf_release(&addr);
	return rc;
}

const struct msg_template *message_pick(const struct msg_template *v, size_t n, const char *locale)
{
	char lang[32], full[64];
	size_t i, len;

	if (!n)
		return NULL;

	if (!locale || !*locale)
		return &v[0];
	/* A codeset or modifier (pt_BR.UTF-8, de_DE@euro) does not matter. */
	len = strcspn(locale, ".@");
	if (len >= sizeof full)
		return &v[0];
	memcpy(full, locale, len);
	full[len] = '\0';
	locale = full;
	/* de_DE and de-DE match a de_DE variant, then a de variant. */
	for (i = 1; i < n; i++)
		if (v[i].locale && strlen(v[i].locale) == strlen(locale)) {
			size_t k;
			for (k = 0; locale[k]; k++) {
				char a = locale[k] == '-' ? '_' : locale[k], b = v[i].locale[k] == '-' ? '_' : v[i].locale[k];
				if ((a | 0x20) != (b | 0x20))
					break;
			}
			if (!locale[k])
				return &v[i];
		}
	len = strcspn(locale, "_-.@");
	if (len && len < sizeof lang) {
		memcpy(lang, locale, len);
		lang[len] = '\0';
		for (i = 1; i < n; i++)
			if (v[i].locale && strcasecmp(v[i].locale, lang) == 0)
				return &v[i];
	}
	return &v[0];
}
