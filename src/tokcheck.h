/*
 * An access token checked as the guards check it: /protected, /auth
 * and the authorizer (ep_protected.c) and mod_authgate (apache/
 * guard.c).  One sequence for both, so that they accept and refuse
 * alike; each answers in its own terms.  Its first step, the cache or
 * a verification, serves session cookies too (session.c).
 */
#ifndef TOKCHECK_H
#define TOKCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "jwt.h"

struct conf;
struct keyring;
struct state;

enum tokcheck {
	TOKCHECK_OK = 0,
	TOKCHECK_NOMEM,		/* cannot tell now: a 5xx */
	TOKCHECK_MALFORMED,	/* not even a b64token (RFC 6750 3.1) */
	TOKCHECK_INVALID,	/* did not verify, or out of its time */
	TOKCHECK_REVOKED	/* in the deny list */
};

/*
 * The claims of tok verified as a token of kind at time now: this
 * thread's verified-token cache (vcache.h) for generation gen, with
 * the times checked again, or jwt_verify_kind under kr, then cached
 * (but for generation 0, CGI's, which vcache never stores).  AG_OK
 * with *cl the cache's claims or buf; else jwt.c's error and *why its
 * phrase, *cl NULL when the token did not verify.
 */
enum ag_err	 tokcheck_verify(const struct conf *c, const struct keyring *kr,
		    uint64_t gen, enum jws_kind kind, const char *tok,
		    size_t toklen, time_t now, struct claims *buf,
		    const struct claims **cl, const char **why);

/*
 * The claims of the bearer token tok (toklen bytes) at time now, as
 * tokcheck_verify finds them for an access token; then looked up in
 * sdb's deny list unless sdb is NULL or c is verify-only.
 * Returns the cache's claims or buf, with *res TOKCHECK_OK; or NULL,
 * *res saying why and, for TOKCHECK_INVALID, *why jwt.c's phrase
 * ("token expired"; may be NULL).  The claims returned stay valid
 * until this thread's next vcache_put.
 */
const struct claims *tokcheck(const struct conf *c, const struct keyring *kr,
	    uint64_t gen, struct state *sdb, const char *tok, size_t toklen,
	    time_t now, struct claims *buf, enum tokcheck *res,
	    const char **why);

#endif
