/*
 * Authorization codes (RFC 6749 4.1, PKCE RFC 7636 S256) in state_db:
 * made by GET /authorize, redeemed once at POST /token.  A code is
 * 256 random bits, lives CODE_TTL seconds at most, and is bound to the
 * client, the redirect URI, the challenge and the account (user and
 * generation) it was made for.  state_db keeps a hash of it, never the
 * code; see code.c for the record.
 */
#ifndef CODE_H
#define CODE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "authgate.h"
#include "state.h"

#define CODE_TTL		60	/* s a code lives (SPEC: at most 60) */
#define CODE_BYTES		32	/* random bytes of a code */
#define CODE_LEN		43	/* base64url of CODE_BYTES */
#define CODE_VERIFIER_MIN	43	/* RFC 7636 4.1 */
#define CODE_VERIFIER_MAX	128
#define CODE_CHALLENGE_LEN	43	/* BASE64URL(SHA-256), RFC 7636 4.2 */
#define CODE_HASH_HEX		64	/* hex SHA-256 */

/* What a code was made for. */
struct authcode {
	char		 client_id[AG_NAME_MAX + 1];
	char		 user[AG_NAME_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];
	char		 redirect[CODE_HASH_HEX + 1];	/* hex SHA-256 of it */
	char		 challenge[CODE_CHALLENGE_LEN + 1];
	int64_t		 gen;		/* the account's (struct user) */
	int64_t		 exp;
};

/* What its redemption issued: revoked if the code comes back. */
struct code_issued {
	char		 jti[AG_JTI_MAX + 1];
	int64_t		 jti_exp;
	char		 family[2 * RT_FAMILY_BYTES + 1];	/* "" none */
	int64_t		 family_exp;
};

/* True if s is a PKCE code_verifier: CODE_VERIFIER_MIN to
 * CODE_VERIFIER_MAX bytes of [A-Za-z0-9-._~] (RFC 7636 4.1). */
bool		 code_verifier_ok(const char *s);
/* True if s is an S256 code_challenge: the canonical base64url of
 * 32 bytes, CODE_CHALLENGE_LEN characters (RFC 7636 4.2). */
bool		 code_challenge_ok(const char *s);
/*
 * Make a code for ac (ac->redirect, ac->exp are filled in here from
 * redirect_uri and now + CODE_TTL) and store it; the code, which is
 * not stored, goes to code.
 */
enum ag_err	 code_new(struct state *sdb, struct authcode *ac,
		    const char *redirect_uri, time_t now,
		    char code[CODE_LEN + 1]);
/*
 * Read the code's record without using it: AG_OK and *ac; AG_ENOENT
 * for an unknown or expired code; AG_EEXIST for one redeemed before
 * (code_redeem then revokes what that redemption issued).
 */
enum ag_err	 code_peek(struct state *sdb, const char *code, time_t now,
		    struct authcode *ac);
/*
 * True if a token request by client_id with redirect_uri and verifier
 * matches what ac was made for: the same client, the same redirect URI
 * (RFC 6749 4.1.3) and BASE64URL(SHA-256(verifier)) equal to the
 * challenge (RFC 7636 4.6), compared in constant time.
 */
bool		 code_binds(const struct authcode *ac, const char *client_id,
		    const char *redirect_uri, const char *verifier);
/*
 * Spend the code under the state_db lock, recording what was issued
 * for it: AG_OK for the first use only.  A code used before is
 * AG_EEXIST, and what its first use issued is revoked there and then
 * (the access token's jti denied until it expires, the refresh
 * family ended: RFC 6749 4.1.2); iss NULL only does that.  AG_ENOENT:
 * unknown or expired.
 */
enum ag_err	 code_redeem(struct state *sdb, const char *code,
		    time_t now, const struct code_issued *iss);

#endif /* !CODE_H */
