/*
 * libFuzzer entry point for JA4 (worker/ja4.c): the input is a
 * ClientHello as a client sends it, which the worker reads before
 * OpenSSL has checked anything in it but its framing.  Taken as it is,
 * and again with a handshake header that agrees with its length (so
 * that mutations reach the extensions), it gives a fingerprint of the
 * right shape or none, never a read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ja4.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const uint8_t *m, size_t n)
{
	char	 fp[JA4_LEN + 1], raw[512];
	size_t	 i;

	if (ja4_client_hello(m, n, fp, raw, sizeof(raw)) == -1) {
		if (fp[0] != '\0' || raw[0] != '\0')
			abort();
		return;
	}
	if (strlen(fp) != JA4_LEN || fp[0] != 't' || fp[10] != '_' ||
	    fp[23] != '_' || strncmp(raw, fp, 11) != 0)
		abort();
	for (i = 11; i < JA4_LEN; i++)
		if (i != 23 && !((fp[i] >= '0' && fp[i] <= '9') ||
		    (fp[i] >= 'a' && fp[i] <= 'f')))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*m;

	check(data, size);
	if (size < 4 || size - 4 > 0xffffff || (m = malloc(size)) == NULL)
		return 0;
	memcpy(m, data, size);
	m[0] = 1;
	m[1] = (uint8_t)((size - 4) >> 16);
	m[2] = (uint8_t)((size - 4) >> 8);
	m[3] = (uint8_t)(size - 4);
	check(m, size);
	free(m);
	return 0;
}
