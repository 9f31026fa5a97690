/*
 * The endpoints driven through serve_request() with a fake serve_io (no
 * web server): the client-authentication matrix, scope grants, refresh
 * token reuse, and every row of the error table (ep_err.c), the
 * reachable ones by a request that gets them.  Real parts otherwise:
 * authgatectl makes the GDBM files and the key in a temporary
 * directory.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "../src/authgate.h"
#include "../src/authz.h"
#include "../src/b64.h"
#include "../src/code.h"
#include "../src/conf.h"
#include "../src/ep_err.h"
#include "../src/jwt.h"
#include "../src/key.h"
#include "../src/metrics.h"
#include "../src/resp.h"
#include "../src/redirect.h"
#include "../src/route.h"
#include "../src/serve.h"
#include "../src/session.h"
#include "../src/state.h"
#include "../src/store.h"
#include "../src/vcache.h"
#include "tap.h"

#define OUT_MAX		(RESP_OUT_MAX + 1)
#define ENV_MAX		16
#define ENV_LINE_MAX	(AG_TOKEN_MAX + 64)

/* One request's input and output. */
struct fake {
	const char	*body;
	size_t		 bodylen, off;
	char		 out[OUT_MAX];
	size_t		 outlen;
};

static long
fake_read(void *arg, char *buf, size_t n)
{
	struct fake	*f = arg;

	if (n > f->bodylen - f->off)
		n = f->bodylen - f->off;
	memcpy(buf, f->body + f->off, n);
	f->off += n;
	return (long)n;
}

static int
fake_write(void *arg, const char *buf, size_t n)
{
	struct fake	*f = arg;

	if (n > sizeof(f->out) - 1 - f->outlen)
		return -1;
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	f->out[f->outlen] = '\0';
	return 0;
}

struct ask {
	const char	*method, *path, *body, *auth;
	const char	*extra;		/* one more "NAME=value", or NULL */
	const char	*extra2, *extra3;	/* two more */
};

/* Answer one request; returns its status and the body in *bodyp. */
static int
request(const struct ask *a, struct fake *f, const char **bodyp)
{
	static char	 env[ENV_MAX][ENV_LINE_MAX];
	char		*envp[ENV_MAX + 1];
	int		 n = 0, i;
	const char	*st, *b, *q;
	struct serve_io	 io;

	memset(f, 0, sizeof(*f));
	f->body = a->body != NULL ? a->body : "";
	f->bodylen = strlen(f->body);
	(void)snprintf(env[n++], sizeof(env[0]), "REQUEST_METHOD=%s",
	    a->method);
	(void)snprintf(env[n++], sizeof(env[0]), "REQUEST_URI=%s", a->path);
	/* a query goes to QUERY_STRING, as a web server passes it */
	q = strchr(a->path, '?');
	(void)snprintf(env[n++], sizeof(env[0]), "SCRIPT_NAME=%.*s",
	    q != NULL ? (int)(q - a->path) : (int)strlen(a->path), a->path);
	if (q != NULL)
		(void)snprintf(env[n++], sizeof(env[0]), "QUERY_STRING=%s",
		    q + 1);
	(void)snprintf(env[n++], sizeof(env[0]), "REMOTE_ADDR=127.0.0.1");
	(void)snprintf(env[n++], sizeof(env[0]), "HTTP_HOST=auth.example");
	if (a->body != NULL) {
		(void)snprintf(env[n++], sizeof(env[0]), "CONTENT_TYPE=%s",
		    "application/x-www-form-urlencoded");
		(void)snprintf(env[n++], sizeof(env[0]), "CONTENT_LENGTH=%zu",
		    f->bodylen);
	}
	if (a->auth != NULL)
		(void)snprintf(env[n++], sizeof(env[0]),
		    "HTTP_AUTHORIZATION=%s", a->auth);
	if (a->extra2 != NULL)
		(void)snprintf(env[n++], sizeof(env[0]), "%s", a->extra2);
	if (a->extra3 != NULL)
		(void)snprintf(env[n++], sizeof(env[0]), "%s", a->extra3);
	if (a->extra != NULL)	/* last: it overrides (req_parse_env) */
		(void)snprintf(env[n++], sizeof(env[0]), "%s", a->extra);
	for (i = 0; i < n; i++)
		envp[i] = env[i];
	envp[n] = NULL;
	io.envp = envp;
	io.read = fake_read;
	io.write = fake_write;
	io.arg = f;
	serve_request(&io);
	*bodyp = (b = strstr(f->out, "\r\n\r\n")) != NULL ? b + 4 : "";
	if (strncmp(f->out, "Status: ", 8) != 0)
		return 0;
	st = f->out + 8;
	return atoi(st);
}

/* The value of the top-level JSON string field name in body ("" if
 * absent); enough for the bodies authgate writes. */
static const char *
field(const char *body, const char *name)
{
	static char	 v[4096];
	char		 key[64];
	const char	*p;
	size_t		 n = 0;

	(void)snprintf(key, sizeof(key), "\"%s\":\"", name);
	v[0] = '\0';
	if ((p = strstr(body, key)) == NULL)
		return v;
	for (p += strlen(key); *p != '\0' && *p != '"' && n < sizeof(v) - 1;
	    p++)
		v[n++] = *p;
	v[n] = '\0';
	return v;
}

#define APP_CB		"https://app.example/cb"
#define APP_CB_ENC	"https%3A%2F%2Fapp.example%2Fcb"
/* svc:Svc-secret-1 */
#define SVC_BASIC	"Basic c3ZjOlN2Yy1zZWNyZXQtMQ=="
#define VERIFIER	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
/* BASE64URL(SHA256(VERIFIER)), RFC 7636 appendix B */
#define CHALLENGE	"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static char	 dir[] = "/tmp/t_ep.XXXXXX";
static char	 conf[512];

static int
ctl(const char *input, const char *fmt, ...)
{
	char		 cmd[2048], args[1024];
	const char	*bd = getenv("top_builddir");
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	(void)snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | "
	    "%s/authgatectl -c %s %s >/dev/null 2>&1", input != NULL ?
	    input : "", bd != NULL ? bd : ".", conf, args);
	return system(cmd);
}

static void
setup(void)
{
	FILE	*fp;

	if (mkdtemp(dir) == NULL)
		exit(1);
	(void)snprintf(conf, sizeof(conf), "%s/authgate.conf", dir);
	if ((fp = fopen(conf, "w")) == NULL)
		exit(1);
	fprintf(fp, "user_db = %s/users.db\nstate_db = %s/state.db\n"
	    "key_file = %s/signing.key\nkey_dir = %s/keys\n"
	    "password_hash = scrypt:ln=4,r=8,p=1\naudit_log = off\n",
	    dir, dir, dir, dir);
	fclose(fp);
	ok(ctl(NULL, "init") == 0, "authgatectl init");
	ok(ctl("Alice-pw-1", "user add alice --scope 'read api:read' "
	    "--password-stdin") == 0, "user alice (read api:read)");
	ok(ctl("Web-secret-1", "client add web --secret-stdin") == 0,
	    "confidential client web");
	ok(ctl(NULL, "client add spa --public") == 0, "public client spa");
	ok(ctl(NULL, "client add app --public --grant authorization_code "
	    "--grant refresh_token --redirect-uri " APP_CB " --redirect-uri "
	    "http://127.0.0.1:9/cb") == 0,
	    "public client app, authorization_code");
	ok(ctl(NULL, "client add app2 --public --grant authorization_code "
	    "--redirect-uri " APP_CB " --scope read") == 0,
	    "public client app2, authorization_code, no refresh, scope read");
	ok(ctl("Svc-secret-1", "client add svc --secret-stdin --grant "
	    "client_credentials --scope 'api:read api:write'") == 0,
	    "confidential client svc, client_credentials");
	ok(ctl("Bob-pw-1", "user add bob --scope 'read' --password-stdin") ==
	    0, "user bob (read)");
	ok(ctl(NULL, "client add narrow --public --scope read") == 0,
	    "public client narrow, default grants, scope read");
	ok(ctl("Sam-pw-1", "user add sam --scope read --password-stdin") == 0,
	    "user sam (read), for the sign-in page");
	serve_init(conf);
}

#define LOGIN		"username=alice&password=Alice-pw-1"
/* web:Web-secret-1 */
#define WEB_BASIC	"Basic d2ViOldlYi1zZWNyZXQtMQ=="
#define WEB_WRONG	"Basic d2ViOndyb25n"			/* web:wrong */

/* The client-authentication matrix of /token (RFC 6749 2.3). */
static const struct {
	const char	*body, *auth, *name;
	int		 status;
	const char	*error;
} clients[] = {
	{ LOGIN, NULL, "no client: the default one", 200, "" },
	{ LOGIN "&client_id=web&client_secret=Web-secret-1", NULL,
	    "form secret", 200, "" },
	{ LOGIN, WEB_BASIC, "Basic", 200, "" },
	{ LOGIN "&client_id=web", WEB_BASIC, "Basic and the same client_id",
	    200, "" },
	{ LOGIN "&client_id=spa", NULL, "public client, no secret", 200, "" },
	{ LOGIN "&client_id=spa&client_secret=", NULL,
	    "public client, empty secret", 200, "" },
	{ LOGIN "&client_id=web", NULL, "confidential, no secret", 401,
	    "invalid_client" },
	{ LOGIN, WEB_WRONG, "wrong secret", 401, "invalid_client" },
	{ LOGIN "&client_id=nobody&client_secret=x", NULL, "unknown client",
	    401, "invalid_client" },
	{ LOGIN "&client_id=spa&client_secret=x", NULL,
	    "public client with a secret", 401, "invalid_client" },
	{ LOGIN "&client_id=a%3Ab&client_secret=x", NULL,
	    "id that is no name", 401, "invalid_client" },
	{ LOGIN "&client_secret=Web-secret-1", WEB_BASIC,
	    "Basic and client_secret", 400, "invalid_request" },
	{ LOGIN "&client_id=spa", WEB_BASIC, "Basic and another client_id",
	    400, "invalid_request" },
	{ LOGIN "&client_secret=x", NULL, "secret without id", 400,
	    "invalid_request" },
	{ LOGIN, "Basic !!!", "malformed Basic", 400, "invalid_request" },
	{ LOGIN, "Bearer abc", "another scheme: no client", 200, "" },
};

static void
test_clients(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/token", NULL, NULL, NULL };
	const char	*body;
	size_t		 i;

	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		a.body = clients[i].body;
		a.auth = clients[i].auth;
		is_int(request(&a, &f, &body), clients[i].status,
		    clients[i].name);
		is_str(field(body, "error"), clients[i].error, "  error");
	}
	a.body = LOGIN;
	a.auth = NULL;
	(void)request(&a, &f, &body);
	a.path = "/introspect";
	a.body = "token=x";
	is_int(request(&a, &f, &body), 401,
	    "introspect needs a confidential client");
	ok(strstr(f.out, "WWW-Authenticate: Basic realm=\"authgate\"") !=
	    NULL, "  with a Basic challenge");
}

/* Scope grants (scope_grant through /token). */
static const struct {
	const char	*body;
	int		 status;
	const char	*scope, *error;
} scopes[] = {
	{ LOGIN "&scope=api%3Aread", 200, "api:read", "" },
	{ LOGIN "&scope=api%3Aread+read", 200, "api:read read", "" },
	{ LOGIN, 200, "read api:read", "" },
	{ LOGIN "&scope=", 200, "read api:read", "" },
	{ LOGIN "&scope=api%3Awrite", 400, "", "invalid_scope" },
	{ LOGIN "&scope=read++api%3Aread", 400, "", "invalid_scope" },
	{ LOGIN "&scope=%22", 400, "", "invalid_scope" },
};

static void
test_scopes(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/token", NULL, NULL, NULL };
	const char	*body;
	char		 tok[4096], bearer[4200];
	size_t		 i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		a.body = scopes[i].body;
		is_int(request(&a, &f, &body), scopes[i].status,
		    scopes[i].body);
		is_str(field(body, "scope"), scopes[i].scope, "  scope");
		is_str(field(body, "error"), scopes[i].error, "  error");
	}
	a.body = LOGIN "&scope=api%3Aread";
	(void)request(&a, &f, &body);
	(void)snprintf(tok, sizeof(tok), "%s", field(body, "access_token"));
	(void)snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	a = (struct ask){ "GET", "/protected", NULL, bearer,
	    "AUTHGATE_REQUIRE_SCOPE=api:read" };
	is_int(request(&a, &f, &body), 200, "/protected requiring api:read");
	a.extra = "AUTHGATE_REQUIRE_SCOPE=read";
	is_int(request(&a, &f, &body), 403, "/protected requiring read: 403");
	ok(strstr(f.out, "insufficient_scope") != NULL, "  insufficient_scope");
}

/* A refresh token is used once; its reuse fails and ends the family. */
static void
test_refresh(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/token", LOGIN, NULL, NULL };
	const char	*body;
	char		 r1[512], r2[512], req[600];

	is_int(request(&a, &f, &body), 200, "login");
	(void)snprintf(r1, sizeof(r1), "%s", field(body, "refresh_token"));
	ok(r1[0] != '\0', "  a refresh token");
	(void)snprintf(req, sizeof(req),
	    "grant_type=refresh_token&refresh_token=%s", r1);
	a.body = req;
	is_int(request(&a, &f, &body), 200, "refresh");
	(void)snprintf(r2, sizeof(r2), "%s", field(body, "refresh_token"));
	ok(r2[0] != '\0' && strcmp(r1, r2) != 0, "  rotated");
	is_int(request(&a, &f, &body), 400, "reuse of the first");
	is_str(field(body, "error"), "invalid_grant", "  invalid_grant");
	(void)snprintf(req, sizeof(req),
	    "grant_type=refresh_token&refresh_token=%s", r2);
	is_int(request(&a, &f, &body), 400, "the family ended with the reuse");
}

/* ---- browser sign-in: /login and /logout (ep_login.c) ---- */

/* 43 base64url characters: a well-formed token. */
#define CSRF_TOKEN	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define CSRF_COOKIE	"HTTP_COOKIE=authgate_csrf=" CSRF_TOKEN
#define SAM		"username=sam&password=Sam-pw-1&csrf=" CSRF_TOKEN
#define BAD_SAM		"username=sam&password=wrong&csrf=" CSRF_TOKEN

/* The value of response header name in f->out ("" if absent). */
static const char *
header(const struct fake *f, const char *name)
{
	static char	 v[4096];
	char		 key[128];
	const char	*p, *end = strstr(f->out, "\r\n\r\n");
	size_t		 n = 0;

	(void)snprintf(key, sizeof(key), "\r\n%s: ", name);
	v[0] = '\0';
	if ((p = strstr(f->out, key)) == NULL || (end != NULL && p > end))
		return v;
	for (p += strlen(key); *p != '\0' && *p != '\r' && n < sizeof(v) - 1;
	    p++)
		v[n++] = *p;
	v[n] = '\0';
	return v;
}

/* The headers of every page (html.c). */
static void
page_headers(const struct fake *f, const char *what)
{
	char	 name[160];

	(void)snprintf(name, sizeof(name), "  %s: text/html, no-store, CSP, "
	    "no framing", what);
	ok(strcmp(header(f, "Content-Type"), "text/html; charset=utf-8") ==
	    0 && strcmp(header(f, "Cache-Control"), "no-store") == 0 &&
	    strstr(header(f, "Content-Security-Policy"),
	    "default-src 'none'") != NULL &&
	    strstr(header(f, "Content-Security-Policy"),
	    "frame-ancestors 'none'") != NULL &&
	    strcmp(header(f, "X-Frame-Options"), "DENY") == 0 &&
	    strcmp(header(f, "X-Content-Type-Options"), "nosniff") == 0, name);
}

static void
test_login_page(void)
{
	struct fake	 f;
	struct ask	 a = { "GET", "/oauth/login", NULL, NULL, NULL };
	const char	*body;
	char		 tok[128], want[256];

	is_int(request(&a, &f, &body), 200, "GET /login: 200");
	page_headers(&f, "GET /login");
	(void)snprintf(tok, sizeof(tok), "%s", header(&f, "Set-Cookie"));
	ok(strncmp(tok, "authgate_csrf=", 14) == 0 &&
	    strstr(tok, "; HttpOnly") != NULL &&
	    strstr(tok, "SameSite=Strict") != NULL &&
	    strstr(tok, "Path=/") != NULL && strstr(tok, "Secure") == NULL,
	    "  sets authgate_csrf: HttpOnly, SameSite=Strict, Path=/");
	tok[14 + 43] = '\0';
	(void)snprintf(want, sizeof(want), "name=\"csrf\" value=\"%s\"",
	    tok + 14);
	ok(strstr(body, want) != NULL, "  the same value in the field csrf");
	ok(strstr(body, "action=\"/oauth/login\"") != NULL,
	    "  the form posts to <base>/login");
	ok(strstr(body, "autocomplete=\"username\"") != NULL &&
	    strstr(body, "autocomplete=\"current-password\"") != NULL &&
	    strstr(body, "<label for=\"password\">") != NULL,
	    "  labels and autocomplete");
	ok(strstr(body, "name=\"rd\"") == NULL, "  no rd asked, none kept");

	a.extra2 = CSRF_COOKIE;
	(void)request(&a, &f, &body);
	is_str(header(&f, "Set-Cookie"), "authgate_csrf=" CSRF_TOKEN
	    "; Path=/; HttpOnly; SameSite=Strict",
	    "a well-formed CSRF cookie is kept");
	a.extra2 = "HTTP_COOKIE=authgate_csrf=short";
	(void)request(&a, &f, &body);
	ok(strstr(header(&f, "Set-Cookie"), "=short") == NULL,
	    "a malformed one is replaced");
	a.extra2 = "HTTPS=on";
	(void)request(&a, &f, &body);
	ok(strncmp(header(&f, "Set-Cookie"), "__Host-authgate_csrf=", 21) ==
	    0 && strstr(header(&f, "Set-Cookie"), "; Secure") != NULL,
	    "over HTTPS: __Host-authgate_csrf, Secure");
	a.extra2 = NULL;

	a.extra = "QUERY_STRING=rd=%2Fprivate%2Fpage%3Fa%3D1%26b%3D2";
	(void)request(&a, &f, &body);
	ok(strstr(body, "name=\"rd\" value=\"/private/page?a=1&amp;b=2\"") !=
	    NULL, "rd of the query kept in the form, escaped");
	a.extra = "QUERY_STRING=rd=%2F%3Cscript%3Ealert(1)%3C%2Fscript%3E";
	(void)request(&a, &f, &body);
	ok(strstr(body, "<script") == NULL &&
	    strstr(body, "value=\"/&lt;script&gt;alert(1)&lt;/script&gt;\"")
	    != NULL, "an rd holding <script> stays text");
	a.extra = "QUERY_STRING=rd=%2F%2Fevil.example";
	(void)request(&a, &f, &body);
	ok(strstr(body, "name=\"rd\"") == NULL, "rd //evil is dropped");
	a.extra = "QUERY_STRING=rd=%09%2F%2Fevil.example";
	(void)request(&a, &f, &body);
	ok(strstr(body, "name=\"rd\"") == NULL, "rd %09//evil is dropped");
	a.extra = NULL;
	a.method = "HEAD";
	is_int(request(&a, &f, &body), 200, "HEAD /login: 200");
	is_str(body, "", "  no body");
}

static const struct {
	const char	*name, *body;
	const char	*more[3];
	int		 status;
	const char	*text;
} refused[] = {
	{ "no CSRF cookie", BAD_SAM, { NULL }, 403, "form expired" },
	{ "no CSRF field", "username=sam&password=Sam-pw-1",
	    { CSRF_COOKIE }, 403, "form expired" },
	{ "a CSRF field not the cookie's", "username=sam&password=Sam-pw-1"
	    "&csrf=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA",
	    { CSRF_COOKIE }, 403, "form expired" },
	{ "a CSRF cookie twice", BAD_SAM, { CSRF_COOKIE "; authgate_csrf="
	    CSRF_TOKEN }, 403, "form expired" },
	{ "Origin another site", SAM, { CSRF_COOKIE,
	    "HTTP_ORIGIN=http://evil.example" }, 403, "another site" },
	{ "Origin another port", SAM, { CSRF_COOKIE,
	    "HTTP_ORIGIN=http://auth.example:8080" }, 403, "another site" },
	{ "Origin https, request http", SAM, { CSRF_COOKIE,
	    "HTTP_ORIGIN=https://auth.example" }, 403, "another site" },
	{ "Origin null", SAM, { CSRF_COOKIE, "HTTP_ORIGIN=null" }, 403,
	    "another site" },
	{ "Sec-Fetch-Site cross-site", SAM, { CSRF_COOKIE,
	    "HTTP_SEC_FETCH_SITE=cross-site" }, 403, "another site" },
	{ "Sec-Fetch-Site same-site", SAM, { CSRF_COOKIE,
	    "HTTP_SEC_FETCH_SITE=same-site" }, 403, "another site" },
	{ "the same origin, a wrong password", BAD_SAM, { CSRF_COOKIE,
	    "HTTP_ORIGIN=http://auth.example:80",
	    "HTTP_SEC_FETCH_SITE=same-origin" }, 401,
	    "Wrong user name or password, or the account is locked." },
	{ "an unknown user: the same message", "username=nobody&password=x"
	    "&csrf=" CSRF_TOKEN, { CSRF_COOKIE }, 401,
	    "Wrong user name or password, or the account is locked." },
	{ "no password", "username=sam&csrf=" CSRF_TOKEN, { CSRF_COOKIE },
	    400, "Enter your user name and password." },
	{ "rd twice", SAM "&rd=%2Fa&rd=%2Fb", { CSRF_COOKIE }, 400,
	    "field twice" },
};

static void
test_login_post(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/oauth/login", NULL, NULL, NULL };
	const char	*body;
	char		 name[160];
	size_t		 i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		a.body = refused[i].body;
		a.extra2 = refused[i].more[0];
		a.extra3 = refused[i].more[1];
		a.extra = refused[i].more[2];
		(void)snprintf(name, sizeof(name), "POST /login, %s: %d",
		    refused[i].name, refused[i].status);
		is_int(request(&a, &f, &body), refused[i].status, name);
		ok(strstr(body, refused[i].text) != NULL, refused[i].text);
		ok(strstr(body, "name=\"csrf\" value=\"") != NULL &&
		    strstr(header(&f, "Set-Cookie"), "authgate_csrf=") != NULL,
		    "  a fresh form");
		ok(strstr(header(&f, "Set-Cookie"), "authgate_session") ==
		    NULL, "  no session");
	}
	page_headers(&f, "a refused sign-in");
	a.body = "username=%3Cb%3Esam%22&password=x&csrf=" CSRF_TOKEN
	    "&rd=%2Fprivate%2F%3Cscript%3E";
	a.extra2 = CSRF_COOKIE;
	a.extra3 = NULL;
	a.extra = NULL;
	is_int(request(&a, &f, &body), 401, "a user name with markup: 401");
	ok(strstr(body, "value=\"&lt;b&gt;sam&quot;\"") != NULL,
	    "  the user name kept, escaped");
	ok(strstr(body, "name=\"rd\" value=\"/private/&lt;script&gt;\"") !=
	    NULL, "  rd carried through the failure, escaped");
	ok(strstr(body, "<script") == NULL && strstr(body, "<b>") == NULL,
	    "  no markup of theirs");
	a.body = "username=sam&password=x&csrf=" CSRF_TOKEN "&rd=%2F%2Fevil";
	(void)request(&a, &f, &body);
	ok(strstr(body, "name=\"rd\"") == NULL, "  a bad rd is not carried");
}

static void
test_login_session(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/oauth/login",
	    SAM "&rd=%2Fprivate%2Fx", NULL, NULL, CSRF_COOKIE, NULL };
	const char	*body;
	char		 cookie[ENV_LINE_MAX], *semi;
	char		 longrd[REDIRECT_RD_MAX + 1];
	char		 longbody[REDIRECT_RD_MAX + 256];

	is_int(request(&a, &f, &body), 303, "a good sign-in: 303");
	is_str(header(&f, "Location"), "/private/x", "  to rd");
	ok(strncmp(header(&f, "Set-Cookie"), "authgate_session=", 17) == 0,
	    "  with the session cookie");
	page_headers(&f, "the 303");
	(void)snprintf(cookie, sizeof(cookie), "HTTP_COOKIE=%s; %s",
	    header(&f, "Set-Cookie"), CSRF_COOKIE + 12);
	if ((semi = strchr(cookie, ';')) != NULL)	/* name=value only */
		(void)snprintf(semi, sizeof(cookie) - (size_t)(semi - cookie),
		    "; %s", CSRF_COOKIE + 12);
	/* The longest rd: its Location and the cookie fit the headers. */
	memset(longrd, 'a', sizeof(longrd) - 1);
	longrd[0] = '/';
	longrd[sizeof(longrd) - 1] = '\0';
	(void)snprintf(longbody, sizeof(longbody), SAM "&rd=%s", longrd);
	a.body = longbody;
	is_int(request(&a, &f, &body), 303, "rd of REDIRECT_RD_MAX bytes: 303");
	is_str(header(&f, "Location"), longrd, "  to it");
	longbody[strlen(longbody) - 1] = 'b';
	(void)snprintf(longbody + strlen(longbody), 2, "c");
	(void)request(&a, &f, &body);
	is_str(header(&f, "Location"), "/", "  one byte more: login_redirect");

	a.body = SAM "&rd=%2F%2Fevil.example";
	(void)request(&a, &f, &body);
	is_str(header(&f, "Location"), "/", "rd //evil: to login_redirect");
	a.body = SAM "&rd=https%3A%2F%2Fevil.example";
	(void)request(&a, &f, &body);
	is_str(header(&f, "Location"), "/", "rd https://evil: login_redirect");
	a.body = SAM "&rd=%2F%5Cevil.example";
	(void)request(&a, &f, &body);
	is_str(header(&f, "Location"), "/", "rd /\\evil: login_redirect");

	/* With the session: GET shows who is signed in. */
	a = (struct ask){ "GET", "/oauth/login", NULL, NULL,
	    "QUERY_STRING=rd=%2Fprivate%2Fx", cookie, NULL };
	is_int(request(&a, &f, &body), 200, "GET /login with a session");
	ok(strstr(body, "Signed in as <strong>sam</strong>") != NULL,
	    "  Signed in as sam");
	ok(strstr(body, "action=\"/oauth/logout\"") != NULL,
	    "  a sign-out form");
	ok(strstr(body, "href=\"/private/x\"") != NULL, "  a link to rd");

	a = (struct ask){ "POST", "/oauth/login", BAD_SAM, NULL, NULL,
	    cookie, NULL };
	is_int(request(&a, &f, &body), 401,
	    "a wrong password with a session: 401");
	ok(strstr(body, "Signed in as") == NULL &&
	    strstr(body, "name=\"password\"") != NULL, "  the form again");

	a = (struct ask){ "POST", "/oauth/logout", "", NULL, NULL,
	    cookie, NULL };
	is_int(request(&a, &f, &body), 403, "POST /logout without csrf: 403");
	ok(strstr(body, "Your sign-out form expired") != NULL &&
	    strstr(body, "Signed in as <strong>sam</strong>") != NULL &&
	    strstr(body, "action=\"/oauth/logout\"") != NULL,
	    "  the sign-out form again, with its message");
	a.body = "csrf=" CSRF_TOKEN;
	a.extra3 = "HTTP_ORIGIN=http://evil.example";
	is_int(request(&a, &f, &body), 403, "POST /logout from elsewhere: 403");
	a.extra3 = NULL;
	is_int(request(&a, &f, &body), 303, "POST /logout: 303");
	is_str(header(&f, "Location"), "/oauth/login", "  to login_url");
	ok(strncmp(header(&f, "Set-Cookie"), "authgate_session=;", 18) == 0,
	    "  the cookie cleared");
	a = (struct ask){ "GET", "/oauth/login", NULL, NULL, NULL,
	    cookie, NULL };
	(void)request(&a, &f, &body);
	ok(strstr(body, "Signed in as") == NULL &&
	    strstr(body, "name=\"password\"") != NULL,
	    "the ended session no longer counts: the form again");
}

/* Every row of the table: ep_fail() gives it; requests reach most. */
static const struct {
	enum ep_fail	 f;
	struct ask	 a;		/* method NULL: not reachable here */
} reach[] = {
	{ EPF_NO_ENDPOINT, { "GET", "/nope", NULL, NULL, NULL } },
	{ EPF_METHOD, { "GET", "/token", NULL, NULL, NULL } },
	{ EPF_CLEN, { "POST", "/token", "", NULL, "CONTENT_LENGTH=1x" } },
	{ EPF_BODY_LARGE, { "POST", "/token", "", NULL,
	    "CONTENT_LENGTH=9999999" } },
	{ EPF_CTYPE, { "POST", "/token", "a=b", NULL,
	    "CONTENT_TYPE=text/plain" } },
	{ EPF_BODY_SHORT, { "POST", "/token", "a=b", NULL,
	    "CONTENT_LENGTH=10" } },
	{ EPF_BODY_MALFORMED, { "POST", "/token", "a=%zz", NULL, NULL } },
	{ EPF_BODY_FIELDS, { "POST", "/token", "a&a&a&a&a&a&a&a&a&a&a&a&a&a"
	    "&a&a&a&a&a&a&a&a&a&a&a&a&a&a&a&a&a&a&a", NULL, NULL } },
	{ EPF_REPEATED, { "POST", "/token", LOGIN "&username=bob", NULL,
	    NULL } },
	{ EPF_HOST, { "GET", "/.well-known/oauth-authorization-server", NULL,
	    NULL, "HTTP_HOST=a/b" } },
	{ EPF_METRICS_FORBIDDEN, { "GET", "/metrics", NULL, NULL,
	    "REMOTE_ADDR=192.0.2.1" } },
	{ EPF_AUTH_MALFORMED, { "POST", "/token", LOGIN, "Basic !!!", NULL } },
	{ EPF_CLIENT_TWO_METHODS, { "POST", "/token", LOGIN
	    "&client_secret=x", WEB_BASIC, NULL } },
	{ EPF_CLIENT_SECRET_ALONE, { "POST", "/token", LOGIN
	    "&client_secret=x", NULL, NULL } },
	{ EPF_CLIENT_INVALID, { "POST", "/token", LOGIN, WEB_WRONG, NULL } },
	{ EPF_GRANT_TYPE, { "POST", "/token", "grant_type=implicit", NULL,
	    NULL } },
	{ EPF_LOGIN_MISSING, { "POST", "/token", "username=alice", NULL,
	    NULL } },
	{ EPF_LOGIN_LONG, { "POST", "/token", "password=x&username="
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    NULL, NULL } },
	{ EPF_LOGIN, { "POST", "/token", "username=alice&password=no", NULL,
	    NULL } },
	{ EPF_REFRESH_MISSING, { "POST", "/token", "grant_type=refresh_token",
	    NULL, NULL } },
	{ EPF_REFRESH, { "POST", "/token",
	    "grant_type=refresh_token&refresh_token=bogus", NULL, NULL } },
	{ EPF_SCOPE_MALFORMED, { "POST", "/token", LOGIN "&scope=%22", NULL,
	    NULL } },
	{ EPF_SCOPE_EXCEEDS, { "POST", "/token", LOGIN "&scope=admin", NULL,
	    NULL } },
	{ EPF_UNAUTHORIZED_CLIENT, { "POST", "/token",
	    "grant_type=client_credentials", NULL, NULL } },
	{ EPF_CODE_MISSING, { "POST", "/token",
	    "grant_type=authorization_code&client_id=app&code=x", NULL,
	    NULL } },
	{ EPF_CODE, { "POST", "/token", "grant_type=authorization_code"
	    "&client_id=app&code=x&redirect_uri=" APP_CB_ENC
	    "&code_verifier=" VERIFIER, NULL, NULL } },
	{ EPF_TOKEN_MISSING, { "POST", "/revoke", "", NULL, NULL } },
	{ EPF_MISCONFIGURED, { NULL, NULL, NULL, NULL, NULL } },
	{ EPF_UNAVAILABLE, { NULL, NULL, NULL, NULL, NULL } },
	{ EPF_NOMEM, { NULL, NULL, NULL, NULL, NULL } },
	{ EPF_SERVER_ERROR, { NULL, NULL, NULL, NULL, NULL } },
};

static bool
error_chars(const char *s)
{
	/* RFC 6749 5.2: %x20-21 / %x23-5B / %x5D-7E */
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void
test_errors(void)
{
	const struct ep_fail_row	*row;
	struct resp			 rs;
	struct fake			 f;
	const char			*body;
	size_t				 i, seen = 0;
	char				 name[128];

	is_int(sizeof(reach) / sizeof(reach[0]), EPF__MAX,
	    "a case for every row");
	for (i = 0; i < sizeof(reach) / sizeof(reach[0]); i++) {
		row = ep_fail_row(reach[i].f);
		ok(row->status >= 400 && row->status <= 599 &&
		    error_chars(row->error) && error_chars(row->description) &&
		    row->error[0] != '\0', "row: status and RFC 6749 text");
		resp_init(&rs);
		ep_fail(&rs, reach[i].f);
		is_int(rs.status, row->status, "  ep_fail sets the status");
		is_str(field(rs.body, "error"), row->error, "  and the error");
		if (reach[i].a.method == NULL)
			continue;
		(void)snprintf(name, sizeof(name), "%s %s -> %d %s",
		    reach[i].a.method, reach[i].a.path, row->status,
		    row->error);
		is_int(request(&reach[i].a, &f, &body), row->status, name);
		is_str(field(body, "error_description"), row->description,
		    "  the row's description");
		seen++;
	}
	printf("# %zu of %d rows reached by a request\n", seen, EPF__MAX);
	is_int(ep_fail_of(AG_ENOMEM), EPF_NOMEM, "ENOMEM: 503");
	is_int(ep_fail_of(AG_EUNAVAIL), EPF_UNAVAILABLE, "EUNAVAIL: 503");
	is_int(ep_fail_of(AG_EINVAL), EPF_SERVER_ERROR, "EINVAL: 500");
	is_int(ep_fail_row((enum ep_fail)999)->status, 500,
	    "out of range: 500");
}

/* The route table: methods, Allow, roles; and what a request gets. */
static void
test_routes(void)
{
	struct fake	 f;
	struct ask	 a = { "PUT", "/token", NULL, NULL, NULL };
	const char	*body;
	int		 r;

	is_str(route_allow(route_def(ROUTE_TOKEN)), "POST", "Allow /token");
	is_str(route_allow(route_def(ROUTE_PROTECTED)), "GET, HEAD, POST",
	    "Allow /protected");
	is_str(route_allow(route_def(ROUTE_JWKS)), "GET, HEAD", "Allow jwks");
	ok(route_def(ROUTE_NONE) == NULL, "no definition for ROUTE_NONE");
	for (r = ROUTE_NONE + 1; r < ROUTE__MAX; r++)
		ok(route_def((enum req_route)r) != NULL &&
		    (route_def((enum req_route)r)->handler != NULL) !=
		    route_def((enum req_route)r)->ops,
		    "every route: a handler, or ops");
	ok(route_method_ok(route_def(ROUTE_AUTH), REQ_OTHER),
	    "/auth takes any method (nginx auth_request)");
	ok(!route_method_ok(route_def(ROUTE_JWKS), REQ_POST), "jwks: no POST");
	is_int(request(&a, &f, &body), 405, "PUT /token: 405");
	ok(strstr(f.out, "Allow: POST\r\n") != NULL, "  Allow: POST");
	a = (struct ask){ "POST", "/metrics", "", NULL, NULL };
	is_int(request(&a, &f, &body), 405, "POST /metrics: 405");
	ok(strstr(f.out, "Allow: GET, HEAD\r\n") != NULL, "  Allow: GET, HEAD");
	a = (struct ask){ "HEAD", "/authorize", NULL, NULL, NULL };
	is_int(request(&a, &f, &body), 405,
	    "HEAD /authorize: 405 (it would make a code nobody receives)");
	ok(strstr(f.out, "Allow: GET\r\n") != NULL, "  Allow: GET");
	a = (struct ask){ "GET", "/health/live", NULL, NULL, NULL };
	is_int(request(&a, &f, &body), 200, "GET /health/live");
	a = (struct ask){ "DELETE", "/auth", NULL, "Bearer x", NULL };
	is_int(request(&a, &f, &body), 401, "DELETE /auth: checked, 401");
}


#define AZ	"/authorize?response_type=code&client_id=app&redirect_uri=" \
		APP_CB_ENC "&code_challenge=" CHALLENGE \
		"&code_challenge_method=S256&state=st%26x"

/* GET /authorize: errors before the client and redirect are known on
 * a page, never redirected; after, at the redirect URI with state and
 * iss; a good request without a session to the sign-in page. */
static const struct {
	const char	*path, *name;
	int		 status;
	const char	*in_location;	/* NULL: a page, no Location */
} authz_cases[] = {
	{ "/authorize", "no query: page", 400, NULL },
	{ "/authorize?client_id=nobody&redirect_uri=" APP_CB_ENC,
	    "unknown client: page", 400, NULL },
	{ "/authorize?client_id=app&redirect_uri=https%3A%2F%2Fevil.example"
	    "%2Fcb&response_type=code", "unregistered redirect: page", 400,
	    NULL },
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC "%2F",
	    "a redirect that only starts like one: page", 400, NULL },
	{ "/authorize?client_id=app&response_type=code",
	    "no redirect_uri: page", 400, NULL },
	{ AZ "&redirect_uri=" APP_CB_ENC, "redirect_uri twice: page", 400,
	    NULL },
	{ AZ "&client_id=app", "client_id twice: page", 400, NULL },
	{ "/authorize?client_id=web&redirect_uri=" APP_CB_ENC,
	    "a client with no redirect URI: page", 400, NULL },
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC "&x=%zz",
	    "malformed query: page", 400, NULL },
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC
	    "&response_type=token&state=s1", "response_type=token: redirect",
	    302, APP_CB "?error=unsupported_response_type&error_description="
	    "Only%20response_type%3Dcode%20is%20supported&state=s1&iss=authgate"
	},
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC
	    "&response_type=code&state=s2", "no PKCE: redirect", 302,
	    APP_CB "?error=invalid_request" },
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC
	    "&response_type=code&code_challenge=" VERIFIER
	    "&code_challenge_method=plain", "plain: redirect", 302,
	    APP_CB "?error=invalid_request&error_description="
	    "code_challenge_method%20must%20be%20S256" },
	{ "/authorize?client_id=app&redirect_uri=" APP_CB_ENC
	    "&response_type=code&code_challenge=short"
	    "&code_challenge_method=S256", "short challenge: redirect", 302,
	    APP_CB "?error=invalid_request&error_description=Malformed" },
	{ AZ "&scope=read&scope=read", "scope twice: redirect", 302,
	    APP_CB "?error=invalid_request" },
	{ AZ "&scope=%22", "malformed scope: redirect", 302,
	    APP_CB "?error=invalid_scope" },
	{ AZ "&state=again", "state twice: redirect without it", 302,
	    APP_CB "?error=invalid_request&error_description=state%20is%20"
	    "repeated%20or%20too%20long&iss=authgate" },
	{ AZ, "good, no session: to the sign-in page", 302,
	    "/oauth/login?rd=/authorize%3Fresponse_type%3Dcode%26client_id"
	    "%3Dapp%26redirect_uri%3Dhttps%253A%252F%252Fapp.example" },
};

static void
test_authorize(void)
{
	struct fake	 f;
	struct ask	 a = { "GET", NULL, NULL, NULL, NULL };
	const char	*body, *loc;
	char		 path[ENV_LINE_MAX], name[160];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(authz_cases) / sizeof(authz_cases[0]); i++) {
		a.path = authz_cases[i].path;
		is_int(request(&a, &f, &body), authz_cases[i].status,
		    authz_cases[i].name);
		loc = header(&f, "Location");
		if (authz_cases[i].in_location == NULL) {
			is_str(loc, "", "  no Location");
			ok(strstr(f.out, "Content-Type: text/html; "
			    "charset=utf-8\r\n") != NULL &&
			    strstr(body, "<h1>") != NULL, "  an HTML page");
		} else {
			(void)snprintf(name, sizeof(name), "  Location %.60s",
			    authz_cases[i].in_location);
			ok(strncmp(loc, authz_cases[i].in_location,
			    strlen(authz_cases[i].in_location)) == 0, name);
			if (strncmp(loc, APP_CB, strlen(APP_CB)) == 0 &&
			    strstr(authz_cases[i].name, "without") == NULL)
				ok(strstr(loc, "&iss=authgate") != NULL &&
				    (strstr(loc, "&state=") != NULL) ==
				    (strstr(authz_cases[i].path, "state=") !=
				    NULL), "  with iss, and state if sent");
		}
		ok(strstr(f.out, "Cache-Control: no-store\r\n") != NULL &&
		    strstr(f.out, "Content-Security-Policy: default-src "
		    "'none'") != NULL, "  no-store, CSP");
	}
	/* state comes back as it was sent, & and all */
	a.path = AZ "&response_type=token";
	(void)request(&a, &f, &body);
	ok(strstr(header(&f, "Location"), "&state=st%26x&iss=") != NULL,
	    "state returned verbatim (percent-encoded)");
	/* AUTHZ_STATE_MAX */
	n = snprintf(path, sizeof(path), "%s", "/authorize?response_type=code&"
	    "client_id=app&redirect_uri=" APP_CB_ENC "&code_challenge="
	    CHALLENGE "&code_challenge_method=S256&state=");
	memset(path + n, 's', 257);
	path[n + 257] = '\0';
	a.path = path;
	is_int(request(&a, &f, &body), 302, "state one byte over the limit");
	ok(strstr(header(&f, "Location"), "error=invalid_request") != NULL &&
	    strstr(header(&f, "Location"), "sss") == NULL,
	    "  refused, and not sent back");
	path[n + 256] = '\0';
	is_int(request(&a, &f, &body), 302, "state at the limit");
	ok(strncmp(header(&f, "Location"), "/oauth/login?rd=", 16) == 0,
	    "  accepted (to the sign-in page)");
	/* a query within AUTHZ_QUERY_MAX, but longer than the sign-in
	 * page takes rd (REDIRECT_RD_MAX): it could not come back */
	n = snprintf(path, sizeof(path), "%s", "/authorize?response_type=code&"
	    "client_id=app&redirect_uri=" APP_CB_ENC "&code_challenge="
	    CHALLENGE "&code_challenge_method=S256&state=");
	for (i = 0; i < AUTHZ_STATE_MAX; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%%26");
	n += snprintf(path + n, sizeof(path) - (size_t)n, "&scope=read");
	for (i = 0; i < 200; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "+read");
	is_int(request(&a, &f, &body), 400,
	    "a request too long to come back to after signing in: a page");
	is_str(header(&f, "Location"), "", "  no Location");
	/* AUTHZ_QUERY_MAX */
	n = snprintf(path, sizeof(path), "/authorize?client_id=app&x=");
	memset(path + n, 'x', 2049 - (size_t)n + 11);
	path[2049 + 11] = '\0';
	is_int(request(&a, &f, &body), 400, "query over AUTHZ_QUERY_MAX: page");
	a.path = "/authorize?client_id=%3Cscript%3E&redirect_uri=x";
	(void)request(&a, &f, &body);
	ok(strstr(body, "<script>") == NULL, "no markup from the request");
}

/* The code challenge of a verifier (RFC 7636 4.2). */
static void
challenge_of(const char *verifier, char out[CODE_CHALLENGE_LEN + 1])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	(void)SHA256((const unsigned char *)verifier, strlen(verifier), md);
	(void)b64_encode(md, sizeof(md), out, CODE_CHALLENGE_LEN + 1);
}

static struct conf	 tconf;
static struct state	*tstate;
static struct store	*tstore;

/* A code for user (as /authorize makes one once signed in). */
static void
make_code(const char *client, const char *user, const char *scope,
    time_t now, char code[CODE_LEN + 1])
{
	struct authcode	 ac;
	struct user	 u;

	memset(&ac, 0, sizeof(ac));
	memset(&u, 0, sizeof(u));
	(void)store_user_get(tstore, user, &u);
	(void)snprintf(ac.client_id, sizeof(ac.client_id), "%s", client);
	(void)snprintf(ac.user, sizeof(ac.user), "%s", user);
	(void)snprintf(ac.scope, sizeof(ac.scope), "%s", scope);
	challenge_of(VERIFIER, ac.challenge);
	ac.gen = u.gen;
	if (code_new(tstate, &ac, APP_CB, now, code) != AG_OK)
		code[0] = '\0';
}

static void
exchange(const char *code, const char *client, const char *redirect,
    const char *verifier, char *body, size_t bodysz)
{
	(void)snprintf(body, bodysz, "grant_type=authorization_code&code=%s"
	    "&client_id=%s&redirect_uri=%s&code_verifier=%s", code, client,
	    redirect, verifier);
}

/* POST /token grant_type=authorization_code. */
static void
test_code_grant(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/token", NULL, NULL, NULL };
	const char	*body;
	char		 why[256], code[CODE_LEN + 1], req[2048];
	char		 tok[4096], bearer[4200], rt[1024];
	time_t		 now = time(NULL);

	ok(conf_load(&tconf, conf, why, sizeof(why)) == AG_OK, "conf");
	tstate = state_new(&tconf);
	tstore = store_new(tconf.user_db);
	ok(tstate != NULL && tstore != NULL, "state and store handles");

	make_code("app", "alice", "read", now, code);
	ok(code[0] != '\0', "a code for alice");
	a.body = req;
	exchange(code, "app", APP_CB_ENC, "wrong-verifier-wrong-verifier-wrong-"
	    "verifier", req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "wrong verifier");
	is_str(field(body, "error"), "invalid_grant", "  invalid_grant");
	exchange(code, "app", "https%3A%2F%2Fapp.example%2Fother", VERIFIER,
	    req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "another redirect_uri");
	exchange(code, "app2", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "another client");
	is_str(field(body, "error"), "invalid_grant", "  invalid_grant");
	exchange(code, "spa", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 400,
	    "a client not registered for the grant");
	is_str(field(body, "error"), "unauthorized_client",
	    "  unauthorized_client");
	(void)snprintf(req, sizeof(req), "grant_type=authorization_code&code="
	    "%s&client_id=app&redirect_uri=%s", code, APP_CB_ENC);
	is_int(request(&a, &f, &body), 400, "no code_verifier");
	is_str(field(body, "error"), "invalid_request", "  invalid_request");

	exchange(code, "app", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 200,
	    "the right one: the refused attempts did not spend the code");
	is_str(field(body, "scope"), "read", "  scope read");
	(void)snprintf(tok, sizeof(tok), "%s", field(body, "access_token"));
	(void)snprintf(rt, sizeof(rt), "%s", field(body, "refresh_token"));
	ok(rt[0] != '\0', "  a refresh token (app has refresh_token)");
	(void)snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	a = (struct ask){ "GET", "/protected", NULL, bearer, NULL };
	is_int(request(&a, &f, &body), 200, "  the token works");
	is_str(field(body, "sub"), "alice", "  sub alice");

	a = (struct ask){ "POST", "/token", req, NULL, NULL };
	is_int(request(&a, &f, &body), 400, "the code again");
	is_str(field(body, "error"), "invalid_grant", "  invalid_grant");
	a = (struct ask){ "GET", "/protected", NULL, bearer, NULL };
	is_int(request(&a, &f, &body), 401,
	    "  the first use's access token is revoked");
	(void)snprintf(req, sizeof(req),
	    "grant_type=refresh_token&client_id=app&refresh_token=%s", rt);
	a = (struct ask){ "POST", "/token", req, NULL, NULL };
	is_int(request(&a, &f, &body), 400, "  and its refresh token");

	make_code("app", "alice", "read", now - CODE_TTL - 1, code);
	exchange(code, "app", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "an expired code");

	make_code("app2", "alice", "read", now, code);
	exchange(code, "app2", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 200, "app2: no refresh_token grant");
	is_str(field(body, "refresh_token"), "", "  no refresh token");

	make_code("app", "bob", "read", now, code);
	ok(ctl("Bob-pw-2", "user passwd bob --password-stdin") == 0,
	    "bob's password changed after his code was made");
	exchange(code, "app", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "  the code is refused");
	make_code("app", "bob", "read", now, code);
	ok(ctl(NULL, "user lock bob") == 0, "bob locked");
	exchange(code, "app", APP_CB_ENC, VERIFIER, req, sizeof(req));
	is_int(request(&a, &f, &body), 400, "  a locked account's code");
	store_free(tstore);
	state_free(tstate);
}

/* POST /token grant_type=client_credentials. */
static void
test_client_credentials(void)
{
	struct fake	 f;
	struct ask	 a = { "POST", "/token",
			    "grant_type=client_credentials", SVC_BASIC, NULL };
	const char	*body;
	char		 bearer[4200];

	is_int(request(&a, &f, &body), 200, "client_credentials");
	is_str(field(body, "scope"), "api:read api:write",
	    "  all its registered scopes");
	is_str(field(body, "refresh_token"), "", "  no refresh token");
	(void)snprintf(bearer, sizeof(bearer), "Bearer %s",
	    field(body, "access_token"));
	a.body = "grant_type=client_credentials&scope=api%3Aread";
	is_int(request(&a, &f, &body), 200, "  a narrower scope");
	is_str(field(body, "scope"), "api:read", "  api:read");
	a.body = "grant_type=client_credentials&scope=read";
	is_int(request(&a, &f, &body), 400, "  beyond its scopes");
	is_str(field(body, "error"), "invalid_scope", "  invalid_scope");
	a = (struct ask){ "GET", "/protected", NULL, bearer, NULL };
	is_int(request(&a, &f, &body), 200, "  the token works");
	is_str(field(body, "sub"), "svc", "  sub is the client");
	a = (struct ask){ "POST", "/token", "grant_type=client_credentials",
	    WEB_BASIC, NULL };
	is_int(request(&a, &f, &body), 400, "a client not registered for it");
	is_str(field(body, "error"), "unauthorized_client",
	    "  unauthorized_client");
	a.auth = NULL;
	a.body = "grant_type=client_credentials&client_id=app";
	is_int(request(&a, &f, &body), 400, "a public client");
	a.body = "grant_type=client_credentials&client_id=svc&client_secret=no";
	is_int(request(&a, &f, &body), 401, "a wrong secret");
	a.body = "grant_type=password&" LOGIN;
	a.auth = SVC_BASIC;
	is_int(request(&a, &f, &body), 400,
	    "svc is not registered for password");
	is_str(field(body, "error"), "unauthorized_client",
	    "  unauthorized_client");
	a.auth = NULL;
	a.body = "client_id=app2&" LOGIN;
	is_int(request(&a, &f, &body), 400, "nor is app2");
	a.body = "client_id=narrow&" LOGIN;
	is_int(request(&a, &f, &body), 200,
	    "password grant, a client registered with scope read");
	is_str(field(body, "scope"), "read", "  its scope limits alice's");
	a.body = "client_id=narrow&scope=api%3Aread&" LOGIN;
	is_int(request(&a, &f, &body), 400, "  api:read, beyond it");
	is_str(field(body, "error"), "invalid_scope", "  invalid_scope");
	a.body = "grant_type=implicit&client_id=app";
	is_int(request(&a, &f, &body), 400, "an unknown grant");
	is_str(field(body, "error"), "unsupported_grant_type",
	    "  unsupported_grant_type");
	a = (struct ask){ "GET", "/.well-known/oauth-authorization-server",
	    NULL, NULL, NULL };
	is_int(request(&a, &f, &body), 200, "metadata");
	ok(strstr(body, "\"authorization_endpoint\":\"http://auth.example/"
	    "authorize\"") != NULL, "  authorization_endpoint");
	ok(strstr(body, "\"code_challenge_methods_supported\":[\"S256\"]") !=
	    NULL && strstr(body, "\"response_types_supported\":[\"code\"]") !=
	    NULL && strstr(body, "\"authorization_response_iss_parameter_"
	    "supported\":true") != NULL && strstr(body, "\"client_credentials"
	    "\"") != NULL, "  S256, code, iss, grants");
}

/*
 * The guard and browser sessions (SPEC "Browser sign-in"): the
 * authorizer and /auth take the cookie when there is no Authorization,
 * /protected does not; a browser without credentials is sent to
 * login_url with rd; an access token is no cookie and a session no
 * bearer token.
 */
static void
test_session_guard(void)
{
	static char	 ck[ENV_LINE_MAX], bad[ENV_LINE_MAX];
	static char	 bearer[AG_TOKEN_MAX + 16], atck[ENV_LINE_MAX];
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct store	*st;
	struct state	*sdb;
	struct user	 u;
	struct session	 s;
	struct fake	 f;
	struct ask	 a;
	const char	*body;
	char		 val[SESSION_VALUE_MAX + 1], tok[AG_TOKEN_MAX + 1];
	char		 w[AG_WHY_MAX];
	size_t		 n;
	uint64_t	 missing, revoked;

	vcache_enable();	/* as in FastCGI: the confusion tests need it */
	conf_defaults(&c);
	if (conf_load(&c, conf, w, sizeof(w)) != AG_OK ||
	    keyring_load(&c, &kr, w, sizeof(w)) != AG_OK ||
	    (st = store_new(c.user_db)) == NULL ||
	    store_user_get(st, "alice", &u) != AG_OK ||
	    (sdb = state_new(&c)) == NULL) {
		ok(0, "keys and alice's record");
		return;
	}
	ok(session_issue(&c, kr, "alice", "read api:read", u.gen, time(NULL),
	    val, sizeof(val), &s) == AG_OK, "a session of alice");
	(void)snprintf(ck, sizeof(ck), "HTTP_COOKIE=theme=dark; "
	    SESSION_COOKIE "=%s; lang=en", val);

	a = (struct ask){ "GET", "/private/page", NULL, NULL,
	    "FCGI_ROLE=AUTHORIZER", ck, NULL };
	is_int(request(&a, &f, &body), 200, "authorizer + cookie: 200");
	ok(strstr(f.out, "Variable-REMOTE_USER: alice\r\n") != NULL,
	    "  Variable-REMOTE_USER");
	ok(strstr(f.out, "Variable-AUTHGATE_SCOPE: read api:read\r\n") !=
	    NULL, "  Variable-AUTHGATE_SCOPE");
	a.extra3 = "AUTHGATE_REQUIRE_SCOPE=api:read";
	is_int(request(&a, &f, &body), 200, "  requiring api:read: 200");
	a.extra3 = "AUTHGATE_REQUIRE_SCOPE=admin";
	is_int(request(&a, &f, &body), 403, "  requiring admin: 403");
	a.extra3 = "HTTPS=on";
	is_int(request(&a, &f, &body), 401,
	    "  over HTTPS the plain name is not taken");

	a = (struct ask){ "GET", "/auth", NULL, NULL, ck, NULL, NULL };
	is_int(request(&a, &f, &body), 200, "/auth + cookie: 200");
	ok(strstr(f.out, "X-Auth-Request-User: alice\r\n") != NULL,
	    "  X-Auth-Request-User");
	a.path = "/protected";
	is_int(request(&a, &f, &body), 401,
	    "/protected + cookie: 401 (bearer only)");

	/* No credentials: a browser is sent to sign in, others get 401. */
	a = (struct ask){ "GET", "/private/a b?x=1&y=%2F", NULL, NULL,
	    "FCGI_ROLE=AUTHORIZER", "HTTP_ACCEPT=text/html,"
	    "application/xhtml+xml,*/*;q=0.8", NULL };
	missing = metrics_get(MC_REJECT_MISSING);
	is_int(request(&a, &f, &body), 302,
	    "authorizer, no credentials, Accept text/html: 302");
	is_int(metrics_get(MC_REJECT_MISSING) - missing, 1,
	    "  counted as a missing credential");
	ok(strstr(f.out, "Location: /oauth/login?rd=/private/a%20b%3Fx%3D1"
	    "%26y%3D%252F\r\n") != NULL, "  to login_url, rd percent-encoded");
	ok(strstr(f.out, "Cache-Control: no-store\r\n") != NULL,
	    "  Cache-Control: no-store");
	a.extra3 = ck;
	is_int(request(&a, &f, &body), 200, "  with the cookie: 200");
	(void)snprintf(bad, sizeof(bad), "HTTP_COOKIE=" SESSION_COOKIE "=%s",
	    val);
	n = strlen(bad);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	a.extra3 = bad;
	is_int(request(&a, &f, &body), 302,
	    "  a tampered cookie: as no credentials, 302");
	a.extra3 = NULL;
	a.extra2 = "HTTP_ACCEPT=application/json";
	is_int(request(&a, &f, &body), 401,
	    "authorizer, no credentials, Accept application/json: 401");
	ok(strstr(f.out, "WWW-Authenticate: Bearer realm=") != NULL,
	    "  with the Bearer challenge");
	a.extra2 = "HTTP_ACCEPT=*/*";
	is_int(request(&a, &f, &body), 401, "  Accept */*: 401");
	a.path = "/auth";
	a.extra = NULL;
	a.extra2 = "HTTP_ACCEPT=text/html";
	is_int(request(&a, &f, &body), 401,
	    "/auth, no credentials, Accept text/html: 401 (error_page)");

	/* RFC 8725 3.11 through the whole guard, cache included. */
	(void)jwt_issue(&c, kr, "alice", "read", "app", 600, time(NULL), tok,
	    sizeof(tok), NULL);
	(void)snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	a = (struct ask){ "GET", "/x", NULL, bearer, "FCGI_ROLE=AUTHORIZER",
	    NULL, NULL };
	is_int(request(&a, &f, &body), 200, "an access token: 200 (cached)");
	(void)snprintf(atck, sizeof(atck), "HTTP_COOKIE=" SESSION_COOKIE
	    "=%s", tok);
	a = (struct ask){ "GET", "/x", NULL, NULL, "FCGI_ROLE=AUTHORIZER",
	    atck, NULL };
	is_int(request(&a, &f, &body), 401,
	    "the same access token as the cookie: refused");
	(void)snprintf(bearer, sizeof(bearer), "Bearer %s", val);
	a = (struct ask){ "GET", "/x", NULL, NULL, "FCGI_ROLE=AUTHORIZER",
	    ck, NULL };
	(void)request(&a, &f, &body);
	a = (struct ask){ "GET", "/x", NULL, bearer, "FCGI_ROLE=AUTHORIZER",
	    NULL, NULL };
	is_int(request(&a, &f, &body), 401,
	    "the session (verified, cached) as a bearer token: refused");
	ok(strstr(f.out, "wrong token type") != NULL, "  wrong token type");

	/* Logout and account end: at once, through the deny list. */
	a = (struct ask){ "GET", "/x", NULL, NULL, "FCGI_ROLE=AUTHORIZER",
	    ck, NULL };
	ok(session_end(sdb, &s) == AG_OK, "logout");
	revoked = metrics_get(MC_REJECT_REVOKED);
	is_int(request(&a, &f, &body), 401, "  the cookie: 401 at once");
	is_int(metrics_get(MC_REJECT_REVOKED) - revoked, 1,
	    "  counted as revoked");
	(void)session_issue(&c, kr, "alice", "read", u.gen, time(NULL), val,
	    sizeof(val), &s);
	(void)snprintf(ck, sizeof(ck), "HTTP_COOKIE=" SESSION_COOKIE "=%s",
	    val);
	is_int(request(&a, &f, &body), 200, "a new session: 200");
	ok(session_end_account(&c, sdb, "alice", u.gen, time(NULL)) == AG_OK,
	    "alice's account generation ended");
	is_int(request(&a, &f, &body), 401, "  the cookie: 401 at once");
	state_free(sdb);
	store_free(st);
	keyring_free(kr);
}

/* GET /authorize signed in: the code at the redirect URI, then /token. */
static void
test_authorize_session(void)
{
	static char	 ck[ENV_LINE_MAX], path[ENV_LINE_MAX];
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct store	*st = NULL;
	struct user	 u;
	struct session	 s;
	struct fake	 f;
	struct ask	 a;
	const char	*body, *loc, *p;
	char		 val[SESSION_VALUE_MAX + 1], w[AG_WHY_MAX];
	char		 code[CODE_LEN + 1], req[1024];

	conf_defaults(&c);
	if (conf_load(&c, conf, w, sizeof(w)) != AG_OK ||
	    keyring_load(&c, &kr, w, sizeof(w)) != AG_OK ||
	    (st = store_new(c.user_db)) == NULL ||
	    store_user_get(st, "alice", &u) != AG_OK ||
	    session_issue(&c, kr, "alice", u.scope, u.gen, time(NULL), val,
	    sizeof(val), &s) != AG_OK) {
		ok(0, "a session of alice");
		goto out;
	}
	(void)snprintf(ck, sizeof(ck), "HTTP_COOKIE=" SESSION_COOKIE "=%s",
	    val);
	(void)snprintf(path, sizeof(path), "%s", "/authorize?response_type="
	    "code&client_id=app&redirect_uri=" APP_CB_ENC "&code_challenge="
	    CHALLENGE "&code_challenge_method=S256&state=st1&scope=read");
	a = (struct ask){ "GET", path, NULL, NULL, NULL, ck, NULL };
	is_int(request(&a, &f, &body), 302, "signed in: /authorize answers");
	loc = header(&f, "Location");
	ok(strncmp(loc, APP_CB "?code=", strlen(APP_CB) + 6) == 0 &&
	    strstr(loc, "&state=st1&iss=authgate") != NULL,
	    "  at the redirect URI with code, state and iss");
	p = strstr(loc, "?code=");
	(void)snprintf(code, sizeof(code), "%.*s", CODE_LEN,
	    p != NULL ? p + 6 : "");
	ok(strlen(code) == CODE_LEN, "  a code of 43 characters");
	(void)snprintf(req, sizeof(req), "grant_type=authorization_code&code="
	    "%s&client_id=app&redirect_uri=%s&code_verifier=%s", code,
	    APP_CB_ENC, VERIFIER);
	a = (struct ask){ "POST", "/token", req, NULL, NULL, NULL, NULL };
	is_int(request(&a, &f, &body), 200, "  exchanged at /token");
	is_str(field(body, "scope"), "read", "  scope read");
	(void)snprintf(path, sizeof(path), "%s", "/authorize?response_type="
	    "code&client_id=app2&redirect_uri=" APP_CB_ENC "&code_challenge="
	    CHALLENGE "&code_challenge_method=S256&scope=api%3Aread");
	a = (struct ask){ "GET", path, NULL, NULL, NULL, ck, NULL };
	is_int(request(&a, &f, &body), 302,
	    "a scope beyond the client's registered ones");
	ok(strncmp(header(&f, "Location"), APP_CB "?error=invalid_scope&",
	    strlen(APP_CB) + 21) == 0, "  invalid_scope at the redirect URI");
	(void)snprintf(path, sizeof(path), "%s", "/authorize?response_type="
	    "code&client_id=app&redirect_uri=" APP_CB_ENC "&code_challenge="
	    CHALLENGE "&code_challenge_method=S256&scope=write");
	a.path = path;
	(void)request(&a, &f, &body);
	ok(strncmp(header(&f, "Location"), APP_CB "?error=invalid_scope&",
	    strlen(APP_CB) + 21) == 0, "a scope beyond the user's: the same");
	a.path = AZ;
	(void)snprintf(ck, sizeof(ck), "HTTP_COOKIE=" SESSION_COOKIE "=x%s",
	    val);
	(void)request(&a, &f, &body);
	ok(strncmp(header(&f, "Location"), "/oauth/login?rd=", 16) == 0,
	    "a bad session cookie: to the sign-in page");
out:
	store_free(st);
	keyring_free(kr);
}

int
main(void)
{
	char	 cmd[600];

	setup();
	test_clients();
	test_scopes();
	test_refresh();
	test_authorize();
	test_code_grant();
	test_client_credentials();
	test_authorize_session();
	test_login_page();
	test_login_post();
	test_login_session();
	test_routes();
	test_errors();
	test_session_guard();
	serve_fini();
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
