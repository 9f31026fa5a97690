/*
 * Browser sessions (see session.h).
 *
 * A session is a JWT of type "session+jwt" made and checked by jwt.c's
 * _kind functions, so that the checks of an access token (one
 * algorithm, exact base64url, strict JSON, signature before payload,
 * iss, aud, times with leeway) are the checks of a session, and the
 * typ keeps the two apart both ways (RFC 8725 3.11), the verified-token
 * cache included (vcache.h keys its entries by kind).
 *
 * Revocation uses the deny list, which the hot path reads without a
 * system call: a session's sid (its jti) for logout, and its account
 * key for user passwd, del and lock.  The account key names (user,
 * generation): store.h draws a new generation at each of those
 * changes, and a name deleted and added again gets a new one, so its
 * new sessions are not caught by the old account's entry.
 *
 * How long an account's entry must last: a session is accepted while
 * iat <= now + leeway and now < exp + leeway, and session_check()
 * refuses one whose lifetime (exp - iat) is over session_ttl (so that
 * lowering session_ttl shortens the sessions issued before, too).  A
 * session issued before the change is therefore accepted at most
 * until now + session_ttl + 2 * leeway: the entry lasts that long.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "conf.h"
#include "deny.h"
#include "jwt.h"
#include "req.h"
#include "session.h"
#include "tokcheck.h"

#define SESSION_ACCT_PREFIX	"g."	/* never in a random jti */
#define SESSION_GEN_DIGITS	24	/* an int64_t in decimal, signed */

_Static_assert(sizeof(SESSION_ACCT_PREFIX) - 1 + B64_ENCLEN(32) <=
    AG_JTI_MAX, "an account key fits a deny-list key");

void
session_acct_key(const char *user, int64_t gen, char key[AG_JTI_MAX + 1])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 in[AG_NAME_MAX + 1 + SESSION_GEN_DIGITS + 1];
	size_t		 ulen, pl = sizeof(SESSION_ACCT_PREFIX) - 1;
	int		 r;

	key[0] = '\0';
	/* user NUL gen: no two (user, gen) pairs give the same bytes. */
	ulen = strnlen(user, AG_NAME_MAX + 1);
	if (ulen == 0 || ulen > AG_NAME_MAX)
		return;
	memcpy(in, user, ulen);
	in[ulen] = '\0';
	r = snprintf(in + ulen + 1, sizeof(in) - ulen - 1, "%lld",
	    (long long)gen);
	if (r < 0 || (size_t)r >= sizeof(in) - ulen - 1)
		return;
	if (EVP_Digest(in, ulen + 1 + (size_t)r, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != 32)
		return;
	memcpy(key, SESSION_ACCT_PREFIX, pl);
	if (b64_encode(md, mdlen, key + pl, AG_JTI_MAX + 1 - pl) == 0)
		key[0] = '\0';
}


static void
session_of(const struct claims *cl, struct session *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->user, cl->sub, sizeof(s->user));
	memcpy(s->scope, cl->scope, sizeof(s->scope));
	memcpy(s->sid, cl->jti, sizeof(s->sid));
	memcpy(s->acct, cl->acct, sizeof(s->acct));
	s->iat = cl->iat;
	s->exp = cl->exp;
}

enum ag_err
session_issue(const struct conf *c, const struct keyring *kr,
    const char *user, const char *scope, int64_t gen, time_t now, char *val,
    size_t valsz, struct session *out)
{
	struct claims	 cl;
	char		 acct[AG_JTI_MAX + 1];
	size_t		 len;
	enum ag_err	 e;

	if (valsz > 0)
		val[0] = '\0';
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	session_acct_key(user, gen, acct);
	if (acct[0] == '\0')
		return AG_EINVAL;
	if ((e = jwt_issue_kind(c, kr, JWS_SESSION, user, scope, NULL, acct,
	    c->session_ttl, now, val, valsz, &cl)) != AG_OK)
		return e;
	/* What we set must come back through session_cookie(). */
	if ((len = strlen(val)) > SESSION_VALUE_MAX) {
		OPENSSL_cleanse(val, len);
		val[0] = '\0';
		return AG_ETOOBIG;
	}
	if (out != NULL)
		session_of(&cl, out);
	return AG_OK;
}

/* RFC 6265 4.1.1 cookie-octet: what a cookie value may hold. */
static bool
cookie_octet(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x2b) ||
	    (ch >= 0x2d && ch <= 0x3a) || (ch >= 0x3c && ch <= 0x5b) ||
	    (ch >= 0x5d && ch <= 0x7e);
}

static bool
ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * The cookie-string of a Cookie header (RFC 6265 5.4: "name=value"
 * pairs separated by ";" and a space; spaces and tabs around a pair
 * are forgiven, a pair without "=" is skipped, as browsers do).  The
 * name is compared exactly.  Given twice, the cookie is refused: which
 * one a browser meant cannot be told (one may have been set by a
 * sibling host), and no other part of the service should pick another.
 */
enum ag_err
session_cookie(const char *cookie_header, bool https, const char **val,
    size_t *len)
{
	const char	*want = https ? SESSION_COOKIE_HTTPS : SESSION_COOKIE;
	const char	*p, *end, *eq, *v, *ve, *found = NULL;
	size_t		 wl = strlen(want), fl = 0, i;
	bool		 quoted;

	*val = NULL;
	*len = 0;
	if (cookie_header == NULL)
		return AG_ENOENT;
	for (p = cookie_header; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		while (p < end && ows(*p))
			p++;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		ve = eq;
		while (ve > p && ows(ve[-1]))	/* name OWS "=" */
			ve--;
		if ((size_t)(ve - p) != wl || memcmp(p, want, wl) != 0)
			continue;
		if (found != NULL)
			return AG_EINVAL;
		v = eq + 1;
		ve = end;
		while (v < ve && ows(*v))
			v++;
		while (ve > v && ows(ve[-1]))
			ve--;
		quoted = ve - v >= 2 && *v == '"' && ve[-1] == '"';
		if (quoted) {
			v++;
			ve--;
		}
		found = v;
		fl = (size_t)(ve - v);
	}
	if (found == NULL || fl == 0)
		return AG_ENOENT;
	if (fl > SESSION_VALUE_MAX)
		return AG_ETOOBIG;
	for (i = 0; i < fl; i++)
		if (!cookie_octet((unsigned char)found[i]))
			return AG_EINVAL;
	*val = found;
	*len = fl;
	return AG_OK;
}

/* Why the deny list refuses s, or NULL when it may go on. */
static const char *
session_denied(const struct conf *c, struct state *sdb,
    const struct session *s)
{
	/* Verifiers hold no state_db (doc/scaling.md). */
	if (sdb == NULL || c->verify_only)
		return NULL;
	if (state_deny_check(sdb, s->sid) || state_deny_check(sdb, s->acct))
		return "session ended";
	return NULL;
}

enum ag_err
session_check(const struct conf *c, const struct keyring *kr, uint64_t gen,
    struct state *sdb, const char *val, size_t len, time_t now,
    struct session *out, const char **why)
{
	const struct claims *cl;
	struct claims	 buf;
	const char	*w;
	enum ag_err	 e;

	memset(out, 0, sizeof(*out));
	*why = "no session";
	if (val == NULL || len == 0)
		return AG_EDENIED;
	if (len > SESSION_VALUE_MAX) {
		*why = "session too large";
		return AG_EDENIED;
	}
	e = tokcheck_verify(c, kr, gen, JWS_SESSION, val, len, now, &buf, &cl,
	    &w);
	switch (e) {
	case AG_OK:
		break;
	case AG_ENOMEM:
	case AG_EUNAVAIL:
		*why = "cannot verify the session now";
		return e;
	case AG_EINVAL:
	case AG_ENOENT:
	case AG_EEXIST:
	case AG_ETOOBIG:
	case AG_EDENIED:
		*why = w != NULL && strcmp(w, "token expired") == 0 ?
		    "session expired" : w != NULL ? w : "invalid session";
		return AG_EDENIED;
	}
	/* Issued under a longer session_ttl than today's: too long. */
	if (cl->exp - cl->iat > c->session_ttl || cl->exp < cl->iat) {
		*why = "session expired";
		return AG_EDENIED;
	}
	session_of(cl, out);
	if ((w = session_denied(c, sdb, out)) != NULL) {
		memset(out, 0, sizeof(*out));
		*why = w;
		return AG_EDENIED;
	}
	*why = NULL;
	return AG_OK;
}

enum ag_err
session_verify(const struct conf *c, const struct keyring *kr,
    struct state *sdb, const char *val, size_t len, time_t now,
    struct session *out, const char **why)
{
	return session_check(c, kr, 0, sdb, val, len, now, out, why);
}

enum ag_err
session_from_req(const struct conf *c, const struct keyring *kr,
    struct state *sdb, const struct req *r, time_t now, struct session *out)
{
	const char	*val, *why;
	size_t		 len;
	enum ag_err	 e;

	memset(out, 0, sizeof(*out));
	if ((e = session_cookie(r->cookie, r->secure, &val, &len)) !=
	    AG_OK)
		return e;
	return session_verify(c, kr, sdb, val, len, now, out, &why);
}

enum ag_err
session_end(struct state *sdb, const struct session *s)
{
	/* Accepted until exp + leeway, which is at most CONF_LEEWAY_MAX. */
	if (s->sid[0] == '\0' || s->exp > INT64_MAX - CONF_LEEWAY_MAX)
		return AG_EINVAL;
	return state_deny_add(sdb, s->sid, s->exp + CONF_LEEWAY_MAX);
}

enum ag_err
session_end_account(const struct conf *c, struct state *sdb,
    const char *user, int64_t gen, time_t now)
{
	char	 key[AG_JTI_MAX + 1];

	session_acct_key(user, gen, key);
	if (key[0] == '\0')
		return AG_EINVAL;
	/* See the top of this file for why this long. */
	return state_deny_add(sdb, key, (int64_t)now + c->session_ttl +
	    2 * (int64_t)c->leeway);
}

bool
session_set_cookie(char *buf, size_t bufsz, bool https, const char *val,
    long max_age)
{
	size_t	 i, vl;
	int	 r;

	if (bufsz > 0)
		buf[0] = '\0';
	if (val == NULL) {
		val = "";
		max_age = 0;
	}
	vl = strlen(val);
	if (vl > SESSION_VALUE_MAX || max_age < 0)
		return false;
	/* Nothing may end the header or start another attribute. */
	for (i = 0; i < vl; i++)
		if (!cookie_octet((unsigned char)val[i]))
			return false;
	r = snprintf(buf, bufsz, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; "
	    "SameSite=Lax%s", https ? SESSION_COOKIE_HTTPS : SESSION_COOKIE,
	    val, max_age, https ? "; Secure" : "");
	if (r < 0 || (size_t)r >= bufsz) {
		if (bufsz > 0)
			buf[0] = '\0';
		return false;
	}
	return true;
}

/* RFC 3986 2.3 unreserved, and "/", which a query may hold as it is. */
static bool
rd_keep(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
	    ch == '~' || ch == '/';
}

bool
session_login_location(const char *login_url, const char *uri, char *buf,
    size_t bufsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n, base;
	unsigned char		 ch;

	if (bufsz == 0)
		return false;
	buf[0] = '\0';
	if ((n = strlen(login_url)) >= bufsz)
		return false;
	memcpy(buf, login_url, n + 1);
	if (uri == NULL || *uri == '\0')
		return true;
	base = n;
	if (bufsz - n <= 4)
		return true;
	memcpy(buf + n, strchr(login_url, '?') != NULL ? "&rd=" : "?rd=", 4);
	n += 4;
	for (; *uri != '\0'; uri++) {
		ch = (unsigned char)*uri;
		if (bufsz - n <= (rd_keep(ch) ? 1 : 3)) {
			buf[base] = '\0';	/* too long: no rd at all */
			return true;
		}
		if (rd_keep(ch))
			buf[n++] = (char)ch;
		else {
			buf[n++] = '%';
			buf[n++] = hex[ch >> 4];
			buf[n++] = hex[ch & 0x0f];
		}
	}
	buf[n] = '\0';
	return true;
}
