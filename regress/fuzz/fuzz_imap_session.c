/*
 * libFuzzer harness of the IMAP session layer, both directions at once,
 * against a model of the server: the input format and the invariants are
 * in session_model.c, which the corpus replay in `make check`
 * (regress/worker/imap_session_replay_test.c) runs too.
 */
#include <stddef.h>
#include <stdint.h>

#include "session_model.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	session_model_run(data, size);
	return 0;
}
