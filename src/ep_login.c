/*
 * GET/POST /login, POST /logout: the sign-in page and its form (SPEC
 * "Browser sign-in").
 *
 * GET shows the form (or, with a session, who is signed in and a
 * sign-out button) and sets the CSRF cookie (csrf.h).  POST /login
 * checks the CSRF token and the request's origin first, then the
 * password with /token's lockout, timing and audit (login.c), then
 * sets the session cookie (session.h) and answers 303 to rd when it is
 * a path on this site (redirect.h), else to login_redirect.  A failure
 * shows the form again with a message, the user name and rd kept
 * (escaped: html.h).  Wrong, unknown and locked are one message.
 *
 * serve.c has checked the method, the body size (413) and the content
 * type (415) before we are called.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "authgate.h"
#include "csrf.h"
#include "ep.h"
#include "ep_err.h"
#include "form.h"
#include "html.h"
#include "log.h"
#include "login.h"
#include "redirect.h"
#include "req.h"
#include "resp.h"
#include "session.h"

/* The longest query read for rd, and a Set-Cookie of ours. */
#define LOGIN_QUERY_MAX	(REDIRECT_RD_MAX * 3 + 256)
#define LOGIN_COOKIE_MAX (SESSION_VALUE_MAX + 256)

/* What a page shows besides the form. */
struct page {
	int		 status;
	const char	*msg;		/* a message, or NULL */
	bool		 msg_ok;	/* good news (not an error) */
	const char	*user;		/* the user name typed or NULL */
	const char	*rd;		/* a good rd, or NULL */
	/* The sign-in form even with a session (a failed sign-in). */
	bool		 form;
};

static const char *const login_once[] = {
	"username", "password", "csrf", "rd", NULL
};

/* "BASE/SUFFIX" as an attribute value (escaped). */
static void
action(struct html *h, const struct req *r, const char *suffix)
{
	html_textn(h, r->base != NULL ? r->base : "", r->baselen);
	html_text(h, suffix);
}

static void
hidden(struct html *h, const char *name, const char *value)
{
	html_raw(h, "<input type=\"hidden\" name=\"");
	html_raw(h, name);
	html_raw(h, "\" value=\"");
	html_text(h, value);
	html_raw(h, "\">\n");
}

static void
message(struct html *h, const struct page *p)
{
	if (p->msg == NULL)
		return;
	html_raw(h, p->msg_ok ? "<p class=\"msg ok\" role=\"status\">" :
	    "<p class=\"msg\" role=\"alert\">");
	html_text(h, p->msg);
	html_raw(h, "</p>\n");
}

/* The sign-in form. */
static void
form_body(struct html *h, const struct req *r, const struct page *p,
    const char *csrf)
{
	message(h, p);
	html_raw(h, "<form method=\"post\" action=\"");
	action(h, r, "/login");
	html_raw(h, "\">\n");
	hidden(h, "csrf", csrf);
	if (p->rd != NULL)
		hidden(h, "rd", p->rd);
	html_raw(h, "<label for=\"username\">User name</label>\n"
	    "<input id=\"username\" name=\"username\" type=\"text\" "
	    "autocomplete=\"username\" autocapitalize=\"none\" "
	    "spellcheck=\"false\" required");
	if (p->user != NULL) {
		html_raw(h, " value=\"");
		html_text(h, p->user);
		html_raw(h, "\">\n<label for=\"password\">Password</label>\n"
		    "<input id=\"password\" name=\"password\" "
		    "type=\"password\" autocomplete=\"current-password\" "
		    "required autofocus>\n");
	} else
		html_raw(h, " autofocus>\n<label for=\"password\">Password"
		    "</label>\n<input id=\"password\" name=\"password\" "
		    "type=\"password\" autocomplete=\"current-password\" "
		    "required>\n");
	html_raw(h, "<button type=\"submit\">Sign in</button>\n</form>\n");
}

/* Who is signed in, where to go on, and the sign-out form. */
static void
session_body(struct html *h, const struct req *r, const struct page *p,
    const struct session *s, const char *csrf)
{
	message(h, p);
	html_raw(h, "<p>Signed in as <strong>");
	html_text(h, s->user);
	html_raw(h, "</strong>.</p>\n");
	if (p->rd != NULL) {
		html_raw(h, "<p><a href=\"");
		html_text(h, p->rd);
		html_raw(h, "\">Continue to ");
		html_text(h, p->rd);
		html_raw(h, "</a></p>\n");
	}
	html_raw(h, "<form method=\"post\" action=\"");
	action(h, r, "/logout");
	html_raw(h, "\">\n");
	hidden(h, "csrf", csrf);
	html_raw(h, "<button type=\"submit\">Sign out</button>\n</form>\n");
}

/* 303 to location, with a page that links there (browsers go on at
 * once; the page is for anything that does not). */
static void
see_other(struct resp *res, const char *location, const char *title)
{
	struct html	 h;

	resp_header(res, "Location", location);
	html_page_begin(&h, res, title);
	html_raw(&h, "<p><a href=\"");
	html_text(&h, location);
	html_raw(&h, "\">Continue</a></p>\n");
	html_page_end(&h, res, 303);
}

/*
 * The page: the sign-in form, or with a session (unless p->form) who is
 * signed in.  The CSRF cookie the request holds is kept, else a new one is set.
 */
static void
show(const struct app *app, const struct req *r, struct resp *res,
    const struct page *p)
{
	struct session	 s;
	struct html	 h;
	char		 csrf[CSRF_LEN + 1], cookie[CSRF_SET_COOKIE_MAX];
	bool		 https = r->secure, in;

	memset(&s, 0, sizeof(s));
	if (!csrf_from_cookie(r->cookie, https, csrf) && !csrf_new(csrf)) {
		log_msg("login: no randomness for a CSRF token");
		ep_fail(res, EPF_SERVER_ERROR);
		return;
	}
	if (!csrf_set_cookie(cookie, sizeof(cookie), https, csrf)) {
		ep_fail(res, EPF_SERVER_ERROR);
		return;
	}
	resp_header(res, "Set-Cookie", cookie);
	in = !p->form && session_from_req(&app->conf, app->keys, app->state,
	    r, time(NULL), &s) == AG_OK;
	html_page_begin(&h, res, in ? "Signed in" : "Sign in");
	if (in)
		session_body(&h, r, p, &s, csrf);
	else
		form_body(&h, r, p, csrf);
	html_page_end(&h, res, p->status);
	OPENSSL_cleanse(&s, sizeof(s));
}

/* The rd of the query when there is one, once, and good; else NULL. */
static const char *
query_rd(const struct req *r, char *buf, size_t bufsz)
{
	struct form	 f;
	const char	*rd;
	size_t		 len, count;

	if (r->query == NULL || (len = strlen(r->query)) >= bufsz)
		return NULL;
	memcpy(buf, r->query, len + 1);
	if (form_parse(buf, len, &f) != AG_OK)
		return NULL;
	rd = form_get(&f, "rd", &count);
	return count == 1 && redirect_ok(rd, strlen(rd)) ? rd : NULL;
}

/* The form of a POST, or the 400 page (a fresh form).  *f is empty
 * when false is returned. */
static bool
post_form(const struct app *app, const struct req *r, struct resp *res,
    struct form *f)
{
	struct page	 p = { 400, NULL, false, NULL, NULL,
			    r->route == ROUTE_LOGIN };
	size_t		 i, count;

	f->n = 0;
	if (r->body == NULL || form_parse(r->body, r->bodylen, f) != AG_OK) {
		p.msg = "The form could not be read. Please try again.";
		show(app, r, res, &p);
		return false;
	}
	for (i = 0; login_once[i] != NULL; i++) {
		(void)form_get(f, login_once[i], &count);
		if (count > 1) {
			f->n = 0;
			p.msg = "The form sent a field twice. Please try "
			    "again.";
			show(app, r, res, &p);
			return false;
		}
	}
	return true;
}

/*
 * The CSRF token and the origin of a POST, or the 403 page: the form
 * again, with the user name and rd kept, and the same cookie (or a new
 * one when the request had none).
 */
static bool
post_allowed(const struct app *app, const struct req *r, struct resp *res,
    const struct form *f, struct page *p)
{
	char		 csrf[CSRF_LEN + 1];
	const char	*why;

	p->status = 403;
	if (!csrf_from_cookie(r->cookie, r->secure, csrf) ||
	    !csrf_match(form_get(f, "csrf", NULL), csrf)) {
		log_msg("%s: refused: CSRF token missing or not the "
		    "cookie's", r->route == ROUTE_LOGOUT ? "logout" : "login");
		p->msg = r->route == ROUTE_LOGOUT ? "Your sign-out form "
		    "expired, please try again." : "Your sign-in form expired, "
		    "please try again.";
		show(app, r, res, p);
		return false;
	}
	if (!csrf_origin_ok(r, &why)) {
		log_msg("%s: refused: %s", r->route == ROUTE_LOGOUT ?
		    "logout" : "login", why);
		p->msg = "This form was sent from another site and was "
		    "refused. Please sign in here.";
		show(app, r, res, p);
		return false;
	}
	return true;
}

/*
 * The password was right: sign the session, set its cookie, 303 to rd
 * or login_redirect.
 */
static void
signed_in(const struct app *app, const struct req *r, struct resp *res,
    const struct login *lg, struct page *p)
{
	char		 val[SESSION_VALUE_MAX + 1];
	char		 cookie[LOGIN_COOKIE_MAX];
	struct session	 s;
	bool		 https = r->secure;
	enum ag_err	 e;

	e = session_issue(&app->conf, app->keys, lg->user.name,
	    lg->user.scope, lg->user.gen, time(NULL), val, sizeof(val), &s);
	if (e != AG_OK || !session_set_cookie(cookie, sizeof(cookie), https,
	    val, app->conf.session_ttl)) {
		log_msg("login: user \"%s\": cannot make a session: %s",
		    lg->user.name, e != AG_OK ? ag_strerror(e) :
		    "cookie too long");
		p->status = e == AG_EUNAVAIL || e == AG_ENOMEM ? 503 : 500;
		p->msg = "Signing in is not possible right now. Please try "
		    "again later.";
		show(app, r, res, p);
		goto out;
	}
	resp_header(res, "Set-Cookie", cookie);
	see_other(res, redirect_target(p->rd, app->conf.login_redirect),
	    "Signed in");
	audit_token("login", "success", lg->user.name, "", "session", s.sid);
	log_msg("login: user \"%s\": signed in, session %s", lg->user.name,
	    s.sid);
out:
	OPENSSL_cleanse(val, sizeof(val));
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(&s, sizeof(s));
}

static void
login_post(const struct app *app, const struct req *r, struct resp *res)
{
	struct form	 f;
	struct login	 lg;
	struct page	 p = { 0, NULL, false, NULL, NULL, true };
	const char	*user;

	if (!post_form(app, r, res, &f))
		return;
	user = form_get(&f, "username", NULL);
	p.user = user != NULL && strlen(user) <= AG_NAME_MAX ? user : NULL;
	p.rd = redirect_target(form_get(&f, "rd", NULL), NULL);
	if (!post_allowed(app, r, res, &f, &p))
		return;
	switch (login_begin(app, user, form_get(&f, "password", NULL), "",
	    &lg)) {
	case LOGIN_OK:
		/* The password was right: the failures are forgotten. */
		login_forget(app, &lg);
		signed_in(app, r, res, &lg, &p);
		break;
	case LOGIN_MISSING:
		p.status = 400;
		p.msg = "Enter your user name and password.";
		show(app, r, res, &p);
		break;
	case LOGIN_TOO_LONG:
		p.status = 400;
		p.msg = "The user name or the password is too long.";
		show(app, r, res, &p);
		break;
	case LOGIN_BAD:
		p.status = 401;
		p.msg = "Wrong user name or password, or the account is "
		    "locked.";
		show(app, r, res, &p);
		break;
	case LOGIN_UNAVAILABLE:
		p.status = 503;
		p.msg = "Signing in is not possible right now. Please try "
		    "again later.";
		show(app, r, res, &p);
		break;
	}
	login_end(app, &lg);
}

void
ep_login(const struct app *app, const struct req *r, struct resp *res)
{
	char		 q[LOGIN_QUERY_MAX];
	struct page	 p = { 200, NULL, false, NULL, NULL, false };

	if (r->method == REQ_POST) {
		login_post(app, r, res);
		return;
	}
	p.rd = query_rd(r, q, sizeof(q));
	show(app, r, res, &p);
}

/*
 * POST /logout: the CSRF token and origin as for /login; then the
 * session, if the cookie holds a good one, is ended in state_db (its
 * sid denied), the cookie cleared, and the browser sent to login_url.
 */
void
ep_logout(const struct app *app, const struct req *r, struct resp *res)
{
	struct form	 f;
	struct session	 s;
	struct page	 p = { 0, NULL, false, NULL, NULL, false };
	char		 cookie[LOGIN_COOKIE_MAX];
	enum ag_err	 e;

	if (!post_form(app, r, res, &f) || !post_allowed(app, r, res, &f, &p))
		return;
	if (!session_set_cookie(cookie, sizeof(cookie), r->secure, NULL,
	    0)) {
		ep_fail(res, EPF_SERVER_ERROR);
		return;
	}
	if (session_from_req(&app->conf, app->keys, app->state, r, time(NULL),
	    &s) == AG_OK) {
		if ((e = session_end(app->state, &s)) != AG_OK) {
			log_msg("logout: user \"%s\": cannot end session "
			    "%s: %s", s.user, s.sid, ag_strerror(e));
			p.status = 503;
			p.msg = "Signing out is not possible right now. "
			    "Please try again later.";
			show(app, r, res, &p);
			OPENSSL_cleanse(&s, sizeof(s));
			return;
		}
		audit_token("logout", "success", s.user, "", "session",
		    s.sid);
		log_msg("logout: user \"%s\": session %s ended", s.user,
		    s.sid);
	}
	OPENSSL_cleanse(&s, sizeof(s));
	resp_header(res, "Set-Cookie", cookie);
	see_other(res, app->conf.login_url, "Signed out");
}
