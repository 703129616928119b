/*
 * Where policyctl finds the store when -s does not say: the "policy
 * store" line of postern.conf, so that the admin tool and posternd agree
 * on one directory without being told twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "policyctl_conf.h"
#include "route_table.h"

/*
 * The store directory named by file, copied into dir.  A missing file is
 * an error only when the admin named it (must); then 0 and nothing
 * copied.  -1: the file does not parse, or names no store though it was
 * asked for.
 */
int
policyctl_conf_store(const char *file, int must, char *dir, size_t len)
{
	struct conf	*conf;
	int		 rc = 0;

	if (!must && access(file, F_OK) == -1)
		return 0;
	log_init(1, 0, "policyctl");
	if ((conf = conf_parse(file)) == NULL)
		return -1;
	if (conf->policy_store[0] == '\0') {
		if (must) {
			fprintf(stderr, "policyctl: %s: no 'policy store' "
			    "line\n", file);
			rc = -1;
		}
	} else if (strlen(conf->policy_store) >= len) {
		fprintf(stderr, "policyctl: %s: store path too long\n", file);
		rc = -1;
	} else {
		(void)snprintf(dir, len, "%s", conf->policy_store);
		rc = 1;
	}
	conf_free(conf);
	return rc;
}

static int
add_name(struct route_targets *t, const char *name)
{
	char	**nn;

	if (route_target_ok(t, name))
		return 0;
	if ((nn = reallocarray(t->names, t->nnames + 1, sizeof(*nn))) ==
	    NULL)
		return -1;
	t->names = nn;
	if ((nn[t->nnames] = strdup(name)) == NULL)
		return -1;
	t->nnames++;
	return 0;
}

/*
 * The upstreams file lets a route name: those with a "routed" line and
 * those of login proxy listeners.  A missing file is an error only when
 * the admin named it (must); then 0 and nothing to check against.
 */
int
policyctl_conf_targets(const char *file, int must, struct route_targets *t)
{
	struct conf		*conf;
	struct upstream		*u;
	struct listener		*l;
	int			 rc = 1;

	memset(t, 0, sizeof(*t));
	if (!must && access(file, F_OK) == -1)
		return 0;
	log_init(1, 0, "policyctl");
	if ((conf = conf_parse(file)) == NULL)
		return -1;
	t->conf = file;
	/* An empty list, not NULL: checked against, and nothing passes. */
	if ((t->names = calloc(1, sizeof(*t->names))) == NULL)
		rc = -1;
	TAILQ_FOREACH(u, &conf->upstreams, entry)
		if (rc == 1 && !u->anonymous && u->routed != 0 &&
		    add_name(t, u->name) == -1)
			rc = -1;
	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (rc == 1 && l->login_proxy && l->upstream != NULL &&
		    !l->upstream->anonymous &&
		    add_name(t, l->upstream->name) == -1)
			rc = -1;
	conf_free(conf);
	if (rc == -1) {
		perror("policyctl: route targets");
		policyctl_conf_targets_free(t);
	}
	return rc;
}

void
policyctl_conf_targets_free(struct route_targets *t)
{
	size_t	 i;

	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	memset(t, 0, sizeof(*t));
}
