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
 *
 * Every protocol has a range of its own, so that no two types anywhere
 * share a number: a message that reaches the wrong channel is then an
 * unknown type there, never another message whose body happens to parse,
 * and a number in a log or a trace names one message.
 *
 *     1- 99  proto.h         every channel: MSG_LOG, MSG_READY, MSG_SHUTDOWN
 *   100-199  proto_worker.h  master <-> worker (proto_tls.h's MSG_W_TLS*)
 *   200-299  proto_policy.h  master -> policyd, policyd <-> worker
 *   300-399  proto_keyd.h    master -> keyd, worker <-> keyd
 *
 * Each header checks its types against its range with MSG_RANGE_CHECK.
 */
#ifndef POSTERN_PROTO_H
#define POSTERN_PROTO_H

#define MSG_BASE_COMMON		0
#define MSG_BASE_WORKER		100
#define MSG_BASE_POLICY		200
#define MSG_BASE_KEYD		300
#define MSG_RANGE_SIZE		100

/* Fails the build if type is 0 or not in the range that starts at base. */
#define MSG_RANGE_CHECK(type, base)					\
	_Static_assert((type) != 0 && (type) >= (base) &&		\
	    (type) < (base) + MSG_RANGE_SIZE,				\
	    #type " is outside its range (proto.h)")

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
	 * parent -> child: finish what is under way and exit.  Empty body,
	 * but to a worker struct worker_shutdown (proto_worker.h): the
	 * text of the BYE its client gets.  No fd.
	 */
	MSG_SHUTDOWN = 3,
};

MSG_RANGE_CHECK(MSG_LOG, MSG_BASE_COMMON);
MSG_RANGE_CHECK(MSG_READY, MSG_BASE_COMMON);
MSG_RANGE_CHECK(MSG_SHUTDOWN, MSG_BASE_COMMON);

#endif
