/*
 * The Bearer scheme's two pieces of text (RFC 6750), shared by the
 * authorizer and /protected (ep_protected.c) and by mod_authgate
 * (apache/guard.c), so that both answer alike.
 */
#ifndef BEARER_H
#define BEARER_H

#include <stdbool.h>
#include <stddef.h>

/* True if an Authorization value names the Bearer scheme (any case). */
bool	bearer_scheme(const char *authorization);
/*
 * The WWW-Authenticate value: Bearer realm="…"[, error="…"]
 * [, error_description="…"][, scope="…"] (RFC 6750 3), each value a
 * quoted-string with control bytes dropped (NULL: the parameter is
 * left out).  False when it does not fit in bufsz bytes.
 */
bool	bearer_challenge(char *buf, size_t bufsz, const char *realm,
	    const char *error, const char *desc, const char *scope);

#endif
