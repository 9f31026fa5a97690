/*
 * A request as the web server describes it: CGI variables (RFC 3875),
 * from the FastCGI parameters or the environment.  Routing is by the
 * end of the path (authgate(8) "Endpoints").  No allocation: the strings
 * point into the parameters, which outlive the request.
 */
#ifndef REQ_H
#define REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"

#define REQ_PATH_MAX	2048	/* longer paths route nowhere (404) */
#define REQ_BASIC_MAX	((AG_NAME_MAX + AG_PASSWORD_MAX) * 3 + 1)
				/* decoded Basic credentials, bytes */

enum req_role {
	REQ_RESPONDER = 0,
	REQ_AUTHORIZER
};

enum req_method {
	REQ_GET = 0,
	REQ_POST,
	REQ_HEAD,
	REQ_OTHER
};

enum req_route {
	ROUTE_NONE = 0,		/* 404 */
	ROUTE_TOKEN,
	ROUTE_PROTECTED,
	ROUTE_AUTH,
	ROUTE_REVOKE,
	ROUTE_INTROSPECT,
	ROUTE_JWKS,
	ROUTE_META,
	ROUTE_METRICS,		/* operations: ops.c */
	ROUTE_HEALTH_LIVE,
	ROUTE_HEALTH_READY,
	ROUTE_AUTHORIZE,	/* browser sign-in: ep_authorize.c */
	ROUTE_LOGIN,		/* ep_login.c */
	ROUTE_LOGOUT,
	ROUTE__MAX
};

struct req {
	enum req_role	 role;
	enum req_method	 method;
	const char	*method_name;	/* as sent, for logs */
	enum req_route	 route;
	const char	*path;		/* the path routed on */
	const char	*content_type;	/* NULL when absent */
	long long	 content_length; /* -1 when absent or invalid */
	const char	*authorization;	/* HTTP_AUTHORIZATION, or NULL */
	const char	*require_scope;	/* AUTHGATE_REQUIRE_SCOPE, or NULL */
	const char	*remote_addr;
	const char	*https;		/* HTTPS ("on"), or NULL */
	/* The client came over TLS: HTTPS "on" (or "1"), or REQUEST_SCHEME
	 * "https" (mod_ssl sets HTTPS only after mod_authnz_fcgi's
	 * authorizer has run). */
	bool		 secure;
	const char	*host;		/* HTTP_HOST, or NULL */
	const char	*base;		/* path up to the endpoint's suffix */
	size_t		 baselen;
	char		*body;		/* read by the caller; NULL if none */
	size_t		 bodylen;	/* body[bodylen] is a NUL */
	int		 content_length_bad; /* CONTENT_LENGTH not digits */
	const char	*query;		/* QUERY_STRING, or NULL */
	const char	*server_name;	/* SERVER_NAME, or NULL */
	const char	*server_port;	/* SERVER_PORT, or NULL */
	/* Browser sign-in (session.c, ep_login.c, ep_authorize.c). */
	const char	*request_uri;	/* REQUEST_URI as sent, or NULL */
	const char	*cookie;	/* HTTP_COOKIE, or NULL */
	const char	*accept;	/* HTTP_ACCEPT, or NULL */
	const char	*origin;	/* HTTP_ORIGIN, or NULL */
	const char	*fetch_site;	/* HTTP_SEC_FETCH_SITE, or NULL */
	char		 pathbuf[REQ_PATH_MAX + 1];	/* path points here */
};

/*
 * Fill r from the variables get(name, arg) returns (NULL for absent).
 * The path is that of REQUEST_URI (up to '?', not decoded); when it
 * routes nowhere, SCRIPT_NAME + PATH_INFO is tried, since nginx passes
 * the client's REQUEST_URI to auth_request subrequests.
 */
void		 req_parse(struct req *r,
		    const char *(*get)(const char *name, void *arg), void *arg);
/* The same from "NAME=value" strings (environ, FastCGI parameters),
 * read in one pass. */
void		 req_parse_env(struct req *r, char *const *envp);
/* The route whose suffix ends path, or ROUTE_NONE. */
enum req_route	 req_route(const char *path, size_t len, size_t *baselen);

/*
 * The bearer token of an Authorization value (RFC 6750 2.1): AG_ENOENT
 * when there is none (NULL or empty header), AG_EINVAL when the header
 * is malformed or not Bearer ("Bearer" case-insensitive, 1*SP, then a
 * b64token and nothing else).  A token over AG_TOKEN_MAX is AG_ETOOBIG,
 * which callers answer as an invalid token (401), not a malformed
 * request.  The token is not NUL-terminated.
 */
enum ag_err	 req_bearer(const char *authorization, const char **tok,
		    size_t *toklen);
/*
 * The same split without looking at the token's characters: for the
 * hot path, where a token that verifies is made of base64url and dots
 * only and so is a b64token; req_b64token() then tells, for one that
 * did not verify, a malformed request from an invalid token.
 */
enum ag_err	 req_bearer_split(const char *authorization, const char **tok,
		    size_t *toklen);
bool		 req_b64token(const char *tok, size_t len);
/*
 * HTTP Basic credentials (RFC 7617; RFC 6749 2.3.1 form-decodes them).
 * AG_ENOENT when the header is absent or not Basic; AG_EINVAL when
 * malformed (bad base64, no ':', bad escape, NUL); AG_ETOOBIG when a
 * part does not fit user or pass.  Outputs are "" on error.
 */
enum ag_err	 req_basic(const char *authorization, char *user,
		    size_t usersz, char *pass, size_t passsz);

#endif
