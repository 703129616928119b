/*
 * Logging in the OpenBSD manner: log_warn() appends strerror(errno),
 * log_warnx() does not; fatal() and fatalx() log and exit(1).
 *
 * In the foreground lines go to stderr as "procname: text", otherwise to
 * syslog (LOG_DAEMON).  A sandboxed child may not open a syslog socket:
 * after log_to_channel() its lines go to its parent as MSG_LOG messages,
 * which the parent passes to log_from_msg().  The channel is the calling
 * thread's: another thread logs to stderr or syslog until it names one.
 *
 * Every line is made printable before it goes anywhere: control bytes and
 * bytes over 0x7e become \xHH, so text that came from a client or from a
 * child cannot start a new line or drive a terminal.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

struct msg;
struct msgchan;

/* Bytes of text in one line, after escaping; also the MSG_LOG text bound. */
#define LOG_LINE_MAX	1024

/* How long a child waits for its parent to take one line. */
#define LOG_SEND_TIMEOUT_MS	2000

void	 log_init(int, int, const char *);
void	 log_procname(const char *);
int	 log_getverbose(void);
void	 log_child(void);
void	 log_to_channel(struct msgchan *);
int	 log_from_msg(const struct msg *);

void	 log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
