/*
 * The template's loop (template.h).  A worker is forked with a raw
 * clone(CLONE_PARENT): posternd, not the template, is its parent, so
 * posternd reaps it with waitpid() as it reaps an exec'd worker, and a
 * template that dies leaves its workers running.
 *
 * What a raw clone skips of glibc's fork(): the atfork handlers, and
 * the thread id glibc keeps for the thread.  The template has one
 * thread and holds no lock here, so no handler has anything to do; the
 * stale thread id is used only by locks, consistently, within the new
 * process.  OpenSSL 3 registers no handler it needs: each DRBG keeps
 * the pid it was seeded in and reseeds from getrandom when getpid()
 * says otherwise (openssl_get_fork_id(), crypto/threads_pthread.c), and
 * glibc (2.25 on) caches no pid.  libsodium's randombytes asks the
 * kernel (getrandom) for every call and keeps no state to copy.
 * regress/master/template_test.sh checks that two workers' TLS server
 * randoms differ.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "proto.h"
#include "proto_worker.h"
#include "template.h"

/* The master reads its children's channels all the time. */
#define TEMPLATE_SEND_MS	5000

static pid_t
sibling(void)
{
	/*
	 * No CLONE_VM: the child runs on a copy of this stack and returns
	 * from syscall() as from fork().  The flags are the only ones the
	 * template's filter allows (SB_SPAWN).
	 */
	return (pid_t)syscall(SYS_clone,
	    (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL, NULL, NULL, 0UL);
}

/*
 * In the new worker: the template's channel, and whatever it still
 * holds (another worker's channel, queued behind this one's), are
 * closed; fd is its channel from now on.
 */
static void
become_worker(struct msgchan *chan, int fd)
{
	int	 fl;

	(void)close(chan->fd);
	msgchan_clear(chan);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("fcntl the channel from the template");
	msgchan_init(chan, fd, MSGCHAN_FDS, WORKER_CHAN_BODY_MAX);
}

void
template_run(struct msgchan *chan, uint32_t *slot)
{
	struct worker_fork	 f;
	struct worker_forked	 r;
	struct msg		 m;
	pid_t			 pid;

	if (msg_compose(chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(chan, TEMPLATE_SEND_MS) == -1)
		fatal("send ready");
	log_debug("template ready");
	for (;;) {
		/*
		 * What waits long gives its buffers back (msg.h), and the
		 * free pages of the heap, most of it after the start.
		 */
		msgchan_trim(chan);
		(void)malloc_trim(0);
		if (msg_wait(chan, &m, -1) == -1) {
			if (errno == ECONNRESET)
				_exit(0);
			fatal("read from the master");
		}
		switch (m.hdr.type) {
		case MSG_T_FORK:
			if (m.len != sizeof(f) || m.fd == -1)
				break;
			memcpy(&f, m.body, sizeof(f));
			if ((pid = sibling()) == 0) {
				become_worker(chan, m.fd);
				*slot = f.slot;
				return;
			}
			(void)close(m.fd);
			memset(&r, 0, sizeof(r));
			r.id = f.id;
			if (pid == -1) {
				r.error = errno;
				log_warn("clone for slot %u", f.slot);
			} else
				r.pid = (int32_t)pid;
			if (msg_compose(chan, MSG_T_FORKED, 0, -1, &r,
			    sizeof(r)) == -1 ||
			    msg_send(chan, TEMPLATE_SEND_MS) == -1)
				fatal("send the forked pid");
			continue;
		case MSG_SHUTDOWN:
			if (m.fd != -1 ||
			    m.len != sizeof(struct worker_shutdown))
				break;
			log_debug("template: shutdown");
			_exit(0);
		}
		log_warnx("master sent type %u, %zu bytes%s to the template",
		    m.hdr.type, m.len, m.fd != -1 ? " and a descriptor" : "");
		_exit(1);
	}
}
