/* agent/notify: the messages people get. It owns who is sent what, with
 * retries, and the outcomes in the journal (notify.c), and building each
 * message from its template (message.c). It may use agent/plan, connectors
 * and agent/state (and what they use).
 *
 * The notify stage: after the directory writes, every person who got a
 * generated password receives the messages of notify.messages, in order,
 * over one SMTP connection.
 *
 * A 4xx reply or a lost connection is retried up to notify.retries times,
 * the delay doubling from notify.retry_delay; a 5xx reply is final for that
 * message (the later messages to the same address are then skipped). The
 * server refusing our credentials or our TLS requirements stops the mail
 * phase; so does a server that cannot be reached at all. A failed message
 * never undoes a directory change. Every outcome goes to the journal (kind,
 * recipient, status, attempts, error), never the password; each password is
 * wiped once its person is done. */
#ifndef LDAPENROLL_NOTIFY_H
#define LDAPENROLL_NOTIFY_H

#include <stddef.h>

#include "config/config.h"
#include "agent/base/pwstore.h"
#include "agent/base/diag.h"
#include "agent/state/journal.h"
#include "agent/plan/plan.h"

enum msg_status { MSG_PENDING, MSG_SENT, MSG_FAILED, MSG_SKIPPED };

struct notify_report {
	size_t sent, failed, pending, skipped;
	size_t people_done;     /* people whose every message was sent */
	size_t people_pending;  /* people with a message not confirmed */
	size_t people_failed;   /* people with a message refused for good */
};

/* Sends the messages of everyone whose slot in passwords holds one (the
 * actions that set a password); each slot is wiped once its person is
 * done. Returns 0, or ST_SERVER when the mail phase had to stop (the
 * remaining messages are pending in the journal). */
int notify_run(const struct config *cfg, const struct plan *plan, struct pwstore *passwords, struct journal *j,
	       struct notify_report *rep, struct diag *d);

const char *msg_status_name(enum msg_status s);

#endif
