/*
 * tlsload: IMAP over implicit TLS, for bench's TLS figures (tlsbench.sh).
 *
 *	tlsload fetch -p PORT -u USER
 *		one session: LOGIN, SELECT INBOX, FETCH 1:* BODY.PEEK[];
 *		prints "fetch BYTES SECONDS MB/s"
 *	tlsload sessions -p PORT -u USER -c CLIENTS -t SECONDS
 *		CLIENTS processes, each a loop of connect, handshake,
 *		greeting, LOGIN, LOGOUT; prints "sessions N SECONDS per_s
 *		p50_ms p99_ms"
 *
 * The password is the fixture's, "testpass".  Certificates are not
 * verified: the figures are about cost, not trust.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LAT_MAX		200000

static SSL_CTX	*ctx;
static int	 port;
static const char *user = "small";

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SSL *
tls_open(void)
{
	struct sockaddr_in	 sin;
	SSL			*ssl;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect 127.0.0.1:%d", port);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_connect(ssl) != 1)
		errx(1, "TLS to port %d: %s", port,
		    ERR_reason_error_string(ERR_get_error()));
	return ssl;
}

static void
tls_close(SSL *ssl)
{
	int	 fd = SSL_get_fd(ssl);

	SSL_free(ssl);
	close(fd);
}

/* Reads until a line starting with tag (or "* " for the greeting). */
static size_t
until(SSL *ssl, const char *tag)
{
	static char	 buf[256 * 1024];
	static size_t	 have;
	size_t		 total = 0, tl = strlen(tag), i, start;
	int		 n;

	for (;;) {
		start = 0;
		for (i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			if (i + 1 - start > tl &&
			    memcmp(buf + start, tag, tl) == 0) {
				total += i + 1;
				memmove(buf, buf + i + 1, have - i - 1);
				have -= i + 1;
				return total;
			}
			start = i + 1;
		}
		/* Keep a partial line only. */
		total += start;
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == sizeof(buf))
			have = 0;
		if ((n = SSL_read(ssl, buf + have, (int)(sizeof(buf) -
		    have))) <= 0)
			errx(1, "read: connection closed waiting for %s", tag);
		have += (size_t)n;
	}
}

static void
say(SSL *ssl, const char *s)
{
	if (SSL_write(ssl, s, (int)strlen(s)) <= 0)
		errx(1, "write");
}

static void
login(SSL *ssl)
{
	char	 cmd[128];

	until(ssl, "* ");
	snprintf(cmd, sizeof(cmd), "a1 LOGIN %s testpass\r\n", user);
	say(ssl, cmd);
	until(ssl, "a1 ");
}

static void
fetch(void)
{
	SSL	*ssl = tls_open();
	double	 t0;
	size_t	 bytes;

	login(ssl);
	say(ssl, "a2 SELECT INBOX\r\n");
	until(ssl, "a2 ");
	t0 = now_s();
	/*
	 * bench.sh's messages hold "a3 OK" lines, a trap for a client
	 * that does not frame literals; this one does not, so its tag is
	 * one no message line starts with.
	 */
	say(ssl, "tl3 FETCH 1:* BODY.PEEK[]\r\n");
	bytes = until(ssl, "tl3 ");
	t0 = now_s() - t0;
	say(ssl, "tl4 LOGOUT\r\n");
	until(ssl, "tl4 ");
	tls_close(ssl);
	printf("fetch %zu %.3f %.1f\n", bytes, t0, (double)bytes / t0 / 1e6);
}

static int
cmp(const void *a, const void *b)
{
	float	 x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static void
sessions(int clients, double secs)
{
	float		*lat;
	unsigned	*count;
	double		 end, t0, t1;
	unsigned	 i, total = 0, n;
	pid_t		 pid;
	SSL		*ssl;

	lat = mmap(NULL, sizeof(float) * LAT_MAX + sizeof(unsigned),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED)
		err(1, "mmap");
	count = (unsigned *)(lat + LAT_MAX);
	t0 = now_s();
	end = t0 + secs;
	for (i = 0; i < (unsigned)clients; i++) {
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid != 0)
			continue;
		while ((t1 = now_s()) < end) {
			ssl = tls_open();
			login(ssl);
			say(ssl, "a2 LOGOUT\r\n");
			until(ssl, "a2 ");
			tls_close(ssl);
			n = __atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
			if (n < LAT_MAX)
				lat[n] = (float)((now_s() - t1) * 1000);
		}
		_exit(0);
	}
	while (wait(NULL) > 0)
		;
	t1 = now_s() - t0;
	total = *count < LAT_MAX ? *count : LAT_MAX;
	if (total == 0)
		errx(1, "no session in %.1f s", t1);
	qsort(lat, total, sizeof(float), cmp);
	printf("sessions %u %.3f %.1f %.2f %.2f\n", *count, t1,
	    (double)*count / t1, lat[total / 2], lat[total * 99 / 100]);
}

int
main(int argc, char *argv[])
{
	const char	*mode;
	int		 ch, clients = 1;
	double		 secs = 3;

	if (argc < 2)
		errx(1, "usage: tlsload fetch|sessions -p PORT [-u USER] "
		    "[-c N] [-t S]");
	mode = argv[1];
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "p:u:c:t:")) != -1) {
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'u':
			user = optarg;
			break;
		case 'c':
			clients = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			errx(1, "bad option");
		}
	}
	if (port <= 0 || clients <= 0)
		errx(1, "-p PORT and -c N are needed");
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		errx(1, "SSL_CTX_new");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Every session a full handshake, as a new client's is. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (strcmp(mode, "fetch") == 0)
		fetch();
	else if (strcmp(mode, "sessions") == 0)
		sessions(clients, secs);
	else
		errx(1, "unknown mode %s", mode);
	return 0;
}
