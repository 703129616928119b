/*
 * What imap_relay.c and the files of its parts share: one session's state
 * and the calls between them, named ir_ so that none of the engine's
 * helpers takes a generic name in libworker.a.  Private to the IMAP
 * engine (imap_relay_caps.c, imap_relay_login.c, imap_relay_policy.c,
 * imap_relay_tls.c); the relay sees imap_relay.h only.
 */
#ifndef POSTERN_WORKER_IMAP_RELAY_INT_H
#define POSTERN_WORKER_IMAP_RELAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imap_enforce.h"
#include "imap_limits.h"
#include "imap_session.h"

struct relay;
struct worker_config;

struct imap_relay {
	struct relay			*relay;
	const struct worker_config	*conf;
	struct imap_limits		 lim;
	struct imap_session		 s;
	int				 greeted;
	int				 authed;
	int				 logout;
	int				 srv_mid;	/* in a server response */
	int				 closed;
	int				 byesent;
	struct buf			 pending;	/* our answers */
	struct buf			 scratch;	/* a rewritten line */
	uint32_t			 commands;
	int				 tls_want;	/* our STARTTLS OK queued */
	int				 tls_handed;	/* ... and sent: relay's turn */
	char				 tls_ok[IMAP_TAG_MAX + 128];
	int				 tls_oklen;	/* > 0: OK not queued yet */
	int				 z_want;	/* our COMPRESS OK queued */
	int				 z_stop;	/* ... client input behind it */
	size_t				 z_at;		/* ... its end in pending */
	char				 extra[64];	/* caps_extra() */
	uint64_t			 id;		/* the session's */
	struct imap_enforce		 pol;
};

/* imap_relay.c */
void	 ir_bye_line(struct imap_relay *, const char *, size_t);
void	 ir_fail(struct imap_relay *, const char *, size_t);
int	 ir_refuse(struct imap_relay *, const struct imap_cmd *);
void	 ir_answer(struct imap_relay *, const char *, size_t);
void	 ir_deliver(struct imap_relay *);

/* imap_relay_caps.c */
void	 ir_server_line(struct imap_relay *, const struct imap_event *);

/* imap_relay_login.c */
void	 ir_forward_greeting(struct imap_relay *, const struct imap_sev *);
int	 ir_client_forward_id(struct imap_relay *, const struct imap_sev *);
void	 ir_server_timers(struct imap_relay *, const struct imap_sev *);
void	 ir_front_failed(struct imap_relay *, const struct imap_cmd *, int);

/* imap_relay_policy.c */
int	 ir_client_policy(struct imap_relay *, const struct imap_sev *);
int	 ir_server_policy(struct imap_relay *, const struct imap_sev *);
int	 ir_client_more(struct imap_relay *, const struct imap_sev *);

/* imap_relay_tls.c */
int	 ir_tls_offered(const struct imap_relay *);
int	 ir_tls_required(const struct imap_relay *);
int	 ir_compress_offered(struct imap_relay *);
void	 ir_compress_take(struct imap_relay *, const struct imap_sev *);
int	 ir_client_refused(struct imap_relay *, const struct imap_sev *);

#endif
