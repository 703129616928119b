/*
 * The command table.  States per RFC 3501 and RFC 9051 section 6 and the
 * extensions' own RFCs; ENABLE is valid only before SELECT (RFC 5161
 * section 3.1), though Dovecot accepts it after.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_cmd.h"

#define NA	IMAP_STB(IMAP_ST_NOTAUTH)
#define AU	IMAP_STB(IMAP_ST_AUTH)
#define SE	IMAP_STB(IMAP_ST_SELECTED)
#define ANY	IMAP_ST_ANY

#define MAILBOX_DATA	"EXISTS RECENT EXPUNGE FETCH VANISHED"

/* Sorted by name: searched with bsearch. */
static const struct imap_cmd_desc cmds[] = {
	{ "APPEND",	AU | SE, IMAP_CMDF_APPEND, "" },
	{ "AUTHENTICATE", NA, IMAP_CMDF_LOGIN | IMAP_CMDF_AUTHENTICATE,
	    "CAPABILITY" },
	{ "CAPABILITY",	ANY, 0, "CAPABILITY" },
	{ "CHECK",	SE, 0, MAILBOX_DATA },
	{ "CLOSE",	SE, IMAP_CMDF_UNSELECT, "" },
	{ "COMPRESS",	AU | SE, IMAP_CMDF_COMPRESS, "" },
	{ "COPY",	SE, IMAP_CMDF_UID, "" },
	{ "CREATE",	AU | SE, 0, "" },
	{ "DELETE",	AU | SE, 0, "" },
	{ "DELETEACL",	AU | SE, 0, "" },
	{ "ENABLE",	AU, IMAP_CMDF_ENABLE, "ENABLED OK" },
	{ "EXAMINE",	AU | SE, IMAP_CMDF_SELECT,
	    "FLAGS OK LIST " MAILBOX_DATA },
	{ "EXPUNGE",	SE, IMAP_CMDF_UID, "EXPUNGE VANISHED" },
	{ "FETCH",	SE, IMAP_CMDF_UID, "FETCH VANISHED" },
	{ "GETACL",	AU | SE, 0, "ACL" },
	{ "GETMETADATA", AU | SE, 0, "METADATA" },
	{ "GETQUOTA",	AU | SE, 0, "QUOTA" },
	{ "GETQUOTAROOT", AU | SE, 0, "QUOTAROOT QUOTA" },
	{ "ID",		ANY, 0, "ID" },
	{ "IDLE",	AU | SE, IMAP_CMDF_IDLE, MAILBOX_DATA },
	{ "LIST",	AU | SE, 0, "LIST STATUS" },
	{ "LISTRIGHTS",	AU | SE, 0, "LISTRIGHTS" },
	{ "LOGIN",	NA, IMAP_CMDF_LOGIN, "CAPABILITY" },
	{ "LOGOUT",	ANY, IMAP_CMDF_LOGOUT, "BYE" },
	{ "LSUB",	AU | SE, 0, "LSUB" },
	{ "MOVE",	SE, IMAP_CMDF_UID, "EXPUNGE VANISHED" },
	{ "MYRIGHTS",	AU | SE, 0, "MYRIGHTS" },
	{ "NAMESPACE",	AU | SE, 0, "NAMESPACE" },
	{ "NOOP",	ANY, 0, MAILBOX_DATA },
	{ "NOTIFY",	AU | SE, 0, "" },
	{ "RENAME",	AU | SE, 0, "" },
	{ "SEARCH",	SE, IMAP_CMDF_UID, "SEARCH ESEARCH" },
	{ "SELECT",	AU | SE, IMAP_CMDF_SELECT,
	    "FLAGS OK LIST " MAILBOX_DATA },
	{ "SETACL",	AU | SE, 0, "" },
	{ "SETMETADATA", AU | SE, 0, "" },
	{ "SETQUOTA",	AU | SE, 0, "QUOTA" },
	{ "SORT",	SE, IMAP_CMDF_UID, "SORT ESEARCH" },
	{ "STARTTLS",	NA, IMAP_CMDF_STARTTLS, "" },
	{ "STATUS",	AU | SE, 0, "STATUS" },
	{ "STORE",	SE, IMAP_CMDF_UID, "FETCH" },
	{ "SUBSCRIBE",	AU | SE, 0, "" },
	{ "THREAD",	SE, IMAP_CMDF_UID, "THREAD" },
	{ "UID",	SE, 0, "" },
	{ "UNAUTHENTICATE", AU | SE, IMAP_CMDF_UNAUTH, "" },
	{ "UNSELECT",	SE, IMAP_CMDF_UNSELECT, "" },
	{ "UNSUBSCRIBE", AU | SE, 0, "" },
};

struct key {
	const char	*s;
	size_t		 len;
};

static int
cmp(const void *a, const void *b)
{
	const struct key		*k = a;
	const struct imap_cmd_desc	*d = b;
	size_t				 n = strlen(d->name);
	int				 r;

	r = strncasecmp(k->s, d->name, k->len < n ? k->len : n);
	if (r != 0)
		return r;
	return k->len < n ? -1 : k->len > n;
}

const struct imap_cmd_desc *
imap_cmd_lookup(const char *name, size_t len)
{
	struct key	 k = { name, len };

	return bsearch(&k, cmds, sizeof(cmds) / sizeof(cmds[0]),
	    sizeof(cmds[0]), cmp);
}

int
imap_cmd_valid_in(const char *cmd, enum imap_state st)
{
	const struct imap_cmd_desc	*d;
	const char			*sp;

	if ((sp = strchr(cmd, ' ')) != NULL) {
		if (sp - cmd != 3 || strncasecmp(cmd, "UID", 3) != 0)
			return -1;
		if ((d = imap_cmd_lookup(sp + 1, strlen(sp + 1))) == NULL)
			return -1;
		if (!(d->flags & IMAP_CMDF_UID))
			return 0;
	} else if ((d = imap_cmd_lookup(cmd, strlen(cmd))) == NULL)
		return -1;
	return (d->states & IMAP_STB(st)) != 0;
}

int
imap_cmd_solicits(const struct imap_cmd_desc *d, const char *resp)
{
	const char	*p = d->resp;
	size_t		 n = strlen(resp);

	if (n == 0)
		return 0;
	while ((p = strstr(p, resp)) != NULL) {
		if ((p == d->resp || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

const char *
imap_state_str(enum imap_state st)
{
	switch (st) {
	case IMAP_ST_GREETING:
		return "greeting";
	case IMAP_ST_NOTAUTH:
		return "not authenticated";
	case IMAP_ST_AUTH:
		return "authenticated";
	case IMAP_ST_SELECTED:
		return "selected";
	case IMAP_ST_LOGOUT:
		return "logout";
	}
	return "?";
}
