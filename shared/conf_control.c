/*
 * The master's sockets other than the mail ones (postern.conf(5)):
 * posternctl's control socket, the metrics listener, and Redis, where
 * postern-policyd's login counters may be kept.  None of them carries a
 * session; each is opened or connected by the master, so its address is
 * checked and resolved here, as the file is read.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "proto_worker.h"

static int	 counters_hostport(struct parser *, const char *, char *,
		    size_t, uint32_t *);

/* control socket PATH: posternctl's Unix socket, root's only. */
int
conf_st_control(struct parser *p, struct conf *conf)
{
	char	*w = conf_next_word(p);

	if (w == NULL || strcmp(w, "socket") != 0) {
		conf_expected(p, "'socket'");
		return -1;
	}
	if (conf_copy_word(p, "socket path", conf->control_socket,
	    sizeof(conf->control_socket)) == -1)
		return -1;
	if (conf->control_socket[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	if (strrchr(conf->control_socket, '/')[1] == '\0') {
		conf_expected(p, "a file name after the directory");
		return -1;
	}
	return 0;
}

/*
 * counters local | counters redis HOST:PORT | /PATH [password FILE]: where
 * policyd keeps the login counters.  The master connects (a name is
 * resolved now, as an upstream's) and reads the password file, so
 * neither policyd nor a worker opens anything.
 */
int
conf_st_counters(struct parser *p, struct conf *conf)
{
	char	 *w = conf_next_word(p), host[CONF_SOCKET_MAX], num[64];
	struct sockaddr_un *sun = (struct sockaddr_un *)&conf->counters_ss;
	uint32_t  port;

	conf->counters_line = p->line;
	if (w != NULL && strcmp(w, "local") == 0) {
		conf->counters_redis = 0;
		return 0;
	}
	if (w == NULL || strcmp(w, "redis") != 0) {
		conf_expected(p, "'local' or 'redis'");
		return -1;
	}
	if (conf_copy_word(p, "HOST:PORT or socket path", conf->counters_addr,
	    sizeof(conf->counters_addr)) == -1)
		return -1;
	conf->counters_redis = 1;
	if (conf->counters_addr[0] == '/') {
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		if (strlen(conf->counters_addr) >= sizeof(sun->sun_path)) {
			conf_expected(p, "a shorter socket path");
			return -1;
		}
		memcpy(sun->sun_path, conf->counters_addr,
		    strlen(conf->counters_addr));
		conf->counters_sslen = sizeof(*sun);
	} else if (counters_hostport(p, conf->counters_addr, host,
	    sizeof(host), &port) == -1 || conf_resolve(p, host, (uint16_t)port,
	    0, &conf->counters_ss, &conf->counters_sslen, num,
	    sizeof(num)) == -1)
		return -1;
	if ((w = conf_next_word(p)) == NULL)
		return 0;
	if (strcmp(w, "password") != 0) {
		conf_expected(p, "'password'");
		return -1;
	}
	if (conf_copy_word(p, "password file", conf->counters_password,
	    sizeof(conf->counters_password)) == -1)
		return -1;
	if (access(conf->counters_password, R_OK) == -1) {
		conf_error(p, p->line, "password file %s: %s",
		    conf->counters_password, strerror(errno));
		return -1;
	}
	return 0;
}

/* HOST:PORT, or [V6]:PORT, into host and port. */
static int
counters_hostport(struct parser *p, const char *s, char *host, size_t size,
    uint32_t *port)
{
	const char	*colon = strrchr(s, ':'), *h = s;
	size_t		 hl;
	char		*end;
	unsigned long	 v;

	if (colon == NULL || colon[1] == '\0') {
		conf_expected(p, "HOST:PORT or an absolute socket path");
		return -1;
	}
	hl = (size_t)(colon - s);
	if (*h == '[' && hl >= 2 && s[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= size) {
		conf_expected(p, "a host before ':'");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || v == 0 || v > 65535) {
		conf_expected(p, "a port number after ':'");
		return -1;
	}
	*port = (uint32_t)v;
	return 0;
}

/*
 * metrics listen on ADDR port N: the metrics over HTTP, to anyone who
 * can connect, so on a loopback address only.
 */
int
conf_st_metrics(struct parser *p, struct conf *conf)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 host[WORKER_ADDR_MAX], *w;
	int				 loop;

	if ((w = conf_next_word(p)) == NULL || strcmp(w, "listen") != 0) {
		conf_expected(p, "'listen'");
		return -1;
	}
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "on") != 0) {
		conf_expected(p, "'on'");
		return -1;
	}
	if (conf_copy_word(p, "address", host, sizeof(host)) == -1 ||
	    conf_get_port(p, &conf->metrics_port) == -1)
		return -1;
	if (conf_resolve(p, host, conf->metrics_port, 1, &conf->metrics_ss,
	    &conf->metrics_sslen, conf->metrics_addr,
	    sizeof(conf->metrics_addr)) == -1)
		return -1;
	sin = (const struct sockaddr_in *)&conf->metrics_ss;
	sin6 = (const struct sockaddr_in6 *)&conf->metrics_ss;
	if (conf->metrics_ss.ss_family == AF_INET)
		loop = (ntohl(sin->sin_addr.s_addr) >> 24) == IN_LOOPBACKNET;
	else
		loop = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	if (!loop) {
		conf_error(p, p->line, "expected a loopback address near '%s': "
		    "the metrics have no authentication", host);
		return -1;
	}
	return 0;
}

/*
 * Redis's count must come back before the worker gives up on policyd's
 * answer, and only policyd counts.
 */
void
conf_check_counters(struct parser *p, struct conf *conf)
{
	if (conf->counters_redis && conf->policy_store[0] == '\0')
		conf_error(p, conf->counters_line, "counters redis: expected "
		    "a 'policy store': the counters are postern-policyd's");
	if (conf->counters_redis &&
	    conf->timeout_counters >= conf->timeout_policy)
		conf_error(p, p->counters_tline ? p->counters_tline : p->line,
		    "expected timeout counters below timeout policy, not %u "
		    "and %u ms", conf->timeout_counters, conf->timeout_policy);
}
