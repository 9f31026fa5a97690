/*
 * Compact JWS (RFC 7515) as RFC 8725 wants it: one algorithm chosen by
 * configuration, never by the token; typ by kind of token ("at+jwt",
 * "session+jwt"), so that one kind never passes for another (RFC 8725
 * 3.11); no crit; exact base64url; strict JSON; signature checked
 * before the payload is used.
 */
#ifndef JWS_H
#define JWS_H

#include <stddef.h>

#include "authgate.h"

struct key;
struct keyring;

/* What a token is for: its header's typ, checked on the way back. */
enum jws_kind {
	JWS_ACCESS = 0,		/* "at+jwt": an access token (RFC 9068) */
	JWS_SESSION,		/* "session+jwt": a browser session */
	JWS_KIND__MAX
};

/*
 * Sign payload (JSON text) with k; header {"alg":…,"typ":"at+jwt","kid":…}.
 * The compact token is written NUL-terminated into out.
 */
enum ag_err	 jws_sign(const struct key *k, const char *payload,
		    size_t paylen, char *out, size_t outsz, size_t *outlen);
/* The same for a token of kind (jws_sign: JWS_ACCESS). */
enum ag_err	 jws_sign_kind(const struct key *k, enum jws_kind kind,
		    const char *payload, size_t paylen, char *out,
		    size_t outsz, size_t *outlen);
/*
 * Verify token (len bytes, at most AG_TOKEN_MAX) against the keys of alg
 * in kr.  On success the decoded payload (JSON text, NUL-terminated) is
 * in payload.  On failure *why is a fixed phrase fit for an
 * error_description; it never quotes the token.
 */
enum ag_err	 jws_verify(const struct keyring *kr, enum ag_alg alg,
		    const char *token, size_t len, char *payload,
		    size_t paysz, size_t *paylen, const char **why);
/* The same for a token of kind: another typ is "wrong token type". */
enum ag_err	 jws_verify_kind(const struct keyring *kr, enum ag_alg alg,
		    enum jws_kind kind, const char *token, size_t len,
		    char *payload, size_t paysz, size_t *paylen,
		    const char **why);

#endif
