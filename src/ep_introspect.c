/*
 * POST /introspect: RFC 7662 token introspection, for confidential
 * clients only (the resource servers; 2.1 requires authorization and a
 * public client proves nothing).  An access token that verifies and is
 * not revoked, or a live refresh token, is active; anything else,
 * including a token this server cannot parse, is {"active":false}
 * with no further detail (2.2).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "authgate.h"
#include "conf.h"
#include "deny.h"
#include "ep.h"
#include "ep_err.h"
#include "ep_oauth.h"
#include "form.h"
#include "jw.h"
#include "jwt.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "state.h"
#include "store.h"

static const char *const introspect_once[] = {
	"token", "token_type_hint", "client_id", "client_secret", NULL
};

static void
answer(struct jw *w, struct resp *rs)
{
	const char	*json;
	size_t		 len;

	if ((json = jw_done(w, &len)) == NULL) {
		ep_fail(rs, EPF_SERVER_ERROR);
		return;
	}
	resp_json(rs, 200, json, len);
	ep_no_store(rs);
}

void
ep_introspect(const struct app *app, const struct req *rq, struct resp *rs)
{
	struct ep_body	 b;
	struct client	 cl;
	struct claims	 c;
	struct refresh	 r;
	struct jw	 w;
	char		 body[AG_SCOPE_MAX * 2 + AG_NAME_MAX * 4 +
			    CONF_VALUE_MAX * 4 + 512];
	const char	*tok, *why;
	size_t		 len;
	time_t		 now;
	enum ag_err	 e;

	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	if (!ep_body_parse(rq, introspect_once, &b, rs))
		goto out;
	if (!ep_client_auth(app, rq, &b.form, true, &cl, rs))
		goto out;
	tok = form_get(&b.form, "token", NULL);
	if (tok == NULL || tok[0] == '\0') {
		ep_fail(rs, EPF_TOKEN_MISSING);
		goto out;
	}
	now = time(NULL);
	len = strlen(tok);
	jw_init(&w, body, sizeof(body));
	jw_obj_open(&w, NULL);

	if (app->keys != NULL && len <= AG_TOKEN_MAX &&
	    jwt_verify(&app->conf, app->keys, tok, len, now, &c, &why) ==
	    AG_OK && !state_deny_check(app->state, c.jti)) {
		jw_bool(&w, "active", true);
		jw_str(&w, "scope", c.scope);
		jw_str(&w, "client_id", c.client_id);
		jw_str(&w, "username", c.sub);
		jw_str(&w, "token_type", "Bearer");
		jw_int(&w, "exp", c.exp);
		jw_int(&w, "iat", c.iat);
		jw_int(&w, "nbf", c.nbf);
		jw_str(&w, "sub", c.sub);
		if (app->conf.audience[0] != '\0')
			jw_str(&w, "aud", app->conf.audience);
		jw_str(&w, "iss", app->conf.issuer);
		jw_str(&w, "jti", c.jti);
		jw_obj_close(&w);
		answer(&w, rs);
		goto out;
	}
	if (len <= AG_REFRESH_MAX) {
		e = state_refresh_peek(app->state, tok, now, &r);
		if (e == AG_EUNAVAIL || e == AG_ENOMEM) {
			log_msg("introspect: state_db: %s", ag_strerror(e));
			ep_fail(rs, EPF_UNAVAILABLE);
			goto out;
		}
		if (e == AG_OK) {
			jw_bool(&w, "active", true);
			jw_str(&w, "scope", r.scope);
			jw_str(&w, "client_id", r.client_id);
			jw_str(&w, "username", r.user);
			jw_str(&w, "sub", r.user);
			jw_str(&w, "token_type", "refresh_token");
			jw_int(&w, "exp", r.exp);
			jw_str(&w, "iss", app->conf.issuer);
			jw_obj_close(&w);
			answer(&w, rs);
			goto out;
		}
	}
	jw_bool(&w, "active", false);
	jw_obj_close(&w);
	answer(&w, rs);
out:
	OPENSSL_cleanse(&r, sizeof(r));
	ep_body_free(&b);
}
