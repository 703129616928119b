/*
 * Incremental IMAP parser, one instance per direction.
 *
 * Bytes arrive split anywhere.  imap_parser_feed() consumes some of them
 * and returns at most one event; the caller feeds the rest next:
 *
 *	while (len > 0) {
 *		n = imap_parser_feed(p, data, len, &ev);
 *		data += n; len -= n;
 *		handle(&ev);		(NEED_MORE: nothing to do)
 *	}
 *
 * A message (a command, a response) is one or more line segments.  Each
 * segment ends in CRLF; every one but the last ends with a literal
 * announcement ({n}, {n+}, {n-}, ~{n}, ~{n+}) whose octets follow and come
 * out as LITDATA events: pointers into the caller's own buffer, never
 * copied, never looked at.  A policy sees a literal as its length.
 *
 * Line bytes are copied into a bounded buffer (the line limit covers all
 * segments of one message, literals excluded) and tokenised once the
 * segment is whole.  The tokens of all segments of the current message
 * accumulate, so at the final LINE the whole command is there, with each
 * literal as one LITERAL token.  Tokens and raw bytes stay valid until the
 * next call of imap_parser_feed(), _abort_message() or _free().
 *
 * Line terminator rule: CRLF, in both directions.  A bare LF still ends
 * the line (as on Dovecot, which takes a bare LF as end of line, so both
 * of us resynchronise at the same byte) but the line is an error; a CR not
 * followed by LF is an error too.  Nothing is ever forwarded that the
 * upstream could frame differently from us.
 *
 * There is no separate END event: the LINE whose "final" is set ends the
 * message, so a one-line command costs one call, not two.  A zero-length
 * literal ({0}) has no LITDATA event; its LINE is followed by the next
 * segment's LINE.
 *
 * Token order.  Command: TAG, ATOM (the name; "UID" is followed by the
 * ATOM of the real command), then the arguments.  Response: PLUS TEXT;
 * or STAR [NUMBER] ATOM(name) and then, for OK/NO/BAD/BYE/PREAUTH, the
 * optional code CODE_BEGIN ATOM(code name) args-or-TEXT CODE_END and a
 * final TEXT (maybe empty), for other names the arguments; or TAG
 * ATOM(OK/NO/BAD) code TEXT.  Text never holds a literal, whatever it
 * ends with (RFC 3501 resp-text), so "* OK foo {5}" is one line.  In
 * responses ")(" needs no space (an ENVELOPE address list is 1*address).
 *
 * Errors.  The event carries a reason and "fatal".  Not fatal: the whole
 * bad line was consumed and the parser is at the start of the next
 * message (the caller answers BAD).  Fatal: the stream cannot be
 * resynchronised (line too long, or a bad line ended with a {n+}/{n-}
 * announcement whose octets the peer will send anyway); every later feed
 * discards its input and returns the same error.
 */
#ifndef POSTERN_IMAP_PARSE_H
#define POSTERN_IMAP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "imap_limits.h"

enum imap_dir {
	IMAP_DIR_CLIENT,	/* commands, client to server */
	IMAP_DIR_SERVER		/* responses, server to client */
};

enum imap_tok_type {
	IMAP_TOK_TAG,		/* first token of a command or tagged response */
	IMAP_TOK_STAR,		/* "*" of an untagged response */
	IMAP_TOK_PLUS,		/* "+" of a continuation request */
	IMAP_TOK_ATOM,		/* includes flags (\Seen, \*) and astring-chars */
	IMAP_TOK_NUMBER,	/* num holds the value */
	IMAP_TOK_SEQSET,	/* 1:*,4 -- digits, ':', ',', '*' only */
	IMAP_TOK_QUOTED,	/* p, len: the decoded contents */
	IMAP_TOK_LITERAL,	/* num: length; lit: kind; p, len: "{5+}" */
	IMAP_TOK_NIL,
	IMAP_TOK_LIST_BEGIN,	/* depth: depth inside the list (1 = outer) */
	IMAP_TOK_LIST_END,
	IMAP_TOK_SECTION,	/* BODY.PEEK[HEADER.FIELDS (A B)]<0.10> whole */
	IMAP_TOK_CODE_BEGIN,	/* "[": p, len: everything up to the "]" */
	IMAP_TOK_CODE_END,	/* "]" */
	IMAP_TOK_TEXT		/* free text to end of line; raw client lines */
};

/* Literal kinds; IMAP_LIT_BINARY is or-ed in for ~{n} (RFC 3516). */
#define IMAP_LIT_NONE		0
#define IMAP_LIT_SYNC		1	/* {n}: wait for "+" */
#define IMAP_LIT_PLUS		2	/* {n+}: RFC 7888 non-synchronizing */
#define IMAP_LIT_MINUS		3	/* {n-}: in no RFC grammar, see below */
#define IMAP_LIT_KIND(l)	((l) & 0x0f)
#define IMAP_LIT_BINARY		0x10

/* Token flags. */
#define IMAP_TOKF_OVERFLOW	0x01	/* NUMBER too big for 63 bits */
#define IMAP_TOKF_ESCAPED	0x02	/* QUOTED had \" or \\ */
#define IMAP_TOKF_FLAG		0x04	/* ATOM starting with a backslash */
/*
 * A SECTION whose header list holds a literal (header-fld-name is an
 * astring): the token ends before the literal announcement and has
 * SECT_OPEN; the LITERAL follows, and the next segment starts with a
 * SECTION token with SECT_CONT that goes on from the literal, up to the
 * "]" and the partial, or up to the next literal (then with SECT_OPEN
 * too).
 */
#define IMAP_TOKF_SECT_OPEN	0x08
#define IMAP_TOKF_SECT_CONT	0x10

struct imap_token {
	const uint8_t	*p;		/* into the parser's buffers */
	uint32_t	 len;
	uint8_t		 type;		/* enum imap_tok_type */
	uint8_t		 depth;		/* list depth the token sits at */
	uint8_t		 lit;		/* IMAP_LIT_* for LITERAL */
	uint8_t		 flags;		/* IMAP_TOKF_* */
	uint64_t	 num;		/* NUMBER value, LITERAL length */
};

enum imap_ev_type {
	IMAP_EV_NEED_MORE,	/* everything consumed, no event */
	IMAP_EV_LINE,		/* a line segment is complete */
	IMAP_EV_LITDATA,	/* a chunk of literal octets */
	IMAP_EV_ERROR
};

enum imap_err {
	IMAP_ERR_NONE,
	IMAP_ERR_BARE_LF,		/* LF without CR */
	IMAP_ERR_BARE_CR,		/* CR not followed by LF */
	IMAP_ERR_NUL,			/* NUL outside a literal */
	IMAP_ERR_8BIT,			/* 8-bit octet in an atom */
	IMAP_ERR_CTL,			/* other control character */
	IMAP_ERR_SYNTAX,		/* unexpected character */
	IMAP_ERR_SPACE,			/* missing, extra or trailing SP */
	IMAP_ERR_QUOTED_UNTERMINATED,
	IMAP_ERR_QUOTED_ESCAPE,		/* backslash not before " or \ */
	IMAP_ERR_LITERAL_SYNTAX,	/* {x}, {}, {5}junk */
	IMAP_ERR_LITERAL_TOO_BIG,	/* > 2^32-1, or 2^63-1 for ~{n} */
	IMAP_ERR_LIST_UNBALANCED,	/* ")" without "(" */
	IMAP_ERR_LIST_UNCLOSED,		/* message ended inside a list */
	IMAP_ERR_TOO_DEEP,		/* nesting limit */
	IMAP_ERR_TOO_MANY_ARGS,		/* token limit */
	IMAP_ERR_LINE_TOO_LONG,		/* line limit: always fatal */
	IMAP_ERR_MISSING_TAG,
	IMAP_ERR_BAD_TAG,
	IMAP_ERR_TAG_TOO_LONG,
	IMAP_ERR_BAD_COMMAND,		/* missing or invalid command name */
	IMAP_ERR_BAD_SECTION,		/* BODY[ without ], bad <partial> */
	IMAP_ERR_BAD_RESPONSE,		/* not +, * or tag OK/NO/BAD */
	IMAP_ERR_NOMEM,
	IMAP_ERR_MAX
};

struct imap_event {
	enum imap_ev_type	 type;
	/*
	 * LINE and ERROR: the segment exactly as received, CRLF (or the
	 * bare LF) included.  Forward these bytes unless a policy
	 * rewrites them.
	 */
	const uint8_t		*raw;
	size_t			 rawlen;
	unsigned int		 seg;		/* 0: first segment of message */
	/* LINE: this segment's tokens are tok[tok_first ..+ tok_count). */
	unsigned int		 tok_first;
	unsigned int		 tok_count;
	int			 final;		/* message ends at this CRLF */
	uint8_t			 lit;		/* !final: the announced literal */
	uint64_t		 litlen;
	size_t			 lit_off;	/* "{" or "~" of it, within raw */
	/* LITDATA: pointer into the caller's data. */
	const uint8_t		*data;
	size_t			 len;
	uint64_t		 litleft;	/* octets still to come after it */
	/* ERROR */
	enum imap_err		 err;
	int			 fatal;
	const uint8_t		*tag;		/* NULL unless a valid tag */
	size_t			 taglen;
};

/* Everything below is private to imap_parse.c and imap_lex.c. */
struct imap_parser {
	enum imap_dir		 dir;
	int			 state;
	int			 raw_mode;
	int			 msgdone;	/* reset at the next feed */
	enum imap_err		 dead;
	size_t			 line_max;
	unsigned int		 depth_max;
	unsigned int		 tok_max;
	uint8_t			*line;		/* linecap bytes */
	size_t			 linecap;	/* grows up to line_max */
	size_t			 linelen;
	size_t			 segoff;
	unsigned int		 segno;
	uint8_t			*dec;		/* decoded quoted strings, linecap */
	size_t			 declen;
	struct imap_token	*tok;
	unsigned int		 ntok;
	unsigned int		 tokcap;
	uint64_t		 litleft;
	/* lexer state carried from one segment to the next */
	unsigned int		 depth;
	unsigned int		 sect_depth;	/* in a section's list: "(" open */
};

int	 imap_parser_init(struct imap_parser *, enum imap_dir,
	    const struct imap_limits *);
void	 imap_parser_free(struct imap_parser *);
size_t	 imap_parser_feed(struct imap_parser *, const uint8_t *, size_t,
	    struct imap_event *);
/* The tokens of the current message so far. */
const struct imap_token *imap_parser_tokens(const struct imap_parser *,
	    unsigned int *);
/*
 * Client lines that are not commands: AUTHENTICATE responses (base64 or
 * "*") and the DONE of IDLE.  In raw mode each line is one TEXT token of
 * printable ASCII, no tag, no literal.  The session layer switches it.
 */
void	 imap_parser_set_raw(struct imap_parser *, int);
/*
 * Forget the current message: the peer will not send the rest (a server
 * refused a synchronizing literal, so the client never sends it).  The
 * next byte starts a new message.
 */
void	 imap_parser_abort_message(struct imap_parser *);
/* Between messages (nothing of the next one received yet)? */
int	 imap_parser_idle(const struct imap_parser *);
/*
 * At rest, between messages: the buffers go, and with them the tokens of
 * the last message; the next feed takes them again.  In a message,
 * nothing changes.
 */
void	 imap_parser_rest(struct imap_parser *);
/* Waiting for literal octets? */
int	 imap_parser_in_literal(const struct imap_parser *);

const char *imap_err_str(enum imap_err);
const char *imap_tok_type_str(enum imap_tok_type);
/* ATOM (or NIL, NUMBER...) equal to s, ignoring ASCII case? */
int	 imap_tok_is(const struct imap_token *, const char *);

/*
 * About {n-}: RFC 7888 LITERAL- uses the {n+} syntax with a 4096 limit;
 * no grammar has {n-}.  It is recognised (so that the engine can refuse it
 * on purpose) rather than taken as a syntax error of unknown framing: the
 * peer may well send the octets without waiting.
 */

#endif
