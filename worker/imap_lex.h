/*
 * The tokenizer behind imap_parse.c: it sees one whole line segment at a
 * time, so it needs no state of its own but the list depth and the tokens
 * of the message so far, both in struct imap_parser.
 */
#ifndef POSTERN_IMAP_LEX_H
#define POSTERN_IMAP_LEX_H

#include "imap_parse.h"

struct imap_lexout {
	uint8_t		 lit;		/* literal announced at the end */
	uint64_t	 litlen;
	const uint8_t	*lit_at;
};

/*
 * Tokenise [s, end), a segment without its CRLF.  first: the segment
 * starts a message; final is decided here (no literal at the end).
 */
enum imap_err	imap_lex_segment(struct imap_parser *, const uint8_t *,
		    const uint8_t *, int, struct imap_lexout *);
/* Does [s, end) end with {digits+} or {digits-}? */
int		imap_lex_tail_nonsync(const uint8_t *, const uint8_t *);

#endif
