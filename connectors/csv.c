#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../agent/arena.h"
#include "../agent/log.h"
#include "../agent/utf8.h"
#include "source.h"

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
	if (len > sizeof r->in)
		len = sizeof r->in;
	memcpy(r->in, text, len);
	r->len = len;
	r->eof = 1;
	return 0;
}

void csv_close(struct csv_reader *r)
{
	if (r->own_fd)
		close(r->fd);
	r->own_fd = 0;
	buf_release(&r->data);
	free(r->offsets);
	free(r->name);
	r->offsets = NULL;
	r->name = NULL;
}

/* The next byte without consuming it, or -1 at the end (-2 on a read
 * error, with d set). */
static int peek(struct csv_reader *r, struct diag *d)
{
	ssize_t n;

	while (r->pos == r->len) {
		if (r->eof)
			return -1;
		n = read(r->fd, r->in, sizeof r->in);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			diag_set(d, ST_INPUT, "%s: %s", r->name, strerror(errno));
			return -2;
		}
		r->pos = 0;
		r->len = (size_t)n;
		if (n == 0)
			r->eof = 1;
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

/* Ends the current field: checks its UTF-8 (reporting the position of a bad
 * byte, counted from where the field started) and terminates it. */
static int end_field(struct csv_reader *r, unsigned line, unsigned col, struct diag *d)
{
	const char *f = r->data.data ? r->data.data + r->offsets[r->n_fields - 1] : "";
	size_t len = r->data.len - r->offsets[r->n_fields - 1];
	size_t bad = utf8_validate(f, len), i;

	if (bad < len) {
		for (i = 0; i < bad; i++) {
			if (f[i] == '\n')
				line++, col = 1;
			else if (((unsigned char)f[i] & 0xc0) != 0x80)
				col++;
		}
		return fail_at(r, line, col, d, "invalid UTF-8 (the file must be UTF-8 encoded)");
	}
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
	return 0;
}

static int add_byte(struct csv_reader *r, char c, size_t field_start, struct diag *d)
{
	if (r->data.len - field_start >= CSV_FIELD_MAX)
		return fail_at(r, r->line, r->col, d, "field longer than 65536 bytes");
	if (buf_addc(&r->data, c) < 0)
		return fail_at(r, r->line, r->col, d, "record longer than 1 MiB");
	return 0;
}

int csv_next(struct csv_reader *r, unsigned *line, struct diag *d)
{
	enum { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE } st;
	unsigned fline = 0, fcol = 0, qline = 0, qcol = 0;
	int c, rc, quoted;

	if (!r->started) {
		/* A UTF-8 byte order mark, as Excel writes it, is not data. */
		r->started = 1;
		if (peek(r, d) == 0xef && r->pos + 3 <= r->len &&
		    memcmp(r->in + r->pos, "\xef\xbb\xbf", 3) == 0)
			r->pos += 3;
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
			fline = r->line;
			fcol = r->col;
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
			advance(r);
			if (c == '"') {
				st = AFTER_QUOTE;
				continue;
			}
			if ((rc = add_byte(r, (char)c, r->offsets[r->n_fields - 1], d)) < 0)
				return rc;
			continue;
		}
		if (st == AFTER_QUOTE && c == '"') {
			/* "" inside a quoted field is one quote. */
			advance(r);
			if ((rc = add_byte(r, '"', r->offsets[r->n_fields - 1], d)) < 0)
				return rc;
			st = QUOTED;
			continue;
		}
		/* UNQUOTED, or just after a closing quote */
		if (c == ',' || c == '\n' || c == '\r' || c == -1) {
			if (c == '\r') {
				unsigned l = r->line, k = r->col;
				advance(r);
				if (peek(r, d) != '\n')
					return fail_at(r, l, k, d, "carriage return without a line feed outside quotes");
			}
			if ((rc = end_field(r, fline, fcol, d)) < 0)
				return rc;
			if (c != -1)
				advance(r);
			if (c == ',') {
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
				       "unexpected text after a closing quote (a quoted field must end at a comma or the end of the line)");
		if (c == '"')
			return fail_at(r, r->line, r->col, d,
				       "quote inside an unquoted field (quote the whole field and double the quote)");
		advance(r);
		if ((rc = add_byte(r, (char)c, r->offsets[r->n_fields - 1], d)) < 0)
			return rc;
	}
}

/* --- the source connector --------------------------------------------------- */

struct csv_source {
	struct source base;
	struct csv_reader r;
	int opened;
	size_t n_columns;
	int *map;        /* slot -> column index, or -1 */
	size_t n_slots;
	size_t rows;
};

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
	rc = csv_next(&cs->r, &line, d);
	if (rc == 0)
		return diag_set(d, ST_INPUT, "%s: the file is empty (no header)", cs->r.name);
	if (rc < 0)
		return rc;
	cs->n_columns = csv_nfields(&cs->r);
	names = calloc(cs->n_columns, sizeof *names);
	cs->map = calloc(cs->n_slots ? cs->n_slots : 1, sizeof *cs->map);
	if (!names || !cs->map) {
		free(names);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	for (i = 0; i < cs->n_columns; i++) {
		names[i] = csv_field(&cs->r, i);
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
		if (col < 0 || (size_t)col >= n || strcmp(csv_field(&cs->r, (size_t)col), "#N/A") == 0)
			continue;
		rec->fields[slot] = arena_strndup(s->arena, csv_field(&cs->r, (size_t)col),
						  csv_field_len(&cs->r, (size_t)col));
		if (!rec->fields[slot])
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
