#include "agent/state/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/crypto.h"
#include "agent/base/testhook.h"

struct journal {
	int fd;
	char *path;
	char id[40];
	char error[256];        /* the file cannot be written: nothing more is */
	char lost[128];         /* a record was lost (not the file's fault): the
	                         * run stops, but later records still go in */
	struct buf pending;          /* whole records not yet written */
	struct timespec flushed;     /* when they last were */
};

/* Records are collected and written together: one write for many small
 * records instead of one each. Never longer than this, so that `jobs ID`
 * follows a run closely. */
#define FLUSH_BYTES (16 * 1024)
#define FLUSH_SECONDS 0.5

void utc_text(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "?");
}

void utc_now(char out[32])
{
	utc_text(time(NULL), out);
}

static int make_dir(const char *path, struct diag *d)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return diag_set(d, ST_INPUT, "state directory %s: %s", path, strerror(errno));
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return diag_set(d, ST_INPUT, "state directory %s: not a directory", path);
	return 0;
}

/* fsync of a directory makes the names in it durable. */
static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int state_prepare(const char *state_dir, struct diag *d)
{
	char path[4096];
	int fd, rc = 0;

	if (make_dir(state_dir, d) < 0)
		return ST_INPUT;
	snprintf(path, sizeof path, "%s/jobs", state_dir);
	if (make_dir(path, d) < 0)
		return ST_INPUT;
	/* Prove, before anything is changed, that the journal can be made
	 * durable here. */
	snprintf(path, sizeof path, "%s/jobs/.write-test", state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return diag_set(d, ST_INPUT, "state directory %s is not writable: %s", state_dir, strerror(errno));
	if (testhook_journal_write_fails() || write(fd, "ok\n", 3) != 3 || fsync(fd) < 0)
		rc = diag_set(d, ST_INPUT, "state directory %s: writing and syncing a file failed: %s", state_dir,
			      errno ? strerror(errno) : "short write");
	close(fd);
	unlink(path);
	return rc;
}

/* The run lock is an open file description lock (F_OFD_SETLK): like flock,
 * it belongs to the open file and goes with the process, and unlike flock
 * it can be tested without being taken (F_OFD_GETLK), so that reading the
 * jobs never makes a run that starts at that moment find it taken. */
static int run_lock_set(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

int run_lock_held(const char *state_dir)
{
	char path[4096];
	struct flock fl;
	int fd, held;

	snprintf(path, sizeof path, "%s/lock", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	testhook_point("lock-probe");
	close(fd);
	return held;
}

static void lock_write(struct run_lock *lock)
{
	/* The holder text only informs a second run; failing to write it is
	 * harmless. */
	if (ftruncate(lock->fd, 0) == 0)
		(void)!pwrite(lock->fd, lock->holder, strlen(lock->holder), 0);
}

void run_lock_job(struct run_lock *lock, const char *job)
{
	char tail[64], *since;
	size_t n;

	if (lock->fd < 0 || !(since = strstr(lock->holder, ", since ")))
		return;
	n = (size_t)(since - lock->holder);
	/* "pid N, COMMAND, job ID, since T" */
	snprintf(tail, sizeof tail, "%s", since);
	snprintf(lock->holder + n, sizeof lock->holder - n, ", job %s%s", job, tail);
	lock_write(lock);
}

int run_lock_take(const char *state_dir, const char *command, struct run_lock *lock, struct diag *d)
{
	char path[4096], holder[256] = "", now[32];
	ssize_t n;
	int fd;

	lock->fd = -1;
	snprintf(path, sizeof path, "%s/lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return diag_set(d, ST_INPUT, "cannot open the run lock %s: %s", path, strerror(errno));
	if (run_lock_set(fd, F_WRLCK) < 0) {
		int e = errno;
		n = pread(fd, holder, sizeof holder - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(fd);
		if (e == EAGAIN || e == EACCES)
			return diag_set(d, ST_LOCKED, "another run holds the lock %s%s%s; nothing was changed", path,
					*holder ? ": " : "", holder);
		return diag_set(d, ST_INPUT, "cannot lock %s: %s", path, strerror(e));
	}
	utc_now(now);
	snprintf(lock->holder, sizeof lock->holder, "pid %ld, %s, since %s\n", (long)getpid(), command, now);
	lock->fd = fd;
	lock_write(lock);
	return 0;
}

void run_lock_release(struct run_lock *lock)
{
	if (lock->fd >= 0) {
		(void)!ftruncate(lock->fd, 0);
		close(lock->fd);
	}
	lock->fd = -1;
}


int journal_create(const char *state_dir, struct journal **out, struct diag *d)
{
	struct journal *j = calloc(1, sizeof *j);
	char stamp[32], dir[4096], path[4200];
	unsigned char rnd[1];
	struct timespec now;
	struct tm tm;
	int tries, rc;

	*out = NULL;
	if (!j)
		return diag_set(d, ST_FAIL, "out of memory");
	j->fd = -1;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dir, sizeof dir, "%s/jobs", state_dir);
	for (tries = 0; tries < 16 && j->fd < 0; tries++) {
		if ((rc = random_bytes(rnd, sizeof rnd, d)) < 0) {
			free(j);
			return rc;
		}
		/* The suffix is the millisecond (high 10 bits) and 6 random bits:
		 * ids sort in the order the jobs started, as the run lock
		 * lets no two start in the same millisecond. */
		snprintf(j->id, sizeof j->id, "%s-%04x", stamp,
			 (unsigned)(((now.tv_nsec / 1000000) & 0x3ff) << 6 | (rnd[0] & 0x3f)));
		snprintf(path, sizeof path, "%s/%s.jsonl", dir, j->id);
		j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (j->fd < 0 && errno != EEXIST)
			break;
	}
	if (j->fd < 0) {
		rc = diag_set(d, ST_INPUT, "cannot create a job journal in %s: %s", dir, strerror(errno));
		free(j);
		return rc;
	}
	if (!(j->path = strdup(path))) {
		close(j->fd);
		free(j);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	/* The new name must survive a crash as well as the content. */
	sync_dir(dir);
	*out = j;
	return 0;
}

const char *journal_id(const struct journal *j)
{
	return j->id;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

int journal_flush(struct journal *j)
{
	size_t off = 0;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &j->flushed);
	/* Whole records only: with O_APPEND a reader never sees half a line
	 * unless the disk fills up, and then the run stops. */
	while (!j->error[0] && off < j->pending.len) {
		n = testhook_journal_write_fails() ? -1 : write(j->fd, j->pending.data + off, j->pending.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(j->error, sizeof j->error, "writing the journal %s failed: %s", j->path, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	buf_reset(&j->pending);
	return j->error[0] ? ST_FAIL : 0;
}

/* Writes one record and its newline in one call, past the buffer. */
static int write_record(struct journal *j, const char *record, size_t len)
{
	struct iovec iov[2] = {{(void *)record, len}, {(void *)"\n", 1}}, *v = iov;
	int cnt = 2;
	ssize_t n;

	while (cnt > 0) {
		n = testhook_journal_write_fails() ? -1 : writev(j->fd, v, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(j->error, sizeof j->error, "writing the journal %s failed: %s", j->path, strerror(errno));
			return ST_FAIL;
		}
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++, cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int journal_append(struct journal *j, const char *record, size_t len)
{
	struct timespec now;
	size_t before = j->pending.len;

	if (j->error[0])
		return ST_FAIL;
	if (buf_add(&j->pending, record, len) < 0 || buf_addc(&j->pending, '\n') < 0) {
		/* No memory to buffer it: what is buffered goes first, then
		 * the record itself. */
		buf_truncate(&j->pending, before);
		if (journal_flush(j) < 0)
			return ST_FAIL;
		return write_record(j, record, len);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (j->pending.len >= FLUSH_BYTES ||
	    (double)(now.tv_sec - j->flushed.tv_sec) + (double)(now.tv_nsec - j->flushed.tv_nsec) / 1e9 >= FLUSH_SECONDS)
		return journal_flush(j);
	return 0;
}

int journal_append_buf(struct journal *j, const struct buf *b)
{
	if (j->error[0])
		return ST_FAIL;
	if (b->failed) {
		if (!j->lost[0])
			snprintf(j->lost, sizeof j->lost, "out of memory while building a journal record");
		return ST_FAIL;
	}
	return journal_append(j, buf_str(b), b->len);
}

int journal_sync(struct journal *j, struct diag *d)
{
	journal_flush(j);
	if (!j->error[0] && fsync(j->fd) < 0)
		snprintf(j->error, sizeof j->error, "syncing the journal %s failed: %s", j->path, strerror(errno));
	if (!journal_ok(j))
		return diag_set(d, ST_FAIL, "%s; no further change is made", journal_error(j));
	return 0;
}

int journal_ok(const struct journal *j)
{
	return !j->error[0] && !j->lost[0];
}

const char *journal_error(const struct journal *j)
{
	return j->error[0] ? j->error : j->lost;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0) {
		journal_flush(j);
		if (!j->error[0])
			fsync(j->fd);
		close(j->fd);
	}
	buf_release(&j->pending);
	free(j->path);
	free(j);
}
