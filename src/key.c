/*
 * Keys: loading (with the file mode check), signing and verification
 * through OpenSSL 3's EVP interface, RFC 7638 thumbprints as kids, JWK
 * Set import and export, generation and rotation.
 *
 * Everything a key needs per call is prepared at load time: the HMAC
 * pads are hashed once (hmac.c), and the SHA-256 digest is fetched
 * once, so the hot path does no algorithm lookup and, for HS256, no
 * allocation.
 * A key is read-only after load, so threads share it without locks.
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

#define KEY_RSA_MIN	2048		/* bits */
#define KEY_RSA_MAX	(KEY_SIG_MAX * 8)
#define KEY_JSON_DEPTH	8		/* {"keys":[{...}]} needs 3 */
#define KEY_MEMBER_MAX	B64_ENCLEN(KEY_SIG_MAX)	/* base64url of n */
#define KEY_P256_LEN	32		/* bytes of a P-256 scalar */
#define KEY_HS256_GEN	32		/* random bytes of a new secret */
#define KEY_NEXT_NAME	"next.key"
#define KEY_UNTIL_SUFFIX ".until"	/* key_dir/<kid>.until: see key.h */
#define KEY_UNTIL_MAX	32		/* bytes of a .until file */
/* Files of a kind key_dir may hold when loaded; key rotate, which
 * removes the expired ones, reads up to KEY_DIR_SCAN_MAX. */
#define KEY_DIR_LOAD_MAX (4 * KEYRING_MAX)
#define KEY_DIR_SCAN_MAX 4096

enum key_role_e {
	ROLE_SIGNING,
	ROLE_NEXT,
	ROLE_RETIRED,
	ROLE_PUBLIC
};

struct key {
	enum ag_alg	 alg;
	enum key_role_e	 role;
	time_t		 mtime;
	char		 kid[KEY_KID_MAX + 1];
	/* Public JWK members, base64url: n and e, x and y, or x. */
	char		 m1[KEY_MEMBER_MAX + 1];
	char		 m2[KEY_MEMBER_MAX + 1];
	struct hmac_key	*mac;		/* HS256: the pads, hashed once */
	EVP_PKEY	*pkey;		/* the others */
	EVP_MD		*md;		/* SHA-256; NULL for EdDSA */
	bool		 priv;		/* pkey holds a private key */
};

struct keyring {
	struct key	*keys[KEYRING_MAX];
	size_t		 n;
	const struct key *signer;
};

/* The order n of the P-256 group (SEC 2), big-endian. */
static const unsigned char p256_n[KEY_P256_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

/* Members of a private JWK (RFC 7518 section 6). */
static const char *const jwk_private[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth"
};

/* String equality without strcmp (banned here); nothing secret. */
static bool
streq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t	 ls = strlen(s), lf = strlen(suf);

	return ls > lf && streq(s + ls - lf, suf);
}

static void
key_free(struct key *k)
{
	if (k == NULL)
		return;
	hmac_key_free(k->mac);
	EVP_PKEY_free(k->pkey);
	EVP_MD_free(k->md);
	OPENSSL_clear_free(k, sizeof(*k));
}

/*
 * kid = base64url(SHA-256(canonical JWK)) after RFC 7638 section 3:
 * required members only, in lexicographic order, no whitespace.
 * k->m1/m2 hold the members; for "oct", secret_b64 holds "k".
 */
static enum ag_err
key_thumbprint(struct key *k, const char *secret_b64)
{
	struct jw	 w;
	char		*buf;
	const char	*txt;
	unsigned char	 dgst[EVP_MAX_MD_SIZE];
	size_t		 cap, len, dlen = 0;
	enum ag_err	 e = AG_EINVAL;

	cap = 2 * KEY_MEMBER_MAX + 64;
	if (secret_b64 != NULL)
		cap = strlen(secret_b64) + 64;
	if ((buf = malloc(cap)) == NULL)
		return AG_ENOMEM;
	jw_init(&w, buf, cap);
	jw_obj_open(&w, NULL);
	switch (k->alg) {
	case AG_HS256:
		jw_str(&w, "k", secret_b64);
		jw_str(&w, "kty", "oct");
		break;
	case AG_RS256:
		jw_str(&w, "e", k->m2);
		jw_str(&w, "kty", "RSA");
		jw_str(&w, "n", k->m1);
		break;
	case AG_ES256:
		jw_str(&w, "crv", "P-256");
		jw_str(&w, "kty", "EC");
		jw_str(&w, "x", k->m1);
		jw_str(&w, "y", k->m2);
		break;
	case AG_EDDSA:
		jw_str(&w, "crv", "Ed25519");
		jw_str(&w, "kty", "OKP");
		jw_str(&w, "x", k->m1);
		break;
	case AG_ALG__MAX:
		goto out;
	}
	jw_obj_close(&w);
	if ((txt = jw_done(&w, &len)) == NULL)
		goto out;
	if (EVP_Q_digest(NULL, "SHA256", NULL, txt, len, dgst, &dlen) != 1 ||
	    dlen != 32 ||
	    b64_encode(dgst, dlen, k->kid, sizeof(k->kid)) == 0) {
		ERR_clear_error();
		goto out;
	}
	e = AG_OK;
out:
	OPENSSL_clear_free(buf, cap);
	return e;
}

/* An HS256 key from secret; the secret itself is not kept. */
static enum ag_err
key_new_secret(const unsigned char *secret, size_t len, struct key **out,
    char *why, size_t whysz, const char *name)
{
	struct key	*k;
	char		*b64 = NULL;
	size_t		 b64sz = B64_ENCLEN(len) + 1;
	enum ag_err	 e = AG_EINVAL;

	*out = NULL;
	if (len < KEY_HS256_MIN) {
		ag_why(why, whysz, "%s: HS256 secret is %zu bytes, at least "
		    "%d are needed", name, len, KEY_HS256_MIN);
		return AG_EINVAL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (b64 = malloc(b64sz)) == NULL) {
		free(k);
		return AG_ENOMEM;
	}
	k->alg = AG_HS256;
	if ((k->mac = hmac_key_new(secret, len)) == NULL) {
		ag_why(why, whysz, "%s: cannot set up HMAC-SHA256", name);
		ERR_clear_error();
		goto out;
	}
	if (b64_encode(secret, len, b64, b64sz) == 0 ||
	    (e = key_thumbprint(k, b64)) != AG_OK) {
		ag_why(why, whysz, "%s: cannot compute the kid", name);
		goto out;
	}
	*out = k;
	k = NULL;
	e = AG_OK;
out:
	OPENSSL_clear_free(b64, b64sz);
	key_free(k);
	return e;
}

/* Big-endian bytes of a BIGNUM parameter of pk, base64url, into dst. */
static bool
bn_member(EVP_PKEY *pk, const char *param, int pad, char *dst, size_t dstsz)
{
	BIGNUM		*bn = NULL;
	unsigned char	 bin[KEY_SIG_MAX];
	int		 n;
	bool		 ok = false;

	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
		goto out;
	if (pad > 0)
		n = BN_bn2binpad(bn, bin, pad);
	else if (BN_num_bytes(bn) > (int)sizeof(bin))
		goto out;
	else
		n = BN_bn2bin(bn, bin);
	if (n <= 0 || b64_encode(bin, (size_t)n, dst, dstsz) == 0)
		goto out;
	ok = true;
out:
	BN_free(bn);
	return ok;
}

/*
 * A key from pk (whose reference it takes, even on error): checks the
 * type (RSA of 2048 to 4096 bits, EC on P-256, Ed25519), extracts the
 * public members and the kid, and fetches SHA-256 once.
 */
static enum ag_err
key_new_pkey(EVP_PKEY *pk, bool priv, struct key **out, char *why,
    size_t whysz, const char *name)
{
	struct key	*k;
	unsigned char	 raw[64];
	char		 group[64];
	size_t		 rawlen = sizeof(raw), glen = 0;
	int		 bits;
	enum ag_err	 e = AG_EINVAL;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pk);
		return AG_ENOMEM;
	}
	k->pkey = pk;
	k->priv = priv;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		k->alg = AG_RS256;
		bits = EVP_PKEY_get_bits(pk);
		if (bits < KEY_RSA_MIN || bits > KEY_RSA_MAX) {
			ag_why(why, whysz, "%s: RSA key of %d bits; %d to %d "
			    "are accepted", name, bits, KEY_RSA_MIN,
			    KEY_RSA_MAX);
			goto out;
		}
		if (!bn_member(pk, OSSL_PKEY_PARAM_RSA_N, 0, k->m1,
		    sizeof(k->m1)) ||
		    !bn_member(pk, OSSL_PKEY_PARAM_RSA_E, 0, k->m2,
		    sizeof(k->m2)))
			goto bad;
		/* Bounds the JWK Set (KEY_JWK_MAX); FIPS 186-5 too. */
		if (strlen(k->m2) > B64_ENCLEN(KEY_RSA_E_MAX)) {
			ag_why(why, whysz, "%s: RSA public exponent over %d "
			    "bits", name, KEY_RSA_E_MAX * 8);
			goto out;
		}
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		k->alg = AG_ES256;
		if (EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    &glen) != 1 ||
		    (!streq(group, "prime256v1") && !streq(group, "P-256"))) {
			ag_why(why, whysz, "%s: EC key not on curve P-256",
			    name);
			goto out;
		}
		if (!bn_member(pk, OSSL_PKEY_PARAM_EC_PUB_X, KEY_P256_LEN,
		    k->m1, sizeof(k->m1)) ||
		    !bn_member(pk, OSSL_PKEY_PARAM_EC_PUB_Y, KEY_P256_LEN,
		    k->m2, sizeof(k->m2)))
			goto bad;
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		k->alg = AG_EDDSA;
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 ||
		    rawlen != 32 ||
		    b64_encode(raw, rawlen, k->m1, sizeof(k->m1)) == 0)
			goto bad;
	} else {
		ag_why(why, whysz, "%s: unsupported key type %s (RSA, EC "
		    "P-256 or Ed25519 expected)", name,
		    EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "?");
		goto out;
	}
	if (k->alg != AG_EDDSA &&
	    (k->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto bad;
	if ((e = key_thumbprint(k, NULL)) != AG_OK)
		goto bad;
	*out = k;
	k = NULL;
	e = AG_OK;
	goto out;
bad:
	ag_why(why, whysz, "%s: cannot read the key's public parts", name);
	e = AG_EINVAL;
out:
	ERR_clear_error();
	key_free(k);
	return e;
}

/* Never prompt for a passphrase: encrypted keys are not supported. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *
pem_read(const unsigned char *buf, size_t len, bool priv)
{
	BIO		*bio;
	EVP_PKEY	*pk;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	if (priv)
		pk = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase,
		    NULL, NULL, NULL);
	else
		pk = PEM_read_bio_PUBKEY_ex(bio, NULL, no_passphrase, NULL,
		    NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return pk;
}

/* A PEM key (private when priv) from buf; name is used in messages. */
static enum ag_err
key_from_pem(const unsigned char *buf, size_t len, bool priv,
    struct key **out, char *why, size_t whysz, const char *name)
{
	EVP_PKEY	*pk, *other;

	*out = NULL;
	if ((pk = pem_read(buf, len, priv)) == NULL) {
		if ((other = pem_read(buf, len, !priv)) != NULL) {
			EVP_PKEY_free(other);
			ag_why(why, whysz, priv ?
			    "%s: public key given where a private key is "
			    "expected" :
			    "%s: private key given where a public key is "
			    "expected", name);
		} else
			ag_why(why, whysz, "%s: not a PEM %s key (or an "
			    "encrypted one)", name, priv ? "private" :
			    "public");
		return AG_EINVAL;
	}
	return key_new_pkey(pk, priv, out, why, whysz, name);
}

/*
 * Read path whole (at most KEY_FILE_MAX bytes) into a buffer of
 * KEY_FILE_MAX + 2 bytes, which the caller frees with
 * OPENSSL_clear_free(*bufp, KEY_FILE_MAX + 2).  When secret, the
 * file must not be accessible by group or others.
 */
static enum ag_err
read_file(const char *path, bool secret, unsigned char **bufp,
    size_t *lenp, struct stat *stp, char *why, size_t whysz)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;
	enum ag_err	 e = AG_EINVAL;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? AG_ENOENT : AG_EINVAL;
	}
	if (fstat(fd, &st) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ag_why(why, whysz, "%s: not a regular file", path);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		ag_why(why, whysz, "%s: key file is accessible by group or "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		ag_why(why, whysz, "%s: larger than %d bytes", path,
		    KEY_FILE_MAX);
		e = AG_ETOOBIG;
		goto out;
	}
	/* One byte more than the limit, in case the file grows. */
	if ((buf = malloc(KEY_FILE_MAX + 2)) == NULL) {
		e = AG_ENOMEM;
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ag_why(why, whysz, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > KEY_FILE_MAX) {
			ag_why(why, whysz, "%s: larger than %d bytes", path,
			    KEY_FILE_MAX);
			e = AG_ETOOBIG;
			goto out;
		}
	}
	buf[len] = '\0';
	if (stp != NULL)
		*stp = st;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	e = AG_OK;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	if (close(fd) == -1 && e == AG_OK) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		OPENSSL_clear_free(*bufp, KEY_FILE_MAX + 2);
		*bufp = NULL;
		*lenp = 0;
		e = AG_EINVAL;
	}
	return e;
}

static bool
looks_pem(const unsigned char *buf, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	size_t	 i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return len - i >= sizeof(begin) - 1 &&
	    CRYPTO_memcmp(buf + i, begin, sizeof(begin) - 1) == 0;
}

/*
 * Load one key file: a PEM key (private when priv), or else an HS256
 * secret (private files only): the bytes up to an optional final
 * newline.
 */
static enum ag_err
key_load_file(const char *path, bool priv, struct key **out, char *why,
    size_t whysz)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 len, klen;
	enum ag_err	 e;

	*out = NULL;
	if ((e = read_file(path, priv, &buf, &len, &st, why, whysz)) != AG_OK)
		return e;
	if (looks_pem(buf, len))
		e = key_from_pem(buf, len, priv, out, why, whysz, path);
	else if (!priv) {
		ag_why(why, whysz, "%s: not a PEM public key", path);
		e = AG_EINVAL;
	} else {
		klen = len;
		if (klen > 0 && buf[klen - 1] == '\n')
			klen--;
		e = key_new_secret(buf, klen, out, why, whysz, path);
	}
	OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	if (e == AG_OK)
		(*out)->mtime = st.st_mtime;
	return e;
}

/* Add k to kr; a duplicate kid is AG_EEXIST, and k is freed on error. */
static enum ag_err
keyring_add(struct keyring *kr, struct key *k, char *why, size_t whysz)
{
	size_t	 i;

	for (i = 0; i < kr->n; i++)
		if (streq(kr->keys[i]->kid, k->kid)) {
			ag_why(why, whysz, "duplicate kid %s", k->kid);
			key_free(k);
			return AG_EEXIST;
		}
	if (kr->n >= KEYRING_MAX) {
		ag_why(why, whysz, "more than %d keys", KEYRING_MAX);
		key_free(k);
		return AG_ETOOBIG;
	}
	kr->keys[kr->n++] = k;
	return AG_OK;
}

/*
 * Load the key file path with role into kr.  The same key found twice
 * (a copy left beside the original) is logged and skipped, not fatal.
 */
static enum ag_err
keyring_add_file(struct keyring *kr, const char *path, bool priv,
    enum key_role_e role, char *why, size_t whysz)
{
	struct key	*k;
	enum ag_err	 e;

	if ((e = key_load_file(path, priv, &k, why, whysz)) != AG_OK)
		return e;
	k->role = role;
	if ((e = keyring_add(kr, k, why, whysz)) == AG_EEXIST) {
		log_msg("%s: same key as one already loaded; skipped", path);
		e = AG_OK;
	}
	return e;
}

void
keyring_free(struct keyring *kr)
{
	size_t	 i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->n; i++)
		key_free(kr->keys[i]);
	free(kr);
}

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

/*
 * One JWK (number i of the set) into *out; *out stays NULL, with AG_OK,
 * for a JWK that is not for us (another type, curve, use or alg).
 */
static enum ag_err
jwk_parse(struct json_object *jwk, size_t i, bool allow_secret,
    struct key **out, char *why, size_t whysz)
{
	struct json_object	*v;
	const char		*kty, *crv, *use, *alg, *kid;
	unsigned char		*secret = NULL;
	EVP_PKEY		*pk = NULL;
	enum ag_alg		 want;
	size_t			 j, klen = 0;
	enum ag_err		 e;
	char			 name[32];

	*out = NULL;
	(void)snprintf(name, sizeof(name), "JWK %zu", i);
	if (!json_object_is_type(jwk, json_type_object)) {
		ag_why(why, whysz, "%s: not an object", name);
		return AG_EINVAL;
	}
	for (j = 0; j < sizeof(jwk_private) / sizeof(jwk_private[0]); j++)
		if (json_object_object_get_ex(jwk, jwk_private[j], &v)) {
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
	if (kid != NULL) {
		klen = strlen(kid);
		if (klen == 0 || klen > KEY_KID_MAX ||
		    klen != (size_t)json_object_get_string_len(
		    json_object_object_get(jwk, "kid"))) {
			ag_why(why, whysz, "%s: bad kid", name);
			return AG_EINVAL;
		}
		for (j = 0; j < klen; j++)
			if (kid[j] <= 0x20 || kid[j] >= 0x7f) {
				ag_why(why, whysz, "%s: bad kid", name);
				return AG_EINVAL;
			}
	}
	if (streq(kty, "oct")) {
		if (!allow_secret) {
			ag_why(why, whysz, "%s: symmetric (oct) key in a "
			    "JWK Set of public keys", name);
			return AG_EINVAL;
		}
		want = AG_HS256;
	} else if (streq(kty, "RSA"))
		want = AG_RS256;
	else if (streq(kty, "EC") && crv != NULL && streq(crv, "P-256"))
		want = AG_ES256;
	else if (streq(kty, "OKP") && crv != NULL && streq(crv, "Ed25519"))
		want = AG_EDDSA;
	else
		return AG_OK;		/* RFC 7517 section 5: ignore */
	if (use != NULL && !streq(use, "sig"))
		return AG_OK;
	if (alg != NULL && !streq(alg, ag_alg_name(want)))
		return AG_OK;

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
	} else {
		if (want == AG_RS256)
			pk = jwk_rsa(jwk);
		else if (want == AG_ES256)
			pk = jwk_ec(jwk);
		else
			pk = jwk_okp(jwk);
		if (pk == NULL || !pkey_check(pk)) {
			ERR_clear_error();
			EVP_PKEY_free(pk);
			ag_why(why, whysz, "%s: invalid %s public key", name,
			    kty);
			return AG_EINVAL;
		}
		e = key_new_pkey(pk, false, out, why, whysz, name);
	}
	if (e != AG_OK)
		return e;
	(*out)->role = ROLE_PUBLIC;
	if (kid != NULL)
		memcpy((*out)->kid, kid, strlen(kid) + 1);
	return AG_OK;
}

/* Parse a JWK Set into kr. */
static enum ag_err
jwks_parse(struct keyring *kr, const char *json, size_t len,
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
	if ((e = jwks_parse(kr, json, len, allow_secret, why, whysz)) ==
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

static int
name_cmp(const void *a, const void *b)
{
	const char	*const *x = a, *const *y = b;
	const unsigned char *p = (const unsigned char *)*x;
	const unsigned char *q = (const unsigned char *)*y;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	return (int)*p - (int)*q;
}

/*
 * The names in dir ending with suffix, sorted, into a NULL-terminated
 * array the caller frees with names_free(); more than max is
 * AG_ETOOBIG.  A missing dir gives an empty list.
 */
static enum ag_err
dir_names(const char *dir, const char *suffix, size_t max, char ***namesp,
    size_t *np, char *why, size_t whysz)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, **nn;
	size_t		 n = 0, cap = 0;
	enum ag_err	 e = AG_OK;

	*namesp = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return AG_OK;
		ag_why(why, whysz, "%s: %s", dir, strerror(errno));
		return AG_EINVAL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, suffix))
			continue;
		if (n >= max) {
			ag_why(why, whysz, "%s: too many key files", dir);
			e = AG_ETOOBIG;
			break;
		}
		if (n + 1 >= cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nn = reallocarray(names, cap, sizeof(*names))) ==
			    NULL) {
				e = AG_ENOMEM;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			e = AG_ENOMEM;
			break;
		}
		names[++n] = NULL;
	}
	(void)closedir(d);
	if (e != AG_OK) {
		while (n > 0)
			free(names[--n]);
		free(names);
		return e;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*np = n;
	return AG_OK;
}

static void
names_free(char **names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool
path_join(char *dst, size_t dstsz, const char *dir, const char *name)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < dstsz;
}

/* dir/<stem><suffix> into dst. */
static bool
stem_path(char *dst, size_t dstsz, const char *dir, const char *stem,
    const char *suffix)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s%s", dir, stem, suffix);
	return n >= 0 && (size_t)n < dstsz;
}

/*
 * The time in key_dir/<kid>.until (decimal seconds since the epoch):
 * the latest expiry of a token the key signed outside the rotation
 * rule.  0 when there is none; a file that cannot be read or parsed is
 * logged and counts as none.
 */
static time_t
until_read(const char *dir, const char *kid)
{
	char		 path[PATH_MAX], buf[KEY_UNTIL_MAX + 1], *end;
	long long	 v;
	ssize_t		 r;
	int		 fd;

	if (!stem_path(path, sizeof(path), dir, kid, KEY_UNTIL_SUFFIX))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno != ENOENT)
			log_msg("%s: %s", path, strerror(errno));
		return 0;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (r <= 0) {
		log_msg("%s: cannot be read", path);
		return 0;
	}
	buf[r] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || errno != 0 ||
	    v < 0) {
		log_msg("%s: not a time", path);
		return 0;
	}
	return (time_t)v;
}

/*
 * When the retired key stem (key_dir/<stem>.key, rotated out at
 * mtime) stops verifying: every token it signed has expired by then.
 */
static time_t
retired_end(const struct conf *c, const char *stem, time_t mtime)
{
	time_t	 end, u;

	end = mtime + c->access_token_ttl;
	if ((u = until_read(c->key_dir, stem)) > end)
		end = u;
	return end + c->leeway;
}

/* "<stem>.key" without ".key" into stem; false if it does not fit. */
static bool
key_stem(const char *name, char *stem, size_t stemsz)
{
	size_t	 n = strlen(name), sl = sizeof(".key") - 1;

	if (n <= sl || n - sl >= stemsz)
		return false;
	memcpy(stem, name, n - sl);
	stem[n - sl] = '\0';
	return true;
}

/* Verify-only: jwks_file, key_dir/<*.pub.pem>, an HS256 key_file. */
static enum ag_err
keyring_load_public(const struct conf *c, struct keyring *kr, char *why,
    size_t whysz)
{
	unsigned char	*buf;
	char		**names = NULL, path[PATH_MAX];
	struct key	*k;
	size_t		 len, n = 0, i;
	enum ag_err	 e;

	if (c->jwks_file[0] != '\0') {
		if ((e = read_file(c->jwks_file, false, &buf, &len, NULL, why,
		    whysz)) != AG_OK)
			return e;
		e = jwks_parse(kr, (const char *)buf, len, false, why, whysz);
		OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
		if (e != AG_OK) {
			/* Say which file: prefix the message. */
			char tmp[AG_WHY_MAX];

			if (why != NULL && whysz > 0) {
				(void)snprintf(tmp, sizeof(tmp), "%s", why);
				ag_why(why, whysz, "%s: %s", c->jwks_file,
				    tmp);
			}
			return e;
		}
	}
	/* HMAC has no public half: the shared secret verifies. */
	if (c->algorithm == AG_HS256 && c->key_file[0] != '\0') {
		e = key_load_file(c->key_file, true, &k, why, whysz);
		if (e == AG_OK) {
			k->role = ROLE_PUBLIC;
			if ((e = keyring_add(kr, k, why, whysz)) != AG_OK &&
			    e != AG_EEXIST)
				return e;
		} else if (e != AG_ENOENT)
			return e;
	}
	if (c->key_dir[0] == '\0')
		return AG_OK;
	if ((e = dir_names(c->key_dir, ".pub.pem", KEY_DIR_LOAD_MAX, &names,
	    &n, why, whysz)) != AG_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (!path_join(path, sizeof(path), c->key_dir, names[i])) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			break;
		}
		if ((e = keyring_add_file(kr, path, false, ROLE_PUBLIC, why,
		    whysz)) != AG_OK)
			break;
	}
	names_free(names, n);
	return e;
}

/* Signing: key_file, key_dir/next.key, key_dir/<*.key> retired. */
static enum ag_err
keyring_load_private(const struct conf *c, struct keyring *kr, char *why,
    size_t whysz)
{
	struct stat	 st;
	struct key	*k;
	char		**names = NULL, path[PATH_MAX], stem[NAME_MAX + 1];
	size_t		 n = 0, i;
	time_t		 now;
	enum ag_err	 e;

	if ((e = key_load_file(c->key_file, true, &k, why, whysz)) != AG_OK)
		return e;
	if (k->alg != c->algorithm) {
		ag_why(why, whysz, "%s: holds an %s key but algorithm is %s",
		    c->key_file, ag_alg_name(k->alg),
		    ag_alg_name(c->algorithm));
		key_free(k);
		return AG_EINVAL;
	}
	k->role = ROLE_SIGNING;
	if ((e = keyring_add(kr, k, why, whysz)) != AG_OK)
		return e;
	kr->signer = k;
	if (c->key_dir[0] == '\0')
		return AG_OK;

	if (!path_join(path, sizeof(path), c->key_dir, KEY_NEXT_NAME)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	e = key_load_file(path, true, &k, why, whysz);
	if (e == AG_OK) {
		if (k->alg != c->algorithm) {
			ag_why(why, whysz, "%s: holds an %s key but "
			    "algorithm is %s", path, ag_alg_name(k->alg),
			    ag_alg_name(c->algorithm));
			key_free(k);
			return AG_EINVAL;
		}
		k->role = ROLE_NEXT;
		if ((e = keyring_add(kr, k, why, whysz)) == AG_EEXIST)
			log_msg("%s: same key as %s; skipped", path,
			    c->key_file);
		else if (e != AG_OK)
			return e;
	} else if (e != AG_ENOENT)
		return e;

	if ((e = dir_names(c->key_dir, ".key", KEY_DIR_LOAD_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (streq(names[i], KEY_NEXT_NAME))
			continue;
		if (!path_join(path, sizeof(path), c->key_dir, names[i]) ||
		    !key_stem(names[i], stem, sizeof(stem))) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			break;
		}
		if (stat(path, &st) == 0 &&
		    retired_end(c, stem, st.st_mtime) < now) {
			log_msg("%s: its tokens have all expired; skipped (the "
			    "next key rotate removes it)", path);
			continue;
		}
		if ((e = keyring_add_file(kr, path, true, ROLE_RETIRED, why,
		    whysz)) != AG_OK)
			break;
	}
	names_free(names, n);
	return e;
}

enum ag_err
keyring_load(const struct conf *c, struct keyring **out, char *why,
    size_t whysz)
{
	struct keyring	*kr;
	enum ag_err	 e;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return AG_ENOMEM;
	if (c->verify_only) {
		e = keyring_load_public(c, kr, why, whysz);
		if (e == AG_OK && kr->n == 0) {
			ag_why(why, whysz, "verify-only: no public key (set "
			    "jwks_file, or put *.pub.pem files in key_dir)");
			e = AG_ENOENT;
		}
	} else
		e = keyring_load_private(c, kr, why, whysz);
	if (e != AG_OK) {
		keyring_free(kr);
		return e;
	}
	*out = kr;
	return AG_OK;
}

const struct key *
keyring_signer(const struct keyring *kr)
{
	return kr->signer;
}

const struct key *
keyring_find(const struct keyring *kr, enum ag_alg alg, const char *kid,
    size_t kidlen)
{
	const struct key	*only = NULL;
	size_t			 i, nalg = 0;

	for (i = 0; i < kr->n; i++) {
		if (kr->keys[i]->alg != alg)
			continue;
		if (kid == NULL) {
			only = kr->keys[i];
			nalg++;
			continue;
		}
		if (strlen(kr->keys[i]->kid) == kidlen &&
		    CRYPTO_memcmp(kr->keys[i]->kid, kid, kidlen) == 0)
			return kr->keys[i];
	}
	if (kid != NULL)
		return NULL;
	/* No kid: the signer if it fits, else an unambiguous key. */
	if (kr->signer != NULL && kr->signer->alg == alg)
		return kr->signer;
	return nalg == 1 ? only : NULL;
}

size_t
keyring_count(const struct keyring *kr)
{
	return kr->n;
}

const struct key *
keyring_at(const struct keyring *kr, size_t i)
{
	return i < kr->n ? kr->keys[i] : NULL;
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

enum ag_alg
key_alg(const struct key *k)
{
	return k->alg;
}

const char *
key_kid(const struct key *k)
{
	return k->kid;
}

bool
key_can_sign(const struct key *k)
{
	return k->role == ROLE_SIGNING;
}

const char *
key_role(const struct key *k)
{
	switch (k->role) {
	case ROLE_SIGNING:
		return "signing";
	case ROLE_NEXT:
		return "next";
	case ROLE_RETIRED:
		return "retired";
	case ROLE_PUBLIC:
		return "public";
	}
	return "?";
}

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

/* A new key for alg as file content (PEM, or the HS256 secret line). */
static enum ag_err
key_material(enum ag_alg alg, unsigned char **bufp, size_t *lenp)
{
	EVP_PKEY	*pk = NULL;
	BIO		*bio = NULL;
	unsigned char	 rnd[KEY_HS256_GEN], *buf = NULL;
	char		*pem;
	long		 pemlen;
	size_t		 n;
	enum ag_err	 e = AG_EINVAL;

	*bufp = NULL;
	*lenp = 0;
	if (alg == AG_HS256) {
		/* Printable, so an administrator can copy it. */
		n = B64_ENCLEN(sizeof(rnd)) + 2;
		if ((buf = malloc(n)) == NULL)
			return AG_ENOMEM;
		if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1 ||
		    b64_encode(rnd, sizeof(rnd), (char *)buf, n) == 0) {
			OPENSSL_cleanse(rnd, sizeof(rnd));
			free(buf);
			return AG_EINVAL;
		}
		OPENSSL_cleanse(rnd, sizeof(rnd));
		buf[n - 2] = '\n';
		*bufp = buf;
		*lenp = n - 1;
		return AG_OK;
	}
	switch (alg) {
	case AG_RS256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_RSA_MIN);
		break;
	case AG_ES256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case AG_EDDSA:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case AG_HS256:
	case AG_ALG__MAX:
		break;
	}
	if (pk == NULL)
		goto out;
	/* Secure-heap memory BIO: cleared when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	if ((buf = malloc((size_t)pemlen)) == NULL) {
		e = AG_ENOMEM;
		goto out;
	}
	memcpy(buf, pem, (size_t)pemlen);
	*bufp = buf;
	*lenp = (size_t)pemlen;
	e = AG_OK;
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return e;
}

/*
 * A new key for alg written to path, mode 0600, atomically; as root it
 * gets owner, or by default the replaced file's owner or the parent
 * directory's (fsutil.h).
 */
static enum ag_err
key_generate_owned(enum ag_alg alg, const char *path, bool force,
    const struct fsu_owner *owner, char *why, size_t whysz)
{
	unsigned char	*buf;
	size_t		 len;
	enum ag_err	 e;

	if (ag_alg_name(alg) == NULL) {
		ag_why(why, whysz, "unknown algorithm");
		return AG_EINVAL;
	}
	if (!force && access(path, F_OK) == 0) {
		ag_why(why, whysz, "%s: exists; not overwritten (use "
		    "--force)", path);
		return AG_EEXIST;
	}
	if ((e = key_material(alg, &buf, &len)) != AG_OK) {
		ag_why(why, whysz, "%s: cannot generate an %s key", path,
		    ag_alg_name(alg));
		return e;
	}
	e = fsu_write_atomic(path, buf, len, 0600, force, owner, why, whysz);
	OPENSSL_clear_free(buf, len);
	return e;
}

enum ag_err
key_generate(enum ag_alg alg, const char *path, bool force, char *why,
    size_t whysz)
{
	return key_generate_owned(alg, path, force, NULL, why, whysz);
}

/*
 * Create key_dir (0700) when missing.  As root it gets key_file's
 * owner: the service reads both, and key_dir's parent (often /etc) is
 * root's.  Without a key_file, its parent's owner.
 */
static enum ag_err
key_dir_make(const struct conf *c, char *why, size_t whysz)
{
	struct stat	 st;
	struct fsu_owner o;

	if (c->key_dir[0] == '\0') {
		ag_why(why, whysz, "key_dir is not set");
		return AG_EINVAL;
	}
	if (stat(c->key_file, &st) == 0) {
		o.uid = st.st_uid;
		o.gid = st.st_gid;
		return fsu_mkdir(c->key_dir, 0700, &o, why, whysz);
	}
	return fsu_mkdir(c->key_dir, 0700, NULL, why, whysz);
}

/* A retired key of key_dir, as key rotate plans. */
struct retired {
	char	 stem[NAME_MAX + 1];	/* key_dir/<stem>.key: its kid */
	time_t	 end;			/* when it stops verifying */
};

static int
retired_cmp(const void *a, const void *b)
{
	const struct retired	*x = a, *y = b;

	return (x->end > y->end) - (x->end < y->end);
}

/* The retired keys of key_dir, oldest end first, into *rp (freed by the
 * caller), *np. */
static enum ag_err
retired_scan(const struct conf *c, struct retired **rp, size_t *np,
    char *why, size_t whysz)
{
	struct stat	 st;
	struct retired	*r;
	char		**names = NULL, path[PATH_MAX];
	size_t		 n = 0, i, nr = 0;
	enum ag_err	 e;

	*rp = NULL;
	*np = 0;
	if ((e = dir_names(c->key_dir, ".key", KEY_DIR_SCAN_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	if ((r = calloc(n + 1, sizeof(*r))) == NULL) {
		names_free(names, n);
		return AG_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (streq(names[i], KEY_NEXT_NAME) ||
		    !key_stem(names[i], r[nr].stem, sizeof(r[nr].stem)) ||
		    !path_join(path, sizeof(path), c->key_dir, names[i]) ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		r[nr].end = retired_end(c, r[nr].stem, st.st_mtime);
		nr++;
	}
	names_free(names, n);
	qsort(r, nr, sizeof(*r), retired_cmp);
	*rp = r;
	*np = nr;
	return AG_OK;
}

/* Remove key_dir/<stem>.key and its .until, if any. */
static enum ag_err
retired_remove(const struct conf *c, const char *stem, char *why,
    size_t whysz)
{
	char	 path[PATH_MAX];

	if (!stem_path(path, sizeof(path), c->key_dir, stem, ".key")) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	if (stem_path(path, sizeof(path), c->key_dir, stem, KEY_UNTIL_SUFFIX)
	    && unlink(path) == -1 && errno != ENOENT) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	return AG_OK;
}

/* Remove the .until files whose time (and leeway) has passed. */
static void
until_prune(const struct conf *c, time_t now)
{
	char		**names = NULL, path[PATH_MAX];
	char		 stem[NAME_MAX + 1];
	size_t		 n = 0, i, len;

	if (dir_names(c->key_dir, KEY_UNTIL_SUFFIX, KEY_DIR_SCAN_MAX, &names,
	    &n, NULL, 0) != AG_OK)
		return;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]) - (sizeof(KEY_UNTIL_SUFFIX) - 1);
		if (len >= sizeof(stem))
			continue;
		memcpy(stem, names[i], len);
		stem[len] = '\0';
		if (until_read(c->key_dir, stem) + c->leeway < now &&
		    path_join(path, sizeof(path), c->key_dir, names[i]))
			(void)unlink(path);
	}
	names_free(names, n);
}

/*
 * Why a rotation is refused: the service would load total keys, live
 * of them retired ones still verifying (r, n oldest first); name the
 * kids whose removal makes room and when that happens by itself.
 */
static void
refusal_why(const struct retired *r, size_t n, const char *kid,
    size_t live, size_t total, time_t now, char *why, size_t whysz)
{
	struct tm	 tm;
	char		 kids[AG_WHY_MAX * 4], t[32] = "?";
	size_t		 i, need = total - KEYRING_MAX, off = 0;
	int		 w;

	kids[0] = '\0';
	for (i = 0; i < n && need > 0; i++) {
		if (r[i].end < now || (kid != NULL && streq(r[i].stem, kid)))
			continue;
		w = snprintf(kids + off, sizeof(kids) - off, " %s", r[i].stem);
		if (w < 0 || (size_t)w >= sizeof(kids) - off)
			break;
		off += (size_t)w;
		if (--need == 0 && gmtime_r(&r[i].end, &tm) != NULL)
			(void)strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ",
			    &tm);
	}
	ag_why(why, whysz, "rotation refused: the service loads at most %d "
	    "keys and would have %zu (%zu retired keys still verify tokens); "
	    "rotate after %s, or first run authgatectl key retire KID (its "
	    "tokens stop verifying) for:%s", KEYRING_MAX, total, live, t,
	    kids);
}

/*
 * Before a rotation that retires the key kid (NULL: none): refuse when
 * the set would be more than the service loads, else remove the
 * retired keys whose tokens have all expired.
 */
static enum ag_err
rotate_plan(const struct conf *c, const char *kid,
    void (*dropped)(const char *, void *), void *arg, char *why,
    size_t whysz)
{
	struct retired	*r;
	char		 path[PATH_MAX];
	size_t		 n, i, live = 0, total;
	time_t		 now = time(NULL);
	enum ag_err	 e;

	if ((e = retired_scan(c, &r, &n, why, whysz)) != AG_OK)
		return e;
	for (i = 0; i < n; i++)
		if (r[i].end >= now && (kid == NULL || !streq(r[i].stem, kid)))
			live++;
	/* The new signing key, the new next key, the one retired now. */
	total = live + 2 + (kid != NULL);
	if (total > KEYRING_MAX) {
		refusal_why(r, n, kid, live, total, now, why, whysz);
		free(r);
		return AG_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		if (r[i].end >= now)
			continue;
		if ((e = retired_remove(c, r[i].stem, why, whysz)) != AG_OK)
			break;
		if (dropped != NULL)
			dropped(r[i].stem, arg);
	}
	free(r);
	if (e == AG_OK)
		until_prune(c, now);
	/* The directory the removals were in. */
	if (path_join(path, sizeof(path), c->key_dir, KEY_NEXT_NAME))
		(void)fsu_sync_dir(path);
	return e;
}

/* next.key (of the new algorithm) becomes key_file, which keeps its
 * owner kfo (as root). */
static enum ag_err
next_to_signing(const struct conf *c, const char *nextp,
    const struct fsu_owner *kfo, char *why, size_t whysz)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	enum ag_err	 e;

	if (rename(nextp, c->key_file) == 0) {
		if (fsu_chown_root(c->key_file, kfo) == -1) {
			ag_why(why, whysz, "%s: %s", c->key_file,
			    strerror(errno));
			return AG_EINVAL;
		}
		(void)fsu_sync_dir(c->key_file);
		(void)fsu_sync_dir(nextp);
		return AG_OK;
	}
	if (errno != EXDEV) {
		ag_why(why, whysz, "%s: %s", c->key_file, strerror(errno));
		return AG_EINVAL;
	}
	/* key_dir on another file system: copy, then drop. */
	if ((e = read_file(nextp, true, &buf, &len, NULL, why, whysz)) !=
	    AG_OK)
		return e;
	e = fsu_write_atomic(c->key_file, buf, len, 0600, true, kfo, why,
	    whysz);
	OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	if (e != AG_OK)
		return e;
	if (unlink(nextp) == -1) {
		ag_why(why, whysz, "%s: %s", nextp, strerror(errno));
		return AG_EINVAL;
	}
	(void)fsu_sync_dir(nextp);
	return AG_OK;
}

enum ag_err
key_rotate(const struct conf *c, enum ag_alg alg,
    void (*dropped)(const char *kid, void *arg), void *arg, char *why,
    size_t whysz)
{
	struct stat	 st;
	struct fsu_owner kfo;
	struct key	*cur = NULL, *next = NULL;
	unsigned char	*buf = NULL;
	char		 nextp[PATH_MAX], retp[PATH_MAX];
	size_t		 len = 0;
	enum ag_err	 e;

	if (ag_alg_name(alg) == NULL) {
		ag_why(why, whysz, "unknown algorithm");
		return AG_EINVAL;
	}
	if ((e = key_dir_make(c, why, whysz)) != AG_OK)
		return e;
	if (!path_join(nextp, sizeof(nextp), c->key_dir, KEY_NEXT_NAME)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	/* key_file keeps its owner; a new one gets its directory's. */
	if (stat(c->key_file, &st) == 0) {
		kfo.uid = st.st_uid;
		kfo.gid = st.st_gid;
	} else if (!fsu_parent_owner(c->key_file, &kfo)) {
		ag_why(why, whysz, "%s: %s", c->key_file, strerror(errno));
		return AG_EINVAL;
	}
	/* The current signing key, if any, is kept as a retired key. */
	e = read_file(c->key_file, true, &buf, &len, NULL, why, whysz);
	if (e == AG_OK) {
		if ((e = key_load_file(c->key_file, true, &cur, why,
		    whysz)) != AG_OK)
			goto out;
		if (!stem_path(retp, sizeof(retp), c->key_dir, cur->kid,
		    ".key")) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			goto out;
		}
	} else if (e != AG_ENOENT)
		goto out;
	if ((e = rotate_plan(c, cur != NULL ? cur->kid : NULL, dropped, arg,
	    why, whysz)) != AG_OK)
		goto out;
	/* A copy, so key_file never goes missing; its mtime, now, is when
	 * it was retired. */
	if (cur != NULL && (e = fsu_write_atomic(retp, buf, len, 0600, true,
	    NULL, why, whysz)) != AG_OK)
		goto out;

	e = key_load_file(nextp, true, &next, why, whysz);
	if (e == AG_OK && next->alg == alg) {
		if ((e = next_to_signing(c, nextp, &kfo, why, whysz)) != AG_OK)
			goto out;
	} else if (e == AG_OK || e == AG_ENOENT) {
		/* No next key of alg: it never signed, so it can go. */
		if (e == AG_OK && unlink(nextp) == -1) {
			ag_why(why, whysz, "%s: %s", nextp, strerror(errno));
			e = AG_EINVAL;
			goto out;
		}
		if ((e = key_generate_owned(alg, c->key_file, true, &kfo, why,
		    whysz)) != AG_OK)
			goto out;
	} else
		goto out;
	e = key_generate_owned(alg, nextp, true, NULL, why, whysz);
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	key_free(cur);
	key_free(next);
	return e;
}

enum ag_err
key_keep_until(const struct conf *c, const struct key *k, time_t exp,
    char *why, size_t whysz)
{
	char		 path[PATH_MAX], buf[KEY_UNTIL_MAX];
	enum ag_err	 e;
	int		 n;

	/* A rotation comes later than now: mtime + ttl covers it. */
	if (c->key_dir[0] == '\0' || exp <= time(NULL) + c->access_token_ttl)
		return AG_OK;
	if ((e = key_dir_make(c, why, whysz)) != AG_OK)
		return e;
	if (until_read(c->key_dir, k->kid) >= exp)
		return AG_OK;
	if (!stem_path(path, sizeof(path), c->key_dir, k->kid,
	    KEY_UNTIL_SUFFIX)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	n = snprintf(buf, sizeof(buf), "%lld\n", (long long)exp);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return AG_EINVAL;
	return fsu_write_atomic(path, buf, (size_t)n, 0600, true, NULL, why,
	    whysz);
}
static bool
kid_ok(const char *kid)
{
	size_t	 i, n = strlen(kid);

	if (n == 0 || n > KEY_KID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((kid[i] >= 'A' && kid[i] <= 'Z') ||
		    (kid[i] >= 'a' && kid[i] <= 'z') ||
		    (kid[i] >= '0' && kid[i] <= '9') ||
		    kid[i] == '-' || kid[i] == '_'))
			return false;
	return !streq(kid, "next");
}

enum ag_err
key_retire(const struct conf *c, const char *kid, char *why, size_t whysz)
{
	struct key	*cur = NULL;
	char		 path[PATH_MAX];
	enum ag_err	 e;

	if (!kid_ok(kid)) {
		ag_why(why, whysz, "not a kid: the base64url thumbprint "
		    "authgatectl key list shows");
		return AG_EINVAL;
	}
	if (key_load_file(c->key_file, true, &cur, NULL, 0) == AG_OK) {
		e = streq(cur->kid, kid) ? AG_EINVAL : AG_OK;
		key_free(cur);
		if (e != AG_OK) {
			ag_why(why, whysz, "%s is the signing key; rotate "
			    "first", kid);
			return e;
		}
	}
	if (c->key_dir[0] == '\0' ||
	    !stem_path(path, sizeof(path), c->key_dir, kid, ".key")) {
		ag_why(why, whysz, "no retired key %s", kid);
		return AG_ENOENT;
	}
	if (unlink(path) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? AG_ENOENT : AG_EINVAL;
	}
	/* Its long-lived tokens no longer verify either. */
	if (stem_path(path, sizeof(path), c->key_dir, kid, KEY_UNTIL_SUFFIX))
		(void)unlink(path);
	(void)fsu_sync_dir(path);
	return AG_OK;
}

enum ag_err
key_list(const struct conf *c,
    void (*cb)(const char *kid, enum ag_alg alg, const char *role,
    time_t mtime, void *arg), void *arg, char *why, size_t whysz)
{
	struct key	*k;
	char		**names = NULL, path[PATH_MAX], msg[AG_WHY_MAX];
	char		 stem[NAME_MAX + 1];
	const char	*role;
	size_t		 n = 0, i;
	time_t		 now = time(NULL);
	enum ag_err	 e;

	if ((e = key_load_file(c->key_file, true, &k, msg, sizeof(msg))) ==
	    AG_OK) {
		cb(k->kid, k->alg, "signing", k->mtime, arg);
		key_free(k);
	} else if (e != AG_ENOENT)
		log_msg("%s", msg);
	if (c->key_dir[0] == '\0')
		return AG_OK;
	if ((e = dir_names(c->key_dir, ".key", KEY_DIR_SCAN_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	/* next.key first, then the retired keys in name order. */
	for (i = 0; i <= n; i++) {
		if (i == 0) {
			if (!path_join(path, sizeof(path), c->key_dir,
			    KEY_NEXT_NAME))
				continue;
		} else if (streq(names[i - 1], KEY_NEXT_NAME) ||
		    !path_join(path, sizeof(path), c->key_dir, names[i - 1]))
			continue;
		if ((e = key_load_file(path, true, &k, msg, sizeof(msg))) !=
		    AG_OK) {
			if (e != AG_ENOENT)
				log_msg("%s", msg);
			continue;
		}
		role = "next";
		if (i > 0)
			role = key_stem(names[i - 1], stem, sizeof(stem)) &&
			    retired_end(c, stem, k->mtime) < now ? "expired" :
			    "retired";
		cb(k->kid, k->alg, role, k->mtime, arg);
		key_free(k);
	}
	names_free(names, n);
	return AG_OK;
}
