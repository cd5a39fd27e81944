#include "connectors/csv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/hmap.h"
#include "agent/base/log.h"
#include "connectors/source.h"

#define RECORD_MAX (1024 * 1024)

/* --- the reader ------------------------------------------------------------- */

static void reader_init(struct csv_reader *r, const char *name)
{
	r->pos = r->len = 0;
	r->eof = 0;
	r->started = 0;
	r->line = 1;
	r->col = 1;
	buf_init(&r->data, RECORD_MAX);
	r->offsets = NULL;
	r->n_fields = r->alloc_fields = 0;
	r->name = strdup(name);
	r->tap = NULL;
	r->tap_arg = NULL;
	r->mem = NULL;
	r->mem_len = r->mem_pos = 0;
	r->u_need = 0;
	r->delim = ',';
	r->cd = NULL;
	r->encoding = NULL;
	r->raw_len = 0;
	r->raw_eof = 0;
	r->raw_started = 0;
	r->raw_line = 1;
}

int csv_set_format(struct csv_reader *r, char delim, const char *encoding, struct diag *d)
{
	iconv_t cd;
	size_t i;

	r->delim = delim;
	if (!encoding)
		return 0;
	cd = iconv_open("UTF-8", encoding);
	if (cd == (iconv_t)-1)
		return diag_set(d, ST_INPUT, "%s: cannot read %s text here: %s", r->name, encoding, strerror(errno));
	r->cd = cd;
	r->encoding = encoding;
	for (i = 0; encoding[i] && i + 1 < sizeof r->encoding_name; i++)
		r->encoding_name[i] = (char)tolower((unsigned char)encoding[i]);
	r->encoding_name[i] = '\0';
	return 0;
}

int csv_open(struct csv_reader *r, const char *path, const char *name, struct diag *d)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return diag_set(d, ST_INPUT, "%s: %s", path, strerror(errno));
	reader_init(r, name ? name : strcmp(path, "-") == 0 ? "<stdin>" : path);
	r->fd = fd;
	r->own_fd = fd != 0;
	return 0;
}

int csv_open_mem(struct csv_reader *r, const char *text, size_t len, const char *name)
{
	reader_init(r, name);
	r->fd = -1;
	r->own_fd = 0;
	r->mem = malloc(len ? len : 1);
	if (!r->mem)
		return ST_FAIL;
	memcpy(r->mem, text, len);
	r->mem_len = len;
	return 0;
}

void csv_close(struct csv_reader *r)
{
	if (r->own_fd)
		close(r->fd);
	if (r->cd)
		iconv_close((iconv_t)r->cd);
	r->cd = NULL;
	r->own_fd = 0;
	buf_release(&r->data);
	free(r->offsets);
	free(r->name);
	free(r->mem);
	r->offsets = NULL;
	r->name = NULL;
	r->mem = NULL;
}

/* Reads up to room bytes of the file into dst; the tap sees them. Returns
 * the count (0 at the end), or -1 on a read error (d set). */
static ssize_t read_raw(struct csv_reader *r, char *dst, size_t room, struct diag *d)
{
	ssize_t n;

	do {
		if (r->mem) {
			n = (ssize_t)(r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room);
			memcpy(dst, r->mem + r->mem_pos, (size_t)n);
			r->mem_pos += (size_t)n;
		} else {
			n = read(r->fd, dst, room);
		}
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		diag_set(d, ST_INPUT, "%s: %s", r->name, strerror(errno));
		return -1;
	}
	if (n > 0 && r->tap)
		r->tap(r->tap_arg, dst, (size_t)n);
	return n;
}

/* What the first bytes of a file in another character set say: UTF-16
 * needs its byte order mark, and a UTF-8 byte order mark means the file is
 * not in the character set the config names. */
static int check_raw_start(struct csv_reader *r, struct diag *d)
{
	const unsigned char *b = (const unsigned char *)r->raw;

	r->raw_started = 1;
	if (strcmp(r->encoding, "UTF-16") == 0) {
		if (r->raw_len >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
			return 0;
		return diag_set(d, ST_INPUT,
				"%s: source.encoding is utf-16, but the file does not start with a byte order mark (Excel's 'Unicode Text' has one; or save it as 'CSV UTF-8' and leave source.encoding out)",
				r->name);
	}
	if (r->raw_len >= 3 && memcmp(r->raw, "\xef\xbb\xbf", 3) == 0)
		return diag_set(d, ST_INPUT,
				"%s: the file starts with a UTF-8 byte order mark: it is UTF-8, not %s (leave source.encoding out)",
				r->name, r->encoding_name);
	return 0;
}

/* Converts what raw holds into in[], reading more as needed, until some
 * text came out or the file ended. Returns 0, or -2 with d set. */
static int convert_more(struct csv_reader *r, struct diag *d)
{
	size_t before = r->len;
	ssize_t n;

	while (r->len == before) {
		char *src = r->raw, *dst = r->in + r->len;
		size_t left, room = sizeof r->in - r->len, k, i, done;

		if (!r->raw_eof && r->raw_len < sizeof r->raw) {
			if ((n = read_raw(r, r->raw + r->raw_len, sizeof r->raw - r->raw_len, d)) < 0)
				return -2;
			r->raw_eof = n == 0;
			r->raw_len += (size_t)n;
			if (!r->raw_started && (r->raw_len >= 3 || r->raw_eof) && check_raw_start(r, d) < 0) {
				r->raw_len = 0;
				return -2;
			}
			if (!r->raw_started)
				continue;
		}
		if (!r->raw_len) {
			r->eof = 1;
			return 0;
		}
		left = r->raw_len;
		k = iconv((iconv_t)r->cd, &src, &left, &dst, &room);
		done = r->raw_len - left;
		for (i = 0; i < done; i++)
			r->raw_line += r->raw[i] == '\n';
		memmove(r->raw, r->raw + done, left);
		r->raw_len = left;
		r->len = (size_t)(dst - r->in);
		if (k != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			if (r->len == before)
				return 0; /* no room for one more character: the caller makes room */
			continue;
		}
		if (errno == EILSEQ) {
			diag_set(d, ST_INPUT, "%s:%u: byte 0x%02x is not %s text (check source.encoding)", r->name,
				 r->raw_line, (unsigned char)r->raw[0], r->encoding_name);
			return -2;
		}
		/* EINVAL: a character cut at the end of what was read. */
		if (r->raw_eof || r->raw_len == sizeof r->raw) {
			diag_set(d, ST_INPUT, "%s:%u: the file ends inside a character (check source.encoding)", r->name,
				 r->raw_line);
			return -2;
		}
	}
	return 0;
}

/* Reads more input after what is buffered (r->len < sizeof r->in).
 * Returns 0 (at the end too: r->eof), or -2 on a read error (d set). */
static int read_more(struct csv_reader *r, struct diag *d)
{
	ssize_t n;

	if (r->cd)
		return convert_more(r, d);
	if ((n = read_raw(r, r->in + r->len, sizeof r->in - r->len, d)) < 0)
		return -2;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return 0;
}

/* The next byte without consuming it, or -1 at the end (-2 on a read
 * error, with d set). */
static int peek(struct csv_reader *r, struct diag *d)
{
	while (r->pos == r->len) {
		if (r->eof)
			return -1;
		r->pos = r->len = 0;
		if (read_more(r, d) < 0)
			return -2;
	}
	return (unsigned char)r->in[r->pos];
}

static void advance(struct csv_reader *r)
{
	unsigned char c = (unsigned char)r->in[r->pos++];

	if (c == '\n') {
		r->line++;
		r->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		r->col++;
	}
}

static int fail_at(struct csv_reader *r, unsigned line, unsigned col, struct diag *d, const char *msg)
{
	return diag_set(d, ST_INPUT, "%s:%u:%u: %s", r->name, line, col, msg);
}

/* Excel's plain "CSV" is Windows-1252 in most of Europe and the Americas. */
static const char bad_utf8[] = "invalid UTF-8 (a plain 'CSV' from Excel? set source.encoding: windows-1252)";

/* Ends the current field: no UTF-8 sequence may be left open. */
static int end_field(struct csv_reader *r, struct diag *d)
{
	if (r->u_need)
		return fail_at(r, r->u_line, r->u_col, d, bad_utf8);
	if (buf_addc(&r->data, '\0') < 0)
		return fail_at(r, r->line, r->col, d, "record longer than 1 MiB");
	return 0;
}

static int start_field(struct csv_reader *r, struct diag *d)
{
	if (r->n_fields == CSV_FIELDS_MAX)
		return fail_at(r, r->line, r->col, d, "more than 1024 fields in a record");
	if (r->n_fields == r->alloc_fields) {
		size_t na = r->alloc_fields ? r->alloc_fields * 2 : 32;
		size_t *t = realloc(r->offsets, na * sizeof *t);
		if (!t)
			return diag_set(d, ST_FAIL, "out of memory");
		r->offsets = t;
		r->alloc_fields = na;
	}
	r->offsets[r->n_fields++] = r->data.len;
	r->u_need = 0;
	return 0;
}

/* Adds the byte at the current position (before advance()) to the field,
 * checking UTF-8 as it goes: a bad lead byte, a missing continuation, an
 * overlong form or a surrogate is reported where its character starts. */
static int add_byte(struct csv_reader *r, char c, struct diag *d)
{
	unsigned char b = (unsigned char)c;

	if (r->data.len - r->offsets[r->n_fields - 1] >= CSV_FIELD_MAX)
		return fail_at(r, r->line, r->col, d, "field longer than 65536 bytes");
	if (r->u_need) {
		if ((b & 0xc0) != 0x80)
			return fail_at(r, r->u_line, r->u_col, d, bad_utf8);
		r->u_cp = (r->u_cp << 6) | (b & 0x3f);
		if (--r->u_need == 0 &&
		    (r->u_cp < r->u_min || r->u_cp > 0x10ffff || (r->u_cp >= 0xd800 && r->u_cp <= 0xdfff)))
			return fail_at(r, r->u_line, r->u_col, d, bad_utf8);
	} else if (b >= 0x80) {
		r->u_line = r->line;
		r->u_col = r->col;
		if (b >= 0xc2 && b <= 0xdf)
			r->u_need = 1, r->u_cp = b & 0x1f, r->u_min = 0x80;
		else if (b >= 0xe0 && b <= 0xef)
			r->u_need = 2, r->u_cp = b & 0x0f, r->u_min = 0x800;
		else if (b >= 0xf0 && b <= 0xf4)
			r->u_need = 3, r->u_cp = b & 0x07, r->u_min = 0x10000;
		else
			return fail_at(r, r->line, r->col, d, bad_utf8);
	}
	if (buf_addc(&r->data, c) < 0)
		return fail_at(r, r->line, r->col, d, "record longer than 1 MiB");
	return 0;
}

/* The bytes from the current position that are plain printable ASCII and
 * end nothing: not the separator (outside quotes), a quote, a line end or
 * another control character. They need no UTF-8 check and move the
 * column one each, so a run of them is taken at once. */
static size_t ascii_run(const struct csv_reader *r, int in_quotes)
{
	const unsigned char *p = (const unsigned char *)r->in + r->pos, *end = (const unsigned char *)r->in + r->len;
	const unsigned char *q = p;

	while (q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && (in_quotes || *q != (unsigned char)r->delim))
		q++;
	return (size_t)(q - p);
}

/* Adds the run of n bytes at the current position; returns 0, or -1 when
 * it would go past a limit (the byte-by-byte path then says where). */
static int add_run(struct csv_reader *r, size_t n)
{
	if (n < 2 || r->u_need || r->data.len - r->offsets[r->n_fields - 1] + n > CSV_FIELD_MAX ||
	    (r->data.cap && r->data.len + n > r->data.cap) || buf_add(&r->data, r->in + r->pos, n) < 0)
		return -1;
	r->pos += n;
	r->col += (unsigned)n;
	return 0;
}

/* source.delimiter: auto. The separator is the most frequent of ',', ';'
 * and tab outside quotes in the header line (a comma on a tie, or when
 * there is none). */
static int decide_delimiter(struct csv_reader *r, struct diag *d)
{
	static const char cand[] = {',', ';', '\t'};
	size_t count[3] = {0, 0, 0}, i, k, best = 0;
	int quoted = 0;

	/* The whole header line, as far as the buffer holds it. */
	for (;;) {
		size_t before = r->len;
		if (memchr(r->in + r->pos, '\n', r->len - r->pos) || r->eof || r->len == sizeof r->in)
			break;
		if (read_more(r, d) < 0)
			return -1;
		if (r->len == before && !r->eof)
			break;
	}
	for (i = r->pos; i < r->len && (quoted || r->in[i] != '\n'); i++) {
		if (r->in[i] == '"')
			quoted = !quoted;
		for (k = 0; k < 3 && !quoted; k++)
			count[k] += r->in[i] == cand[k];
	}
	for (k = 1; k < 3; k++)
		if (count[k] > count[best])
			best = k;
	r->delim = cand[best];
	log_debug("%s: fields are separated by %s", r->name, r->delim == '\t' ? "tabs" : r->delim == ';' ? "semicolons" : "commas");
	return 0;
}

int csv_next(struct csv_reader *r, unsigned *line, struct diag *d)
{
	enum { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE } st;
	unsigned qline = 0, qcol = 0;
	int c, rc, quoted;

	if (!r->started) {
		/* A UTF-8 byte order mark, as Excel writes it, is not data; a
		 * pipe may hand its three bytes over in more than one read. */
		r->started = 1;
		while (r->len < 3 && !r->eof)
			if (read_more(r, d) < 0)
				return ST_INPUT;
		if (r->len >= 3 && memcmp(r->in, "\xef\xbb\xbf", 3) == 0)
			r->pos += 3;
		if (!r->delim && decide_delimiter(r, d) < 0)
			return ST_INPUT;
	}
again:
	buf_reset(&r->data);
	r->n_fields = 0;
	*line = r->line;
	c = peek(r, d);
	if (c == -2)
		return ST_INPUT;
	if (c == -1)
		return 0;
	st = FIELD_START;
	quoted = 0;
	for (;;) {
		c = peek(r, d);
		if (c == -2)
			return ST_INPUT;
		if (st == FIELD_START) {
			if ((rc = start_field(r, d)) < 0)
				return rc;
			if (c == '"') {
				qline = r->line;
				qcol = r->col;
				quoted = 1;
				advance(r);
				st = QUOTED;
				continue;
			}
			st = UNQUOTED;
		}
		if (c == 0)
			return fail_at(r, r->line, r->col, d, "NUL byte");
		if (st == QUOTED) {
			if (c == -1) {
				char msg[128];
				snprintf(msg, sizeof msg, "unterminated quoted field (opened on line %u, column %u)",
					 qline, qcol);
				return fail_at(r, qline, qcol, d, msg);
			}
			if (c == '"') {
				advance(r);
				st = AFTER_QUOTE;
				continue;
			}
			if (add_run(r, ascii_run(r, 1)) == 0)
				continue;
			if ((rc = add_byte(r, (char)c, d)) < 0)
				return rc;
			advance(r);
			continue;
		}
		if (st == AFTER_QUOTE && c == '"') {
			/* "" inside a quoted field is one quote. */
			if ((rc = add_byte(r, '"', d)) < 0)
				return rc;
			advance(r);
			st = QUOTED;
			continue;
		}
		/* UNQUOTED, or just after a closing quote */
		if (c == r->delim || c == '\n' || c == '\r' || c == -1) {
			if (c == '\r') {
				unsigned l = r->line, k = r->col;
				advance(r);
				if (peek(r, d) != '\n')
					return fail_at(r, l, k, d, "carriage return without a line feed outside quotes");
			}
			if ((rc = end_field(r, d)) < 0)
				return rc;
			if (c != -1)
				advance(r);
			if (c == r->delim) {
				st = FIELD_START;
				continue;
			}
			/* A blank line (nothing between two line ends) is not a
			 * record. */
			if (r->n_fields == 1 && !quoted && csv_field_len(r, 0) == 0)
				goto again;
			return 1;
		}
		if (st == AFTER_QUOTE)
			return fail_at(r, r->line, r->col, d,
				       "unexpected text after a closing quote (a quoted field must end at the separator or the end of the line)");
		if (c == '"')
			return fail_at(r, r->line, r->col, d,
				       "quote inside an unquoted field (quote the whole field and double the quote)");
		if (add_run(r, ascii_run(r, 0)) == 0)
			continue;
		if ((rc = add_byte(r, (char)c, d)) < 0)
			return rc;
		advance(r);
	}
}

/* Field i without the spaces and tabs around it (Excel leaves trailing
 * spaces in cells). Returns its start; *len gets its length. */
static const char *trimmed_field(const struct csv_reader *r, size_t i, size_t *len)
{
	const char *f = csv_field(r, i);
	size_t n = csv_field_len(r, i);

	while (n && (*f == ' ' || *f == '\t'))
		f++, n--;
	while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		n--;
	*len = n;
	return f;
}

static int field_is(const struct csv_reader *r, size_t i, const char *name)
{
	size_t len;
	const char *f = trimmed_field(r, i, &len);

	return len == strlen(name) && memcmp(f, name, len) == 0;
}

/* --- lists of keys ----------------------------------------------------------- */

static int push_key(struct arena *a, struct listed_key **v, size_t *n, size_t *alloc, const char *key,
		    size_t len, unsigned line)
{
	while (len && (*key == ' ' || *key == '\t'))
		key++, len--;
	while (len && (key[len - 1] == ' ' || key[len - 1] == '\t'))
		len--;
	if (!len)
		return 0;
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 64;
		struct listed_key *t = realloc(*v, na * sizeof *t);
		if (!t)
			return -1;
		*v = t;
		*alloc = na;
	}
	(*v)[*n].key = arena_strndup(a, key, len);
	(*v)[*n].line = line;
	return (*v)[(*n)++].key ? 0 : -1;
}

int csv_read_keys(const char *path, const char *key_column, const char *encoding, struct arena *a,
		  struct listed_key **out, size_t *n, struct diag *d)
{
	struct csv_reader r;
	size_t alloc = 0, i, col = 0;
	unsigned line;
	int rc, header = -1;

	*out = NULL;
	*n = 0;
	if ((rc = csv_open(&r, path, NULL, d)) < 0)
		return rc;
	if ((rc = csv_set_format(&r, 0, encoding, d)) < 0) {
		csv_close(&r);
		return rc;
	}
	while ((rc = csv_next(&r, &line, d)) > 0) {
		if (header < 0) {
			/* The first line decides: a header naming the column, or
			 * already a key. */
			header = 0;
			for (i = 0; i < csv_nfields(&r); i++)
				if (field_is(&r, i, key_column)) {
					header = 1;
					col = i;
				}
			if (header)
				continue;
		}
		if (!header && csv_field(&r, 0)[0] == '#')
			continue;
		if (!header && csv_nfields(&r) > 1) {
			rc = diag_set(d, ST_INPUT, "%s:%u: several fields, but the first line does not name the column '%s' (give a CSV whose header has it, or one key per line)",
				      r.name, line, key_column);
			break;
		}
		if (header && col >= csv_nfields(&r)) {
			rc = diag_set(d, ST_INPUT, "%s:%u: no field for the column '%s'", r.name, line, key_column);
			break;
		}
		if (push_key(a, out, n, &alloc, csv_field(&r, header ? col : 0), csv_field_len(&r, header ? col : 0),
			     line) < 0) {
			rc = diag_set(d, ST_FAIL, "out of memory");
			break;
		}
	}
	csv_close(&r);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc;
	}
	if (!*n)
		return diag_set(d, ST_INPUT, "%s: no keys in the file", path);
	return 0;
}

/* --- the source connector --------------------------------------------------- */

/* Values repeat from row to row (an account, a role, a language) and
 * within a row (a username that is the address): each is kept once. Per
 * slot, a direct-mapped table of the values kept last (128 KiB each: a
 * million rows of five thousand accounts find most of theirs there). */
enum { RECENT_VALUES = 16384 };

struct csv_source {
	struct source base;
	struct csv_reader r;
	int opened;
	size_t n_columns;
	int *map;        /* slot -> column index, or -1 */
	size_t n_slots;
	size_t rows;
	const char **recent; /* n_slots * RECENT_VALUES */
};

/* kept (a C string) is the len bytes at v (no NUL among them: the reader
 * refuses one). Most differ at the first byte; strncmp stops at the end of
 * a shorter kept. */
static int is_value(const char *kept, const char *v, size_t len)
{
	return kept && (!len || kept[0] == v[0]) && strncmp(kept, v, len) == 0 && !kept[len];
}

/* The row's field for slot: a value kept already, or a copy. */
static const char *keep_field(struct csv_source *cs, const struct record *rec, size_t slot, const char *v, size_t len)
{
	const char **cached;
	size_t i;

	for (i = 0; i < slot; i++)
		if (is_value(rec->fields[i], v, len))
			return rec->fields[i];
	cached = &cs->recent[slot * RECENT_VALUES + (hmap_hash_n(v, len, 0) & (RECENT_VALUES - 1))];
	if (!is_value(*cached, v, len))
		*cached = arena_strndup(cs->base.arena, v, len);
	return *cached;
}

/* A header that is one column holding another separator: the file is not
 * separated the way the config says. */
static int one_column_header(const struct csv_reader *r, unsigned line, struct diag *d)
{
	static const char *const names[] = {",", "\";\"", "tab"};
	static const char seps[] = {',', ';', '\t'};
	const char *h = csv_field(r, 0);
	size_t k;

	if (csv_nfields(r) != 1)
		return 0;
	for (k = 0; k < sizeof seps; k++)
		if (seps[k] != r->delim && strchr(h, seps[k]))
			return diag_set(d, ST_INPUT,
					"%s:%u: the header is one column holding %s: the file is separated by %s, not %s; set source.delimiter: %s (or auto)",
					r->name, line, seps[k] == '\t' ? "tabs" : seps[k] == ';' ? "';'" : "','",
					seps[k] == '\t' ? "tabs" : seps[k] == ';' ? "semicolons" : "commas",
					r->delim == '\t' ? "tabs" : r->delim == ';' ? "semicolons" : "commas", names[k]);
	return 0;
}

static int csv_src_open(struct source *s, struct diag *d)
{
	struct csv_source *cs = (struct csv_source *)s;
	const struct config *cfg = s->cfg;
	const char **names = NULL;
	struct buf where = BUF_INIT;
	unsigned line;
	size_t i, j;
	int rc;

	if ((rc = csv_open(&cs->r, cfg->source.path, NULL, d)) < 0)
		return rc;
	cs->opened = 1;
	cs->r.tap = s->tap;
	cs->r.tap_arg = s->tap_arg;
	if ((rc = csv_set_format(&cs->r, cfg->source.delimiter, cfg->source.encoding, d)) < 0)
		return rc;
	rc = csv_next(&cs->r, &line, d);
	if (rc == 0)
		return diag_set(d, ST_INPUT, "%s: the file is empty (no header)", cs->r.name);
	if (rc < 0)
		return rc;
	cs->n_columns = csv_nfields(&cs->r);
	names = calloc(cs->n_columns, sizeof *names);
	cs->map = calloc(cs->n_slots ? cs->n_slots : 1, sizeof *cs->map);
	cs->recent = calloc((cs->n_slots ? cs->n_slots : 1) * RECENT_VALUES, sizeof *cs->recent);
	if (!names || !cs->map || !cs->recent) {
		free(names);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	if ((rc = one_column_header(&cs->r, line, d)) < 0)
		goto out;
	for (i = 0; i < cs->n_columns; i++) {
		size_t len;
		const char *f = trimmed_field(&cs->r, i, &len);
		/* The header is read once: its names are trimmed in place. */
		((char *)f)[len] = '\0';
		names[i] = f;
		if (!*names[i]) {
			rc = diag_set(d, ST_INPUT, "%s:%u: column %zu of the header has no name", cs->r.name, line,
				      i + 1);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				rc = diag_set(d, ST_INPUT, "%s:%u: duplicate column '%s' in the header (columns %zu and %zu)",
					      cs->r.name, line, names[i], j + 1, i + 1);
				goto out;
			}
	}
	buf_printf(&where, "%s:%u", cs->r.name, line);
	rc = source_map_columns(cfg, buf_str(&where), names, cs->n_columns, 0, cs->map, d);
out:
	buf_release(&where);
	free(names);
	return rc;
}

static int csv_src_next(struct source *s, struct record **out, struct diag *d)
{
	struct csv_source *cs = (struct csv_source *)s;
	struct record *rec;
	unsigned line;
	size_t slot, n;
	int rc;

	rc = csv_next(&cs->r, &line, d);
	if (rc <= 0)
		return rc;
	n = csv_nfields(&cs->r);
	rec = record_new(s->arena, cs->n_slots);
	if (!rec)
		return diag_set(d, ST_FAIL, "out of memory");
	rec->line = line;
	if (n != cs->n_columns) {
		char msg[96];
		snprintf(msg, sizeof msg, "wrong number of fields: %zu, the header has %zu", n, cs->n_columns);
		rec->error = arena_strdup(s->arena, msg);
	}
	/* Only the columns the config names are kept. "#N/A" is Salesforce's
	 * "no value" marker: it reads as empty, never as the text. */
	for (slot = 0; slot < cs->n_slots; slot++) {
		int col = cs->map[slot];
		const char *v;
		size_t len;
		if (col < 0 || (size_t)col >= n)
			continue;
		/* Spaces around a value are never data (Excel leaves them);
		 * the log says how many values had them. */
		v = trimmed_field(&cs->r, (size_t)col, &len);
		if (len != csv_field_len(&cs->r, (size_t)col))
			s->trimmed++;
		if (len == 4 && memcmp(v, "#N/A", 4) == 0)
			continue;
		if (!(rec->fields[slot] = keep_field(cs, rec, slot, v, len)))
			return diag_set(d, ST_FAIL, "out of memory");
	}
	cs->rows++;
	*out = rec;
	return 1;
}

static void csv_src_close(struct source *s)
{
	struct csv_source *cs = (struct csv_source *)s;

	if (cs->opened)
		csv_close(&cs->r);
	free(cs->map);
	free(cs->recent);
	free(cs);
}

static const struct source_ops csv_ops = {"csv", csv_src_open, csv_src_next, csv_src_close};

struct source *csv_source_new(const struct config *cfg, struct arena *arena, struct diag *d)
{
	struct csv_source *cs = calloc(1, sizeof *cs);

	if (!cs) {
		diag_set(d, ST_FAIL, "out of memory");
		return NULL;
	}
	cs->base.ops = &csv_ops;
	cs->base.cfg = cfg;
	cs->base.arena = arena;
	cs->base.name = cfg->source.path;
	cs->n_slots = cfg->columns.n;
	return &cs->base;
}
