/*
 * The bearer check of mod_authgate, apart from Apache: authgate's own
 * configuration file, key loading, JOSE/JWT checks, verified-token
 * cache and deny list (libag), read only, with the keys reloaded when
 * their files change, as the daemon does (serve.c).
 */
#ifndef GUARD_H
#define GUARD_H

#include "../src/authgate.h"
#include "../src/resp.h"

#define GUARD_CHALLENGE_MAX	RESP_HEADERS_MAX

struct guard;

/* What the check found: status 200 with sub and scope, or 401/403 with
 * the WWW-Authenticate value, or 500/503 (why says why, for the log). */
struct guard_verdict {
	int		 status;
	char		 sub[AG_NAME_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];
	char		 challenge[GUARD_CHALLENGE_MAX];
	const char	*why;
};

/*
 * Read the configuration file path and the keys it names.  NULL, with
 * why, when the configuration cannot be read or memory ran out; keys
 * that fail to load leave a guard answering 503 until a retry works.
 */
struct guard	*guard_open(const char *path, char *why, size_t whysz);
void		 guard_close(struct guard *g);
/*
 * Check the Authorization header value (NULL: none), needing every
 * scope of need (NULL: none), against the keys of now.  No allocation.
 */
void		 guard_check(struct guard *g, const char *authorization,
		    const char *need, struct guard_verdict *v);

#endif
