/*
 * POST /revoke: RFC 7009 token revocation.  A refresh token takes its
 * whole rotation family with it; an access token goes on the deny-list
 * until it would have expired anyway.  The answer is 200 whether or not
 * the token was known (RFC 7009 2.2), so the endpoint tells nobody
 * which tokens exist.  A token issued to another client is left alone,
 * silently, for the same reason.  token_type_hint is only a hint: both
 * kinds are looked for whatever it says (2.1).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "authgate.h"
#include "conf.h"
#include "deny.h"
#include "metrics.h"
#include "ep.h"
#include "ep_err.h"
#include "ep_oauth.h"
#include "form.h"
#include "jwt.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "state.h"
#include "store.h"

static const char *const revoke_once[] = {
	"token", "token_type_hint", "client_id", "client_secret", NULL
};

/* Revoke tok if it is a live refresh token of cl. */
static enum ag_err
revoke_refresh(const struct app *app, const char *tok,
    const struct client *cl, time_t now, bool *found)
{
	struct refresh	 r;
	enum ag_err	 e;

	*found = false;
	if (strlen(tok) > AG_REFRESH_MAX)
		return AG_OK;
	/* find, not peek: a token already rotated out still names its
	 * family, which must end with it (a client logging out while a
	 * background refresh runs) */
	e = state_refresh_find(app->state, tok, now, &r);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		return e;
	if (e != AG_OK)
		return AG_OK;
	*found = true;
	if (strcmp(r.client_id, cl->id) != 0) {
		log_msg("revoke: client \"%s\" sent a refresh token of "
		    "client \"%s\": ignored", cl->id, r.client_id);
		return AG_OK;
	}
	e = state_refresh_revoke(app->state, tok);
	if (e == AG_ENOENT)
		return AG_OK;
	if (e == AG_OK) {
		metrics_inc(MC_REVOKE_REFRESH);
		audit_token("revoke", "success", r.user, cl->id,
		    "refresh_token", NULL);
	}
	if (e == AG_OK)
		log_msg("revoke: refresh token family of user \"%s\" "
		    "revoked", r.user);
	return e;
}

/* Deny tok if it is a valid access token of cl. */
static enum ag_err
revoke_access(const struct app *app, const char *tok,
    const struct client *cl, time_t now)
{
	struct claims	 c;
	const char	*why;
	size_t		 len;
	enum ag_err	 e;

	len = strlen(tok);
	if (app->keys == NULL || len > AG_TOKEN_MAX)
		return AG_OK;
	if (jwt_verify(&app->conf, app->keys, tok, len, now, &c, &why) !=
	    AG_OK)
		return AG_OK;
	if (!ep_client_owns(app, c.client_id, cl)) {
		log_msg("revoke: client \"%s\" sent an access token of "
		    "client \"%s\": ignored", cl->id, c.client_id);
		return AG_OK;
	}
	/* It verifies until exp + leeway: deny it that long. */
	e = state_deny_add(app->state, c.jti, c.exp + app->conf.leeway);
	if (e == AG_OK)
		log_msg("revoke: access token jti %s of user \"%s\" revoked",
		    c.jti, c.sub);
	if (e == AG_OK) {
		metrics_inc(MC_REVOKE_ACCESS);
		audit_token("revoke", "success", c.sub, cl->id,
		    "access_token", c.jti);
	}
	return e;
}

void
ep_revoke(const struct app *app, const struct req *rq, struct resp *rs)
{
	struct ep_body	 b;
	struct client	 cl;
	const char	*tok, *hint;
	time_t		 now;
	bool		 found = false;
	enum ag_err	 e;

	memset(&b, 0, sizeof(b));
	audit_remote(rq->remote_addr);
	if (!ep_body_parse(rq, revoke_once, &b, rs))
		goto out;
	if (!ep_client_auth(app, rq, &b.form, false, &cl, rs))
		goto out;
	tok = form_get(&b.form, "token", NULL);
	hint = form_get(&b.form, "token_type_hint", NULL);
	if (tok == NULL || tok[0] == '\0') {
		ep_fail(rs, EPF_TOKEN_MISSING);
		goto out;
	}
	now = time(NULL);
	/* The hint orders the search; it never limits it. */
	if (hint != NULL && strcmp(hint, "access_token") == 0) {
		if ((e = revoke_access(app, tok, &cl, now)) == AG_OK)
			e = revoke_refresh(app, tok, &cl, now, &found);
	} else {
		if ((e = revoke_refresh(app, tok, &cl, now, &found)) ==
		    AG_OK && !found)
			e = revoke_access(app, tok, &cl, now);
	}
	if (e != AG_OK) {
		log_msg("revoke: cannot store: %s", ag_strerror(e));
		ep_fail(rs, EPF_UNAVAILABLE);
		goto out;
	}
	resp_json(rs, 200, "{}", 2);
	ep_no_store(rs);
out:
	ep_body_free(&b);
}
