/*
 * What the files of the configuration reader share: the parser's state
 * and the helpers that read the words of a line (conf_lex.c), for the
 * reader (conf_parse.c) and the statements' parsers (conf_daemon.c,
 * conf_limits.c, conf_control.c, conf_listen.c, conf_upstream.c,
 * conf_tls.c), and the words both they and the print-back of posternd
 * -nv (conf_print.c) write.  Not for the rest of postern, which has
 * conf.h.
 */
#ifndef POSTERN_SHARED_CONF_INT_H
#define POSTERN_SHARED_CONF_INT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define MAX_WORDS	64

struct conf;
struct listener;
struct upstream;
struct upstream_opts;

struct parser {
	const char	*file;
	int		 line;
	char		*words[MAX_WORDS];
	int		 nwords;
	int		 pos;
	int		 errors;
	int		 idle_line;	/* where timeout idle was set */
	int		 counters_tline; /* where timeout counters was */
	int		 pool_line;	/* where the pool was last set */
	int		 nlisten;	/* listen statements, valid or not */
};

enum unit {
	UNIT_NONE,
	UNIT_BYTES,	/* k, m, g suffixes */
	UNIT_SECONDS,	/* s, m, h suffixes */
};

/* conf_lex.c */
void		 perror_at(struct parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 expected(struct parser *, const char *);
int		 split_line(struct parser *, char *);
char		*next_word(struct parser *);
char		*peek_word(struct parser *);
int		 get_u32(struct parser *, const char *, enum unit, uint32_t,
		    uint32_t, uint32_t *);
int		 get_port(struct parser *, uint16_t *);
int		 copy_word(struct parser *, const char *, char *, size_t);
int		 resolve(struct parser *, const char *, uint16_t, int,
		    struct sockaddr_storage *, socklen_t *, char *, size_t);
int		 valid_name(const char *);
/* A listener's or an upstream's protocol, as written. */
const char	*proto_name(uint32_t);

/* conf_daemon.c */
int		 st_user(struct parser *, struct conf *);
int		 st_chroot(struct parser *, struct conf *);
int		 st_worker(struct parser *, struct conf *);
int		 st_policy(struct parser *, struct conf *);
int		 st_audit(struct parser *, struct conf *);
int		 st_pool(struct parser *, struct conf *);

/* conf_limits.c */
int		 st_limit(struct parser *, struct conf *);
int		 st_login(struct parser *, struct conf *);
int		 st_timeout(struct parser *, struct conf *);

/* conf_control.c */
int		 st_control(struct parser *, struct conf *);
int		 st_counters(struct parser *, struct conf *);
int		 st_metrics(struct parser *, struct conf *);
void		 check_counters(struct parser *, struct conf *);

/* conf_listen.c */
int		 st_listen(struct parser *, struct conf *);

/* conf_upstream.c */
struct upstream	*upstream_new(struct conf *, const char *, int, int);
int		 st_upstream(struct parser *, struct conf *);
void		 check_upstreams(struct parser *, struct conf *);

/* conf_tls.c */
/* The client side's TLS modes, by enum worker_tls_mode, as written. */
extern const char *const tls_modes[];
int		 listen_tls(struct parser *, struct listener *);
int		 upstream_tls(struct parser *, struct upstream_opts *);
int		 st_tls(struct parser *, struct conf *);
void		 check_tls(struct parser *, struct conf *);

#endif
