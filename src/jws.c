/*
 * Compact JWS after RFC 7515, verified as RFC 8725 asks.  The order of
 * the checks in jws_verify() is the point: the length before any
 * decoding, the header before the key is chosen, the signature (over
 * the ASCII text "header.payload") before the payload is decoded.  The
 * algorithm comes from the configuration; the header's "alg" must only
 * agree with it.  Everything lives on the stack: a token is at most
 * AG_TOKEN_MAX bytes, so its parts fit fixed arrays.
 */
#include <string.h>

#include "b64.h"
#include "jparse.h"
#include "jw.h"
#include "jws.h"
#include "key.h"

#define JWS_HEADER_MAX	256	/* the header jws_sign() writes, JSON */

/*
 * The typ of each kind: RFC 9068 section 2.1 for access tokens; RFC
 * 7515 section 4.1.9 allows the "application/" form too.  A token is
 * accepted only as the kind its header names (RFC 8725 section 3.11).
 */
#define JWS_TYP_NAMES	2
static const char *const typ_names[JWS_KIND__MAX][JWS_TYP_NAMES] = {
	[JWS_ACCESS] = { "at+jwt", "application/at+jwt" },
	[JWS_SESSION] = { "session+jwt", "application/session+jwt" },
};

/* ASCII case-insensitive equality of s and the lower-case lit. */
static bool
casecmp_eq(const struct jp_str *s, const char *lit)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < s->len; i++) {
		if (lit[i] == '\0')
			return false;
		c = (unsigned char)s->s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return false;
	}
	return lit[i] == '\0';
}

enum ag_err
jws_sign(const struct key *k, const char *payload, size_t paylen,
    char *out, size_t outsz, size_t *outlen)
{
	return jws_sign_kind(k, JWS_ACCESS, payload, paylen, out, outsz,
	    outlen);
}

enum ag_err
jws_sign_kind(const struct key *k, enum jws_kind kind, const char *payload,
    size_t paylen, char *out, size_t outsz, size_t *outlen)
{
	struct jw	 w;
	char		 hdr[JWS_HEADER_MAX];
	unsigned char	 sig[KEY_SIG_MAX];
	const char	*h, *alg, *kid;
	size_t		 hlen, n, m, siglen;
	enum ag_err	 e;

	*outlen = 0;
	if (outsz > 0)
		out[0] = '\0';
	if ((alg = ag_alg_name(key_alg(k))) == NULL || paylen == 0 ||
	    (unsigned)kind >= JWS_KIND__MAX)
		return AG_EINVAL;
	if (paylen > AG_TOKEN_MAX)
		return AG_ETOOBIG;

	jw_init(&w, hdr, sizeof(hdr));
	jw_obj_open(&w, NULL);
	jw_str(&w, "alg", alg);
	jw_str(&w, "typ", typ_names[kind][0]);
	if ((kid = key_kid(k)) != NULL && *kid != '\0')
		jw_str(&w, "kid", kid);
	jw_obj_close(&w);
	if ((h = jw_done(&w, &hlen)) == NULL)
		return AG_EINVAL;

	/* b64_encode() returns 0 when out is too small (inputs are not). */
	if ((n = b64_encode(h, hlen, out, outsz)) == 0 || n + 2 > outsz)
		goto toobig;
	out[n++] = '.';
	if ((m = b64_encode(payload, paylen, out + n, outsz - n)) == 0)
		goto toobig;
	n += m;
	if ((e = key_sign(k, out, n, sig, sizeof(sig), &siglen)) != AG_OK) {
		out[0] = '\0';
		return e;
	}
	if (n + 2 > outsz)
		goto toobig;
	out[n++] = '.';
	if ((m = b64_encode(sig, siglen, out + n, outsz - n)) == 0)
		goto toobig;
	n += m;
	/* What we issue must pass our own verifier. */
	if (n > AG_TOKEN_MAX)
		goto toobig;
	*outlen = n;
	return AG_OK;
toobig:
	if (outsz > 0)
		out[0] = '\0';
	return AG_ETOOBIG;
}

enum ag_err
jws_verify(const struct keyring *kr, enum ag_alg alg, const char *token,
    size_t len, char *payload, size_t paysz, size_t *paylen,
    const char **why)
{
	return jws_verify_kind(kr, alg, JWS_ACCESS, token, len, payload,
	    paysz, paylen, why);
}

/*
 * Find the two dots of a compact JWS of len bytes: exactly three
 * parts, as the JWE form (five) is not ours.  False otherwise.
 */
static bool
jws_dots(const char *token, size_t len, const char **d1p, const char **d2p)
{
	const char	*d1, *d2;

	if (len == 0 || (d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
	    NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) !=
	    NULL)
		return false;
	*d1p = d1;
	*d2p = d2;
	return true;
}

/* Whether the header's "typ" is one of the names of kind. */
static bool
jws_typ_ok(const struct jp_obj *hdr, enum jws_kind kind)
{
	const struct jp_member	*m;
	size_t			 i;

	if ((m = jp_get(hdr, "typ")) == NULL || m->type != JP_STRING)
		return false;
	for (i = 0; i < JWS_TYP_NAMES; i++)
		if (casecmp_eq(&m->str, typ_names[kind][i]))
			return true;
	return false;
}

/*
 * Decode and check the protected header, the first hlen bytes of
 * token, and choose the key from kr alone.  name is the name of alg.
 * On AG_OK *kp is the key; otherwise *why may say more than the
 * "malformed token" it holds on entry.
 */
static enum ag_err
jws_header_key(const struct keyring *kr, enum ag_alg alg, const char *name,
    enum jws_kind kind, const char *token, size_t hlen,
    const struct key **kp, const char **why)
{
	struct jp_obj		 hdr;
	unsigned char		 hbuf[B64_DECLEN(AG_TOKEN_MAX)];
	const struct jp_member	*m;
	const struct key	*k;
	size_t			 n;

	/* The protected header: strict base64url, strict JSON. */
	if (b64_decode(token, hlen, hbuf, sizeof(hbuf), &n) != 0 ||
	    jp_parse((const char *)hbuf, n, &hdr) != AG_OK)
		return AG_EINVAL;
	if ((m = jp_get(&hdr, "alg")) == NULL || m->type != JP_STRING)
		return AG_EINVAL;
	/* Only the configured algorithm, spelled exactly; never "none". */
	if (!jp_str_eq(&m->str, name)) {
		*why = "unsupported algorithm";
		return AG_EINVAL;
	}
	if (!jws_typ_ok(&hdr, kind)) {
		*why = "wrong token type";
		return AG_EINVAL;
	}
	/* We understand no extension, so any "crit" must be refused. */
	if (jp_get(&hdr, "crit") != NULL) {
		*why = "unsupported critical header";
		return AG_EINVAL;
	}
	/* "jku", "x5u", "jwk", "x5c": ignored; keys come only from kr. */
	if ((m = jp_get(&hdr, "kid")) != NULL) {
		if (m->type != JP_STRING || m->str.len > KEY_KID_MAX)
			return AG_EINVAL;
		k = keyring_find(kr, alg, m->str.s, m->str.len);
	} else
		k = keyring_find(kr, alg, NULL, 0);
	if (k == NULL) {
		*why = "unknown key";
		return AG_EDENIED;
	}
	*kp = k;
	return AG_OK;
}

/*
 * Check the signature, slen bytes of base64url at sig64, over the
 * ASCII of "header.payload", the first inlen bytes of token.
 */
static enum ag_err
jws_check_sig(const struct key *k, const char *token, size_t inlen,
    const char *sig64, size_t slen, const char **why)
{
	unsigned char	 sig[KEY_SIG_MAX];
	size_t		 n;

	*why = "invalid signature";
	if (slen == 0 || B64_DECLEN(slen) > sizeof(sig))
		return AG_EDENIED;
	if (b64_decode(sig64, slen, sig, sizeof(sig), &n) != 0) {
		*why = "malformed token";
		return AG_EINVAL;
	}
	if (!key_verify(k, token, inlen, sig, n))
		return AG_EDENIED;
	return AG_OK;
}

/*
 * Decode the payload, plen bytes of base64url at pay64, into payload
 * (paysz bytes) as a C string; its length goes to *paylen.
 */
static enum ag_err
jws_payload(const char *pay64, size_t plen, char *payload, size_t paysz,
    size_t *paylen, const char **why)
{
	size_t	 n;

	if (paysz == 0 || B64_DECLEN(plen) > paysz - 1) {
		*why = "token too large";
		return AG_ETOOBIG;
	}
	if (b64_decode(pay64, plen, payload, paysz - 1, &n) != 0) {
		payload[0] = '\0';
		*why = "malformed token";
		return AG_EINVAL;
	}
	payload[n] = '\0';
	*paylen = n;
	*why = NULL;
	return AG_OK;
}

enum ag_err
jws_verify_kind(const struct keyring *kr, enum ag_alg alg,
    enum jws_kind kind, const char *token, size_t len, char *payload,
    size_t paysz, size_t *paylen, const char **why)
{
	const struct key	*k;
	const char		*d1, *d2, *name;
	size_t			 hlen, slen, plen;
	enum ag_err		 e;

	*paylen = 0;
	if (paysz > 0)
		payload[0] = '\0';
	*why = "malformed token";

	/* RFC 8725 section 3.1 and SPEC: refused before any decoding. */
	if (len > AG_TOKEN_MAX) {
		*why = "token too large";
		return AG_ETOOBIG;
	}
	if ((unsigned)kind >= JWS_KIND__MAX) {
		*why = "wrong token type";
		return AG_EINVAL;
	}
	if ((name = ag_alg_name(alg)) == NULL) {
		*why = "unsupported algorithm";
		return AG_EINVAL;
	}

	if (!jws_dots(token, len, &d1, &d2))
		return AG_EINVAL;
	hlen = (size_t)(d1 - token);
	plen = (size_t)(d2 - d1 - 1);
	slen = len - (size_t)(d2 + 1 - token);
	if (hlen == 0 || plen == 0)
		return AG_EINVAL;

	if ((e = jws_header_key(kr, alg, name, kind, token, hlen, &k,
	    why)) != AG_OK)
		return e;
	if ((e = jws_check_sig(k, token, (size_t)(d2 - token), d2 + 1, slen,
	    why)) != AG_OK)
		return e;
	/* Only now is the payload decoded. */
	return jws_payload(d1 + 1, plen, payload, paysz, paylen, why);
}
