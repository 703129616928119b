/*
 * The upstream leg's plaintext prelude to TLS (tls_upstream.h).  It is a
 * short fixed dialogue, so it reads with a deadline and checks each
 * line by itself rather than going through the session layer: none of
 * it is ever forwarded.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "tls.h"
#include "tls_upstream.h"

#define LINE_MAX_PRE	4096	/* a plaintext line of the prelude */

struct pre {
	int		 fd;
	int64_t		 deadline;
	uint64_t	 id;
	char		 buf[LINE_MAX_PRE * 2];
	size_t		 len;
};

static int
wait_fd(struct pre *p, short events)
{
	int	 rv;

	if ((rv = tls_wait(p->fd, events, p->deadline, p->id)) == 1)
		log_warnx("session %llu: upstream: no answer before TLS in "
		    "time", (unsigned long long)p->id);
	return rv == 0 ? 0 : -1;
}

int
tls_upstream_connected(int fd, int64_t deadline, uint64_t id)
{
	struct pre	 p = { .fd = fd, .deadline = deadline, .id = id };
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	socklen_t	 sl = sizeof(int);
	int		 err = 0;

	while (poll(&pfd, 1, 0) == 0 || !(pfd.revents & (POLLOUT |
	    POLLERR | POLLHUP)))
		if (wait_fd(&p, POLLOUT) == -1)
			return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		errno = err;
		log_warn("session %llu: connect upstream",
		    (unsigned long long)id);
		return -1;
	}
	return 0;
}

/* One line, CRLF stripped, into line; leftover stays in p->buf. */
static int
read_line(struct pre *p, char *line, size_t size)
{
	char	*nl;
	size_t	 n;
	ssize_t	 r;

	for (;;) {
		if ((nl = memchr(p->buf, '\n', p->len)) != NULL) {
			n = (size_t)(nl - p->buf);
			if (n == 0 || p->buf[n - 1] != '\r' || n >= size) {
				log_warnx("session %llu: upstream: malformed "
				    "line before TLS",
				    (unsigned long long)p->id);
				return -1;
			}
			memcpy(line, p->buf, n - 1);
			line[n - 1] = '\0';
			p->len -= n + 1;
			memmove(p->buf, nl + 1, p->len);
			return 0;
		}
		if (p->len >= LINE_MAX_PRE) {
			log_warnx("session %llu: upstream: line over %d bytes "
			    "before TLS", (unsigned long long)p->id,
			    LINE_MAX_PRE);
			return -1;
		}
		r = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len,
		    MSG_DONTWAIT);
		if (r == 0) {
			log_warnx("session %llu: upstream closed before TLS",
			    (unsigned long long)p->id);
			return -1;
		}
		if (r == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				log_warn("session %llu: upstream read",
				    (unsigned long long)p->id);
				return -1;
			}
			if (wait_fd(p, POLLIN) == -1)
				return -1;
			continue;
		}
		p->len += (size_t)r;
	}
}

static int
send_all(struct pre *p, const char *s)
{
	size_t	 len = strlen(s), off = 0;
	ssize_t	 n;

	while (off < len) {
		n = send(p->fd, s + off, len - off, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				log_warn("session %llu: upstream write",
				    (unsigned long long)p->id);
				return -1;
			}
			if (wait_fd(p, POLLOUT) == -1)
				return -1;
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}

/* STARTTLS as a whole word of a "* CAPABILITY" line. */
static int
lists_starttls(const char *line)
{
	const char	*w;
	size_t		 n;

	if (strncasecmp(line, "* CAPABILITY ", 13) != 0)
		return 0;
	for (w = line + 13; *w != '\0'; w += n) {
		while (*w == ' ')
			w++;
		n = strcspn(w, " ");
		if (n == 8 && strncasecmp(w, "STARTTLS", 8) == 0)
			return 1;
	}
	return 0;
}

int
tls_upstream_starttls(int fd, int64_t deadline, uint64_t id)
{
	struct pre	 p = { .fd = fd, .deadline = deadline, .id = id };
	char		 line[LINE_MAX_PRE];
	int		 offered = 0;

	if (read_line(&p, line, sizeof(line)) == -1)
		return -1;
	if (strncasecmp(line, "* PREAUTH", 9) == 0) {
		log_warnx("session %llu: upstream greets with PREAUTH, but "
		    "TLS is required: refused", (unsigned long long)id);
		return -1;
	}
	if (strncasecmp(line, "* OK", 4) != 0) {
		log_warnx("session %llu: upstream greeting \"%.80s\": "
		    "refused", (unsigned long long)id, line);
		return -1;
	}
	/* What the server says now is asked anew after TLS. */
	if (send_all(&p, "P1 CAPABILITY\r\n") == -1)
		return -1;
	do {
		if (read_line(&p, line, sizeof(line)) == -1)
			return -1;
		offered |= lists_starttls(line);
	} while (strncmp(line, "P1 ", 3) != 0);
	if (strncasecmp(line, "P1 OK", 5) != 0 || !offered) {
		log_warnx("session %llu: upstream does not offer STARTTLS, "
		    "which is required: refused", (unsigned long long)id);
		return -1;
	}
	if (send_all(&p, "P2 STARTTLS\r\n") == -1)
		return -1;
	/* Untagged lines before the answer change nothing: dropped. */
	do {
		if (read_line(&p, line, sizeof(line)) == -1)
			return -1;
	} while (strncmp(line, "P2 ", 3) != 0);
	if (strncasecmp(line, "P2 OK", 5) != 0) {
		log_warnx("session %llu: upstream refuses STARTTLS: "
		    "\"%.80s\"", (unsigned long long)id, line);
		return -1;
	}
	if (p.len > 0) {
		log_warnx("security: session %llu: upstream sent %zu bytes "
		    "after its STARTTLS OK, before TLS (response injection): "
		    "session aborted", (unsigned long long)id, p.len);
		return -1;
	}
	return 0;
}

/* STLS as a line of CAPA's reply (RFC 2449 section 6.9). */
static int
lists_stls(const char *line)
{
	return strncasecmp(line, "STLS", 4) == 0 &&
	    (line[4] == '\0' || line[4] == ' ');
}

/*
 * POP3's prelude (RFC 2595 section 4): "+OK" greeting, CAPA that lists
 * STLS, STLS answered "+OK", and not a byte more before the handshake.
 * The greeting's APOP timestamp is kept for the session: the server does
 * not greet again after TLS.
 */
int
tls_upstream_stls(int fd, int64_t deadline, uint64_t id, char *ts,
    size_t tssize, int *xclient)
{
	struct pre	 p = { .fd = fd, .deadline = deadline, .id = id };
	char		 line[LINE_MAX_PRE];
	const char	*lt, *gt;
	int		 offered = 0;

	ts[0] = '\0';
	if (read_line(&p, line, sizeof(line)) == -1)
		return -1;
	/* Dovecot says XCLIENT here, to a trusted peer: for forward id. */
	*xclient = strncmp(line, "+OK [XCLIENT]", 13) == 0;
	if (strncmp(line, "+OK", 3) != 0) {
		log_warnx("session %llu: upstream greeting \"%.80s\": "
		    "refused", (unsigned long long)id, line);
		return -1;
	}
	if ((lt = strchr(line, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL && (size_t)(gt - lt) + 1 < tssize)
		(void)snprintf(ts, tssize, "%.*s", (int)(gt - lt) + 1, lt);
	if (send_all(&p, "CAPA\r\n") == -1 ||
	    read_line(&p, line, sizeof(line)) == -1)
		return -1;
	if (strncmp(line, "+OK", 3) == 0) {
		for (;;) {
			if (read_line(&p, line, sizeof(line)) == -1)
				return -1;
			if (strcmp(line, ".") == 0)
				break;
			offered |= lists_stls(line);
		}
	}
	if (!offered) {
		log_warnx("session %llu: upstream does not offer STLS, "
		    "which is required: refused", (unsigned long long)id);
		return -1;
	}
	if (send_all(&p, "STLS\r\n") == -1 ||
	    read_line(&p, line, sizeof(line)) == -1)
		return -1;
	if (strncmp(line, "+OK", 3) != 0) {
		log_warnx("session %llu: upstream refuses STLS: \"%.80s\"",
		    (unsigned long long)id, line);
		return -1;
	}
	if (p.len > 0) {
		log_warnx("security: session %llu: upstream sent %zu bytes "
		    "after its STLS +OK, before TLS (response injection): "
		    "session aborted", (unsigned long long)id, p.len);
		return -1;
	}
	return 0;
}
