#include "agent/text/ldif.h"

#include <lber.h>
#include <stdio.h>
#include <string.h>

#include <ldif.h> /* after lber.h and stdio.h, whose types it uses */

#include "agent/base/oom.h"

int buf_add_ldif(struct buf *b, const char *attr, const char *v)
{
	char *line = ldif_put_wrap(LDIF_PUT_VALUE, attr, v, strlen(v), LDIF_LINE_WIDTH);
	int rc;

	if (!line) {
		oom_note();
		return -1;
	}
	rc = buf_adds(b, line);
	ber_memfree(line);
	return rc;
}
