/*
 * The bearer check of mod_authgate, apart from Apache: authgate's own
 * configuration file, key loading, JOSE/JWT checks, verified-token
 * cache and deny list (libag), read only, with the keys reloaded when
 * their files change, as the daemon does (serve.c).
 */
#ifndef GUARD_H
#define GUARD_H

#include <stdbool.h>

#include "../src/authgate.h"
#include "../src/resp.h"
#include "../src/session.h"

#define GUARD_CHALLENGE_MAX	RESP_HEADERS_MAX

struct guard;

/* What of a request the check looks at (NULL: absent). */
struct guard_req {
	const char	*authorization;	/* the Authorization header */
	const char	*cookie;	/* the Cookie header: a session */
	const char	*accept;	/* the Accept header: a browser? */
	const char	*uri;		/* the request-target, for rd */
	bool		 https;		/* the __Host- cookie name */
	const char	*need;		/* scopes required */
};

/*
 * What the check found: status 200 with sub and scope, or 401/403 with
 * the WWW-Authenticate value, or 302 to location (a browser without
 * credentials, sent to sign in), or 500/503 (why says why, for the
 * log).
 */
struct guard_verdict {
	int		 status;
	char		 sub[AG_NAME_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];
	char		 challenge[GUARD_CHALLENGE_MAX];
	char		 location[SESSION_LOCATION_MAX];
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
 * Check a request: its bearer token, or without Authorization its
 * session cookie (as the FastCGI authorizer does), needing every scope
 * of need, against the keys of now.  No allocation.
 */
void		 guard_check(struct guard *g, const struct guard_req *q,
		    struct guard_verdict *v);

#endif
