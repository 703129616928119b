/*
 * Key and anchor files of the audit chain (audit_store.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "audit_store.h"

static int
seg_path(char *path, size_t len, const char *keydir, const char *seg,
    const char *suffix)
{
	int	 n;

	if (!audit_seg_valid(seg)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(path, len, "%s/%s%s", keydir, seg, suffix);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int	 deferred;	/* audit_store_defer() */
static int	 pending;	/* written, not yet synced */

void
audit_store_defer(int on)
{
	deferred = on;
}

int
audit_store_fsync(int fd)
{
	if (deferred) {
		pending = 1;
		return 0;
	}
	return fsync(fd);
}

int
audit_store_pending(void)
{
	return pending;
}

int
audit_store_sync(const char *dir)
{
	int	 fd, rv, saved;

	if (!pending)
		return 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rv = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	if (rv == 0)
		pending = 0;
	return rv;
}

/* Written whole and synced (or noted, deferred), or not there at all. */
static int
write_file(const char *path, const void *p, size_t len, int excl)
{
	char	 tmp[PATH_MAX];
	int	 fd, saved, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(excl ? path : tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC | (excl ? O_EXCL : 0), 0600)) == -1)
		return -1;
	if (write_all(fd, p, len) == -1 || audit_store_fsync(fd) == -1) {
		saved = errno;
		close(fd);
		(void)unlink(excl ? path : tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1)
		return -1;
	if (!excl && rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int
audit_key_write(const char *keydir, const char *seg,
    const uint8_t key[AUDIT_KEY_LEN])
{
	char	 path[PATH_MAX];

	if (seg_path(path, sizeof(path), keydir, seg, ".key") == -1)
		return -1;
	return write_file(path, key, AUDIT_KEY_LEN, 1);
}

int
audit_key_read(const char *keydir, const char *seg,
    uint8_t key[AUDIT_KEY_LEN])
{
	char	 path[PATH_MAX];
	uint8_t	 extra;
	ssize_t	 n;
	int	 fd, saved;

	if (seg_path(path, sizeof(path), keydir, seg, ".key") == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, key, AUDIT_KEY_LEN);
	saved = errno;
	if (n == AUDIT_KEY_LEN && read(fd, &extra, 1) != 0)
		n = -1, saved = EINVAL;
	else if (n >= 0 && n != AUDIT_KEY_LEN)
		n = -1, saved = EINVAL;
	close(fd);
	if (n == -1) {
		sodium_memzero(key, AUDIT_KEY_LEN);
		errno = saved;
		return -1;
	}
	return 0;
}

int
audit_anchor_write(const char *keydir, const char *seg,
    const struct audit_anchor *a)
{
	char	 path[PATH_MAX], text[256], mac[AUDIT_MAC_HEX + 1];
	int	 n;

	if (seg_path(path, sizeof(path), keydir, seg, ".anchor") == -1)
		return -1;
	if (a->next[0] != '\0' && !audit_seg_valid(a->next)) {
		errno = EINVAL;
		return -1;
	}
	audit_hex(a->mac, sizeof(a->mac), mac);
	n = snprintf(text, sizeof(text), "records %" PRIu64 "\nmac %s\n"
	    "next %s\n", a->records, mac, a->next[0] ? a->next : "-");
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = EINVAL;
		return -1;
	}
	return write_file(path, text, (size_t)n, 0);
}

int
audit_anchor_read(const char *keydir, const char *seg, struct audit_anchor *a)
{
	char		 path[PATH_MAX], mac[AUDIT_MAC_HEX + 2], next[32];
	FILE		*fp;
	uint64_t	 records;
	int		 n, c;

	memset(a, 0, sizeof(*a));
	if (seg_path(path, sizeof(path), keydir, seg, ".anchor") == -1)
		return -1;
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fscanf(fp, "records %" SCNu64 "\nmac %65s\nnext %31s\n",
	    &records, mac, next);
	c = getc(fp);
	fclose(fp);
	if (n != 3 || c != EOF || strlen(mac) != AUDIT_MAC_HEX ||
	    audit_unhex(mac, AUDIT_MAC_LEN, a->mac) == -1 ||
	    (strcmp(next, "-") != 0 && !audit_seg_valid(next))) {
		errno = EINVAL;
		return -1;
	}
	a->records = records;
	if (strcmp(next, "-") != 0)
		memcpy(a->next, next, AUDIT_SEG_SIZE);
	return 0;
}
