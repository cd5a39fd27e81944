/* A YAML document as a small tree with positions, built from libyaml's
 * events. libyaml accepts several things a strict config must not (duplicate
 * keys, anchors and aliases, unbounded nesting), so the tree builder refuses
 * them here, with the line and column of each. We keep this builder rather
 * than libyaml's document API, which keeps no positions and allows all of
 * the above. */
#ifndef LDAPENROLL_YAML_TREE_H
#define LDAPENROLL_YAML_TREE_H

#include <stddef.h>

#define YTREE_MAX_DEPTH 32

enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_type type;
	unsigned line, col;         /* 1-based start position */
	unsigned end_line, end_col; /* 1-based position just after the node */
	/* scalars */
	char *value;
	size_t len;
	int plain;                  /* written without quotes (so it may be a number, bool or null) */
	int ignored;                /* a map key that was reported (duplicate): skip the entry */
	int reported;               /* stands in for something already reported (an alias):
	                             * further complaints about it are noise */
	/* maps hold keys and values alternately (kids[2i] is a key scalar);
	 * sequences hold their items */
	struct ynode **kids;
	size_t n_kids;
};

/* Receives each problem found: position, the key path of the node ("" when
 * unknown) and the words. */
typedef void (*ytree_report_fn)(void *arg, unsigned line, unsigned col, const char *path,
				const char *msg);

/* Parses text (len bytes). Problems that leave the document readable
 * (duplicate keys, anchors, aliases, tags) are reported and parsing goes on;
 * a syntax error, a second document or excessive nesting is reported and
 * ends it with NULL. Returns the root node, which may hold reported
 * problems: the caller counts its reports. */
struct ynode *ytree_parse(const char *text, size_t len, ytree_report_fn report, void *arg);
void ytree_free(struct ynode *n);

/* For a map: the number of entries, and entry i's key and value. */
size_t ymap_size(const struct ynode *map);
const struct ynode *ymap_key(const struct ynode *map, size_t i);
const struct ynode *ymap_value(const struct ynode *map, size_t i);

/* For a plain scalar: true when it is a YAML null (empty, "~", "null"). */
int yscalar_is_null(const struct ynode *n);

#endif
