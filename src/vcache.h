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
#define VCACHE_TOKEN_MAX 640	/* longer tokens are not cached */

/* Turn the cache on (FastCGI); off, as for CGI, every call misses. */
void	vcache_enable(void);
/*
 * The claims verified for exactly these len bytes under the keys and
 * configuration of generation gen, or false.  Expiry is the caller's
 * to check again (jwt_check_times).
 */
bool	vcache_get(uint64_t gen, const char *tok, size_t len,
	    struct claims *out);
/* Remember claims verified for tok under generation gen. */
void	vcache_put(uint64_t gen, const char *tok, size_t len,
	    const struct claims *cl);

#endif
