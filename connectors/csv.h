/* An RFC 4180 CSV reader: streaming, UTF-8 with an optional BOM, CRLF or LF
 * line ends, quoted fields with embedded separators, quotes and newlines.
 * Every record knows the physical line it starts on.
 *
 * What makes the whole file untrustworthy is an input error (ST_INPUT) with
 * "file:line:col: problem": invalid UTF-8, a NUL byte, an unterminated
 * quoted field, a quote inside an unquoted field, text after a closing
 * quote, a bare carriage return, a field or record over the size limits.
 * Blank lines are skipped. Field counts are not checked here: that is a
 * problem of one row, for the caller to report.
 *
 * Our own reader, not a library's: none in Debian streams with physical line
 * numbers per record and refuses broken files rather than guessing. */
#ifndef LDAPENROLL_CSV_H
#define LDAPENROLL_CSV_H

#include <stddef.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"

#define CSV_FIELD_MAX (64 * 1024)
#define CSV_FIELDS_MAX 1024

struct csv_reader {
	int fd;
	int own_fd;
	char *name;             /* for messages */
	char in[64 * 1024];     /* UTF-8 text, converted when the file is not */
	size_t pos, len;
	int eof;
	int started;            /* the BOM and separator checks are done */
	char delim;             /* ',', ';' or '\t'; 0 until decided from the header line */
	/* Another character set: the file's bytes go through iconv into in[]. */
	void *cd;               /* iconv_t, or NULL when the file is read as UTF-8 */
	const char *encoding;   /* its iconv name */
	char encoding_name[16]; /* as the config writes it, for messages */
	char raw[16 * 1024];    /* bytes read, not yet converted */
	size_t raw_len;
	int raw_eof;
	int raw_started;        /* the checks of the first bytes are done */
	unsigned raw_line;      /* line of the next byte to convert, for messages */
	unsigned line, col;     /* position of the next byte; col counts characters */
	void (*tap)(void *arg, const void *data, size_t len); /* sees every byte read */
	void *tap_arg;
	char *mem;              /* csv_open_mem: the text, read in pieces like a file */
	size_t mem_len, mem_pos;
	/* UTF-8 checking of the current field, byte by byte, so that an error
	 * names the exact line and column */
	unsigned u_need, u_line, u_col;
	unsigned long u_cp, u_min;
	/* the current record */
	struct buf data;        /* field bytes, each field NUL-terminated */
	size_t *offsets;        /* start of each field in data */
	size_t n_fields, alloc_fields;
};

/* Opens path ("-" for standard input). name is used in messages (defaults
 * to path). Returns 0 or ST_INPUT. */
int csv_open(struct csv_reader *r, const char *path, const char *name, struct diag *d);
/* Reads from memory instead (for tests and fuzzing); the text is copied. */
int csv_open_mem(struct csv_reader *r, const char *text, size_t len, const char *name);
/* Before the first csv_next: the field separator (',' by default; 0
 * decides from the header line: the most frequent of ',', ';' and tab
 * outside quotes) and the file's character set (an iconv name such as
 * "WINDOWS-1252" or "UTF-16", which needs a byte order mark; NULL: UTF-8).
 * Returns 0 or ST_INPUT. */
int csv_set_format(struct csv_reader *r, char delim, const char *encoding, struct diag *d);
void csv_close(struct csv_reader *r);

/* Reads the next record. Returns 1 with the record available through the
 * accessors below, 0 at the end of the input, or ST_INPUT. *line receives
 * the line the record starts on. */
int csv_next(struct csv_reader *r, unsigned *line, struct diag *d);
static inline size_t csv_nfields(const struct csv_reader *r)
{
	return r->n_fields;
}
/* Field i of the current record, NUL-terminated (valid until the next call). */
static inline const char *csv_field(const struct csv_reader *r, size_t i)
{
	return r->data.data + r->offsets[i];
}
static inline size_t csv_field_len(const struct csv_reader *r, size_t i)
{
	/* Each field is stored followed by its NUL. */
	return (i + 1 < r->n_fields ? r->offsets[i + 1] : r->data.len) - 1 - r->offsets[i];
}

/* A --users file: a CSV whose header names key_column (the keys are that
 * column; the separator is decided from the header line), or a plain list
 * with one key per line ('#' starts a comment line), in the character set
 * encoding (as for csv_set_format; NULL: UTF-8). Each key knows its line;
 * spaces around keys are dropped. Keys are copied into the arena; *out is
 * an array the caller frees. Returns 0 or ST_INPUT. */
struct listed_key {
	const char *key;
	unsigned line;
};
struct arena;
int csv_read_keys(const char *path, const char *key_column, const char *encoding, struct arena *a,
		  struct listed_key **out, size_t *n, struct diag *d);

#endif
