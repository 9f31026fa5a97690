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

#include "authgate.h"

#define KEY_KID_MAX	64	/* a thumbprint is 43 characters */
#define KEYRING_MAX	16	/* keys loaded at most */
#define KEY_SIG_MAX	512	/* RS256 at 4096 bits */
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
/* RFC 7517 JWK Set of the public keys, into buf; 0 or -1 if too small.
 * HMAC secrets are never included. */
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

#endif
