/*
 * The audit log verifier (audit_verify.h).  Within a segment, record n
 * must follow record n - 1 and carry the MAC of key n; a segment begins
 * with record 0, an "open" or "rotate" record that names the segment
 * before it in the file (prev), and ends no earlier than its anchor says.
 * The first key comes from the key directory, so nothing in the log
 * itself is trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit_json.h"
#include "audit_verify.h"

static int	 fail(struct audit_verify *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 segment_close(struct audit_verify *, const char *);
static int	 segment_open(struct audit_verify *, const char *, size_t,
		    const struct audit_line *);

void
audit_verify_init(struct audit_verify *v, const char *keydir)
{
	memset(v, 0, sizeof(*v));
	v->keydir = keydir;
}

void
audit_verify_clear(struct audit_verify *v)
{
	sodium_memzero(v->key, sizeof(v->key));
}

static int
fail(struct audit_verify *v, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(v->error, sizeof(v->error), fmt, ap);
	va_end(ap);
	audit_verify_clear(v);
	return -1;
}

/* The segment under way is over; nextseg begins at v->line, or NULL: EOF. */
static int
segment_close(struct audit_verify *v, const char *nextseg)
{
	if (!v->inseg)
		return 0;
	if (v->anchored && v->next < v->anchor.records)
		return fail(v, "line %lu: segment %s ends after record "
		    "%" PRIu64 " but its anchor counts %" PRIu64 " records: "
		    "records %" PRIu64 " to %" PRIu64 " were removed "
		    "(the log was cut)", nextseg ? v->line : v->line + 1,
		    v->seg, v->next - 1, v->anchor.records, v->next,
		    v->anchor.records - 1);
	if (v->anchored && v->anchor.next[0] != '\0') {
		if (nextseg == NULL)
			return fail(v, "line %lu: end of file, but segment "
			    "%s is followed by segment %s: the log was cut",
			    v->line + 1, v->seg, v->anchor.next);
		if (strcmp(nextseg, v->anchor.next) != 0)
			return fail(v, "line %lu: segment %s begins where "
			    "segment %s was expected after segment %s: a "
			    "segment was removed or moved", v->line, nextseg,
			    v->anchor.next, v->seg);
	}
	v->inseg = 0;
	return 0;
}

static int
segment_open(struct audit_verify *v, const char *s, size_t len,
    const struct audit_line *l)
{
	char	 event[16], prev[64];
	int	 rc;

	if (audit_json_get(s, len, "event", event, sizeof(event)) !=
	    1 || (strcmp(event, "open") != 0 && strcmp(event, "rotate") != 0))
		return fail(v, "line %lu: record 0 of segment %s is not an "
		    "open or rotate record", v->line, l->seg);
	if (audit_json_get(s, len, "prev", prev, sizeof(prev)) != 1)
		return fail(v, "line %lu: record 0 of segment %s has no prev",
		    v->line, l->seg);
	if (strcmp(prev, v->segments ? v->seg : "") != 0) {
		if (v->segments == 0)
			return fail(v, "line %lu: segment %s follows segment "
			    "%s, which is not in this file: the records "
			    "before line %lu were removed", v->line, l->seg,
			    prev, v->line);
		return fail(v, "line %lu: segment %s follows segment %s, "
		    "not %s: a segment was removed or moved", v->line, l->seg,
		    prev[0] ? prev : "(none)", v->seg);
	}
	if (audit_key_read(v->keydir, l->seg, v->key) == -1)
		return fail(v, "line %lu: segment %s: key %s/%s.key: %s",
		    v->line, l->seg, v->keydir, l->seg, strerror(errno));
	rc = audit_anchor_read(v->keydir, l->seg, &v->anchor);
	if (rc == -1 && errno != ENOENT)
		return fail(v, "line %lu: segment %s: anchor %s/%s.anchor: "
		    "%s", v->line, l->seg, v->keydir, l->seg,
		    strerror(errno));
	v->anchored = rc == 0;
	if (v->segments == 0 && audit_json_get(s, len, "log", v->log,
	    sizeof(v->log)) != 1)
		v->log[0] = '\0';
	memcpy(v->seg, l->seg, sizeof(v->seg));
	v->seg_line = v->line;
	v->next = 0;
	v->inseg = 1;
	v->segments++;
	return 0;
}

int
audit_verify_line(struct audit_verify *v, const char *s, size_t len)
{
	struct audit_line	 l;
	uint8_t			 mac[AUDIT_MAC_LEN];

	v->line++;
	if (audit_line_parse(s, len, &l) == -1)
		return fail(v, "line %lu: not an audit record (changed, cut "
		    "or inserted)", v->line);
	if (l.seq == 0) {
		if (segment_close(v, l.seg) == -1 ||
		    segment_open(v, s, len, &l) == -1)
			return -1;
	} else if (!v->inseg)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s, "
		    "but its record 0 is missing: records before it were "
		    "removed", v->line, l.seq, l.seg);
	else if (strcmp(l.seg, v->seg) != 0)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s "
		    "where record %" PRIu64 " of segment %s was expected: "
		    "records removed, reordered or inserted", v->line, l.seq,
		    l.seg, v->next, v->seg);
	if (l.seq > v->next)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s "
		    "where record %" PRIu64 " was expected: records removed "
		    "or reordered", v->line, l.seq, v->seg, v->next);
	if (l.seq < v->next)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s "
		    "again after record %" PRIu64 ": records reordered or "
		    "inserted", v->line, l.seq, v->seg, v->next - 1);
	audit_mac(v->key, s, l.bodylen, mac);
	if (sodium_memcmp(mac, l.mac, sizeof(mac)) != 0)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s: "
		    "MAC mismatch: the record was changed or inserted",
		    v->line, l.seq, v->seg);
	if (v->anchored && v->anchor.records == l.seq + 1 &&
	    sodium_memcmp(mac, v->anchor.mac, sizeof(mac)) != 0)
		return fail(v, "line %lu: record %" PRIu64 " of segment %s "
		    "differs from its anchor", v->line, l.seq, v->seg);
	audit_evolve(v->key);
	v->next++;
	v->records++;
	return 0;
}

int
audit_verify_end(struct audit_verify *v, const char *last)
{
	char	 seg[AUDIT_SEG_SIZE];
	int	 had = v->inseg;

	memcpy(seg, v->seg, sizeof(seg));
	if (segment_close(v, NULL) == -1)
		return -1;
	if (last != NULL && (!had || strcmp(seg, last) != 0))
		return fail(v, "line %lu: end of file, but the master last "
		    "began segment %s in this file: the log was cut",
		    v->line + 1, last);
	audit_verify_clear(v);
	return 0;
}
