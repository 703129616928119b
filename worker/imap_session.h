/*
 * The IMAP session layer: one client parser, one server parser, and what
 * lies between them -- the commands in flight, the state, the literal
 * and continuation dance, IDLE, AUTHENTICATE, STARTTLS and COMPRESS.
 *
 * The relay reads bytes from either side and feeds them here; each call
 * consumes some and returns at most one event together with what to do
 * with it (sev.act):
 *
 *	n = imap_session_client(s, data, len, &sev);	client bytes
 *	n = imap_session_server(s, data, len, &sev);	upstream bytes
 *
 *	IMAP_ACT_NONE     nothing to do (NEED_MORE)
 *	IMAP_ACT_FORWARD  pass the event's bytes (sev.ev.raw/rawlen for a
 *	                  LINE, sev.ev.data/len for LITDATA) to the other
 *	                  side, unless a policy rewrites them.  A client
 *	                  LINE with IMAP_SEVF_LIT_CONVERT is passed without
 *	                  the byte at sev.plus_off ({n+} becomes {n}).
 *	IMAP_ACT_DROP     pass nothing
 *	IMAP_ACT_REPLY    pass nothing; send sev.reply to the client
 *	IMAP_ACT_SUBST    pass sev.reply upstream instead of the bytes
 *	IMAP_ACT_CLOSE    send sev.reply (a "* BYE") to the client and end
 *	                  the session; every later call says CLOSE again
 *
 * Flow control.  While imap_session_want_client() is 0 the relay must
 * not feed client bytes (leave them in the socket or its buffer): the
 * client announced a synchronizing literal and the upstream has not
 * answered "+" yet, or we turned a {n+} into {n}.  A feed then returns 0
 * with IMAP_SEVF_BLOCKED.  After a server event with IMAP_SEVF_STARTTLS
 * the relay forwards that line, throws away whatever plaintext it holds
 * from either side, does TLS and calls imap_session_tls_done(); bytes fed
 * before that end the session (CVE-2011-0411 class injection).
 *
 * Literals.  A client {n} is forwarded and the relay waits for the
 * upstream's "+", which is forwarded to the client; a tagged answer
 * instead ends the command and the client never sends the octets.  A
 * {n+} is forwarded as is when the upstream allows it (LITERAL+, or
 * LITERAL- / IMAP4rev2 and n <= 4096), else turned into {n} and the
 * upstream's "+" dropped.  {n-} is in no grammar: the session ends.
 * Sizes: lit_append_max for APPEND, lit_max otherwise; literal8 only in
 * APPEND.  An oversized or misplaced literal in the first line of a
 * command gets "tag BAD [TOOBIG]" when synchronizing, "* BYE" when the
 * octets are on their way anyway; in a later line (earlier ones went
 * upstream already) "* BYE".
 *
 * Lines that are not commands.  After an upstream "+" to AUTHENTICATE,
 * the next client line is a SASL response: base64, empty (SCRAM's last
 * step) or "*" (cancel) is forwarded (IMAP_SEVF_SASL); anything else is
 * replaced by "*" upstream (IMAP_ACT_SUBST), so no server can take it for
 * a command.  Before the "+" client lines are commands (SASL-IR with a
 * command pipelined behind it).  From the end of an IDLE command on, the
 * next client line must be DONE (any case); anything else is dropped and
 * DONE sent upstream in its place, which ends the IDLE as Dovecot does
 * (its answer to a tagged line during IDLE is "BAD Expected DONE" and the
 * line is never answered).
 *
 * Responses are tied to the command they answer (sev.cmd): a tagged one
 * by its tag (tags may repeat: the oldest command in flight with it), an
 * untagged one to the oldest command in flight that asks for it (see
 * imap_cmd.h; ESEARCH by its TAG correlator); BYE to a pending LOGOUT;
 * untagged NO/BAD, OK [ALERT] and anything no command asked for are
 * unsolicited (sev.cmd NULL, IMAP_SEVF_UNSOLICITED).  A "+" nobody waits
 * for and a tagged answer to no command are dropped.
 *
 * Malformed client input: a line the parser rejects gets "tag BAD
 * <reason>" (or "* BAD" without a valid tag) and is not forwarded, when
 * it is the first line of a command; otherwise, or when the parser could
 * not resynchronise, "* BYE <reason>" and the end.  Malformed server
 * input always ends the session: we will not guess what the client
 * would make of it.
 */
#ifndef POSTERN_IMAP_SESSION_H
#define POSTERN_IMAP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/queue.h>

#include "imap_caps.h"
#include "imap_cmd.h"
#include "imap_limits.h"
#include "imap_parse.h"

enum imap_act {
	IMAP_ACT_NONE,
	IMAP_ACT_FORWARD,
	IMAP_ACT_DROP,
	IMAP_ACT_REPLY,
	IMAP_ACT_SUBST,
	IMAP_ACT_CLOSE
};

/* sev.flags */
#define IMAP_SEVF_CMD_START	0x00001	/* client: first line of a command */
#define IMAP_SEVF_CMD_DONE	0x00002	/* server: tagged answer ends cmd */
#define IMAP_SEVF_WAIT_CONT	0x00004	/* client: wait for the upstream + */
#define IMAP_SEVF_LIT_CONVERT	0x00008	/* client: forward {n+} as {n} */
#define IMAP_SEVF_CONT		0x00010	/* server: + answers a literal */
#define IMAP_SEVF_INVALID_STATE	0x00020	/* client: cmd not valid now */
#define IMAP_SEVF_UNSOLICITED	0x00040	/* server: untagged, no command */
#define IMAP_SEVF_GREETING	0x00080	/* server: the greeting */
#define IMAP_SEVF_STATE		0x00100	/* the state changed */
#define IMAP_SEVF_STARTTLS	0x00200	/* client: STARTTLS; server: its OK */
#define IMAP_SEVF_COMPRESS	0x00400	/* client: COMPRESS (refuse it) */
#define IMAP_SEVF_SASL		0x00800	/* client: AUTHENTICATE response */
#define IMAP_SEVF_SASL_CANCEL	0x01000	/* client: "*" */
#define IMAP_SEVF_DONE		0x02000	/* client: DONE ends IDLE */
#define IMAP_SEVF_CAPS		0x04000	/* server: capabilities updated */
#define IMAP_SEVF_UNKNOWN_TAG	0x08000	/* server: tag of no command */
#define IMAP_SEVF_BLOCKED	0x10000	/* client fed while waiting */
#define IMAP_SEVF_PRIVATE	0x20000	/* answers an injected command */

#define IMAP_NAME_MAX	32

/* A command sent and not yet answered. */
struct imap_cmd {
	TAILQ_ENTRY(imap_cmd)		 entry;
	char				 tag[IMAP_TAG_MAX + 1];
	char				 name[IMAP_NAME_MAX]; /* "UID FETCH" */
	const struct imap_cmd_desc	*desc;	/* NULL: unknown command */
	unsigned int			 flags;
#define IMAP_CMD_PRIVATE	0x01	/* injected by the relay */
#define IMAP_CMD_SENT		0x02	/* the client's message is complete */
};
TAILQ_HEAD(imap_cmdq, imap_cmd);

struct imap_sev {
	struct imap_event	 ev;	/* the parser's event */
	enum imap_act		 act;
	unsigned int		 flags;	/* IMAP_SEVF_* */
	/*
	 * The command the event belongs to: the client's command, or the
	 * one a response answers (NULL: unsolicited, "*" for the policy).
	 * Valid until the next call.
	 */
	const struct imap_cmd	*cmd;
	/* Server: the response name (OK, FETCH, CAPABILITY...), upper case. */
	char			 resp[IMAP_NAME_MAX];
	size_t			 plus_off;	/* LIT_CONVERT: drop raw[] here */
	const char		*reply;		/* REPLY, SUBST, CLOSE */
	size_t			 replylen;
};

struct imap_session {
	struct imap_parser	 cli;
	struct imap_parser	 srv;
	struct imap_limits	 lim;
	enum imap_state		 state;
	uint64_t		 caps;		/* IMAP_CAP_* of the upstream */
	uint64_t		 enabled;	/* IMAP_CAP_* from * ENABLED */
	struct imap_cmdq	 inflight;
	unsigned int		 ninflight;
	struct imap_cmd		*cur;		/* client message in progress */
	struct imap_cmd		*done;		/* freed at the next call */
	struct imap_cmd		*idle;		/* IDLE in progress */
	struct imap_cmd		*auth;		/* AUTHENTICATE in progress */
	struct imap_cmd		*starttls;	/* STARTTLS sent */
	struct imap_cmd		*srv_cmd;	/* owner of the response */
	unsigned int		 srv_flags;	/* its flags, for later lines */
	char			 srv_resp[IMAP_NAME_MAX];
	int			 wait;		/* WAIT_* in imap_session.c */
	int			 cli_discard;	/* drop to end of client msg */
	int			 raw;		/* client lines are not commands */
	int			 tls_switch;	/* STARTTLS OK, TLS not done */
	int			 closed;
	char			 reply[512];
};

int	 imap_session_init(struct imap_session *, const struct imap_limits *);
void	 imap_session_free(struct imap_session *);
size_t	 imap_session_client(struct imap_session *, const uint8_t *, size_t,
	    struct imap_sev *);
size_t	 imap_session_server(struct imap_session *, const uint8_t *, size_t,
	    struct imap_sev *);
/* May the relay read and feed client bytes now? */
int	 imap_session_want_client(const struct imap_session *);
/* TLS is up on both legs: forget what the upstream said before it. */
void	 imap_session_tls_done(struct imap_session *);
/*
 * The policy refuses the command whose first line was just returned (the
 * relay then answers it itself): forget it and make sure none of its
 * bytes will be forwarded.  Call it before forwarding any byte of it.
 * Returns 0, or -1 when the client will send literal octets anyway and
 * the session is better ended (a {n+} refused: the octets are dropped as
 * they come, so this is not fatal; -1 only if cmd is not the current).
 */
int	 imap_session_refuse(struct imap_session *, const struct imap_cmd *);
/*
 * The relay sends a command of its own upstream (CAPABILITY after login,
 * ID...) with a private tag; its responses come back with
 * IMAP_SEVF_PRIVATE and act DROP.  Only between client commands, and
 * not during IDLE or AUTHENTICATE: -1 then.
 */
int	 imap_session_inject(struct imap_session *, const char *,
	    const char *);
/* The state if every command in flight succeeds (for pipelining). */
enum imap_state imap_session_projected_state(const struct imap_session *);

#endif
