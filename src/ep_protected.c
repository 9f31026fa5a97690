/*
 * The bearer check (RFC 6750): GET/POST /protected, GET /auth (nginx
 * auth_request) and the FastCGI authorizer role.  This is the hot path:
 * no allocation, no database but the cached deny-list, no json-c, and
 * a token this thread verified before is not verified again (vcache.c).
 *
 * Answers, by kind of caller:
 *
 *	                 /protected      /auth           authorizer
 *	no credentials   401             401             401 (browser: 302)
 *	malformed        400             401             401
 *	invalid token    401             401             401
 *	scope missing    403             403             403
 *	valid            200 + JSON      200 + {}        200, no body
 *
 * nginx turns anything but 2xx, 401 and 403 from auth_request into a
 * 500, hence 401 for a malformed credential at /auth.
 *
 * Browsers (SPEC "Browser sign-in"): /auth and the authorizer also take
 * the session cookie (session.h) of a request without Authorization;
 * a good one answers as a bearer token of its user and scope would.
 * A cookie that is not good (expired, ended, tampered with) counts as
 * no credentials.  Without credentials, the authorizer sends a caller
 * whose Accept prefers text/html to login_url with rd = the request's
 * URI (302); /auth answers 401 (nginx's error_page 401 redirects), and
 * /protected stays bearer-only.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accept.h"
#include "bearer.h"
#include "ep.h"
#include "ep_err.h"
#include "jw.h"
#include "jwt.h"
#include "metrics.h"
#include "req.h"
#include "resp.h"
#include "scope.h"
#include "session.h"
#include "tokcheck.h"

#define CHALLENGE_MAX	RESP_HEADERS_MAX

/*
 * WWW-Authenticate: Bearer realm="…"[, error="…"][, error_description=
 * "…"][, scope="…"] (RFC 6750 3).
 */
static void
challenge(const struct app *app, struct resp *res, const char *error,
    const char *desc, const char *scope)
{
	char	 h[CHALLENGE_MAX];

	if (!bearer_challenge(h, sizeof(h), app->conf.realm, error, desc,
	    scope)) {
		res->overflow = 1;
		return;
	}
	resp_header(res, "WWW-Authenticate", h);
}

/* True if the urlencoded text s (len bytes) has a field access_token. */
static bool
has_access_token(const char *s, size_t len)
{
	static const char	 name[] = "access_token";
	size_t			 i = 0, nl = sizeof(name) - 1;

	while (i < len) {
		if (len - i >= nl && memcmp(s + i, name, nl) == 0 &&
		    (len - i == nl || s[i + nl] == '=' || s[i + nl] == '&'))
			return true;
		while (i < len && s[i] != '&')
			i++;
		i++;
	}
	return false;
}

/* A 401 or 403 with its challenge and JSON body. */
static void
deny(const struct app *app, struct resp *res, int status, const char *error,
    const char *desc, const char *scope)
{
	challenge(app, res, error, desc, scope);
	resp_error(res, status, error != NULL ? error : "unauthorized",
	    desc != NULL ? desc : "Bearer token required");
}

/* The 200 of a caller found to be sub with scope. */
static void
allow(const struct req *r, struct resp *res, const char *sub,
    const char *scope)
{
	struct jw	 w;

	if (r->role == REQ_AUTHORIZER) {
		/* Passed on to the guarded response: no body, no caching
		 * directive of ours. */
		resp_header(res, "Variable-REMOTE_USER", sub);
		resp_header(res, "Variable-AUTHGATE_SCOPE", scope);
		resp_nobody(res, 200);
		return;
	}
	resp_header(res, "X-Auth-Request-User", sub);
	resp_header(res, "X-Auth-Request-Scope", scope);
	resp_header(res, "Cache-Control", "no-store");
	if (r->route == ROUTE_AUTH) {
		resp_json(res, 200, "{}", 2);
		return;
	}
	resp_body_begin(res, &w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "message", "Hello, authenticated user!");
	jw_str(&w, "sub", sub);
	jw_str(&w, "scope", scope);
	jw_obj_close(&w);
	resp_body_end(res, 200, &w);
}

/* AUTHGATE_REQUIRE_SCOPE: false, with the 403 made, when not covered. */
static bool
scope_ok(const struct app *app, const struct req *r, struct resp *res,
    const char *scope)
{
	if (r->require_scope == NULL ||
	    scope_covers(scope, r->require_scope, " ,"))
		return true;
	metrics_inc(MC_REJECT_SCOPE);
	deny(app, res, 403, "insufficient_scope",
	    "The token lacks a required scope", r->require_scope);
	return false;
}

/*
 * No credentials (the reason is counted by the caller): a browser at
 * the authorizer is sent to sign in, anyone else gets the 401.
 */
static void
no_credentials(const struct app *app, const struct req *r,
    struct resp *res)
{
	char	 loc[SESSION_LOCATION_MAX];

	if (r->role == REQ_AUTHORIZER && accept_prefers_html(r->accept) &&
	    session_login_location(app->conf.login_url, r->request_uri, loc,
	    sizeof(loc))) {
		resp_header(res, "Location", loc);
		resp_header(res, "Cache-Control", "no-store");
		resp_nobody(res, 302);
		return;
	}
	deny(app, res, 401, NULL, NULL, NULL);
}

/*
 * A request without Authorization at /auth or the authorizer: its
 * session cookie, if any, decides.  Hot path too: the cookie is parsed
 * in place, verified through the cache, checked against the mapped
 * deny list.
 */
static void
by_session(const struct app *app, const struct req *r, struct resp *res)
{
	struct session	 s;
	const char	*val, *why;
	size_t		 len;
	enum ag_err	 e;

	e = session_cookie(r->cookie, r->secure, &val, &len);
	if (e == AG_ENOENT) {
		metrics_inc(MC_REJECT_MISSING);
		no_credentials(app, r, res);
		return;
	}
	if (e == AG_OK)
		e = session_check(&app->conf, app->keys, app->gen, app->state,
		    val, len, time(NULL), &s, &why);
	else
		why = "malformed session cookie";
	switch (e) {
	case AG_OK:
		break;
	case AG_ENOMEM:
	case AG_EUNAVAIL:
		ep_fail_err(res, e);
		return;
	case AG_EINVAL:
	case AG_ENOENT:
	case AG_EEXIST:
	case AG_ETOOBIG:
	case AG_EDENIED:
		/* Counted as what it was; answered as no credentials. */
		metrics_inc(metrics_reject_reason(why));
		no_credentials(app, r, res);
		return;
	}
	if (!scope_ok(app, r, res, s.scope))
		return;
	allow(r, res, s.user, s.scope);
}

/*
 * The bearer token of the Authorization header, in tok and toklen; or
 * false when the request has been answered here: no token (the session
 * cookie is looked at where the guard takes one), a token sent in the
 * query or body too, or a malformed header.  lenient: /auth and the
 * authorizer, which may only answer 2xx, 401 or 403.
 */
static bool
bearer_of(const struct app *app, const struct req *r, struct resp *res,
    bool lenient, const char **tok, size_t *toklen)
{
	enum ag_err	 e;
	bool		 other;

	e = req_bearer_split(r->authorization, tok, toklen);
	/* RFC 6750 2.2, 2.3 are not supported: only the header is. */
	other = (r->query != NULL &&
	    has_access_token(r->query, strlen(r->query))) ||
	    (r->role != REQ_AUTHORIZER && r->body != NULL &&
	    has_access_token(r->body, r->bodylen));
	if (other) {
		metrics_inc(MC_REJECT_MALFORMED);
		deny(app, res, lenient ? 401 : 400, "invalid_request",
		    e == AG_ENOENT ? "The access token must be sent in the "
		    "Authorization header" : "More than one method of "
		    "sending the access token was used", NULL);
		return false;
	}
	switch (e) {
	case AG_OK:
		break;
	case AG_ENOENT:
		/* /protected stays bearer-only (SPEC "Browser sign-in"). */
		if (lenient) {
			by_session(app, r, res);
			return false;
		}
		metrics_inc(MC_REJECT_MISSING);
		deny(app, res, 401, NULL, NULL, NULL);
		return false;
	case AG_ETOOBIG:
		metrics_inc(MC_REJECT_MALFORMED);
		deny(app, res, 401, "invalid_token", "token too long", NULL);
		return false;
	case AG_EINVAL:
	case AG_ENOMEM:
	case AG_EEXIST:
	case AG_EUNAVAIL:
	case AG_EDENIED:
		metrics_inc(MC_REJECT_MALFORMED);
		deny(app, res, lenient ? 401 : 400, "invalid_request",
		    bearer_scheme(r->authorization) ? "Malformed Bearer "
		    "credentials" : "The Authorization scheme is not Bearer",
		    NULL);
		return false;
	}
	return true;
}

/*
 * The claims of tok, checked as tokcheck.h says; or NULL when the
 * request has been answered here: refused, or out of memory.
 */
static const struct claims *
token_claims(const struct app *app, struct resp *res, bool lenient,
    const char *tok, size_t toklen, struct claims *buf)
{
	const struct claims *cl;
	const char	*why;
	enum tokcheck	 verdict;

	cl = tokcheck(&app->conf, app->keys, app->gen, app->state, tok, toklen,
	    time(NULL), buf, &verdict, &why);
	switch (verdict) {
	case TOKCHECK_OK:
		break;
	case TOKCHECK_NOMEM:
		ep_fail_err(res, AG_ENOMEM);
		break;
	case TOKCHECK_MALFORMED:
		metrics_inc(MC_REJECT_MALFORMED);
		deny(app, res, lenient ? 401 : 400, "invalid_request",
		    "Malformed Bearer credentials", NULL);
		break;
	case TOKCHECK_INVALID:
		metrics_inc(metrics_reject_reason(why));
		deny(app, res, 401, "invalid_token",
		    why != NULL ? why : "invalid token", NULL);
		break;
	case TOKCHECK_REVOKED:
		deny(app, res, 401, "invalid_token", "token revoked", NULL);
		metrics_inc(MC_REJECT_REVOKED);
		break;
	}
	return cl;
}

void
ep_protected(const struct app *app, const struct req *r, struct resp *res)
{
	const struct claims *cl;
	struct claims	 buf;
	const char	*tok;
	size_t		 toklen;
	bool		 lenient;

	/* /auth and the authorizer may only answer 2xx, 401 or 403. */
	lenient = r->role == REQ_AUTHORIZER || r->route == ROUTE_AUTH;
	if (!bearer_of(app, r, res, lenient, &tok, &toklen))
		return;
	if ((cl = token_claims(app, res, lenient, tok, toklen, &buf)) == NULL)
		return;
	if (!scope_ok(app, r, res, cl->scope))
		return;
	allow(r, res, cl->sub, cl->scope);
}
