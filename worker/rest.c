/*
 * An idle worker's memory given back (rest.h).
 *
 * The stack: below the frame of rest_give_back(), less a page for the
 * calls it makes, nothing is live (the x86-64 and AArch64 ABIs keep no
 * data below the stack pointer but a 128-byte red zone, and this
 * process has one thread and no alternate signal stack), so those pages
 * may go back as malloc's free ones do: madvise(MADV_DONTNEED) makes
 * them zero pages again, faulted in when a deeper call comes.  The range
 * is bounded (REST_STACK_MAX): what lies below the stack's mapping is
 * the kernel's guard gap (1 MiB), where nothing is mapped, and madvise
 * skips the unmapped part.  A session writes 3 to 5 pages of stack over
 * the few a waiting worker needs.
 */
#include <sys/mman.h>

#include <malloc.h>
#include <stdint.h>
#include <unistd.h>

#include "audit.h"
#include "msg.h"
#include "rest.h"

#define REST_STACK_MAX	(256 * 1024)	/* below the frame, at most */
#define REST_PAGE	4096		/* the smallest page size */

static void
stack_give_back(void)
{
	volatile char	 here = 0;
	uintptr_t	 top, bottom;

	/* A page of room for madvise()'s own frames, then page-aligned. */
	top = ((uintptr_t)&here - REST_PAGE) & ~(uintptr_t)(REST_PAGE - 1);
	if (top < REST_STACK_MAX)
		return;
	bottom = top - REST_STACK_MAX;
	/* ENOMEM for the unmapped part below the stack: expected. */
	(void)madvise((void *)bottom, top - bottom, MADV_DONTNEED);
	(void)here;
}

void
rest_give_back(struct msgchan *chan, struct msgchan *pc)
{
	audit_rest();
	msgchan_trim(chan);
	if (pc != NULL)
		msgchan_trim(pc);
	(void)malloc_trim(0);
	stack_give_back();
}
