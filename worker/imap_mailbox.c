/*
 * The places of a server response that name a mailbox, and the mailbox
 * an IMAP URL names.
 *
 * Responses, by name (RFC 3501, RFC 9051 and the extensions a server
 * can announce).  Naming one or more mailboxes:
 *
 *	LIST, LSUB, XLIST	the name; in LIST-EXTENDED data, OLDNAME's
 *				(RFC 5258, 9051: a rename NOTIFY reports).
 *				CHILDINFO and other items name none.
 *	STATUS			the name (STATUS, LIST-STATUS, NOTIFY)
 *	ACL, LISTRIGHTS, MYRIGHTS  the name (RFC 4314)
 *	QUOTAROOT		the name; the roots after it are quota
 *				roots, not mailboxes (RFC 9208)
 *	METADATA		the name, unless "" (the server's; RFC 5464)
 *	ANNOTATION		the name, unless "" (Cyrus' ANNOTATEMORE)
 *	MAILBOX			the name (RFC 1730 FIND, still in old servers)
 *	ESEARCH			MAILBOX in the correlator (RFC 7377)
 *	URLFETCH, GENURLAUTH	each URL (RFC 4467, RFC 5524)
 *	status responses	codes [REFERRAL url ...] (RFC 2221),
 *				[BADURL url] (RFC 4469), [NEWNAME old new]
 *				(RFC 2060, some servers still send it)
 *
 * Naming none: CAPABILITY, ENABLED, ID, LANGUAGE, COMPARATOR, FLAGS,
 * EXISTS, RECENT, EXPUNGE, VANISHED, FETCH (no item is a mailbox name;
 * Gmail's X-GM-LABELS are, and the command side refuses them), SEARCH,
 * SORT, THREAD, QUOTA (a root), NAMESPACE (prefixes, not mailboxes:
 * postern.rules(5) says what that leaves), BYE/OK/NO/BAD/PREAUTH
 * without the codes above, and continuation requests.  A response this
 * file does not know names none: an extension that adds one has to be
 * added here.
 */
#include <string.h>
#include <strings.h>

#include "imap_list.h"
#include "imap_mailbox.h"
#include "imap_mutf7.h"

struct places {
	struct imap_mref	*out;
	unsigned int		 max;
	unsigned int		 n;
};

static void
put(struct places *pl, unsigned int tok, enum imap_mref_kind kind,
    size_t off, size_t len)
{
	if (pl->n < pl->max) {
		pl->out[pl->n].tok = tok;
		pl->out[pl->n].kind = kind;
		pl->out[pl->n].off = (uint32_t)off;
		pl->out[pl->n].len = (uint32_t)len;
	}
	pl->n++;
}

/* An astring (RFC 3501 mailbox): what a name can be sent as. */
static int
astring(const struct imap_token *t)
{
	switch (t->type) {
	case IMAP_TOK_ATOM:
		return !(t->flags & IMAP_TOKF_FLAG);
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_SEQSET:
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_LITERAL:
	case IMAP_TOK_NIL:
		return 1;
	default:
		return 0;
	}
}

/* A name or URL at token i. */
static void
put_tok(struct places *pl, const struct imap_token *tok, unsigned int i,
    enum imap_mref_kind kind)
{
	put(pl, i, kind, 0, tok[i].type == IMAP_TOK_LITERAL ? 0 : tok[i].len);
}

/*
 * Past the value at i: one token, or a parenthesised list with all it
 * holds.  ntok + 1 when a list does not close (the parser refuses that,
 * but the tokens are not trusted to be its).
 */
static unsigned int
skip(const struct imap_token *tok, unsigned int ntok, unsigned int i)
{
	unsigned int	 open = 0;

	do {
		if (i >= ntok)
			return ntok + 1;
		if (tok[i].type == IMAP_TOK_LIST_BEGIN)
			open++;
		else if (tok[i].type == IMAP_TOK_LIST_END) {
			if (open == 0)
				return ntok + 1;
			open--;
		}
		i++;
	} while (open > 0);
	return i;
}

/*
 * "* LIST (attrs) delim name [(tag value ...)]".  Extended data that
 * cannot be read is malformed rather than skipped: it might be a new
 * item that names a mailbox.
 */
static int
list(const struct imap_token *tok, unsigned int ntok, struct places *pl)
{
	unsigned int	 i = 2, j;

	if (i >= ntok || tok[i].type != IMAP_TOK_LIST_BEGIN)
		return -1;
	for (i++; i < ntok && tok[i].type == IMAP_TOK_ATOM; i++)
		;
	if (i >= ntok || tok[i].type != IMAP_TOK_LIST_END)
		return -1;
	i++;
	if (i >= ntok || (tok[i].type != IMAP_TOK_QUOTED &&
	    tok[i].type != IMAP_TOK_NIL))
		return -1;
	i++;
	if (i >= ntok || !astring(&tok[i]))
		return -1;
	put_tok(pl, tok, i, IMAP_MREF_NAME);
	if (++i == ntok)
		return 0;
	if (tok[i].type != IMAP_TOK_LIST_BEGIN || skip(tok, ntok, i) != ntok)
		return -1;
	for (i++; tok[i].type != IMAP_TOK_LIST_END; i = j) {
		/* tag-string SP tagged-ext-val */
		if (tok[i].type != IMAP_TOK_QUOTED &&
		    tok[i].type != IMAP_TOK_ATOM &&
		    tok[i].type != IMAP_TOK_LITERAL)
			return -1;
		if ((j = skip(tok, ntok, i + 1)) >= ntok)
			return -1;
		if (!imap_tok_is(&tok[i], "OLDNAME"))
			continue;
		/* "OLDNAME" SP "(" mailbox ")" */
		if (j != i + 4 || tok[i + 1].type != IMAP_TOK_LIST_BEGIN ||
		    !astring(&tok[i + 2]))
			return -1;
		put_tok(pl, tok, i + 2, IMAP_MREF_NAME);
	}
	return 0;
}

/* "* NAME mailbox ...", the name second; "" is the server's own. */
static int
first_arg(const struct imap_token *tok, unsigned int ntok, int server,
    struct places *pl)
{
	if (ntok < 3 || !astring(&tok[2]))
		return -1;
	if (server && tok[2].type == IMAP_TOK_QUOTED && tok[2].len == 0)
		return 0;
	put_tok(pl, tok, 2, IMAP_MREF_NAME);
	return 0;
}

/* "* ESEARCH [(TAG "t" [MAILBOX name UIDVALIDITY n])] ..." */
static int
esearch(const struct imap_token *tok, unsigned int ntok, struct places *pl)
{
	unsigned int	 i, end;

	if (ntok < 3 || tok[2].type != IMAP_TOK_LIST_BEGIN)
		return 0;
	if ((end = skip(tok, ntok, 2)) > ntok)
		return -1;
	/* tok[end - 1] is the ")" */
	for (i = 3; i < end - 1; ) {
		if (tok[i].type != IMAP_TOK_ATOM || i + 1 >= end - 1)
			return -1;
		if (imap_tok_is(&tok[i], "MAILBOX")) {
			if (!astring(&tok[i + 1]))
				return -1;
			put_tok(pl, tok, i + 1, IMAP_MREF_NAME);
		}
		i = skip(tok, ntok, i + 1);
	}
	return i == end - 1 ? 0 : -1;
}

/*
 * "* URLFETCH url nstring ..." (RFC 4467) or, with RFC 5524, a URL
 * followed by its metadata lists instead of the nstring.  GENURLAUTH:
 * URLs alone.  A URL is never a list, so the walk cannot lose its step.
 */
static int
urls(const struct imap_token *tok, unsigned int ntok, int values,
    struct places *pl)
{
	unsigned int	 i = 2;

	if (i >= ntok)
		return -1;
	while (i < ntok) {
		if (!astring(&tok[i]))
			return -1;
		put_tok(pl, tok, i, IMAP_MREF_URL);
		i++;
		if (!values)
			continue;
		if (i >= ntok)
			return -1;
		if (tok[i].type != IMAP_TOK_LIST_BEGIN) {
			i++;
			continue;
		}
		while (i < ntok && tok[i].type == IMAP_TOK_LIST_BEGIN)
			if ((i = skip(tok, ntok, i)) > ntok)
				return -1;
	}
	return 0;
}

/* The response code of a status response, if any. */
static int
code(const struct imap_token *tok, unsigned int ntok, struct places *pl)
{
	const struct imap_token	*c;
	unsigned int		 i, k;
	size_t			 n, off, end;
	int			 referral;

	for (i = 2; i < ntok && tok[i].type != IMAP_TOK_CODE_BEGIN; i++)
		;
	if (i >= ntok)
		return 0;
	c = &tok[i];
	for (n = 0; n < c->len && c->p[n] != ' '; n++)
		;
	if (n == 6 && strncasecmp((const char *)c->p, "BADURL", 6) == 0)
		referral = 0;
	else if (n == 8 &&
	    strncasecmp((const char *)c->p, "REFERRAL", 8) == 0)
		referral = 1;
	else if (n == 7 &&
	    strncasecmp((const char *)c->p, "NEWNAME", 7) == 0) {
		/* Lexed as tokens when it is two astrings (imap_lex.c). */
		for (k = 0; k < 2; k++)
			if (i + 2 + k >= ntok || !astring(&tok[i + 2 + k]) ||
			    tok[i + 2 + k].type == IMAP_TOK_LITERAL)
				return -1;
		if (i + 4 >= ntok || tok[i + 4].type != IMAP_TOK_CODE_END)
			return -1;
		put_tok(pl, tok, i + 2, IMAP_MREF_NAME);
		put_tok(pl, tok, i + 3, IMAP_MREF_NAME);
		return 0;
	} else
		return 0;
	if (n + 1 >= c->len)
		return -1;
	/*
	 * BADURL's url-resp-text is everything up to "]", spaces too;
	 * REFERRAL is one or more URLs, a space between each.
	 */
	if (!referral) {
		put(pl, i, IMAP_MREF_URL, n + 1, c->len - n - 1);
		return 0;
	}
	for (off = n + 1; off < c->len; off = end + 1) {
		for (end = off; end < c->len && c->p[end] != ' '; end++)
			;
		if (end == off)
			return -1;
		put(pl, i, IMAP_MREF_URL, off, end - off);
	}
	return 0;
}

int
imap_resp_mailboxes(const struct imap_token *tok, unsigned int ntok,
    struct imap_mref *out, unsigned int max)
{
	struct places		 pl = { out, max, 0 };
	const struct imap_token	*name;
	int			 r;

	if (ntok < 2 || (tok[0].type != IMAP_TOK_STAR &&
	    tok[0].type != IMAP_TOK_TAG) || tok[1].type != IMAP_TOK_ATOM)
		return 0;
	name = &tok[1];
	if (imap_tok_is(name, "OK") || imap_tok_is(name, "NO") ||
	    imap_tok_is(name, "BAD") || imap_tok_is(name, "BYE") ||
	    imap_tok_is(name, "PREAUTH"))
		r = code(tok, ntok, &pl);
	else if (tok[0].type == IMAP_TOK_TAG)
		return 0;
	else if (imap_tok_is(name, "LIST") || imap_tok_is(name, "LSUB") ||
	    imap_tok_is(name, "XLIST"))
		r = list(tok, ntok, &pl);
	else if (imap_tok_is(name, "STATUS")) {
		r = first_arg(tok, ntok, 0, &pl);
		if (r == 0 && (ntok < 4 ||
		    tok[3].type != IMAP_TOK_LIST_BEGIN))
			r = -1;
	} else if (imap_tok_is(name, "ACL") ||
	    imap_tok_is(name, "LISTRIGHTS") ||
	    imap_tok_is(name, "MYRIGHTS") ||
	    imap_tok_is(name, "QUOTAROOT") ||
	    imap_tok_is(name, "MAILBOX"))
		r = first_arg(tok, ntok, 0, &pl);
	else if (imap_tok_is(name, "METADATA") ||
	    imap_tok_is(name, "ANNOTATION"))
		r = first_arg(tok, ntok, 1, &pl);
	else if (imap_tok_is(name, "ESEARCH"))
		r = esearch(tok, ntok, &pl);
	else if (imap_tok_is(name, "URLFETCH"))
		r = urls(tok, ntok, 1, &pl);
	else if (imap_tok_is(name, "GENURLAUTH"))
		r = urls(tok, ntok, 0, &pl);
	else
		r = 0;
	if (r == -1)
		return -1;
	return pl.n > 0x7fffffff ? -1 : (int)pl.n;
}

int
imap_mailbox_name(const uint8_t *p, size_t len, char *out, size_t size)
{
	int	 n;

	if ((n = imap_list_name_bytes(p, len, out, size)) == -1)
		return -1;
	if (n == 5 && strcasecmp(out, "INBOX") == 0)
		memcpy(out, "INBOX", 5);
	return n;
}

int
imap_mailbox_name_alt(const uint8_t *p, size_t len, char *out, size_t size)
{
	int	 n;

	/* A decoded name is never longer than its modified UTF-7. */
	if (size <= len)
		return -1;
	/* Strictly valid, or no "&": both readings agree. */
	if (memchr(p, '&', len) == NULL ||
	    imap_mutf7_decode(p, len, out, size) != -1)
		return 0;
	/* Not even lenient modified UTF-7: read as it is by all. */
	if ((n = imap_mutf7_decode_lenient(p, len, out, size)) == -1)
		return 0;
	if (n == 5 && strcasecmp(out, "INBOX") == 0)
		memcpy(out, "INBOX", 5);
	return n;
}

/*
 * IMAP URLs (RFC 5092).  Only the mailbox matters here, but the rest is
 * read too: a URL postern reads one way and the server another would be
 * a way round the rules, so what does not parse is IMAP_URL_BAD.
 */
/*
 * Longer names are refused: no rule could see them (policyd takes 1023
 * octets), and the modified UTF-7 check below needs room to decode.
 */
#define URL_NAME_MAX	1023

#define CH_UNRES	0x01	/* ALPHA DIGIT - . _ ~ */
#define CH_SUBSH	0x02	/* ! $ ' ( ) * + , */
#define CH_ACHAR	0x04	/* & = (with the above and %XX: achar) */
#define CH_BCHAR	0x08	/* : @ / (with achar: bchar) */

static uint8_t
chclass(uint8_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~')
		return CH_UNRES;
	if (c != '\0' && strchr("!$'()*+,", c) != NULL)
		return CH_SUBSH;
	if (c == '&' || c == '=')
		return CH_ACHAR;
	if (c == ':' || c == '@' || c == '/')
		return CH_BCHAR;
	return 0;
}

static int
hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * u[i..end) as characters of the classes in mask or %XX: 0, or -1.
 * With out: decoded into out[*n..size), no NUL or control character.
 */
static int
chars(const uint8_t *u, size_t i, size_t end, uint8_t mask, char *out,
    size_t size, size_t *n)
{
	int	 hi, lo;
	uint8_t	 c;

	for (; i < end; i++) {
		c = u[i];
		if (c == '%') {
			if (end - i < 3 || (hi = hex(u[i + 1])) == -1 ||
			    (lo = hex(u[i + 2])) == -1)
				return -1;
			c = (uint8_t)(hi << 4 | lo);
			i += 2;
			/* A name holds no NUL (the rules would see it
			 * cut short) and no control character. */
			if (out != NULL && (c < 0x20 || c == 0x7f))
				return -1;
		} else if (!(chclass(c) & mask))
			return -1;
		if (out == NULL)
			continue;
		if (size - *n <= 1)
			return -1;
		out[(*n)++] = (char)c;
	}
	return 0;
}

/* Well-formed UTF-8, no overlong form, no surrogate. */
static int
utf8_ok(const uint8_t *s, size_t len)
{
	size_t		 i = 0, k, j;
	uint32_t	 cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i <= k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int
digits(const uint8_t *u, size_t i, size_t end, int nz)
{
	if (i == end || (nz && u[i] == '0'))
		return -1;
	for (; i < end; i++)
		if (u[i] < '0' || u[i] > '9')
			return -1;
	return 0;
}

/* ";KEY=" at u[i]? */
static int
param(const uint8_t *u, size_t len, size_t i, const char *key)
{
	size_t	 k = strlen(key);

	return len - i > k + 1 && u[i] == ';' &&
	    strncasecmp((const char *)u + i + 1, key, k) == 0 &&
	    u[i + 1 + k] == '=';
}

/*
 * The value of a parameter starting at i: up to the next ";" (or end),
 * less a "/" before it, which introduces the next part.
 */
static size_t
value_end(const uint8_t *u, size_t len, size_t i)
{
	const uint8_t	*semi;
	size_t		 e;

	if ((semi = memchr(u + i, ';', len - i)) == NULL)
		return len;
	e = (size_t)(semi - u);
	return e > i && u[e - 1] == '/' ? e - 1 : e;
}

/*
 * What follows the mailbox (or, relative, stands alone):
 * [;UIDVALIDITY=n] then [?search] or [/;UID=n[/;SECTION=s][/;PARTIAL=p]
 * [;EXPIRE=t];URLAUTH=a].  i is where it starts; 0 or -1.
 */
static int
tail(const uint8_t *u, size_t len, size_t i, int mailbox)
{
	size_t	 e;

	if (mailbox && param(u, len, i, "UIDVALIDITY")) {
		i += 13;
		e = value_end(u, len, i);
		if (digits(u, i, e, 1) == -1)
			return -1;
		i = e;
	}
	if (i == len)
		return 0;
	if (mailbox && u[i] == '?')
		return chars(u, i + 1, len, CH_UNRES | CH_SUBSH | CH_ACHAR |
		    CH_BCHAR, NULL, 0, NULL) == -1 || i + 1 == len ? -1 : 0;
	/* imessagepart: "/;UID=" after a mailbox, ";UID=" relative */
	if (mailbox && u[i++] != '/')
		return -1;
	if (!param(u, len, i, "UID"))
		return -1;
	i += 5;
	e = value_end(u, len, i);
	if (digits(u, i, e, 1) == -1)
		return -1;
	i = e;
	if (i < len - 1 && u[i] == '/' && param(u, len, i + 1, "SECTION")) {
		i += 10;
		e = value_end(u, len, i);
		if (e == i || chars(u, i, e, CH_UNRES | CH_SUBSH | CH_ACHAR |
		    CH_BCHAR, NULL, 0, NULL) == -1)
			return -1;
		i = e;
	}
	if (i < len - 1 && u[i] == '/' && param(u, len, i + 1, "PARTIAL")) {
		i += 10;
		e = value_end(u, len, i);
		if (e == i || chars(u, i, e, CH_UNRES, NULL, 0, NULL) == -1)
			return -1;
		i = e;
	}
	if (param(u, len, i, "EXPIRE")) {
		i += 8;
		e = value_end(u, len, i);
		if (e == i || chars(u, i, e, CH_UNRES | CH_SUBSH | CH_ACHAR |
		    CH_BCHAR, NULL, 0, NULL) == -1 ||
		    !param(u, len, e, "URLAUTH"))
			return -1;
		i = e;
	}
	if (param(u, len, i, "URLAUTH")) {
		i += 9;
		if (i == len || chars(u, i, len, CH_UNRES | CH_SUBSH |
		    CH_ACHAR | CH_BCHAR, NULL, 0, NULL) == -1)
			return -1;
		i = len;
	}
	return i == len ? 0 : -1;
}

/* "[user[;AUTH=mech]@]host[:port]" in u[i..end). */
static int
authority(const uint8_t *u, size_t i, size_t end)
{
	const uint8_t	*at = NULL, *p;
	size_t		 h, k;

	for (p = u + i; p < u + end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		h = (size_t)(at - u);
		/* enc-user and ";AUTH=" enc-auth-type or "*" */
		for (k = i; k < h && u[k] != ';'; k++)
			;
		if (chars(u, i, k, CH_UNRES | CH_SUBSH | CH_ACHAR, NULL, 0,
		    NULL) == -1)
			return -1;
		if (k < h && (!param(u, h, k, "AUTH") || k + 6 == h ||
		    chars(u, k + 6, h, CH_UNRES | CH_SUBSH | CH_ACHAR, NULL,
		    0, NULL) == -1))
			return -1;
		if (k == i && k == h)
			return -1;
		i = h + 1;
	}
	if (i == end)
		return -1;
	if (u[i] == '[') {
		for (h = i + 1; h < end && u[h] != ']'; h++)
			if (hex(u[h]) == -1 && u[h] != ':' && u[h] != '.')
				return -1;
		if (h == end || h == i + 1)
			return -1;
		h++;
	} else {
		for (h = i; h < end && u[h] != ':'; h++)
			if (u[h] != '%' && !(chclass(u[h]) &
			    (CH_UNRES | CH_SUBSH | CH_ACHAR)) && u[h] != ';')
				return -1;
		if (h == i || chars(u, i, h, CH_UNRES | CH_SUBSH | CH_ACHAR,
		    NULL, 0, NULL) == -1)
			return -1;
	}
	if (h < end && (u[h] != ':' || digits(u, h + 1, end, 0) == -1))
		return -1;
	return 0;
}

int
imap_url_mailbox(const uint8_t *u, size_t len, char *out, size_t size)
{
	const uint8_t	*slash;
	size_t		 i, e, n = 0;
	char		 tmp[URL_NAME_MAX * 2];

	if (size == 0)
		return IMAP_URL_BAD;
	out[0] = '\0';
	if (len >= 7 && strncasecmp((const char *)u, "imap://", 7) == 0)
		i = 7;
	else if (len >= 2 && u[0] == '/' && u[1] == '/')
		i = 2;
	else if (len >= 1 && u[0] == '/')
		i = 0;
	else if (len >= 1 && u[0] == ';')
		return tail(u, len, 0, 0) == -1 ? IMAP_URL_BAD : IMAP_URL_BASE;
	else
		/* Another scheme, or a relative path whose mailbox
		 * depends on the base. */
		return IMAP_URL_BAD;
	if (i > 0) {
		slash = memchr(u + i, '/', len - i);
		e = slash != NULL ? (size_t)(slash - u) : len;
		if (authority(u, i, e) == -1)
			return IMAP_URL_BAD;
		i = e;
		if (i == len || i + 1 == len)
			return IMAP_URL_SERVER;
	}
	i++;		/* the "/" */
	/* enc-mailbox: bchars, ended by ";" or "?" (neither is one) */
	for (e = i; e < len && u[e] != ';' && u[e] != '?'; e++)
		;
	if (e < len && u[e] == ';' && e > i && u[e - 1] == '/' &&
	    !param(u, len, e, "UIDVALIDITY"))
		e--;
	if (e == i || tail(u, len, e, 1) == -1)
		return IMAP_URL_BAD;
	if (chars(u, i, e, CH_UNRES | CH_SUBSH | CH_ACHAR | CH_BCHAR, out,
	    size, &n) == -1)
		return IMAP_URL_BAD;
	out[n] = '\0';
	if (!utf8_ok((const uint8_t *)out, n))
		return IMAP_URL_BAD;
	/*
	 * RFC 5092 wants UTF-8; a name that reads as modified UTF-7 for
	 * something else too, even leniently (imap_mailbox_name_alt()),
	 * is the client's guess at which one.
	 */
	if (n > URL_NAME_MAX || (memchr(out, '&', n) != NULL &&
	    imap_mutf7_decode_lenient((const uint8_t *)out, n, tmp,
	    sizeof(tmp)) != -1))
		return IMAP_URL_BAD;
	if (n == 5 && strcasecmp(out, "INBOX") == 0)
		memcpy(out, "INBOX", 5);
	return IMAP_URL_MAILBOX;
}
