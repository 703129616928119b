#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "proto.h"

static struct {
	int		 foreground;
	int		 verbose;
	int		 child;		/* fatal() must not run atexit handlers */
	char		 procname[32];
} lg = { 1, 0, 0, "postern" };
/*
 * Each thread's own: a channel is written by one thread only
 * (postern-policyd's answering threads log over their own, to its main
 * thread).
 */
static _Thread_local struct msgchan *log_chan;

static void	 log_vlog(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	 log_pri(int, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 log_emit(int, const char *);
static void	 log_escape(char *, size_t, const char *, size_t);

/*
 * foreground: lines to stderr, else to syslog.  verbose: log_debug() too.
 * Safe to call again, e.g. once the options are read.
 */
void
log_init(int foreground, int verbose, const char *procname)
{
	lg.foreground = foreground;
	lg.verbose = verbose;
	log_procname(procname);
	if (!foreground)
		openlog(lg.procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* syslog stamps local time; read the zone before any chroot */
	tzset();
}

/* syslog keeps a pointer to the ident, so the name lives here. */
void
log_procname(const char *procname)
{
	if (procname != NULL)
		(void)snprintf(lg.procname, sizeof(lg.procname), "%s",
		    procname);
}

int
log_getverbose(void)
{
	return lg.verbose;
}

/* From now on fatal() and fatalx() leave by _exit(). */
void
log_child(void)
{
	lg.child = 1;
}

/* Lines go to the parent over ch from now on; NULL goes back. */
void
log_to_channel(struct msgchan *ch)
{
	log_chan = ch;
}

/*
 * Log a child's MSG_LOG.  Returns -1, logging nothing, if the body is not
 * a known priority and a text of at most LOG_LINE_MAX bytes without NUL:
 * the caller then ends the channel.
 */
int
log_from_msg(const struct msg *m)
{
	char		 line[LOG_LINE_MAX + 1];
	const char	*text;
	uint32_t	 pri;
	size_t		 len;

	if (m->hdr.type != MSG_LOG || m->len < sizeof(pri))
		return -1;
	memcpy(&pri, m->body, sizeof(pri));
	text = (const char *)m->body + sizeof(pri);
	len = m->len - sizeof(pri);
	if (pri > LOG_DEBUG || len > LOG_LINE_MAX ||
	    memchr(text, '\0', len) != NULL)
		return -1;
	if (pri == LOG_DEBUG && !lg.verbose)
		return 0;
	/* The child escaped it already, unless it lies. */
	log_escape(line, sizeof(line), text, len);
	log_emit((int)pri, line);
	return 0;
}

/* err: the errno to append, or -1 */
static void
log_vlog(int pri, int err, const char *fmt, va_list ap)
{
	char	raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	size_t	len;

	raw[0] = '\0';
	if (fmt != NULL)
		(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	len = strlen(raw);
	if (err != -1)
		(void)snprintf(raw + len, sizeof(raw) - len, "%s%s",
		    fmt != NULL ? ": " : "", strerror(err));
	log_escape(line, sizeof(line), raw, strlen(raw));
	log_emit(pri, line);
}

static void
log_pri(int pri, int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(pri, err, fmt, ap);
	va_end(ap);
}

/* line is escaped already */
static void
log_emit(int pri, const char *line)
{
	struct {
		uint32_t	pri;
		char		text[LOG_LINE_MAX];
	}	 body;
	char	 out[sizeof(lg.procname) + LOG_LINE_MAX + 3];
	int	 n;

	if (log_chan != NULL) {
		body.pri = (uint32_t)pri;
		n = snprintf(body.text, sizeof(body.text), "%s: %s",
		    lg.procname, line);
		if (n < 0)
			return;
		if ((size_t)n >= sizeof(body.text))
			n = sizeof(body.text) - 1;
		/* Nobody is left to hear about a failure here. */
		if (msg_compose(log_chan, MSG_LOG, 0, -1, &body,
		    sizeof(body.pri) + (size_t)n) == 0)
			(void)msg_send(log_chan, LOG_SEND_TIMEOUT_MS);
	} else if (lg.foreground) {
		/* One write, so lines of processes sharing stderr don't mix. */
		n = snprintf(out, sizeof(out), "%s: %s\n", lg.procname, line);
		if (n > 0 && (size_t)n < sizeof(out) &&
		    write(STDERR_FILENO, out, (size_t)n) == -1)
			return;
	} else
		syslog(pri, "%s", line);
}

/*
 * Copy src into dst, every byte outside 0x20-0x7e as \xHH, cut before an
 * escape that does not fit.  The output holds printable ASCII only, so
 * escaping it again changes nothing.
 */
static void
log_escape(char *dst, size_t size, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 c;
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (!lg.verbose)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

static void __attribute__((noreturn))
log_exit(void)
{
	if (lg.child)
		_exit(1);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	char	what[LOG_LINE_MAX];
	va_list	ap;
	int	saved = errno;

	what[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
	}
	if (fmt != NULL)
		log_pri(LOG_CRIT, saved, "fatal: %s", what);
	else
		log_pri(LOG_CRIT, saved, "fatal");
	log_exit();
}

void
fatalx(const char *fmt, ...)
{
	char	what[LOG_LINE_MAX];
	va_list	ap;

	what[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
	}
	log_pri(LOG_CRIT, -1, "fatal: %s", what);
	log_exit();
}
