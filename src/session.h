/*
 * Browser sessions (SPEC "Browser sign-in").  A session is a JWT of
 * its own type ("typ":"session+jwt", so that neither an access token
 * nor a session can pass for the other), signed by the service's
 * signing key and carried in the cookie authgate_session
 * (__Host-authgate_session over HTTPS).  Verifying one touches no
 * database: the signature, the times, and two entries of the deny list
 * (deny.h), which is how sessions are revoked:
 *
 *	- "POST /logout" denies the session's id (sid) until it expires;
 *	- user passwd, del and lock deny the account's generation (the
 *	  acct key, derived from the user name and store.h's gen) for
 *	  session_ttl + 2 leeway, so every session signed in before ends
 *	  at once.
 *
 * The guard (ep_protected.c, apache/guard.c) takes these with
 * session_check(); /login and /logout (ep_login.c) and /authorize
 * (ep_authorize.c) with session_from_req().
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "authgate.h"

struct conf;
struct keyring;
struct req;
struct state;

#define SESSION_COOKIE		"authgate_session"
#define SESSION_COOKIE_HTTPS	"__Host-authgate_session"
#define SESSION_VALUE_MAX	2048	/* a session cookie's value, bytes */
#define SESSION_LOCATION_MAX	1536	/* the guard's redirect, bytes */

struct session {
	char	 user[AG_NAME_MAX + 1];
	char	 scope[AG_SCOPE_MAX + 1];	/* the user's at sign-in */
	char	 sid[AG_JTI_MAX + 1];		/* the deny key of this one */
	char	 acct[AG_JTI_MAX + 1];		/* that of the account */
	int64_t	 iat, exp;
};

/*
 * Sign a session for user (its scope and account generation gen) from
 * now for conf's session_ttl into val (valsz >= SESSION_VALUE_MAX + 1).
 * The session made is copied to out when not NULL.
 */
enum ag_err	 session_issue(const struct conf *c,
		    const struct keyring *kr, const char *user,
		    const char *scope, int64_t gen, time_t now, char *val,
		    size_t valsz, struct session *out);
/*
 * The value of the session cookie in a Cookie header (the __Host- name
 * when https): AG_ENOENT when there is none, AG_ETOOBIG over
 * SESSION_VALUE_MAX, AG_EINVAL when given twice or not made of cookie
 * octets (RFC 6265 4.1.1).  Not NUL-terminated; no allocation.
 */
enum ag_err	 session_cookie(const char *cookie_header, bool https,
		    const char **val, size_t *len);
/*
 * Verify a session cookie's value: signature and type, times, and,
 * unless sdb is NULL (verify_only), that neither its sid nor its acct
 * is denied.  AG_EDENIED with *why set ("session expired", "session
 * ended", or jwt.c's phrase) for a session that is not good; AG_ENOMEM
 * or AG_EUNAVAIL when it cannot be told now.
 */
enum ag_err	 session_verify(const struct conf *c,
		    const struct keyring *kr, struct state *sdb,
		    const char *val, size_t len, time_t now,
		    struct session *out, const char **why);
/*
 * session_verify with the verified-token cache of generation gen (0:
 * none; vcache.h), for the guard's hot path.
 */
enum ag_err	 session_check(const struct conf *c,
		    const struct keyring *kr, uint64_t gen, struct state *sdb,
		    const char *val, size_t len, time_t now,
		    struct session *out, const char **why);
/* The request's session, verified (session_cookie + session_verify). */
enum ag_err	 session_from_req(const struct conf *c,
		    const struct keyring *kr, struct state *sdb,
		    const struct req *r, time_t now, struct session *out);
/* End one session (logout): deny its sid until it expires. */
enum ag_err	 session_end(struct state *sdb, const struct session *s);
/*
 * End every session of user's account generation gen (user passwd,
 * del, lock): deny its acct key for session_ttl + 2 leeway from now
 * (session.c says why that long).
 */
enum ag_err	 session_end_account(const struct conf *c,
		    struct state *sdb, const char *user, int64_t gen,
		    time_t now);
/* The acct deny key of (user, gen) into key (AG_JTI_MAX + 1 bytes). */
void		 session_acct_key(const char *user, int64_t gen,
		    char key[AG_JTI_MAX + 1]);
/*
 * A Set-Cookie value for val (NULL: one that clears the cookie) with
 * the SPEC's attributes: HttpOnly, SameSite=Lax, Path=/, Secure and the
 * __Host- name over HTTPS, Max-Age session_ttl.  False when it does not
 * fit in bufsz.
 */
bool		 session_set_cookie(char *buf, size_t bufsz, bool https,
		    const char *val, long max_age);
/*
 * The guard's redirect of a browser without a session (SPEC "Browser
 * sign-in"): login_url + "?rd=" (or "&rd=" when login_url has a query)
 * + uri percent-encoded (all but unreserved bytes and "/"), into buf.
 * Without uri, or when it would not fit, login_url alone (the sign-in
 * then goes to login_redirect).  False only when login_url itself does
 * not fit.
 */
bool		 session_login_location(const char *login_url,
		    const char *uri, char *buf, size_t bufsz);

#endif
