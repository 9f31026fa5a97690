/*
 * Keys: the key object, loading from PEM or secret files (with the file
 * mode check), RFC 7638 thumbprints as kids, and the accessors.
 *
 * Everything a key needs per call is prepared at load time: the HMAC
 * pads are hashed once (hmac.c), and the SHA-256 digest is fetched
 * once, so the hot path (key_sign.c) does no algorithm lookup and, for
 * HS256, no allocation.  A key is read-only after load, so threads
 * share it without locks.  The modules split by concern: key_jwk.c
 * (JWK and JWK Set import and export), key_ring.c (keyrings from
 * key_file and key_dir), key_sign.c (sign and verify), key_admin.c
 * (generation, rotation, retirement: authgatectl only).
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

void
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
enum ag_err
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

/* What reading the public members of a key gave. */
enum pk_read {
	PK_OK,
	PK_REFUSED,	/* a key we do not accept; why says which */
	PK_UNREADABLE	/* OpenSSL did not give the members */
};

/* An RSA key of KEY_RSA_MIN to KEY_RSA_MAX bits: its n and e. */
static enum pk_read
pk_rsa(struct key *k, char *why, size_t whysz, const char *name)
{
	int	 bits;

	k->alg = AG_RS256;
	bits = EVP_PKEY_get_bits(k->pkey);
	if (bits < KEY_RSA_MIN || bits > KEY_RSA_MAX) {
		ag_why(why, whysz, "%s: RSA key of %d bits; %d to %d "
		    "are accepted", name, bits, KEY_RSA_MIN, KEY_RSA_MAX);
		return PK_REFUSED;
	}
	if (!bn_member(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, k->m1,
	    sizeof(k->m1)) ||
	    !bn_member(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, k->m2,
	    sizeof(k->m2)))
		return PK_UNREADABLE;
	/* Bounds the JWK Set (KEY_JWK_MAX); FIPS 186-5 too. */
	if (strlen(k->m2) > B64_ENCLEN(KEY_RSA_E_MAX)) {
		ag_why(why, whysz, "%s: RSA public exponent over %d bits",
		    name, KEY_RSA_E_MAX * 8);
		return PK_REFUSED;
	}
	return PK_OK;
}

/* An EC key on P-256: its x and y. */
static enum pk_read
pk_ec(struct key *k, char *why, size_t whysz, const char *name)
{
	char	 group[64];
	size_t	 glen = 0;

	k->alg = AG_ES256;
	if (EVP_PKEY_get_utf8_string_param(k->pkey,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1 ||
	    (!streq(group, "prime256v1") && !streq(group, "P-256"))) {
		ag_why(why, whysz, "%s: EC key not on curve P-256", name);
		return PK_REFUSED;
	}
	if (!bn_member(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, KEY_P256_LEN,
	    k->m1, sizeof(k->m1)) ||
	    !bn_member(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, KEY_P256_LEN,
	    k->m2, sizeof(k->m2)))
		return PK_UNREADABLE;
	return PK_OK;
}

/* An Ed25519 key: its x. */
static enum pk_read
pk_ed25519(struct key *k)
{
	unsigned char	 raw[64];
	size_t		 rawlen = sizeof(raw);

	k->alg = AG_EDDSA;
	if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 ||
	    rawlen != 32 ||
	    b64_encode(raw, rawlen, k->m1, sizeof(k->m1)) == 0)
		return PK_UNREADABLE;
	return PK_OK;
}

/* The type of k->pkey, which must be one we know, and its members. */
static enum pk_read
pk_members(struct key *k, char *why, size_t whysz, const char *name)
{
	EVP_PKEY	*pk = k->pkey;

	if (EVP_PKEY_is_a(pk, "RSA"))
		return pk_rsa(k, why, whysz, name);
	if (EVP_PKEY_is_a(pk, "EC"))
		return pk_ec(k, why, whysz, name);
	if (EVP_PKEY_is_a(pk, "ED25519"))
		return pk_ed25519(k);
	ag_why(why, whysz, "%s: unsupported key type %s (RSA, EC "
	    "P-256 or Ed25519 expected)", name,
	    EVP_PKEY_get0_type_name(pk) != NULL ?
	    EVP_PKEY_get0_type_name(pk) : "?");
	return PK_REFUSED;
}

/*
 * A key from pk (whose reference it takes, even on error): checks the
 * type (RSA of 2048 to 4096 bits, EC on P-256, Ed25519), extracts the
 * public members and the kid, and fetches SHA-256 once.
 */
enum ag_err
key_new_pkey(EVP_PKEY *pk, bool priv, struct key **out, char *why,
    size_t whysz, const char *name)
{
	struct key	*k;
	enum ag_err	 e = AG_EINVAL;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pk);
		return AG_ENOMEM;
	}
	k->pkey = pk;
	k->priv = priv;
	switch (pk_members(k, why, whysz, name)) {
	case PK_OK:
		break;
	case PK_REFUSED:
		goto out;
	case PK_UNREADABLE:
		goto bad;
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
 * Check the key file path, open on fd, before reading it: a regular
 * file of at most KEY_FILE_MAX bytes, and mode 600 or less if secret.
 * Its stat goes to *st.
 */
static enum ag_err
key_file_check(int fd, const char *path, bool secret, struct stat *st,
    char *why, size_t whysz)
{
	if (fstat(fd, st) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	if (!S_ISREG(st->st_mode)) {
		ag_why(why, whysz, "%s: not a regular file", path);
		return AG_EINVAL;
	}
	if (secret && (st->st_mode & 077) != 0) {
		ag_why(why, whysz, "%s: key file is accessible by group or "
		    "others (mode %04o); chmod 600 it", path,
		    (unsigned)(st->st_mode & 07777));
		return AG_EINVAL;
	}
	if (st->st_size > KEY_FILE_MAX) {
		ag_why(why, whysz, "%s: larger than %d bytes", path,
		    KEY_FILE_MAX);
		return AG_ETOOBIG;
	}
	return AG_OK;
}

/*
 * Read fd (the file path) to its end into buf, which holds at least
 * KEY_FILE_MAX + 1 bytes; its length goes to *lenp.  A file that has
 * grown past KEY_FILE_MAX is AG_ETOOBIG.
 */
static enum ag_err
key_file_read(int fd, const char *path, unsigned char *buf, size_t *lenp,
    char *why, size_t whysz)
{
	size_t	 len = 0;
	ssize_t	 r;

	for (;;) {
		r = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ag_why(why, whysz, "%s: %s", path, strerror(errno));
			return AG_EINVAL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > KEY_FILE_MAX) {
			ag_why(why, whysz, "%s: larger than %d bytes", path,
			    KEY_FILE_MAX);
			return AG_ETOOBIG;
		}
	}
	*lenp = len;
	return AG_OK;
}

/*
 * Read path whole (at most KEY_FILE_MAX bytes) into a buffer of
 * KEY_FILE_MAX + 2 bytes, which the caller frees with
 * OPENSSL_clear_free(*bufp, KEY_FILE_MAX + 2).  When secret, the
 * file must not be accessible by group or others.
 */
enum ag_err
key_read_file(const char *path, bool secret, unsigned char **bufp,
    size_t *lenp, struct stat *stp, char *why, size_t whysz)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	int		 fd;
	enum ag_err	 e = AG_EINVAL;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? AG_ENOENT : AG_EINVAL;
	}
	if ((e = key_file_check(fd, path, secret, &st, why, whysz)) !=
	    AG_OK)
		goto out;
	/* One byte more than the limit, in case the file grows. */
	if ((buf = malloc(KEY_FILE_MAX + 2)) == NULL) {
		e = AG_ENOMEM;
		goto out;
	}
	if ((e = key_file_read(fd, path, buf, &len, why, whysz)) != AG_OK)
		goto out;
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
enum ag_err
key_load_file(const char *path, bool priv, struct key **out, char *why,
    size_t whysz)
{
	struct stat	 st;
	unsigned char	*buf;
	size_t		 len, klen;
	enum ag_err	 e;

	*out = NULL;
	if ((e = key_read_file(path, priv, &buf, &len, &st, why, whysz)) != AG_OK)
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
enum ag_err
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
enum ag_err
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
