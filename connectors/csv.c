#include "connectors/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/arena.h"
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
	r->own_fd = 0;
	buf_release(&r->data);
	free(r->offsets);
	free(r->name);
	free(r->mem);
	r->offsets = NULL;
	r->name = NULL;
	r->mem = NULL;
}

/* Reads more input after what is buffered (r->len < sizeof r->in).
 * Returns 0 (at the end too: r->eof), or -2 on a read error (d set). */
static int read_more(struct csv_reader *r, struct diag *d)
{
	size_t room = sizeof r->in - r->len;
	ssize_t n;

	do {
		if (r->mem) {
			n = (ssize_t)(r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room);
			memcpy(r->in + r->len, r->mem + r->mem_pos, (size_t)n);
			r->mem_pos += (size_t)n;
		} else {
			n = read(r->fd, r->in + r->len, room);
		}
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		diag_set(d, ST_INPUT, "%s: %s", r->name, strerror(errno));
		return -2;
	}
	if (n == 0)
		r->eof = 1;
	else if (r->tap)
		r->tap(r->tap_arg, r->in + r->len, (size_t)n);
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

static const char bad_utf8[] = "invalid UTF-8 (the file must be UTF-8 encoded)";

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
		if (c == ',' || c == '\n' || c == '\r' || c == -1) {
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
		if ((rc = add_byte(r, (char)c, d)) < 0)
			return rc;
		advance(r);
	}
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

int csv_read_keys(const char *path, const char *key_column, struct arena *a, struct listed_key **out, size_t *n,
		  struct diag *d)
{
	struct csv_reader r;
	size_t alloc = 0, i, col = 0;
	unsigned line;
	int rc, header = -1;

	*out = NULL;
	*n = 0;
	if ((rc = csv_open(&r, path, NULL, d)) < 0)
		return rc;
	while ((rc = csv_next(&r, &line, d)) > 0) {
		if (header < 0) {
			/* The first line decides: a header naming the column, or
			 * already a key. */
			header = 0;
			for (i = 0; i < csv_nfields(&r); i++)
				if (strcmp(csv_field(&r, i), key_column) == 0) {
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
	cs->r.tap = s->tap;
	cs->r.tap_arg = s->tap_arg;
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
