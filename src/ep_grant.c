/*
 * POST /token with grant_type=authorization_code (RFC 6749 4.1.3, PKCE
 * RFC 7636 4.5) and grant_type=client_credentials (RFC 6749 4.4).
 * ep_token.c has authenticated the client and checked that it is
 * registered for the grant.
 *
 * A code is redeemed in two steps: code_peek() reads what it was made
 * for, and once the request is known to be good and the tokens are
 * made (signed, and the refresh token sealed: nothing stored yet),
 * code_redeem() spends it under the state_db lock, recording the
 * tokens' jti and family.  Only the first redemption answers with
 * them; any later one revokes them (RFC 6749 4.1.2).  A request that
 * fails before (wrong client, redirect_uri or verifier) does not spend
 * the code, so nobody can burn another's code without its verifier.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "authgate.h"
#include "code.h"
#include "conf.h"
#include "ep.h"
#include "ep_err.h"
#include "ep_oauth.h"
#include "form.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "resp.h"
#include "scope.h"
#include "state.h"
#include "store.h"

/* Sign the access token and seal the refresh token (nothing stored). */
static enum ag_err
code_tokens(const struct app *app, const struct user *u, const char *scope,
    const struct client *cl, time_t now, char *tok, size_t toksz,
    char rtok[AG_REFRESH_MAX + 1], struct code_issued *iss)
{
	struct claims	 claims;
	struct refresh	 r;
	enum ag_err	 e;

	memset(iss, 0, sizeof(*iss));
	rtok[0] = '\0';
	if ((e = jwt_issue(&app->conf, app->keys, u->name, scope, cl->id,
	    app->conf.access_token_ttl, now, tok, toksz, &claims)) != AG_OK)
		return e;
	memcpy(iss->jti, claims.jti, sizeof(iss->jti));
	iss->jti_exp = claims.exp + app->conf.leeway;
	if (app->conf.refresh_token_ttl <= 0 || (cl->grants & CG_REFRESH) == 0)
		return AG_OK;
	memset(&r, 0, sizeof(r));
	memcpy(r.user, u->name, sizeof(r.user));
	memcpy(r.client_id, cl->id, sizeof(r.client_id));
	memcpy(r.scope, scope, strlen(scope) + 1);
	r.gen = u->gen;
	r.exp = (int64_t)now + app->conf.refresh_token_ttl;
	if ((e = state_login_ok(app->state, u->name, false, &r, rtok)) ==
	    AG_OK) {
		memcpy(iss->family, r.family, sizeof(iss->family));
		iss->family_exp = r.exp;
	}
	OPENSSL_cleanse(&r, sizeof(r));
	return e;
}

/* A code presented again: what its first use issued is revoked. */
static void
code_reused(const struct app *app, const char *code,
    const struct client *cl, time_t now, struct resp *rs)
{
	enum ag_err	 e;

	e = code_redeem(app->state, code, now, NULL);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM) {
		ep_fail_err(rs, e);
		return;
	}
	audit("authorization_code", "failure", NULL, cl->id, "reused");
	ep_fail(rs, EPF_CODE);
}

/*
 * The code's record in ac: found, unexpired, and bound to this client,
 * redirect_uri and code_verifier; or false when the request has been
 * answered here (a code used before revokes what its first use issued).
 */
static bool
code_valid(const struct app *app, const char *code, const char *redirect,
    const char *verifier, const struct client *cl, time_t now,
    struct authcode *ac, struct resp *rs)
{
	enum ag_err	 e;

	e = code_peek(app->state, code, now, ac);
	if (e == AG_EEXIST) {
		code_reused(app, code, cl, now, rs);
		return false;
	}
	if (e == AG_EUNAVAIL || e == AG_ENOMEM) {
		ep_fail_err(rs, e);
		return false;
	}
	if (e != AG_OK || !code_binds(ac, cl->id, redirect, verifier)) {
		log_msg("token: client \"%s\": %s", cl->id, e != AG_OK ?
		    "unknown or expired code" : "code presented with another "
		    "client, redirect_uri or code_verifier");
		audit("authorization_code", "failure", NULL, cl->id,
		    e != AG_OK ? "invalid" : "binding");
		ep_fail(rs, EPF_CODE);
		return false;
	}
	return true;
}

/*
 * The account the code was issued to, still as it was (ep_grant_account),
 * in u, and the scope to grant in scope: the code's, within the user's
 * now, which may have narrowed since.  False when the request has been
 * answered here.
 */
static bool
code_user(const struct app *app, const struct authcode *ac, struct user *u,
    char *scope, size_t scopesz, struct resp *rs)
{
	enum ag_err	 e;

	if ((e = ep_grant_account(app, "code", ac->user, ac->gen, u)) !=
	    AG_OK) {
		if (e == AG_EDENIED)
			ep_fail(rs, EPF_CODE);
		else
			ep_fail_err(rs, e);
		return false;
	}
	if (scope_meet(ac->scope, u->scope, false, scope, scopesz) != AG_OK) {
		ep_fail(rs, EPF_SERVER_ERROR);
		return false;
	}
	return true;
}

void
ep_grant_code(const struct app *app, const struct form *f,
    const struct client *cl, struct resp *rs)
{
	struct authcode		 ac;
	struct code_issued	 iss;
	struct user		 u;
	const char		*code, *redirect, *verifier;
	char			 tok[AG_TOKEN_MAX + 1];
	char			 rtok[AG_REFRESH_MAX + 1];
	char			 scope[AG_SCOPE_MAX + 1];
	time_t			 now = time(NULL);
	enum ag_err		 e;

	memset(&u, 0, sizeof(u));
	rtok[0] = '\0';
	code = form_get(f, "code", NULL);
	redirect = form_get(f, "redirect_uri", NULL);
	verifier = form_get(f, "code_verifier", NULL);
	if (code == NULL || redirect == NULL || verifier == NULL ||
	    code[0] == '\0') {
		ep_fail(rs, EPF_CODE_MISSING);
		return;
	}
	if (app->keys == NULL) {
		ep_fail(rs, EPF_MISCONFIGURED);
		return;
	}
	if (!code_valid(app, code, redirect, verifier, cl, now, &ac, rs) ||
	    !code_user(app, &ac, &u, scope, sizeof(scope), rs))
		goto out;
	if ((e = code_tokens(app, &u, scope, cl, now, tok, sizeof(tok), rtok,
	    &iss)) != AG_OK) {
		log_msg("token: user \"%s\": cannot issue: %s", u.name,
		    ag_strerror(e));
		ep_fail_err(rs, e);
		goto out;
	}
	if ((e = code_redeem(app->state, code, now, &iss)) != AG_OK) {
		/* lost a race with another use (which revoked these), or
		 * the code expired meanwhile */
		if (e == AG_EUNAVAIL || e == AG_ENOMEM)
			ep_fail_err(rs, e);
		else
			ep_fail(rs, EPF_CODE);
		audit("authorization_code", "failure", u.name, cl->id,
		    e == AG_EEXIST ? "reused" : "invalid");
		goto out;
	}
	if (!ep_token_ok(rs, tok, app->conf.access_token_ttl, scope, rtok))
		goto out;
	metrics_inc(MC_ISSUED_CODE);
	audit_token("authorization_code", "success", u.name, cl->id, NULL,
	    iss.jti);
	log_msg("token: user \"%s\" client \"%s\": code redeemed, issued jti "
	    "%s", u.name, cl->id, iss.jti);
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(rtok, sizeof(rtok));
	OPENSSL_cleanse(&ac, sizeof(ac));
	OPENSSL_cleanse(&u, sizeof(u));
}

/*
 * The client acts for itself: sub is its id (RFC 9068 2.2).  So that
 * no such token passes for a user's, a client whose id is also a user
 * name gets none.
 */
void
ep_grant_client(const struct app *app, const struct form *f,
    const struct client *cl, struct resp *rs)
{
	struct claims	 claims;
	struct user	 u;
	char		 tok[AG_TOKEN_MAX + 1], scope[AG_SCOPE_MAX + 1];
	enum ag_err	 e;

	if (cl->public_client || cl->id[0] == '\0') {
		ep_fail(rs, EPF_UNAUTHORIZED_CLIENT);
		return;
	}
	e = store_user_get(app->store, cl->id, &u);
	OPENSSL_cleanse(&u, sizeof(u));
	if (e != AG_ENOENT) {
		if (e == AG_OK) {
			log_msg("token: client \"%s\" is also a user name: "
			    "client_credentials refused", cl->id);
			ep_fail(rs, EPF_UNAUTHORIZED_CLIENT);
		} else
			ep_fail_err(rs, e);
		return;
	}
	/* Within its registered scopes; all of them when none is asked. */
	e = scope_grant(form_get(f, "scope", NULL), cl->scope, "", scope,
	    sizeof(scope));
	if (e != AG_OK) {
		ep_fail(rs, e == AG_EINVAL ? EPF_SCOPE_MALFORMED :
		    EPF_SCOPE_EXCEEDS);
		return;
	}
	if (app->keys == NULL) {
		ep_fail(rs, EPF_MISCONFIGURED);
		return;
	}
	if ((e = jwt_issue(&app->conf, app->keys, cl->id, scope, cl->id,
	    app->conf.access_token_ttl, time(NULL), tok, sizeof(tok),
	    &claims)) != AG_OK) {
		log_msg("token: client \"%s\": cannot issue: %s", cl->id,
		    ag_strerror(e));
		ep_fail(rs, EPF_SERVER_ERROR);
		goto out;
	}
	if (!ep_token_ok(rs, tok, app->conf.access_token_ttl, scope, NULL))
		goto out;
	metrics_inc(MC_ISSUED_CLIENT);
	audit_token("client_credentials", "success", cl->id, cl->id, NULL,
	    claims.jti);
	log_msg("token: client \"%s\": client_credentials, issued jti %s",
	    cl->id, claims.jti);
out:
	OPENSSL_cleanse(tok, sizeof(tok));
}
