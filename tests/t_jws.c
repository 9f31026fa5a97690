/*
 * jws: the RFC 7515 / RFC 8037 example signatures, round trips with
 * each algorithm, and the attacks RFC 8725 lists: "none", algorithm
 * substitution and confusion, crit, typ, kid games, non-canonical
 * base64url, oversized tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "../src/b64.h"
#include "../src/conf.h"
#include "../src/jws.h"
#include "../src/key.h"
#include "tap.h"

#define PAYLOAD	"{\"sub\":\"alice\"}"

/* RFC 7515 appendix A.1: HS256. */
static const char a1_jwks[] = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AyM1Sys"
    "PpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTw"
    "jAzZr1Z9CAow\"}]}";
static const char a1_input[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
    "LmNvbS9pc19yb290Ijp0cnVlfQ";
static const char a1_sig[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7515 appendix A.3: ES256 (a fresh random k: only verifiable). */
static const char a3_jwks[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
static const char a3_input[] = "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxl"
    "LmNvbS9pc19yb290Ijp0cnVlfQ";
static const char a3_sig[] = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmX"
    "FCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 8037 appendix A.4: Ed25519. */
static const char a4_jwks[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
    "\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
static const char a4_input[] = "eyJhbGciOiJFZERTQSJ9."
    "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
static const char a4_sig[] = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6"
    "dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static char		 dir[] = "/tmp/t_jws.XXXXXX";
static char		 tok[AG_TOKEN_MAX + 64];
static char		 pay[AG_TOKEN_MAX];

/*
 * A token from header and payload JSON, signed by k (NULL: an empty
 * signature).  Lets a test sign what jws_sign() would never write.
 */
static size_t
mk(const struct key *k, const char *hdr, const char *payload)
{
	unsigned char	 sig[KEY_SIG_MAX];
	size_t		 n, siglen;

	n = b64_encode(hdr, strlen(hdr), tok, sizeof(tok));
	tok[n++] = '.';
	n += b64_encode(payload, strlen(payload), tok + n, sizeof(tok) - n);
	if (k != NULL && key_sign(k, tok, n, sig, sizeof(sig), &siglen) ==
	    AG_OK) {
		tok[n++] = '.';
		n += b64_encode(sig, siglen, tok + n, sizeof(tok) - n);
	} else {
		tok[n++] = '.';
		tok[n] = '\0';
	}
	return n;
}

/* Verify tok (n bytes) as a browser session; returns why, or "OK". */
static const char *
vfy_session(const struct keyring *kr, size_t n)
{
	const char	*why = "unset";
	size_t		 plen;

	if (jws_verify_kind(kr, AG_HS256, JWS_SESSION, tok, n, pay,
	    sizeof(pay), &plen, &why) == AG_OK)
		return why == NULL ? "OK" : "bad why";
	return why != NULL ? why : "why not set";
}

/* Verify tok (n bytes); returns why, or "OK". */
static const char *
vfy(const struct keyring *kr, enum ag_alg alg, size_t n)
{
	const char	*why = "unset";
	size_t		 plen;

	if (jws_verify(kr, alg, tok, n, pay, sizeof(pay), &plen, &why) ==
	    AG_OK)
		return why == NULL && strlen(pay) == plen ? "OK" : "bad why";
	if (why == NULL || pay[0] != '\0' || plen != 0)
		return "outputs not cleared";
	return why;
}

static struct keyring *
load(enum ag_alg alg, const char *name)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	char		 why[AG_WHY_MAX] = "";

	conf_defaults(&c);
	c.algorithm = alg;
	c.key_dir[0] = '\0';
	c.jwks_file[0] = '\0';
	snprintf(c.key_file, sizeof(c.key_file), "%s/%s", dir, name);
	if (key_generate(alg, c.key_file, false, why, sizeof(why)) != AG_OK ||
	    keyring_load(&c, &kr, why, sizeof(why)) != AG_OK) {
		printf("# %s: %s\n", name, why);
		return NULL;
	}
	return kr;
}

static struct keyring *
from_jwks(const char *json, bool secret)
{
	struct keyring	*kr = NULL;
	char		 why[AG_WHY_MAX] = "";

	if (keyring_from_jwks(json, strlen(json), secret, &kr, why,
	    sizeof(why)) != AG_OK)
		printf("# jwks: %s\n", why);
	return kr;
}

/* key_verify() of a detached RFC example signature. */
static bool
rfc_sig(const struct keyring *kr, enum ag_alg alg, const char *input,
    const char *sigb64, bool flip)
{
	const struct key *k;
	unsigned char	 sig[KEY_SIG_MAX];
	size_t		 n;

	if (kr == NULL || (k = keyring_find(kr, alg, NULL, 0)) == NULL ||
	    b64_decode(sigb64, strlen(sigb64), sig, sizeof(sig), &n) != 0)
		return false;
	if (flip)
		sig[n / 2] ^= 1;
	return key_verify(k, input, strlen(input), sig, n);
}

/* The RFC example as a whole token, given to jws_verify(). */
static const char *
rfc_token(const struct keyring *kr, enum ag_alg alg, const char *input,
    const char *sigb64)
{
	size_t	 n;

	n = (size_t)snprintf(tok, sizeof(tok), "%s.%s", input, sigb64);
	return vfy(kr, alg, n);
}

static void
wipe(void)
{
	char	 path[PATH_MAX];
	const char *names[] = { "hs", "hs2", "rs", "es", "ed" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

int
main(void)
{
	struct keyring	*kr[AG_ALG__MAX], *a1, *a3, *a4, *hs2;
	const struct key *k, *k2;
	const char	*kid, *why;
	char		 hdr[512], hbuf[512], pem[4096];
	unsigned char	 mac[32];
	unsigned int	 maclen;
	size_t		 n, plen, i;
	int		 a, pemlen;
	BIO		*bio;
	EVP_PKEY	*pk;
	FILE		*fp;
	char		 path[PATH_MAX];

	if (mkdtemp(dir) == NULL)
		return 1;
	atexit(wipe);

	/* RFC examples: the signatures as published verify; one bit off
	 * does not. */
	a1 = from_jwks(a1_jwks, true);
	a3 = from_jwks(a3_jwks, false);
	a4 = from_jwks(a4_jwks, false);
	ok(rfc_sig(a1, AG_HS256, a1_input, a1_sig, false),
	    "RFC 7515 A.1 HS256 signature verifies");
	ok(!rfc_sig(a1, AG_HS256, a1_input, a1_sig, true),
	    "RFC 7515 A.1 with a flipped bit refused");
	ok(rfc_sig(a3, AG_ES256, a3_input, a3_sig, false),
	    "RFC 7515 A.3 ES256 signature verifies");
	ok(!rfc_sig(a3, AG_ES256, a3_input, a3_sig, true),
	    "RFC 7515 A.3 with a flipped bit refused");
	ok(rfc_sig(a4, AG_EDDSA, a4_input, a4_sig, false),
	    "RFC 8037 A.4 Ed25519 signature verifies");
	ok(!rfc_sig(a4, AG_EDDSA, a4_input, a4_sig, true),
	    "RFC 8037 A.4 with a flipped bit refused");
	/* Whole examples: the signature is good but RFC 9068's typ is not
	 * there, so the token is still refused. */
	is_str(rfc_token(a1, AG_HS256, a1_input, a1_sig), "wrong token type",
	    "RFC 7515 A.1 token (typ JWT) refused");
	is_str(rfc_token(a3, AG_ES256, a3_input, a3_sig), "wrong token type",
	    "RFC 7515 A.3 token (no typ) refused");
	is_str(rfc_token(a4, AG_EDDSA, a4_input, a4_sig), "wrong token type",
	    "RFC 8037 A.4 token (no typ) refused");
	is_str(rfc_token(a1, AG_RS256, a1_input, a1_sig),
	    "unsupported algorithm", "A.1 token under RS256 refused");

	/* Round trips with every algorithm. */
	kr[AG_HS256] = load(AG_HS256, "hs");
	kr[AG_RS256] = load(AG_RS256, "rs");
	kr[AG_ES256] = load(AG_ES256, "es");
	kr[AG_EDDSA] = load(AG_EDDSA, "ed");
	hs2 = load(AG_HS256, "hs2");
	for (a = 0; a < AG_ALG__MAX; a++) {
		if (kr[a] == NULL) {
			ok(0, "keyring loads");
			continue;
		}
		k = keyring_signer(kr[a]);
		ok(jws_sign(k, PAYLOAD, strlen(PAYLOAD), tok, sizeof(tok),
		    &n) == AG_OK && n == strlen(tok), ag_alg_name(a));
		snprintf(hdr, sizeof(hdr),
		    "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
		    ag_alg_name(a), key_kid(k));
		ok(b64_decode(tok, (size_t)(strchr(tok, '.') - tok), hbuf,
		    sizeof(hbuf) - 1, &plen) == 0 && plen == strlen(hdr) &&
		    memcmp(hbuf, hdr, plen) == 0,
		    "header is alg, typ, kid in that order");
		is_str(vfy(kr[a], a, n), "OK", "own token verifies");
		is_str(pay, PAYLOAD, "payload comes back");
		/* any other configured algorithm refuses it */
		is_str(vfy(kr[a], (a + 1) % AG_ALG__MAX, n),
		    "unsupported algorithm", "other configured alg refused");
		/* a changed payload breaks the signature */
		tok[strchr(tok, '.') - tok + 3] ^= 1;
		is_str(vfy(kr[a], a, n), "invalid signature",
		    "tampered payload refused");
	}
	/* Every ES256 signature is new: two of the same text differ. */
	if (kr[AG_ES256] != NULL) {
		char	 t1[1024];

		k = keyring_signer(kr[AG_ES256]);
		(void)jws_sign(k, PAYLOAD, strlen(PAYLOAD), t1, sizeof(t1),
		    &n);
		(void)jws_sign(k, PAYLOAD, strlen(PAYLOAD), tok, sizeof(tok),
		    &n);
		ok(strcmp(t1, tok) != 0, "ES256 signatures are randomised");
	}

	if (kr[AG_HS256] == NULL || hs2 == NULL || kr[AG_RS256] == NULL)
		return done_testing();
	k = keyring_signer(kr[AG_HS256]);
	k2 = keyring_signer(hs2);
	kid = key_kid(k);

#define H(fmt) (snprintf(hdr, sizeof(hdr), fmt, kid), hdr)
	/* alg "none" in every spelling, signed or not (RFC 8725 2.1). */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(NULL,
	    H("{\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "unsupported algorithm", "alg none refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(NULL,
	    H("{\"alg\":\"None\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "unsupported algorithm", "alg None refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"NONE\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "unsupported algorithm", "alg NONE (signed) refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"hs256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "unsupported algorithm", "alg hs256 refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\\u0000\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "malformed token", "alg with \\u0000 refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "unsupported algorithm", "alg RS256 refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"typ\":\"at+jwt\",\"kid\":\"%s\"}"), PAYLOAD)),
	    "malformed token", "alg missing refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":[\"HS256\"],\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "malformed token", "alg as array refused");
	/* Two parsers, two "alg"s: refused as duplicates. */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"%s\"}"), PAYLOAD)), "malformed token",
	    "duplicate alg refused");
	/* Header variants we accept. */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"AT+JWT\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "OK", "typ AT+JWT accepted (case-insensitive)");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"kid\":\"%s\",\"typ\":\"application/at+jwt\","
	    "\"alg\":\"HS256\"}"), PAYLOAD)), "OK",
	    "typ application/at+jwt accepted, members in any order");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", PAYLOAD)), "OK",
	    "no kid: the signing key");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\","
	    "\"jku\":\"http://127.0.0.1:1/k\",\"x5u\":\"http://127.0.0.1:1/x\","
	    "\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"},\"x5c\":[\"AAAA\"]}"),
	    PAYLOAD)), "OK", "jku/x5u/jwk/x5c ignored");
	/* typ */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"kid\":\"%s\"}"), PAYLOAD)),
	    "wrong token type", "typ missing refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "typ JWT refused (RFC 8725 3.11)");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwtx\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "typ at+jwtx refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jw\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "typ at+jw refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":1,\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "numeric typ refused");
	/* Each kind its own typ, never the other's (RFC 8725 3.11). */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"session+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "typ session+jwt: no access token");
	is_str(vfy_session(kr[AG_HS256], mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"session+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "OK", "typ session+jwt: a session");
	is_str(vfy_session(kr[AG_HS256], mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"Application/Session+JWT\","
	    "\"kid\":\"%s\"}"), PAYLOAD)), "OK",
	    "typ application/session+jwt, any case: a session");
	is_str(vfy_session(kr[AG_HS256], mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "wrong token type", "typ at+jwt: no session");
	is_str(vfy_session(kr[AG_HS256], mk(k,
	    H("{\"alg\":\"HS256\",\"kid\":\"%s\"}"), PAYLOAD)),
	    "wrong token type", "no typ: no session");
	{
		size_t	 sn;

		ok(jws_sign_kind(k, JWS_SESSION, PAYLOAD, strlen(PAYLOAD), tok,
		    sizeof(tok), &sn) == AG_OK &&
		    strcmp(vfy_session(kr[AG_HS256], sn), "OK") == 0 &&
		    strcmp(vfy(kr[AG_HS256], AG_HS256, sn), "wrong token type")
		    == 0, "jws_sign_kind(SESSION): a session, no access token");
		is_int(jws_sign_kind(k, JWS_KIND__MAX, PAYLOAD,
		    strlen(PAYLOAD), tok, sizeof(tok), &sn), AG_EINVAL,
		    "an unknown kind: refused");
	}
	/* crit */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\","
	    "\"crit\":[\"exp\"],\"exp\":1}"), PAYLOAD)),
	    "unsupported critical header", "crit refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\","
	    "\"b64\":false,\"crit\":[\"b64\"]}"), PAYLOAD)),
	    "unsupported critical header", "RFC 7797 b64/crit refused");
	/* kid */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"nope\"}",
	    PAYLOAD)), "unknown key", "unknown kid refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"../../../../etc/passwd\"}", PAYLOAD)),
	    "unknown key", "path traversal kid refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"\"}",
	    PAYLOAD)), "unknown key", "empty kid refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"x' OR 1=1\"}",
	    PAYLOAD)), "unknown key", "injection kid refused");
	snprintf(hbuf, sizeof(hbuf), "{\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"%0*d\"}", KEY_KID_MAX + 1, 0);
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k, hbuf, PAYLOAD)),
	    "malformed token", "kid over KEY_KID_MAX refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":7}", PAYLOAD)),
	    "malformed token", "numeric kid refused");
	/* the kid of our key, signed by another key */
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k2,
	    H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD)), "invalid signature", "wrong key refused");
	is_str(vfy(kr[AG_HS256], AG_HS256, mk(k2,
	    "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", PAYLOAD)),
	    "invalid signature", "wrong key, no kid, refused");

	/* Structure and base64url. */
	n = mk(k, H("{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}"),
	    PAYLOAD);
	is_str(vfy(kr[AG_HS256], AG_HS256, n), "OK", "baseline token");
	{
		char	 good[1024], *d1, *d2;
		size_t	 gl = n;

		memcpy(good, tok, n + 1);
		d1 = strchr(good, '.');
		d2 = strrchr(good, '.');
#define TRY(expr, want, name) do {					\
	memcpy(tok, good, gl + 1);					\
	n = gl;								\
	expr;								\
	is_str(vfy(kr[AG_HS256], AG_HS256, n), want, name);		\
} while (0)
		TRY(n = (size_t)(d2 - good + 1); tok[n] = '\0',
		    "invalid signature", "missing signature refused");
		TRY(n = (size_t)(d2 - good); tok[n] = '\0',
		    "malformed token", "two parts refused");
		TRY(memcpy(tok + n, ".", 2); n++,
		    "malformed token", "four parts (trailing dot) refused");
		TRY(memcpy(tok + n, ".AAAA.AAAA", 11); n += 10,
		    "malformed token", "five parts (JWE) refused");
		TRY(n = 0, "malformed token", "empty token refused");
		TRY(memmove(tok, d1, gl - (size_t)(d1 - good) + 1);
		    n = gl - (size_t)(d1 - good),
		    "malformed token", "empty header refused");
		TRY(memmove(tok + (d1 - good) + 1, tok + (d2 - good),
		    gl - (size_t)(d2 - good) + 1);
		    n = gl - (size_t)(d2 - d1 - 1),
		    "malformed token", "empty payload refused");
		TRY(memmove(tok + (d1 - good) + 1, tok + (d1 - good),
		    gl - (size_t)(d1 - good) + 1); tok[d1 - good] = '=';
		    n++, "malformed token", "padding in header refused");
		TRY(memcpy(tok + n, "=", 2); n++, "malformed token",
		    "padding in signature refused");
		TRY(memmove(tok + 3, tok + 2, gl - 1); tok[2] = ' '; n++,
		    "malformed token", "space in header refused");
		TRY(memcpy(tok + n, "\n", 2); n++, "malformed token",
		    "trailing newline refused");
		TRY(tok[1] = '+', "malformed token", "'+' refused");
		TRY(tok[n - 1] = '/', "malformed token", "'/' refused");
		TRY(tok[1] = '\0', "malformed token", "NUL inside refused");
		/*
		 * An HS256 signature is 32 bytes: 43 characters whose last
		 * has two spare bits.  Setting them gives a second spelling
		 * of the same signature, which must not verify.
		 */
		TRY(tok[n - 1] = (char)(tok[n - 1] == 'A' ? 'B' :
		    tok[n - 1] ^ 1), "malformed token",
		    "non-zero trailing bits refused");
		TRY((void)0, "OK", "baseline still verifies");
		plen = 99;
		memcpy(tok, good, gl + 1);
		ok(jws_verify(kr[AG_HS256], AG_HS256, tok, gl, pay, 5, &plen,
		    &why) == AG_ETOOBIG && plen == 0,
		    "payload buffer too small refused");
	}

	/*
	 * Size: find a token of exactly AG_TOKEN_MAX bytes (padding the
	 * header with spaces to reach every length); it verifies, and one
	 * byte more is refused before any decoding.
	 */
	{
		static char	 big[AG_TOKEN_MAX];
		size_t		 sp, pl, found = 0;

		for (sp = 0; sp < 4 && found == 0; sp++)
			for (pl = 6000; pl < 6200 && found == 0; pl++) {
				snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\","
				    "\"typ\":\"at+jwt\"%*s}", (int)sp, "");
				memset(big, 'x', pl);
				memcpy(big, "{\"a\":\"", 6);
				memcpy(big + pl - 2, "\"}", 3);
				if (mk(k, hdr, big) == AG_TOKEN_MAX)
					found = pl;
			}
		ok(found != 0, "a token of AG_TOKEN_MAX bytes exists");
		is_str(vfy(kr[AG_HS256], AG_HS256, AG_TOKEN_MAX), "OK",
		    "token of AG_TOKEN_MAX bytes verifies");
		memcpy(tok + AG_TOKEN_MAX, "A", 2);
		is_str(vfy(kr[AG_HS256], AG_HS256, AG_TOKEN_MAX + 1),
		    "token too large", "AG_TOKEN_MAX + 1 bytes refused");
		memset(tok, '.', AG_TOKEN_MAX + 1);
		is_str(vfy(kr[AG_HS256], AG_HS256, AG_TOKEN_MAX + 1),
		    "token too large", "oversized garbage: too large first");
		memset(big, 'x', sizeof(big) - 1);
		memcpy(big, "{\"a\":\"", 6);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		is_int(jws_sign(k, big, strlen(big), tok, sizeof(tok), &n),
		    AG_ETOOBIG, "jws_sign refuses a token over AG_TOKEN_MAX");
		is_int(jws_sign(k, PAYLOAD, strlen(PAYLOAD), tok, 40, &n),
		    AG_ETOOBIG, "jws_sign refuses a small buffer");
		ok(n == 0 && tok[0] == '\0', "and leaves it empty");
	}

	/*
	 * Algorithm confusion (RFC 8725 2.1): an HS256 token whose HMAC key
	 * is the RS256 public key in PEM, which an attacker can download.
	 */
	snprintf(path, sizeof(path), "%s/rs", dir);
	pemlen = 0;
	if ((fp = fopen(path, "r")) != NULL) {
		if ((pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) != NULL) {
			if ((bio = BIO_new(BIO_s_mem())) != NULL) {
				if (PEM_write_bio_PUBKEY(bio, pk) == 1)
					pemlen = BIO_read(bio, pem,
					    sizeof(pem));
				BIO_free(bio);
			}
			EVP_PKEY_free(pk);
		}
		fclose(fp);
	}
	ok(pemlen > 0, "RS256 public key as PEM");
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"%s\"}", key_kid(keyring_signer(kr[AG_RS256])));
	n = mk(NULL, hdr, PAYLOAD) - 1;
	if (HMAC(EVP_sha256(), pem, pemlen, (unsigned char *)tok, n, mac,
	    &maclen) != NULL) {
		tok[n++] = '.';
		n += b64_encode(mac, maclen, tok + n, sizeof(tok) - n);
	}
	is_str(vfy(kr[AG_RS256], AG_RS256, n), "unsupported algorithm",
	    "HS256 token keyed with the RS256 PEM refused");
	is_str(vfy(kr[AG_RS256], AG_HS256, n), "unknown key",
	    "even when HS256 is asked for, no RSA key is an HMAC secret");

	/* An ES256 signature in DER, as OpenSSL makes it, is not JOSE. */
	for (i = 0; i < 1; i++) {
		unsigned char	 der[80];
		size_t		 dl;
		EVP_MD_CTX	*md;

		snprintf(path, sizeof(path), "%s/es", dir);
		n = mk(NULL, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}",
		    PAYLOAD) - 1;
		dl = sizeof(der);
		pk = NULL;
		if ((fp = fopen(path, "r")) != NULL) {
			pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
			fclose(fp);
		}
		if (pk == NULL || (md = EVP_MD_CTX_new()) == NULL) {
			ok(0, "ES256 key");
			break;
		}
		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
		    EVP_DigestSign(md, der, &dl, (unsigned char *)tok, n) ==
		    1) {
			tok[n++] = '.';
			n += b64_encode(der, dl, tok + n, sizeof(tok) - n);
		}
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(pk);
		is_str(vfy(kr[AG_ES256], AG_ES256, n), "invalid signature",
		    "ES256 DER signature refused");
	}

	for (a = 0; a < AG_ALG__MAX; a++)
		keyring_free(kr[a]);
	keyring_free(hs2);
	keyring_free(a1);
	keyring_free(a3);
	keyring_free(a4);
	return done_testing();
}
