/*
 * req.c (CGI variables, routing, Bearer and Basic credentials) and
 * resp.c (headers, JSON errors, CGI output).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../src/req.h"
#include "../src/resp.h"
#include "tap.h"

struct env {
	const char	*kv[32];	/* name, value, ..., NULL */
};

static const char *
env_get(const char *name, void *arg)
{
	const struct env	*e = arg;
	size_t			 i;

	for (i = 0; e->kv[i] != NULL; i += 2)
		if (strcmp(e->kv[i], name) == 0)
			return e->kv[i + 1];
	return NULL;
}

static void
test_route(void)
{
	static const struct {
		const char	*path;
		enum req_route	 want;
		size_t		 baselen;
	} c[] = {
		{ "/token",			ROUTE_TOKEN,		0 },
		{ "/auth/token",		ROUTE_TOKEN,		5 },
		{ "/cgi-bin/authgate/token",	ROUTE_TOKEN,		17 },
		{ "/protected",			ROUTE_PROTECTED,	0 },
		{ "/auth",			ROUTE_AUTH,		0 },
		{ "/x/auth",			ROUTE_AUTH,		2 },
		{ "/revoke",			ROUTE_REVOKE,		0 },
		{ "/introspect",		ROUTE_INTROSPECT,	0 },
		{ "/.well-known/jwks.json",	ROUTE_JWKS,		0 },
		{ "/a/.well-known/oauth-authorization-server", ROUTE_META, 2 },
		/* Suffixes start at a '/': no "/mytoken", "/oauth". */
		{ "/mytoken",			ROUTE_NONE,		0 },
		{ "/oauth",			ROUTE_NONE,		0 },
		{ "token",			ROUTE_NONE,		0 },
		/* Not decoded, no trailing slash stripped. */
		{ "/tok%65n",			ROUTE_NONE,		0 },
		{ "/token/",			ROUTE_NONE,		0 },
		{ "/TOKEN",			ROUTE_NONE,		0 },
		{ "",				ROUTE_NONE,		0 },
	};
	size_t	 i, bl;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		is_int(req_route(c[i].path, strlen(c[i].path), &bl), c[i].want,
		    c[i].path);
		is_int(bl, c[i].baselen, "base length");
	}
}

static void
test_parse(void)
{
	struct req	 r;
	struct env	 e1 = { { "REQUEST_METHOD", "POST",
	    "REQUEST_URI", "/auth/token?x=/protected",
	    "SCRIPT_NAME", "/auth", "PATH_INFO", "/nothing",
	    "CONTENT_TYPE", "application/x-www-form-urlencoded",
	    "CONTENT_LENGTH", "42", "HTTP_AUTHORIZATION", "Basic YTpi",
	    "HTTPS", "on", "HTTP_HOST", "example.org",
	    "QUERY_STRING", "x=/protected", NULL } };
	struct env	 e2 = { { "REQUEST_METHOD", "GET",
	    "REQUEST_URI", "/guarded/file.html",
	    "SCRIPT_NAME", "/fcgi", "PATH_INFO", "/auth",
	    "CONTENT_LENGTH", "", NULL } };
	struct env	 e3 = { { "REQUEST_METHOD", "DELETE",
	    "SCRIPT_NAME", "/cgi-bin/authgate",
	    "PATH_INFO", "/.well-known/jwks.json",
	    "CONTENT_LENGTH", "-1", "FCGI_ROLE", "AUTHORIZER",
	    "AUTHGATE_REQUIRE_SCOPE", "admin", NULL } };
	struct env	 e4 = { { "REQUEST_METHOD", "get",
	    "REQUEST_URI", "/nowhere", "CONTENT_LENGTH", "1 ", NULL } };
	struct env	 e5 = { { "CONTENT_LENGTH", "0123456789012345",
	    NULL } };

	req_parse(&r, env_get, &e1);
	is_int(r.method, REQ_POST, "POST");
	is_str(r.method_name, "POST", "method name");
	is_int(r.role, REQ_RESPONDER, "responder by default");
	is_int(r.route, ROUTE_TOKEN, "REQUEST_URI path routes; query ignored");
	is_str(r.path, "/auth/token", "path without query");
	is_int(r.baselen, 5, "base is /auth");
	ok(strncmp(r.base, "/auth", r.baselen) == 0, "base text");
	is_int(r.content_length, 42, "CONTENT_LENGTH");
	is_int(r.content_length_bad, 0, "length is good");
	is_str(r.content_type, "application/x-www-form-urlencoded", "type");
	is_str(r.authorization, "Basic YTpi", "authorization");
	is_str(r.https, "on", "HTTPS");
	ok(r.secure, "HTTPS on: secure");
	is_str(r.host, "example.org", "host");
	is_str(r.query, "x=/protected", "query");
	ok(r.require_scope == NULL, "no required scope");

	/* nginx auth_request: REQUEST_URI is the client's. */
	req_parse(&r, env_get, &e2);
	is_int(r.route, ROUTE_AUTH, "SCRIPT_NAME + PATH_INFO fallback");
	is_str(r.path, "/fcgi/auth", "joined path");
	is_int(r.baselen, 5, "base /fcgi");
	is_int(r.content_length, -1, "empty CONTENT_LENGTH: absent");
	is_int(r.content_length_bad, 0, "absent is not bad");
	ok(r.content_type == NULL, "no type");

	req_parse(&r, env_get, &e3);
	is_int(r.method, REQ_OTHER, "DELETE is other");
	is_int(r.role, REQ_AUTHORIZER, "FCGI_ROLE=AUTHORIZER");
	is_int(r.route, ROUTE_JWKS, "CGI path");
	is_int(r.baselen, strlen("/cgi-bin/authgate"), "CGI base");
	is_int(r.content_length, -1, "negative length");
	is_int(r.content_length_bad, 1, "negative length is bad");
	is_str(r.require_scope, "admin", "AUTHGATE_REQUIRE_SCOPE");

	req_parse(&r, env_get, &e4);
	is_int(r.method, REQ_OTHER, "methods are case-sensitive");
	is_int(r.route, ROUTE_NONE, "no route");
	is_str(r.path, "/nowhere", "path kept for logs");
	is_int(r.content_length_bad, 1, "trailing space in length is bad");

	req_parse(&r, env_get, &e5);
	is_int(r.content_length_bad, 1, "16-digit length refused");
	is_int(r.route, ROUTE_NONE, "nothing routes without a path");
	is_str(r.path, "", "empty path");
}

static void
test_long_path(void)
{
	struct req	 r;
	char		*p;
	struct env	 e = { { "REQUEST_URI", NULL, NULL } };

	p = malloc(REQ_PATH_MAX + 2);
	memset(p, 'a', REQ_PATH_MAX + 1);
	p[0] = '/';
	memcpy(p + REQ_PATH_MAX - 6, "/token", 6);
	p[REQ_PATH_MAX] = '\0';
	e.kv[1] = p;
	req_parse(&r, env_get, &e);
	is_int(r.route, ROUTE_TOKEN, "path of REQ_PATH_MAX bytes routes");
	memcpy(p + REQ_PATH_MAX - 5, "/token", 7);
	req_parse(&r, env_get, &e);
	is_int(r.route, ROUTE_NONE, "one byte over: no route");
	free(p);
}

static void
test_bearer(void)
{
	static const struct {
		const char	*h;
		enum ag_err	 want;
		const char	*tok;
	} c[] = {
		{ "Bearer abc.def.ghi",		AG_OK,		"abc.def.ghi" },
		{ "bearer abc",			AG_OK,		"abc" },
		{ "BEARER abc",			AG_OK,		"abc" },
		{ "Bearer  abc",		AG_OK,		"abc" },
		{ "Bearer abc ",		AG_OK,		"abc" },
		{ "Bearer a-._~+/b==",		AG_OK,		"a-._~+/b==" },
		{ NULL,				AG_ENOENT,	NULL },
		{ "",				AG_ENOENT,	NULL },
		{ "  ",				AG_ENOENT,	NULL },
		{ "Bearer",			AG_EINVAL,	NULL },
		{ "Bearer ",			AG_EINVAL,	NULL },
		{ "Bearer a b",			AG_EINVAL,	NULL },
		{ "Bearer a=b",			AG_EINVAL,	NULL },
		{ "Bearer =",			AG_EINVAL,	NULL },
		{ "Bearer a,b",			AG_EINVAL,	NULL },
		{ "Bearer a\"b",		AG_EINVAL,	NULL },
		{ "Bearer\tabc",		AG_EINVAL,	NULL },
		{ "Basic YTpi",			AG_EINVAL,	NULL },
		{ "Bearerx abc",		AG_EINVAL,	NULL },
		{ "MAC abc",			AG_EINVAL,	NULL },
	};
	const char	*tok;
	size_t		 i, len;
	char		*big;
	enum ag_err	 e;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		e = req_bearer(c[i].h, &tok, &len);
		is_int(e, c[i].want, c[i].h ? c[i].h : "(null)");
		if (c[i].tok != NULL)
			ok(len == strlen(c[i].tok) &&
			    memcmp(tok, c[i].tok, len) == 0, "token view");
		else
			ok(tok == NULL && len == 0, "no token on error");
	}

	/* Every byte value inside a token: exactly RFC 6750's b64token. */
	{
		char	 h[16];
		size_t	 wrong = 0;
		int	 b;
		bool	 want;

		for (b = 1; b < 256; b++) {
			(void)snprintf(h, sizeof(h), "Bearer a%cb", b);
			want = (b >= 'A' && b <= 'Z') || (b >= 'a' &&
			    b <= 'z') || (b >= '0' && b <= '9') ||
			    strchr("-._~+/", b) != NULL;
			if (b == ' ' || b == '\t')
				continue;	/* separators, tested above */
			if ((req_bearer(h, &tok, &len) == AG_OK) != want)
				wrong++;
		}
		is_int(wrong, 0, "b64token characters, all 255 byte values");
	}

	big = malloc(7 + AG_TOKEN_MAX + 2);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', AG_TOKEN_MAX + 1);
	big[7 + AG_TOKEN_MAX] = '\0';
	is_int(req_bearer(big, &tok, &len), AG_OK, "AG_TOKEN_MAX token");
	is_int(len, AG_TOKEN_MAX, "its length");
	big[7 + AG_TOKEN_MAX] = 'a';
	big[7 + AG_TOKEN_MAX + 1] = '\0';
	is_int(req_bearer(big, &tok, &len), AG_ETOOBIG,
	    "one byte over: ETOOBIG (an invalid token, not a bad request)");
	free(big);
}

static void
test_basic(void)
{
	static const struct {
		const char	*h;
		enum ag_err	 want;
		const char	*user, *pass;
	} c[] = {
		/* "a:b", "client:se:cret", "c%20d:x+y" */
		{ "Basic YTpi",			AG_OK,	"a", "b" },
		{ "basic YTpi",			AG_OK,	"a", "b" },
		{ "Basic Y2xpZW50OnNlOmNyZXQ=",	AG_OK,	"client", "se:cret" },
		{ "Basic YyUyMGQ6eCt5",		AG_OK,	"c d", "x y" },
		/* ":" and "a:" */
		{ "Basic Og==",			AG_OK,	"", "" },
		{ "Basic YTo=",			AG_OK,	"a", "" },
		{ NULL,				AG_ENOENT, "", "" },
		{ "",				AG_ENOENT, "", "" },
		{ "Bearer abc",			AG_ENOENT, "", "" },
		{ "Basic",			AG_EINVAL, "", "" },
		/* "ab": no colon */
		{ "Basic YWI=",			AG_EINVAL, "", "" },
		/* missing padding, bad characters, non-canonical bits */
		{ "Basic YTo",			AG_EINVAL, "", "" },
		{ "Basic YT!i",			AG_EINVAL, "", "" },
		{ "Basic YTpi YTpi",		AG_EINVAL, "", "" },
		{ "Basic YTp=",			AG_EINVAL, "", "" },
		/* "a%zz:b" bad escape; "a%00:b" NUL */
		{ "Basic YSV6ejpi",		AG_EINVAL, "", "" },
		{ "Basic YSUwMDpi",		AG_EINVAL, "", "" },
	};
	char		 user[8], pass[8], hdr[64];
	size_t		 i;
	enum ag_err	 e;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		e = req_basic(c[i].h, user, sizeof(user), pass, sizeof(pass));
		is_int(e, c[i].want, c[i].h ? c[i].h : "(null)");
		is_str(user, c[i].user, "user");
		is_str(pass, c[i].pass, "pass");
	}
	/* "abcdefgh:x": user of 8 bytes does not fit 8 with its NUL. */
	snprintf(hdr, sizeof(hdr), "Basic %s", "YWJjZGVmZ2g6eA==");
	is_int(req_basic(hdr, user, sizeof(user), pass, sizeof(pass)),
	    AG_ETOOBIG, "user one byte over its buffer");
	is_str(user, "", "user wiped");
	/* "abcdefg:x" fits */
	snprintf(hdr, sizeof(hdr), "Basic %s", "YWJjZGVmZzp4");
	is_int(req_basic(hdr, user, sizeof(user), pass, sizeof(pass)),
	    AG_OK, "user at its buffer size");
	is_str(user, "abcdefg", "7-byte user");
}

static void
test_resp(void)
{
	static struct resp	 r;
	static char		 out[RESP_OUT_MAX];
	size_t			 n;
	const char		*want;

	resp_init(&r);
	resp_json(&r, 200, "{\"a\":1}", 7);
	resp_header(&r, "Cache-Control", "no-store");
	n = resp_format(&r, out, sizeof(out));
	want = "Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n{\"a\":1}";
	is_str(out, want, "formatted response");
	is_int(n, strlen(want), "its length");
	is_int(resp_format(&r, out, strlen(want)), 0, "too small: 0");
	is_int(resp_format(&r, out, strlen(want) + 1), strlen(want),
	    "exactly enough");

	/* Header injection: CR, LF, NUL-free values only. */
	resp_init(&r);
	resp_header(&r, "X-Auth-Request-User", "al\r\nSet-Cookie: x=1");
	ok(r.overflow, "CRLF in a value refused");
	is_int(r.headerslen, 0, "nothing added");
	resp_init(&r);
	resp_header(&r, "X-A\r\nB", "v");
	ok(r.overflow, "CRLF in a name refused");
	resp_init(&r);
	resp_header(&r, "X-A", "a\nb");
	ok(r.overflow, "bare LF refused");
	resp_init(&r);
	resp_header(&r, "X-A", "a\tb");
	ok(!r.overflow, "HTAB allowed");
	resp_header(&r, "", "v");
	ok(r.overflow, "empty name refused");

	resp_init(&r);
	resp_header(&r, "WWW-Authenticate", "Bearer realm=\"x\"");
	resp_error(&r, 401, "invalid_token", "quote \" and \\ escaped");
	is_int(r.status, 401, "error status");
	is_str(r.body, "{\"error\":\"invalid_token\",\"error_description\":"
	    "\"quote \\\" and \\\\ escaped\"}", "error body is JSON");
	ok(resp_has_header(&r, "cache-control"), "no-store added");
	ok(resp_has_header(&r, "WWW-Authenticate"), "earlier header kept");
	ok(!resp_has_header(&r, "Pragma"), "no other header");

	resp_init(&r);
	resp_header(&r, "Cache-Control", "max-age=5");
	resp_error(&r, 404, "not_found", NULL);
	is_str(r.body, "{\"error\":\"not_found\"}", "no description");
	is_str(r.headers, "Cache-Control: max-age=5\r\n",
	    "Cache-Control not doubled");

	/* Authorizer 200: headers only, no Content-Type. */
	resp_init(&r);
	r.status = 200;
	r.nobody = 1;
	resp_header(&r, "Variable-REMOTE_USER", "al");
	resp_format(&r, out, sizeof(out));
	is_str(out, "Status: 200 OK\r\nVariable-REMOTE_USER: al\r\n\r\n",
	    "authorizer response");

	/* HEAD: type, no body. */
	resp_init(&r);
	resp_json(&r, 200, "{}", 2);
	r.nobody = 1;
	resp_format(&r, out, sizeof(out));
	is_str(out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n",
	    "HEAD response");

	resp_init(&r);
	is_int(resp_format(&r, out, sizeof(out)), 0, "no status: 0");
	is_str(resp_reason(413), "Content Too Large", "413 reason");
	is_str(resp_reason(405), "Method Not Allowed", "405 reason");

	/* Limits: a header that fills the buffer, one byte over. */
	{
		static char	 v[RESP_HEADERS_MAX];

		resp_init(&r);
		memset(v, 'v', sizeof(v) - 1);
		v[RESP_HEADERS_MAX - 1 - 5] = '\0';	/* "X: " v "\r\n" */
		resp_header(&r, "X", v);
		ok(!r.overflow && r.headerslen == RESP_HEADERS_MAX - 1,
		    "header filling the buffer fits");
		resp_init(&r);
		v[RESP_HEADERS_MAX - 1 - 5] = 'v';
		v[RESP_HEADERS_MAX - 5] = '\0';
		resp_header(&r, "X", v);
		ok(r.overflow, "one byte more overflows");
	}
	{
		static char	 b[RESP_BODY_MAX + 1];

		memset(b, ' ', sizeof(b));
		resp_init(&r);
		resp_json(&r, 200, b, RESP_BODY_MAX - 1);
		ok(!r.overflow, "body of RESP_BODY_MAX - 1 fits");
		resp_json(&r, 200, b, RESP_BODY_MAX);
		ok(r.overflow, "RESP_BODY_MAX overflows");
	}
}

/* The one-pass parse of "NAME=value" strings: the last of a name wins
 * (PHP-FPM; nginx's override of an included fastcgi_params line comes
 * last), empty is absent, near names ignored. */
static void
test_parse_env(void)
{
	struct req	 r;
	char		*envp[] = {
		"REQUEST_METHOD=POST",
		"REQUEST_METHODX=GET",
		"REQUEST_URI=/a/token",
		"REQUEST_URI=/b/protected",
		"CONTENT_LENGTH=7",
		"CONTENT_TYPE=",
		"HTTP_AUTHORIZATION=",
		"NOEQUALS",
		"FCGI_ROLE=AUTHORIZER",
		"HTTP_HOST=h=1",
		NULL
	};

	req_parse_env(&r, envp);
	is_int(r.method, REQ_POST, "env: method");
	is_int(r.route, ROUTE_PROTECTED, "env: the last REQUEST_URI wins");
	is_str(r.path, "/b/protected", "env: path");
	is_int(r.content_length, 7, "env: length");
	ok(r.content_type == NULL, "env: empty CONTENT_TYPE is absent");
	is_str(r.authorization, "", "env: empty Authorization kept");
	is_int(r.role, REQ_AUTHORIZER, "env: role");
	is_str(r.host, "h=1", "env: value cut at the first '='");
	envp[0] = NULL;
	req_parse_env(&r, envp);
	is_int(r.method, REQ_OTHER, "env: empty list");
	is_int(r.route, ROUTE_NONE, "env: empty list routes nowhere");
}

/* Over TLS: HTTPS "on" or "1", or REQUEST_SCHEME "https" (mod_ssl sets
 * HTTPS only after mod_authnz_fcgi's authorizer has run). */
static void
test_secure(void)
{
	static const struct {
		const char	*https, *scheme;
		bool		 secure;
	} c[] = {
		{ "on", NULL, true }, { "ON", NULL, true }, { "1", NULL, true },
		{ NULL, "https", true }, { NULL, "HTTPS", true },
		{ "off", "https", true }, { "off", NULL, false },
		{ NULL, "http", false }, { "", "", false }, { NULL, NULL, false },
		{ "0", "httpsx", false },
	};
	struct req	 r;
	char		 name[96];
	size_t		 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct env	 e = { { "REQUEST_URI", "/login",
		    "HTTPS", c[i].https, "REQUEST_SCHEME", c[i].scheme,
		    NULL } };

		if (c[i].https == NULL) {
			e.kv[2] = "REQUEST_SCHEME";
			e.kv[3] = c[i].scheme;
			e.kv[4] = NULL;
		}
		req_parse(&r, env_get, &e);
		snprintf(name, sizeof(name), "secure: HTTPS %s, "
		    "REQUEST_SCHEME %s", c[i].https != NULL ? c[i].https :
		    "(none)", c[i].scheme != NULL ? c[i].scheme : "(none)");
		ok(r.secure == c[i].secure, name);
	}
}

int
main(void)
{
	test_route();
	test_secure();
	test_parse();
	test_parse_env();
	test_long_path();
	test_bearer();
	test_basic();
	test_resp();
	return done_testing();
}
