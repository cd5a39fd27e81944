#include "config/yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "agent/base/buf.h"
#include "agent/base/oom.h"

struct builder {
	struct ynode *root;
	struct ynode *stack[YTREE_MAX_DEPTH + 2];
	size_t depth;
	int docs;
	ytree_report_fn report;
	void *arg;
};

void ytree_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_kids; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

/* The key path of the node about to be attached, from the open collections:
 * "directory.uri[1]". `key` is appended when the node is itself a map key. */
static void current_path(const struct builder *b, const char *key, struct buf *out)
{
	size_t i;

	for (i = 0; i < b->depth; i++) {
		const struct ynode *c = b->stack[i];
		int last_level = i + 1 == b->depth;

		if (c->type == YN_MAP) {
			/* The entry being filled: its key is the last key added. */
			size_t k = c->n_kids % 2 ? c->n_kids - 1 : c->n_kids - 2;
			if (last_level && c->n_kids % 2 == 0)
				break; /* a key is being added: the path ends at this map */
			if (c->n_kids < 1)
				break;
			if (out->len)
				buf_addc(out, '.');
			buf_adds(out, c->kids[k]->value);
		} else {
			size_t idx = last_level ? c->n_kids : c->n_kids - 1;
			buf_printf(out, "[%zu]", idx);
		}
	}
	if (key) {
		if (out->len)
			buf_addc(out, '.');
		buf_adds(out, key);
	}
}

static void report(struct builder *b, const yaml_mark_t *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct builder *b, const yaml_mark_t *m, const char *key, const char *fmt, ...)
{
	struct buf path = BUF_INIT;
	char msg[512];
	va_list ap;

	current_path(b, key, &path);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	b->report(b->arg, (unsigned)m->line + 1, (unsigned)m->column + 1, buf_str(&path), msg);
	buf_release(&path);
}

static struct ynode *new_node(enum ynode_type type, const yaml_mark_t *start)
{
	struct ynode *n = oom_checked(calloc(1, sizeof *n));

	if (n) {
		n->type = type;
		n->line = (unsigned)start->line + 1;
		n->col = (unsigned)start->column + 1;
	}
	return n;
}

/* Attaches n to the open collection on top of the stack (or makes it the
 * root). A duplicate map key is reported and marked ignored. Returns 0, -1
 * after reporting a problem, or -2 when out of memory. */
static int attach(struct builder *b, struct ynode *n, const yaml_mark_t *mark)
{
	struct ynode *parent, **kids;

	if (!b->depth) {
		b->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == YN_MAP && parent->n_kids % 2 == 0) {
		size_t i;
		if (n->type != YN_SCALAR) {
			report(b, mark, NULL, "a key must be a plain string");
			return -1;
		}
		for (i = 0; i < parent->n_kids; i += 2) {
			const struct ynode *k = parent->kids[i];
			if (!k->ignored && k->len == n->len && memcmp(k->value, n->value, n->len) == 0) {
				report(b, mark, n->value, "duplicate key (first defined on line %u)", k->line);
				n->ignored = 1;
				break;
			}
		}
	}
	kids = oom_checked(realloc(parent->kids, (parent->n_kids + 1) * sizeof *kids));
	if (!kids)
		return -2;
	kids[parent->n_kids++] = n;
	parent->kids = kids;
	return 0;
}

/* Anchors, aliases and tags are refused: the config is plain data, and
 * aliases are the way to make a small file expand into a huge tree. */
static void check_props(struct builder *b, const yaml_mark_t *m, const yaml_char_t *anchor,
			const yaml_char_t *tag, int implicit)
{
	if (anchor)
		report(b, m, NULL, "anchors (&%s) are not allowed", (const char *)anchor);
	if (tag && !implicit)
		report(b, m, NULL, "tags (%s) are not allowed", (const char *)tag);
}

static struct ynode *new_scalar(const yaml_event_t *ev, const char *value, size_t len, int plain)
{
	struct ynode *n = new_node(YN_SCALAR, &ev->start_mark);

	if (!n)
		return NULL;
	n->end_line = (unsigned)ev->end_mark.line + 1;
	n->end_col = (unsigned)ev->end_mark.column + 1;
	n->len = len;
	n->plain = plain;
	n->value = oom_checked(malloc(len + 1));
	if (!n->value) {
		free(n);
		return NULL;
	}
	memcpy(n->value, value, len);
	n->value[len] = '\0';
	return n;
}

/* Returns 0 to go on, 1 to stop after a reported problem, -1 on no memory. */
static int on_event(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n;
	const yaml_mark_t *m = &ev->start_mark;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			report(b, m, NULL, "only one YAML document is allowed");
			return 1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		report(b, m, NULL, "aliases (*%s) are not allowed", (const char *)ev->data.alias.anchor);
		/* Stands in for the value so that the tree keeps its shape. */
		if (!(n = new_scalar(ev, "", 0, 0)))
			return -1;
		n->reported = 1;
		break;
	case YAML_SCALAR_EVENT:
		check_props(b, m, ev->data.scalar.anchor, ev->data.scalar.tag,
			    ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit);
		n = new_scalar(ev, (const char *)ev->data.scalar.value, ev->data.scalar.length,
			       ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
		if (!n)
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		if (map)
			check_props(b, m, ev->data.mapping_start.anchor, ev->data.mapping_start.tag,
				    ev->data.mapping_start.implicit);
		else
			check_props(b, m, ev->data.sequence_start.anchor, ev->data.sequence_start.tag,
				    ev->data.sequence_start.implicit);
		if (b->depth >= YTREE_MAX_DEPTH) {
			report(b, m, NULL, "nesting deeper than %d levels", YTREE_MAX_DEPTH);
			return 1;
		}
		if (!(n = new_node(map ? YN_MAP : YN_SEQ, m)))
			return -1;
		if ((rc = attach(b, n, m)) < 0) {
			ytree_free(n);
			return rc == -2 ? -1 : 1;
		}
		b->stack[b->depth++] = n;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = b->stack[--b->depth];
		n->end_line = (unsigned)ev->end_mark.line + 1;
		n->end_col = (unsigned)ev->end_mark.column + 1;
		return 0;
	default:
		return 0;
	}
	if ((rc = attach(b, n, m)) < 0) {
		ytree_free(n);
		return rc == -2 ? -1 : 1;
	}
	return 0;
}

/* What to do about the syntax errors people make most. */
static const char *syntax_hint(const char *problem, char at)
{
	if (strstr(problem, "tab") || at == '\t')
		return "; indent with spaces, not tabs";
	if (strstr(problem, "block sequence entries are not allowed"))
		return "; a value that is '-' (standard input) must be quoted: \"-\"";
	if (strstr(problem, "mapping values are not allowed"))
		return "; a value holding ': ' must be quoted";
	return "";
}

/* libyaml gives the byte offset, not the mark, of an encoding error. */
static void offset_position(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

struct ynode *ytree_parse(const char *text, size_t len, ytree_report_fn fn, void *arg)
{
	struct builder b = {.report = fn, .arg = arg};
	yaml_parser_t parser;
	yaml_event_t ev;
	int done = 0, ok = 1, rc;

	if (!yaml_parser_initialize(&parser)) {
		fn(arg, 1, 1, "", "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = &parser.problem_mark;
			unsigned line = (unsigned)m->line + 1, col = (unsigned)m->column + 1;
			const char *problem = parser.problem ? parser.problem : "syntax error";
			struct buf path = BUF_INIT;
			char msg[512];
			snprintf(msg, sizeof msg, "%s%s%s%s", problem, parser.context ? " " : "",
				 parser.context ? parser.context : "",
				 syntax_hint(problem, m->index < len ? text[m->index] : '\0'));
			if (parser.error == YAML_READER_ERROR)
				offset_position(text, parser.problem_offset, &line, &col);
			/* The key being read when libyaml gave up. */
			current_path(&b, NULL, &path);
			fn(arg, line, col, buf_str(&path), msg);
			buf_release(&path);
			ok = 0;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		if (rc) {
			if (rc < 0)
				fn(arg, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1, "",
				   "out of memory");
			ok = 0;
			done = 1;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ok && !b.root) {
		fn(arg, 1, 1, "", "the file holds no configuration");
		ok = 0;
	}
	if (!ok) {
		/* Open collections are already attached to the root. */
		ytree_free(b.root);
		return NULL;
	}
	return b.root;
}

size_t ymap_size(const struct ynode *map)
{
	return map->n_kids / 2;
}

const struct ynode *ymap_key(const struct ynode *map, size_t i)
{
	return map->kids[2 * i];
}

const struct ynode *ymap_value(const struct ynode *map, size_t i)
{
	return map->kids[2 * i + 1];
}

int yscalar_is_null(const struct ynode *n)
{
	return n->type == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
		strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0);
}
