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
void		 conf_error(struct parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 conf_expected(struct parser *, const char *);
int		 conf_split_line(struct parser *, char *);
char		*conf_next_word(struct parser *);
char		*conf_peek_word(struct parser *);
int		 conf_get_u32(struct parser *, const char *, enum unit,
		    uint32_t, uint32_t, uint32_t *);
int		 conf_get_port(struct parser *, uint16_t *);
int		 conf_copy_word(struct parser *, const char *, char *, size_t);
int		 conf_resolve(struct parser *, const char *, uint16_t, int,
		    struct sockaddr_storage *, socklen_t *, char *, size_t);
int		 conf_valid_name(const char *);
/* A listener's or an upstream's protocol, as written. */
const char	*conf_proto_name(uint32_t);

/* conf_daemon.c */
int		 conf_st_user(struct parser *, struct conf *);
int		 conf_st_chroot(struct parser *, struct conf *);
int		 conf_st_worker(struct parser *, struct conf *);
int		 conf_st_policy(struct parser *, struct conf *);
int		 conf_st_audit(struct parser *, struct conf *);
int		 conf_st_pool(struct parser *, struct conf *);

/* conf_limits.c */
int		 conf_st_limit(struct parser *, struct conf *);
int		 conf_st_login(struct parser *, struct conf *);
int		 conf_st_timeout(struct parser *, struct conf *);

/* conf_control.c */
int		 conf_st_control(struct parser *, struct conf *);
int		 conf_st_counters(struct parser *, struct conf *);
int		 conf_st_metrics(struct parser *, struct conf *);
void		 conf_check_counters(struct parser *, struct conf *);

/* conf_listen.c */
int		 conf_st_listen(struct parser *, struct conf *);

/* conf_upstream.c */
struct upstream	*conf_upstream_new(struct conf *, const char *, int, int);
int		 conf_st_upstream(struct parser *, struct conf *);
void		 conf_check_upstreams(struct parser *, struct conf *);

/* conf_tls.c */
/* The client side's TLS modes, by enum worker_tls_mode, as written. */
extern const char *const conf_tls_modes[];
int		 conf_listen_tls(struct parser *, struct listener *);
int		 conf_upstream_tls(struct parser *, struct upstream_opts *);
int		 conf_st_tls(struct parser *, struct conf *);
void		 conf_check_tls(struct parser *, struct conf *);

#endif
