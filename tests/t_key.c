/*
 * key: generation, loading and its refusals, sign/verify per algorithm,
 * ES256 signature forms, RFC 7638 thumbprints, JWK Sets, rotation.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../src/b64.h"
#include "../src/conf.h"
#include "../src/key.h"
#include "tap.h"

static char	 dir[] = "/tmp/t_key.XXXXXX";
static char	 why[AG_WHY_MAX];

/* RFC 7638 section 3.1, without its kid so the thumbprint is used. */
static const char rfc7638_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEp"
    "s2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF"
    "V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR"
    "0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpb"
    "ISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls"
    "1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\"}]}\n";
/* RFC 8037 appendix A.1: a private Ed25519 JWK. */
static const char okp_private[] =
    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
    "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}]}";
static const char rfc7638_kid[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

static void
path_in(char *buf, size_t sz, const char *name)
{
	(void)snprintf(buf, sz, "%s/%s", dir, name);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int	 fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1 ||
	    write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) == -1 ||
	    close(fd) == -1) {
		perror(path);
		exit(1);
	}
}

static void
conf_for(struct conf *c, const char *key_file, enum ag_alg alg,
    const char *key_dir)
{
	memset(c, 0, sizeof(*c));
	(void)snprintf(c->key_file, sizeof(c->key_file), "%s", key_file);
	(void)snprintf(c->key_dir, sizeof(c->key_dir), "%s", key_dir);
	c->algorithm = alg;
	c->access_token_ttl = 900;
	c->leeway = 30;
}

static bool
sign_verify(const struct key *signer, const struct key *verifier)
{
	unsigned char	 sig[KEY_SIG_MAX];
	size_t		 len;
	const char	 msg[] = "eyJhbGciOi.eyJzdWIiOi";

	return key_sign(signer, msg, sizeof(msg) - 1, sig, sizeof(sig),
	    &len) == AG_OK && key_verify(verifier, msg, sizeof(msg) - 1, sig,
	    len);
}

static void
test_alg(enum ag_alg alg)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	const struct key *k;
	struct stat	 st;
	unsigned char	 sig[KEY_SIG_MAX];
	char		 path[PATH_MAX], name[64], jwks[8192];
	const char	 msg[] = "header.payload";
	size_t		 len, jlen;
	enum ag_err	 e;

	(void)snprintf(name, sizeof(name), "%s.key", ag_alg_name(alg));
	path_in(path, sizeof(path), name);
	e = key_generate(alg, path, false, why, sizeof(why));
	is_int(e, AG_OK, "generate");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "generated key is mode 0600");
	e = key_generate(alg, path, false, why, sizeof(why));
	is_int(e, AG_EEXIST, "generate refuses to overwrite");
	ok(strstr(why, path) != NULL, "message names the file");
	e = key_generate(alg, path, true, why, sizeof(why));
	is_int(e, AG_OK, "generate --force overwrites");

	conf_for(&c, path, alg, "");
	e = keyring_load(&c, &kr, why, sizeof(why));
	is_int(e, AG_OK, "load");
	if (e != AG_OK) {
		printf("# %s\n", why);
		return;
	}
	k = keyring_signer(kr);
	ok(k != NULL && key_can_sign(k), "a signer");
	is_int(key_alg(k), alg, "its alg");
	is_int(strlen(key_kid(k)), 43, "kid is a base64url SHA-256");
	ok(keyring_find(kr, alg, key_kid(k), strlen(key_kid(k))) == k,
	    "find by kid");
	ok(keyring_find(kr, alg, NULL, 0) == k, "find without kid");
	ok(keyring_find(kr, (alg + 1) % AG_ALG__MAX, NULL, 0) == NULL,
	    "other alg not found");
	ok(keyring_find(kr, alg, "x", 1) == NULL, "unknown kid not found");

	e = key_sign(k, msg, sizeof(msg) - 1, sig, sizeof(sig), &len);
	is_int(e, AG_OK, "sign");
	ok(key_verify(k, msg, sizeof(msg) - 1, sig, len), "verify");
	sig[len / 2] ^= 1;
	ok(!key_verify(k, msg, sizeof(msg) - 1, sig, len),
	    "tampered signature refused");
	sig[len / 2] ^= 1;
	ok(!key_verify(k, msg, sizeof(msg) - 2, sig, len),
	    "tampered message refused");
	ok(!key_verify(k, msg, sizeof(msg) - 1, sig, len - 1),
	    "truncated signature refused");
	if (alg != AG_HS256)
		ok(len == (alg == AG_RS256 ? 256u : 64u), "JOSE sig length");

	e = key_sign(k, msg, sizeof(msg) - 1, sig, 16, &len);
	ok(e != AG_OK && len == 0, "sign into too small a buffer fails");

	ok(keyring_jwks(kr, jwks, sizeof(jwks), &jlen) == 0, "jwks");
	ok(strstr(jwks, "\"d\"") == NULL && strstr(jwks, "\"k\"") == NULL &&
	    strstr(jwks, "oct") == NULL, "jwks has no private part");
	if (alg == AG_HS256)
		is_str(jwks, "{\"keys\":[]}", "no HMAC secret in jwks");
	else {
		struct keyring	*pub = NULL;

		ok(strstr(jwks, key_kid(k)) != NULL, "jwks names the kid");
		e = keyring_from_jwks(jwks, jlen, false, &pub, why,
		    sizeof(why));
		is_int(e, AG_OK, "jwks reads back");
		if (e == AG_OK) {
			const struct key *pk;

			pk = keyring_find(pub, alg, key_kid(k),
			    strlen(key_kid(k)));
			ok(pk != NULL && !key_can_sign(pk) &&
			    sign_verify(k, pk),
			    "public key from jwks verifies");
			ok(keyring_signer(pub) == NULL, "no signer");
			is_str(key_role(pk), "public", "role public");
		}
		keyring_free(pub);
		ok(keyring_jwks(kr, jwks, jlen, &jlen) == -1 && jlen == 0,
		    "jwks into a buffer one byte short: -1");
	}
	keyring_free(kr);

	/* Group-readable key file: refused, naming the file. */
	if (chmod(path, 0640) == -1)
		exit(1);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && kr == NULL && strstr(why, path) != NULL &&
	    strstr(why, "group") != NULL, "group-readable key refused");
	if (chmod(path, 0604) == -1)
		exit(1);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL, "other-readable key refused");
	(void)unlink(path);
	e = keyring_load(&c, &kr, why, sizeof(why));
	is_int(e, AG_ENOENT, "missing key file");
}

static void
test_hs256_files(void)
{
	struct conf	 c;
	struct keyring	*kr = NULL, *kr2 = NULL;
	char		 path[PATH_MAX], secret[64];
	enum ag_err	 e;

	path_in(path, sizeof(path), "hs.key");
	conf_for(&c, path, AG_HS256, "");
	memset(secret, 'a', sizeof(secret));
	secret[KEY_HS256_MIN - 1] = '\n';
	write_file(path, secret, KEY_HS256_MIN, 0600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "at least") != NULL,
	    "secret one byte short (plus newline) refused");
	secret[KEY_HS256_MIN - 1] = 'a';
	write_file(path, secret, KEY_HS256_MIN, 0600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	is_int(e, AG_OK, "secret of KEY_HS256_MIN bytes accepted");
	secret[KEY_HS256_MIN] = '\n';
	write_file(path, secret, KEY_HS256_MIN + 1, 0600);
	e = keyring_load(&c, &kr2, why, sizeof(why));
	is_int(e, AG_OK, "the same secret with a final newline");
	if (kr != NULL && kr2 != NULL) {
		is_str(key_kid(keyring_signer(kr)),
		    key_kid(keyring_signer(kr2)),
		    "final newline is not part of the secret");
		ok(sign_verify(keyring_signer(kr), keyring_signer(kr2)),
		    "same HMAC key");
	}
	keyring_free(kr);
	keyring_free(kr2);
	/* Only one final newline is dropped. */
	secret[KEY_HS256_MIN] = '\n';
	secret[KEY_HS256_MIN + 1] = '\n';
	write_file(path, secret, KEY_HS256_MIN + 2, 0600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	is_int(e, AG_OK, "two newlines: one is secret");
	keyring_free(kr);
	/* KEY_FILE_MAX at the limit and one byte over. */
	{
		char	*big;

		if ((big = malloc(KEY_FILE_MAX + 1)) == NULL)
			exit(1);
		memset(big, 'b', KEY_FILE_MAX + 1);
		write_file(path, big, KEY_FILE_MAX, 0600);
		e = keyring_load(&c, &kr, why, sizeof(why));
		is_int(e, AG_OK, "key file of KEY_FILE_MAX bytes");
		keyring_free(kr);
		write_file(path, big, KEY_FILE_MAX + 1, 0600);
		e = keyring_load(&c, &kr, why, sizeof(why));
		is_int(e, AG_ETOOBIG, "key file one byte over KEY_FILE_MAX");
		free(big);
	}
	/* A key file of another algorithm. */
	write_file(path, secret, KEY_HS256_MIN, 0600);
	conf_for(&c, path, AG_RS256, "");
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "algorithm") != NULL,
	    "HS256 secret with algorithm RS256 refused");
	(void)unlink(path);
}

static void
write_public_pem(const char *privpath, const char *pubpath)
{
	FILE		*f;
	EVP_PKEY	*pk;

	if ((f = fopen(privpath, "r")) == NULL ||
	    (pk = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		exit(1);
	(void)fclose(f);
	if ((f = fopen(pubpath, "w")) == NULL ||
	    PEM_write_PUBKEY(f, pk) != 1 || fclose(f) != 0)
		exit(1);
	EVP_PKEY_free(pk);
}

static void
test_public_as_signer(void)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	char		 priv[PATH_MAX], pub[PATH_MAX];
	enum ag_err	 e;

	path_in(priv, sizeof(priv), "ed.key");
	path_in(pub, sizeof(pub), "ed.pub.pem");
	if (key_generate(AG_EDDSA, priv, false, why, sizeof(why)) != AG_OK)
		exit(1);
	write_public_pem(priv, pub);
	if (chmod(pub, 0600) == -1)
		exit(1);
	conf_for(&c, pub, AG_EDDSA, "");
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "public key given where a private "
	    "key is expected") != NULL && strstr(why, pub) != NULL,
	    "public key as signer refused");
	keyring_free(kr);
	write_file(pub, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", 55, 0600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, pub) != NULL,
	    "garbage PEM refused, naming the file");
	ok(strstr(why, "AAAA") == NULL, "message quotes no key material");
	(void)unlink(priv);
	(void)unlink(pub);
}

/* ES256: only raw r||s with 0 < r, s < n is a JOSE signature. */
static void
test_es256_forms(void)
{
	static const unsigned char n[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
		0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
	};
	struct conf	 c;
	struct keyring	*kr = NULL;
	const struct key *k;
	ECDSA_SIG	*es;
	unsigned char	 sig[KEY_SIG_MAX], bad[64], der[80], *p;
	char		 path[PATH_MAX];
	const char	 msg[] = "a.b";
	size_t		 len;
	int		 dlen;

	path_in(path, sizeof(path), "es.key");
	if (key_generate(AG_ES256, path, false, why, sizeof(why)) != AG_OK)
		exit(1);
	conf_for(&c, path, AG_ES256, "");
	if (keyring_load(&c, &kr, why, sizeof(why)) != AG_OK)
		exit(1);
	k = keyring_signer(kr);
	if (key_sign(k, msg, 3, sig, sizeof(sig), &len) != AG_OK || len != 64)
		exit(1);
	ok(key_verify(k, msg, 3, sig, 64), "raw r||s verifies");

	memcpy(bad, sig, 64);
	memset(bad, 0, 32);
	ok(!key_verify(k, msg, 3, bad, 64), "r = 0 refused");
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	ok(!key_verify(k, msg, 3, bad, 64), "s = 0 refused");
	memset(bad, 0, 64);
	ok(!key_verify(k, msg, 3, bad, 64), "r = s = 0 refused "
	    "(CVE-2022-21449, psychic signatures)");
	memcpy(bad, n, 32);
	memcpy(bad + 32, sig + 32, 32);
	ok(!key_verify(k, msg, 3, bad, 64), "r = n refused");
	memcpy(bad, sig, 32);
	memset(bad + 32, 0xff, 32);
	ok(!key_verify(k, msg, 3, bad, 64), "s > n refused");

	/* The same valid signature in DER form. */
	es = ECDSA_SIG_new();
	if (es == NULL || ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
	    BN_bin2bn(sig + 32, 32, NULL)) != 1)
		exit(1);
	p = der;
	dlen = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	ok(dlen > 0 && !key_verify(k, msg, 3, der, (size_t)dlen),
	    "DER signature refused");
	memset(sig + 64, 0, 1);
	ok(!key_verify(k, msg, 3, sig, 65), "65-byte signature refused");
	keyring_free(kr);
	(void)unlink(path);
}

static void
test_jwks_input(void)
{
	static const struct {
		const char	*json;
		enum ag_err	 want;
		const char	*what;
	} cases[] = {
		{ "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
		    "\"y\":\"AA\",\"d\":\"AA\"}]}", AG_EINVAL,
		    "private EC JWK refused" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\","
		    "\"p\":\"AA\"}]}", AG_EINVAL, "private RSA JWK refused" },
		{ "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAA\"}]}", AG_EINVAL,
		    "oct key refused in a public JWK Set" },
		{ "{\"keys\":[]}", AG_ENOENT, "empty set" },
		{ "{\"keys\":[{\"kty\":\"foo\"}]}", AG_ENOENT,
		    "unknown kty skipped" },
		{ "{\"keys\":{}}", AG_EINVAL, "keys not an array" },
		{ "{\"keys\":[]} x", AG_EINVAL, "trailing bytes" },
		{ "{\"keys\":[1]}", AG_EINVAL, "key not an object" },
		{ "{\"keys\":[{}]}", AG_EINVAL, "kty missing" },
		{ "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"AA\"}]}", AG_EINVAL, "short Ed25519 x" },
		{ "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
		    "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		    "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
		    AG_EINVAL, "EC point not on the curve" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":"
		    "\"AQAB\"}]}", AG_EINVAL, "RSA key too short" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]", AG_EINVAL, "deep nesting" },
	};
	struct keyring	*kr;
	char		 buf[4096];
	const char	*pos;
	size_t		 i, len;
	enum ag_err	 e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kr = (struct keyring *)1;
		e = keyring_from_jwks(cases[i].json, strlen(cases[i].json),
		    false, &kr, why, sizeof(why));
		is_int(e, cases[i].want, cases[i].what);
		ok(kr == NULL, "no keyring on error");
	}
	e = keyring_from_jwks(cases[0].json, strlen(cases[0].json), false,
	    &kr, why, sizeof(why));
	ok(strstr(why, "private key given where a public key is expected") !=
	    NULL, "says a private key was given");
	e = keyring_from_jwks(cases[2].json, strlen(cases[2].json), true,
	    &kr, why, sizeof(why));
	is_int(e, AG_OK, "oct key allowed when asked");
	if (e == AG_OK) {
		is_int(key_alg(keyring_at(kr, 0)), AG_HS256, "oct is HS256");
		ok(keyring_jwks(kr, buf, sizeof(buf), &len) == 0 &&
		    strstr(buf, "AAAA") == NULL, "oct never exported");
		keyring_free(kr);
	}

	e = keyring_from_jwks(rfc7638_jwks, strlen(rfc7638_jwks), false, &kr,
	    why, sizeof(why));
	is_int(e, AG_OK, "RFC 7638 example loads");
	if (e == AG_OK) {
		is_str(key_kid(keyring_at(kr, 0)), rfc7638_kid,
		    "RFC 7638 3.1 thumbprint");
		keyring_free(kr);
	}
	/* A JWK's own kid is kept. */
	len = (size_t)snprintf(buf, sizeof(buf), "%s", rfc7638_jwks);
	pos = strstr(rfc7638_jwks, "\"alg\"");
	(void)snprintf(buf + (pos - rfc7638_jwks), sizeof(buf) -
	    (size_t)(pos - rfc7638_jwks), "\"kid\":\"2011-04-29\",%s", pos);
	e = keyring_from_jwks(buf, strlen(buf), false, &kr, why, sizeof(why));
	is_int(e, AG_OK, "JWK with kid");
	if (e == AG_OK) {
		is_str(key_kid(keyring_at(kr, 0)), "2011-04-29",
		    "its kid is kept");
		keyring_free(kr);
	}
	/* Two copies of the same key: duplicate kid. */
	len = (size_t)snprintf(buf, sizeof(buf), "{\"keys\":[%.*s,%.*s]}",
	    (int)(strlen(rfc7638_jwks) - 12), rfc7638_jwks + 9,
	    (int)(strlen(rfc7638_jwks) - 12), rfc7638_jwks + 9);
	e = keyring_from_jwks(buf, len, false, &kr, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "duplicate") != NULL,
	    "duplicate kid refused");
	/* KEYRING_MAX keys at most: one over is refused before work. */
	{
		static char	 many[4096];
		size_t		 o;
		int		 j;

		o = (size_t)snprintf(many, sizeof(many), "{\"keys\":[");
		for (j = 0; j <= KEYRING_MAX; j++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
			    "%s{\"kty\":\"x\"}", j ? "," : "");
		o += (size_t)snprintf(many + o, sizeof(many) - o, "]}");
		e = keyring_from_jwks(many, o, false, &kr, why, sizeof(why));
		is_int(e, AG_ETOOBIG, "KEYRING_MAX + 1 JWKs refused");
		o = (size_t)snprintf(many, sizeof(many), "{\"keys\":[");
		for (j = 0; j < KEYRING_MAX; j++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
			    "%s{\"kty\":\"x\"}", j ? "," : "");
		o += (size_t)snprintf(many + o, sizeof(many) - o, "]}");
		e = keyring_from_jwks(many, o, false, &kr, why, sizeof(why));
		is_int(e, AG_ENOENT, "KEYRING_MAX JWKs read (none usable)");
	}
	/* use "enc" and a foreign alg are skipped. */
	len = (size_t)snprintf(buf, sizeof(buf), "%s", rfc7638_jwks);
	pos = strstr(buf, "RS256");
	memcpy(buf + (pos - buf), "RS512", 5);
	e = keyring_from_jwks(buf, len, false, &kr, why, sizeof(why));
	is_int(e, AG_ENOENT, "JWK with another alg skipped");
}

struct listed {
	int	 signing, next, retired;
	char	 retired_kid[KEY_KID_MAX + 1];
};

static void
list_cb(const char *kid, enum ag_alg alg, const char *role, time_t mtime,
    void *arg)
{
	struct listed	*l = arg;

	(void)alg;
	(void)mtime;
	if (strcmp(role, "signing") == 0)
		l->signing++;
	else if (strcmp(role, "next") == 0)
		l->next++;
	else if (strcmp(role, "retired") == 0) {
		l->retired++;
		(void)snprintf(l->retired_kid, sizeof(l->retired_kid), "%s",
		    kid);
	}
}

static void
test_rotation(void)
{
	struct conf	 c, vc;
	struct keyring	*kr0 = NULL, *kr1 = NULL, *kr2 = NULL, *vk = NULL;
	const struct key *k0, *k1, *k2, *k;
	struct listed	 l;
	struct timeval	 tv[2];
	struct stat	 st;
	char		 kf[PATH_MAX], kd[PATH_MAX], p[PATH_MAX], jwks[8192];
	char		 kid0[KEY_KID_MAX + 1], kid1[KEY_KID_MAX + 1];
	char		 next1[KEY_KID_MAX + 1], kid2[KEY_KID_MAX + 1];
	size_t		 i, len;
	enum ag_err	 e;

	path_in(kf, sizeof(kf), "rot.key");
	path_in(kd, sizeof(kd), "keys");
	conf_for(&c, kf, AG_ES256, kd);
	if (key_generate(AG_ES256, kf, false, why, sizeof(why)) != AG_OK ||
	    keyring_load(&c, &kr0, why, sizeof(why)) != AG_OK)
		exit(1);
	k0 = keyring_signer(kr0);
	(void)snprintf(kid0, sizeof(kid0), "%s", key_kid(k0));
	is_int(keyring_count(kr0), 1, "no key_dir yet: one key");

	e = key_rotate(&c, AG_ES256, NULL, NULL, why, sizeof(why));
	is_int(e, AG_OK, "rotate 1");
	ok(stat(kd, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "key_dir created 0700");
	e = keyring_load(&c, &kr1, why, sizeof(why));
	is_int(e, AG_OK, "load after rotate 1");
	if (e != AG_OK) {
		printf("# %s\n", why);
		return;
	}
	k1 = keyring_signer(kr1);
	(void)snprintf(kid1, sizeof(kid1), "%s", key_kid(k1));
	ok(strcmp(kid1, kid0) != 0, "rotate 1 changed the signer");
	is_int(keyring_count(kr1), 3, "signer, next, retired");
	k = keyring_find(kr1, AG_ES256, kid0, strlen(kid0));
	ok(k != NULL && !key_can_sign(k) && sign_verify(k0, k),
	    "old signer still verifies");
	ok(k != NULL && strcmp(key_role(k), "retired") == 0, "as retired");
	next1[0] = '\0';
	for (i = 0; i < keyring_count(kr1); i++)
		if (strcmp(key_role(keyring_at(kr1, i)), "next") == 0)
			(void)snprintf(next1, sizeof(next1), "%s",
			    key_kid(keyring_at(kr1, i)));
	ok(next1[0] != '\0', "a next key");
	ok(keyring_jwks(kr1, jwks, sizeof(jwks), &len) == 0 &&
	    strstr(jwks, next1) != NULL && strstr(jwks, kid0) != NULL &&
	    strstr(jwks, kid1) != NULL, "jwks publishes all three");

	e = key_rotate(&c, AG_ES256, NULL, NULL, why, sizeof(why));
	is_int(e, AG_OK, "rotate 2");
	e = keyring_load(&c, &kr2, why, sizeof(why));
	is_int(e, AG_OK, "load after rotate 2");
	if (e != AG_OK)
		return;
	k2 = keyring_signer(kr2);
	(void)snprintf(kid2, sizeof(kid2), "%s", key_kid(k2));
	is_str(key_kid(k2), next1, "the published next key now signs");
	k = keyring_find(kr2, AG_ES256, kid1, strlen(kid1));
	ok(k != NULL && sign_verify(k1, k), "previous signer verifies");
	is_int(keyring_count(kr2), 4, "signer, next, two retired");

	/* Verify-only from the published set. */
	ok(keyring_jwks(kr2, jwks, sizeof(jwks), &len) == 0, "jwks 2");
	path_in(p, sizeof(p), "jwks.json");
	write_file(p, jwks, len, 0644);
	memset(&vc, 0, sizeof(vc));
	vc.verify_only = 1;
	vc.algorithm = AG_ES256;
	(void)snprintf(vc.jwks_file, sizeof(vc.jwks_file), "%s", p);
	e = keyring_load(&vc, &vk, why, sizeof(why));
	is_int(e, AG_OK, "verify-only from jwks_file");
	if (e == AG_OK) {
		ok(keyring_signer(vk) == NULL, "verify-only: no signer");
		k = keyring_find(vk, AG_ES256, key_kid(k2),
		    strlen(key_kid(k2)));
		ok(k != NULL && sign_verify(k2, k),
		    "verify-only verifies the signer's tokens");
		keyring_free(vk);
		vk = NULL;
	}
	write_file(p, okp_private, strlen(okp_private), 0644);
	e = keyring_load(&vc, &vk, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "private key given where a public "
	    "key is expected") != NULL && strstr(why, p) != NULL,
	    "verify-only: private JWK refused, naming the file");

	/* Verify-only from *.pub.pem files in key_dir. */
	memset(&vc, 0, sizeof(vc));
	vc.verify_only = 1;
	vc.algorithm = AG_ES256;
	(void)snprintf(vc.key_dir, sizeof(vc.key_dir), "%s", kd);
	path_in(p, sizeof(p), "keys/signer.pub.pem");
	write_public_pem(kf, p);
	e = keyring_load(&vc, &vk, why, sizeof(why));
	is_int(e, AG_OK, "verify-only from *.pub.pem");
	if (e == AG_OK) {
		is_int(keyring_count(vk), 1, "one public key");
		k = keyring_find(vk, AG_ES256, NULL, 0);
		ok(k != NULL && sign_verify(k2, k), "it verifies");
		keyring_free(vk);
	}
	(void)unlink(p);

	memset(&l, 0, sizeof(l));
	e = key_list(&c, list_cb, &l, why, sizeof(why));
	ok(e == AG_OK && l.signing == 1 && l.next == 1 && l.retired == 2,
	    "list: signing, next, two retired");

	e = key_retire(&c, kid2, why, sizeof(why));
	is_int(e, AG_EINVAL, "retire refuses the signing key");
	e = key_retire(&c, "../rot", why, sizeof(why));
	is_int(e, AG_EINVAL, "retire refuses a path");
	e = key_retire(&c, kid0, why, sizeof(why));
	is_int(e, AG_OK, "retire the oldest");
	if (snprintf(p, sizeof(p), "%s/%s.key", kd, kid0) >= (int)sizeof(p))
		exit(1);
	ok(access(p, F_OK) == -1 && errno == ENOENT, "its file is gone");
	e = key_retire(&c, kid0, why, sizeof(why));
	is_int(e, AG_ENOENT, "retire twice: no such key");
	keyring_free(kr2);
	e = keyring_load(&c, &kr2, why, sizeof(why));
	ok(e == AG_OK && keyring_find(kr2, AG_ES256, kid0, strlen(kid0)) ==
	    NULL && keyring_count(kr2) == 3, "retired key no longer loads");
	keyring_free(kr2);
	kr2 = NULL;

	/* A retired key older than ttl + leeway is skipped. */
	if (snprintf(p, sizeof(p), "%s/%s.key", kd, kid1) >= (int)sizeof(p))
		exit(1);
	memset(tv, 0, sizeof(tv));
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 900 - 30 - 60;
	if (utimes(p, tv) == -1)
		exit(1);
	e = keyring_load(&c, &kr2, why, sizeof(why));
	ok(e == AG_OK && keyring_find(kr2, AG_ES256, kid1, strlen(kid1)) ==
	    NULL, "expired retired key skipped");
	keyring_free(kr2);

	/* A rotation to another algorithm. */
	e = key_rotate(&c, AG_EDDSA, NULL, NULL, why, sizeof(why));
	is_int(e, AG_OK, "rotate to EdDSA");
	conf_for(&c, kf, AG_EDDSA, kd);
	e = keyring_load(&c, &kr2, why, sizeof(why));
	ok(e == AG_OK && key_alg(keyring_signer(kr2)) == AG_EDDSA &&
	    keyring_find(kr2, AG_ES256, kid2, strlen(kid2)) != NULL,
	    "EdDSA signer; the ES256 one still verifies");
	keyring_free(kr2);
	keyring_free(kr0);
	keyring_free(kr1);
}

/* Set the mtime of key_dir/<kid>.key to when. */
static void
age_key(const char *kd, const char *kid, time_t when)
{
	struct timeval	 tv[2];
	char		 p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s.key", kd, kid) >= (int)sizeof(p))
		exit(1);
	memset(tv, 0, sizeof(tv));
	tv[0].tv_sec = tv[1].tv_sec = when;
	if (utimes(p, tv) == -1) {
		perror(p);
		exit(1);
	}
}

static void
count_dropped(const char *kid, void *arg)
{
	(void)kid;
	(*(int *)arg)++;
}

/* The retired kids of key_dir (from key list), oldest name first. */
struct kids {
	char	 kid[4 * KEYRING_MAX][KEY_KID_MAX + 1];
	int	 n, expired;
};

static void
kids_cb(const char *kid, enum ag_alg alg, const char *role, time_t mtime,
    void *arg)
{
	struct kids	*k = arg;

	(void)alg;
	(void)mtime;
	if (strcmp(role, "expired") == 0)
		k->expired++;
	if (strcmp(role, "retired") != 0 || k->n >= 4 * KEYRING_MAX)
		return;
	(void)snprintf(k->kid[k->n++], KEY_KID_MAX + 1, "%s", kid);
}

/*
 * Rotating again and again never leaves more keys than the service
 * loads: a rotation that would is refused, naming key retire and the
 * kids; retired keys whose tokens have expired are dropped.
 */
static void
test_rotate_limit(void)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct kids	 k;
	char		 kf[PATH_MAX], kd[PATH_MAX], p[PATH_MAX];
	char		 msg[AG_WHY_MAX * 8];
	int		 i, dropped = 0, loads = 0, named;
	enum ag_err	 e = AG_OK;

	path_in(kf, sizeof(kf), "lim.key");
	path_in(kd, sizeof(kd), "limkeys");
	conf_for(&c, kf, AG_ES256, kd);
	if (key_generate(AG_ES256, kf, false, why, sizeof(why)) != AG_OK)
		exit(1);
	/* Signer and next: KEYRING_MAX - 2 retired keys fit. */
	for (i = 0; i < KEYRING_MAX - 2; i++) {
		if ((e = key_rotate(&c, AG_ES256, NULL, NULL, why,
		    sizeof(why))) != AG_OK)
			break;
		if (keyring_load(&c, &kr, why, sizeof(why)) == AG_OK)
			loads++;
		keyring_free(kr);
		kr = NULL;
	}
	is_int(e, AG_OK, "KEYRING_MAX - 2 rotations in a row");
	is_int(loads, KEYRING_MAX - 2, "the service loads the set each time");
	e = key_rotate(&c, AG_ES256, NULL, NULL, msg, sizeof(msg));
	is_int(e, AG_ETOOBIG, "one more rotation refused");
	memset(&k, 0, sizeof(k));
	(void)key_list(&c, kids_cb, &k, NULL, 0);
	for (i = 0, named = 0; i < k.n; i++)
		if (strstr(msg, k.kid[i]) != NULL)
			named++;
	ok(strstr(msg, "key retire") != NULL && named == 1,
	    "says key retire, names the one kid to retire");
	printf("# %s\n", msg);
	is_int(k.n, KEYRING_MAX - 2, "refused: nothing changed");
	e = keyring_load(&c, &kr, why, sizeof(why));
	is_int(e, AG_OK, "the set still loads");
	keyring_free(kr);
	kr = NULL;

	/* Three retired keys whose tokens have all expired. */
	for (i = 0; i < 3; i++)
		age_key(kd, k.kid[i], time(NULL) - 900 - 30 - 1);
	memset(&k, 0, sizeof(k));
	(void)key_list(&c, kids_cb, &k, NULL, 0);
	is_int(k.expired, 3, "key list: three expired");
	e = key_rotate(&c, AG_ES256, count_dropped, &dropped, why,
	    sizeof(why));
	is_int(e, AG_OK, "rotation drops the expired keys");
	is_int(dropped, 3, "three dropped");
	memset(&k, 0, sizeof(k));
	(void)key_list(&c, kids_cb, &k, NULL, 0);
	is_int(k.n + k.expired, KEYRING_MAX - 4, "retired: 14 - 3 + 1");
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_OK && keyring_count(kr) == KEYRING_MAX - 2,
	    "the service loads signer, next and the live retired keys");
	keyring_free(kr);
	path_in(p, sizeof(p), "limkeys/next.key");
	ok(access(p, F_OK) == 0, "next.key kept");
}

/*
 * A token from token issue --ttl that outlives the rotation rule keeps
 * its key verifying (key_dir/<kid>.until) until it expires.
 */
static void
test_keep_until(void)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	char		 kf[PATH_MAX], kd[PATH_MAX], p[PATH_MAX];
	char		 kid[KEY_KID_MAX + 1];
	time_t		 now = time(NULL);
	int		 dropped = 0;
	enum ag_err	 e;

	path_in(kf, sizeof(kf), "until.key");
	path_in(kd, sizeof(kd), "untilkeys");
	conf_for(&c, kf, AG_HS256, kd);
	if (key_generate(AG_HS256, kf, false, why, sizeof(why)) != AG_OK ||
	    keyring_load(&c, &kr, why, sizeof(why)) != AG_OK)
		exit(1);
	(void)snprintf(kid, sizeof(kid), "%s", key_kid(keyring_signer(kr)));
	if (snprintf(p, sizeof(p), "%s/%s.until", kd, kid) >= (int)sizeof(p))
		exit(1);
	e = key_keep_until(&c, keyring_signer(kr), now + 600, why,
	    sizeof(why));
	ok(e == AG_OK && access(p, F_OK) == -1,
	    "a token within access_token_ttl: nothing recorded");
	e = key_keep_until(&c, keyring_signer(kr), now + 86400, why,
	    sizeof(why));
	ok(e == AG_OK && access(p, F_OK) == 0, "a day-long token: recorded");
	e = key_keep_until(&c, keyring_signer(kr), now + 3600, why,
	    sizeof(why));
	is_int(e, AG_OK, "a shorter one after it");
	keyring_free(kr);
	kr = NULL;
	e = key_rotate(&c, AG_HS256, NULL, NULL, why, sizeof(why));
	is_int(e, AG_OK, "rotate");
	/* Rotated out long ago by the rotation rule alone. */
	age_key(kd, kid, now - 900 - 30 - 3600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_OK && keyring_find(kr, AG_HS256, kid, strlen(kid)) !=
	    NULL, "still verifies while the day-long token lives");
	keyring_free(kr);
	kr = NULL;
	write_file(p, "1000\n", 5, 0600);
	e = keyring_load(&c, &kr, why, sizeof(why));
	ok(e == AG_OK && keyring_find(kr, AG_HS256, kid, strlen(kid)) ==
	    NULL, "once that token expired: no longer loaded");
	keyring_free(kr);
	e = key_rotate(&c, AG_HS256, count_dropped, &dropped, why,
	    sizeof(why));
	ok(e == AG_OK && dropped == 1 && access(p, F_OK) == -1,
	    "next rotation drops the key and its .until");
}

/*
 * KEYRING_MAX RSA-4096 keys with the longest kids fit the JWK Set
 * buffer (the endpoint's, KEYRING_JWKS_MAX); 8 KiB, as before, did not.
 */
static void
test_jwks_size(void)
{
	EVP_PKEY	*pk;
	BIGNUM		*n = NULL;
	struct keyring	*kr = NULL;
	unsigned char	 bin[KEY_SIG_MAX];
	char		 nb64[B64_ENCLEN(KEY_SIG_MAX) + 1], *in, *out, *q;
	size_t		 len, cap;
	int		 i, j, nlen;
	enum ag_err	 e;

	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096)) ==
	    NULL || EVP_PKEY_get_bn_param(pk, "n", &n) != 1 ||
	    (nlen = BN_bn2bin(n, bin)) != KEY_SIG_MAX ||
	    b64_encode(bin, (size_t)nlen, nb64, sizeof(nb64)) == 0)
		exit(1);
	BN_free(n);
	EVP_PKEY_free(pk);
	cap = KEYRING_MAX * (sizeof(nb64) + 2 * KEY_KID_MAX + 128) + 64;
	if ((in = malloc(cap)) == NULL || (out = malloc(KEYRING_JWKS_MAX)) ==
	    NULL)
		exit(1);
	q = in;
	q += sprintf(q, "{\"keys\":[");
	for (i = 0; i < KEYRING_MAX; i++) {
		/* A kid of KEY_KID_MAX characters, each escaped on output. */
		q += sprintf(q, "%s{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\","
		    "\"kid\":\"%c", i > 0 ? "," : "", nb64, 'a' + i);
		for (j = 1; j < KEY_KID_MAX; j++)
			q += sprintf(q, "\\\\");
		q += sprintf(q, "\"}");
	}
	q += sprintf(q, "]}");
	e = keyring_from_jwks(in, (size_t)(q - in), false, &kr, why,
	    sizeof(why));
	is_int(e, AG_OK, "KEYRING_MAX RSA-4096 JWKs with long kids load");
	if (e != AG_OK) {
		printf("# %s\n", why);
		exit(1);
	}
	ok(keyring_jwks(kr, out, KEYRING_JWKS_MAX, &len) == 0,
	    "their JWK Set fits KEYRING_JWKS_MAX");
	printf("# %zu bytes of %d\n", len, KEYRING_JWKS_MAX);
	ok(keyring_jwks(kr, out, 8192, &len) == -1, "not 8 KiB");
	keyring_free(kr);
	free(in);
	free(out);
}

/* Several threads verifying with one key: read-only after load. */
struct thr {
	const struct key *k;
	const unsigned char *sig;
	size_t		 siglen;
	int		 good;
};

static void *
thr_verify(void *arg)
{
	struct thr	*t = arg;
	int		 i;

	for (i = 0; i < 500; i++)
		if (key_verify(t->k, "m.n", 3, t->sig, t->siglen))
			t->good++;
	return NULL;
}

static void
test_threads(void)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct thr	 t[4];
	pthread_t	 tid[4];
	unsigned char	 sig[64];
	char		 path[PATH_MAX];
	size_t		 len;
	int		 i, good = 0;

	path_in(path, sizeof(path), "thr.key");
	conf_for(&c, path, AG_HS256, "");
	if (key_generate(AG_HS256, path, false, why, sizeof(why)) != AG_OK ||
	    keyring_load(&c, &kr, why, sizeof(why)) != AG_OK ||
	    key_sign(keyring_signer(kr), "m.n", 3, sig, sizeof(sig), &len) !=
	    AG_OK)
		exit(1);
	for (i = 0; i < 4; i++) {
		t[i].k = keyring_signer(kr);
		t[i].sig = sig;
		t[i].siglen = len;
		t[i].good = 0;
		if (pthread_create(&tid[i], NULL, thr_verify, &t[i]) != 0)
			exit(1);
	}
	for (i = 0; i < 4; i++) {
		(void)pthread_join(tid[i], NULL);
		good += t[i].good;
	}
	is_int(good, 2000, "HMAC verify from 4 threads");
	keyring_free(kr);
	(void)unlink(path);
}

static void
rm_rf(const char *d)
{
	char	 cmd[PATH_MAX + 16];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", d);
}

int
main(void)
{
	int	 a;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (a = 0; a < AG_ALG__MAX; a++)
		test_alg((enum ag_alg)a);
	test_hs256_files();
	test_public_as_signer();
	test_es256_forms();
	test_jwks_input();
	test_rotation();
	test_rotate_limit();
	test_keep_until();
	test_jwks_size();
	test_threads();
	rm_rf(dir);
	return done_testing();
}
