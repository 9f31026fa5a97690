/*
 * The error answers of authgate's endpoints, in one table: each failure
 * has one {status, error, description} row (RFC 6749 5.2 error codes
 * for the OAuth endpoints), and enum ag_err maps to HTTP in one
 * function, ep_fail_err().  Bearer-token challenges (RFC 6750 3), whose
 * description says why a token failed, stay in ep_protected.c.
 */
#ifndef EP_ERR_H
#define EP_ERR_H

#include "authgate.h"

struct resp;

enum ep_fail {
	/* The request itself (serve.c, ep_oauth.c). */
	EPF_NO_ENDPOINT,	/* 404 not_found */
	EPF_METHOD,		/* 405 */
	EPF_CLEN,		/* 400: CONTENT_LENGTH not digits */
	EPF_BODY_LARGE,		/* 413 */
	EPF_CTYPE,		/* 415 */
	EPF_BODY_SHORT,		/* 400: fewer bytes than CONTENT_LENGTH */
	EPF_BODY_MALFORMED,	/* 400: form_parse refused it */
	EPF_BODY_FIELDS,	/* 400: over FORM_FIELDS_MAX */
	EPF_REPEATED,		/* 400: a field twice (RFC 6749 3.1) */
	EPF_HOST,		/* 400: metadata without a usable Host */
	EPF_METRICS_FORBIDDEN,	/* 403: metrics_allow */
	/* Client authentication (ep_client.c). */
	EPF_AUTH_MALFORMED,	/* 400: Authorization not Basic-shaped */
	EPF_CLIENT_TWO_METHODS,	/* 400: Basic and client_secret */
	EPF_CLIENT_SECRET_ALONE,/* 400: client_secret, no client_id */
	EPF_CLIENT_INVALID,	/* 401 invalid_client */
	/* Grants (ep_token.c). */
	EPF_GRANT_TYPE,		/* 400 unsupported_grant_type */
	EPF_LOGIN_MISSING,	/* 400: no username or password */
	EPF_LOGIN_LONG,		/* 400: over AG_NAME_MAX/AG_PASSWORD_MAX */
	EPF_LOGIN,		/* 400 invalid_grant, any bad login */
	EPF_REFRESH_MISSING,	/* 400: no refresh_token */
	EPF_REFRESH,		/* 400 invalid_grant, any bad refresh */
	EPF_SCOPE_MALFORMED,	/* 400 invalid_scope */
	EPF_SCOPE_EXCEEDS,	/* 400 invalid_scope */
	EPF_UNAUTHORIZED_CLIENT,/* 400: grant not registered for the client */
	EPF_CODE_MISSING,	/* 400: code, redirect_uri or code_verifier */
	EPF_CODE,		/* 400 invalid_grant, any bad code */
	/* /revoke and /introspect. */
	EPF_TOKEN_MISSING,	/* 400: no token field */
	/* The service (any endpoint). */
	EPF_MISCONFIGURED,	/* 503: no signing key loaded */
	EPF_UNAVAILABLE,	/* 503: storage (AG_EUNAVAIL) */
	EPF_NOMEM,		/* 503: out of memory (AG_ENOMEM) */
	EPF_SERVER_ERROR,	/* 500: any other internal failure */
	EPF__MAX
};

struct ep_fail_row {
	int		 status;
	const char	*error;
	const char	*description;
};

/* The row of f (for tests and documentation). */
const struct ep_fail_row *ep_fail_row(enum ep_fail f);
/* Answer f: its status and {"error","error_description"} body with
 * Cache-Control: no-store (resp_error). */
void		 ep_fail(struct resp *rs, enum ep_fail f);
/* The failure an internal error e is: EPF_NOMEM, EPF_UNAVAILABLE or
 * EPF_SERVER_ERROR (AG_OK too: an endpoint that has nothing to say). */
enum ep_fail	 ep_fail_of(enum ag_err e);
/* ep_fail(rs, ep_fail_of(e)). */
void		 ep_fail_err(struct resp *rs, enum ag_err e);

#endif
