/*
 * The verified-token cache: the claims of the last access tokens each
 * worker thread verified, so that a client presenting the same token
 * again costs a lookup instead of an HMAC and two JSON parses.
 */
#ifndef VCACHE_H
#define VCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

#define VCACHE_SLOTS	32	/* tokens per thread */
/*
 * Room for a token in each slot: VCACHE_TOKEN_MIN at first, grown (in
 * steps of VCACHE_TOKEN_STEP) to the longest token verified so far, up
 * to VCACHE_TOKEN_MAX: a token of ordinary claims (596 bytes of header
 * and payload) signed by RS256 at 4096 bits (KEY_SIG_MAX).  Longer
 * tokens are not cached.  Memory per thread: 32 slots of ~1,470 bytes
 * of claims (a session's acct included) plus the room: 66 KiB for
 * HS256, ES256 and EdDSA, 70 KiB for RS256 at 2048 bits, 86 KiB at
 * most (32 x (1,470 + room) bytes).
 */
#define VCACHE_TOKEN_MIN 640
#define VCACHE_TOKEN_STEP 128
#define VCACHE_TOKEN_MAX 1280

/* Turn the cache on (FastCGI); off, as for CGI, every call misses. */
void	vcache_enable(void);
/*
 * The claims verified for exactly these len bytes as a token of kind
 * under the keys and configuration of generation gen, or NULL: a token
 * verified as one kind is never found as another (an access token is
 * not a session, RFC 8725 3.11).  The claims are the cache's own, not
 * a copy (1.5 KiB a check): they stay valid until this thread's next
 * vcache_put.  Expiry is the caller's to check again (jwt_check_times).
 */
const struct claims *vcache_get(uint64_t gen, enum jws_kind kind,
	    const char *tok, size_t len);
/* Remember claims verified for tok as kind under generation gen;
 * generation 0 (CGI's) is never stored. */
void	vcache_put(uint64_t gen, enum jws_kind kind, const char *tok,
	    size_t len, const struct claims *cl);

#endif
