/*
 * csrf.c: the CSRF cookie as a Cookie header holds it (the one name,
 * once, well-formed), new tokens, the Set-Cookie, the constant-time
 * match, and the Origin / Sec-Fetch-Site rule.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../src/csrf.h"
#include "../src/req.h"
#include "tap.h"

#define T	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"	/* 43 */
#define U	"_-_-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct {
	const char	*header;
	bool		 https, ok;
	const char	*token, *why;
} cookies[] = {
	{ "authgate_csrf=" T, false, true, T, "alone" },
	{ "a=b; authgate_csrf=" T "; c=d", false, true, T, "among others" },
	{ "a=b;authgate_csrf=" T, false, true, T, "no space after ';'" },
	{ "authgate_csrf=" T " ", false, true, T, "a trailing space" },
	{ "authgate_csrf=" U, false, true, U, "'-' and '_'" },
	{ NULL, false, false, "", "no Cookie header" },
	{ "", false, false, "", "an empty one" },
	{ "xauthgate_csrf=" T, false, false, "", "another name ending so" },
	{ "authgate_csrfx=" T, false, false, "", "another name starting so" },
	{ "authgate_csrf=" T "A", false, false, "", "one character more" },
	{ "authgate_csrf=" T "; authgate_csrf=" T, false, false, "",
	    "twice, even the same value" },
	{ "authgate_csrf=" U "; authgate_csrf=" T, false, false, "",
	    "twice (cookie tossing from a sibling host)" },
	{ "authgate_csrf=\"" T "\"", false, false, "", "quoted" },
	{ "authgate_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", false,
	    false, "", "'+' is not base64url" },
	{ "authgate_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", false,
	    false, "", "non-zero trailing bits (not canonical)" },
	{ "authgate_csrf=" T, true, false, "",
	    "over HTTPS only the __Host- name counts" },
	{ "__Host-authgate_csrf=" T, true, true, T, "__Host- over HTTPS" },
	{ "__Host-authgate_csrf=" T, false, false, "",
	    "__Host- over HTTP: not ours" },
};

static void
test_cookies(void)
{
	char	 tok[CSRF_LEN + 1];
	size_t	 i;

	for (i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
		ok(csrf_from_cookie(cookies[i].header, cookies[i].https, tok) ==
		    cookies[i].ok, cookies[i].why);
		is_str(tok, cookies[i].token, "  the token");
	}
}

static void
test_tokens(void)
{
	char	 a[CSRF_LEN + 1], b[CSRF_LEN + 1], buf[CSRF_SET_COOKIE_MAX];
	char	 hdr[CSRF_LEN + 32];

	ok(csrf_new(a) && csrf_new(b), "two new tokens");
	is_int(strlen(a), 43, "  of 43 characters");
	ok(strcmp(a, b) != 0, "  that differ");
	(void)snprintf(hdr, sizeof(hdr), "authgate_csrf=%s", a);
	ok(csrf_from_cookie(hdr, false, b) && strcmp(a, b) == 0,
	    "  and read back from a cookie");
	ok(csrf_set_cookie(buf, sizeof(buf), false, a), "Set-Cookie");
	ok(strstr(buf, "; HttpOnly") != NULL &&
	    strstr(buf, "; SameSite=Strict") != NULL &&
	    strstr(buf, "; Path=/") != NULL && strstr(buf, "Secure") == NULL &&
	    strstr(buf, "Domain") == NULL, "  HttpOnly, Strict, Path=/");
	ok(csrf_set_cookie(buf, sizeof(buf), true, a) &&
	    strncmp(buf, "__Host-authgate_csrf=", 21) == 0 &&
	    strstr(buf, "; Secure") != NULL, "  over HTTPS: __Host-, Secure");
	ok(!csrf_set_cookie(buf, 20, false, a), "  a short buffer: false");
	ok(csrf_match(T, T), "match");
	ok(!csrf_match(U, T), "no match");
	ok(!csrf_match(NULL, T), "no field");
	ok(!csrf_match("", ""), "empty both");
	ok(!csrf_match(T "A", T "A"), "too long both");
}

static const struct {
	const char	*https, *host, *origin, *site;
	bool		 ok;
	const char	*why;
} origins[] = {
	{ NULL, "auth.example", NULL, NULL, true, "neither header" },
	{ NULL, "auth.example", "http://auth.example", NULL, true,
	    "Origin the same" },
	{ NULL, "auth.example", "HTTP://AUTH.EXAMPLE", NULL, true,
	    "any case" },
	{ NULL, "auth.example:80", "http://auth.example", NULL, true,
	    "Host with the default port" },
	{ NULL, "auth.example", "http://auth.example:80", NULL, true,
	    "Origin with the default port" },
	{ "on", "auth.example", "https://auth.example:443", NULL, true,
	    "https, default port" },
	{ "on", "auth.example:8443", "https://auth.example:8443", NULL, true,
	    "https, another port on both" },
	{ NULL, "auth.example:8080", "http://auth.example", NULL, false,
	    "another port" },
	{ NULL, "auth.example", "https://auth.example", NULL, false,
	    "another scheme" },
	{ "on", "auth.example", "http://auth.example", NULL, false,
	    "http Origin to an https request" },
	{ NULL, "auth.example", "http://auth.example.evil", NULL, false,
	    "a longer host" },
	{ NULL, "auth.example", "http://evil.auth.example", NULL, false,
	    "a sub-domain" },
	{ NULL, "auth.example", "null", NULL, false, "null" },
	{ NULL, NULL, "http://auth.example", NULL, false, "no Host" },
	{ NULL, "auth.example", NULL, "same-origin", true, "same-origin" },
	{ NULL, "auth.example", NULL, "none", true, "none (typed)" },
	{ NULL, "auth.example", NULL, "same-site", false, "same-site" },
	{ NULL, "auth.example", NULL, "cross-site", false, "cross-site" },
	{ NULL, "auth.example", "http://auth.example", "cross-site", false,
	    "Origin good, Sec-Fetch-Site cross-site" },
	{ NULL, "auth.example", "http://evil.example", "same-origin", false,
	    "Sec-Fetch-Site good, Origin another" },
};

static void
test_origins(void)
{
	struct req	 r;
	const char	*why;
	size_t		 i;
	bool		 res;

	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.https = origins[i].https;
		r.secure = r.https != NULL && strcmp(r.https, "on") == 0;
		r.host = origins[i].host;
		r.origin = origins[i].origin;
		r.fetch_site = origins[i].site;
		res = csrf_origin_ok(&r, &why);
		ok(res == origins[i].ok, origins[i].why);
		ok(res == (why == NULL), "  a reason when refused");
	}
}

int
main(void)
{
	test_cookies();
	test_tokens();
	test_origins();
	return done_testing();
}
