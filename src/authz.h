/*
 * The authorization request of GET /authorize (RFC 6749 4.1.1, PKCE
 * RFC 7636 4.3): its query parsed and checked against the client it
 * names, without I/O, so that the rules can be tested and fuzzed
 * alone.  ep_authorize.c does the rest: the client lookup, the
 * session, the code, the answers.
 *
 * The order is RFC 6749 4.1.2.1's: until the client and its redirect
 * URI are known to go together, an error is shown to the person
 * (AUTHZ_PAGE), never sent to a redirect URI; after that, it goes to
 * the client at its redirect URI (AUTHZ_REDIRECT).
 */
#ifndef AUTHZ_H
#define AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"
#include "form.h"

#define AUTHZ_QUERY_MAX		2048	/* bytes of the query string */
#define AUTHZ_STATE_MAX		256	/* bytes of state, decoded */

struct client;

enum authz_step {
	AUTHZ_OK = 0,
	AUTHZ_PAGE,		/* show error/why on a page (400) */
	AUTHZ_REDIRECT		/* send error/why to redirect_uri */
};

struct authz {
	char		 buf[AUTHZ_QUERY_MAX + 1];	/* decoded in place */
	struct form	 f;
	const char	*client_id, *redirect_uri, *response_type, *scope;
	const char	*state;		/* NULL when absent or unusable */
	const char	*challenge, *method;
	const char	*error;		/* RFC 6749 4.1.2.1 error code */
	const char	*why;		/* its description, for a person */
};

/*
 * Parse the query (NULL: none) into a: AUTHZ_PAGE when it is too long
 * or malformed, or client_id or redirect_uri is missing or repeated.
 */
enum authz_step	 authz_parse(struct authz *a, const char *query);
/*
 * Check a against cl, the client it names: AUTHZ_PAGE when
 * redirect_uri is not exactly one of cl's; then AUTHZ_REDIRECT for
 * a field given twice, a client not registered for the code grant,
 * a response_type other than "code", a missing or malformed
 * code_challenge, a code_challenge_method other than S256, a state
 * over AUTHZ_STATE_MAX or a malformed scope.
 */
enum authz_step	 authz_check(struct authz *a, const struct client *cl);
/*
 * Append "?NAME=VALUE" (or "&NAME=VALUE" when out already holds a
 * '?'), VALUE percent-encoded but for RFC 3986's unreserved bytes, to
 * the string in out (outsz bytes).  False, out unchanged, when it
 * does not fit.
 */
bool		 authz_param(char *out, size_t outsz, const char *name,
		    const char *value);

#endif /* !AUTHZ_H */
