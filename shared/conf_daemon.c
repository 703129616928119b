/*
 * The statements that set up postern's processes rather than a session:
 * whom they run as and where (user, chroot), which program a worker is
 * (worker), how many workers a pool keeps (pool), where the audit logs
 * go (audit), and postern-policyd's store, threads, nice value and
 * trusted keys (policy), which policyctl reads here too.
 */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "proto_policy.h"
#include "signkey.h"

static int	 policy_trust(struct parser *, struct conf *);
static int	 policy_threads(struct parser *, struct conf *);
static int	 policy_nice(struct parser *, struct conf *);

int
conf_st_user(struct parser *p, struct conf *conf)
{
	struct passwd	*pw;

	if (conf_copy_word(p, "user name", conf->user,
	    sizeof(conf->user)) == -1)
		return -1;
	if ((pw = getpwnam(conf->user)) == NULL) {
		conf_error(p, p->line, "unknown user '%s'", conf->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		conf_error(p, p->line, "user '%s' is root: expected an "
		    "unprivileged user", conf->user);
		return -1;
	}
	conf->uid = pw->pw_uid;
	conf->gid = pw->pw_gid;
	return 0;
}

int
conf_st_chroot(struct parser *p, struct conf *conf)
{
	if (conf_copy_word(p, "directory", conf->chroot,
	    sizeof(conf->chroot)) == -1)
		return -1;
	if (conf->chroot[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	return 0;
}

/*
 * policy store DIR: the LMDB store postern-policyd answers from.
 * policy threads N|auto: how many threads of postern-policyd answer
 * (auto: one per core, at most POLICYD_THREADS_MAX).
 * policy nice N: postern-policyd's nice value, -20 to 19.
 * policy trust FILE: a public key whose signed rule bundles policyctl
 * import accepts; read now, so a missing or damaged key shows in -n.
 */
int
conf_st_policy(struct parser *p, struct conf *conf)
{
	char	*w = conf_next_word(p);

	if (w != NULL && strcmp(w, "trust") == 0)
		return policy_trust(p, conf);
	if (w != NULL && strcmp(w, "threads") == 0)
		return policy_threads(p, conf);
	if (w != NULL && strcmp(w, "nice") == 0)
		return policy_nice(p, conf);
	if (w == NULL || strcmp(w, "store") != 0) {
		conf_expected(p, "'store', 'threads', 'nice' or 'trust'");
		return -1;
	}
	if (conf_copy_word(p, "directory", conf->policy_store,
	    sizeof(conf->policy_store)) == -1)
		return -1;
	if (conf->policy_store[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	return 0;
}

uint32_t
conf_policy_threads(const struct conf *conf)
{
	long	 n;

	if (conf->policy_threads != 0)
		return conf->policy_threads;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return n > POLICYD_THREADS_MAX ? POLICYD_THREADS_MAX : (uint32_t)n;
}

static int
policy_threads(struct parser *p, struct conf *conf)
{
	char	*w;

	if ((w = conf_peek_word(p)) != NULL && strcmp(w, "auto") == 0) {
		(void)conf_next_word(p);
		conf->policy_threads = 0;
		return 0;
	}
	return conf_get_u32(p, "number of threads", UNIT_NONE, 1,
	    POLICYD_THREADS_MAX, &conf->policy_threads);
}

/* Negative, so not get_number(). */
static int
policy_nice(struct parser *p, struct conf *conf)
{
	char	*w, *end;
	long	 v;

	if ((w = conf_next_word(p)) == NULL) {
		conf_expected(p, "nice value from -20 to 19");
		return -1;
	}
	errno = 0;
	v = strtol(w, &end, 10);
	if (errno != 0 || end == w || *end != '\0' || v < -20 || v > 19) {
		conf_expected(p, "nice value from -20 to 19");
		return -1;
	}
	conf->policy_nice = (int32_t)v;
	return 0;
}

static int
policy_trust(struct parser *p, struct conf *conf)
{
	struct conf_trust	*t;
	char			 err[256];
	uint32_t		 i;

	if (conf->ntrust == CONF_TRUST_MAX) {
		conf_error(p, p->line, "expected at most %d 'policy trust' "
		    "keys", CONF_TRUST_MAX);
		return -1;
	}
	t = &conf->trust[conf->ntrust];
	if (conf_copy_word(p, "key file", t->path, sizeof(t->path)) == -1)
		return -1;
	if (t->path[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	if (signkey_read_pub(t->path, &t->key, err, sizeof(err)) == -1) {
		conf_error(p, p->line, "trust key %s: %s", t->path, err);
		return -1;
	}
	for (i = 0; i < conf->ntrust; i++)
		if (strcmp(conf->trust[i].key.id, t->key.id) == 0) {
			conf_error(p, p->line, "trust key %s: key %s already "
			    "trusted on line %d", t->path, t->key.id,
			    conf->trust[i].line);
			return -1;
		}
	t->line = p->line;
	conf->ntrust++;
	return 0;
}

/*
 * audit dir DIR [max-size SIZE]: the workers' audit logs and, in DIR/keys,
 * their keys; a worker whose log would pass SIZE is killed (SIGXFSZ).
 */
int
conf_st_audit(struct parser *p, struct conf *conf)
{
	char	*w = conf_next_word(p);

	if (w == NULL || strcmp(w, "dir") != 0) {
		conf_expected(p, "'dir'");
		return -1;
	}
	if (conf_copy_word(p, "directory", conf->audit_dir,
	    sizeof(conf->audit_dir)) == -1)
		return -1;
	if (conf->audit_dir[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	if ((w = conf_next_word(p)) == NULL)
		return 0;
	if (strcmp(w, "max-size") != 0) {
		conf_expected(p, "'max-size'");
		return -1;
	}
	return conf_get_u32(p, "audit log size", UNIT_BYTES, 65536, UINT32_MAX,
	    &conf->audit_max_size);
}

int
conf_st_worker(struct parser *p, struct conf *conf)
{
	if (conf_copy_word(p, "program path", conf->worker,
	    sizeof(conf->worker)) == -1)
		return -1;
	if (conf->worker[0] != '/') {
		conf_expected(p, "absolute path");
		return -1;
	}
	return 0;
}

/*
 * pool [min-idle N] [max N] [sessions N] [idle-timeout T]
 * [template-forks N], at least one.
 */
int
conf_st_pool(struct parser *p, struct conf *conf)
{
	char	*w;
	int	 n = 0;

	p->pool_line = p->line;
	while ((w = conf_next_word(p)) != NULL) {
		n++;
		if (strcmp(w, "min-idle") == 0) {
			if (conf_get_u32(p, "number of idle workers", UNIT_NONE,
			    0, POOL_MAX, &conf->min_idle) == -1)
				return -1;
		} else if (strcmp(w, "max") == 0) {
			if (conf_get_u32(p, "number of workers", UNIT_NONE, 1,
			    POOL_MAX, &conf->max_workers) == -1)
				return -1;
		} else if (strcmp(w, "sessions") == 0) {
			if (conf_get_u32(p, "sessions per worker", UNIT_NONE, 0,
			    UINT32_MAX, &conf->sessions) == -1)
				return -1;
		} else if (strcmp(w, "idle-timeout") == 0) {
			if (conf_get_u32(p, "seconds", UNIT_SECONDS, 0,
			    7 * 24 * 3600, &conf->pool_idle_timeout) == -1)
				return -1;
		} else if (strcmp(w, "template-forks") == 0) {
			/*
			 * Forks of one address layout: past a million the
			 * rotation would be no rotation at all.
			 */
			if (conf_get_u32(p, "forks per template", UNIT_NONE, 0,
			    1000000, &conf->template_forks) == -1)
				return -1;
		} else {
			conf_expected(p, "'min-idle', 'max', 'sessions', "
			    "'idle-timeout' or 'template-forks'");
			return -1;
		}
	}
	if (n == 0) {
		conf_expected(p,
		    "'min-idle', 'max', 'sessions', 'idle-timeout' "
		    "or 'template-forks'");
		return -1;
	}
	return 0;
}
