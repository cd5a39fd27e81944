/* A count of the allocations that failed: in the project's containers (buf,
 * arena, hmap) and wherever a plain allocation goes through oom_checked.
 *
 * A buf that cannot grow keeps going without the text, and many appends are
 * not checked one by one. A stage whose result must be whole (the config
 * loader, the planner, the plan writer) compares the count before and after
 * it ran: any change means something may be missing, and the stage fails
 * with "out of memory" instead of giving a result that is quietly short.
 * The program is single-threaded. */
#ifndef LDAPENROLL_OOM_H
#define LDAPENROLL_OOM_H

void oom_note(void);
unsigned long oom_count(void);
/* Returns p, noting a failure when it is NULL: for a plain malloc, calloc,
 * realloc or strdup that such a stage must not miss. */
void *oom_checked(void *p);

#endif
