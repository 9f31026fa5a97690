/*
 * Access tokens after RFC 9068: the claims are written with jw and
 * signed by jws; on the way back they are parsed strictly (jparse) and
 * checked after RFC 8725 and RFC 7519 section 4.1.  A claim of the wrong
 * type is refused, never coerced: a float or huge "exp", a numeric
 * "sub".  Strings that end up in HTTP headers or logs (sub, scope,
 * client_id, jti) must hold no control bytes.
 */
#include <string.h>

#include <openssl/rand.h>

#include "b64.h"
#include "conf.h"
#include "jparse.h"
#include "jw.h"
#include "jws.h"
#include "jwt.h"
#include "utf8.h"
#include "key.h"

#define JWT_JTI_BYTES	16	/* random bytes behind a jti */

/*
 * No control bytes: these strings go into headers and log lines.  Valid
 * UTF-8, or the claim written (jw escapes bad bytes) would not be the
 * claim returned.
 */
static bool
printable(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return utf8_valid(s, len);
}

enum ag_err
jwt_issue(const struct conf *c, const struct keyring *kr, const char *sub,
    const char *scope, const char *client_id, long ttl, time_t now,
    char *tok, size_t toksz, struct claims *out)
{
	return jwt_issue_kind(c, kr, JWS_ACCESS, sub, scope, client_id, NULL,
	    ttl, now, tok, toksz, out);
}

enum ag_err
jwt_issue_kind(const struct conf *c, const struct keyring *kr,
    enum jws_kind kind, const char *sub, const char *scope,
    const char *client_id, const char *acct, long ttl, time_t now,
    char *tok, size_t toksz, struct claims *out)
{
	struct jw		 w;
	struct claims		 cl;
	const struct key	*k;
	unsigned char		 rnd[JWT_JTI_BYTES];
	char			 pl[AG_TOKEN_MAX];
	const char		*json;
	size_t			 len, sublen, scopelen = 0, cidlen = 0;
	size_t			 acctlen = 0;
	enum ag_err		 e;

	if (toksz > 0)
		tok[0] = '\0';
	/* A session names its account and no client; a token, no account. */
	if (kind == JWS_SESSION) {
		if (acct == NULL || client_id != NULL ||
		    (acctlen = strlen(acct)) == 0 || acctlen > AG_JTI_MAX ||
		    !printable(acct, acctlen))
			return AG_EINVAL;
	} else if (kind != JWS_ACCESS || acct != NULL)
		return AG_EINVAL;
	if ((k = keyring_signer(kr)) == NULL)
		return AG_EINVAL;
	if (sub == NULL || (sublen = strlen(sub)) == 0 ||
	    sublen > AG_NAME_MAX || !printable(sub, sublen))
		return AG_EINVAL;
	if (scope != NULL && ((scopelen = strlen(scope)) > AG_SCOPE_MAX ||
	    !printable(scope, scopelen)))
		return AG_EINVAL;
	if (client_id != NULL && ((cidlen = strlen(client_id)) >
	    AG_NAME_MAX || !printable(client_id, cidlen)))
		return AG_EINVAL;
	if (ttl <= 0 || (int64_t)now > INT64_MAX - ttl)
		return AG_EINVAL;

	memset(&cl, 0, sizeof(cl));
	memcpy(cl.sub, sub, sublen);
	if (scope != NULL)
		memcpy(cl.scope, scope, scopelen);
	if (client_id != NULL)
		memcpy(cl.client_id, client_id, cidlen);
	if (acct != NULL)
		memcpy(cl.acct, acct, acctlen);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    b64_encode(rnd, sizeof(rnd), cl.jti, sizeof(cl.jti)) == 0)
		return AG_EUNAVAIL;
	cl.iat = cl.nbf = (int64_t)now;
	cl.exp = (int64_t)now + ttl;

	jw_init(&w, pl, sizeof(pl));
	jw_obj_open(&w, NULL);
	jw_str(&w, "iss", c->issuer);
	jw_str(&w, "sub", cl.sub);
	if (c->audience[0] != '\0')
		jw_str(&w, "aud", c->audience);
	jw_int(&w, "exp", cl.exp);
	jw_int(&w, "iat", cl.iat);
	jw_int(&w, "nbf", cl.nbf);
	jw_str(&w, "jti", cl.jti);
	if (scope != NULL)
		jw_str(&w, "scope", cl.scope);
	if (cidlen > 0)
		jw_str(&w, "client_id", cl.client_id);
	if (acctlen > 0)
		jw_str(&w, "acct", cl.acct);
	jw_obj_close(&w);
	if ((json = jw_done(&w, &len)) == NULL)
		return AG_ETOOBIG;
	if ((e = jws_sign_kind(k, kind, json, len, tok, toksz, &len)) != AG_OK)
		return e;
	if (out != NULL)
		*out = cl;
	return AG_OK;
}

/*
 * Copy the optional string claim name of o into dst (dstsz bytes);
 * absent leaves dst empty.  Returns false for a wrong type or size.
 */
static bool
copy_str(const struct jp_obj *o, const char *name, char *dst, size_t dstsz)
{
	const struct jp_member	*m;

	dst[0] = '\0';
	if ((m = jp_get(o, name)) == NULL)
		return true;
	if (m->type != JP_STRING || m->str.len >= dstsz ||
	    !printable(m->str.s, m->str.len))
		return false;
	memcpy(dst, m->str.s, m->str.len + 1);
	return true;
}

/* An optional integer claim: *v = 0 and *present = false when absent. */
static bool
get_int(const struct jp_obj *o, const char *name, int64_t *v, bool *present)
{
	const struct jp_member	*m;

	*v = 0;
	*present = false;
	if ((m = jp_get(o, name)) == NULL)
		return true;
	if (m->type != JP_INT)
		return false;
	*v = m->num;
	*present = true;
	return true;
}

static bool
aud_ok(const struct jp_obj *o, const struct jp_member *m, const char *want)
{
	const struct jp_str	*s;
	size_t			 i;

	if (m->type == JP_STRING)
		return jp_str_eq(&m->str, want);
	for (i = 0; (s = jp_arr_str(o, m, i)) != NULL; i++)
		if (jp_str_eq(s, want))
			return true;
	return false;
}

enum ag_err
jwt_verify(const struct conf *c, const struct keyring *kr,
    const char *token, size_t len, time_t now, struct claims *out,
    const char **why)
{
	return jwt_verify_kind(c, kr, JWS_ACCESS, token, len, now, out, why);
}

enum ag_err
jwt_verify_kind(const struct conf *c, const struct keyring *kr,
    enum jws_kind kind, const char *token, size_t len, time_t now,
    struct claims *out, const char **why)
{
	struct jp_obj		 o;
	struct claims		 cl;
	char			 pl[B64_DECLEN(AG_TOKEN_MAX) + 1];
	const struct jp_member	*m;
	size_t			 plen;
	bool			 has_exp, has_nbf, has_iat;
	enum ag_err		 e;

	memset(out, 0, sizeof(*out));
	if ((e = jws_verify_kind(kr, c->algorithm, kind, token, len, pl,
	    sizeof(pl), &plen, why)) != AG_OK)
		return e;
	*why = "malformed claims";
	if (jp_parse(pl, plen, &o) != AG_OK)
		return AG_EINVAL;

	/* Types and sizes first: nothing below trusts a claim's shape. */
	memset(&cl, 0, sizeof(cl));
	if ((m = jp_get(&o, "sub")) == NULL || m->type != JP_STRING ||
	    m->str.len == 0)
		return AG_EINVAL;
	if (!copy_str(&o, "sub", cl.sub, sizeof(cl.sub)) ||
	    !copy_str(&o, "scope", cl.scope, sizeof(cl.scope)) ||
	    !copy_str(&o, "client_id", cl.client_id, sizeof(cl.client_id)) ||
	    !copy_str(&o, "jti", cl.jti, sizeof(cl.jti)))
		return AG_EINVAL;
	/* A session is revoked by its jti and acct: both must be there. */
	if (kind == JWS_SESSION && (!copy_str(&o, "acct", cl.acct,
	    sizeof(cl.acct)) || cl.acct[0] == '\0' || cl.jti[0] == '\0' ||
	    cl.client_id[0] != '\0'))
		return AG_EINVAL;
	if (!get_int(&o, "exp", &cl.exp, &has_exp) || !has_exp ||
	    !get_int(&o, "nbf", &cl.nbf, &has_nbf) ||
	    !get_int(&o, "iat", &cl.iat, &has_iat))
		return AG_EINVAL;
	if ((m = jp_get(&o, "iss")) != NULL && m->type != JP_STRING)
		return AG_EINVAL;
	if ((m = jp_get(&o, "aud")) != NULL && m->type != JP_STRING &&
	    m->type != JP_STRARRAY)
		return AG_EINVAL;

	if ((m = jp_get(&o, "iss")) == NULL ||
	    !jp_str_eq(&m->str, c->issuer)) {
		*why = "wrong issuer";
		return AG_EDENIED;
	}
	/*
	 * RFC 7519 section 4.1.3: a token whose "aud" does not name us is
	 * refused, so one with an "aud" is refused when none is configured.
	 */
	m = jp_get(&o, "aud");
	if (c->audience[0] != '\0' ? m == NULL || !aud_ok(&o, m, c->audience) :
	    m != NULL) {
		*why = "wrong audience";
		return AG_EDENIED;
	}

	if ((e = jwt_check_times(c, &cl, now, why)) != AG_OK)
		return e;
	*out = cl;
	return AG_OK;
}

enum ag_err
jwt_check_times(const struct conf *c, const struct claims *cl, time_t now,
    const char **why)
{
	int64_t	 lo, hi, leeway;

	/* conf.c refuses more; clamped for a struct conf filled by hand,
	 * so that now +- leeway cannot overflow. */
	leeway = c->leeway > 0 ? c->leeway : 0;
	if (leeway > CONF_LEEWAY_MAX)
		leeway = CONF_LEEWAY_MAX;
	lo = (int64_t)now - leeway;
	hi = (int64_t)now + leeway;
	if (cl->exp <= lo) {
		*why = "token expired";
		return AG_EDENIED;
	}
	/* An absent nbf or iat is 0 here, never in the future. */
	if (cl->nbf > hi) {
		*why = "token not yet valid";
		return AG_EDENIED;
	}
	if (cl->iat > hi) {
		*why = "token issued in the future";
		return AG_EDENIED;
	}
	*why = NULL;
	return AG_OK;
}
