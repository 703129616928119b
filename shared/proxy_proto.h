/*
 * The PROXY protocol, versions 1 and 2 (HAProxy's doc/proxy-protocol.txt):
 * the words of the wire, for the master, which reads the header a load
 * balancer puts before a client's first byte (master/proxy_header.c),
 * and the worker, which writes one before the first byte to the server
 * with "forward proxy-v2" (worker/forward.c).
 *
 * Version 1 is one line of text, at most 107 bytes with its CRLF:
 *
 *	PROXY TCP4 192.0.2.7 198.51.100.1 50312 993\r\n
 *	PROXY UNKNOWN\r\n		(use the connection's own addresses)
 *
 * Version 2 is binary: the 12-byte signature, version and command,
 * family and transport, the length of what follows, then the addresses
 * and TLVs (type, 16-bit length, value).
 */
#ifndef POSTERN_SHARED_PROXY_PROTO_H
#define POSTERN_SHARED_PROXY_PROTO_H

#define PROXY_V2_SIG		"\r\n\r\n\0\r\nQUIT\n"
#define PROXY_V2_SIG_LEN	12
#define PROXY_V2_FIXED		16	/* signature, ver_cmd, fam, len */
#define PROXY_V1_MAX		107	/* the longest line, CRLF included */

#define PROXY_V2_VERSION	0x20	/* high nibble of byte 13 */
#define PROXY_V2_CMD_LOCAL	0x00	/* health check: real endpoints */
#define PROXY_V2_CMD_PROXY	0x01

/* Byte 14: the family in the high nibble, the transport in the low. */
#define PROXY_V2_AF_UNSPEC	0x0
#define PROXY_V2_AF_INET	0x1
#define PROXY_V2_AF_INET6	0x2
#define PROXY_V2_AF_UNIX	0x3
#define PROXY_V2_UNSPEC		0x0
#define PROXY_V2_STREAM		0x1
#define PROXY_V2_DGRAM		0x2

/* The address blocks' lengths, ports included. */
#define PROXY_V2_INET_LEN	12
#define PROXY_V2_INET6_LEN	36
#define PROXY_V2_UNIX_LEN	216

#define PP2_TYPE_ALPN		0x01
#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_CRC32C		0x03
#define PP2_TYPE_NOOP		0x04
#define PP2_TYPE_UNIQUE_ID	0x05
#define PP2_TYPE_SSL		0x20
#define PP2_SUBTYPE_SSL_VERSION	0x21
#define PP2_SUBTYPE_SSL_CN	0x22
#define PP2_SUBTYPE_SSL_CIPHER	0x23
#define PP2_TYPE_NETNS		0x30

/* PP2_TYPE_SSL: client (1 byte), verify (4 bytes), sub-TLVs. */
#define PP2_SSL_FIXED		5
#define PP2_CLIENT_SSL		0x01
#define PP2_CLIENT_CERT_CONN	0x02
#define PP2_CLIENT_CERT_SESS	0x04

#endif
