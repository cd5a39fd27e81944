/* The default message templates (the .txt files of config/templates), compiled into the
 * program so that an omitted notify.templates works anywhere. The table is
 * generated at build time by config/embed.cmake. */
#ifndef LDAPENROLL_EMBEDDED_TEMPLATES_H
#define LDAPENROLL_EMBEDDED_TEMPLATES_H

#include <stddef.h>

struct embedded_file {
	const char *name; /* file name, e.g. "welcome.de.txt" */
	const char *text;
	size_t len;
};

extern const struct embedded_file embedded_templates[];
extern const size_t n_embedded_templates;

#endif
