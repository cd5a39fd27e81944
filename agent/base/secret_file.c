#include "agent/base/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/secure.h"

#define SECRET_MAX 4096

static int check_stat(const struct stat *st, struct diag *d)
{
	if (!S_ISREG(st->st_mode))
		return diag_set(d, ST_INPUT, "not a regular file");
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return diag_set(d, ST_INPUT, "owned by uid %u, not by the user running ldapenroll (uid %u)",
				(unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return diag_set(d, ST_INPUT,
				"readable by group or others (mode %04o); make it owner-only with chmod 600",
				(unsigned)(st->st_mode & 07777));
	return 0;
}

int secret_file_check(const char *path, struct diag *d)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return diag_set(d, ST_INPUT, "%s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return diag_set(d, ST_INPUT, "is a symbolic link; secret files must be regular files");
	return check_stat(&st, d);
}

int secret_file_read(const char *path, struct buf *out, struct diag *d)
{
	struct stat st;
	char chunk[512];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return diag_set(d, ST_INPUT, "%s: is a symbolic link; secret files must be regular files",
					path);
		return diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = check_stat(&st, d)) < 0) {
		diag_prefix(d, "%s: ", path);
		goto out;
	}
	buf_init_secret(out, SECRET_MAX);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
			break;
		}
		if (buf_add(out, chunk, (size_t)n) < 0) {
			rc = diag_set(d, ST_INPUT, "%s: longer than %d bytes", path, SECRET_MAX);
			break;
		}
	}
	secure_wipe(chunk, sizeof chunk);
	if (rc == 0) {
		if (out->len && out->data[out->len - 1] == '\n')
			buf_truncate(out, out->len - 1);
		if (out->len && out->data[out->len - 1] == '\r')
			buf_truncate(out, out->len - 1);
		if (out->len == 0)
			rc = diag_set(d, ST_INPUT, "%s: the secret is empty", path);
		else if (memchr(out->data, '\0', out->len))
			rc = diag_set(d, ST_INPUT, "%s: the secret contains a NUL byte", path);
	}
	if (rc < 0)
		buf_release_secret(out);
out:
	close(fd);
	return rc;
}
