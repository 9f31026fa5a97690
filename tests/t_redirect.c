/*
 * The rd rule (redirect.c) against the open redirects of issue 15: each
 * refused case names the trick it stands for.  The strings are rd as
 * authgate sees it, after the form or query decoding.
 */
#include <stdbool.h>
#include <string.h>

#include "../src/redirect.h"
#include "tap.h"

static const struct {
	const char	*rd;
	bool		 ok;
	const char	*why;
} cases[] = {
	{ "/", true, "the site's root" },
	{ "/private/page.html", true, "a path" },
	{ "/a?b=c&d=%2F%2F#frag", true, "query and fragment, escapes later" },
	{ "/oauth/authorize?client_id=web&state=x%20y", true,
	    "an escaped space after the path" },
	/* Decided: "@" in a path is only a path ("/@evil.com" resolves to
	 * https://this-host/@evil.com), so it passes. */
	{ "/@evil.com", true, "'/@evil.com' is a path on this site" },
	{ "/.evil.com", true, "'/.evil.com' too" },
	{ "", false, "empty" },
	{ "//evil", false, "'//evil': another host" },
	{ "//evil.com/path", false, "'//evil.com/path'" },
	{ "/\\evil", false, "'/\\evil': browsers read '\\' as '/'" },
	{ "\\/evil", false, "'\\/evil'" },
	{ "\\\\evil", false, "'\\\\evil'" },
	{ "/a\\b", false, "'\\' anywhere" },
	{ "%2F%2Fevil", false, "'%2F%2Fevil' (once more encoded): no '/'" },
	{ "/%2F%2Fevil", false, "'/%2F/evil': '//' after a second decoding" },
	{ "/%2fevil", false, "'/%2fevil', lower case" },
	{ "/%5Cevil", false, "'/%5Cevil': '/\\' after a second decoding" },
	{ "/%5cevil", false, "'/%5cevil', lower case" },
	{ "%09//evil", false, "'%09//evil' as sent" },
	{ "\t//evil", false, "'%09//evil' decoded: a tab first" },
	{ "/\t/evil", false, "'/<tab>/evil': browsers drop the tab" },
	{ "/%09/evil", false, "'/%09/evil': an escaped tab" },
	{ "/\n/evil", false, "'/<LF>/evil'" },
	{ "/%0d%0a/evil", false, "escaped CR LF" },
	{ "/evil\r\nSet-Cookie: a=b", false, "header injection" },
	{ " /evil", false, "' /evil': a leading space" },
	{ "/ /evil", false, "a space" },
	{ "/%20/evil", true, "an escaped space: only a path with a space" },
	{ "/evil\x7f", false, "DEL" },
	{ "https://evil", false, "'https://evil': a scheme" },
	{ "http:/\\evil", false, "'http:/\\evil'" },
	{ "http:evil", false, "'http:evil'" },
	{ "javascript:alert(1)", false, "'javascript:alert(1)'" },
	{ "JavaScript:alert(1)", false, "'JavaScript:alert(1)'" },
	{ "data:text/html,x", false, "'data:'" },
	{ "evil", false, "a relative reference" },
	{ "./evil", false, "'./evil'" },
	/* U+FF0F FULLWIDTH SOLIDUS, U+2215 DIVISION SLASH, U+FF3C
	 * FULLWIDTH REVERSE SOLIDUS: look like "/" or "\" to a reader,
	 * and some hops normalise them (NFKC) to the real ones. */
	{ "/\xef\xbc\x8f" "evil.com", false, "'/' + fullwidth solidus" },
	{ "\xef\xbc\x8f\xef\xbc\x8f" "evil.com", false,
	    "two fullwidth solidi" },
	{ "/\xe2\x88\x95" "evil.com", false, "'/' + division slash" },
	{ "/\xef\xbc\xbc" "evil.com", false,
	    "'/' + fullwidth reverse solidus" },
	{ "/caf\xc3\xa9", false, "raw UTF-8 (browsers send it escaped)" },
	{ "/caf%C3%A9", true, "escaped UTF-8" },
};

static void
test_limit(void)
{
	char	 rd[REDIRECT_RD_MAX + 2];

	memset(rd, 'a', sizeof(rd));
	rd[0] = '/';
	ok(redirect_ok(rd, REDIRECT_RD_MAX), "REDIRECT_RD_MAX bytes: accepted");
	ok(!redirect_ok(rd, REDIRECT_RD_MAX + 1), "one byte more: refused");
	rd[REDIRECT_RD_MAX + 1] = '\0';
	is_str(redirect_target(rd, "/home"), "/home",
	    "  redirect_target gives the fallback");
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(redirect_ok(cases[i].rd, strlen(cases[i].rd)) ==
		    cases[i].ok, cases[i].why);
		is_str(redirect_target(cases[i].rd, "/fallback"),
		    cases[i].ok ? cases[i].rd : "/fallback",
		    "  redirect_target");
	}
	ok(!redirect_ok("/a\0b", 4), "a NUL inside");
	ok(redirect_ok("/%2", 3), "a cut escape at the end: a path");
	is_str(redirect_target(NULL, "/fallback"), "/fallback",
	    "no rd: the fallback");
	test_limit();
	return done_testing();
}
