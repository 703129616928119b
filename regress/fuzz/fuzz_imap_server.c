/*
 * libFuzzer entry point: the input is what a server sends, parsed as
 * IMAP_DIR_SERVER; the checks are in fuzz_imap.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_imap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_imap_one(IMAP_DIR_SERVER, data, size);
}
