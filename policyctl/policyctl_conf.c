/*
 * Where policyctl finds the store when -s does not say: the "policy
 * store" line of postern.conf, so that the admin tool and posternd agree
 * on one directory without being told twice.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "policyctl_conf.h"

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
