/*
 * b64: RFC 4648 section 10 vectors in the url alphabet without padding,
 * and refusal of every non-canonical form RFC 7515 section 2 excludes.
 */
#include <string.h>

#include "../src/b64.h"
#include "tap.h"

static const struct {
	const char	*raw;
	size_t		 rawlen;
	const char	*enc;
} vec[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg" },
	{ "fo", 2, "Zm8" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy" },
	/* the two characters where base64url differs from base64 */
	{ "\xfb\xff", 2, "-_8" },
	{ "\xff\xfe", 2, "__4" },
	{ "\x00\x00\x00", 3, "AAAA" },
};

static const struct {
	const char	*enc;
	size_t		 len;
	const char	*why;
} bad[] = {
	{ "Zg==", 4, "padding refused" },
	{ "Zm8=", 4, "single padding refused" },
	{ "Zm9v\n", 5, "trailing newline refused" },
	{ "Zm 9v", 5, "inner space refused" },
	{ " Zm9v", 5, "leading space refused" },
	{ "+/8", 3, "standard alphabet '+' '/' refused" },
	{ "Zm+v", 4, "'+' refused" },
	{ "Zm/v", 4, "'/' refused" },
	{ "Zh", 2, "non-zero trailing bits (1 byte) refused" },
	{ "Zm9", 3, "non-zero trailing bits (2 bytes) refused" },
	{ "Zm9vY", 5, "length % 4 == 1 refused" },
	{ "Z", 1, "single character refused" },
	{ "Zm\0v", 4, "NUL refused" },
	{ "Zm9v\xc3\xa9", 6, "non-ASCII refused" },
	{ "Zm.v", 4, "dot refused" },
};

/* The standard alphabet: '+' and '/' where base64url has '-' and '_'. */
static void
test_std(void)
{
	const unsigned char	 raw[] = { 0xfb, 0xff, 0xbf };
	unsigned char		 dec[8];
	char			 enc[8];
	size_t			 n;

	is_int(b64std_encode(raw, 3, enc, sizeof(enc)), 4, "std encode length");
	is_str(enc, "+/+/", "std encode uses + and /");
	ok(b64std_decode("+/+/", 4, dec, sizeof(dec), &n) == 0 && n == 3 &&
	    memcmp(dec, raw, 3) == 0, "std decode round trip");
	ok(b64std_decode("-_-_", 4, dec, sizeof(dec), &n) != 0,
	    "std decode refuses the URL alphabet");
	ok(b64_decode("+/+/", 4, dec, sizeof(dec), &n) != 0,
	    "url decode refuses the standard alphabet");
	ok(b64std_decode("+/8=", 4, dec, sizeof(dec), &n) != 0,
	    "std decode refuses padding");
	ok(b64std_decode("+/9", 3, dec, sizeof(dec), &n) != 0,
	    "std decode refuses non-zero trailing bits");
}

int
main(void)
{
	char		 enc[64];
	unsigned char	 dec[64];
	size_t		 i, n, dlen;
	char		 name[128];

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		n = b64_encode(vec[i].raw, vec[i].rawlen, enc, sizeof(enc));
		snprintf(name, sizeof(name), "encode vector %zu", i);
		is_str(enc, vec[i].enc, name);
		is_int(n, strlen(vec[i].enc), "encode length");
		is_int(B64_ENCLEN(vec[i].rawlen), strlen(vec[i].enc),
		    "B64_ENCLEN");
		dlen = 99;
		snprintf(name, sizeof(name), "decode vector %zu", i);
		ok(b64_decode(vec[i].enc, strlen(vec[i].enc), dec, sizeof(dec),
		    &dlen) == 0 && dlen == vec[i].rawlen &&
		    memcmp(dec, vec[i].raw, dlen) == 0, name);
		ok(B64_DECLEN(strlen(vec[i].enc)) == vec[i].rawlen,
		    "B64_DECLEN");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(b64_decode(bad[i].enc, bad[i].len, dec, sizeof(dec),
		    &dlen) == -1, bad[i].why);

	/* Buffers: exactly enough works, one byte less is refused. */
	is_int(b64_encode("foo", 3, enc, 5), 4, "encode into exact buffer");
	is_int(b64_encode("foo", 3, enc, 4), 0,
	    "encode without room for the NUL refused");
	memset(enc, 'x', sizeof(enc));
	(void)b64_encode("foobar", 6, enc, 3);
	ok(enc[0] == 'x', "a refused encode leaves dst untouched");
	ok(b64_decode("Zm9v", 4, dec, 3, &dlen) == 0 && dlen == 3,
	    "decode into exact buffer");
	ok(b64_decode("Zm9v", 4, dec, 2, &dlen) == -1,
	    "decode into a buffer one byte short refused");
	ok(b64_decode("Zm9vYg", 6, dec, 3, &dlen) == -1,
	    "decode of 4 bytes into 3 refused");
	test_std();
	return done_testing();
}
