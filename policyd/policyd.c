/*
 * postern-policyd: answers the workers' verdict queries from the current
 * generation of the policy store.  posternd starts it with its channel on
 * POLICYD_CHAN_FD and talks to it as proto_policy.h says: the config
 * first; then, once policyd is confined and says MSG_READY, one channel
 * per worker.
 *
 * Each query renews its thread's read transaction, matches, answers and
 * resets it (answer.c): no read transaction outlives a query, so
 * policyctl's writes never wait for policyd and old pages are freed.
 * `policy threads' threads answer, each over its share of the workers'
 * channels (answerers.h).
 *
 * policyd is also the one place that counts failed logins and the
 * sessions of each user for every worker (counters.h): the workers ask
 * before a login goes upstream and tell how it went.  The counters live
 * in this process (guard.c), and with "counters redis" also in Redis for
 * the whole fleet (fleet.c); a restart of policyd starts its own afresh
 * (postern.conf(5), "login", "counters").
 */
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "answer.h"
#include "answerers.h"
#include "chan_loop.h"
#include "child_chan.h"
#include "clock.h"
#include "confine.h"
#include "guard.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "proto_policy.h"
#include "store.h"

#define READY_TIMEOUT_MS	5000
/* The store is looked at this often even when inotify says nothing. */
#define REFRESH_MS		1000

/*
 * policyd's allow-list.  The store was opened before the chroot and
 * LMDB's reader works on the descriptors and maps it already has:
 * renewing a read transaction touches the reader table in the mmap'd
 * lock file (futex, for its robust mutex; a plain store otherwise) and
 * reads pages of the mmap'd data file.
 */
static const enum sandbox_group policyd_groups[] = {
	/*
	 * read/close, malloc, the inotify read, mmap and munmap when LMDB
	 * remaps a store that grew (MDB_MAP_RESIZED), futex for LMDB's
	 * reader table mutex, getpid for message headers and LMDB's reader
	 * slot, exit.
	 */
	SB_STDIO,
	/* The loop over the channels (chan_loop.c), msg_send(). */
	SB_POLL,
	/*
	 * recvmsg of worker channels from the master, fcntl O_NONBLOCK on
	 * them, sendmsg of the generation page to workers.  No SB_SOCKIO:
	 * the channels are all framed messages (msg.c).
	 */
	SB_FDPASS,
	/* msg_send()'s timeout. */
	SB_TIME,
};
/*
 * The answering threads are made before the filter (answerers.c); the
 * filter is loaded on every thread at once (sandbox.c, TSYNC), and
 * their locks are futexes (SB_STDIO).  The wake-up pipe of a thread is
 * written (SB_STDIO) and read by its loop.
 */

static const int policyd_calls[] = {
	/*
	 * Each worker's hello carries its own copy of the page's
	 * descriptor, which msg_compose() closes once it is sent.
	 */
	SCMP_SYS(dup),
	/*
	 * The channel loop on the epoll set it made before the filter
	 * (chan_loop_epoll()): a channel added or ended, what to watch
	 * for, and the wait; epoll_pwait is epoll_wait where the kernel
	 * has none (aarch64).
	 */
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
};

static const struct sandbox_list policyd_filter = {
	policyd_groups, sizeof(policyd_groups) / sizeof(policyd_groups[0]),
	policyd_calls, sizeof(policyd_calls) / sizeof(policyd_calls[0]),
};

static struct store	*store;
static volatile uint64_t *genpage;	/* the page's first 8 bytes */
static int		 genfd = -1;
static size_t		 pagesize;
static int		 inofd = -1;
static struct chan_loop	 loop;
static struct msgchan	*master;	/* told of each new generation */

static void	 config_check(const struct policyd_config *);
static void	 genpage_make(void);
static void	 publish(uint64_t);
static void	 refresh(void);
static void	 refresh_hook(struct chan_loop *, short);
static void	 inotify_watch(const char *);
static void	 master_msg(struct chan_loop *, struct msg *);
static void	 redis_ask(void);
static void	 fleet_prepare(struct chan_loop *);
static void	 fleet_hook(struct chan_loop *, short);

int
main(int argc, char *argv[])
{
	struct policyd_config	 conf;
	struct msgchan		 chan;
	struct confine		 cf;
	char			 err[256];

	(void)argv;
	child_begin(argc, "postern-policyd", &chan, POLICYD_CHAN_FD,
	    MSGCHAN_FDS, 0);
	master = &chan;
	child_config_read(&chan, MSG_P_CONFIG, &conf, sizeof(conf));
	config_check(&conf);
	guard_init(&conf.login, &conf.fleet, redis_ask);
	child_detach(&chan, "policyd", (int)conf.verbose);
	/* As root, before the threads, which inherit it. */
	if (setpriority(PRIO_PROCESS, 0, conf.nice) == -1)
		log_warn("nice %d", conf.nice);
	/* Everything from the file system, before the chroot. */
	if (store_open(&store, conf.store, STORE_RDONLY, NULL, err,
	    sizeof(err)) != STORE_OK)
		fatalx("%s", err);
	genpage_make();
	guard_publish(genpage + POLICY_PAGE_BLOCKS);
	inotify_watch(conf.store);
	answer_init(store, genfd, pagesize);
	answer_thread(publish);
	refresh();
	/* A channel per worker, thousands: epoll, made before the filter. */
	chan_loop_init(&loop, &chan);
	chan_loop_epoll(&loop);
	answerers_start(&loop, conf.threads);
	memset(&cf, 0, sizeof(cf));
	cf.prog = "postern-policyd";
	cf.uid = conf.uid;
	cf.gid = conf.gid;
	cf.chroot = conf.store;
	/* posternd counted: POLICYD_NOFILE_FIXED and the workers. */
	cf.nofile = conf.nofile;
	cf.filter = &policyd_filter;
	if (confine(&cf) == -1)
		fatalx("%s", confine_error());
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready, generation %llu, %u threads",
	    (unsigned long long)*genpage, conf.threads);
	loop.master_msg = master_msg;
	loop.peer_msg = answerers_msg;
	loop.peer_end = answerers_end;
	loop.aux_prepare = fleet_prepare;
	loop.aux = fleet_hook;
	loop.hook = refresh_hook;
	loop.hook_fd = inofd;
	loop.hook_ms = REFRESH_MS;
	chan_loop_run(&loop);
}

static void
config_check(const struct policyd_config *c)
{
	if (memchr(c->store, '\0', sizeof(c->store)) == NULL ||
	    c->store[0] != '/')
		fatalx("config: store directory is not an absolute path");
	if (c->uid == 0 || c->gid == 0)
		fatalx("config: uid %u gid %u: policyd never runs as root",
		    c->uid, c->gid);
	if (c->nice < -20 || c->nice > 19)
		fatalx("config: nice %d, not -20 to 19", c->nice);
	if (c->threads < 1 || c->threads > POLICYD_THREADS_MAX)
		fatalx("config: %u threads, not 1 to %u", c->threads,
		    POLICYD_THREADS_MAX);
	if (c->nofile <= POLICYD_NOFILE_FIXED +
	    (c->threads - 1) * POLICYD_NOFILE_THREAD)
		fatalx("config: %u descriptors: not one for a worker",
		    c->nofile);
}

/*
 * The generation page is policyd's own memfd rather than a page the
 * master makes: policyd is its only writer, so it maps it writable
 * first and then seals it (F_SEAL_FUTURE_WRITE) so that no one it is
 * passed to, master or worker, can ever map it writable or resize it.
 * It reaches each worker on that worker's own channel, so the master
 * needs to know nothing about it.
 */
static void
genpage_make(void)
{
	void	*p;
	long	 ps;

	if ((ps = sysconf(_SC_PAGESIZE)) <= 0)
		fatal("sysconf page size");
	pagesize = (size_t)ps;
	if ((genfd = memfd_create("postern-generation",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		fatal("memfd_create");
	if (ftruncate(genfd, (off_t)pagesize) == -1)
		fatal("ftruncate generation page");
	p = mmap(NULL, pagesize, PROT_READ | PROT_WRITE, MAP_SHARED, genfd, 0);
	if (p == MAP_FAILED)
		fatal("mmap generation page");
	if (fcntl(genfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == -1)
		fatal("seal generation page");
	genpage = p;
}

/*
 * A new current generation: on the page for the workers, and to the
 * master with what the store says of it (posternctl status).
 */
static void
publish(uint64_t gen)
{
	struct policyd_generation	 pg;
	struct store_gen		 g;
	static int			 told;

	if (told && __atomic_load_n(genpage, __ATOMIC_RELAXED) == gen)
		return;
	__atomic_store_n(genpage, gen, __ATOMIC_RELEASE);
	if (told || gen != 0)
		log_info("generation %llu is current", (unsigned long long)gen);
	told = 1;
	memset(&pg, 0, sizeof(pg));
	pg.gen = gen;
	if (gen != 0 && store_info(store, gen, &g, NULL) == STORE_OK) {
		pg.time = g.time;
		memcpy(pg.sha256, g.sha256, sizeof(pg.sha256));
		(void)snprintf(pg.user, sizeof(pg.user), "%s", g.user);
	}
	if (msg_compose(master, MSG_P_GENERATION, 0, -1, &pg,
	    sizeof(pg)) == -1)
		fatal("queue generation to the master");
}

/* The store may have moved on: look, and publish what is current. */
static void
refresh(void)
{
	static struct store_reader	*rd;
	const void			*blob;
	size_t				 len;
	uint64_t			 gen;
	int				 rc;

	if (rd == NULL && (rd = store_reader_new(store)) == NULL)
		fatal("a read handle on the store");
	rc = store_read_begin(rd, &gen, &blob, &len);
	if (rc == STORE_OK) {
		store_read_end(rd);
		publish(gen);
	} else if (rc == STORE_NOGEN)
		publish(0);
	else
		log_warnx("%s", store_reader_error(rd));
}

/*
 * inotify said something (its events are read and dropped), or a
 * second passed quietly.
 */
static void
refresh_hook(struct chan_loop *l, short revents)
{
	char	 ev[4096];

	(void)l;
	if (revents != 0 && (revents & POLLIN) == 0)
		return;
	while (inofd != -1 && read(inofd, ev, sizeof(ev)) > 0)
		;
	refresh();
	guard_expire(now_ms());
}

/*
 * policyctl writes data.mdb with pwrite: every commit is an IN_MODIFY,
 * so a new generation is published at once, not at the next query.
 * The event of the data pages can be read before the meta page that
 * commits them is written, and the events of one commit may be merged
 * into that one: IN_CLOSE_WRITE, when policyctl closes the store after
 * its commit, makes sure we look again.  Without inotify the periodic
 * refresh still finds it.
 */
static void
inotify_watch(const char *dir)
{
	char	 path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/data.mdb", dir) >=
	    (int)sizeof(path))
		fatalx("store path too long");
	if ((inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify_init1");
		return;
	}
	if (inotify_add_watch(inofd, path, IN_MODIFY |
	    IN_CLOSE_WRITE) == -1) {
		log_warn("inotify_add_watch %s", path);
		close(inofd);
		inofd = -1;
	}
}

static void
master_msg(struct chan_loop *l, struct msg *m)
{
	struct policyd_worker	 w;
	struct policy_redis	 pr;

	(void)l;
	switch (m->hdr.type) {
	case MSG_P_WORKER:
		if (m->len != sizeof(w) || m->fd == -1)
			break;
		memcpy(&w, m->body, sizeof(w));
		if (w.maxbody > MSG_BODY_MAX)
			fatalx("master: worker %u channel limit %u over %u",
			    w.slot, w.maxbody, MSG_BODY_MAX);
		answerers_worker(m->fd, &w);
		return;
	case MSG_P_REDIS:
		if (m->len != sizeof(pr))
			break;
		memcpy(&pr, m->body, sizeof(pr));
		guard_redis_socket(m->fd, pr.error);
		return;
	case MSG_SHUTDOWN:
		if (m->len != 0 || m->fd != -1)
			break;
		log_debug("shutdown");
		_exit(0);
	}
	fatalx("master sent type %u, %zu bytes%s", m->hdr.type, m->len,
	    m->fd != -1 ? " and a descriptor" : "");
}

/* counters redis: the master connects for us (fleet.h). */
static void
redis_ask(void)
{
	if (msg_compose(master, MSG_P_REDIS_ASK, 0, -1, NULL, 0) == -1)
		fatal("queue a Redis connection request to the master");
}

static void
fleet_prepare(struct chan_loop *l)
{
	l->aux_fd = guard_redis_pollfd(&l->aux_events, &l->aux_ms, now_ms());
}

static void
fleet_hook(struct chan_loop *l, short revents)
{
	(void)l;
	guard_redis_run(revents, now_ms());
}
