/*
 * GET/POST /login, POST /logout: the sign-in page and its form (SPEC
 * "Browser sign-in").
 *
 * SKELETON: written on the session branch.
 */
#include "ep.h"
#include "ep_err.h"
#include "req.h"
#include "resp.h"

void
ep_login(const struct app *app, const struct req *r, struct resp *res)
{
	(void)app; (void)r;
	ep_fail(res, EPF_NO_ENDPOINT);
}

void
ep_logout(const struct app *app, const struct req *r, struct resp *res)
{
	(void)app; (void)r;
	ep_fail(res, EPF_NO_ENDPOINT);
}
