/*
 * The command table.  States per RFC 3501 and RFC 9051 section 6 and the
 * extensions' own RFCs; ENABLE is valid only before SELECT (RFC 5161
 * section 3.1), though Dovecot accepts it after.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_caps.h"
#include "imap_cmd.h"

#define NA	IMAP_STB(IMAP_ST_NOTAUTH)
#define AU	IMAP_STB(IMAP_ST_AUTH)
#define SE	IMAP_STB(IMAP_ST_SELECTED)
#define ANY	IMAP_ST_ANY

#define MAILBOX_DATA	"EXISTS RECENT EXPUNGE FETCH VANISHED"

/* Sorted by name: searched with bsearch. */
#define META	(IMAP_CAP_METADATA | IMAP_CAP_METADATA_SERVER)
#define THREADS	(IMAP_CAP_THREAD_ORDEREDSUBJECT | IMAP_CAP_THREAD_REFERENCES | \
		 IMAP_CAP_THREAD_REFS)

/*
 * Sorted by name: searched with bsearch.  STARTTLS and COMPRESS have no
 * capability: postern answers them itself, whatever the upstream offers.
 */
static const struct imap_cmd_desc cmds[] = {
	{ "APPEND",	AU | SE, IMAP_CMDF_APPEND, "", 0 },
	{ "AUTHENTICATE", NA, IMAP_CMDF_LOGIN | IMAP_CMDF_AUTHENTICATE,
	    "CAPABILITY", 0 },
	{ "CAPABILITY",	ANY, 0, "CAPABILITY", 0 },
	{ "CHECK",	SE, 0, MAILBOX_DATA, 0 },
	{ "CLOSE",	SE, IMAP_CMDF_UNSELECT, "", 0 },
	{ "COMPRESS",	AU | SE, IMAP_CMDF_COMPRESS, "", 0 },
	{ "COPY",	SE, IMAP_CMDF_UID, "", 0 },
	{ "CREATE",	AU | SE, 0, "", 0 },
	{ "DELETE",	AU | SE, 0, "", 0 },
	{ "DELETEACL",	AU | SE, 0, "", IMAP_CAP_ACL },
	{ "ENABLE",	AU, IMAP_CMDF_ENABLE, "ENABLED OK", IMAP_CAP_ENABLE },
	{ "ESEARCH",	AU | SE, 0, "ESEARCH", IMAP_CAP_MULTISEARCH },
	{ "EXAMINE",	AU | SE, IMAP_CMDF_SELECT,
	    "FLAGS OK LIST " MAILBOX_DATA, 0 },
	{ "EXPUNGE",	SE, IMAP_CMDF_UID, "EXPUNGE VANISHED", 0 },
	{ "FETCH",	SE, IMAP_CMDF_UID, "FETCH VANISHED", 0 },
	{ "GENURLAUTH",	AU | SE, 0, "GENURLAUTH", IMAP_CAP_URLAUTH },
	{ "GETACL",	AU | SE, 0, "ACL", IMAP_CAP_ACL },
	{ "GETMETADATA", AU | SE, 0, "METADATA", META },
	{ "GETQUOTA",	AU | SE, 0, "QUOTA", IMAP_CAP_QUOTA },
	{ "GETQUOTAROOT", AU | SE, 0, "QUOTAROOT QUOTA", IMAP_CAP_QUOTA },
	{ "ID",		ANY, 0, "ID", IMAP_CAP_ID },
	{ "IDLE",	AU | SE, IMAP_CMDF_IDLE, MAILBOX_DATA, IMAP_CAP_IDLE },
	{ "LIST",	AU | SE, 0, "LIST STATUS", 0 },
	{ "LISTRIGHTS",	AU | SE, 0, "LISTRIGHTS", IMAP_CAP_ACL },
	{ "LOGIN",	NA, IMAP_CMDF_LOGIN, "CAPABILITY", 0 },
	{ "LOGOUT",	ANY, IMAP_CMDF_LOGOUT, "BYE", 0 },
	{ "LSUB",	AU | SE, 0, "LSUB", 0 },
	{ "MOVE",	SE, IMAP_CMDF_UID, "EXPUNGE VANISHED", IMAP_CAP_MOVE },
	{ "MYRIGHTS",	AU | SE, 0, "MYRIGHTS", IMAP_CAP_ACL },
	{ "NAMESPACE",	AU | SE, 0, "NAMESPACE", IMAP_CAP_NAMESPACE },
	{ "NOOP",	ANY, 0, MAILBOX_DATA, 0 },
	{ "NOTIFY",	AU | SE, 0, "", IMAP_CAP_NOTIFY },
	{ "RENAME",	AU | SE, 0, "", 0 },
	{ "RESETKEY",	AU | SE, 0, "", IMAP_CAP_URLAUTH },
	{ "SEARCH",	SE, IMAP_CMDF_UID, "SEARCH ESEARCH", 0 },
	{ "SELECT",	AU | SE, IMAP_CMDF_SELECT,
	    "FLAGS OK LIST " MAILBOX_DATA, 0 },
	{ "SETACL",	AU | SE, 0, "", IMAP_CAP_ACL },
	{ "SETMETADATA", AU | SE, 0, "", META },
	{ "SETQUOTA",	AU | SE, 0, "QUOTA", IMAP_CAP_QUOTA },
	{ "SORT",	SE, IMAP_CMDF_UID, "SORT ESEARCH", IMAP_CAP_SORT },
	{ "STARTTLS",	NA, IMAP_CMDF_STARTTLS, "", 0 },
	{ "STATUS",	AU | SE, 0, "STATUS", 0 },
	{ "STORE",	SE, IMAP_CMDF_UID, "FETCH", 0 },
	{ "SUBSCRIBE",	AU | SE, 0, "", 0 },
	{ "THREAD",	SE, IMAP_CMDF_UID, "THREAD", THREADS },
	{ "UID",	SE, 0, "", 0 },
	{ "UNAUTHENTICATE", AU | SE, IMAP_CMDF_UNAUTH, "",
	    IMAP_CAP_UNAUTHENTICATE },
	{ "UNSELECT",	SE, IMAP_CMDF_UNSELECT, "", IMAP_CAP_UNSELECT },
	{ "UNSUBSCRIBE", AU | SE, 0, "", 0 },
	{ "URLFETCH",	AU | SE, 0, "URLFETCH", IMAP_CAP_URLAUTH },
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
