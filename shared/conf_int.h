/*
 * What the files of the configuration reader share (conf_parse.c: the
 * parser; conf_print.c: the print-back of posternd -n).  Not for the
 * rest of postern, which has conf.h.
 */
#ifndef POSTERN_SHARED_CONF_INT_H
#define POSTERN_SHARED_CONF_INT_H

#include <stdint.h>

/* The client side's TLS modes, by enum worker_tls_mode, as written. */
extern const char *const tls_modes[];

/* A listener's or an upstream's protocol, as written. */
const char	*proto_name(uint32_t);

#endif
