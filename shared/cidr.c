/*
 * CIDR networks (cidr.h): parsed with inet_pton, so an address is read
 * exactly as the rest of the system reads it (no octal, no shorthand
 * IPv4 forms), and matched byte by byte.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int
cidr_parse(const char *s, struct cidr *c)
{
	char		 addr[INET6_ADDRSTRLEN];
	const char	*slash;
	char		*end;
	size_t		 len;
	unsigned long	 bits;
	unsigned int	 i, max;

	memset(c, 0, sizeof(*c));
	if ((slash = strchr(s, '/')) == NULL)
		len = strlen(s);
	else
		len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		/* Digits only: no sign, no blank, no leading zero. */
		if (slash[1] < '0' || slash[1] > '9' ||
		    (slash[1] == '0' && slash[2] != '\0'))
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > max)
			return -1;
	}
	c->bits = (uint8_t)bits;
	for (i = 0; i < max / 8; i++) {
		if (i * 8 >= bits)
			c->addr[i] = 0;
		else if (i * 8 + 8 > bits)
			c->addr[i] &= (uint8_t)(0xff << (8 - (bits - i * 8)));
	}
	return 0;
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	const uint8_t		*a;
	unsigned int		 full, rest;

	if (sa->sa_family == AF_INET)
		a = (const uint8_t *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (c->family == AF_INET) {
			if (memcmp(a, mapped, sizeof(mapped)) != 0)
				return 0;
			a += sizeof(mapped);
		}
	} else
		return 0;
	if (sa->sa_family == AF_INET && c->family != AF_INET)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, full) != 0)
		return 0;
	if (rest != 0 && (a[full] & (uint8_t)(0xff << (8 - rest))) !=
	    c->addr[full])
		return 0;
	return 1;
}

void
cidr_text(const struct cidr *c, char *buf, size_t len)
{
	char	 addr[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, c->bits);
}
