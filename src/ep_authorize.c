/*
 * GET /authorize: RFC 6749 4.1 authorization code with PKCE (RFC 7636,
 * S256 only, required) and RFC 9207's iss (SPEC "Browser sign-in").
 *
 * The request's rules are authz.c's, the pages html.c's.  Errors before the client and
 * its redirect URI are known to go together are shown on a page (400),
 * never redirected; later ones go to the redirect URI with error,
 * error_description, state and iss (RFC 6749 4.1.2.1, RFC 9207).  A
 * good request without a session is sent to the sign-in page, which
 * comes back here (rd).  With one, a code bound to the client, the
 * redirect URI, the challenge and the account goes to the redirect
 * URI.  There is no consent page: the clients are first-party, each
 * registered by the administrator (authgatectl client add).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "authz.h"
#include "code.h"
#include "conf.h"
#include "ep.h"
#include "ep_err.h"
#include "html.h"
#include "log.h"
#include "redirect.h"
#include "req.h"
#include "resp.h"
#include "scope.h"
#include "session.h"
#include "store.h"

/* A Location, with the other headers, fits RESP_HEADERS_MAX. */
#define AUTHZ_LOCATION_MAX	(RESP_HEADERS_MAX - 512)

/* An error page for the person at the browser (html.c's page). */
static void
authz_page(struct resp *rs, int status, const char *msg)
{
	struct html	 h;

	html_page_begin(&h, rs, "Sign-in request refused");
	html_raw(&h, "<p>");
	html_text(&h, msg);
	html_raw(&h, "</p>\n<p>Go back to the application and try again; "
	    "if this persists, tell its administrator.</p>\n");
	html_page_end(&h, rs, status);
}

/* 302 to loc, or a page when it did not fit. */
static void
found(struct resp *rs, const char *loc, bool fits)
{
	if (!fits || strlen(loc) > AUTHZ_LOCATION_MAX) {
		authz_page(rs, 400, "The authorization request is too long.");
		return;
	}
	html_page_headers(rs);
	resp_header(rs, "Location", loc);
	resp_nobody(rs, 302);
}

/* An error for the client, at its redirect URI (RFC 6749 4.1.2.1). */
static void
to_client(const struct app *app, const struct authz *a, struct resp *rs)
{
	char	 loc[AUTHZ_LOCATION_MAX + 1];
	bool	 fits;

	fits = snprintf(loc, sizeof(loc), "%s", a->redirect_uri) <
	    (int)sizeof(loc) &&
	    authz_param(loc, sizeof(loc), "error", a->error) &&
	    authz_param(loc, sizeof(loc), "error_description", a->why) &&
	    (a->state == NULL ||
	    authz_param(loc, sizeof(loc), "state", a->state)) &&
	    authz_param(loc, sizeof(loc), "iss", app->conf.issuer);
	found(rs, loc, fits);
}

/*
 * No session: to the sign-in page, which comes back to this request
 * (rd, encoded as the guard encodes it).  When the sign-in page would
 * not take rd back (over REDIRECT_RD_MAX, say), a page: signing in
 * would not come back here.
 */
static void
to_login(const struct app *app, const struct req *r, struct resp *rs)
{
	char	 loc[AUTHZ_LOCATION_MAX + 1], back[AUTHZ_QUERY_MAX + 512];
	int	 n;
	bool	 fits;

	if (r->request_uri != NULL)
		n = snprintf(back, sizeof(back), "%s", r->request_uri);
	else
		n = snprintf(back, sizeof(back), "%.*s/authorize?%s",
		    (int)r->baselen, r->base, r->query != NULL ? r->query :
		    "");
	/* rd as the sign-in page will take it back (redirect.h) */
	fits = n >= 0 && (size_t)n < sizeof(back) &&
	    redirect_ok(back, (size_t)n) &&
	    session_login_location(app->conf.login_url, back, loc,
	    sizeof(loc)) && strlen(loc) > strlen(app->conf.login_url);
	found(rs, loc, fits);
}

/*
 * The scope of the code: the one asked for (or default_scope, or all
 * allowed), within the user's and, when it registered any, the
 * client's.
 */
static bool
code_scope(const struct app *app, const struct authz *a,
    const struct client *cl, const struct user *u, char *out,
    size_t outsz)
{
	char	 allowed[AG_SCOPE_MAX + 1];

	if (cl->scope[0] == '\0')
		memcpy(allowed, u->scope, sizeof(allowed));
	else if (scope_meet(u->scope, cl->scope, false, allowed,
	    sizeof(allowed)) != AG_OK)
		return false;
	return scope_grant(a->scope, allowed, app->conf.default_scope, out,
	    outsz) == AG_OK;
}

/* Signed in as s: make the code and send it to the client. */
static void
give_code(const struct app *app, struct authz *a, const struct client *cl,
    const struct session *s, struct resp *rs)
{
	struct authcode	 ac;
	struct user	 u;
	char		 code[CODE_LEN + 1], loc[AUTHZ_LOCATION_MAX + 1];
	enum ag_err	 e;
	bool		 fits;

	memset(&ac, 0, sizeof(ac));
	e = store_user_get(app->store, s->user, &u);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM) {
		authz_page(rs, 503, "The service is temporarily unavailable; "
		    "try again later.");
		goto out;
	}
	if (e != AG_OK || u.locked) {
		a->error = "access_denied";
		a->why = "The account cannot sign in";
		to_client(app, a, rs);
		goto out;
	}
	if (!code_scope(app, a, cl, &u, ac.scope, sizeof(ac.scope))) {
		a->error = "invalid_scope";
		a->why = "The requested scope exceeds what may be granted";
		to_client(app, a, rs);
		goto out;
	}
	memcpy(ac.client_id, cl->id, sizeof(ac.client_id));
	memcpy(ac.user, u.name, sizeof(ac.user));
	memcpy(ac.challenge, a->challenge, strlen(a->challenge) + 1);
	ac.gen = u.gen;
	if ((e = code_new(app->state, &ac, a->redirect_uri, time(NULL),
	    code)) != AG_OK) {
		log_msg("authorize: user \"%s\" client \"%s\": cannot store a "
		    "code: %s", u.name, cl->id, ag_strerror(e));
		authz_page(rs, 503, "The service cannot store its state now; "
		    "try again later.");
		goto out;
	}
	fits = snprintf(loc, sizeof(loc), "%s", a->redirect_uri) <
	    (int)sizeof(loc) &&
	    authz_param(loc, sizeof(loc), "code", code) &&
	    (a->state == NULL ||
	    authz_param(loc, sizeof(loc), "state", a->state)) &&
	    authz_param(loc, sizeof(loc), "iss", app->conf.issuer);
	found(rs, loc, fits);
	audit("authorize", "success", u.name, cl->id, NULL);
	log_msg("authorize: user \"%s\" client \"%s\": code issued", u.name,
	    cl->id);
out:
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(loc, sizeof(loc));
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(&ac, sizeof(ac));
}

void
ep_authorize(const struct app *app, const struct req *r, struct resp *rs)
{
	struct authz	 a;
	struct client	 cl;
	struct session	 s;
	enum authz_step	 step;
	enum ag_err	 e;

	memset(&cl, 0, sizeof(cl));
	memset(&s, 0, sizeof(s));
	audit_remote(r->remote_addr);
	if ((step = authz_parse(&a, r->query)) != AUTHZ_OK) {
		authz_page(rs, 400, a.why);
		goto out;
	}
	e = store_client_get(app->store, a.client_id, &cl);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM) {
		authz_page(rs, 503, "The service is temporarily unavailable; "
		    "try again later.");
		goto out;
	}
	if (e != AG_OK) {
		authz_page(rs, 400, "The request names an unknown client.");
		goto out;
	}
	if ((step = authz_check(&a, &cl)) == AUTHZ_PAGE) {
		authz_page(rs, 400, a.why);
		goto out;
	}
	if (step == AUTHZ_REDIRECT) {
		to_client(app, &a, rs);
		goto out;
	}
	if (app->keys == NULL) {
		authz_page(rs, 503, "The service is misconfigured.");
		goto out;
	}
	e = session_from_req(&app->conf, app->keys, app->state, r, time(NULL),
	    &s);
	if (e == AG_EUNAVAIL || e == AG_ENOMEM)
		authz_page(rs, 503, "The service is temporarily unavailable; "
		    "try again later.");
	else if (e != AG_OK)
		to_login(app, r, rs);
	else
		give_code(app, &a, &cl, &s, rs);
out:
	OPENSSL_cleanse(&a, sizeof(a));
	OPENSSL_cleanse(&s, sizeof(s));
	OPENSSL_cleanse(&cl, sizeof(cl));
}
