/* Capability names the engine knows, and filtering capability lists. */
#include <string.h>
#include <strings.h>

#include "imap_caps.h"

static const struct {
	const char	*name;
	uint64_t	 bit;
} capnames[] = {
	{ "IMAP4REV1",		IMAP_CAP_IMAP4REV1 },
	{ "IMAP4REV2",		IMAP_CAP_IMAP4REV2 },
	{ "LITERAL+",		IMAP_CAP_LITERALPLUS },
	{ "LITERAL-",		IMAP_CAP_LITERALMINUS },
	{ "IDLE",		IMAP_CAP_IDLE },
	{ "STARTTLS",		IMAP_CAP_STARTTLS },
	{ "COMPRESS=DEFLATE",	IMAP_CAP_COMPRESS },
	{ "SASL-IR",		IMAP_CAP_SASLIR },
	{ "BINARY",		IMAP_CAP_BINARY },
	{ "MULTIAPPEND",	IMAP_CAP_MULTIAPPEND },
	{ "CATENATE",		IMAP_CAP_CATENATE },
	{ "LOGINDISABLED",	IMAP_CAP_LOGINDISABLED },
	{ "UTF8=ACCEPT",	IMAP_CAP_UTF8ACCEPT },
	{ "CONDSTORE",		IMAP_CAP_CONDSTORE },
	{ "QRESYNC",		IMAP_CAP_QRESYNC },
	{ "ACL",		IMAP_CAP_ACL },
	{ "QUOTA",		IMAP_CAP_QUOTA },
	{ "METADATA",		IMAP_CAP_METADATA },
	{ "METADATA-SERVER",	IMAP_CAP_METADATA_SERVER },
	{ "NOTIFY",		IMAP_CAP_NOTIFY },
	{ "URLAUTH",		IMAP_CAP_URLAUTH },
	{ "URLAUTH=BINARY",	IMAP_CAP_URLAUTH_BINARY },
	{ "MOVE",		IMAP_CAP_MOVE },
	{ "UIDPLUS",		IMAP_CAP_UIDPLUS },
	{ "ESEARCH",		IMAP_CAP_ESEARCH },
	{ "SEARCHRES",		IMAP_CAP_SEARCHRES },
	{ "SORT",		IMAP_CAP_SORT },
	{ "SORT=DISPLAY",	IMAP_CAP_SORT_DISPLAY },
	{ "THREAD=ORDEREDSUBJECT",	IMAP_CAP_THREAD_ORDEREDSUBJECT },
	{ "THREAD=REFERENCES",	IMAP_CAP_THREAD_REFERENCES },
	{ "THREAD=REFS",	IMAP_CAP_THREAD_REFS },
	{ "LIST-EXTENDED",	IMAP_CAP_LIST_EXTENDED },
	{ "LIST-STATUS",	IMAP_CAP_LIST_STATUS },
	{ "SPECIAL-USE",	IMAP_CAP_SPECIAL_USE },
	{ "CREATE-SPECIAL-USE",	IMAP_CAP_CREATE_SPECIAL_USE },
	{ "ID",			IMAP_CAP_ID },
	{ "NAMESPACE",		IMAP_CAP_NAMESPACE },
	{ "UNSELECT",		IMAP_CAP_UNSELECT },
	{ "ENABLE",		IMAP_CAP_ENABLE },
	{ "CHILDREN",		IMAP_CAP_CHILDREN },
	{ "MULTISEARCH",	IMAP_CAP_MULTISEARCH },
	{ "CONTEXT=SEARCH",	IMAP_CAP_CONTEXT_SEARCH },
	{ "CONTEXT=SORT",	IMAP_CAP_CONTEXT_SORT },
	{ "ESORT",		IMAP_CAP_ESORT },
	{ "WITHIN",		IMAP_CAP_WITHIN },
	{ "FUZZY",		IMAP_CAP_FUZZY },
	{ "I18NLEVEL=1",	IMAP_CAP_I18NLEVEL1 },
	{ "I18NLEVEL=2",	IMAP_CAP_I18NLEVEL2 },
	{ "STATUS=SIZE",	IMAP_CAP_STATUS_SIZE },
	{ "SAVEDATE",		IMAP_CAP_SAVEDATE },
	{ "OBJECTID",		IMAP_CAP_OBJECTID },
	{ "PREVIEW",		IMAP_CAP_PREVIEW },
	{ "SNIPPET=FUZZY",	IMAP_CAP_SNIPPET_FUZZY },
	{ "XLIST",		IMAP_CAP_XLIST },
	{ "LOGIN-REFERRALS",	IMAP_CAP_LOGIN_REFERRALS },
	{ "UNAUTHENTICATE",	IMAP_CAP_UNAUTHENTICATE },
	{ "APPENDLIMIT",	IMAP_CAP_APPENDLIMIT },
	{ "UTF8=ONLY",		IMAP_CAP_UTF8ONLY },
	{ "QUOTASET",		IMAP_CAP_QUOTASET },
};

uint64_t
imap_cap_bit(const uint8_t *p, size_t len)
{
	size_t	 i;

	/* RFC 7889: the limit itself is of no concern to the grammar */
	if (len > 12 && strncasecmp((const char *)p, "APPENDLIMIT=", 12) == 0)
		return IMAP_CAP_APPENDLIMIT;

	for (i = 0; i < sizeof(capnames) / sizeof(capnames[0]); i++)
		if (strlen(capnames[i].name) == len &&
		    strncasecmp((const char *)p, capnames[i].name, len) == 0)
			return capnames[i].bit;
	return 0;
}

int
imap_caps_find(const struct imap_token *tok, unsigned int ntok,
    unsigned int *first, unsigned int *last)
{
	unsigned int	 i;

	if (ntok < 2)
		return 0;
	if (tok[0].type == IMAP_TOK_STAR && tok[1].type == IMAP_TOK_ATOM &&
	    imap_tok_is(&tok[1], "CAPABILITY"))
		i = 2;
	else {
		/* "* OK [" and "tag OK [": the code is always tok[2] */
		if (ntok < 4 || tok[2].type != IMAP_TOK_CODE_BEGIN ||
		    tok[3].type != IMAP_TOK_ATOM ||
		    !imap_tok_is(&tok[3], "CAPABILITY"))
			return 0;
		i = 4;
	}
	*first = i;
	while (i < ntok && tok[i].type == IMAP_TOK_ATOM)
		i++;
	*last = i;
	return 1;
}

int
imap_caps_filter(const struct imap_event *ev, const struct imap_token *tok,
    unsigned int ntok, int (*keep)(const struct imap_token *, void *),
    void *arg, uint8_t *out, size_t size)
{
	const uint8_t	*pos = ev->raw, *end = ev->raw + ev->rawlen;
	size_t		 len = 0, n;
	unsigned int	 i, first, last;

	if (ev->seg != 0 || !imap_caps_find(tok, ntok, &first, &last))
		first = last = 0;
	for (i = first; i < last; i++) {
		if (keep(&tok[i], arg))
			continue;
		/* drop " CAP": the space before it goes too */
		n = (size_t)(tok[i].p - 1 - pos);
		if (n > size - len)
			return -1;
		memcpy(out + len, pos, n);
		len += n;
		pos = tok[i].p + tok[i].len;
	}
	n = (size_t)(end - pos);
	if (n > size - len)
		return -1;
	memcpy(out + len, pos, n);
	return (int)(len + n);
}
