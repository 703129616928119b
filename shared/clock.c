/*
 * The one clock for timeouts, deadlines and rates: CLOCK_MONOTONIC, so a
 * step of the wall clock never fires or stalls a timer.  Milliseconds in
 * an int64_t leave room for any uptime and make differences plain
 * subtraction.  Sandboxed processes may call it: clock_gettime is in
 * SB_TIME (sandbox.c), which every child's allow-list has, for when the
 * vDSO cannot answer.
 */
#include <time.h>

#include "clock.h"

int64_t
now_ms(void)
{
	struct timespec	 ts;

	/* CLOCK_MONOTONIC with a valid pointer cannot fail. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
