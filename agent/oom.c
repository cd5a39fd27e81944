#include "oom.h"

static unsigned long failures;

void oom_note(void)
{
	failures++;
}

unsigned long oom_count(void)
{
	return failures;
}
