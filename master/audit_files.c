/*
 * Audit log files and their keys (audit_files.h).  Everything here runs
 * as root in the master; the worker only ever sees one descriptor.
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

#include "audit_chain.h"
#include "audit_files.h"
#include "audit_store.h"
#include "clock.h"
#include "log.h"
#include "privdrop.h"

/* What the master knows of the segments it began for one slot. */
/*
 * The two paths are strings of their own, made with the segment: as
 * PATH_MAX arrays, copied whole, they made a slot 16 KiB that posternd
 * wrote for every worker slot (README, Performance).
 */
struct seginfo {
	char			 seg[AUDIT_SEG_SIZE];	/* "" none */
	char			*keydir;		/* NULL with seg "" */
	struct audit_anchor	 anchor;
	/*
	 * Until its first record is on disk (the worker's first anchor), a
	 * segment is not chained: a worker that died before it wrote one
	 * leaves no gap for verify to find.
	 */
	int			 written;
	/* anchor is newer than its file: written by anchors_write(). */
	int			 dirty;
	char			 prev[AUDIT_SEG_SIZE];
	char			*current;	/* <log>.current; NULL with seg "" */
	struct stat		 st;			/* of the log file */
};

struct slotinfo {
	struct seginfo		 cur, old;	/* old: before a rotation */
};

static char		 dir[PATH_MAX];		/* "" no logs */
static char		 keydir[PATH_MAX];
static uint64_t		 max_size;
static struct slotinfo	*slots;
static size_t		 nslots;
/* When keys and anchors began to wait for audit_files_sync(), ms. */
static int64_t		 sync_since;
/* Segments whose anchor waits for anchors_write(). */
static size_t		 ndirty;

static int	 inside(const char *, const char *);
static int	 keydir_make(void);
static struct slotinfo *slot_info(int);
static int	 current_read(const char *, const struct stat *, char *);
static int	 current_write(const char *, const char *, const struct stat *);
static void	 chain_to(const char *, const char *, struct slotinfo *);
static void	 anchor_due(struct seginfo *);
static void	 anchor_flush(struct seginfo *);
static void	 anchors_write(void);

/* Real path a is b or below it. */
static int
inside(const char *a, const char *b)
{
	size_t	 n = strlen(b);

	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int
audit_files_check(const struct conf *c)
{
	char		 real[PATH_MAX], other[PATH_MAX];
	const char	*jails[2] = { c->chroot, c->policy_store };
	size_t		 i;

	if (c->audit_dir[0] == '\0')
		return 0;
	/* Root's all the way down, as a chroot must be. */
	if (privdrop_checkdir(c->audit_dir) == -1) {
		log_warnx("audit dir %s: %s", c->audit_dir, privdrop_error());
		return -1;
	}
	if (realpath(c->audit_dir, real) == NULL) {
		log_warn("audit dir %s", c->audit_dir);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (jails[i][0] == '\0' || realpath(jails[i], other) == NULL)
			continue;
		if (inside(real, other) || inside(other, real)) {
			log_warnx("audit dir %s: shares a tree with %s, where "
			    "a confined process lives", c->audit_dir,
			    jails[i]);
			return -1;
		}
	}
	return 0;
}

void
audit_files_configure(const struct conf *c)
{
	int	 n;

	/* What the old directory holds is made durable first. */
	audit_files_sync();
	audit_store_defer(1);
	dir[0] = keydir[0] = '\0';
	if (c->audit_dir[0] == '\0')
		return;
	if (sodium_init() == -1)
		fatalx("audit: libsodium failed to initialise");
	n = snprintf(keydir, sizeof(keydir), "%s/keys", c->audit_dir);
	if (n < 0 || (size_t)n >= sizeof(keydir)) {
		log_warnx("audit dir %s: name too long", c->audit_dir);
		keydir[0] = '\0';
		return;
	}
	(void)snprintf(dir, sizeof(dir), "%s", c->audit_dir);
	max_size = c->audit_max_size;
}

void
audit_files_sync(void)
{
	anchors_write();
	if (!audit_store_pending())
		return;
	if (keydir[0] != '\0' && audit_store_sync(keydir) == -1)
		log_warn("audit: syncfs of %s", keydir);
	sync_since = 0;
}

int
audit_files_maintain(void)
{
	int64_t	 now;

	if (!audit_store_pending() && ndirty == 0)
		return -1;
	now = now_ms();
	if (sync_since == 0)
		sync_since = now;
	if (now - sync_since < AUDIT_SYNC_MS)
		return (int)(sync_since + AUDIT_SYNC_MS - now);
	audit_files_sync();
	return -1;
}

int
audit_files_enabled(void)
{
	return dir[0] != '\0';
}

uint64_t
audit_files_max_size(void)
{
	return audit_files_enabled() ? max_size : 0;
}

/* Made when missing; only ever root's, whatever it was made as. */
static int
keydir_make(void)
{
	struct stat	 st;

	if (mkdir(keydir, 0700) == -1 && errno != EEXIST) {
		log_warn("audit keys %s", keydir);
		return -1;
	}
	if (lstat(keydir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("audit keys %s: not a directory", keydir);
		return -1;
	}
	if ((st.st_uid != 0 && chown(keydir, 0, 0) == -1) ||
	    ((st.st_mode & 07777) != 0700 && chmod(keydir, 0700) == -1)) {
		log_warn("audit keys %s", keydir);
		return -1;
	}
	return 0;
}

static struct slotinfo *
slot_info(int slot)
{
	size_t	 n;

	if ((size_t)slot >= nslots) {
		n = (size_t)slot + 16;
		if ((slots = reallocarray(slots, n, sizeof(*slots))) == NULL)
			fatal("%s", __func__);
		memset(slots + nslots, 0, (n - nslots) * sizeof(*slots));
		nslots = n;
	}
	return &slots[slot];
}

/* The segment last begun in the file st is, if the record says so. */
static int
current_read(const char *path, const struct stat *st, char *seg)
{
	FILE		*fp;
	char		 id[32];
	uintmax_t	 dev, ino;
	int		 n;

	seg[0] = '\0';
	if ((fp = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	n = fscanf(fp, "%31s %ju %ju", id, &dev, &ino);
	fclose(fp);
	if (n != 3 || !audit_seg_valid(id))
		return -1;
	if (dev == (uintmax_t)st->st_dev && ino == (uintmax_t)st->st_ino)
		memcpy(seg, id, AUDIT_SEG_SIZE);
	return 0;
}

static int
current_write(const char *path, const char *seg, const struct stat *st)
{
	char	 tmp[PATH_MAX];
	FILE	*fp;
	int	 n, fd;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	fprintf(fp, "%s %ju %ju\n", seg, (uintmax_t)st->st_dev,
	    (uintmax_t)st->st_ino);
	if (fflush(fp) == EOF || audit_store_fsync(fileno(fp)) == -1) {
		fclose(fp);
		return -1;
	}
	if (fclose(fp) == EOF || rename(tmp, path) == -1)
		return -1;
	return 0;
}

/* prev is followed by seg in the same file: its anchor says so. */
static void
chain_to(const char *prev, const char *seg, struct slotinfo *si)
{
	struct audit_anchor	 an;
	struct seginfo		*known = NULL;

	if (strcmp(si->cur.seg, prev) == 0)
		known = &si->cur;
	else if (strcmp(si->old.seg, prev) == 0)
		known = &si->old;
	if (known != NULL)
		an = known->anchor;
	else if (audit_anchor_read(keydir, prev, &an) == -1) {
		/* A master restarted after the anchor went: keep the rest. */
		memset(&an, 0, sizeof(an));
	}
	memcpy(an.next, seg, AUDIT_SEG_SIZE);
	if (known != NULL) {
		known->anchor = an;
		anchor_due(known);
	} else if (audit_anchor_write(keydir, prev, &an) == -1)
		log_warn("audit anchor of segment %s", prev);
}

/*
 * A worker anchors its segment at the end of every session: a file
 * written and renamed over the last each time was two fifths of
 * posternd's time in a run of short sessions (ext4 writes a file
 * renamed over another out at once).  The newest anchor of a segment is
 * written with the next sync instead, at most AUDIT_SYNC_MS later, as
 * durable as before; until then the file is behind its log, which
 * verify allows (posternd(8)).
 */
static void
anchor_due(struct seginfo *s)
{
	if (s->dirty)
		return;
	s->dirty = 1;
	ndirty++;
}

static void
anchor_flush(struct seginfo *s)
{
	if (!s->dirty)
		return;
	s->dirty = 0;
	ndirty--;
	if (audit_anchor_write(s->keydir, s->seg, &s->anchor) == -1)
		log_warn("audit anchor of segment %s", s->seg);
}

static void
anchors_write(void)
{
	size_t	 i;

	for (i = 0; i < nslots && ndirty > 0; i++) {
		anchor_flush(&slots[i].cur);
		anchor_flush(&slots[i].old);
	}
}

int
audit_files_open(int slot, int rotate, struct worker_audit *wa)
{
	struct slotinfo	*si;
	struct stat	 st;
	char		 path[PATH_MAX], cur[PATH_MAX], prev[AUDIT_SEG_SIZE];
	char		*kd = NULL, *cu = NULL;
	uint8_t		 id[AUDIT_SEG_LEN / 2];
	int		 fd;

	if (!audit_files_enabled())
		return -1;
	memset(wa, 0, sizeof(*wa));
	if (keydir_make() == -1)
		return -1;
	(void)snprintf(wa->log, sizeof(wa->log), "worker-%02d.log", slot);
	if (snprintf(path, sizeof(path), "%s/%s", dir, wa->log) >=
	    (int)sizeof(path) || snprintf(cur, sizeof(cur), "%s/%s.current",
	    keydir, wa->log) >= (int)sizeof(cur)) {
		log_warnx("audit log %s/%s: name too long", dir, wa->log);
		return -1;
	}
	if ((kd = strdup(keydir)) == NULL || (cu = strdup(cur)) == NULL) {
		log_warn("audit log %s", path);
		free(kd);
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("audit log %s", path);
		free(kd);
		free(cu);
		return -1;
	}
	/* Nobody else's file, and nothing but a file, gets our records. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0 || st.st_nlink != 1) {
		log_warnx("audit log %s: not a regular file of root's, mode "
		    "0600, with one link", path);
		close(fd);
		free(kd);
		free(cu);
		return -1;
	}
	if ((uint64_t)st.st_size >= max_size)
		log_warnx("audit log %s: %jd bytes, max-size is %ju: the "
		    "worker will be killed at its first record; rotate the log",
		    path, (intmax_t)st.st_size, (uintmax_t)max_size);
	if (current_read(cur, &st, prev) == -1)
		log_warnx("audit log %s: %s is unreadable: the segment "
		    "starts the chain anew", path, cur);
	randombytes_buf(id, sizeof(id));
	audit_hex(id, sizeof(id), wa->seg);
	randombytes_buf(wa->key, sizeof(wa->key));
	if (audit_key_write(keydir, wa->seg, wa->key) == -1) {
		log_warn("audit key of %s in %s", path, keydir);
		sodium_memzero(wa, sizeof(*wa));
		close(fd);
		free(kd);
		free(cu);
		return -1;
	}
	memcpy(wa->prev, prev, AUDIT_SEG_SIZE);
	si = slot_info(slot);
	anchor_flush(&si->old);
	free(si->old.keydir);
	free(si->old.current);
	si->old = si->cur;
	memset(&si->cur, 0, sizeof(si->cur));
	memcpy(si->cur.seg, wa->seg, AUDIT_SEG_SIZE);
	si->cur.keydir = kd;
	memcpy(si->cur.prev, prev, AUDIT_SEG_SIZE);
	si->cur.current = cu;
	si->cur.st = st;
	if (audit_anchor_write(keydir, wa->seg, &si->cur.anchor) == -1)
		log_warn("audit anchor of segment %s", wa->seg);
	wa->rotate = rotate != 0;
	log_debug("audit log %s: segment %s%s%s", path, wa->seg,
	    prev[0] ? " after " : "", prev);
	return fd;
}

int
audit_files_anchor(int slot, const struct worker_audit_anchor *m)
{
	struct slotinfo	*si;
	struct seginfo	*s = NULL;

	if (slot < 0 || memchr(m->seg, '\0', sizeof(m->seg)) == NULL ||
	    !audit_seg_valid(m->seg))
		return -1;
	si = slot_info(slot);
	if (si->cur.seg[0] != '\0' && strcmp(si->cur.seg, m->seg) == 0)
		s = &si->cur;
	else if (si->old.seg[0] != '\0' && strcmp(si->old.seg, m->seg) == 0)
		s = &si->old;
	if (s == NULL)
		return -1;
	/* A log only grows; a worker that says otherwise is lying. */
	if (m->records < s->anchor.records)
		return -1;
	s->anchor.records = m->records;
	memcpy(s->anchor.mac, m->mac, sizeof(s->anchor.mac));
	anchor_due(s);
	if (!s->written && m->records > 0) {
		s->written = 1;
		if (s->prev[0] != '\0')
			chain_to(s->prev, s->seg, si);
		if (current_write(s->current, s->seg, &s->st) == -1)
			log_warn("audit %s", s->current);
	}
	return 0;
}
