/*
 * jparse: strict JSON for untrusted JOSE headers and claims.  Each
 * refusal below is an input some parser accepts and an attacker could
 * use: duplicate names that two parsers resolve differently (RFC 8725
 * section 3.x), bytes after the object, invalid UTF-8, lone surrogates,
 * NULs that cut C strings, numbers that round, deep nesting.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/jparse.h"
#include "tap.h"

static const struct {
	const char	*json;
	int		 good;
	const char	*name;
} cases[] = {
	{ "{}", 1, "empty object" },
	{ " \t\r\n{ } \n", 1, "whitespace around" },
	{ "{\"a\":1}", 1, "one member" },
	{ "{\"a\":{\"b\":[1,2,{\"c\":null}]}}", 1, "nested" },
	{ "[]", 0, "top-level array refused" },
	{ "\"a\"", 0, "top-level string refused" },
	{ "", 0, "empty input refused" },
	{ "{", 0, "unterminated object" },
	{ "{\"a\":1,}", 0, "trailing comma refused" },
	{ "{\"a\" 1}", 0, "missing colon refused" },
	{ "{a:1}", 0, "unquoted name refused" },
	{ "{'a':1}", 0, "single quotes refused" },
	{ "{\"a\":1}x", 0, "trailing bytes refused" },
	{ "{\"a\":1}{}", 0, "second object refused" },
	{ "{\"a\":1}\0", 0, "trailing NUL refused" },
	{ "{\"a\":1,\"a\":2}", 0, "duplicate member refused" },
	{ "{\"a\":1,\"\\u0061\":2}", 0, "duplicate via escape refused" },
	{ "{\"x\":{\"a\":1,\"a\":2}}", 0, "nested duplicate refused" },
	{ "{\"x\":{\"a\":1},\"y\":{\"a\":1}}", 1,
	    "same name in sibling objects" },
	{ "{\"x\":{\"a\":{\"a\":1}}}", 1, "same name in child object" },
	{ "{\"a\":tru}", 0, "bad literal" },
	{ "{\"a\":True}", 0, "capitalised literal refused" },
	{ "{\"a\":01}", 0, "leading zero refused" },
	{ "{\"a\":-}", 0, "lone minus refused" },
	{ "{\"a\":+1}", 0, "plus sign refused" },
	{ "{\"a\":1.}", 0, "empty fraction refused" },
	{ "{\"a\":.5}", 0, "no integer part refused" },
	{ "{\"a\":1e}", 0, "empty exponent refused" },
	{ "{\"a\":NaN}", 0, "NaN refused" },
	{ "{\"a\":Infinity}", 0, "Infinity refused" },
	{ "{\"a\":0x10}", 0, "hex refused" },
	{ "{\"a\":1.5e+10}", 1, "float with exponent" },
	{ "{\"a\":\"\\u0000\"}", 0, "escaped NUL refused" },
	{ "{\"a\":\"\\ud800\"}", 0, "lone high surrogate refused" },
	{ "{\"a\":\"\\udc00\"}", 0, "lone low surrogate refused" },
	{ "{\"a\":\"\\ud800\\u0041\"}", 0, "high surrogate + non-low refused" },
	{ "{\"a\":\"\\ud83d\\ude00\"}", 1, "surrogate pair" },
	{ "{\"a\":\"\\x41\"}", 0, "\\x escape refused" },
	{ "{\"a\":\"\\u12\"}", 0, "short \\u refused" },
	{ "{\"a\":\"\\u12g4\"}", 0, "bad hex refused" },
	{ "{\"a\":\"a\nb\"}", 0, "raw control byte refused" },
	{ "{\"a\":\"a\tb\"}", 0, "raw tab refused" },
	{ "{\"a\":\"\xc3\xa9\"}", 1, "two-byte UTF-8" },
	{ "{\"a\":\"\xf0\x9f\x98\x80\"}", 1, "four-byte UTF-8" },
	{ "{\"a\":\"\xff\"}", 0, "0xff refused" },
	{ "{\"a\":\"\xc3\"}", 0, "truncated UTF-8 refused" },
	{ "{\"a\":\"\xc0\xaf\"}", 0, "overlong UTF-8 refused" },
	{ "{\"a\":\"\xe0\x80\xaf\"}", 0, "overlong 3-byte refused" },
	{ "{\"a\":\"\xed\xa0\x80\"}", 0, "UTF-8 surrogate refused" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, "over U+10FFFF refused" },
	{ "{\"\xff\":1}", 0, "invalid UTF-8 in name refused" },
	{ "{\"a\":1 \xc2\xa0}", 0, "non-ASCII whitespace refused" },
	{ "{\"a\":1\f}", 0, "form feed as whitespace refused" },
	{ "{\"a\":\"unterminated}", 0, "unterminated string" },
	{ "{\"a\":\"x\\\"}", 0, "escaped closing quote" },
	{ "{\"a\":[\"x\",]}", 0, "trailing comma in array refused" },
	{ "{\"a\":[[[[[[[1]]]]]]]}", 1, "depth 8 accepted" },
	{ "{\"a\":[[[[[[[[1]]]]]]]]}", 0, "depth 9 refused" },
	{ "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}", 1,
	    "object depth 8 accepted" },
	{ "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}",
	    0, "object depth 9 refused" },
};

static const char typed[] =
    "{\"s\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac"
    "\\ud83d\\ude00\",\"i\":-42,\"t\":true,\"f\":false,\"z\":null,"
    "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
    "\"over\":9223372036854775808,\"under\":-9223372036854775809,"
    "\"fl\":1.0,\"ex\":1e3,\"nz\":-0,\"o\":{\"k\":\"v\"},"
    "\"aud\":[\"x\",\"y\"],\"ea\":[],\"mix\":[\"x\",1],"
    "\"after\":\"ok\"}";

int
main(void)
{
	static struct jp_obj	 o;
	const struct jp_member	*m;
	const struct jp_str	*s;
	char			*big;
	size_t			 i, n;
	enum ag_err		 e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].json);
		/* the one case with a NUL inside keeps it */
		if (strcmp(cases[i].name, "trailing NUL refused") == 0)
			n++;
		e = jp_parse(cases[i].json, n, &o);
		ok((e == AG_OK) == cases[i].good, cases[i].name);
	}

	/* Typed values. */
	e = jp_parse(typed, sizeof(typed) - 1, &o);
	is_int(e, AG_OK, "typed object parses");
	is_int(o.n, 17, "17 members");
	m = jp_get(&o, "s");
	ok(m && m->type == JP_STRING, "string type");
	ok(m && m->str.len == 18 && memcmp(m->str.s,
	    "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 18) == 0,
	    "escapes decoded to UTF-8");
	ok(m && m->str.s[m->str.len] == '\0', "string NUL-terminated");
	m = jp_get(&o, "i");
	ok(m && m->type == JP_INT && m->num == -42, "int -42");
	m = jp_get(&o, "t");
	ok(m && m->type == JP_BOOL && m->b, "true");
	m = jp_get(&o, "f");
	ok(m && m->type == JP_BOOL && !m->b, "false");
	m = jp_get(&o, "z");
	ok(m && m->type == JP_NULL, "null");
	m = jp_get(&o, "max");
	ok(m && m->type == JP_INT && m->num == INT64_MAX, "INT64_MAX exact");
	m = jp_get(&o, "min");
	ok(m && m->type == JP_INT && m->num == INT64_MIN, "INT64_MIN exact");
	m = jp_get(&o, "over");
	ok(m && m->type == JP_NUMBER, "INT64_MAX + 1 is not an int");
	m = jp_get(&o, "under");
	ok(m && m->type == JP_NUMBER, "INT64_MIN - 1 is not an int");
	m = jp_get(&o, "fl");
	ok(m && m->type == JP_NUMBER, "1.0 is not an int");
	m = jp_get(&o, "ex");
	ok(m && m->type == JP_NUMBER, "1e3 is not an int");
	m = jp_get(&o, "nz");
	ok(m && m->type == JP_INT && m->num == 0, "-0 is int 0");
	m = jp_get(&o, "o");
	ok(m && m->type == JP_OTHER, "object is other");
	m = jp_get(&o, "aud");
	ok(m && m->type == JP_STRARRAY && m->count == 2, "array of strings");
	s = m ? jp_arr_str(&o, m, 1) : NULL;
	ok(s && jp_str_eq(s, "y"), "array element 1");
	ok(m && jp_arr_str(&o, m, 2) == NULL, "past the array end");
	m = jp_get(&o, "ea");
	ok(m && m->type == JP_STRARRAY && m->count == 0, "empty array");
	m = jp_get(&o, "mix");
	ok(m && m->type == JP_OTHER, "mixed array is other");
	m = jp_get(&o, "after");
	ok(m && m->type == JP_STRING && jp_str_eq(&m->str, "ok"),
	    "string after skipped values intact");
	ok(jp_get(&o, "k") == NULL, "nested names are not members");
	ok(jp_get(&o, "nope") == NULL, "absent member");

	/* Refused input leaves no members behind. */
	ok(jp_parse("{\"a\":1,\"a\":2}", 13, &o) != AG_OK && o.n == 0,
	    "no members after refusal");

	/* Limits: AG_TOKEN_MAX bytes, one more, deep nesting, members. */
	big = malloc(AG_TOKEN_MAX + 2);
	if (big == NULL)
		return 1;
	memset(big, ' ', AG_TOKEN_MAX + 1);
	memcpy(big, "{\"a\":\"", 6);
	big[AG_TOKEN_MAX - 2] = '"';
	big[AG_TOKEN_MAX - 1] = '}';
	memset(big + 6, 'x', AG_TOKEN_MAX - 8);
	is_int(jp_parse(big, AG_TOKEN_MAX, &o), AG_OK,
	    "AG_TOKEN_MAX bytes accepted");
	m = jp_get(&o, "a");
	ok(m && m->str.len == AG_TOKEN_MAX - 8, "long string intact");
	is_int(jp_parse(big, AG_TOKEN_MAX + 1, &o), AG_ETOOBIG,
	    "AG_TOKEN_MAX + 1 bytes refused");
	/* 10,000-deep arrays would blow a naive recursive parser. */
	memcpy(big, "{\"a\":", 5);
	memset(big + 5, '[', 4000);
	memset(big + 4005, ']', 4000);
	big[8005] = '}';
	is_int(jp_parse(big, 8006, &o), AG_EINVAL, "4000-deep refused");
	memset(big, '[', AG_TOKEN_MAX);
	is_int(jp_parse(big, AG_TOKEN_MAX, &o), AG_EINVAL,
	    "8192 '[' refused");
	/* escapes shrink: many \u escapes still fit the buffer */
	n = 0;
	n += (size_t)snprintf(big, 16, "{\"a\":\"");
	while (n + 12 < AG_TOKEN_MAX) {
		memcpy(big + n, "\\ud83d\\ude00", 12);
		n += 12;
	}
	big[n++] = '"';
	big[n++] = '}';
	is_int(jp_parse(big, n, &o), AG_OK, "many surrogate pairs");
	free(big);

	{
		char	 buf[1024];
		size_t	 k;

		n = (size_t)snprintf(buf, sizeof(buf), "{");
		for (k = 0; k < JP_MEMBERS_MAX; k++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "%s\"m%zu\":%zu", k ? "," : "", k, k);
		buf[n++] = '}';
		is_int(jp_parse(buf, n, &o), AG_OK, "JP_MEMBERS_MAX members");
		m = jp_get(&o, "m31");
		ok(m && m->type == JP_INT && m->num == 31, "last member");
		buf[n - 1] = ',';
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"x\":1}");
		is_int(jp_parse(buf, n, &o), AG_EINVAL,
		    "JP_MEMBERS_MAX + 1 members refused");
	}
	return done_testing();
}
