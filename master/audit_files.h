/*
 * The master's side of the audit logs (DESIGN.md, "Audit logs"): one file
 * per pool slot, DIR/worker-NN.log, and beside it, out of every worker's
 * reach, DIR/keys/ with each segment's first key and anchor
 * (audit_store.h) and DIR/keys/worker-NN.log.current, the segment last
 * begun in that file.  The master opens a new segment whenever it gives
 * a slot's log to a worker: a fresh worker, or SIGUSR1.
 */
#ifndef POSTERN_MASTER_AUDIT_FILES_H
#define POSTERN_MASTER_AUDIT_FILES_H

#include <stdint.h>

#include "conf.h"
#include "proto_worker.h"

/* The directory is safe to use (root's, outside every chroot): 0, or -1. */
int	 audit_files_check(const struct conf *);
/* Logs go to conf's directory from now on, or nowhere. */
void	 audit_files_configure(const struct conf *);
int	 audit_files_enabled(void);
/* The most a worker may write to its log (RLIMIT_FSIZE); 0 without logs. */
uint64_t audit_files_max_size(void);
/*
 * A new segment of slot's log: its descriptor (O_APPEND, write only), and
 * in *wa its key, id and predecessor for MSG_W_AUDIT; the caller wipes
 * *wa once it is queued.  -1 (logged) when the file or key cannot be
 * made.
 */
int	 audit_files_open(int slot, int rotate, struct worker_audit *wa);
/* A worker's report on its segment; -1 when it is not that slot's. */
int	 audit_files_anchor(int slot, const struct worker_audit_anchor *);
/*
 * Keys, anchors and .current files are written at once but made durable
 * together, AUDIT_SYNC_MS after the first of them, by one syncfs(2)
 * (audit_store.h): audit_files_maintain() does it when due and says in
 * how many ms it is next, or -1; audit_files_sync() does it now.
 */
#define AUDIT_SYNC_MS	1000
int	 audit_files_maintain(void);
void	 audit_files_sync(void);

#endif
