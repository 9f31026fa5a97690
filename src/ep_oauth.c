/*
 * What the OAuth endpoints (token, revoke, introspect) share besides
 * client authentication (ep_client.c): the form body, the no-store
 * headers, the token response and the account check of the grants.
 * See ep_oauth.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "authgate.h"
#include "ep.h"
#include "ep_err.h"
#include "ep_oauth.h"
#include "form.h"
#include "jw.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "store.h"

bool
ep_body_parse(const struct req *rq, const char *const *once,
    struct ep_body *b, struct resp *rs)
{
	size_t		 i, count;
	enum ag_err	 e;

	memset(b, 0, sizeof(*b));
	b->len = rq->body != NULL ? rq->bodylen : 0;
	if ((b->buf = malloc(b->len + 1)) == NULL) {
		ep_fail_err(rs, AG_ENOMEM);
		return false;
	}
	if (b->len > 0)
		memcpy(b->buf, rq->body, b->len);
	b->buf[b->len] = '\0';
	if ((e = form_parse(b->buf, b->len, &b->form)) != AG_OK) {
		ep_fail(rs, e == AG_ETOOBIG ? EPF_BODY_FIELDS :
		    EPF_BODY_MALFORMED);
		return false;
	}
	for (i = 0; once[i] != NULL; i++) {
		(void)form_get(&b->form, once[i], &count);
		if (count > 1) {
			ep_fail(rs, EPF_REPEATED);
			return false;
		}
	}
	return true;
}

void
ep_body_free(struct ep_body *b)
{
	if (b->buf != NULL) {
		OPENSSL_cleanse(b->buf, b->len + 1);
		free(b->buf);
	}
	OPENSSL_cleanse(&b->form, sizeof(b->form));
	b->buf = NULL;
	b->len = 0;
}

void
ep_no_store(struct resp *rs)
{
	if (!resp_has_header(rs, "Cache-Control"))
		resp_header(rs, "Cache-Control", "no-store");
	if (!resp_has_header(rs, "Pragma"))
		resp_header(rs, "Pragma", "no-cache");
}

bool
ep_token_ok(struct resp *rs, const char *tok, long ttl, const char *scope,
    const char *rtok)
{
	char		 body[AG_TOKEN_MAX + AG_REFRESH_MAX + AG_SCOPE_MAX +
			    256];
	struct jw	 w;
	const char	*json;
	size_t		 len;
	bool		 ok = true;

	jw_init(&w, body, sizeof(body));
	jw_obj_open(&w, NULL);
	jw_str(&w, "access_token", tok);
	jw_str(&w, "token_type", "bearer");
	jw_int(&w, "expires_in", ttl);
	jw_str(&w, "scope", scope);
	if (rtok != NULL && rtok[0] != '\0')
		jw_str(&w, "refresh_token", rtok);
	jw_obj_close(&w);
	if ((json = jw_done(&w, &len)) == NULL) {
		ep_fail(rs, EPF_SERVER_ERROR);
		ok = false;
	} else {
		resp_json(rs, 200, json, len);
		ep_no_store(rs);
	}
	OPENSSL_cleanse(body, sizeof(body));
	return ok;
}

enum ag_err
ep_grant_account(const struct app *app, const char *what, const char *user,
    int64_t gen, struct user *u)
{
	enum ag_err	 e;

	e = store_user_get(app->store, user, u);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		return e;
	if (e != AG_OK || u->locked || u->gen != gen) {
		log_msg("token: %s for user \"%s\" refused: %s", what, user,
		    e != AG_OK ? "no such user" : u->locked ? "locked" :
		    "password changed or account replaced");
		return AG_EDENIED;
	}
	return AG_OK;
}
