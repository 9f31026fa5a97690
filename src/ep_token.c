/*
 * POST /token: the RFC 6749 token endpoint, with the resource owner
 * password grant (4.3) and the refresh token grant (6).  Client
 * authentication is ep_client.c's, the password check with its lockout
 * login.c's, the error answers ep_err.c's.
 *
 * serve.c has checked the method, the body size (413) and the content
 * type (415) before we are called.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "authgate.h"
#include "conf.h"
#include "ep.h"
#include "ep_err.h"
#include "ep_oauth.h"
#include "form.h"
#include "jw.h"
#include "jwt.h"
#include "metrics.h"
#include "log.h"
#include "login.h"
#include "pw.h"
#include "req.h"
#include "resp.h"
#include "scope.h"
#include "state.h"
#include "store.h"

static const char *const token_once[] = {
	"grant_type", "username", "password", "scope", "client_id",
	"client_secret", "refresh_token", "code", "redirect_uri",
	"code_verifier", NULL
};

/*
 * The scope to grant (scope_grant), or the invalid_scope answer.
 */
static bool
grant_scope(const struct app *app, const char *want, const char *allowed,
    char *out, size_t outsz, struct resp *rs)
{
	enum ag_err	 e;

	e = scope_grant(want, allowed, app->conf.default_scope, out, outsz);
	if (e == AG_EINVAL) {
		ep_fail(rs, EPF_SCOPE_MALFORMED);
		return false;
	}
	if (e != AG_OK) {
		ep_fail(rs, EPF_SCOPE_EXCEEDS);
		return false;
	}
	return true;
}

/*
 * Issue the access token, then store the state change that goes with it
 * (stash: state_login_ok for a password, state_refresh_rotate for a
 * refresh token), and write the 200 of RFC 6749 5.1.  Signing comes
 * first so that nothing is stored, no refresh token spent, for an
 * answer that then fails.  r describes the refresh token to make;
 * oldtok is the one a refresh grant spends (NULL for a password, whose
 * failures stored are forgotten when forget).
 */
static void
issue(const struct app *app, const char *sub, const char *scope,
    const struct client *cl, struct refresh *r, const char *oldtok,
    bool forget, time_t now, struct resp *rs)
{
	char		 tok[AG_TOKEN_MAX + 1], rtok[AG_REFRESH_MAX + 1];
	struct claims	 claims;
	bool		 refresh = app->conf.refresh_token_ttl > 0 &&
			    (cl->grants & CG_REFRESH) != 0;
	enum ag_err	 e;

	rtok[0] = '\0';
	if (app->keys == NULL) {
		ep_fail(rs, EPF_SERVER_ERROR);
		return;
	}
	e = jwt_issue(&app->conf, app->keys, sub, scope,
	    ep_client_claim(app, cl), app->conf.access_token_ttl, now, tok,
	    sizeof(tok), &claims);
	if (e != AG_OK) {
		log_msg("token: user \"%s\": cannot issue: %s", sub,
		    ag_strerror(e));
		ep_fail(rs, EPF_SERVER_ERROR);
		goto out;
	}
	r->exp = (int64_t)now + app->conf.refresh_token_ttl;
	if (oldtok != NULL)
		e = state_refresh_rotate(app->state, oldtok, now, r, rtok);
	else
		e = state_login_ok(app->state, sub, forget,
		    refresh ? r : NULL, rtok);
	if (e == AG_EDENIED || e == AG_ENOENT) {
		/* lost a race: another use, a revocation, the account */
		log_msg("token: refresh token of user \"%s\" refused at use: "
		    "%s", sub, ag_strerror(e));
		ep_fail(rs, EPF_REFRESH);
		goto out;
	}
	if (e != AG_OK) {
		log_msg("token: user \"%s\": cannot store state: %s", sub,
		    ag_strerror(e));
		ep_fail(rs, EPF_UNAVAILABLE);
		goto out;
	}
	if (!ep_token_ok(rs, tok, app->conf.access_token_ttl, scope, rtok))
		goto out;
	metrics_inc(oldtok != NULL ? MC_ISSUED_REFRESH : MC_ISSUED_PASSWORD);
	audit_token(oldtok != NULL ? "refresh" : "login", "success", sub,
	    cl->id, NULL, claims.jti);
	log_msg("token: user \"%s\" client \"%s\": issued jti %s", sub,
	    cl->id, claims.jti);
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(rtok, sizeof(rtok));
}

/*
 * The password grant: login.c checks the password, with the lockout.
 * The outcome is stored before the attempt stops counting in flight
 * (login_end): with the refresh token, that the failures are
 * forgotten.
 */
static void
grant_password(const struct app *app, const struct form *f,
    const struct client *cl, struct resp *rs)
{
	struct login	 lg;
	struct refresh	 r;
	char		 scope[AG_SCOPE_MAX + 1], allowed[AG_SCOPE_MAX + 1];

	switch (login_begin(app, form_get(f, "username", NULL),
	    form_get(f, "password", NULL), cl->id, &lg)) {
	case LOGIN_OK:
		break;
	case LOGIN_MISSING:
		ep_fail(rs, EPF_LOGIN_MISSING);
		goto out;
	case LOGIN_TOO_LONG:
		ep_fail(rs, EPF_LOGIN_LONG);
		goto out;
	case LOGIN_BAD:
		ep_fail(rs, EPF_LOGIN);
		goto out;
	case LOGIN_UNAVAILABLE:
		ep_fail(rs, EPF_UNAVAILABLE);
		goto out;
	}
	/* A client registered with scopes limits its users' tokens. */
	if (cl->scope[0] != '\0' && scope_meet(lg.user.scope, cl->scope,
	    false, allowed, sizeof(allowed)) != AG_OK) {
		ep_fail(rs, EPF_SERVER_ERROR);
		login_forget(app, &lg);
		goto out;
	}
	if (!grant_scope(app, form_get(f, "scope", NULL), cl->scope[0] !=
	    '\0' ? allowed : lg.user.scope, scope, sizeof(scope), rs)) {
		/* the password was right: the failures are forgotten */
		login_forget(app, &lg);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.user, lg.user.name, sizeof(r.user));
	memcpy(r.client_id, cl->id, sizeof(r.client_id));
	memcpy(r.scope, scope, sizeof(r.scope));
	r.gen = lg.user.gen;
	issue(app, lg.user.name, scope, cl, &r, NULL, lg.forget,
	    time(NULL), rs);
	OPENSSL_cleanse(&r, sizeof(r));
out:
	login_end(app, &lg);
}

/*
 * The refresh grant.  The token is looked at first (peek) and spent
 * (rotated) only once the request is known to be good, so a mistake in
 * the request, a narrower scope spelt wrong say, does not burn it.  A
 * token peek does not find (unknown, expired, used before) still goes
 * to state_refresh_rotate(), which revokes the family of a reused one
 * (RFC 6819 5.2.2.3).  The token belongs to the account, not the name:
 * the user must exist, not be locked, and have the generation the
 * token was issued under (user passwd, del and lock draw a new one).
 *
 * refresh_peek: the token's record in r (AG_OK), AG_EUNAVAIL or
 * AG_ENOMEM; or AG_EINVAL when it was not found and the request has
 * been refused here.
 */
static enum ag_err
refresh_peek(const struct app *app, const char *tok, const struct client *cl,
    time_t now, struct refresh *r, struct resp *rs)
{
	char		 rtok[AG_REFRESH_MAX + 1];
	enum ag_err	 e;

	if ((e = state_refresh_peek(app->state, tok, now, r)) == AG_OK ||
	    e == AG_EUNAVAIL || e == AG_ENOMEM)
		return e;
	/* A reused token revokes its family in rotate. */
	memset(r, 0, sizeof(*r));
	e = state_refresh_rotate(app->state, tok, now, r, rtok);
	OPENSSL_cleanse(rtok, sizeof(rtok));
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		return e;
	if (e == AG_EDENIED)
		metrics_inc(MC_REFRESH_REUSE);
	audit(e == AG_EDENIED ? "refresh_reuse" : "refresh", "failure",
	    NULL, cl->id, e == AG_EDENIED ? "reused" : "invalid");
	log_msg("token: refresh token refused: %s",
	    e == AG_EDENIED ? "reused, family revoked" : ag_strerror(e));
	ep_fail(rs, EPF_REFRESH);
	return AG_EINVAL;
}

/*
 * Whether the token's client and account still hold it: AG_OK, with
 * the user in u; AG_EDENIED when its family must go; AG_EUNAVAIL or
 * AG_ENOMEM.  Presented by another client than the one it was issued
 * to (RFC 6749 6), it has leaked.  An administrator's lock, passwd or
 * del ends refreshing; a lockout (failed passwords, possibly someone
 * else's) does not.
 */
static enum ag_err
refresh_holder(const struct app *app, const struct refresh *r,
    const struct client *cl, struct user *u)
{
	if (strcmp(r->client_id, cl->id) != 0) {
		log_msg("token: refresh token of client \"%s\" presented by "
		    "\"%s\": family revoked", r->client_id, cl->id);
		return AG_EDENIED;
	}
	return ep_grant_account(app, "refresh", r->user, r->gen, u);
}

/* The refresh grant (see refresh_peek above). */
static void
grant_refresh(const struct app *app, const struct form *f,
    const struct client *cl, struct resp *rs)
{
	struct refresh	 r;
	struct user	 u;
	const char	*tok, *want;
	char		 narrow[AG_SCOPE_MAX + 1], scope[AG_SCOPE_MAX + 1];
	time_t		 now;
	enum ag_err	 e;

	memset(&u, 0, sizeof(u));
	memset(&r, 0, sizeof(r));
	tok = form_get(f, "refresh_token", NULL);
	want = form_get(f, "scope", NULL);
	if (tok == NULL || tok[0] == '\0') {
		ep_fail(rs, EPF_REFRESH_MISSING);
		return;
	}
	if (strlen(tok) > AG_REFRESH_MAX) {
		ep_fail(rs, EPF_REFRESH);
		return;
	}
	now = time(NULL);
	e = refresh_peek(app, tok, cl, now, &r, rs);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		goto unavail;
	if (e != AG_OK)
		goto out;
	e = refresh_holder(app, &r, cl, &u);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		goto unavail;
	if (e != AG_OK)
		goto revoke;
	/* Narrow, never widen; and never past the user's scope now. */
	if (want == NULL || want[0] == '\0')
		memcpy(narrow, r.scope, sizeof(narrow));
	else if (!grant_scope(app, want, r.scope, narrow, sizeof(narrow),
	    rs))
		goto out;
	if (scope_meet(narrow, u.scope, false, scope, sizeof(scope)) !=
	    AG_OK) {
		ep_fail(rs, EPF_SERVER_ERROR);
		goto out;
	}
	/* Rotate; the new refresh token keeps the grant's scope (RFC 6749
	 * 6).  Losing a race with another use is a reuse. */
	issue(app, u.name, scope, cl, &r, tok, false, now, rs);
	goto out;
revoke:
	e = state_refresh_revoke(app->state, tok);
	if (e != AG_OK && e != AG_ENOENT)
		goto unavail;
	audit("refresh", "failure", r.user, cl->id, "revoked");
	ep_fail(rs, EPF_REFRESH);
	goto out;
unavail:
	log_msg("token: refresh: storage unavailable: %s", ag_strerror(e));
	ep_fail(rs, EPF_UNAVAILABLE);
out:
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(&u, sizeof(u));
}

/* The grant types, and the registration each needs (store.h). */
static const struct {
	const char	*name;
	unsigned int	 bit;
	void		(*fn)(const struct app *, const struct form *,
			    const struct client *, struct resp *);
} grants[] = {
	{ "password",		CG_PASSWORD,	grant_password },
	{ "refresh_token",	CG_REFRESH,	grant_refresh },
	{ "authorization_code",	CG_CODE,	ep_grant_code },
	{ "client_credentials",	CG_CLIENT,	ep_grant_client },
};

void
ep_token(const struct app *app, const struct req *rq, struct resp *rs)
{
	struct ep_body	 b;
	struct client	 cl;
	const char	*gt;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	audit_remote(rq->remote_addr);
	if (!ep_body_parse(rq, token_once, &b, rs))
		goto out;
	if (!ep_client_auth(app, rq, &b.form, false, &cl, rs))
		goto out;
	if ((gt = form_get(&b.form, "grant_type", NULL)) == NULL)
		gt = "password";	/* as FastAPI's form sends it */
	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
		if (strcmp(gt, grants[i].name) == 0)
			break;
	if (i == sizeof(grants) / sizeof(grants[0]) ||
	    (grants[i].bit == CG_REFRESH && app->conf.refresh_token_ttl <= 0))
		ep_fail(rs, EPF_GRANT_TYPE);
	else if ((cl.grants & grants[i].bit) == 0) {
		/* RFC 6749 5.2 */
		log_msg("token: client \"%s\" is not registered for %s",
		    cl.id, gt);
		ep_fail(rs, EPF_UNAUTHORIZED_CLIENT);
	} else
		grants[i].fn(app, &b.form, &cl, rs);
out:
	OPENSSL_cleanse(&cl, sizeof(cl));
	ep_body_free(&b);
}
