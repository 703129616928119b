/*
 * The checks behind fuzz_imap_session, shared with the corpus replay in
 * regress/worker/imap_session_replay_test.c: one input runs an imap_session the
 * way imap_relay.c does, against a model of the server that reads what
 * postern sends upstream.  See session_model.c for the input format and
 * the invariants.
 */
#ifndef REGRESS_FUZZ_SESSION_MODEL_H
#define REGRESS_FUZZ_SESSION_MODEL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Called when an invariant is broken (line in session_model.c, the
 * expression); must not return.  The default prints and aborts.
 */
extern void	(*session_model_fail)(int, const char *);

void	 session_model_run(const uint8_t *, size_t);

#endif
