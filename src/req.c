/*
 * Requests as CGI variables (RFC 3875), whoever supplies them: the
 * FastCGI parameters or the environment.  Nothing here allocates; the
 * strings point into the variables, which outlive the request.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "form.h"
#include "req.h"

static const struct {
	const char	*suffix;
	enum req_route	 route;
} routes[] = {
	{ "/token",		ROUTE_TOKEN },
	{ "/protected",		ROUTE_PROTECTED },
	{ "/auth",		ROUTE_AUTH },
	{ "/revoke",		ROUTE_REVOKE },
	{ "/introspect",	ROUTE_INTROSPECT },
	{ "/.well-known/jwks.json", ROUTE_JWKS },
	{ "/.well-known/oauth-authorization-server", ROUTE_META },
	{ "/metrics",		ROUTE_METRICS },
	{ "/health/live",	ROUTE_HEALTH_LIVE },
	{ "/health/ready",	ROUTE_HEALTH_READY },
	{ "/authorize",		ROUTE_AUTHORIZE },
	{ "/login",		ROUTE_LOGIN },
	{ "/logout",		ROUTE_LOGOUT },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

enum req_route
req_route(const char *path, size_t len, size_t *baselen)
{
	size_t	 i, sl;

	*baselen = 0;
	for (i = 0; i < NROUTES; i++) {
		sl = strlen(routes[i].suffix);
		if (len >= sl &&
		    memcmp(path + len - sl, routes[i].suffix, sl) == 0) {
			*baselen = len - sl;
			return routes[i].route;
		}
	}
	return ROUTE_NONE;
}

/* The CGI variables a request is made of, in the order of vars[]. */
enum {
	V_ROLE, V_METHOD, V_CTYPE, V_CLEN, V_AUTH, V_SCOPE, V_ADDR, V_HTTPS,
	V_HOST, V_QUERY, V_SNAME, V_SPORT, V_URI, V_SCRIPT, V_PINFO, V_COOKIE,
	V_ACCEPT, V_ORIGIN, V_FETCH_SITE, V_SCHEME, V__MAX
};

static const struct {
	const char	*name;
	size_t		 len;
} vars[V__MAX] = {
#define VAR(s)	{ s, sizeof(s) - 1 }
	VAR("FCGI_ROLE"), VAR("REQUEST_METHOD"), VAR("CONTENT_TYPE"),
	VAR("CONTENT_LENGTH"), VAR("HTTP_AUTHORIZATION"),
	VAR("AUTHGATE_REQUIRE_SCOPE"), VAR("REMOTE_ADDR"), VAR("HTTPS"),
	VAR("HTTP_HOST"), VAR("QUERY_STRING"), VAR("SERVER_NAME"),
	VAR("SERVER_PORT"), VAR("REQUEST_URI"), VAR("SCRIPT_NAME"),
	VAR("PATH_INFO"), VAR("HTTP_COOKIE"), VAR("HTTP_ACCEPT"),
	VAR("HTTP_ORIGIN"), VAR("HTTP_SEC_FETCH_SITE"), VAR("REQUEST_SCHEME")
#undef VAR
};

/* An empty variable is as good as an absent one. */
static const char *
nonempty(const char *v)
{
	return (v == NULL || *v == '\0') ? NULL : v;
}

/* Copy len bytes of path into r->pathbuf and route on it. */
static bool
req_setpath(struct req *r, const char *a, size_t alen, const char *b,
    size_t blen)
{
	size_t	 baselen;

	if (alen + blen > REQ_PATH_MAX)
		return false;
	memcpy(r->pathbuf, a, alen);
	memcpy(r->pathbuf + alen, b, blen);
	r->pathbuf[alen + blen] = '\0';
	r->path = r->pathbuf;
	r->route = req_route(r->pathbuf, alen + blen, &baselen);
	r->base = r->pathbuf;
	r->baselen = baselen;
	return r->route != ROUTE_NONE;
}

static long long
parse_length(const char *s, int *bad)
{
	long long	 n = 0;
	size_t		 i;

	*bad = 0;
	if (s == NULL)
		return -1;
	/* Digits only: no sign, no space; 15 digits is far beyond any
	 * limit and cannot overflow. */
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 15) {
			*bad = 1;
			return -1;
		}
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

/* Fill r from the variables in val[] (NULL when absent). */
static void
req_fill(struct req *r, const char *const val[V__MAX])
{
	const char	*uri, *q, *sn, *pi, *m, *role;
	size_t		 snlen, pilen;

	/* All but the path buffer, which req_setpath fills: zeroing its
	 * 2 KiB was a twentieth of a cached check. */
	memset(r, 0, offsetof(struct req, pathbuf));
	r->pathbuf[0] = '\0';
	r->path = r->pathbuf;
	r->base = r->pathbuf;

	role = nonempty(val[V_ROLE]);
	r->role = (role != NULL && strcmp(role, "AUTHORIZER") == 0) ?
	    REQ_AUTHORIZER : REQ_RESPONDER;

	m = nonempty(val[V_METHOD]);
	r->method_name = m != NULL ? m : "";
	if (m == NULL)
		r->method = REQ_OTHER;
	else if (strcmp(m, "GET") == 0)
		r->method = REQ_GET;
	else if (strcmp(m, "POST") == 0)
		r->method = REQ_POST;
	else if (strcmp(m, "HEAD") == 0)
		r->method = REQ_HEAD;
	else
		r->method = REQ_OTHER;

	r->content_type = nonempty(val[V_CTYPE]);
	r->content_length = parse_length(nonempty(val[V_CLEN]),
	    &r->content_length_bad);
	r->authorization = val[V_AUTH];
	r->require_scope = nonempty(val[V_SCOPE]);
	r->remote_addr = nonempty(val[V_ADDR]);
	r->https = nonempty(val[V_HTTPS]);
	r->secure = (r->https != NULL && (strcasecmp(r->https, "on") == 0 ||
	    strcmp(r->https, "1") == 0)) || (val[V_SCHEME] != NULL &&
	    strcasecmp(val[V_SCHEME], "https") == 0);
	r->host = nonempty(val[V_HOST]);
	r->query = nonempty(val[V_QUERY]);
	r->server_name = nonempty(val[V_SNAME]);
	r->server_port = nonempty(val[V_SPORT]);
	r->cookie = nonempty(val[V_COOKIE]);
	r->accept = nonempty(val[V_ACCEPT]);
	r->origin = nonempty(val[V_ORIGIN]);
	r->fetch_site = nonempty(val[V_FETCH_SITE]);

	uri = nonempty(val[V_URI]);
	r->request_uri = uri;
	if (uri != NULL) {
		q = strchr(uri, '?');
		if (req_setpath(r, uri, q != NULL ? (size_t)(q - uri) :
		    strlen(uri), "", 0))
			return;
	}
	sn = nonempty(val[V_SCRIPT]);
	pi = nonempty(val[V_PINFO]);
	snlen = sn != NULL ? strlen(sn) : 0;
	pilen = pi != NULL ? strlen(pi) : 0;
	if (sn != NULL || pi != NULL) {
		if (req_setpath(r, sn != NULL ? sn : "", snlen,
		    pi != NULL ? pi : "", pilen))
			return;
	}
	/* Nothing routes: keep the REQUEST_URI path for the logs. */
	if (uri != NULL) {
		q = strchr(uri, '?');
		(void)req_setpath(r, uri, q != NULL ? (size_t)(q - uri) :
		    strlen(uri), "", 0);
	}
}

void
req_parse(struct req *r, const char *(*get)(const char *name, void *arg),
    void *arg)
{
	const char	*val[V__MAX];
	size_t		 i;

	for (i = 0; i < V__MAX; i++)
		val[i] = get(vars[i].name, arg);
	req_fill(r, val);
}

/*
 * The variables of vars[] by name length: first_of_len[n] is the first
 * of length n, next_of_len[i] the next after i (-1 ends both), so a
 * FastCGI parameter is compared with at most the names of its length.
 */
#define VAR_NAME_MAX	32
static signed char	 first_of_len[VAR_NAME_MAX + 1];
static signed char	 next_of_len[V__MAX];
static pthread_once_t	 by_len_once = PTHREAD_ONCE_INIT;

static void
by_len_init(void)
{
	int	 i;

	memset(first_of_len, -1, sizeof(first_of_len));
	for (i = V__MAX - 1; i >= 0; i--) {
		if (vars[i].len > VAR_NAME_MAX)
			abort();	/* a name added to vars[] too long */
		next_of_len[i] = first_of_len[vars[i].len];
		first_of_len[vars[i].len] = (signed char)i;
	}
}

void
req_parse_env(struct req *r, char *const *envp)
{
	const char	*val[V__MAX] = { NULL };
	const char	*eq;
	size_t		 n;
	int		 i;

	(void)pthread_once(&by_len_once, by_len_init);
	/*
	 * One pass over "NAME=value" strings instead of a search per
	 * variable.  A name given twice: the last one counts, as in
	 * PHP-FPM.  nginx sends both when a location overrides a line of
	 * an included fastcgi_params (SCRIPT_NAME for an auth_request
	 * location, say), and means the override, which comes last.
	 */
	for (; *envp != NULL; envp++) {
		if ((eq = strchr(*envp, '=')) == NULL)
			continue;
		if ((n = (size_t)(eq - *envp)) > VAR_NAME_MAX)
			continue;
		/* The first and last letters tell apart most names of a
		 * length (REMOTE_PORT, REMOTE_ADDR) before a memcmp(3). */
		for (i = first_of_len[n]; i >= 0; i = next_of_len[i])
			if (**envp == vars[i].name[0] &&
			    eq[-1] == vars[i].name[n - 1] &&
			    memcmp(*envp, vars[i].name, n) == 0) {
				val[i] = eq + 1;
				break;
			}
	}
	req_fill(r, val);
}

/*
 * RFC 6750 2.1 b64token characters, before any trailing '=': ALPHA,
 * DIGIT, "-", ".", "_", "~", "+", "/", as a bit per byte value (one
 * load a character: every byte of every token passes here).
 */
static bool
b64token_char(unsigned char c)
{
	static const uint64_t	 set[4] = {
		0x03ffe80000000000ULL,	/* + - . / 0-9 */
		0x47fffffe87fffffeULL,	/* A-Z _ a-z ~ */
		0, 0
	};

	return (set[c >> 6] >> (c & 63)) & 1;
}

/*
 * Split an Authorization value into scheme and credentials: leading and
 * trailing blanks ignored (the server should have removed them), the
 * scheme ends at the first SP, 1*SP follows.  Returns false when the
 * value is empty.
 */
static bool
split_auth(const char *h, const char **scheme, size_t *schemelen,
    const char **cred, size_t *credlen)
{
	size_t	 len, i;

	while (*h == ' ' || *h == '\t')
		h++;
	len = strlen(h);
	while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
		len--;
	if (len == 0)
		return false;
	for (i = 0; i < len && h[i] != ' '; i++)
		continue;
	*scheme = h;
	*schemelen = i;
	while (i < len && h[i] == ' ')
		i++;
	*cred = h + i;
	*credlen = len - i;
	return true;
}

enum ag_err
req_bearer_split(const char *authorization, const char **tok, size_t *toklen)
{
	const char	*scheme, *cred;
	size_t		 schemelen, credlen;

	*tok = NULL;
	*toklen = 0;
	if (authorization == NULL ||
	    !split_auth(authorization, &scheme, &schemelen, &cred, &credlen))
		return AG_ENOENT;
	if (schemelen != 6 || strncasecmp(scheme, "Bearer", 6) != 0)
		return AG_EINVAL;
	if (credlen == 0)
		return AG_EINVAL;
	/* Length before content: an over-long token is not even scanned. */
	if (credlen > AG_TOKEN_MAX)
		return AG_ETOOBIG;
	*tok = cred;
	*toklen = credlen;
	return AG_OK;
}

bool
req_b64token(const char *tok, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && b64token_char((unsigned char)tok[i]); i++)
		continue;
	if (i == 0)
		return false;
	while (i < len && tok[i] == '=')
		i++;
	return i == len;	/* not "a b", nor other characters */
}

enum ag_err
req_bearer(const char *authorization, const char **tok, size_t *toklen)
{
	enum ag_err	 e;

	if ((e = req_bearer_split(authorization, tok, toklen)) != AG_OK)
		return e;
	if (!req_b64token(*tok, *toklen)) {
		*tok = NULL;
		*toklen = 0;
		return AG_EINVAL;
	}
	return AG_OK;
}

/*
 * Standard base64 with padding (RFC 4648 4), as RFC 7617 uses it:
 * length a multiple of 4, '=' only at the end, zero trailing bits.
 * Returns the decoded length, or -1.
 */
static long
basic_decode(const char *src, size_t len, unsigned char *dst, size_t dstsz)
{
	size_t	 pad = 0, n;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (src[len - 1] == '=')
		pad++;
	if (src[len - 2] == '=')
		pad++;
	if (b64std_decode(src, len - pad, dst, dstsz, &n) != 0)
		return -1;
	return (long)n;
}

enum ag_err
req_basic(const char *authorization, char *user, size_t usersz, char *pass,
    size_t passsz)
{
	unsigned char	 dec[REQ_BASIC_MAX];
	const char	*scheme, *cred, *colon;
	size_t		 schemelen, credlen, ulen, plen, n;
	long		 len;
	enum ag_err	 e;

	if (usersz > 0)
		user[0] = '\0';
	if (passsz > 0)
		pass[0] = '\0';
	if (authorization == NULL ||
	    !split_auth(authorization, &scheme, &schemelen, &cred, &credlen))
		return AG_ENOENT;
	if (schemelen != 5 || strncasecmp(scheme, "Basic", 5) != 0)
		return AG_ENOENT;
	if (credlen == 0)
		return AG_EINVAL;
	if (credlen > (REQ_BASIC_MAX + 2) / 3 * 4)
		return AG_ETOOBIG;
	if ((len = basic_decode(cred, credlen, dec, sizeof(dec))) < 0)
		return AG_EINVAL;
	n = (size_t)len;
	/* RFC 7617: the user-id holds no ':'; the password may. */
	if ((colon = memchr(dec, ':', n)) == NULL) {
		e = AG_EINVAL;
		goto out;
	}
	ulen = (size_t)(colon - (const char *)dec);
	plen = n - ulen - 1;
	if ((e = form_decode((const char *)dec, ulen, user, usersz, &n)) !=
	    AG_OK || (e = form_decode(colon + 1, plen, pass, passsz, &n)) !=
	    AG_OK) {
		if (usersz > 0)
			explicit_bzero(user, usersz);
		if (passsz > 0)
			explicit_bzero(pass, passsz);
		goto out;
	}
	e = AG_OK;
out:
	explicit_bzero(dec, sizeof(dec));
	return e;
}
