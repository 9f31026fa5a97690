/*
 * GET /authorize: RFC 6749 4.1 authorization code with PKCE (RFC 7636,
 * S256 only) and RFC 9207's iss (SPEC "Browser sign-in").
 *
 * SKELETON: written on the authorization-code branch.
 */
#include "ep.h"
#include "ep_err.h"
#include "req.h"
#include "resp.h"

void
ep_authorize(const struct app *app, const struct req *r, struct resp *res)
{
	(void)app; (void)r;
	ep_fail(res, EPF_NO_ENDPOINT);
}
