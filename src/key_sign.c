/*
 * Signing and verification (the hot path) through OpenSSL 3's EVP
 * interface, HS256 through hmac.c.
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

/* DigestSign/DigestVerify with the SHA-256 fetched at load. */
static EVP_MD_CTX *
md_init(const struct key *k, bool sign)
{
	EVP_MD_CTX	*mctx;
	int		 r;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (sign)
		r = EVP_DigestSignInit(mctx, NULL, k->md, NULL, k->pkey);
	else
		r = EVP_DigestVerifyInit(mctx, NULL, k->md, NULL, k->pkey);
	if (r != 1) {
		EVP_MD_CTX_free(mctx);
		return NULL;
	}
	return mctx;
}

enum ag_err
key_sign(const struct key *k, const void *msg, size_t msglen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	EVP_MD_CTX	*mctx = NULL;
	ECDSA_SIG	*es = NULL;
	const BIGNUM	*r, *s;
	const unsigned char *p;
	unsigned char	 der[KEY_SIG_MAX];
	size_t		 len = sizeof(der);
	enum ag_err	 e = AG_EINVAL;

	*siglen = 0;
	if (!key_can_sign(k))
		return AG_EINVAL;
	if (k->alg == AG_HS256) {
		if (sigsz < 32)
			return AG_ETOOBIG;
		if (!hmac_sha256(k->mac, msg, msglen, sig))
			return AG_EINVAL;
		*siglen = 32;
		return AG_OK;
	}
	if ((mctx = md_init(k, true)) == NULL ||
	    EVP_DigestSign(mctx, NULL, &len, msg, msglen) != 1 ||
	    len > sizeof(der) ||
	    EVP_DigestSign(mctx, der, &len, msg, msglen) != 1)
		goto out;
	if (k->alg == AG_ES256) {
		/* JOSE wants r||s, 32 bytes each (RFC 7518 3.4). */
		p = der;
		if (sigsz < 2 * KEY_P256_LEN) {
			e = AG_ETOOBIG;
			goto out;
		}
		if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
			goto out;
		ECDSA_SIG_get0(es, &r, &s);
		if (BN_bn2binpad(r, sig, KEY_P256_LEN) != KEY_P256_LEN ||
		    BN_bn2binpad(s, sig + KEY_P256_LEN, KEY_P256_LEN) !=
		    KEY_P256_LEN)
			goto out;
		len = 2 * KEY_P256_LEN;
	} else {
		if (sigsz < len) {
			e = AG_ETOOBIG;
			goto out;
		}
		memcpy(sig, der, len);
	}
	*siglen = len;
	e = AG_OK;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return e;
}

/* 0 < v < n, big-endian (SEC 1 4.1.4 step 1). */
static bool
p256_scalar_ok(const unsigned char *v)
{
	unsigned char	 any = 0;
	size_t		 i;

	for (i = 0; i < KEY_P256_LEN; i++)
		any |= v[i];
	if (any == 0)
		return false;
	for (i = 0; i < KEY_P256_LEN; i++) {
		if (v[i] < p256_n[i])
			return true;
		if (v[i] > p256_n[i])
			return false;
	}
	return false;		/* v == n */
}

/* r||s to the DER form OpenSSL verifies; len 0 on failure. */
static size_t
es256_der(const unsigned char *sig, unsigned char *der, size_t dersz)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	unsigned char	*p = der;
	int		 n;

	if ((es = ECDSA_SIG_new()) == NULL)
		return 0;
	r = BN_bin2bn(sig, KEY_P256_LEN, NULL);
	s = BN_bin2bn(sig + KEY_P256_LEN, KEY_P256_LEN, NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return 0;
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > dersz || i2d_ECDSA_SIG(es, &p) != n)
		n = 0;
	ECDSA_SIG_free(es);
	return (size_t)n;
}

bool
key_verify(const struct key *k, const void *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*mctx;
	unsigned char	 mac[32], der[2 * KEY_P256_LEN + 16];
	size_t		 derlen;
	bool		 ok;

	if (k->alg == AG_HS256) {
		/* The length is public; only the bytes need constant time. */
		if (siglen != sizeof(mac) ||
		    !hmac_sha256(k->mac, msg, msglen, mac))
			return false;
		ok = CRYPTO_memcmp(mac, sig, sizeof(mac)) == 0;
		OPENSSL_cleanse(mac, sizeof(mac));
		return ok;
	}
	switch (k->alg) {
	case AG_RS256:
		if (siglen != (size_t)EVP_PKEY_get_size(k->pkey))
			return false;
		break;
	case AG_ES256:
		/* Raw r||s only: a DER signature is not JOSE. */
		if (siglen != 2 * KEY_P256_LEN || !p256_scalar_ok(sig) ||
		    !p256_scalar_ok(sig + KEY_P256_LEN))
			return false;
		if ((derlen = es256_der(sig, der, sizeof(der))) == 0)
			return false;
		sig = der;
		siglen = derlen;
		break;
	case AG_EDDSA:
		if (siglen != 64)
			return false;
		break;
	case AG_HS256:
	case AG_ALG__MAX:
		return false;
	}
	if ((mctx = md_init(k, false)) == NULL) {
		ERR_clear_error();
		return false;
	}
	ok = EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok;
}
