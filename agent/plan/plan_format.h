/* A plan as the preview shows it: text for people, the versioned JSON object
 * of the command line contract (which `apply` reads back), or LDIF with
 * every password left out. */
#ifndef LDAPENROLL_PLAN_FORMAT_H
#define LDAPENROLL_PLAN_FORMAT_H

#include <stdio.h>

#include "config/config.h"
#include "agent/plan/plan.h"

/* PLAN_SUMMARY: the text's counts and what to act on, without the list. */
enum plan_format { PLAN_TEXT, PLAN_JSON, PLAN_LDIF, PLAN_SUMMARY };

/* What became of each action (after --apply), or what would (a preview
 * of a saved plan, where some actions are refused); and the job. */
struct plan_status {
	const enum outcome *outcome; /* per action */
	const char *const *error;    /* per action, may be NULL */
	const char *job;
	int preview;                 /* OUT_NONE means "would be done" */
};

/* Writes the plan to f: a preview when status is NULL, else a report of
 * what was done. command is "sync", "enable", ... Returns 0, or -1 when
 * writing failed (errno is set). */
int plan_write(FILE *f, enum plan_format format, const struct plan *p, const struct config *cfg,
	       const char *command, const struct plan_status *status);

#endif
