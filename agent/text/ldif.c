#include "agent/text/ldif.h"

#include <lber.h>
#include <stdio.h>
#include <string.h>

#include <ldif.h> /* after lber.h and stdio.h, whose types it uses */

#include "agent/base/oom.h"
#include "agent/base/utf8.h"

/* UTF-8 text that LDIF readers take as written (OpenLDAP's do): a
 * SAFE-STRING of RFC 2849 but for its non-ASCII characters. libldap's
 * automatic choice (LDIF_PUT_VALUE) writes such a value base64; plain
 * ASCII is left to that choice. */
static int is_utf8_text(const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i;
	int high = 0;

	if (len && (p[0] == ' ' || p[0] == ':' || p[0] == '<' || p[len - 1] == ' '))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		high |= p[i] >= 0x80;
	}
	return high && utf8_validate(v, len) == len;
}

int buf_add_ldif(struct buf *b, const char *attr, const char *v)
{
	size_t len = strlen(v);
	char *line = ldif_put_wrap(is_utf8_text(v, len) ? LDIF_PUT_TEXT : LDIF_PUT_VALUE, attr, v, len, LDIF_LINE_WIDTH);
	int rc;

	if (!line) {
		oom_note();
		return -1;
	}
	rc = buf_adds(b, line);
	ber_memfree(line);
	return rc;
}
