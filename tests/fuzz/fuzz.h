/* Shared by the libFuzzer targets in this directory: the entry point every
 * target defines, the check that turns a violated property into an abort
 * (which libFuzzer reports as a crash and the replay test as a failure),
 * and small helpers that are deliberately independent of the code under
 * test. */
#ifndef LDAPENROLL_FUZZ_H
#define LDAPENROLL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                    \
	do {                                                                                           \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                       \
		}                                                                                      \
	} while (0)

/* True when s[0..len) is UTF-8 as RFC 3629 defines it: no overlong forms,
 * no surrogates, nothing above U+10FFFF, no truncated sequence. */
static inline int fuzz_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2, c = s[i] & 0x1fu, min = 0x80;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 3, c = s[i] & 0x0fu, min = 0x800;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 4, c = s[i] & 0x07u, min = 0x10000;
		else
			return 0;
		if (len - i < n)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3fu);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* Splits the input at NUL bytes into at most max pieces, each a
 * NUL-terminated copy (the last piece takes the rest, NULs dropped). The
 * inputs of the template and header targets are built this way, so a
 * piece can hold any byte a C string can. Returns the number of pieces;
 * free them with fuzz_pieces_free(). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, char **pieces, size_t max)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= size && n < max; i++) {
		if (i == size || (data[i] == 0 && n + 1 < max)) {
			char *p = malloc(i - start + 1);
			size_t k, len = 0;
			if (!p)
				abort();
			for (k = start; k < i; k++)
				if (data[k])
					p[len++] = (char)data[k];
			p[len] = '\0';
			pieces[n++] = p;
			start = i + 1;
		}
	}
	return n;
}

static inline void fuzz_pieces_free(char **pieces, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(pieces[i]);
}

/* Writes the input to a new file in /tmp (or $TMPDIR), for the APIs that
 * take a path; path receives its name. The caller unlinks it. */
static inline void fuzz_write_temp(char *path, size_t path_size, const uint8_t *data, size_t size)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t done = 0;
	int fd;

	if ((size_t)snprintf(path, path_size, "%s/ldapenroll-fuzz-XXXXXX", dir) >= path_size)
		abort();
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	if (close(fd) < 0)
		abort();
}

#endif
