#include "agent/base/interrupt.h"

#include <signal.h>
#include <string.h>

#include "agent/base/diag.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

void interrupt_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	/* The second signal has the default effect: the program ends. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int interrupt_status(void)
{
	return caught == SIGINT ? ST_SIGINT : caught == SIGTERM ? ST_SIGTERM : 0;
}
