/*
 * utf8.c: RFC 3629 UTF-8, one case per rule (lengths, code points,
 * overlong forms, surrogates, the U+10FFFF limit, truncation).
 */
#include <stdint.h>
#include <string.h>

#include "../src/utf8.h"
#include "tap.h"

static const struct {
	const char	*s;
	size_t		 len;		/* bytes given */
	size_t		 want;		/* utf8_decode's answer */
	uint32_t	 cp;
	const char	*name;
} cases[] = {
	{ "A",			1, 1, 0x41,	"ASCII" },
	{ "\x7f",		1, 1, 0x7f,	"DEL is ASCII" },
	{ "\xc2\x80",		2, 2, 0x80,	"smallest two-byte" },
	{ "\xc3\xa9",		2, 2, 0xe9,	"e acute" },
	{ "\xdf\xbf",		2, 2, 0x7ff,	"largest two-byte" },
	{ "\xe0\xa0\x80",	3, 3, 0x800,	"smallest three-byte" },
	{ "\xed\x9f\xbf",	3, 3, 0xd7ff,	"just below the surrogates" },
	{ "\xee\x80\x80",	3, 3, 0xe000,	"just above the surrogates" },
	{ "\xef\xbf\xbf",	3, 3, 0xffff,	"largest three-byte" },
	{ "\xf0\x90\x80\x80",	4, 4, 0x10000,	"smallest four-byte" },
	{ "\xf4\x8f\xbf\xbf",	4, 4, 0x10ffff,	"U+10FFFF" },
	{ "\xc0\x80",		2, 0, 0,	"overlong NUL" },
	{ "\xc1\xbf",		2, 0, 0,	"overlong two-byte" },
	{ "\xe0\x9f\xbf",	3, 0, 0,	"overlong three-byte" },
	{ "\xf0\x8f\xbf\xbf",	4, 0, 0,	"overlong four-byte" },
	{ "\xed\xa0\x80",	3, 0, 0,	"high surrogate" },
	{ "\xed\xbf\xbf",	3, 0, 0,	"low surrogate" },
	{ "\xf4\x90\x80\x80",	4, 0, 0,	"beyond U+10FFFF" },
	{ "\xf5\x80\x80\x80",	4, 0, 0,	"lead byte F5" },
	{ "\xff",		1, 0, 0,	"byte FF" },
	{ "\x80",		1, 0, 0,	"lone continuation" },
	{ "\xc3",		1, 0, 0,	"truncated two-byte" },
	{ "\xe2\x82",		2, 0, 0,	"truncated three-byte" },
	{ "\xf0\x9f\x98",	3, 0, 0,	"truncated four-byte" },
	{ "\xc3\x28",		2, 0, 0,	"bad continuation" },
	{ "\xe2\x28\xa1",	3, 0, 0,	"bad second of three" },
};

int
main(void)
{
	size_t		 i, got;
	uint32_t	 cp;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp = 0xdeadbeef;
		got = utf8_decode(cases[i].s, cases[i].len, &cp);
		is_int(got, cases[i].want, cases[i].name);
		if (cases[i].want > 0)
			is_int(cp, cases[i].cp, "  code point");
		is_int(utf8_valid(cases[i].s, cases[i].len),
		    cases[i].want == cases[i].len, "  utf8_valid agrees");
	}
	is_int(utf8_decode("\xc3\xa9", 2, NULL), 2, "cp may be NULL");
	is_int(utf8_decode("ab", 2, &cp), 1, "one character at a time");
	ok(utf8_valid("", 0), "empty is valid");
	ok(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
	    "mixed lengths");
	ok(!utf8_valid("ok\xc3", 3), "truncated at the end");
	ok(utf8_valid("a\0b", 3), "NUL is a character (callers refuse it)");
	return done_testing();
}
