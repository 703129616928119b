/*
 * Shared driver of the IMAP parser fuzzers: the input is one direction of
 * a connection, fed in several chunkings whose events must agree, with
 * every event checked against the input bytes and the parser's limits.
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#ifndef REGRESS_FUZZ_IMAP_H
#define REGRESS_FUZZ_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

int	fuzz_imap_one(enum imap_dir, const uint8_t *, size_t);

#endif
