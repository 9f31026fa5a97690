/*
 * scope.c: RFC 6749 3.3's grammar and the list operations, one case per
 * rule, and the user_db codec's round trip of scopes with ':' and ','.
 */
#include <string.h>

#include "../src/scope.h"
#include "../src/store.h"
#include "tap.h"

static const struct {
	const char	*in;
	bool		 valid;
} grammar[] = {
	{ "read",		true },
	{ "read write",		true },
	{ "api:read",		true },
	{ "repo:status a,b",	true },
	{ "!#$%&'()*+-./;<=>?@[]^_`{|}~", true },
	{ "",			false },
	{ " read",		false },
	{ "read ",		false },
	{ "read  write",	false },
	{ "read\twrite",	false },
	{ "a\"b",		false },
	{ "a\\b",		false },
	{ "caf\xc3\xa9",	false },
	{ "a\x7f",		false },
};

static const struct {
	const char	*in;
	enum ag_err	 want;
	const char	*out;
} norm[] = {
	{ "read write",			AG_OK,		"read write" },
	{ "  read\t\twrite  ",		AG_OK,		"read write" },
	{ "api:read api:read x",	AG_OK,		"api:read x" },
	{ "",				AG_OK,		"" },
	{ " \t ",			AG_OK,		"" },
	{ "read wr\"ite",		AG_EINVAL,	"" },
	{ "caf\xc3\xa9",		AG_EINVAL,	"" },
};

static const struct {
	const char	*want, *allowed, *dflt;
	enum ag_err	 e;
	const char	*out;
} grants[] = {
	{ "api:read",		"api:read repo:status",	"",	AG_OK,
	    "api:read" },
	{ "b a b",	"a b c",	"",	AG_OK, "b a" },
	{ "a d",	"a b c",	"",	AG_EDENIED, NULL },
	{ "a  b",	"a b c",	"",	AG_EINVAL, NULL },
	{ "a\"",	"a b c",	"",	AG_EINVAL, NULL },
	{ NULL,		"a b c",	"",	AG_OK, "a b c" },
	{ "",			"a b a",		"",	AG_OK, "a b" },
	{ NULL,			"a b c",		"c x a", AG_OK, "c a" },
	{ NULL,			"a b c",		"x",	AG_OK, "" },
	{ NULL,			"",			"",	AG_OK, "" },
};

static void
test_grammar(void)
{
	char	 big[AG_SCOPE_MAX + 2];
	size_t	 i;

	for (i = 0; i < sizeof(grammar) / sizeof(grammar[0]); i++)
		is_int(scope_valid(grammar[i].in), grammar[i].valid,
		    grammar[i].in);
	ok(scope_char(':') && scope_char(',') && scope_char('%') &&
	    !scope_char(' ') && !scope_char('"') && !scope_char('\\'),
	    "NQCHAR holds ':' ',' '%', not SP '\"' '\\'");
	memset(big, 'a', AG_SCOPE_MAX);
	big[AG_SCOPE_MAX] = '\0';
	ok(scope_valid(big), "AG_SCOPE_MAX bytes is a scope");
	big[AG_SCOPE_MAX] = 'a';
	big[AG_SCOPE_MAX + 1] = '\0';
	ok(!scope_valid(big), "AG_SCOPE_MAX + 1 bytes is not");
}

static void
test_normalise(void)
{
	char		 out[AG_SCOPE_MAX + 1], big[AG_SCOPE_MAX + 8];
	const char	*bad = NULL;
	size_t		 i;

	for (i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		is_int(scope_normalise(norm[i].in, out, sizeof(out), NULL),
		    norm[i].want, norm[i].in);
		is_str(out, norm[i].out, "normal form");
	}
	is_int(scope_normalise("ok b\"ad x", out, sizeof(out), &bad),
	    AG_EINVAL, "bad token");
	is_str(bad, "b\"ad x", "bad points at the bad token");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(scope_normalise(big, out, sizeof(out), NULL), AG_ETOOBIG,
	    "over AG_SCOPE_MAX");
	is_int(scope_normalise("abc", out, 3, NULL), AG_ETOOBIG,
	    "over outsz");
}

static void
test_sets(void)
{
	char	 out[AG_SCOPE_MAX + 1];
	size_t	 i;

	ok(scope_has("read api:read", "api:read", 8), "has api:read");
	ok(!scope_has("read api:read", "api", 3), "not a prefix");
	ok(!scope_has("read", "", 0), "never the empty token");
	ok(scope_covers("a b:c d", "d b:c", " "), "covers");
	ok(!scope_covers("a b:c d", "d b", " "), "does not cover");
	ok(scope_covers("a b:c d", " a,,b:c ", " ,"), "covers, ',' lists");
	ok(scope_covers("a", "", " "), "covers the empty list");
	is_int(scope_meet("c a x a", "a b c", false, out, sizeof(out)),
	    AG_OK, "meet");
	is_str(out, "c a", "meet: a's order, once each");
	is_int(scope_meet("c x", "a b c", true, out, sizeof(out)),
	    AG_EDENIED, "meet subset_only");
	is_int(scope_meet("a b", "a b", false, out, 3), AG_ETOOBIG,
	    "meet over outsz");
	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		is_int(scope_grant(grants[i].want, grants[i].allowed,
		    grants[i].dflt, out, sizeof(out)), grants[i].e,
		    grants[i].want != NULL ? grants[i].want : "(none)");
		if (grants[i].out != NULL)
			is_str(out, grants[i].out, "granted");
	}
}

/* The user_db codec keeps ':' ',' '%' and writes what Apache can read. */
static void
test_codec(void)
{
	const char	*want = "$scrypt$x:api%3Aread,repo%3Astatus,a%2Cb,"
			    "50%25,read:ag1 ";
	const char	*foreign = "h:x%3ay,50%off,100%,%2:ag1";
	struct user	 u, v;
	char		 buf[STORE_RECORD_MAX];
	size_t		 len;

	memset(&u, 0, sizeof(u));
	(void)strcpy(u.hash, "$scrypt$x");
	(void)strcpy(u.scope, "api:read repo:status a,b 50% read");
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_OK,
	    "encode api:read");
	ok(strncmp(buf, want, strlen(want)) == 0,
	    "groups encoded for mod_authz_dbm");
	memset(&v, 0, sizeof(v));
	is_int(store_user_decode(buf, len, &v), AG_OK, "decode");
	is_str(v.scope, u.scope, "round trip");
	is_int(store_user_decode(foreign, strlen(foreign), &v),
	    AG_OK, "foreign '%' kept");
	is_str(v.scope, "x:y 50%off 100% %2", "lower-case hex and a bare '%'");
	/* The longest scope of 3-byte encodings still fits a record. */
	memset(u.scope, ':', AG_SCOPE_MAX);
	u.scope[AG_SCOPE_MAX] = '\0';
	memset(u.hash, 'h', AG_HASH_MAX);
	u.hash[AG_HASH_MAX] = '\0';
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_OK,
	    "longest hash and scope of ':' encode");
	is_int(store_user_decode(buf, len, &v), AG_OK, "and decode");
	is_str(v.scope, u.scope, "and round-trip");
}

int
main(void)
{
	test_grammar();
	test_normalise();
	test_sets();
	test_codec();
	return done_testing();
}
