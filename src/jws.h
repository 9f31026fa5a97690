/*
 * Compact JWS (RFC 7515) as RFC 8725 wants it: one algorithm chosen by
 * configuration, never by the token; typ "at+jwt"; no crit; exact
 * base64url; strict JSON; signature checked before the payload is used.
 */
#ifndef JWS_H
#define JWS_H

#include <stddef.h>

#include "authgate.h"

struct key;
struct keyring;

/*
 * Sign payload (JSON text) with k; header {"alg":…,"typ":"at+jwt","kid":…}.
 * The compact token is written NUL-terminated into out.
 */
enum ag_err	 jws_sign(const struct key *k, const char *payload,
		    size_t paylen, char *out, size_t outsz, size_t *outlen);
/*
 * Verify token (len bytes, at most AG_TOKEN_MAX) against the keys of alg
 * in kr.  On success the decoded payload (JSON text, NUL-terminated) is
 * in payload.  On failure *why is a fixed phrase fit for an
 * error_description; it never quotes the token.
 */
enum ag_err	 jws_verify(const struct keyring *kr, enum ag_alg alg,
		    const char *token, size_t len, char *payload,
		    size_t paysz, size_t *paylen, const char **why);

#endif
