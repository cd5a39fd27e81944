/* agent/web: `ldapenroll serve`, the set-password page that the links of
 * passwords.delivery: link open (serve.c), and the page itself (page.c).
 * It may use connectors and agent/state (and what they use).
 *
 * The server holds no directory credential: a POST opens the link's token
 * (agent/text/linktoken.h), binds as the person with the temporary password
 * it carries and changes it to the chosen one (connectors/directory.h,
 * dir_change_own_password); the directory's policy judges the password. A
 * GET changes nothing (mail scanners fetch links): it only shows the form.
 * Logs name the DN and the outcome, never a token or a password. */
#ifndef LDAPENROLL_SERVE_H
#define LDAPENROLL_SERVE_H

#include "agent/base/diag.h"
#include "config/config.h"

/* Largest form body accepted: the token and two passwords fit many times. */
#define SERVE_BODY_MAX 8192

/* Serves until SIGINT or SIGTERM. Returns 0 after such a signal, or a
 * negative status (the address cannot be listened on, the keys cannot be
 * read) with the reason in d. */
int serve_run(const struct config *cfg, struct diag *d);

#endif
