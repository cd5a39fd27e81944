/* Fuzzing the CSV reader (connectors/csv.c) with arbitrary bytes, read from
 * memory as a CSV file and through csv_read_keys() as a --users list.
 *
 * Properties:
 *  - every record has 1..CSV_FIELDS_MAX fields; every field is valid UTF-8,
 *    NUL-terminated at csv_field_len() with no NUL inside, and at most
 *    CSV_FIELD_MAX bytes;
 *  - records start on strictly increasing lines, none beyond the last line;
 *  - the end of the input stays the end; an input error is ST_INPUT with a
 *    one-line message naming the file;
 *  - writing the records back as CSV (every field quoted) and reading that
 *    gives the same records on the lines the rewrite puts them on;
 *  - csv_read_keys() either fails with a message and no keys, or returns at
 *    least one key, each non-empty, valid UTF-8, trimmed, on increasing
 *    lines. */
#include <sys/mman.h>

#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "connectors/csv.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.csv"

/* Reads every record of text, checking each, and appends the records to
 * out as CSV with every field quoted and LF line ends. When want_lines is
 * given, record i must start on want_lines[i]. Returns the status of the
 * last csv_next() (0 at the end, or the error). */
static int read_all(const char *text, size_t len, struct buf *out, size_t *n_records, const unsigned *want_lines)
{
	struct csv_reader *r = malloc(sizeof *r);
	unsigned line, prev = 0, last_line = 1;
	struct diag d;
	size_t i, k;
	int rc;

	CHECK(r);
	for (i = 0; i < len; i++)
		last_line += text[i] == '\n';
	CHECK(csv_open_mem(r, text, len, NAME) == 0);
	diag_init(&d);
	*n_records = 0;
	while ((rc = csv_next(r, &line, &d)) == 1) {
		size_t n = csv_nfields(r);

		CHECK(line > prev);
		CHECK(line <= last_line);
		if (want_lines)
			CHECK(line == want_lines[*n_records]);
		prev = line;
		CHECK(n >= 1 && n <= CSV_FIELDS_MAX);
		for (i = 0; i < n; i++) {
			const char *f = csv_field(r, i);
			size_t flen = csv_field_len(r, i);

			CHECK(flen <= CSV_FIELD_MAX);
			CHECK(f[flen] == '\0');
			CHECK(strlen(f) == flen);
			CHECK(fuzz_utf8_valid(f, flen));
			buf_addc(out, i ? ',' : '"');
			if (i)
				buf_addc(out, '"');
			for (k = 0; k < flen; k++) {
				if (f[k] == '"')
					buf_addc(out, '"');
				buf_addc(out, f[k]);
			}
			buf_addc(out, '"');
		}
		buf_addc(out, '\n');
		(*n_records)++;
	}
	if (rc == 0) {
		CHECK(d.status == ST_OK);
		CHECK(csv_next(r, &line, &d) == 0);
		CHECK(csv_next(r, &line, &d) == 0);
	} else {
		CHECK(rc == ST_INPUT);
		CHECK(d.status == ST_INPUT);
		CHECK(strncmp(d.msg, NAME ":", strlen(NAME ":")) == 0);
		CHECK(strchr(d.msg, '\n') == NULL);
	}
	csv_close(r);
	free(r);
	return rc;
}

/* The lines the records of a rewrite start on: each record takes one line
 * plus the line breaks inside its fields. */
static unsigned *rewrite_lines(const struct buf *b, size_t n)
{
	unsigned *lines = calloc(n ? n : 1, sizeof *lines), line = 1;
	size_t i, rec = 0;
	int quoted = 0;

	CHECK(lines);
	for (i = 0; i < b->len && rec < n; i++) {
		if (i == 0 || (b->data[i - 1] == '\n' && !quoted))
			lines[rec++] = line;
		if (b->data[i] == '"')
			quoted = !quoted;
		if (b->data[i] == '\n')
			line++;
	}
	CHECK(rec == n);
	return lines;
}

/* The input as a file without touching the disk when the system allows. */
static int open_input(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("ldapenroll-fuzz", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0) {
		fuzz_write_temp(path, path_size, data, size);
		return -1;
	}
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		CHECK(w > 0);
		done += (size_t)w;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

static void check_keys(const uint8_t *data, size_t size)
{
	struct listed_key *keys = NULL;
	struct arena a;
	struct diag d;
	char path[256];
	size_t n = 99, i;
	int fd, rc;

	fd = open_input(data, size, path, sizeof path);
	arena_init(&a);
	diag_init(&d);
	rc = csv_read_keys(path, "Username", NULL, &a, &keys, &n, &d);
	if (rc == 0) {
		CHECK(d.status == ST_OK);
		CHECK(keys && n >= 1);
		for (i = 0; i < n; i++) {
			size_t len = strlen(keys[i].key);
			CHECK(len > 0);
			CHECK(keys[i].key[0] != ' ' && keys[i].key[0] != '\t');
			CHECK(keys[i].key[len - 1] != ' ' && keys[i].key[len - 1] != '\t');
			CHECK(fuzz_utf8_valid(keys[i].key, len));
			CHECK(i == 0 || keys[i].line > keys[i - 1].line);
		}
	} else {
		CHECK(rc == ST_INPUT || rc == ST_FAIL);
		CHECK(d.status == rc && d.msg[0]);
		CHECK(strchr(d.msg, '\n') == NULL);
		CHECK(keys == NULL && n == 0);
	}
	free(keys);
	arena_release(&a);
	if (fd >= 0)
		close(fd);
	else
		unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf rewrite = BUF_INIT, again = BUF_INIT;
	size_t n, n2;
	int rc;

	rc = read_all((const char *)data, size, &rewrite, &n, NULL);
	CHECK(!rewrite.failed);
	if (rc == 0) {
		unsigned *lines = rewrite_lines(&rewrite, n);
		CHECK(read_all(buf_str(&rewrite), rewrite.len, &again, &n2, lines) == 0);
		CHECK(n2 == n);
		CHECK(again.len == rewrite.len && memcmp(buf_str(&again), buf_str(&rewrite), rewrite.len) == 0);
		free(lines);
	}
	buf_release(&rewrite);
	buf_release(&again);
	check_keys(data, size);
	return 0;
}
