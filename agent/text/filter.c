#include "agent/text/filter.h"

#include <lber.h>
#include <ldap.h>

#include "agent/base/oom.h"

void filter_escape_value(struct buf *out, const char *value, size_t len)
{
	struct berval in, esc = {0, NULL};

	in.bv_val = (char *)value;
	in.bv_len = len;
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0) {
		oom_note();
		out->failed = 1;
		return;
	}
	buf_add(out, esc.bv_val, esc.bv_len);
	ber_memfree(esc.bv_val);
}
