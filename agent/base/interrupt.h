/* Stopping a run that changes things, on SIGINT (an administrator's Ctrl-C)
 * or SIGTERM (systemd stopping the unit).
 *
 * Once a run makes changes, the first of these signals only asks it to stop
 * at the next safe point: no new operation or message is sent, what is in
 * flight is collected (bounded by the timeout), the journal is closed with
 * status "interrupted" and the people who wait for their messages are
 * recorded. The handler is installed for that once only, so a second
 * signal ends the program at once; the journal is still whole lines, each
 * written in one go. Before the run makes changes, the signals keep their
 * default effect. */
#ifndef LDAPENROLL_INTERRUPT_H
#define LDAPENROLL_INTERRUPT_H

/* From now on, SIGINT and SIGTERM ask the run to stop (once). */
void interrupt_catch(void);
/* The status of the signal that asked the run to stop (ST_SIGINT or
 * ST_SIGTERM), or 0 when none did. */
int interrupt_status(void);

#endif
