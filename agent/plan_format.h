/* A plan as the preview shows it: text for people, the versioned JSON object
 * of the command line contract (which `apply` reads back), or LDIF with
 * every password left out. */
#ifndef LDAPENROLL_PLAN_FORMAT_H
#define LDAPENROLL_PLAN_FORMAT_H

#include <stdio.h>

#include "../config/config.h"
#include "plan.h"

enum plan_format { PLAN_TEXT, PLAN_JSON, PLAN_LDIF };

/* Writes the plan to f. command is "sync", "enable", ... Returns 0, or -1
 * when writing failed (errno is set). */
int plan_write(FILE *f, enum plan_format format, const struct plan *p, const struct config *cfg,
	       const char *command);

#endif
