/*
 * Placeholder for the audit writer (audit.h): every call does nothing
 * until the forward-secure writer replaces this file.
 */
#include <unistd.h>

#include "audit.h"

int
audit_open(int fd, const uint8_t key[AUDIT_KEY_LEN], uint32_t slot)
{
	(void)key;
	(void)slot;
	if (fd != -1)
		close(fd);
	return -1;
}

void
audit_session(const struct worker_session *s)
{
	(void)s;
}

void
audit_set_user(const char *user)
{
	(void)user;
}

void
audit_set_tls(int on, const char *version, const char *cipher,
    const char *sni)
{
	(void)on;
	(void)version;
	(void)cipher;
	(void)sni;
}

void
audit_set_tls_upstream(int on, const char *version, const char *cipher,
    const char *sni)
{
	(void)on;
	(void)version;
	(void)cipher;
	(void)sni;
}

void
audit_connect(void)
{
}

void
audit_verdict(const char *table, const char *key, const char *what,
    size_t whatlen, const struct policy_answer *ans, int cached)
{
	(void)table;
	(void)key;
	(void)what;
	(void)whatlen;
	(void)ans;
	(void)cached;
}

void
audit_state(const char *from, const char *to)
{
	(void)from;
	(void)to;
}

void
audit_disconnect(const char *reason, const struct worker_session_end *e)
{
	(void)reason;
	(void)e;
}

void
audit_flush(void)
{
}
