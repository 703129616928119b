/*
 * Networks written as CIDR ("10.0.0.0/8", "2001:db8::/32", or one
 * address), for postern.conf's "proxy-protocol from" (conf.h) and the
 * master's check of who may send a PROXY header.
 */
#ifndef POSTERN_SHARED_CIDR_H
#define POSTERN_SHARED_CIDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128" and its NUL. */
#define CIDR_TEXT_MAX	48

struct cidr {
	uint8_t	 family;	/* AF_INET or AF_INET6 */
	uint8_t	 bits;		/* prefix length */
	uint8_t	 addr[16];	/* network order, host bits zero */
};

/*
 * s as a network: 0, or -1 when it is none.  Host bits past the prefix
 * are cleared ("10.1.2.3/8" is 10.0.0.0/8); no prefix is a host.
 */
int	 cidr_parse(const char *s, struct cidr *);
/*
 * Whether the address sa (AF_INET or AF_INET6, an IPv4-mapped IPv6
 * address counting as its IPv4 one) lies in c.
 */
int	 cidr_match(const struct cidr *c, const struct sockaddr *sa);
/* c as text, "10.0.0.0/8", in at least CIDR_TEXT_MAX bytes. */
void	 cidr_text(const struct cidr *c, char *, size_t);

#endif
