/* Unit tests for connectors/csv.c: the RFC 4180 reader, from memory and
 * from a file larger than its read buffer, the exact "name:line:col:
 * problem" text of every input error, and the source's records, which keep
 * a value that repeats once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/base/strlist.h"
#include "config/config.h"
#include "connectors/csv.h"
#include "connectors/source.h"
#include "tests/unit/scratch.h"

/* --- helpers ----------------------------------------------------------------- */

static struct csv_reader *open_mem(const char *text, size_t len)
{
	struct csv_reader *r = malloc(sizeof *r);

	assert_non_null(r);
	assert_int_equal(csv_open_mem(r, text, len, "t.csv"), 0);
	return r;
}

static void close_reader(struct csv_reader *r)
{
	csv_close(r);
	free(r);
}

/* Reads the next record, which must exist, and checks its line and fields
 * (n strings). */
static void expect_record(struct csv_reader *r, unsigned line, size_t n, ...)
{
	struct diag d;
	unsigned got_line = 0;
	va_list ap;
	size_t i;
	int rc;

	diag_init(&d);
	rc = csv_next(r, &got_line, &d);
	if (rc != 1)
		fail_msg("expected a record on line %u, got %d (%s)", line, rc, d.msg);
	assert_int_equal(got_line, line);
	assert_int_equal(csv_nfields(r), n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);
		assert_string_equal(csv_field(r, i), want);
		assert_int_equal(csv_field_len(r, i), strlen(want));
	}
	va_end(ap);
}

static void expect_end(struct csv_reader *r)
{
	struct diag d;
	unsigned line = 0;

	diag_init(&d);
	assert_int_equal(csv_next(r, &line, &d), 0);
	assert_int_equal(d.status, ST_OK);
	/* And it stays at the end. */
	assert_int_equal(csv_next(r, &line, &d), 0);
}

/* Reads records until the error, which must be msg exactly. */
static void expect_error_len(const char *text, size_t len, const char *msg)
{
	struct csv_reader *r = open_mem(text, len);
	struct diag d;
	unsigned line;
	int rc, n = 0;

	diag_init(&d);
	while ((rc = csv_next(r, &line, &d)) == 1)
		if (++n > 100)
			break;
	/* Released before checking, so that a failure leaks nothing. */
	close_reader(r);
	if (rc != ST_INPUT)
		fail_msg("expected an input error \"%s\", got %d", msg, rc);
	assert_int_equal(d.status, ST_INPUT);
	assert_string_equal(d.msg, msg);
}

static void expect_error(const char *text, const char *msg)
{
	expect_error_len(text, strlen(text), msg);
}

/* A temporary file holding len bytes of text; the path is written to path. */
static void write_temp(char *path, size_t size, const char *text, size_t len)
{
	int fd;

	snprintf(path, size, "%s/ldapenroll-csv-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* --- records ------------------------------------------------------------------ */

static void lf_records(void **state)
{
	static const char text[] = "Username,LastName\njdoe,Doe\nasmith,Smith\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, "Username", "LastName");
	expect_record(r, 2, 2, "jdoe", "Doe");
	expect_record(r, 3, 2, "asmith", "Smith");
	expect_end(r);
	close_reader(r);
}

static void crlf_records(void **state)
{
	static const char text[] = "a,b\r\nc,d\r\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, "a", "b");
	expect_record(r, 2, 2, "c", "d");
	expect_end(r);
	close_reader(r);
}

static void missing_final_newline(void **state)
{
	static const char text[] = "a,b\nc,d";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, "a", "b");
	expect_record(r, 2, 2, "c", "d");
	expect_end(r);
	close_reader(r);

	r = open_mem("\"quoted\"", 8);
	expect_record(r, 1, 1, "quoted");
	expect_end(r);
	close_reader(r);
}

static void blank_lines_skipped(void **state)
{
	static const char text[] = "\nh1,h2\n\n\r\nv1,v2\n\n\r\n\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 2, 2, "h1", "h2");
	expect_record(r, 5, 2, "v1", "v2");
	expect_end(r);
	close_reader(r);
}

static void empty_input(void **state)
{
	struct csv_reader *r = open_mem("", 0);

	(void)state;
	expect_end(r);
	close_reader(r);
	r = open_mem("\xef\xbb\xbf", 3);
	expect_end(r);
	close_reader(r);
	r = open_mem("\n\n\r\n", 4);
	expect_end(r);
	close_reader(r);
}

static void bom_stripped(void **state)
{
	static const char text[] = "\xef\xbb\xbfName,City\nZo\xc3\xab,K\xc3\xb6ln\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, "Name", "City");
	expect_record(r, 2, 2, "Zo\xc3\xab", "K\xc3\xb6ln");
	expect_end(r);
	close_reader(r);

	/* Only at the very start: later it is data (a zero-width no-break space). */
	r = open_mem("a\n\xef\xbb\xbf" "b\n", 7);
	expect_record(r, 1, 1, "a");
	expect_record(r, 2, 1, "\xef\xbb\xbf" "b");
	close_reader(r);
}

static void bom_does_not_shift_columns(void **state)
{
	(void)state;
	expect_error("\xef\xbb\xbf" "ab\"c\n",
		     "t.csv:1:3: quote inside an unquoted field (quote the whole field and double the quote)");
}

static void quoted_fields(void **state)
{
	static const char text[] = "\"Smith, John\",\"say \"\"hi\"\"\",\"\"\"\",plain\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 4, "Smith, John", "say \"hi\"", "\"", "plain");
	expect_end(r);
	close_reader(r);
}

static void embedded_newlines(void **state)
{
	static const char text[] = "h1,h2\n\"line1\nline2\",x\nnext,\"a\r\n\r\nb\"\r\nlast,z\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, "h1", "h2");
	/* The record's line is where it starts... */
	expect_record(r, 2, 2, "line1\nline2", "x");
	/* ...and the next one accounts for the embedded line breaks. */
	expect_record(r, 4, 2, "next", "a\r\n\r\nb");
	expect_record(r, 7, 2, "last", "z");
	expect_end(r);
	close_reader(r);
}

static void empty_fields(void **state)
{
	static const char text[] = "a,,b\n,\na,b,\n\"\"\n,,\"\"\n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 3, "a", "", "b");
	expect_record(r, 2, 2, "", "");
	expect_record(r, 3, 3, "a", "b", "");
	/* One empty quoted field is a record, not a blank line. */
	expect_record(r, 4, 1, "");
	expect_record(r, 5, 3, "", "", "");
	expect_end(r);
	close_reader(r);

	r = open_mem("a,b,", 4);
	expect_record(r, 1, 3, "a", "b", "");
	expect_end(r);
	close_reader(r);
}

static void spaces_are_data(void **state)
{
	static const char text[] = " a , b \n";
	struct csv_reader *r = open_mem(text, sizeof text - 1);

	(void)state;
	expect_record(r, 1, 2, " a ", " b ");
	close_reader(r);
}

static void open_mem_copies_the_text(void **state)
{
	char text[] = "a,b\n";
	struct csv_reader *r = open_mem(text, 4);

	(void)state;
	text[0] = 'X';
	expect_record(r, 1, 2, "a", "b");
	close_reader(r);
}

/* The whole text is read, however long it is. */
static void open_mem_reads_long_text(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader *r;
	struct diag d;
	unsigned line = 0;
	int rows = 0, rc;
	char last[32] = "";

	(void)state;
	for (int i = 1; i <= 5000; i++)
		buf_printf(&text, "user%04d,Name %d\n", i, i);
	assert_true(text.len > 64 * 1024);
	r = open_mem(text.data, text.len);
	diag_init(&d);
	while ((rc = csv_next(r, &line, &d)) == 1) {
		rows++;
		snprintf(last, sizeof last, "%s", csv_field(r, 0));
	}
	close_reader(r);
	buf_release(&text);
	assert_int_equal(rc, 0);
	assert_int_equal(rows, 5000);
	assert_string_equal(last, "user5000");
}

/* --- input errors ------------------------------------------------------------- */

static void invalid_utf8(void **state)
{
	(void)state;
	/* Windows-1252 é (0xE9) on line 2, column 4. */
	expect_error("name,x\nJos\xe9,y\n", "t.csv:2:4: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
	/* Columns count characters, not bytes: Z o ë , M then the bad byte. */
	expect_error("Zo\xc3\xab,M\xfcller\n", "t.csv:1:6: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
	/* A truncated sequence at the end of a field. */
	expect_error("ab\xc3,c\n", "t.csv:1:3: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
	/* An overlong encoding. */
	expect_error("x,\xc0\x80\n", "t.csv:1:3: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
}

static void invalid_utf8_on_later_line_of_quoted_field(void **state)
{
	(void)state;
	/* On a later line of a multi-line field: column counted from that line. */
	expect_error("\"one\ntw\xe9\"\n", "t.csv:2:3: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
}

/* The column is the bad byte's, also when the field is quoted: the opening
 * quote and doubled quotes are characters of the line. */
static void invalid_utf8_in_quoted_field(void **state)
{
	(void)state;
	/* a , " x then the bad byte in column 5. */
	expect_error("a,\"x\xe9\"\n", "t.csv:1:5: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
	/* " a " " then the bad byte in column 5. */
	expect_error("\"a\"\"\xe9\"\n", "t.csv:1:5: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)");
}

static void nul_byte(void **state)
{
	(void)state;
	expect_error_len("ab\0c\n", 5, "t.csv:1:3: NUL byte");
	expect_error_len("x\n\"q\0\"\n", 7, "t.csv:2:3: NUL byte");
	expect_error_len("\0", 1, "t.csv:1:1: NUL byte");
}

static void unterminated_quote(void **state)
{
	(void)state;
	expect_error("a,\"open\nmore\n",
		     "t.csv:1:3: unterminated quoted field (opened on line 1, column 3)");
	expect_error("h\nx,y,\"",
		     "t.csv:2:5: unterminated quoted field (opened on line 2, column 5)");
}

static void quote_inside_unquoted_field(void **state)
{
	(void)state;
	expect_error("ab\"c\n",
		     "t.csv:1:3: quote inside an unquoted field (quote the whole field and double the quote)");
	/* The space after the comma starts an unquoted field; then a quote. */
	expect_error("\"John\", \"Smith\"\n",
		     "t.csv:1:9: quote inside an unquoted field (quote the whole field and double the quote)");
}

static void text_after_closing_quote(void **state)
{
	(void)state;
	expect_error("\"John\"x,y\n",
		     "t.csv:1:7: unexpected text after a closing quote (a quoted field must end at the separator or the end of the line)");
	expect_error("a\n\"John\" ,y\n",
		     "t.csv:2:7: unexpected text after a closing quote (a quoted field must end at the separator or the end of the line)");
}

static void bare_carriage_return(void **state)
{
	(void)state;
	expect_error("a\rb\n", "t.csv:1:2: carriage return without a line feed outside quotes");
	expect_error("h\na,b\r", "t.csv:2:4: carriage return without a line feed outside quotes");
	expect_error("\"q\"\rx\n", "t.csv:1:4: carriage return without a line feed outside quotes");
}

static void too_many_fields(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader *r;
	struct diag d;
	unsigned line;

	(void)state;
	for (int i = 0; i < CSV_FIELDS_MAX - 1; i++)
		buf_addc(&text, ',');
	buf_addc(&text, '\n');
	/* CSV_FIELDS_MAX fields: fine. */
	r = open_mem(text.data, text.len);
	diag_init(&d);
	assert_int_equal(csv_next(r, &line, &d), 1);
	assert_int_equal(csv_nfields(r), CSV_FIELDS_MAX);
	close_reader(r);

	/* One more: an error on line 1. */
	buf_truncate(&text, text.len - 1);
	buf_adds(&text, ",\n");
	r = open_mem(text.data, text.len);
	diag_init(&d);
	assert_int_equal(csv_next(r, &line, &d), ST_INPUT);
	assert_memory_equal(d.msg, "t.csv:1:", 8);
	assert_non_null(strstr(d.msg, ": more than 1024 fields in a record"));
	close_reader(r);
	buf_release(&text);
}

/* --- files -------------------------------------------------------------------- */

static void read_file_larger_than_buffer(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader r;
	struct diag d;
	char path[256];
	unsigned line = 0, last_line = 0;
	int rows = 0, rc;
	char last_key[32] = "", last_name[64] = "", last_note[64] = "";

	(void)state;
	buf_adds(&text, "\xef\xbb\xbfUsername,Name,Note\r\n");
	for (int i = 1; i <= 5000; i++)
		buf_printf(&text, "user%04d,Zo\xc3\xab M\xc3\xbcller %d,\"multi\nline, %d\"\r\n", i, i, i);
	assert_true(text.len > 2 * sizeof r.in);
	write_temp(path, sizeof path, text.data, text.len);

	diag_init(&d);
	assert_int_equal(csv_open(&r, path, "users.csv", &d), 0);
	assert_string_equal(r.name, "users.csv");
	while ((rc = csv_next(&r, &line, &d)) == 1) {
		rows++;
		assert_int_equal(csv_nfields(&r), 3);
		last_line = line;
		snprintf(last_key, sizeof last_key, "%s", csv_field(&r, 0));
		snprintf(last_name, sizeof last_name, "%s", csv_field(&r, 1));
		snprintf(last_note, sizeof last_note, "%s", csv_field(&r, 2));
	}
	if (rc != 0)
		fail_msg("csv_next: %d %s", rc, d.msg);
	assert_int_equal(rows, 5001);
	/* The header is on line 1 and every row takes two lines. */
	assert_int_equal(last_line, 1 + 2 * 4999 + 1);
	assert_string_equal(last_key, "user5000");
	assert_string_equal(last_name, "Zo\xc3\xab M\xc3\xbcller 5000");
	assert_string_equal(last_note, "multi\nline, 5000");
	csv_close(&r);
	unlink(path);
	buf_release(&text);
}

static void read_file_error_after_buffer(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader r;
	struct diag d;
	char path[256], want[512];
	unsigned line;
	int rc, rows = 0;

	(void)state;
	for (int i = 1; i <= 4000; i++)
		buf_printf(&text, "user%04d,ok\n", i);
	buf_adds(&text, "user4001,Ren\xe9\n");
	write_temp(path, sizeof path, text.data, text.len);

	diag_init(&d);
	assert_int_equal(csv_open(&r, path, NULL, &d), 0);
	while ((rc = csv_next(&r, &line, &d)) == 1)
		rows++;
	assert_int_equal(rc, ST_INPUT);
	assert_int_equal(rows, 4000);
	/* Without a name, messages use the path. */
	snprintf(want, sizeof want, "%s:4001:13: invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)", path);
	assert_string_equal(d.msg, want);
	csv_close(&r);
	unlink(path);
	buf_release(&text);
}

/* Writes text to a temporary file and reads its first record, which must
 * fail with msg. Releases text (before checking, so that a failure leaks
 * nothing). */
static void expect_file_error(struct buf *text, const char *msg)
{
	struct csv_reader r;
	struct diag d;
	char path[256];
	unsigned line;
	int rc;

	write_temp(path, sizeof path, text->data, text->len);
	buf_release(text);
	diag_init(&d);
	assert_int_equal(csv_open(&r, path, "big.csv", &d), 0);
	rc = csv_next(&r, &line, &d);
	csv_close(&r);
	unlink(path);
	assert_int_equal(rc, ST_INPUT);
	assert_string_equal(d.msg, msg);
}

static void field_size_limit_exact(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader r;
	struct diag d;
	char path[256];
	unsigned line;

	(void)state;
	/* Exactly CSV_FIELD_MAX bytes: accepted. */
	buf_adds(&text, "a,");
	for (int i = 0; i < CSV_FIELD_MAX; i++)
		buf_addc(&text, 'x');
	buf_adds(&text, ",b\n");
	write_temp(path, sizeof path, text.data, text.len);
	diag_init(&d);
	assert_int_equal(csv_open(&r, path, "big.csv", &d), 0);
	assert_int_equal(csv_next(&r, &line, &d), 1);
	assert_int_equal(csv_nfields(&r), 3);
	assert_int_equal(csv_field_len(&r, 1), CSV_FIELD_MAX);
	assert_string_equal(csv_field(&r, 2), "b");
	csv_close(&r);
	unlink(path);
	buf_release(&text);
}

/* One byte more: the error points at that byte. */
static void field_size_limit_unquoted(void **state)
{
	struct buf text = BUF_INIT;

	(void)state;
	/* The field starts in column 3, so its byte 65537 is in column 65539. */
	buf_adds(&text, "a,");
	for (int i = 0; i < CSV_FIELD_MAX + 1; i++)
		buf_addc(&text, 'x');
	buf_adds(&text, "\n");
	expect_file_error(&text, "big.csv:1:65539: field longer than 65536 bytes");
}

static void field_size_limit_quoted(void **state)
{
	struct buf text = BUF_INIT;

	(void)state;
	/* The content starts in column 2, after the quote. */
	buf_adds(&text, "\"");
	for (int i = 0; i < CSV_FIELD_MAX + 1; i++)
		buf_addc(&text, 'y');
	buf_adds(&text, "\"\n");
	expect_file_error(&text, "big.csv:1:65538: field longer than 65536 bytes");
}

static void record_size_limit(void **state)
{
	struct buf text = BUF_INIT;
	struct csv_reader r;
	struct diag d;
	char path[256];
	unsigned line;

	(void)state;
	/* 17 fields of 64 KiB: more than the 1 MiB a record may hold. */
	for (int f = 0; f < 17; f++) {
		if (f)
			buf_addc(&text, ',');
		for (int i = 0; i < CSV_FIELD_MAX; i++)
			buf_addc(&text, 'z');
	}
	buf_addc(&text, '\n');
	write_temp(path, sizeof path, text.data, text.len);
	diag_init(&d);
	assert_int_equal(csv_open(&r, path, "huge.csv", &d), 0);
	assert_int_equal(csv_next(&r, &line, &d), ST_INPUT);
	assert_memory_equal(d.msg, "huge.csv:1:", 11);
	assert_non_null(strstr(d.msg, ": record longer than 1 MiB"));
	csv_close(&r);
	unlink(path);
	buf_release(&text);
}

static void open_missing_file(void **state)
{
	struct csv_reader r;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(csv_open(&r, "/nonexistent/dir/users.csv", NULL, &d), ST_INPUT);
	assert_string_equal(d.msg, "/nonexistent/dir/users.csv: No such file or directory");
}

/* Standard input from a pipe whose writer hands the byte order mark over
 * one byte at a time: the mark is still not data. */
static void bom_split_across_reads(void **state)
{
	static const char *const pieces[] = {"\xef", "\xbb", "\xbf" "Name,Age\n", "Ann,7\n"};
	struct csv_reader *r = malloc(sizeof *r);
	int fds[2], saved = dup(0), status;
	struct diag d;
	pid_t child;
	size_t i;

	(void)state;
	assert_non_null(r);
	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		for (i = 0; i < 4; i++) {
			if (write(fds[1], pieces[i], strlen(pieces[i])) < 0)
				_exit(1);
			usleep(50000); /* the reader takes each piece alone */
		}
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(dup2(fds[0], 0), 0);
	close(fds[0]);
	diag_init(&d);
	assert_int_equal(csv_open(r, "-", "stdin", &d), 0);
	expect_record(r, 1, 2, "Name", "Age");
	expect_record(r, 2, 2, "Ann", "7");
	expect_end(r);
	close_reader(r);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --- separators and character sets (files as Excel saves them) ---------------- */

static struct csv_reader *open_format(const char *text, size_t len, char delim, const char *encoding)
{
	struct csv_reader *r = open_mem(text, len);
	struct diag d;

	diag_init(&d);
	if (csv_set_format(r, delim, encoding, &d) < 0)
		fail_msg("csv_set_format: %s", d.msg);
	return r;
}

static void semicolons(void **state)
{
	static const char text[] = "FirstName;LastName;Note\r\nAda;Lovelace;\"a;b,c\"\r\n";
	struct csv_reader *r = open_format(text, sizeof text - 1, ';', NULL);

	(void)state;
	expect_record(r, 1, 3, "FirstName", "LastName", "Note");
	expect_record(r, 2, 3, "Ada", "Lovelace", "a;b,c");
	expect_end(r);
	close_reader(r);
}

/* auto: the most frequent separator of the header line, outside quotes. */
static void separator_from_the_header(void **state)
{
	static const char semi[] = "\xef\xbb\xbf" "A;B;C\nx,1;y;z\n";
	static const char tabs[] = "A\tB\nx;1\ty\n";
	static const char commas[] = "\"A;B;C\",D\nx,y\n";
	struct csv_reader *r;

	(void)state;
	r = open_format(semi, sizeof semi - 1, 0, NULL);
	expect_record(r, 1, 3, "A", "B", "C");
	expect_record(r, 2, 3, "x,1", "y", "z");
	close_reader(r);
	r = open_format(tabs, sizeof tabs - 1, 0, NULL);
	expect_record(r, 1, 2, "A", "B");
	expect_record(r, 2, 2, "x;1", "y");
	close_reader(r);
	r = open_format(commas, sizeof commas - 1, 0, NULL);
	expect_record(r, 1, 2, "A;B;C", "D");
	close_reader(r);
}

static void windows_1252(void **state)
{
	/* José Müller, 5 € */
	static const char text[] = "Name;Price\r\nJos\xe9 M\xfcller;5 \x80\r\n";
	struct csv_reader *r = open_format(text, sizeof text - 1, ';', "WINDOWS-1252");

	(void)state;
	expect_record(r, 1, 2, "Name", "Price");
	expect_record(r, 2, 2, "Jos\xc3\xa9 M\xc3\xbcller", "5 \xe2\x82\xac");
	expect_end(r);
	close_reader(r);
}

static void expect_format_error(const char *text, size_t len, const char *encoding, const char *msg)
{
	struct csv_reader *r = open_format(text, len, ',', encoding);
	struct diag d;
	unsigned line;
	int rc;

	diag_init(&d);
	while ((rc = csv_next(r, &line, &d)) == 1)
		;
	close_reader(r);
	assert_int_equal(rc, ST_INPUT);
	assert_string_equal(d.msg, msg);
}

static void windows_1252_errors(void **state)
{
	static const char undefined[] = "a,b\nc,d\nx\x81,y\n";
	static const char utf8[] = "\xef\xbb\xbf" "a,b\n";

	(void)state;
	/* 0x81 has no character in Windows-1252. */
	expect_format_error(undefined, sizeof undefined - 1, "WINDOWS-1252",
			    "t.csv:3: byte 0x81 is not windows-1252 text (check source.encoding)");
	expect_format_error(utf8, sizeof utf8 - 1, "WINDOWS-1252",
			    "t.csv: the file starts with a UTF-8 byte order mark: it is UTF-8, not windows-1252 (leave source.encoding out)");
}

static void utf16_with_bom(void **state)
{
	/* "Név,x\n1,2\n" in UTF-16, little and big endian. */
	static const char le[] = "\xff\xfe" "N\0\xe9\0v\0,\0x\0\n\0" "1\0,\0" "2\0\n\0";
	static const char be[] = "\xfe\xff" "\0N\0\xe9\0v\0,\0x\0\n" "\0" "1\0,\0" "2\0\n";
	static const char none[] = "N\0,\0x\0\n\0";
	const char *const texts[] = {le, be};
	const size_t lens[] = {sizeof le - 1, sizeof be - 1};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct csv_reader *r = open_format(texts[i], lens[i], 0, "UTF-16");
		expect_record(r, 1, 2, "N\xc3\xa9v", "x");
		expect_record(r, 2, 2, "1", "2");
		expect_end(r);
		close_reader(r);
	}
	expect_format_error(none, sizeof none - 1, "UTF-16",
			    "t.csv: source.encoding is utf-16, but the file does not start with a byte order mark (Excel's 'Unicode Text' has one; or save it as 'CSV UTF-8' and leave source.encoding out)");
}

/* A file in Windows-1252 much larger than the read buffers converts
 * across their edges, and an error names the right line. */
static void windows_1252_large(void **state)
{
	struct buf b = BUF_INIT;
	struct csv_reader *r;
	struct diag d;
	unsigned line;
	size_t rows = 0;
	int i, rc;

	(void)state;
	buf_adds(&b, "Name;City\n");
	for (i = 0; i < 20000; i++)
		buf_printf(&b, "Fran\xe7ois %d;K\xf6ln\n", i);
	r = open_format(b.data, b.len, 0, "WINDOWS-1252");
	diag_init(&d);
	while ((rc = csv_next(r, &line, &d)) == 1) {
		if (rows++ && strcmp(csv_field(r, 1), "K\xc3\xb6ln") != 0)
			fail_msg("line %u: %s", line, csv_field(r, 1));
	}
	assert_int_equal(rc, 0);
	assert_int_equal(rows, 20001);
	close_reader(r);
	buf_printf(&b, "bad\x8d;x\n");
	r = open_format(b.data, b.len, 0, "WINDOWS-1252");
	while ((rc = csv_next(r, &line, &d)) == 1)
		;
	close_reader(r);
	assert_string_equal(d.msg, "t.csv:20002: byte 0x8d is not windows-1252 text (check source.encoding)");
	buf_release(&b);
}

/* --- the source connector ------------------------------------------------------ */

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

static int slot_of(const struct config *cfg, const char *column)
{
	size_t i;

	for (i = 0; i < cfg->columns.n; i++)
		if (strcmp(cfg->columns.items[i], column) == 0)
			return (int)i;
	fail_msg("no slot for %s", column);
	return -1;
}

/* An account, a role, a last name that repeat from row to row, and a
 * username that is the address, are each kept once; every value reads as
 * written. */
static void source_keeps_repeated_values_once(void **state)
{
	static const char yaml[] = "directory:\n"
				   "  uri: ldap://localhost\n"
				   "  bind_dn: cn=admin,dc=example,dc=com\n"
				   "  bind_password_file: bind.pw\n"
				   "  base: dc=example,dc=com\n"
				   "  password_policy: cn=default,ou=policies,dc=example,dc=com\n"
				   "source:\n"
				   "  path: users.csv\n"
				   "  key: Username\n"
				   "people:\n"
				   "  dn: \"uid={Username},ou={Account},{base}\"\n"
				   "  attributes:\n"
				   "    uid: \"{Username}\"\n"
				   "    cn: \"{FirstName} {LastName}\"\n"
				   "    sn: \"{LastName}\"\n"
				   "    mail: \"{Email}\"\n"
				   "    title: \"{Role}\"\n";
	struct strlist errors = {0};
	struct config *cfg = NULL;
	struct record *rec[4], *end;
	struct source *src;
	struct arena a;
	struct diag d;
	char dir[128], path[256];
	int user, mail, account, role, last, i;

	(void)state;
	assert_int_equal(scratch_dir_make(dir, sizeof dir, "csv-source"), 0);
	put_file(dir, "bind.pw", "secret\n");
	put_file(dir, "ldapenroll.yaml", yaml);
	put_file(dir, "users.csv", "FirstName,LastName,Email,Username,Account,Role\n"
				   "Ann,Lee,ann@example.com,ann@example.com,Acme,\n"
				   "Bob,Ray,bob@example.com,bob,Acme,Customer Manager\n"
				   "Cy,Lee,cy@example.com,cy,Globex,Customer Manager\n"
				   "Dee,Lees,dee@example.com,dee,Acme ,\n");
	snprintf(path, sizeof path, "%s/ldapenroll.yaml", dir);
	if (config_load(path, &cfg, &errors) != 0)
		fail_msg("%s", errors.n ? errors.items[0] : "config_load failed");
	user = slot_of(cfg, "Username");
	mail = slot_of(cfg, "Email");
	account = slot_of(cfg, "Account");
	role = slot_of(cfg, "Role");
	last = slot_of(cfg, "LastName");
	arena_init(&a);
	diag_init(&d);
	assert_non_null(src = source_new(cfg, &a, &d));
	assert_int_equal(source_open(src, &d), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(source_next(src, &rec[i], &d), 1);
	assert_int_equal(source_next(src, &end, &d), 0);
	source_close(src);

	assert_string_equal(rec[0]->fields[user], "ann@example.com");
	assert_ptr_equal(rec[0]->fields[user], rec[0]->fields[mail]); /* within the row */
	assert_string_equal(rec[1]->fields[user], "bob");
	assert_string_equal(rec[1]->fields[account], "Acme");
	assert_ptr_equal(rec[1]->fields[account], rec[0]->fields[account]); /* from row to row */
	assert_ptr_equal(rec[2]->fields[role], rec[1]->fields[role]);
	assert_ptr_equal(rec[2]->fields[last], rec[0]->fields[last]);
	assert_string_equal(rec[2]->fields[account], "Globex");
	/* "Acme " is read trimmed, the same value; "Lees" is not "Lee". */
	assert_ptr_equal(rec[3]->fields[account], rec[0]->fields[account]);
	assert_string_equal(rec[3]->fields[last], "Lees");
	assert_string_equal(rec[3]->fields[role], "");
	assert_string_equal(rec[0]->fields[role], "");
	assert_string_equal(rec[2]->fields[last], "Lee");

	arena_release(&a);
	config_free(cfg);
	strlist_free(&errors);
	scratch_dir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bom_split_across_reads),
		cmocka_unit_test(lf_records),
		cmocka_unit_test(crlf_records),
		cmocka_unit_test(missing_final_newline),
		cmocka_unit_test(blank_lines_skipped),
		cmocka_unit_test(empty_input),
		cmocka_unit_test(bom_stripped),
		cmocka_unit_test(bom_does_not_shift_columns),
		cmocka_unit_test(quoted_fields),
		cmocka_unit_test(embedded_newlines),
		cmocka_unit_test(empty_fields),
		cmocka_unit_test(spaces_are_data),
		cmocka_unit_test(open_mem_copies_the_text),
		cmocka_unit_test(open_mem_reads_long_text),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(invalid_utf8_on_later_line_of_quoted_field),
		cmocka_unit_test(invalid_utf8_in_quoted_field),
		cmocka_unit_test(nul_byte),
		cmocka_unit_test(unterminated_quote),
		cmocka_unit_test(quote_inside_unquoted_field),
		cmocka_unit_test(text_after_closing_quote),
		cmocka_unit_test(bare_carriage_return),
		cmocka_unit_test(too_many_fields),
		cmocka_unit_test(read_file_larger_than_buffer),
		cmocka_unit_test(read_file_error_after_buffer),
		cmocka_unit_test(field_size_limit_exact),
		cmocka_unit_test(field_size_limit_unquoted),
		cmocka_unit_test(field_size_limit_quoted),
		cmocka_unit_test(record_size_limit),
		cmocka_unit_test(open_missing_file),
		cmocka_unit_test(semicolons),
		cmocka_unit_test(separator_from_the_header),
		cmocka_unit_test(windows_1252),
		cmocka_unit_test(windows_1252_errors),
		cmocka_unit_test(utf16_with_bom),
		cmocka_unit_test(windows_1252_large),
		cmocka_unit_test(source_keeps_repeated_values_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
