/*
 * form.c: application/x-www-form-urlencoded parsing, one case per rule.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/form.h"
#include "tap.h"

static const struct {
	const char	*in;
	enum ag_err	 want;
	const char	*name;		/* field looked up on AG_OK */
	const char	*value;		/* its value, NULL if absent */
	size_t		 count;
} cases[] = {
	{ "username=al&password=x",	AG_OK,	"username", "al", 1 },
	{ "username=al&password=x",	AG_OK,	"password", "x", 1 },
	{ "username=a%6C",		AG_OK,	"username", "al", 1 },
	{ "username=a%6c",		AG_OK,	"username", "al", 1 },
	{ "username=a+l",		AG_OK,	"username", "a l", 1 },
	{ "user%6Eame=al",		AG_OK,	"username", "al", 1 },
	{ "a+b=1",			AG_OK,	"a b", "1", 1 },
	{ "username=",			AG_OK,	"username", "", 1 },
	{ "username",			AG_OK,	"username", "", 1 },
	{ "x=1&username",		AG_OK,	"username", "", 1 },
	{ "a=%2B%26%3D",		AG_OK,	"a", "+&=", 1 },
	{ "a=b=c",			AG_OK,	"a", "b=c", 1 },
	{ "a=%C3%A9",			AG_OK,	"a", "\xc3\xa9", 1 },
	/* Empty sequences are skipped (WHATWG). */
	{ "a=1&&b=2",			AG_OK,	"b", "2", 1 },
	{ "&a=1&",			AG_OK,	"a", "1", 1 },
	{ "",				AG_OK,	"a", NULL, 0 },
	{ "&&&",			AG_OK,	"a", NULL, 0 },
	{ "b=1",			AG_OK,	"a", NULL, 0 },
	/* Repeats are reported, so callers refuse them (RFC 6749 3.2). */
	{ "username=al&username=bo",	AG_OK,	"username", "al", 2 },
	{ "scope=&scope=",		AG_OK,	"scope", "", 2 },
	/* Names are compared exactly. */
	{ "Username=al",		AG_OK,	"username", NULL, 0 },
	/* Bad escapes are errors, not guesses. */
	{ "username=%4",		AG_EINVAL, NULL, NULL, 0 },
	{ "username=%",			AG_EINVAL, NULL, NULL, 0 },
	{ "username=%zz",		AG_EINVAL, NULL, NULL, 0 },
	{ "username=%g1",		AG_EINVAL, NULL, NULL, 0 },
	{ "user%2=al",			AG_EINVAL, NULL, NULL, 0 },
	{ "a=1&b=%%",			AG_EINVAL, NULL, NULL, 0 },
	/* A NUL would cut a value short in C: "al\0admin". */
	{ "username=al%00admin",	AG_EINVAL, NULL, NULL, 0 },
	{ "user%00=al",			AG_EINVAL, NULL, NULL, 0 },
};

static void
test_cases(void)
{
	struct form	 f;
	char		 buf[256], name[300];
	const char	*v;
	size_t		 i, len, count;
	enum ag_err	 e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		memcpy(buf, cases[i].in, len);
		buf[len] = 'X';		/* form_parse must write the NUL */
		e = form_parse(buf, len, &f);
		snprintf(name, sizeof(name), "\"%s\": status", cases[i].in);
		is_int(e, cases[i].want, name);
		if (e != AG_OK) {
			is_int(f.n, 0, "no fields after an error");
			continue;
		}
		v = form_get(&f, cases[i].name, &count);
		snprintf(name, sizeof(name), "\"%s\": %s", cases[i].in,
		    cases[i].name);
		if (cases[i].value == NULL)
			ok(v == NULL, name);
		else
			is_str(v, cases[i].value, name);
		is_int(count, cases[i].count, "count");
	}
}

static void
test_binary(void)
{
	struct form	 f;
	char		 buf[16];
	enum ag_err	 e;

	/* A raw NUL in the body. */
	memcpy(buf, "a=x\0b=y", 7);
	e = form_parse(buf, 7, &f);
	is_int(e, AG_EINVAL, "raw NUL byte refused");

	/* The value length is reported. */
	memcpy(buf, "a=%41%42c", 9);
	e = form_parse(buf, 9, &f);
	is_int(e, AG_OK, "escapes parse");
	is_int(f.fields[0].valuelen, 3, "valuelen after decoding");
	is_int(buf[9], '\0', "NUL written at buf[len]");
	ok(form_get(&f, "a", NULL) != NULL, "count may be NULL");
}

static void
test_limit(void)
{
	struct form	 f;
	char		 buf[FORM_FIELDS_MAX * 8 + 16];
	size_t		 len = 0, i;
	enum ag_err	 e;

	for (i = 0; i < FORM_FIELDS_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%sf%zu=1", i ? "&" : "", i);
	e = form_parse(buf, len, &f);
	is_int(e, AG_OK, "FORM_FIELDS_MAX fields accepted");
	is_int(f.n, FORM_FIELDS_MAX, "all counted");

	len = 0;
	for (i = 0; i < FORM_FIELDS_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%sf%zu=1", i ? "&" : "", i);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "&z=1");
	e = form_parse(buf, len, &f);
	is_int(e, AG_ETOOBIG, "FORM_FIELDS_MAX + 1 fields refused");
	is_int(f.n, 0, "and the form is empty");
}

static void
test_decode(void)
{
	char	 out[4];
	size_t	 n;

	is_int(form_decode("abc", 3, out, sizeof(out), &n), AG_OK,
	    "decode fits exactly");
	is_str(out, "abc", "decoded");
	is_int(n, 3, "decoded length");
	is_int(form_decode("abcd", 4, out, sizeof(out), &n), AG_ETOOBIG,
	    "one byte over: ETOOBIG");
	is_int(form_decode("%61%62%63", 9, out, sizeof(out), &n), AG_OK,
	    "escapes shrink to fit");
	is_str(out, "abc", "decoded escapes");
	is_int(form_decode("a%00", 4, out, sizeof(out), &n), AG_EINVAL,
	    "%00 refused");
}

int
main(void)
{
	test_cases();
	test_binary();
	test_limit();
	test_decode();
	return done_testing();
}
