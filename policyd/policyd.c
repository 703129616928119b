/*
 * postern-policyd: answers the workers' verdict queries from the current
 * generation of the policy store.  posternd starts it with its channel on
 * POLICYD_CHAN_FD and talks to it as proto_policy.h says: the config
 * first; then, once policyd is confined and says MSG_READY, one channel
 * per worker.
 *
 * Each query renews the store's one read transaction, matches, answers
 * and resets it: no read transaction outlives a query, so policyctl's
 * writes never wait for policyd and old pages are freed.
 */
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <seccomp.h>

#include "child_chan.h"
#include "log.h"
#include "msg.h"
#include "policy_codec.h"
#include "privdrop.h"
#include "proto.h"
#include "proto_policy.h"
#include "rules.h"
#include "sandbox.h"
#include "store.h"
#include "stdio_detach.h"

#define READY_TIMEOUT_MS	5000
/* The store is looked at this often even when inotify says nothing. */
#define REFRESH_MS		1000

struct wchan {
	TAILQ_ENTRY(wchan)	 entry;
	struct msgchan		 ch;
	uint32_t		 slot;
};
TAILQ_HEAD(wchanq, wchan);

static struct store	*store;
static volatile uint64_t *genpage;	/* the page's first 8 bytes */
static int		 genfd = -1;
static size_t		 pagesize;
static uint64_t		 checked_gen;	/* its blob passed rules_blob_check */
static int		 inofd = -1;
static struct wchanq	 wchans = TAILQ_HEAD_INITIALIZER(wchans);

static void	 config_read(struct msgchan *, struct policyd_config *);
static void	 genpage_make(void);
static void	 publish(uint64_t);
static void	 refresh(void);
static void	 inotify_watch(const char *);
static void	 confine(const struct policyd_config *);
static int	 sandbox_policyd_load(void);
static void	 master_msg(struct msgchan *, struct msg *);
static void	 wchan_add(int, uint32_t, uint32_t);
static void	 wchan_end(struct wchan *, const char *);
static int	 wchan_msg(struct wchan *, const struct msg *);
static int	 answer(struct wchan *, uint64_t, const struct rules_query *);
static void	 serve(struct msgchan *) __attribute__((noreturn));

int
main(int argc, char *argv[])
{
	struct policyd_config	 conf;
	struct msgchan		 chan;
	char			 err[256];

	(void)argv;
	log_init(1, 0, "postern-policyd");
	log_child();
	if (argc != 1)
		fatalx("usage: postern-policyd (started by posternd only)");
	child_chan_check(POLICYD_CHAN_FD, "postern-policyd");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
	msgchan_init(&chan, POLICYD_CHAN_FD, MSGCHAN_FDS, 0);
	config_read(&chan, &conf);
	log_init(1, (int)conf.verbose, "policyd");
	log_to_channel(&chan);
	stdio_detach();
	/* Everything from the file system, before the chroot. */
	if (store_open(&store, conf.store, STORE_RDONLY, NULL, err,
	    sizeof(err)) != STORE_OK)
		fatalx("%s", err);
	genpage_make();
	inotify_watch(conf.store);
	refresh();
	confine(&conf);
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready, generation %llu", (unsigned long long)*genpage);
	serve(&chan);
}

static void
config_read(struct msgchan *chan, struct policyd_config *c)
{
	child_config_read(chan, MSG_P_CONFIG, c, sizeof(*c));
	if (memchr(c->store, '\0', sizeof(c->store)) == NULL ||
	    c->store[0] != '/')
		fatalx("config: store directory is not an absolute path");
	if (c->uid == 0 || c->gid == 0)
		fatalx("config: uid %u gid %u: policyd never runs as root",
		    c->uid, c->gid);
	if (c->max_workers == 0 || c->max_workers > 60000)
		fatalx("config: max_workers %u out of range", c->max_workers);
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

static void
publish(uint64_t gen)
{
	if (__atomic_load_n(genpage, __ATOMIC_RELAXED) == gen)
		return;
	__atomic_store_n(genpage, gen, __ATOMIC_RELEASE);
	log_info("generation %llu is current", (unsigned long long)gen);
}

/* The store may have moved on: look, and publish what is current. */
static void
refresh(void)
{
	const void	*blob;
	size_t		 len;
	uint64_t	 gen;
	int		 rc;

	rc = store_read_begin(store, &gen, &blob, &len);
	if (rc == STORE_OK) {
		store_read_end(store);
		publish(gen);
	} else if (rc == STORE_NOGEN)
		publish(0);
	else
		log_warnx("%s", store_error(store));
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
confine(const struct policyd_config *c)
{
	/* 0-2, the master, the page, inotify, LMDB's two, the workers. */
	struct privdrop_limits	 lim = { .nofile = 16 + c->max_workers };

	if (privdrop_id(c->uid, c->gid, c->store) == -1)
		fatalx("%s", privdrop_error());
	if (privdrop_limits(&lim) == -1)
		fatalx("%s", privdrop_error());
	if (sandbox_policyd_load() == -1)
		fatalx("%s", sandbox_error());
}

/*
 * policyd's allow-list.  The store was opened before the chroot and
 * LMDB's reader works on the descriptors and maps it already has:
 * renewing a read transaction touches the reader table in the mmap'd
 * lock file (futex, for its robust mutex; a plain store otherwise) and
 * reads pages of the mmap'd data file.
 */
static int
sandbox_policyd_load(void)
{
	struct sandbox	*sb;

	if ((sb = sandbox_new()) == NULL)
		return -1;
	/*
	 * SB_STDIO: read/write/close, malloc, the inotify read, mmap and
	 * munmap when LMDB remaps a store that grew (MDB_MAP_RESIZED),
	 * getpid for message headers and LMDB's reader slot, exit.
	 * SB_POLL: the loop over the channels; msg_send's ppoll.
	 * SB_SOCKIO: shutdown of a channel being ended.
	 * SB_FDPASS: recvmsg of worker channels from the master, sendmsg
	 * of the generation page to workers.
	 * SB_TIME: clock_gettime where the vDSO cannot answer.
	 */
	if (sandbox_allow_group(sb, SB_STDIO) == -1 ||
	    sandbox_allow_group(sb, SB_POLL) == -1 ||
	    sandbox_allow_group(sb, SB_SOCKIO) == -1 ||
	    sandbox_allow_group(sb, SB_FDPASS) == -1 ||
	    sandbox_allow_group(sb, SB_TIME) == -1 ||
	    /*
	     * dup: each worker's hello carries its own copy of the page's
	     * descriptor, which msg_compose() closes once it is sent.
	     */
	    sandbox_allow(sb, SCMP_SYS(dup)) == -1) {
		sandbox_free(sb);
		return -1;
	}
#ifdef POSTERN_SANDBOX_DEBUG
	/*
	 * Chosen when building (make SANDBOX_DEBUG=1), never at run time,
	 * so nothing a child inherits can turn its filter's kill off.
	 */
	sandbox_debug(sb);
#endif
	return sandbox_load(sb);
}

static void
master_msg(struct msgchan *chan, struct msg *m)
{
	struct policyd_worker	 w;

	(void)chan;
	switch (m->hdr.type) {
	case MSG_P_WORKER:
		if (m->len != sizeof(w) || m->fd == -1)
			break;
		memcpy(&w, m->body, sizeof(w));
		if (w.maxbody > MSG_BODY_MAX)
			fatalx("master: worker %u channel limit %u over %u",
			    w.slot, w.maxbody, MSG_BODY_MAX);
		wchan_add(m->fd, w.slot, w.maxbody);
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

/*
 * The channel takes the queries of the worker's `limit line' (maxbody,
 * proto_policy.h; 0 is the default): a long command line gets its
 * verdict like a short one.
 */
static void
wchan_add(int fd, uint32_t slot, uint32_t maxbody)
{
	struct policy_hello	 h = { .pagesize = (uint32_t)pagesize };
	struct wchan		*w;
	int			 fl, pfd;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("calloc");
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("fcntl worker %u channel", slot);
	msgchan_init(&w->ch, fd, MSGCHAN_FDS, maxbody);
	w->slot = slot;
	TAILQ_INSERT_TAIL(&wchans, w, entry);
	/* msg_compose() takes the descriptor; the page stays ours. */
	if ((pfd = dup(genfd)) == -1) {
		wchan_end(w, "dup of the generation page failed");
		return;
	}
	if (msg_compose(&w->ch, MSG_P_HELLO, slot, pfd, &h, sizeof(h)) == -1) {
		close(pfd);
		wchan_end(w, "hello failed");
		return;
	}
	log_debug("worker %u: channel", slot);
}

static void
wchan_end(struct wchan *w, const char *why)
{
	if (why != NULL)
		log_warnx("worker %u: %s: channel closed", w->slot, why);
	TAILQ_REMOVE(&wchans, w, entry);
	close(w->ch.fd);
	msgchan_clear(&w->ch);
	free(w);
}

/* -1: the channel is to end. */
static int
wchan_msg(struct wchan *w, const struct msg *m)
{
	static struct policy_query_room	 room;
	struct rules_query		 q;
	uint64_t			 id;

	if (m->fd != -1) {
		close(m->fd);
		log_warnx("worker %u: sent a descriptor", w->slot);
		return -1;
	}
	if (m->hdr.type != MSG_P_QUERY) {
		log_warnx("worker %u: sent type %u", w->slot, m->hdr.type);
		return -1;
	}
	if (policy_query_decode(m->body, m->len, w->ch.maxbody, &id, &q,
	    &room) == -1) {
		log_warnx("worker %u: malformed query, %zu bytes", w->slot,
		    m->len);
		return -1;
	}
	return answer(w, id, &q);
}

/*
 * One read transaction per query: begin, check the blob if this
 * generation is new to us, match, copy the answer out, end.
 */
static int
answer(struct wchan *w, uint64_t id, const struct rules_query *q)
{
	static uint8_t			 out[POLICY_VERDICT_MAX];
	static struct policy_str	 lines[POLICY_VERDICT_LINES];
	struct policy_reply		 r;
	struct rules_verdict		 v;
	const void			*blob;
	const char			*u;
	size_t				 len, i, n = 0;
	int				 rc;

	memset(&r, 0, sizeof(r));
	r.id = id;
	rc = store_read_begin(store, &r.gen, &blob, &len);
	if (rc == STORE_NOGEN) {
		r.status = POLICY_NOGEN;
		r.gen = 0;
		publish(0);
		goto send;
	}
	if (rc != STORE_OK) {
		log_warnx("%s", store_error(store));
		r.status = POLICY_ERROR;
		r.gen = 0;
		goto send;
	}
	publish(r.gen);
	r.status = POLICY_ERROR;
	if (r.gen != checked_gen) {
		if (rules_blob_check(blob, len) == -1) {
			log_warnx("generation %llu: compiled rules damaged",
			    (unsigned long long)r.gen);
			goto end;
		}
		checked_gen = r.gen;
	}
	if (rules_match(blob, q, &v) == -1) {
		/* A bad protocol or table: the worker's bug, not ours. */
		log_warnx("worker %u: query for protocol %u table %u refused",
		    w->slot, q->proto, q->table);
		goto end;
	}
	/* The strings point into the blob: encoded before the end. */
	r.status = POLICY_OK;
	r.action = v.action;
	r.tls = v.action == RULES_TLS ? v.tls : 0;
	r.cacheable = v.cacheable;
	r.line = v.line;
	r.col = v.col;
	r.text.s = v.text;
	r.text.len = v.text != NULL ? strlen(v.text) : 0;
	r.file.s = v.file;
	r.file.len = v.file != NULL ? strlen(v.file) : 0;
	/* More lines than lines[] could never fit in a body. */
	for (i = 0; i < v.nuntagged && i < POLICY_VERDICT_LINES; i++) {
		if ((u = rules_untagged(&v, i)) == NULL)
			break;
		lines[i].s = u;
		lines[i].len = strlen(u);
	}
	r.nuntagged = i;
	r.untagged = lines;
	if (v.nuntagged <= POLICY_VERDICT_LINES &&
	    (n = policy_verdict_encode(&r, out, sizeof(out))) > 0)
		goto end;
	log_warnx("generation %llu: verdict of %s:%u too large to send",
	    (unsigned long long)r.gen, v.file, v.line);
	r.status = POLICY_ERROR;
 end:
	store_read_end(store);
 send:
	if (r.status != POLICY_OK)
		n = policy_verdict_encode(&r, out, sizeof(out));
	if (msg_compose(&w->ch, MSG_P_VERDICT, w->slot, -1, out, n) == -1 ||
	    msg_flush(&w->ch) == -1)
		return -1;
	return 0;
}

static void
serve(struct msgchan *master)
{
	struct pollfd	*pfd = NULL;
	struct wchan	*w, *wnext;
	struct msg	 m;
	char		 ev[4096];
	size_t		 n, i, max = 0;
	int		 rc, r;

	for (;;) {
		while ((rc = msg_get(master, &m)) == 1)
			master_msg(master, &m);
		/* A log line may have found the master gone: so be it. */
		if (master->eof || (rc == -1 && (master->error == EPIPE ||
		    master->error == ECONNRESET)))
			_exit(0);
		if (rc == -1)
			fatal("channel to the master");
		TAILQ_FOREACH_SAFE(w, &wchans, entry, wnext) {
			/*
			 * A worker that does not read its answers gets no
			 * more until it has: policyd's buffers stay bounded.
			 */
			r = 0;
			while (!msg_pending(&w->ch) &&
			    (r = msg_get(&w->ch, &m)) == 1)
				if (wchan_msg(w, &m) == -1)
					break;
			if (r == 1 || r == -1) {
				wchan_end(w, r == -1 ? strerror(w->ch.error) :
				    "protocol error");
				continue;
			}
			if (w->ch.eof) {
				log_debug("worker %u: gone", w->slot);
				wchan_end(w, NULL);
			}
		}
		n = 2;
		TAILQ_FOREACH(w, &wchans, entry)
			n++;
		if (n > max) {
			if ((pfd = reallocarray(pfd, n, sizeof(*pfd))) == NULL)
				fatal("reallocarray");
			max = n;
		}
		pfd[0].fd = master->fd;
		pfd[0].events = POLLIN | (msg_pending(master) ? POLLOUT : 0);
		pfd[1].fd = inofd;
		pfd[1].events = POLLIN;
		i = 2;
		TAILQ_FOREACH(w, &wchans, entry) {
			pfd[i].fd = w->ch.fd;
			pfd[i].events = msg_pending(&w->ch) ? POLLOUT : POLLIN;
			i++;
		}
		if ((r = poll(pfd, n, REFRESH_MS)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (r == 0 || (pfd[1].revents & POLLIN)) {
			while (inofd != -1 && read(inofd, ev, sizeof(ev)) > 0)
				;
			refresh();
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    msg_read(master) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			if (errno == ECONNRESET)
				_exit(0);
			fatal("read from the master");
		}
		/* A master gone with log lines unsent is a master gone. */
		if ((pfd[0].revents & POLLOUT) && msg_flush(master) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				_exit(0);
			fatal("write to the master");
		}
		i = 2;
		TAILQ_FOREACH_SAFE(w, &wchans, entry, wnext) {
			short re = pfd[i++].revents;

			if ((re & POLLOUT) && msg_flush(&w->ch) == -1) {
				wchan_end(w, strerror(errno));
				continue;
			}
			if ((re & (POLLIN | POLLHUP | POLLERR)) &&
			    msg_read(&w->ch) == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				wchan_end(w, strerror(errno));
		}
	}
}
