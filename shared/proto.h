/*
 * Message types every postern process knows.  Numbers go on the wire
 * between processes that may come from different builds during a restart,
 * so a number once given is never reused or changed: add new types at the
 * end of their range.  0 is never a type, so a zeroed header is invalid.
 *
 * Names stay MSG_<NOUN>; check a new one against the MSG_* flags of
 * <sys/socket.h> (MSG_PEEK, MSG_TRUNC, MSG_CONFIRM...), which share the
 * prefix.
 *
 * Each entry says who sends it, to whom, its body, and whether it carries
 * a descriptor.  A body that does not match is a protocol error.
 */
#ifndef POSTERN_PROTO_H
#define POSTERN_PROTO_H

enum msg_type {
	/*
	 * child -> parent: one log line.  Body: uint32_t syslog priority
	 * (LOG_EMERG..LOG_DEBUG), then the text, without NUL, at most
	 * LOG_LINE_MAX bytes (log.h).  No fd.
	 */
	MSG_LOG = 1,

	/*
	 * child -> parent: start-up is over (privileges dropped, filter on)
	 * and the child now serves.  Empty body.  No fd.
	 */
	MSG_READY = 2,

	/*
	 * parent -> child: finish what is under way and exit.  Empty body.
	 * No fd.
	 */
	MSG_SHUTDOWN = 3,
};

#endif
