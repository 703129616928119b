/*
 * The words of a statement's line, shared by the parsers of every
 * statement so that they all say an error the same way (file:line:
 * expected X near 'Y') and take numbers, units, ports, names and
 * addresses alike: a line split into words, and the words read one by
 * one into the fields of struct conf.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "conf_int.h"
#include "proto_worker.h"

static int	 get_number(struct parser *, const char *, enum unit,
		    uint64_t, uint64_t, uint64_t *);

void
conf_error(struct parser *p, int line, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", p->file, line, msg);
	p->errors++;
}

/* Names the word the parser stopped at: the one read last, if any. */
void
conf_expected(struct parser *p, const char *what)
{
	if (p->pos >= 1 && p->pos <= p->nwords)
		conf_error(p, p->line, "expected %s near '%s'", what,
		    p->words[p->pos - 1]);
	else
		conf_error(p, p->line, "expected %s near end of line", what);
}

char *
conf_next_word(struct parser *p)
{
	if (p->pos >= p->nwords) {
		/* So that conf_expected() says end of line. */
		p->pos = p->nwords + 1;
		return NULL;
	}
	return p->words[p->pos++];
}

char *
conf_peek_word(struct parser *p)
{
	return p->pos < p->nwords ? p->words[p->pos] : NULL;
}

/*
 * Splits a logical line into words in place: blanks separate words, '#'
 * starts a comment, "..." quotes a word and \" or \\ escape inside it.
 */
int
conf_split_line(struct parser *p, char *s)
{
	char	*w;

	p->nwords = 0;
	p->pos = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return 0;
		if (p->nwords == MAX_WORDS) {
			conf_error(p, p->line, "more than %d words", MAX_WORDS);
			return -1;
		}
		w = s;
		p->words[p->nwords++] = w;
		if (*s == '"') {
			char	*d = w;

			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					conf_error(p, p->line,
					    "expected '\"' near end of line");
					return -1;
				}
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*d++ = *s;
			}
			*d = '\0';
			s++;
			if (*s != '\0' && *s != ' ' && *s != '\t' &&
			    *s != '#') {
				conf_error(p, p->line,
				    "expected blank after '\"' near '%s'", s);
				return -1;
			}
			if (*s != '\0' && *s != '#')
				s++;
			else if (*s == '#')
				*s = '\0';
			continue;
		}
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return 0;
		}
		if (*s != '\0')
			*s++ = '\0';
	}
}

static int
get_number(struct parser *p, const char *what, enum unit unit, uint64_t min,
    uint64_t max, uint64_t *out)
{
	char		*w, *end;
	uint64_t	 v, mul = 1;

	if ((w = conf_next_word(p)) == NULL || !isdigit((unsigned char)*w)) {
		conf_expected(p, what);
		return -1;
	}
	errno = 0;
	v = strtoull(w, &end, 10);
	if (errno == ERANGE)
		v = UINT64_MAX;
	if (*end != '\0') {
		char	 c = (char)tolower((unsigned char)*end);

		if (end[1] != '\0')
			c = '?';
		if (unit == UNIT_BYTES && c == 'k')
			mul = 1024;
		else if (unit == UNIT_BYTES && c == 'm')
			mul = 1024 * 1024;
		else if (unit == UNIT_BYTES && c == 'g')
			mul = 1024 * 1024 * 1024;
		else if (unit == UNIT_SECONDS && c == 's')
			mul = 1;
		else if (unit == UNIT_SECONDS && c == 'm')
			mul = 60;
		else if (unit == UNIT_SECONDS && c == 'h')
			mul = 3600;
		else {
			conf_expected(p, what);
			return -1;
		}
	}
	if (v > UINT64_MAX / mul)
		v = UINT64_MAX;
	else
		v *= mul;
	if (v < min || v > max) {
		conf_error(p, p->line,
		    "expected %s from %llu to %llu near '%s'",
		    what, (unsigned long long)min, (unsigned long long)max, w);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_get_u32(struct parser *p, const char *what, enum unit unit, uint32_t min,
    uint32_t max, uint32_t *out)
{
	uint64_t	 v;

	if (get_number(p, what, unit, min, max, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
conf_get_port(struct parser *p, uint16_t *port)
{
	uint64_t	 v;
	char		*w;

	if ((w = conf_next_word(p)) == NULL || strcmp(w, "port") != 0) {
		conf_expected(p, "'port'");
		return -1;
	}
	if (get_number(p, "port number", UNIT_NONE, 1, 65535, &v) == -1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
conf_copy_word(struct parser *p, const char *what, char *dst, size_t size)
{
	char	*w;

	if ((w = conf_next_word(p)) == NULL || *w == '\0') {
		conf_expected(p, what);
		return -1;
	}
	if ((size_t)snprintf(dst, size, "%s", w) >= size) {
		conf_error(p, p->line, "%s too long (at most %zu bytes) near "
		    "'%.20s...'", what, size - 1, w);
		return -1;
	}
	return 0;
}

int
conf_resolve(struct parser *p, const char *host, uint16_t port, int passive,
    struct sockaddr_storage *ss, socklen_t *sslen, char *num, size_t numlen)
{
	struct addrinfo	 hints, *res;
	char		 serv[8];
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* A listener binds one address; a name could mean several. */
	if (passive)
		hints.ai_flags |= AI_NUMERICHOST | AI_PASSIVE;
	snprintf(serv, sizeof(serv), "%u", port);
	/* "*" is every IPv4 address; "::" says IPv6 plainly. */
	if (passive && strcmp(host, "*") == 0) {
		host = NULL;
		hints.ai_family = AF_INET;
	}
	if ((error = getaddrinfo(host, serv, &hints, &res)) != 0) {
		if (passive && error == EAI_NONAME)
			conf_error(p, p->line,
			    "expected numeric address or '*' "
			    "near '%s'", host);
		else
			conf_error(p, p->line, "host %s: %s", host ? host : "*",
			    gai_strerror(error));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	if ((error = getnameinfo((struct sockaddr *)ss, *sslen, num, numlen,
	    NULL, 0, NI_NUMERICHOST)) != 0) {
		conf_error(p, p->line, "%s: %s", host ? host : "*",
		    gai_strerror(error));
		return -1;
	}
	return 0;
}

int
conf_valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return 1;
}

const char *
conf_proto_name(uint32_t protocol)
{
	return protocol == WORKER_PROTO_POP3 ? "pop3" : "imap";
}
