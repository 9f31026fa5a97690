/*
 * Helpers the OAuth endpoints share (token, revoke, introspect): the
 * form body and repeated fields (ep_oauth.c).  Their error answers are
 * ep_err.h's; client authentication is ep.h's (ep_client.c).
 */
#ifndef EP_OAUTH_H
#define EP_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authgate.h"
#include "form.h"

struct req;
struct resp;

struct ep_body {
	char		*buf;		/* a copy of the body, decoded in place */
	size_t		 len;
	struct form	 form;
};

/*
 * Copy the body of rq (req is const; form_parse decodes in place) and
 * parse it.  Each field named in once (NULL-terminated) may appear at
 * most once (RFC 6749 3.1).  On failure rs holds 400 invalid_request
 * (or EPF_NOMEM's 503) and false is returned; b is then safe to
 * pass to ep_body_free().
 */
bool	ep_body_parse(const struct req *rq, const char *const *once,
	    struct ep_body *b, struct resp *rs);
/* Wipe (the body may hold a password) and free. */
void	ep_body_free(struct ep_body *b);
/* Cache-Control: no-store and Pragma: no-cache (RFC 6749 5.1). */
void	ep_no_store(struct resp *rs);
/*
 * The 200 of RFC 6749 5.1: the access token tok, valid ttl seconds,
 * with scope, and the refresh token rtok unless it is NULL or "".
 * False (and a 500 in rs) when it does not fit.
 */
bool	ep_token_ok(struct resp *rs, const char *tok, long ttl,
	    const char *scope, const char *rtok);

struct app;
struct client;
struct user;
/*
 * The account a grant (what: "refresh" or "code") was made for, as it
 * is now, in u: it must still be there, unlocked, with generation gen
 * (user passwd, del and lock draw a new one).  AG_OK; AG_EDENIED, said
 * in the log; AG_EUNAVAIL or AG_ENOMEM.
 */
enum ag_err	ep_grant_account(const struct app *app, const char *what,
		    const char *user, int64_t gen, struct user *u);
/* The grants of ep_grant.c (POST /token; the client is authenticated
 * and registered for the grant). */
void	ep_grant_code(const struct app *, const struct form *,
	    const struct client *, struct resp *);
void	ep_grant_client(const struct app *, const struct form *,
	    const struct client *, struct resp *);

#endif
