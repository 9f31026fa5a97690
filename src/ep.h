/*
 * The endpoints.  Each fills a response for one request; none writes
 * to the network.  struct app is loaded once per process and read-only
 * while requests are served (threads share it).
 */
#ifndef EP_H
#define EP_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "key.h"

struct keyring;
struct req;
struct resp;
struct form;
struct client;

struct app {
	struct conf	 conf;
	struct keyring	*keys;		/* NULL: the service is misconfigured */
	char		 jwks[KEYRING_JWKS_MAX];	/* the JWK Set, made at load */
	size_t		 jwkslen;
	uint64_t	 gen;		/* one number per app loaded, from 1 */
	struct store	*store;		/* conf.user_db (store.h) */
	struct state	*state;		/* conf.state_db (state.h) */
};

void	ep_token(const struct app *, const struct req *, struct resp *);
/* /protected, /auth and the authorizer role (by req->route, req->role). */
void	ep_protected(const struct app *, const struct req *, struct resp *);
void	ep_revoke(const struct app *, const struct req *, struct resp *);
void	ep_introspect(const struct app *, const struct req *, struct resp *);
void	ep_meta(const struct app *, const struct req *, struct resp *);
void	ep_jwks(const struct app *, const struct req *, struct resp *);
/* Browser sign-in (SPEC "Browser sign-in"): HTML pages. */
void	ep_login(const struct app *, const struct req *, struct resp *);
void	ep_logout(const struct app *, const struct req *, struct resp *);
void	ep_authorize(const struct app *, const struct req *, struct resp *);

/*
 * Authenticate the client of a token, revoke or introspect request by
 * HTTP Basic or client_id/client_secret fields (RFC 6749 2.3.1).  A
 * request with no client at all is the public default client (*cl has
 * id "" and public_client set) unless require_confidential.  On
 * failure the response is filled (400 invalid_request, or 401
 * invalid_client with WWW-Authenticate: Basic) and false returned.
 */
bool	ep_client_auth(const struct app *, const struct req *,
	    const struct form *, bool require_confidential,
	    struct client *cl, struct resp *);
/*
 * The client_id claim of a token issued to cl: its id, or the
 * configured default_client_id when the request named no client
 * (cl->id "": RFC 9068 2.2 requires the claim).
 */
const char *ep_client_claim(const struct app *, const struct client *cl);
/*
 * True if a token whose client_id claim is cid belongs to cl: its own,
 * or for a request that named no client one issued without a client
 * (cid the default_client_id, or "" from before the claim was always
 * set).
 */
bool	ep_client_owns(const struct app *, const char *cid,
	    const struct client *cl);

#endif
