/*
 * The route table (see route.h).
 */
#include <stddef.h>

#include "ep.h"
#include "route.h"

static const struct route_def	 defs[] = {
	{ ROUTE_TOKEN,	RM_POST, true, false, true, ep_token },
	{ ROUTE_REVOKE,	RM_POST, true, false, true, ep_revoke },
	{ ROUTE_INTROSPECT, RM_POST, true, false, true, ep_introspect },
	{ ROUTE_META,	RM_GET | RM_HEAD, true, false, false, ep_meta },
	{ ROUTE_JWKS,	RM_GET | RM_HEAD, false, false, false, ep_jwks },
	/* A POST body is read for a form-encoded access_token (RFC 6750
	 * 2.2), which is refused. */
	{ ROUTE_PROTECTED, RM_GET | RM_HEAD | RM_POST, false, false, true,
	    ep_protected },
	{ ROUTE_AUTH,	RM_ANY, false, false, false, ep_protected },
	{ ROUTE_METRICS, RM_GET | RM_HEAD, false, true, false, NULL },
	{ ROUTE_HEALTH_LIVE, RM_GET | RM_HEAD, false, true, false, NULL },
	{ ROUTE_HEALTH_READY, RM_GET | RM_HEAD, false, true, false, NULL },
	/* Browser sign-in: pages, not JSON (ep_login.c, ep_authorize.c). */
	/* GET only: a HEAD would make a code that nobody receives. */
	{ ROUTE_AUTHORIZE, RM_GET, true, false, false,
	    ep_authorize },
	{ ROUTE_LOGIN,	RM_GET | RM_HEAD | RM_POST, true, false, true,
	    ep_login },
	{ ROUTE_LOGOUT,	RM_POST, true, false, true, ep_logout },
};

const struct route_def *
route_def(enum req_route route)
{
	size_t	 i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (defs[i].route == route)
			return &defs[i];
	return NULL;
}

bool
route_method_ok(const struct route_def *d, enum req_method m)
{
	switch (m) {
	case REQ_GET:
		return (d->methods & RM_GET) != 0;
	case REQ_HEAD:
		return (d->methods & RM_HEAD) != 0;
	case REQ_POST:
		return (d->methods & RM_POST) != 0;
	default:
		return d->methods == RM_ANY;
	}
}

const char *
route_allow(const struct route_def *d)
{
	static const char *const allow[8] = {
		"", "GET", "HEAD", "GET, HEAD", "POST", "GET, POST",
		"HEAD, POST", "GET, HEAD, POST"
	};

	return allow[d->methods & (RM_GET | RM_HEAD | RM_POST)];
}
