#include "agent/base/oom.h"

static unsigned long failures;

void oom_note(void)
{
	failures++;
}

unsigned long oom_count(void)
{
	return failures;
}

void *oom_checked(void *p)
{
	if (!p)
		failures++;
	return p;
}
