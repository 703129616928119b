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
 * session is sending a held command upstream and waits for the
 * upstream's "+", or waits for the "+" of a streamed literal.  A feed
 * then returns 0 with IMAP_SEVF_BLOCKED.  After a server event with
 * IMAP_SEVF_STARTTLS the relay forwards that line, throws away whatever
 * plaintext it holds from either side, does TLS and calls
 * imap_session_tls_done(); bytes fed before that end the session
 * (CVE-2011-0411 class injection).
 *
 * The stream model.  postern and the server must agree on every byte:
 * where each command, literal and response begins and ends.  So:
 *  - A command is checked against its grammar (imap_grammar.h) on every
 *    segment, before any of it goes upstream: an unknown command, one
 *    the server did not advertise, one not valid in the state, or one
 *    whose arguments the server would not read as we do gets "tag BAD"
 *    from postern (IMAP_SEVF_REFUSED) and nothing is forwarded.
 *  - Every literal goes upstream as a synchronizing one, {n}, and its
 *    octets only after the upstream's own "+": a server that answers a
 *    command before it reads all of it has then read exactly what we
 *    sent, and we drop the rest.  A client's {n+} is held or waited
 *    for, never passed on as {n+}.
 *  - Literals that are arguments (mailbox names, LOGIN, SEARCH strings,
 *    URLs) are held: postern answers the client's "+" itself, collects
 *    the command up to its end (a "chunk"), and only then does the
 *    policy decide, with every argument at hand (a mailbox in a literal
 *    gets the same answer as a quoted one).  The decision event has
 *    IMAP_SEVF_HELD; on FORWARD the relay calls imap_session_release()
 *    and sends what imap_session_outbox() gives it, which pauses at each
 *    literal until the upstream's "+" (dropped) arrives.
 *  - Literals that are message data (APPEND's message, CATENATE TEXT:
 *    lit_stream in imap_grammar.h) are streamed: the chunk before them
 *    is decided and sent ending in {n}; the upstream's "+" is passed to
 *    a client that sent {n}, dropped for one that sent {n+}; the octets
 *    then go through as they come.  What follows such a literal is a
 *    new chunk (IMAP_SEVF_CHUNK), checked again; a later chunk the
 *    grammar refuses ends the session: the server is inside the command.
 *  - An upstream that answers a command before its "+" ends it: what was
 *    not sent is dropped, a client {n} is not waited for, a client
 *    {n+}'s octets and the rest of its command are read and dropped.  An
 *    answer at any other point inside a command, or a "+" nobody asked
 *    for, ends the session: we would have to guess.
 *  - Commands of postern's own (imap_session_inject(): forward id's ID
 *    after the greeting) are sent between the client's, and nothing of
 *    the client's is read while one is in flight: the server reads ours
 *    whole before the client's next command, every response up to our
 *    tagged answer is ours and dropped (IMAP_SEVF_PRIVATE), and our tag
 *    cannot be one of the client's commands in flight.  With
 *    imap_session_prelude() the client is not read from the start
 *    until the relay injects its command after the greeting, so the
 *    server hears ours before any byte of the client's.
 * Sizes: lit_append_max for a streamed literal, lit_max for all the held
 * literal octets of one command together; over it, "tag BAD [TOOBIG]"
 * while nothing went upstream, else "* BYE".  {n-} is in no grammar: the
 * session ends.
 *
 * Lines that are not commands.  After an upstream "+" to AUTHENTICATE,
 * the next client line is a SASL response: base64, empty (SCRAM's last
 * step) or "*" (cancel) is forwarded (IMAP_SEVF_SASL); anything else is
 * replaced by "*" upstream (IMAP_ACT_SUBST), so no server can take it for
 * a command.  Nothing behind an AUTHENTICATE is read as a command
 * before its answer (the commands behind a state change wait, see
 * imap_session_want_client()), so a line the client pipelined after a
 * SASL-IR is, after a "+", read as the SASL response, as the server
 * reads it; a "+" that finds a command of the client's behind the
 * AUTHENTICATE anyway ends the session.  From the end of an IDLE command on, the
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
#include "buf.h"
#include "imap_cmd.h"
#include "imap_grammar.h"
#include "imap_limits.h"
#include "imap_parse.h"

enum imap_act {
	IMAP_ACT_NONE,
	IMAP_ACT_FORWARD,
	IMAP_ACT_DROP,
	IMAP_ACT_REPLY,
	IMAP_ACT_SUBST,
	IMAP_ACT_CLOSE,
	IMAP_ACT_HOLD		/* the session keeps the bytes (held literal) */
};

/* sev.flags */
#define IMAP_SEVF_CMD_START	0x00001	/* client: first line of a command */
#define IMAP_SEVF_CMD_DONE	0x00002	/* server: tagged answer ends cmd */
#define IMAP_SEVF_WAIT_CONT	0x00004	/* client: wait for the upstream + */
#define IMAP_SEVF_LIT_CONVERT	0x00008	/* client: forward {n+} as {n} */
#define IMAP_SEVF_CONT		0x00010	/* server: + answers a literal */
#define IMAP_SEVF_HELD		0x00020	/* client: FORWARD = release */
#define IMAP_SEVF_UNSOLICITED	0x00040	/* server: untagged, no command */
#define IMAP_SEVF_GREETING	0x00080	/* server: the greeting */
#define IMAP_SEVF_STATE		0x00100	/* the state changed */
#define IMAP_SEVF_STARTTLS	0x00200	/* client: STARTTLS; server: its OK */
#define IMAP_SEVF_COMPRESS	0x00400	/* client: COMPRESS (postern's) */
#define IMAP_SEVF_SASL		0x00800	/* client: AUTHENTICATE response */
#define IMAP_SEVF_SASL_CANCEL	0x01000	/* client: "*" */
#define IMAP_SEVF_DONE		0x02000	/* client: DONE ends IDLE */
#define IMAP_SEVF_CAPS		0x04000	/* server: capabilities updated */
#define IMAP_SEVF_UNKNOWN_TAG	0x08000	/* server: tag of no command */
#define IMAP_SEVF_BLOCKED	0x10000	/* client fed while waiting */
#define IMAP_SEVF_PRIVATE	0x20000	/* answers an injected command */
#define IMAP_SEVF_CHUNK		0x40000	/* client: a later chunk of a cmd */
#define IMAP_SEVF_REFUSED	0x80000	/* client: BAD by the grammar */

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

/* A literal held in the session's buffer. */
struct imap_heldlit {
	unsigned int	 tok;		/* its LITERAL token */
	size_t		 off;		/* its octets, in hold */
	size_t		 len;
};

struct imap_session {
	struct imap_parser	 cli;
	struct imap_parser	 srv;
	struct imap_limits	 lim;
	enum imap_state		 state;
	uint64_t		 caps;		/* IMAP_CAP_* of the upstream */
	uint64_t		 enabled;	/* IMAP_CAP_* from * ENABLED */
	struct imap_gram	 gram;		/* of the command in progress */
	enum imap_state		 cur_state;	/* the state it runs in */
	unsigned int		 chunks;	/* its chunks decided so far */
	unsigned int		 chunk_tok;	/* first token of this chunk */
	struct buf		 hold;		/* a chunk, upstream form */
	struct imap_heldlit	*lits;		/* literals inside it */
	unsigned int		 nlits;
	unsigned int		 litcap;
	uint64_t		 heldoct;	/* held literal octets, cmd */
	int			 holding;	/* hold collects a chunk */
	int			 sending;	/* hold goes upstream */
	size_t			 sent;		/* ... this much of it */
	unsigned int		 nextlit;	/* next pause for a "+" */
	int			 stream_end;	/* chunk ends in a streamed
						   literal: its kind */
	struct imap_cmd		*upcmd;		/* whose chunk is decided */
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
	int			 wait;		/* WAIT_* in imap_session_int.h */
	int			 cli_discard;	/* drop to end of client msg */
	int			 raw;		/* client lines are not commands */
	int			 tls_switch;	/* STARTTLS OK, TLS not done */
	int			 prelude;	/* no client byte before inject */
	int			 closed;
	char			 reply[512];
};

int	 imap_session_init(struct imap_session *, const struct imap_limits *);
void	 imap_session_free(struct imap_session *);
/* At rest (relay.c): the parsers' buffers go, if between messages. */
void	 imap_session_rest(struct imap_session *);
size_t	 imap_session_client(struct imap_session *, const uint8_t *, size_t,
	    struct imap_sev *);
size_t	 imap_session_server(struct imap_session *, const uint8_t *, size_t,
	    struct imap_sev *);
/*
 * The held chunk of the last IMAP_SEVF_HELD event passed: it becomes the
 * outbox.  Then, and after every later event, the relay sends what
 * imap_session_outbox() gives until it returns 0, telling
 * imap_session_outbox_sent() what it took.
 */
void	 imap_session_release(struct imap_session *);
int	 imap_session_outbox(const struct imap_session *, const uint8_t **,
	    size_t *);
void	 imap_session_outbox_sent(struct imap_session *, size_t);
/*
 * The octets of a held literal, by the index of its LITERAL token in the
 * client parser's tokens: 0, or -1 when it is not held (streamed).
 */
int	 imap_session_literal(const struct imap_session *, unsigned int,
	    const uint8_t **, size_t *);
/*
 * May the relay read and feed client bytes now?  Not while a held command
 * goes upstream or a literal waits for its "+", and not while a command
 * that changes the state (LOGIN, AUTHENTICATE, SELECT, EXAMINE, CLOSE,
 * UNSELECT, UNAUTHENTICATE) waits for its answer: the next command is
 * checked in the state the server runs it in.
 */
int	 imap_session_want_client(const struct imap_session *);
/* TLS is up on both legs: forget what the upstream said before it. */
void	 imap_session_tls_done(struct imap_session *);
/*
 * The policy refuses the command whose decision event (IMAP_SEVF_CMD_START)
 * was just returned, and the relay answers it itself: forget it, with
 * what is held of it, and make sure none of its bytes will be forwarded
 * (a client {n+}'s octets are read and dropped as they come).  Returns
 * 0, or -1 if cmd is not in flight.
 */
int	 imap_session_refuse(struct imap_session *, const struct imap_cmd *);
/*
 * The relay sends a command of its own upstream (CAPABILITY after login,
 * ID...) with a private tag; its responses come back with
 * IMAP_SEVF_PRIVATE and act DROP, and the client is not read until its
 * tagged answer.  Only between client commands, and not during IDLE or
 * AUTHENTICATE: -1 then.  It ends a prelude.
 */
int	 imap_session_inject(struct imap_session *, const char *,
	    const char *);
/*
 * on: the relay will inject a command right after the greeting, and no
 * client byte is to be read before (forward id).  Set before the first
 * byte; 0 gives up on it (a PREAUTH or BYE greeting).
 */
void	 imap_session_prelude(struct imap_session *, int on);
/* The state if every command in flight succeeds (for pipelining). */
enum imap_state imap_session_projected_state(const struct imap_session *);

#endif
