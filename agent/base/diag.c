#include "agent/base/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void diag_init(struct diag *d)
{
	d->status = ST_OK;
	d->msg[0] = '\0';
}

int diag_set(struct diag *d, int status, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->status != ST_OK)
		return status;
	d->status = status;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	return status;
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
	char prefix[512];
	size_t plen, mlen;
	va_list ap;

	if (!d || d->status == ST_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strlen(d->msg);
	if (plen + mlen >= sizeof d->msg)
		mlen = sizeof d->msg - 1 - plen;
	memmove(d->msg + plen, d->msg, mlen);
	memcpy(d->msg, prefix, plen);
	d->msg[plen + mlen] = '\0';
}

int diag_failed(const struct diag *d)
{
	return d->status != ST_OK;
}

int status_exit_code(int status)
{
	/* A positive value is an outcome that is not an error: 1 means
	 * "finished, but something is pending or failed". */
	if (status >= 0)
		return status > 0 ? 1 : 0;
	if (status == ST_SIGINT || status == ST_SIGTERM)
		return -status;
	if (status < ST_LOCKED)
		return 1;
	return status == ST_FAIL ? 1 : -status;
}
