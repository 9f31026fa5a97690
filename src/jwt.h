/*
 * Access tokens after RFC 9068: claims iss, sub, aud (when configured),
 * exp, iat, nbf, jti, scope, client_id; checked after RFC 8725.  The
 * _kind forms make and check browser sessions too (session.h): the
 * same claims but client_id, plus "acct", under typ "session+jwt".
 */
#ifndef JWT_H
#define JWT_H

#include <stdint.h>
#include <time.h>

#include "authgate.h"
#include "jws.h"

struct conf;
struct keyring;

struct claims {
	char	 sub[AG_NAME_MAX + 1];
	char	 scope[AG_SCOPE_MAX + 1];
	char	 client_id[AG_NAME_MAX + 1];
	char	 jti[AG_JTI_MAX + 1];
	char	 acct[AG_JTI_MAX + 1];	/* JWS_SESSION: the account's key */
	int64_t	 exp, iat, nbf;
};

/*
 * Issue a token for sub with scope, signed by the keyring's signer,
 * valid ttl seconds from now.  The claims issued are copied to out when
 * not NULL.
 */
enum ag_err	 jwt_issue(const struct conf *c, const struct keyring *kr,
		    const char *sub, const char *scope, const char *client_id,
		    long ttl, time_t now, char *tok, size_t toksz,
		    struct claims *out);
/*
 * The same for a token of kind.  A session (JWS_SESSION) needs acct
 * (1 to AG_JTI_MAX printable bytes) and has no client_id; an access
 * token has no acct (NULL).
 */
enum ag_err	 jwt_issue_kind(const struct conf *c,
		    const struct keyring *kr, enum jws_kind kind,
		    const char *sub, const char *scope, const char *client_id,
		    const char *acct, long ttl, time_t now, char *tok,
		    size_t toksz, struct claims *out);
/*
 * Verify token: signature, typ, iss, aud, exp/nbf/iat with leeway, claim
 * types.  On failure *why is a fixed phrase ("token expired", …).
 */
enum ag_err	 jwt_verify(const struct conf *c, const struct keyring *kr,
		    const char *token, size_t len, time_t now,
		    struct claims *out, const char **why);
/*
 * The same for a token of kind: a token of another typ is refused
 * ("wrong token type"); a session needs its jti and acct claims.
 */
enum ag_err	 jwt_verify_kind(const struct conf *c,
		    const struct keyring *kr, enum jws_kind kind,
		    const char *token, size_t len, time_t now,
		    struct claims *out, const char **why);
/*
 * The time checks of jwt_verify alone (exp, nbf, iat with the leeway),
 * for claims verified earlier: AG_OK, or AG_EDENIED with *why set.
 */
enum ag_err	 jwt_check_times(const struct conf *c, const struct claims *cl,
		    time_t now, const char **why);

#endif
