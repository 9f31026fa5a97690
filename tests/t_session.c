/*
 * session: a browser session issued and verified; any one byte of it
 * changed is refused; an access token is no session and a session no
 * access token (RFC 8725 3.11), the verified-token cache included;
 * expiry with the leeway, and a lifetime over today's session_ttl;
 * logout and account denial through a real deny list; the Cookie
 * header's edge cases; Set-Cookie's attributes; the Accept parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/accept.h"
#include "../src/conf.h"
#include "../src/jwt.h"
#include "../src/key.h"
#include "../src/session.h"
#include "../src/state.h"
#include "../src/vcache.h"
#include "tap.h"

#define NOW	((time_t)1700000000)
#define GEN	((int64_t)4242)

static char		 dir[] = "/tmp/t_session.XXXXXX";
static struct conf	 cf;
static struct keyring	*kr;
static struct state	*sdb;

static void
wipe(void)
{
	char	 cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/* The why of session_verify for val at now, or "OK". */
static const char *
vfy(struct state *st, const char *val, time_t now)
{
	struct session	 s;
	const char	*why = "unset";
	enum ag_err	 e;

	e = session_verify(&cf, kr, st, val, strlen(val), now, &s, &why);
	if (e == AG_OK)
		return why == NULL && s.user[0] != '\0' ? "OK" : "bad output";
	if (e != AG_EDENIED || s.user[0] != '\0' || why == NULL)
		return "bad failure";
	return why;
}

static void
test_round_trip(void)
{
	struct session	 s, v;
	char		 val[SESSION_VALUE_MAX + 1], acct[AG_JTI_MAX + 1];
	const char	*why;

	is_int(session_issue(&cf, kr, "alice", "read write", GEN, NOW, val,
	    sizeof(val), &s), AG_OK, "issue");
	is_str(s.user, "alice", "  user");
	is_str(s.scope, "read write", "  scope");
	is_int(strlen(s.sid), 22, "  sid: 16 random bytes");
	session_acct_key("alice", GEN, acct);
	is_str(s.acct, acct, "  acct: the account's key");
	ok(strncmp(acct, "g.", 2) == 0 && strlen(acct) <= AG_JTI_MAX,
	    "  acct key: g. and at most AG_JTI_MAX");
	ok(s.iat == NOW && s.exp == NOW + cf.session_ttl, "  iat, exp");
	is_int(session_verify(&cf, kr, sdb, val, strlen(val), NOW, &v, &why),
	    AG_OK, "verify");
	ok(memcmp(&s, &v, sizeof(s)) == 0, "  read back as issued");
	session_acct_key("alice", GEN + 1, v.acct);
	ok(strcmp(acct, v.acct) != 0, "another gen: another acct key");
	session_acct_key("alicf", GEN, v.acct);
	ok(strcmp(acct, v.acct) != 0, "another user: another acct key");
	is_int(session_issue(&cf, kr, "", NULL, GEN, NOW, val, sizeof(val),
	    NULL), AG_EINVAL, "no user: refused");
	is_int(session_issue(&cf, kr, "a\r\nb", NULL, GEN, NOW, val,
	    sizeof(val), NULL), AG_EINVAL, "user with CRLF: refused");
	is_int(session_issue(&cf, kr, "alice", NULL, GEN, NOW, val, 100,
	    NULL), AG_ETOOBIG, "small buffer: refused");
}

/* Every one byte of a session changed: refused, never accepted. */
static void
test_tamper(void)
{
	char		 val[SESSION_VALUE_MAX + 1], t[SESSION_VALUE_MAX + 1];
	static const char alt[] = "AB.";
	size_t		 len, i, j, bad = 0, n = 0;

	(void)session_issue(&cf, kr, "alice", "read", GEN, NOW, val,
	    sizeof(val), NULL);
	len = strlen(val);
	for (i = 0; i < len; i++)
		for (j = 0; j < sizeof(alt) - 1; j++) {
			memcpy(t, val, len + 1);
			t[i] = t[i] != alt[j] ? alt[j] : 'C';
			n++;
			if (strcmp(vfy(NULL, t, NOW), "OK") == 0)
				bad++;
		}
	printf("# %zu changed sessions tried\n", n);
	is_int(bad, 0, "every one-byte change refused");
	val[len - 1] = '\0';
	ok(strcmp(vfy(NULL, val, NOW), "OK") != 0, "last byte cut: refused");
}

/* RFC 8725 3.11: neither kind passes for the other. */
static void
test_confusion(void)
{
	struct claims	 cl;
	struct session	 s;
	char		 val[SESSION_VALUE_MAX + 1], tok[AG_TOKEN_MAX + 1];
	const char	*why;

	(void)session_issue(&cf, kr, "alice", "read", GEN, NOW, val,
	    sizeof(val), NULL);
	(void)jwt_issue(&cf, kr, "alice", "read", "app", 600, NOW, tok,
	    sizeof(tok), NULL);
	is_str(vfy(NULL, tok, NOW), "wrong token type",
	    "an access token as a session: wrong token type");
	ok(jwt_verify(&cf, kr, val, strlen(val), NOW, &cl, &why) != AG_OK &&
	    strcmp(why, "wrong token type") == 0,
	    "a session as an access token: wrong token type");
	ok(jwt_verify_kind(&cf, kr, JWS_SESSION, tok, strlen(tok), NOW, &cl,
	    &why) != AG_OK, "jwt_verify_kind(SESSION) refuses an access token");

	/* Through the cache, as the guard uses it (generation 7). */
	vcache_enable();
	ok(jwt_verify(&cf, kr, tok, strlen(tok), NOW, &cl, &why) == AG_OK,
	    "the access token verifies");
	vcache_put(7, JWS_ACCESS, tok, strlen(tok), &cl);
	ok(vcache_get(7, JWS_ACCESS, tok, strlen(tok)) != NULL,
	    "  and is in the cache");
	ok(session_check(&cf, kr, 7, sdb, tok, strlen(tok), NOW, &s, &why) ==
	    AG_EDENIED && s.user[0] == '\0',
	    "cached access token as a session cookie: refused");
	is_int(session_check(&cf, kr, 7, sdb, val, strlen(val), NOW, &s,
	    &why), AG_OK, "a session through the cache");
	is_int(session_check(&cf, kr, 7, sdb, val, strlen(val), NOW, &s,
	    &why), AG_OK, "  again (a hit)");
	ok(vcache_get(7, JWS_ACCESS, val, strlen(val)) == NULL,
	    "cached session asked as an access token: miss");
}

static void
test_times(void)
{
	char	 val[SESSION_VALUE_MAX + 1];
	long	 ttl = cf.session_ttl;

	(void)session_issue(&cf, kr, "alice", "read", GEN, NOW, val,
	    sizeof(val), NULL);
	is_str(vfy(NULL, val, NOW + ttl + cf.leeway - 1), "OK",
	    "valid until exp + leeway - 1");
	is_str(vfy(NULL, val, NOW + ttl + cf.leeway), "session expired",
	    "exp + leeway: session expired");
	is_str(vfy(NULL, val, NOW - cf.leeway - 1),
	    "token not yet valid", "nbf beyond the leeway: refused");
	cf.session_ttl = ttl - 1;
	is_str(vfy(NULL, val, NOW), "session expired",
	    "session_ttl lowered: a session made longer is refused");
	cf.session_ttl = ttl;
}

static void
test_end(void)
{
	struct session	 s1, s2, s3, s4;
	char		 v1[SESSION_VALUE_MAX + 1], v2[SESSION_VALUE_MAX + 1];
	char		 v3[SESSION_VALUE_MAX + 1], v4[SESSION_VALUE_MAX + 1];
	time_t		 now = time(NULL);

	(void)session_issue(&cf, kr, "alice", "read", GEN, now, v1,
	    sizeof(v1), &s1);
	(void)session_issue(&cf, kr, "alice", "read", GEN, now, v2,
	    sizeof(v2), &s2);
	(void)session_issue(&cf, kr, "bob", "read", GEN, now, v3,
	    sizeof(v3), &s3);
	(void)session_issue(&cf, kr, "alice", "read", GEN + 1, now, v4,
	    sizeof(v4), &s4);
	is_str(vfy(sdb, v1, now), "OK", "session 1 of alice");
	is_int(session_end(sdb, &s1), AG_OK, "logout of session 1");
	is_str(vfy(sdb, v1, now), "session ended", "  session 1 ended");
	is_str(vfy(sdb, v2, now), "OK", "  session 2 of alice goes on");
	is_str(vfy(NULL, v1, now), "OK",
	    "  a verifier without state_db does not see it");
	cf.verify_only = 1;
	is_str(vfy(sdb, v1, now), "OK", "  nor does one with verify_only");
	cf.verify_only = 0;
	is_int(session_end_account(&cf, sdb, "alice", GEN, now), AG_OK,
	    "end alice's account generation");
	is_str(vfy(sdb, v2, now), "session ended", "  session 2 ended");
	is_str(vfy(sdb, v3, now), "OK", "  bob's goes on");
	is_str(vfy(sdb, v4, now), "OK", "  alice's of the new generation too");
	is_str(vfy(sdb, v2, now + cf.session_ttl + cf.leeway - 1),
	    "session ended", "  still ended at its last valid second");
	is_int(session_end_account(&cf, sdb, "", GEN, now), AG_EINVAL,
	    "no user: refused");
	memset(&s1, 0, sizeof(s1));
	is_int(session_end(sdb, &s1), AG_EINVAL, "no sid: refused");
}

static const struct {
	const char	*header;
	bool		 https;
	enum ag_err	 e;
	const char	*val;
	const char	*name;
} cookies[] = {
	{ NULL, false, AG_ENOENT, "", "no header" },
	{ "", false, AG_ENOENT, "", "empty header" },
	{ "authgate_session=abc", false, AG_OK, "abc", "alone" },
	{ "a=1; authgate_session=abc; b=2", false, AG_OK, "abc",
	    "among others" },
	{ "a=1;authgate_session=abc;b=2", false, AG_OK, "abc", "no spaces" },
	{ "a=1;  \tauthgate_session = abc \t; b", false, AG_OK, "abc",
	    "spaces and tabs around, a pair without =" },
	{ "authgate_session=\"abc\"", false, AG_OK, "abc", "quoted" },
	{ "authgate_session=\"\"", false, AG_ENOENT, "", "quoted empty" },
	{ "authgate_session=", false, AG_ENOENT, "", "empty value" },
	{ "authgate_session=\"abc", false, AG_EINVAL, "", "one quote" },
	{ "authgate_session=a b", false, AG_EINVAL, "", "space in value" },
	{ "authgate_session=a,b", false, AG_EINVAL, "", "comma in value" },
	{ "authgate_session=a\\b", false, AG_EINVAL, "", "backslash" },
	{ "authgate_session=a\x01", false, AG_EINVAL, "", "control byte" },
	{ "authgate_session=a\xc3\xa9", false, AG_EINVAL, "", "UTF-8" },
	{ "authgate_session=abc; authgate_session=def", false, AG_EINVAL, "",
	    "given twice: refused" },
	{ "authgate_session=abc; authgate_session=abc", false, AG_EINVAL, "",
	    "given twice, the same: refused" },
	{ "authgate_session=; authgate_session=abc", false, AG_EINVAL, "",
	    "twice, one empty: refused" },
	{ "Authgate_session=abc", false, AG_ENOENT, "", "name: case counts" },
	{ "xauthgate_session=abc; authgate_sessionx=d", false, AG_ENOENT, "",
	    "longer names" },
	{ "authgate_session", false, AG_ENOENT, "", "the name, no value" },
	{ "__Host-authgate_session=abc", false, AG_ENOENT, "",
	    "__Host- name over HTTP: not ours" },
	{ "__Host-authgate_session=abc", true, AG_OK, "abc",
	    "__Host- name over HTTPS" },
	{ "authgate_session=abc", true, AG_ENOENT, "",
	    "plain name over HTTPS: ignored (a sibling host may set it)" },
	{ "authgate_session=x; __Host-authgate_session=abc", true, AG_OK, "abc",
	    "both over HTTPS: the __Host- one" },
	{ "__Host-authgate_session=a; __Host-authgate_session=b", true,
	    AG_EINVAL, "", "__Host- twice: refused" },
	{ "a=b=c; authgate_session=x=y", false, AG_OK, "x=y",
	    "'=' inside values" },
	{ ";;; ; authgate_session=abc;;", false, AG_OK, "abc",
	    "empty pairs" },
};

static void
test_cookie(void)
{
	char		*big;
	const char	*v;
	size_t		 i, len, n;
	enum ag_err	 e;
	char		 name[128];

	for (i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
		e = session_cookie(cookies[i].header, cookies[i].https, &v,
		    &len);
		is_int(e, cookies[i].e, cookies[i].name);
		(void)snprintf(name, sizeof(name), "  value of: %s",
		    cookies[i].name);
		ok(e == AG_OK ? len == strlen(cookies[i].val) &&
		    memcmp(v, cookies[i].val, len) == 0 : v == NULL &&
		    len == 0, name);
	}
	/* At the limit, one over; and a header of many cookies. */
	n = strlen(SESSION_COOKIE "=") + SESSION_VALUE_MAX + 2;
	if ((big = malloc(300000)) == NULL)
		return;
	(void)snprintf(big, n + 1, SESSION_COOKIE "=%0*d",
	    SESSION_VALUE_MAX, 0);
	is_int(session_cookie(big, false, &v, &len), AG_OK,
	    "SESSION_VALUE_MAX bytes: taken");
	is_int(len, SESSION_VALUE_MAX, "  all of it");
	(void)snprintf(big, n + 2, SESSION_COOKIE "=%0*d",
	    SESSION_VALUE_MAX + 1, 0);
	is_int(session_cookie(big, false, &v, &len), AG_ETOOBIG,
	    "SESSION_VALUE_MAX + 1: too big");
	big[0] = '\0';
	for (i = 0; i < 10000; i++)
		(void)snprintf(big + strlen(big), 300000 - strlen(big),
		    "c%zu=v%zu; ", i, i);
	(void)snprintf(big + strlen(big), 300000 - strlen(big),
	    "authgate_session=last");
	ok(session_cookie(big, false, &v, &len) == AG_OK && len == 4 &&
	    memcmp(v, "last", 4) == 0, "10,000 other cookies before it");
	free(big);
}

static void
test_set_cookie(void)
{
	char	 buf[SESSION_VALUE_MAX + 200];

	ok(session_set_cookie(buf, sizeof(buf), false, "a.b.c", 28800),
	    "Set-Cookie over HTTP");
	is_str(buf, "authgate_session=a.b.c; Path=/; Max-Age=28800; "
	    "HttpOnly; SameSite=Lax", "  its value");
	ok(session_set_cookie(buf, sizeof(buf), true, "a.b.c", 60),
	    "Set-Cookie over HTTPS");
	is_str(buf, "__Host-authgate_session=a.b.c; Path=/; Max-Age=60; "
	    "HttpOnly; SameSite=Lax; Secure", "  __Host- name and Secure");
	ok(session_set_cookie(buf, sizeof(buf), true, NULL, 60),
	    "clearing form");
	is_str(buf, "__Host-authgate_session=; Path=/; Max-Age=0; HttpOnly; "
	    "SameSite=Lax; Secure", "  Max-Age=0");
	ok(!session_set_cookie(buf, sizeof(buf), false, "a\r\nSet-Cookie: x",
	    60), "CRLF in the value: refused");
	ok(!session_set_cookie(buf, sizeof(buf), false, "a;b", 60),
	    "';' in the value: refused");
	ok(!session_set_cookie(buf, 20, false, "a.b.c", 60) && buf[0] == '\0',
	    "small buffer: refused, empty");
}

static const struct {
	const char	*accept;
	bool		 html;
} accepts[] = {
	{ NULL, false },
	{ "", false },
	{ "*/*", false },
	{ "text/html", true },
	{ "TEXT/HTML", true },
	{ "text/*", true },
	{ "application/json", false },
	{ "text/html,application/xhtml+xml,application/xml;q=0.9,"
	    "image/avif,image/webp,*/*;q=0.8", true },		/* Firefox */
	{ "text/html,application/xhtml+xml,application/xml;q=0.9,"
	    "image/avif,image/webp,image/apng,*/*;q=0.8,"
	    "application/signed-exchange;v=b3;q=0.7", true },	/* Chrome */
	{ "application/json, text/plain, */*", false },	/* axios */
	{ "application/json, text/html", false },
	{ "text/html, application/json", false },
	{ "text/html, application/json;q=0.9", true },
	{ "application/json;q=0.9, text/html", true },
	{ "application/*;q=0.5, text/html", true },
	{ "application/*, text/html;q=0.5", false },
	{ "text/html;q=0", false },
	{ "text/html;q=0.000", false },
	{ "text/html;q=0.001", true },
	{ "text/html;q=0.5, */*", false },
	{ "text/html;q=0.5, */*;q=0.5", true },
	{ "text/html;level=1;q=0.9", true },
	{ "text/html ; q=1.0", true },
	{ "text/html;q=1.001", false },
	{ "text/html;q=2", false },
	{ "text/html;q=0.5000", false },
	{ "text/html;q=.5", false },
	{ "text/html;q=", false },
	{ "text/htmlx", false },
	{ "text/htm", false },
	{ "text/html, text/html;q=0", true },
	{ "text/*;q=0.2, text/html;q=0.1, */*;q=0.1", true },
	{ ",,, ;q=1, text/html", true },
	{ "image/*, text/plain", false },
};

static void
test_accept(void)
{
	size_t	 i;
	char	 name[256];

	for (i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		(void)snprintf(name, sizeof(name), "Accept: %s -> %s",
		    accepts[i].accept != NULL ? accepts[i].accept : "(none)",
		    accepts[i].html ? "page" : "no page");
		is_int(accept_prefers_html(accepts[i].accept),
		    accepts[i].html, name);
	}
}

int
main(void)
{
	char	 path[PATH_MAX], w[AG_WHY_MAX];

	if (mkdtemp(dir) == NULL)
		return 1;
	atexit(wipe);
	conf_defaults(&cf);
	(void)snprintf(cf.key_file, sizeof(cf.key_file), "%s/k", dir);
	(void)snprintf(cf.key_dir, sizeof(cf.key_dir), "%s/keys", dir);
	(void)snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	cf.jwks_file[0] = '\0';
	cf.algorithm = AG_HS256;
	(void)snprintf(path, sizeof(path), "%s", cf.key_file);
	if (key_generate(AG_HS256, path, false, w, sizeof(w)) != AG_OK ||
	    keyring_load(&cf, &kr, w, sizeof(w)) != AG_OK ||
	    (sdb = state_new(&cf)) == NULL || state_init(sdb) != AG_OK) {
		printf("# %s\n", w);
		ok(0, "keys and state_db");
		return done_testing();
	}
	test_round_trip();
	test_tamper();
	test_confusion();
	test_times();
	test_end();
	test_cookie();
	test_set_cookie();
	test_accept();
	state_free(sdb);
	keyring_free(kr);
	return done_testing();
}
