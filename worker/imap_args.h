/*
 * A command's arguments as the rules see them, from the parser's tokens:
 * each top-level token is one argument, a parenthesised list one
 * argument "(A B)", a quoted string its contents, a literal only its
 * length.  Two views: val for conditions and policyd (secrets masked:
 * LOGIN's password and AUTHENTICATE's initial response become "***"),
 * raw for rewrite templates ($n as it was sent: quoted strings quoted
 * again, a literal as its announcement "{n}").
 */
#ifndef POSTERN_IMAP_ARGS_H
#define POSTERN_IMAP_ARGS_H

#include <stddef.h>

#include "buf.h"
#include "imap_parse.h"
#include "policy_wire.h"
#include "proto_worker.h"

/*
 * As many arguments as `limit args' lets a command have: a UID SEARCH
 * of many OR and UID terms has hundreds at the top level.  policyd is
 * sent the first POLICY_ARGS_MAX (verdict.c), all a rule can name.
 */
#define IMAP_ARGS_MAX		WORKER_ARGS_MAX
#define IMAP_ARGS_MASK		"***"

struct imap_args {
	struct rules_arg	*val;		/* n of them, room for cap */
	struct rules_arg	*raw;
	size_t			 n;
	size_t			 cap;
	int			 masked;	/* index masked in val, or -1 */
	struct buf		 text;
};

void	 imap_args_init(struct imap_args *);
void	 imap_args_free(struct imap_args *);
/*
 * The arguments of the command whose tokens are tok[0..ntok) (TAG, name
 * first); plus: the literal that ends them is a {n+} going out as such.
 * 0, or -1 (more than IMAP_ARGS_MAX, or no memory).
 */
int	 imap_args_parse(struct imap_args *, const struct imap_token *,
	    unsigned int, int);
/*
 * "tag NAME args" with the secret masked, for the audit: the length
 * written (cut at size - 1, NUL-terminated).
 */
size_t	 imap_args_masked_line(const struct imap_args *, const char *,
	    const char *, char *, size_t);

#endif
