/*
 * Signing and verification keys.  A keyring holds the signing key (the
 * file key_file names; absent in verify-only mode) and every key that
 * still verifies: the next key published ahead of use and retired keys
 * in key_dir, or the public keys of jwks_file.  Each key has a kid, the
 * RFC 7638 JWK thumbprint.  OpenSSL types stay inside key.c.
 */
#ifndef KEY_H
#define KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "authgate.h"
#include "b64.h"

#define KEY_KID_MAX	64	/* a thumbprint is 43 characters */
#define KEYRING_MAX	16	/* keys loaded at most */
#define KEY_SIG_MAX	512	/* RS256 at 4096 bits */
#define KEY_RSA_E_MAX	32	/* bytes of an RSA exponent: e < 2^256 */
/*
 * The longest JWK keyring_jwks writes: an RSA-4096 key, its kid (from
 * a JWK Set: printable ASCII, '"' and backslash escaped to two
 * characters) and the fixed members, {"kty":"RSA","use":"sig","alg":"RS256",...} (62).
 */
#define KEY_JWK_MAX	(96 + 2 * KEY_KID_MAX + B64_ENCLEN(KEY_SIG_MAX) + \
			    B64_ENCLEN(KEY_RSA_E_MAX))
/* The longest JWK Set: KEYRING_MAX JWKs, commas, {"keys":[]} and NUL. */
#define KEYRING_JWKS_MAX	(16 + KEYRING_MAX * (KEY_JWK_MAX + 1))
#define KEY_FILE_MAX	65536	/* largest key or JWKS file read */
#define KEY_HS256_MIN	32	/* shortest HMAC secret accepted, bytes */

struct conf;
struct key;
struct keyring;

/*
 * Load the keyring c describes.  Key files readable by group or others
 * are refused.  On error why says which file and what is wrong.
 */
enum ag_err	 keyring_load(const struct conf *c, struct keyring **out,
		    char *why, size_t whysz);
void		 keyring_free(struct keyring *kr);
/* The signing key, or NULL in verify-only mode. */
const struct key *keyring_signer(const struct keyring *kr);
/* The verification key for kid (NULL kid: the only key of alg), or NULL. */
const struct key *keyring_find(const struct keyring *kr, enum ag_alg alg,
		    const char *kid, size_t kidlen);
size_t		 keyring_count(const struct keyring *kr);
const struct key *keyring_at(const struct keyring *kr, size_t i);
/* RFC 7517 JWK Set of the public keys, into buf; 0 or -1 if too small
 * (KEYRING_JWKS_MAX bytes are always enough).  HMAC secrets are never
 * included. */
int		 keyring_jwks(const struct keyring *kr, char *buf, size_t bufsz,
		    size_t *len);

enum ag_alg	 key_alg(const struct key *k);
const char	*key_kid(const struct key *k);
bool		 key_can_sign(const struct key *k);
/*
 * Sign msg; sig receives the JOSE signature bytes (raw r||s for ES256).
 */
enum ag_err	 key_sign(const struct key *k, const void *msg, size_t msglen,
		    unsigned char *sig, size_t sigsz, size_t *siglen);
/* Verify a JOSE signature; constant time for HMAC.  Returns true if valid. */
bool		 key_verify(const struct key *k, const void *msg, size_t msglen,
		    const unsigned char *sig, size_t siglen);

/*
 * Write a new key for alg to path, mode 0600, atomically (temporary file
 * and rename).  Refuses to overwrite unless force.
 */
enum ag_err	 key_generate(enum ag_alg alg, const char *path, bool force,
		    char *why, size_t whysz);

/*
 * Additions for authgatectl, tests and fuzzing.
 */

/* "signing", "next", "retired" or "public" (from a JWKS or *.pub.pem). */
const char	*key_role(const struct key *k);
/*
 * Parse a JWK Set (RFC 7517) of public RSA, EC P-256 and Ed25519 keys.
 * A JWK with private members is refused; so is an "oct" key unless
 * allow_secret.  JWKs of other types, curves or uses are skipped.  A
 * JWK's own "kid" is kept; without one the kid is its thumbprint.
 */
enum ag_err	 keyring_from_jwks(const char *json, size_t len,
		    bool allow_secret, struct keyring **out, char *why,
		    size_t whysz);
/*
 * Rotate: key_file moves to key_dir/<kid>.key (retired, verifies until
 * its tokens expire), key_dir/next.key (when of alg) becomes key_file,
 * else a fresh key_file is made; then a new next.key is generated, so
 * the next signing key is always published one rotation ahead.
 * key_dir is created (0700) when missing; as root, with key_file's
 * owner (the user the service reads it as).
 *
 * First the retired keys whose tokens have all expired are removed
 * (dropped, when not NULL, is called with each kid).  When the keys
 * left and the new ones would be more than KEYRING_MAX, nothing is
 * changed: AG_ETOOBIG, and why names the kids to retire.
 */
enum ag_err	 key_rotate(const struct conf *c, enum ag_alg alg,
		    void (*dropped)(const char *kid, void *arg), void *arg,
		    char *why, size_t whysz);
/*
 * A retired key verifies until access_token_ttl + leeway after its
 * rotation (its file's mtime), or, when key_dir/<kid>.until names a
 * later time, until then + leeway.  Record there that the signing key
 * signed a token valid until exp (authgatectl token issue --ttl);
 * nothing is written when the rotation rule already covers exp.
 */
enum ag_err	 key_keep_until(const struct conf *c, const struct key *k,
		    time_t exp, char *why, size_t whysz);
/* Remove the retired key key_dir/<kid>.key; never the signing key. */
enum ag_err	 key_retire(const struct conf *c, const char *kid, char *why,
		    size_t whysz);
/*
 * Call cb for the signing key, the next key and each retired key in
 * key_dir: role "retired", or "expired" once its tokens have all
 * expired (the service no longer loads it; the next rotation removes
 * it).  Files that do not load are logged and skipped.
 */
enum ag_err	 key_list(const struct conf *c,
		    void (*cb)(const char *kid, enum ag_alg alg,
		    const char *role, time_t mtime, void *arg), void *arg,
		    char *why, size_t whysz);

#endif
