/* Unit tests for agent/base/crypto.c: the random generator (its block of
 * small draws, across fork()) and SHA-256 digests of data and files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/base/crypto.h"
#include "agent/base/diag.h"
#include "tests/unit/scratch.h"

static void random_bytes_fill(void **state)
{
	unsigned char a[32], b[32];
	struct diag d;

	(void)state;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	diag_init(&d);
	assert_int_equal(random_bytes(a, sizeof a, &d), 0);
	assert_int_equal(random_bytes(b, sizeof b, &d), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(random_bytes(a, 0, &d), 0);
}

/* Small requests are served from a block drawn at once: across the
 * block's end, every draw is still new (no two 24-byte draws of 4,000 are
 * equal), and a large request goes to the generator. */
static void random_bytes_small_and_large(void **state)
{
	enum { N = 4000, LEN = 24 };
	unsigned char *all = calloc(N, LEN), big[1000];
	struct diag d;
	size_t i, j;

	(void)state;
	assert_non_null(all);
	diag_init(&d);
	for (i = 0; i < N; i++)
		assert_int_equal(random_bytes(all + i * LEN, LEN, &d), 0);
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			assert_memory_not_equal(all + i * LEN, all + j * LEN, LEN);
	memset(big, 0, sizeof big);
	assert_int_equal(random_bytes(big, sizeof big, &d), 0);
	assert_memory_not_equal(big, big + 500, 500);
	free(all);
}

/* A child process after fork() never hands out the bytes its parent
 * would hand out next. */
static void random_bytes_after_fork(void **state)
{
	unsigned char mine[16], childs[16];
	struct diag d;
	int fds[2], status;
	pid_t pid;

	(void)state;
	diag_init(&d);
	assert_int_equal(random_bytes(mine, sizeof mine, &d), 0); /* the block is drawn */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = random_bytes(childs, sizeof childs, &d) == 0 && write(fds[1], childs, sizeof childs) == sizeof childs;
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], childs, sizeof childs), (ssize_t)sizeof childs);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(random_bytes(mine, sizeof mine, &d), 0);
	assert_memory_not_equal(mine, childs, sizeof mine);
}

/* --- digests ------------------------------------------------------------------------ */

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static void digest_test_vectors(void **state)
{
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct digest dg;
	char hex[65];
	size_t i;

	(void)state;
	assert_int_equal(digest_init(&dg, DIGEST_SHA256), 0);
	digest_update(&dg, "abc", 3);
	digest_final(&dg, hex);
	assert_string_equal(hex, SHA256_ABC);
	assert_null(dg.ctx);

	assert_int_equal(digest_init(&dg, DIGEST_SHA256), 0);
	digest_final(&dg, hex);
	assert_string_equal(hex, SHA256_EMPTY);

	/* Streaming: byte by byte gives the same. */
	assert_int_equal(digest_init(&dg, DIGEST_SHA256), 0);
	for (i = 0; i < strlen(msg); i++)
		digest_update(&dg, msg + i, 1);
	digest_update(&dg, "", 0);
	digest_final(&dg, hex);
	assert_string_equal(hex, SHA256_448);
}

struct tmpfx {
	char dir[128];
};

static int tmp_setup(void **state)
{
	struct tmpfx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	if (scratch_dir_make(f->dir, sizeof f->dir, "crypto") < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmpfx *f = *state;

	scratch_dir_remove(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void digest_of_files(void **state)
{
	struct tmpfx *f = *state;
	char path[256], hex[65], want[65];
	struct digest dg;
	unsigned char *big;
	size_t i, n = 200000; /* several read chunks, the last one partial */

	snprintf(path, sizeof path, "%s/abc", f->dir);
	write_file(path, "abc", 3);
	assert_int_equal(digest_file(path, hex), 0);
	assert_string_equal(hex, SHA256_ABC);

	snprintf(path, sizeof path, "%s/empty", f->dir);
	write_file(path, "", 0);
	assert_int_equal(digest_file(path, hex), 0);
	assert_string_equal(hex, SHA256_EMPTY);

	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 131 + (i >> 8));
	snprintf(path, sizeof path, "%s/big", f->dir);
	write_file(path, big, n);
	assert_int_equal(digest_init(&dg, DIGEST_SHA256), 0);
	digest_update(&dg, big, n);
	digest_final(&dg, want);
	assert_int_equal(strlen(want), 64);
	assert_int_equal(digest_file(path, hex), 0);
	assert_string_equal(hex, want);
	free(big);

	snprintf(path, sizeof path, "%s/missing", f->dir);
	errno = 0;
	assert_int_equal(digest_file(path, hex), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(hex, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_bytes_fill),
		cmocka_unit_test(random_bytes_small_and_large),
		cmocka_unit_test(random_bytes_after_fork),
		cmocka_unit_test(digest_test_vectors),
		cmocka_unit_test_setup_teardown(digest_of_files, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
