/*
 * The worker's audit log (DESIGN.md, "Audit logs"): JSON lines, one
 * record per event, appended to the one O_APPEND descriptor the master
 * gave this worker slot (MSG_W_AUDIT).  Every record carries the time,
 * the slot and pid, the session id, the client and upstream addresses,
 * the listener, the TLS state and the user, and a keyed BLAKE2b MAC
 * whose key evolves after each record (the old key is wiped), so a
 * worker taken over at record N cannot forge the records before N.
 *
 * Records are buffered and written by audit_flush(), which the relay
 * calls before it waits; a record is never split across two writes.
 * Without a descriptor every call does nothing.  Callers mask secrets
 * before they pass a command line: LOGIN's password and AUTHENTICATE's
 * payloads never reach this module.
 */
#ifndef POSTERN_WORKER_AUDIT_H
#define POSTERN_WORKER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"

#define AUDIT_KEY_LEN	32

struct msg;
struct msgchan;
struct policy_answer;

/*
 * Before the filter: libsodium reads the kernel's randomness once here.
 * Anchors (MSG_W_AUDIT_ANCHOR) go to the master on chan.  0, or -1.
 */
int	 audit_init(struct msgchan *chan, uint32_t slot);
/*
 * A MSG_W_AUDIT from the master, idle or during a session: the new
 * segment is opened (audit_open_segment) and the key in the message is
 * wiped.  Takes the descriptor, even when it fails: 0, or -1 when the
 * message is malformed.
 */
int	 audit_msg(const struct msg *);
/*
 * A new segment: the old one, if any, is flushed, anchored and closed;
 * the new one starts with an "open" or "rotate" record.  Takes fd.
 */
int	 audit_open_segment(int fd, const struct worker_audit *,
	    uint32_t slot);
/* Tell the master how far the segment got (at each session's end). */
void	 audit_anchor(void);
/* The name of an enum worker_end_reason, for audit_disconnect(). */
const char *audit_end_reason(uint32_t);

/*
 * A log descriptor and its first key from the master; an older one is
 * flushed and closed (rotation).  Takes fd.  0, or -1 when refused.
 * The segment id is derived from the key; the master's MSG_W_AUDIT goes
 * through audit_open_segment() instead, which names the segment.
 */
int	 audit_open(int fd, const uint8_t key[AUDIT_KEY_LEN], uint32_t slot);
/* A session begins: its context goes into every record until the next. */
void	 audit_session(const struct worker_session *);
/* Context changes, recorded as they happen ("user", "tls" records). */
void	 audit_set_user(const char *user);
void	 audit_set_tls(int on, const char *version, const char *cipher,
	    const char *sni, const char *ja4);
/* The upstream leg's TLS (the TLS branch's addition): sni is what we sent. */
void	 audit_set_tls_upstream(int on, const char *version,
	    const char *cipher, const char *sni);
void	 audit_connect(void);
/*
 * login proxy: the server the master connected after the login; an
 * "upstream" record, and the session's upstream in the records after.
 */
void	 audit_set_upstream(const char *name, const char *addr,
	    uint16_t port);
/*
 * What postern told the server of the client ("forward" in
 * postern.conf(5)): how ("proxy-v2", "id", "xclient", "id-filtered")
 * and the line it sent, if any (len bytes, its CRLF left out).
 */
void	 audit_forward(const char *how, const char *line, size_t len);
/*
 * A verdict.  table: "connect", "request", "response", "capability" or
 * "list"; key: the command, capability or mailbox it was asked for;
 * what: what it was about (a masked command line, a response name),
 * whatlen bytes, or NULL; ans NULL: no verdict came (failed closed).
 * cached: the verdict came from the worker's cache.
 */
void	 audit_verdict(const char *table, const char *key, const char *what,
	    size_t whatlen, const struct policy_answer *ans, int cached);
/*
 * postern answered a command itself (a refusal by the grammar, a rule's
 * reject or respond, a hidden mailbox): line is its tagged answer.  None
 * of that command reached the server.
 */
void	 audit_answered(const char *line, size_t len);
/*
 * The client's ID (imap_id.h): its fields as an ID list, len bytes (the
 * caller bounds it; cut: not all of them), how many it sent and how
 * many were kept.
 */
void	 audit_id(const char *fields, size_t len, int cut, size_t sent,
	    size_t kept);
/*
 * The password-guessing guard (login_guard.h) acted: what is "delay"
 * (n: ms the server's answer to a failed login was held),
 * "blocked-address" or "blocked-user" (n: seconds the block has left,
 * 0 when not known; the login did not reach the server) or "sessions"
 * (n 0: the user logged in with too many sessions already, and this
 * session was ended).
 */
void	 audit_guard(const char *what, uint64_t n);
/* login proxy: the route chosen (route.h), before the connect. */
void	 audit_route(const char *upstream, const char *by, uint64_t gen);
/* The protocol state changed ("not-authenticated" -> "authenticated"). */
void	 audit_state(const char *from, const char *to);
/* The session is over: why, and the bytes both ways. */
void	 audit_disconnect(const char *reason,
	    const struct worker_session_end *);
/* Write what is buffered; a failed write is logged, once. */
void	 audit_flush(void);
/* A session at rest: the queue, if empty, gives back its memory. */
void	 audit_rest(void);

#endif
