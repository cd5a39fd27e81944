/* serve: the set-password page of passwords.delivery: link, until SIGINT or
 * SIGTERM (agent/web/serve.h). */
#include "agent/cli/commands.h"
#include "agent/web/serve.h"

int cmd_serve(struct run *r)
{
	return serve_run(r->cfg, &r->d);
}
