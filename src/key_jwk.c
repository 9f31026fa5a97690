/*
 * JWK (RFC 7517) import of public keys and JWK Sets (verify-only
 * keyrings, with the checks of RFC 8725), and the JWK Set export.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "b64.h"
#include "conf.h"
#include "fsutil.h"
#include "hmac.h"
#include "jw.h"
#include "key.h"
#include "log.h"
#include "key_int.h"

/* A base64url member of jwk decoded into dst; false if absent or bad. */
static bool
jwk_bytes(struct json_object *jwk, const char *name, unsigned char *dst,
    size_t dstsz, size_t *len)
{
	struct json_object	*v;
	const char		*s;
	size_t			 slen;

	if (!json_object_object_get_ex(jwk, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	slen = (size_t)json_object_get_string_len(v);
	if (slen == 0 || B64_DECLEN(slen) > dstsz)
		return false;
	return b64_decode(s, slen, dst, dstsz, len) == 0;
}

/* An optional string member: NULL when absent, false if not a string. */
static bool
jwk_str(struct json_object *jwk, const char *name, const char **val)
{
	struct json_object	*v;

	*val = NULL;
	if (!json_object_object_get_ex(jwk, name, &v))
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	*val = json_object_get_string(v);
	return true;
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static EVP_PKEY *
jwk_rsa(struct json_object *jwk)
{
	unsigned char	 n[KEY_SIG_MAX], e[16];
	size_t		 nlen, elen;
	BIGNUM		*bn = NULL, *be = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pk = NULL;

	if (!jwk_bytes(jwk, "n", n, sizeof(n), &nlen) ||
	    !jwk_bytes(jwk, "e", e, sizeof(e), &elen))
		return NULL;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	pk = pkey_fromdata("RSA", params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pk;
}

static EVP_PKEY *
jwk_ec(struct json_object *jwk)
{
	unsigned char	 pt[1 + 2 * KEY_P256_LEN];
	size_t		 xlen, ylen;
	char		 group[] = "prime256v1";
	OSSL_PARAM	 params[3];

	pt[0] = 0x04;	/* uncompressed point (SEC 1, 2.3.3) */
	if (!jwk_bytes(jwk, "x", pt + 1, KEY_P256_LEN, &xlen) ||
	    !jwk_bytes(jwk, "y", pt + 1 + KEY_P256_LEN, KEY_P256_LEN,
	    &ylen) || xlen != KEY_P256_LEN || ylen != KEY_P256_LEN)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	return pkey_fromdata("EC", params);
}

static EVP_PKEY *
jwk_okp(struct json_object *jwk)
{
	unsigned char	 x[32];
	size_t		 xlen;

	if (!jwk_bytes(jwk, "x", x, sizeof(x), &xlen) || xlen != sizeof(x))
		return NULL;
	return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, xlen);
}

/* OpenSSL's own check of a public key (RSA n and e, EC point on curve). */
static bool
pkey_check(EVP_PKEY *pk)
{
	EVP_PKEY_CTX	*ctx;
	bool		 ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return false;
	ok = EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Whether jwk has a member that only a private key has. */
static bool
jwk_has_private(struct json_object *jwk)
{
	struct json_object	*v;
	size_t			 j;

	for (j = 0; j < sizeof(jwk_private) / sizeof(jwk_private[0]); j++)
		if (json_object_object_get_ex(jwk, jwk_private[j], &v))
			return true;
	return false;
}

/*
 * Whether kid, the "kid" string of jwk, is one we can use: 1 to
 * KEY_KID_MAX printable ASCII bytes other than space, no NUL inside.
 */
static bool
jwk_kid_ok(struct json_object *jwk, const char *kid)
{
	size_t	 j, klen;

	klen = strlen(kid);
	if (klen == 0 || klen > KEY_KID_MAX ||
	    klen != (size_t)json_object_get_string_len(
	    json_object_object_get(jwk, "kid")))
		return false;
	for (j = 0; j < klen; j++)
		if (kid[j] <= 0x20 || kid[j] >= 0x7f)
			return false;
	return true;
}

/*
 * The algorithm of a JWK of type kty (and curve crv, or NULL) into
 * *want; false for a type or curve we do not know.
 */
static bool
jwk_want(const char *kty, const char *crv, enum ag_alg *want)
{
	if (streq(kty, "oct"))
		*want = AG_HS256;
	else if (streq(kty, "RSA"))
		*want = AG_RS256;
	else if (streq(kty, "EC") && crv != NULL && streq(crv, "P-256"))
		*want = AG_ES256;
	else if (streq(kty, "OKP") && crv != NULL && streq(crv, "Ed25519"))
		*want = AG_EDDSA;
	else
		return false;
	return true;
}

/* The key of jwk, of type kty for algorithm want, into *out. */
static enum ag_err
jwk_key(struct json_object *jwk, enum ag_alg want, const char *kty,
    struct key **out, char *why, size_t whysz, const char *name)
{
	unsigned char		*secret;
	EVP_PKEY		*pk;
	size_t			 klen;
	enum ag_err		 e;

	if (want == AG_HS256) {
		if ((secret = malloc(KEY_FILE_MAX)) == NULL)
			return AG_ENOMEM;
		if (!jwk_bytes(jwk, "k", secret, KEY_FILE_MAX, &klen)) {
			OPENSSL_clear_free(secret, KEY_FILE_MAX);
			ag_why(why, whysz, "%s: bad k", name);
			return AG_EINVAL;
		}
		e = key_new_secret(secret, klen, out, why, whysz, name);
		OPENSSL_clear_free(secret, KEY_FILE_MAX);
		return e;
	}
	if (want == AG_RS256)
		pk = jwk_rsa(jwk);
	else if (want == AG_ES256)
		pk = jwk_ec(jwk);
	else
		pk = jwk_okp(jwk);
	if (pk == NULL || !pkey_check(pk)) {
		ERR_clear_error();
		EVP_PKEY_free(pk);
		ag_why(why, whysz, "%s: invalid %s public key", name, kty);
		return AG_EINVAL;
	}
	return key_new_pkey(pk, false, out, why, whysz, name);
}

/*
 * One JWK (number i of the set) into *out; *out stays NULL, with AG_OK,
 * for a JWK that is not for us (another type, curve, use or alg).
 */
static enum ag_err
jwk_parse(struct json_object *jwk, size_t i, bool allow_secret,
    struct key **out, char *why, size_t whysz)
{
	const char		*kty, *crv, *use, *alg, *kid;
	enum ag_alg		 want;
	enum ag_err		 e;
	char			 name[32];

	*out = NULL;
	(void)snprintf(name, sizeof(name), "JWK %zu", i);
	if (!json_object_is_type(jwk, json_type_object)) {
		ag_why(why, whysz, "%s: not an object", name);
		return AG_EINVAL;
	}
	if (jwk_has_private(jwk)) {
		ag_why(why, whysz, "%s: private key given where a "
		    "public key is expected", name);
		return AG_EINVAL;
	}
	if (!jwk_str(jwk, "kty", &kty) || kty == NULL ||
	    !jwk_str(jwk, "crv", &crv) || !jwk_str(jwk, "use", &use) ||
	    !jwk_str(jwk, "alg", &alg) || !jwk_str(jwk, "kid", &kid)) {
		ag_why(why, whysz, "%s: kty missing, or a member of the "
		    "wrong type", name);
		return AG_EINVAL;
	}
	if (kid != NULL && !jwk_kid_ok(jwk, kid)) {
		ag_why(why, whysz, "%s: bad kid", name);
		return AG_EINVAL;
	}
	if (!jwk_want(kty, crv, &want))
		return AG_OK;		/* RFC 7517 section 5: ignore */
	if (want == AG_HS256 && !allow_secret) {
		ag_why(why, whysz, "%s: symmetric (oct) key in a "
		    "JWK Set of public keys", name);
		return AG_EINVAL;
	}
	if (use != NULL && !streq(use, "sig"))
		return AG_OK;
	if (alg != NULL && !streq(alg, ag_alg_name(want)))
		return AG_OK;

	if ((e = jwk_key(jwk, want, kty, out, why, whysz, name)) != AG_OK)
		return e;
	(*out)->role = ROLE_PUBLIC;
	if (kid != NULL)
		memcpy((*out)->kid, kid, strlen(kid) + 1);
	return AG_OK;
}

/* Parse a JWK Set into kr. */
enum ag_err
key_jwks_parse(struct keyring *kr, const char *json, size_t len,
    bool allow_secret, char *why, size_t whysz)
{
	struct json_tokener	*tok;
	struct json_object	*root = NULL, *keys;
	struct key		*k;
	size_t			 i, n, end;
	enum ag_err		 e = AG_EINVAL;

	if (len > KEY_FILE_MAX) {
		ag_why(why, whysz, "JWK Set larger than %d bytes",
		    KEY_FILE_MAX);
		return AG_ETOOBIG;
	}
	if ((tok = json_tokener_new_ex(KEY_JSON_DEPTH)) == NULL)
		return AG_ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success) {
		ag_why(why, whysz, "JWK Set: not a JSON document");
		goto out;
	}
	/* Trailing white space only (a file's final newline). */
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (json[end] != ' ' && json[end] != '\t' &&
		    json[end] != '\n' && json[end] != '\r') {
			ag_why(why, whysz, "JWK Set: bytes after the JSON "
			    "document");
			goto out;
		}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		ag_why(why, whysz, "JWK Set: no \"keys\" array");
		goto out;
	}
	n = json_object_array_length(keys);
	if (n > KEYRING_MAX) {
		ag_why(why, whysz, "JWK Set: more than %d keys",
		    KEYRING_MAX);
		e = AG_ETOOBIG;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((e = jwk_parse(json_object_array_get_idx(keys, i), i,
		    allow_secret, &k, why, whysz)) != AG_OK)
			goto out;
		if (k != NULL &&
		    (e = keyring_add(kr, k, why, whysz)) != AG_OK) {
			if (e == AG_EEXIST)
				e = AG_EINVAL;
			goto out;
		}
	}
	e = AG_OK;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return e;
}

enum ag_err
keyring_from_jwks(const char *json, size_t len, bool allow_secret,
    struct keyring **out, char *why, size_t whysz)
{
	struct keyring	*kr;
	enum ag_err	 e;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return AG_ENOMEM;
	if ((e = key_jwks_parse(kr, json, len, allow_secret, why, whysz)) ==
	    AG_OK && kr->n == 0) {
		ag_why(why, whysz, "JWK Set: no usable key");
		e = AG_ENOENT;
	}
	if (e != AG_OK) {
		keyring_free(kr);
		return e;
	}
	*out = kr;
	return AG_OK;
}

int
keyring_jwks(const struct keyring *kr, char *buf, size_t bufsz, size_t *len)
{
	struct jw		 w;
	const struct key	*k;
	size_t			 i;

	*len = 0;
	jw_init(&w, buf, bufsz);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "keys");
	for (i = 0; i < kr->n; i++) {
		k = kr->keys[i];
		if (k->alg == AG_HS256)
			continue;	/* a secret is never published */
		jw_obj_open(&w, NULL);
		switch (k->alg) {
		case AG_RS256:
			jw_str(&w, "kty", "RSA");
			break;
		case AG_ES256:
			jw_str(&w, "kty", "EC");
			break;
		case AG_EDDSA:
			jw_str(&w, "kty", "OKP");
			break;
		case AG_HS256:
		case AG_ALG__MAX:
			break;
		}
		jw_str(&w, "use", "sig");
		jw_str(&w, "alg", ag_alg_name(k->alg));
		jw_str(&w, "kid", k->kid);
		switch (k->alg) {
		case AG_RS256:
			jw_str(&w, "n", k->m1);
			jw_str(&w, "e", k->m2);
			break;
		case AG_ES256:
			jw_str(&w, "crv", "P-256");
			jw_str(&w, "x", k->m1);
			jw_str(&w, "y", k->m2);
			break;
		case AG_EDDSA:
			jw_str(&w, "crv", "Ed25519");
			jw_str(&w, "x", k->m1);
			break;
		case AG_HS256:
		case AG_ALG__MAX:
			break;
		}
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	if (jw_done(&w, len) == NULL)
		return -1;
	return 0;
}
