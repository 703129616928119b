/*
 * What relay.c and the files of its parts share: one session's state and
 * the calls between them.  Private to the relay (relay_chan.c,
 * relay_compress.c, relay_front.c, relay_tls.c); the engines see
 * relay.h and relay_tls.h only.
 */
#ifndef POSTERN_WORKER_RELAY_INT_H
#define POSTERN_WORKER_RELAY_INT_H

#include <sys/types.h>

#include <stdint.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "msg.h"
#include "proto_tls.h"
#include "proto_worker.h"
#include "relay.h"

struct rdeflate;

#define RELAY_READ	(64 * 1024)	/* bytes asked of one recv */

struct side {
	int		 fd;
	struct buf	 in;		/* read, not yet consumed by the engine */
	struct buf	 out;		/* to write */
	const uint8_t	*zc;		/* borrowed bytes to write, after out */
	size_t		 zclen;
	uint64_t	 nin;
	uint64_t	 nout;
	int		 connected;	/* upstream: connect finished */
	int		 eof;		/* read returned 0 */
	int		 dead;		/* write failed: nothing more goes out */
	SSL		*ssl;		/* NULL: plaintext */
	short		 tlsev;		/* poll events TLS waits for */
	struct rdeflate	*z;		/* client: COMPRESS=DEFLATE on */
};

struct relay {
	const struct worker_config	*conf;
	const struct worker_session	*sess;
	const struct worker_env		*env;
	struct msgchan			*chan;
	const struct relay_engine	*ops;
	void				*eng;
	struct side			 s[2];
	int				 closing;
	int				 quit;		/* exit now */
	int				 exiting;	/* exit once flushed */
	enum worker_end_reason		 reason;
	int64_t				 login_deadline;	/* 0 once in */
	int				 login_expired;
	int64_t				 up_deadline;
	int64_t				 last_client;	/* last client read */
	int64_t				 last_write;	/* closing: progress */
	int64_t				 last_io;	/* any poll event */
	int				 rested;	/* buffers given back */
	unsigned int			 idle_timeout;	/* s; 0 = login timer */
	enum worker_tls_mode		 tls_mode;	/* the client side's */
	int				 starttls;	/* client TLS once flushed */
	int				 zstart;	/* client input: inflate */
	char				 up_greeting[300];	/* after STARTTLS */
	int64_t				 policy_lost;	/* ms; 0: channel up */
	int64_t				 hold_until;	/* client held; 0 none */
	/*
	 * login proxy (imap_front.h, pop3_front.h): while front is set,
	 * the client's input goes to fr through fops, not to the engine;
	 * FRONT_WAIT once the login is taken and MSG_W_CONNECT sent.
	 * replay: the login as the engine is to see it first, once the
	 * upstream is here.
	 */
	int				 front;
	const struct relay_front	*fops;
	void				*fr;
	struct buf			 replay;
	/* The replayed login's answer awaited; relay_login_failed(). */
	int				 login_pending;
	int				 relogin;
	int				 up_greeted;	/* relay_greeted() */
	size_t				 outmax;
};

#define FRONT_LOGIN	1	/* greeted, taking the login */
#define FRONT_WAIT	2	/* the upstream asked for */

/* relay.c */
void	 relay_side_init(struct side *, int, size_t);
void	 relay_side_free(struct side *);
/* A BYE with this text to the client, when it can still read one. */
void	 relay_bye(struct relay *, const char *);
ssize_t	 relay_tls_read_more(struct side *, uint8_t *, size_t);

/* relay_chan.c: the master's channel; -1: exit now. */
int	 relay_chan_read(struct relay *);

/* relay_compress.c */
void	 relay_z_begin(struct relay *);
ssize_t	 relay_z_read(struct relay *, struct side *, uint8_t *);
int	 relay_z_flush(struct relay *);

/* relay_tls.c: the upstream's leg, after its connect. */
void	 relay_upstream_begin(struct relay *);

/* relay_front.c: login proxy. */
int	 relay_front_pump(struct relay *);
int	 relay_front_upstream(struct relay *, struct msg *);
void	 relay_front_again(struct relay *);

#endif
