/*
 * The password-guessing guard of postern-policyd: the workers ask
 * before a login goes upstream (MSG_P_LOGIN_CHECK), tell how it went
 * (_FAILED, _OK) and when the session ends (_END); policyd answers with
 * the delay before a NO, a block, or a session over the user's limit
 * (proto_policy.h).
 *
 * The counts are this node's own (counters.h), and, with "counters
 * redis", the fleet's (fleet.h): then an answer waits for Redis, at most
 * `timeout counters', and is this node's when Redis is down or late.
 * This node's counters are kept in either case, so a fallback starts
 * from what this node has seen.  Every answering thread may call these
 * (answerers.h): the guard takes its own lock.
 */
#ifndef POSTERN_POLICYD_GUARD_H
#define POSTERN_POLICYD_GUARD_H

#include <stdint.h>

#include "chan_loop.h"
#include "msg.h"
#include "proto_policy.h"

/* ask: how to ask the master for a connection to Redis. */
void	 guard_init(struct login_conf *, const struct fleet_conf *,
	    void (*ask)(void));
/*
 * The generation page's POLICY_PAGE_BLOCKS word (proto_policy.h), kept
 * by the guard from now on: the end of the latest block set, or
 * UINT64_MAX with "counters redis".
 */
void	 guard_publish(volatile uint64_t *word);
/* 1: sessions per user are limited, and so counted (guard_init()'s). */
int	 guard_counts_sessions(void);
/* A login message of w's; -1: the channel is to end. */
int	 guard_msg(struct wchan *, const struct msg *);
/* w's channel ends: its session no longer counts; no answer is owed. */
void	 guard_end(struct wchan *);
/* Once a second: let go of what has expired. */
void	 guard_expire(int64_t now);
/*
 * The main thread's hands on the Redis connection (fleet.h), with the
 * guard's lock: the socket the master made, what to poll it for and
 * when (*ms, -1: no deadline), and its events.
 */
void	 guard_redis_socket(int fd, int error);
int	 guard_redis_pollfd(short *events, int *ms, int64_t now);
void	 guard_redis_run(short revents, int64_t now);

#endif
