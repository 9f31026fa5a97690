/*
 * The endpoints' error answers, one row per failure (see ep_err.h).
 */
#include <stddef.h>

#include "ep_err.h"
#include "resp.h"

#define IR	"invalid_request"
#define TU	"temporarily_unavailable"

static const struct ep_fail_row rows[EPF__MAX] = {
	[EPF_NO_ENDPOINT] =	{ 404, "not_found", "No such endpoint" },
	[EPF_METHOD] =		{ 405, "method_not_allowed",
				  "Method not allowed" },
	[EPF_CLEN] =		{ 400, IR, "Invalid Content-Length" },
	[EPF_BODY_LARGE] =	{ 413, IR, "Request body too large" },
	[EPF_CTYPE] =		{ 415, IR, "Content-Type must be "
				  "application/x-www-form-urlencoded" },
	[EPF_BODY_SHORT] =	{ 400, IR, "Incomplete request body" },
	[EPF_BODY_MALFORMED] =	{ 400, IR, "Malformed body" },
	[EPF_BODY_FIELDS] =	{ 400, IR, "Too many fields" },
	[EPF_REPEATED] =	{ 400, IR,
				  "A parameter was given more than once" },
	[EPF_HOST] =		{ 400, IR, "Missing or malformed Host header" },
	[EPF_METRICS_FORBIDDEN] = { 403, "forbidden",
				  "This address may not read the metrics" },
	[EPF_AUTH_MALFORMED] =	{ 400, IR, "Malformed Authorization header" },
	[EPF_CLIENT_TWO_METHODS] = { 400, IR, "More than one client "
				  "authentication method" },
	[EPF_CLIENT_SECRET_ALONE] = { 400, IR,
				  "client_secret without client_id" },
	[EPF_CLIENT_INVALID] =	{ 401, "invalid_client",
				  "Client authentication failed" },
	[EPF_GRANT_TYPE] =	{ 400, "unsupported_grant_type",
				  "Supported grant types: password, "
				  "refresh_token, authorization_code, "
				  "client_credentials" },
	[EPF_LOGIN_MISSING] =	{ 400, IR,
				  "username and password are required" },
	[EPF_LOGIN_LONG] =	{ 400, IR, "username or password too long" },
	[EPF_LOGIN] =		{ 400, "invalid_grant",
				  "Incorrect username or password" },
	[EPF_REFRESH_MISSING] =	{ 400, IR, "refresh_token is required" },
	[EPF_REFRESH] =		{ 400, "invalid_grant",
				  "Invalid refresh token" },
	[EPF_SCOPE_MALFORMED] =	{ 400, "invalid_scope", "Malformed scope" },
	[EPF_SCOPE_EXCEEDS] =	{ 400, "invalid_scope",
				  "The requested scope exceeds the scope "
				  "granted" },
	[EPF_UNAUTHORIZED_CLIENT] = { 400, "unauthorized_client",
				  "The client is not registered for this "
				  "grant type" },
	[EPF_CODE_MISSING] =	{ 400, IR, "code, redirect_uri and "
				  "code_verifier are required" },
	[EPF_CODE] =		{ 400, "invalid_grant",
				  "Invalid authorization code" },
	[EPF_TOKEN_MISSING] =	{ 400, IR, "token is required" },
	[EPF_MISCONFIGURED] =	{ 503, TU, "The service is misconfigured" },
	[EPF_UNAVAILABLE] =	{ 503, TU, "The service cannot store its "
				  "state now; try again later" },
	[EPF_NOMEM] =		{ 503, TU, "The service is temporarily "
				  "unavailable" },
	[EPF_SERVER_ERROR] =	{ 500, "server_error", "Internal error" },
};

const struct ep_fail_row *
ep_fail_row(enum ep_fail f)
{
	if ((unsigned)f >= EPF__MAX)
		f = EPF_SERVER_ERROR;
	return &rows[f];
}

void
ep_fail(struct resp *rs, enum ep_fail f)
{
	const struct ep_fail_row	*r = ep_fail_row(f);

	resp_error(rs, r->status, r->error, r->description);
}

enum ep_fail
ep_fail_of(enum ag_err e)
{
	switch (e) {
	case AG_ENOMEM:
		return EPF_NOMEM;
	case AG_EUNAVAIL:
		return EPF_UNAVAILABLE;
	default:
		return EPF_SERVER_ERROR;
	}
}

void
ep_fail_err(struct resp *rs, enum ag_err e)
{
	ep_fail(rs, ep_fail_of(e));
}
