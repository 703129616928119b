/*
 * Sessions per client address.  An IPv6 client is counted by its /64:
 * one host is routinely given a /64 of its own and may take any address
 * in it for each connection, so a count per address would limit
 * nothing.  IPv4 is counted per address; many clients behind one NAT
 * share it, which is why the limit is off unless postern.conf sets it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/tree.h>

#include "client_limit.h"
#include "log.h"

struct client_count {
	RB_ENTRY(client_count)	 entry;
	sa_family_t		 family;
	uint8_t			 addr[8];	/* IPv4's 4, IPv6's first 8 */
	uint32_t		 n;
};

static int	client_cmp(const struct client_count *,
		    const struct client_count *);

RB_HEAD(client_tree, client_count);
RB_PROTOTYPE(client_tree, client_count, entry, client_cmp)
RB_GENERATE(client_tree, client_count, entry, client_cmp)

static struct client_tree	 clients = RB_INITIALIZER(&clients);

static int
client_cmp(const struct client_count *a, const struct client_count *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static void
client_key(const struct sockaddr_storage *ss, struct client_count *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(k->addr, &((const struct sockaddr_in *)ss)->sin_addr,
		    4);
	else if (ss->ss_family == AF_INET6)
		memcpy(k->addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 8);
}

struct client_count *
client_limit_take(const struct sockaddr_storage *ss, uint32_t limit,
    uint32_t *n)
{
	struct client_count	 key, *c;

	client_key(ss, &key);
	if ((c = RB_FIND(client_tree, &clients, &key)) != NULL) {
		*n = c->n;
		if (limit != 0 && c->n >= limit)
			return NULL;
		c->n++;
		return c;
	}
	*n = 0;
	if ((c = malloc(sizeof(*c))) == NULL)
		fatal("%s", __func__);
	*c = key;
	c->n = 1;
	RB_INSERT(client_tree, &clients, c);
	return c;
}

void
client_limit_release(struct client_count *c)
{
	if (c == NULL)
		return;
	if (--c->n == 0) {
		RB_REMOVE(client_tree, &clients, c);
		free(c);
	}
}

void
client_limit_key(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	struct in6_addr	 a;
	char		 s[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
	    buf, (socklen_t)len) != NULL)
		return;
	if (ss->ss_family == AF_INET6) {
		memset(&a, 0, sizeof(a));
		memcpy(&a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 8);
		if (inet_ntop(AF_INET6, &a, s, sizeof(s)) != NULL) {
			snprintf(buf, len, "%s/64", s);
			return;
		}
	}
	snprintf(buf, len, "unknown");
}
