/*
 * bearer.c: the WWW-Authenticate value of RFC 6750 section 3 (its
 * parameters in order, quoted-strings escaped, control bytes dropped,
 * nothing written past the buffer) and the Bearer scheme's name.
 */
#include <string.h>

#include "../src/bearer.h"
#include "tap.h"

int
main(void)
{
	char	 h[256], small[24];

	ok(bearer_challenge(h, sizeof(h), "authgate", NULL, NULL, NULL),
	    "realm only");
	is_str(h, "Bearer realm=\"authgate\"", "  as RFC 6750 3");
	ok(bearer_challenge(h, sizeof(h), "r", "invalid_token",
	    "The token expired", NULL), "error and description");
	is_str(h, "Bearer realm=\"r\", error=\"invalid_token\", "
	    "error_description=\"The token expired\"", "  in that order");
	ok(bearer_challenge(h, sizeof(h), "r", "insufficient_scope", "d",
	    "a b"), "with a scope");
	is_str(h, "Bearer realm=\"r\", error=\"insufficient_scope\", "
	    "error_description=\"d\", scope=\"a b\"", "  scope last");
	ok(bearer_challenge(h, sizeof(h), "say \"hi\" \\ o/", NULL,
	    "line\r\nInjected: 1\x7f", NULL), "hostile realm and text");
	is_str(h, "Bearer realm=\"say \\\"hi\\\" \\\\ o/\", "
	    "error_description=\"lineInjected: 1\"",
	    "  quotes and backslashes escaped, control bytes dropped");
	memset(small, 'x', sizeof(small));
	ok(!bearer_challenge(small, sizeof(small) - 1, "a realm too long "
	    "for it", NULL, NULL, NULL), "does not fit: false");
	is_int(small[sizeof(small) - 1], 'x', "  nothing past the buffer");
	ok(!bearer_challenge(h, 0, "r", NULL, NULL, NULL), "no room at all");

	ok(bearer_scheme("Bearer abc"), "Bearer token");
	ok(bearer_scheme("  bearer\tabc"), "any case, spaces before");
	ok(bearer_scheme("Bearer"), "the scheme alone");
	ok(!bearer_scheme("Bearerabc"), "not a longer word");
	ok(!bearer_scheme("Basic YWxhZGRpbjpvcGVu"), "not Basic");
	ok(!bearer_scheme(""), "empty");
	return done_testing();
}
