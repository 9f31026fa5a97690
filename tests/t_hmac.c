/*
 * hmac: RFC 4231 section 4 test cases 1-4, 6 and 7 (case 5 truncates
 * the output, which HS256 never does), including keys longer than a
 * block; then every key length around the block size and every message
 * length around the block boundaries against OpenSSL's HMAC(), and
 * two MACs from one key in a row (the prepared pads must not change).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../src/hmac.h"
#include "tap.h"

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		(void)sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static size_t
unhex(const char *s, unsigned char *out)
{
	size_t	 n = 0;
	unsigned int v;

	while (s[0] != '\0' && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

static const struct {
	const char	*name, *key, *data, *mac;
} rfc4231[] = {
	{ "RFC 4231 case 1",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "RFC 4231 case 2 (key shorter than the output)",
	  "4a656665",
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "RFC 4231 case 3",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "RFC 4231 case 4",
	  "0102030405060708090a0b0c0d0e0f10111213141516171819",
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "RFC 4231 case 6 (131-byte key, hashed first)",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	  "65204b6579202d2048617368204b6579204669727374",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "RFC 4231 case 7 (131-byte key, long data)",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "5468697320697320612074657374207573696e672061206c6172676572207468"
	  "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
	  "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
	  "647320746f20626520686173686564206265666f7265206265696e6720757365"
	  "642062792074686520484d414320616c676f726974686d2e",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static void
vectors(void)
{
	unsigned char	 key[200], data[300], mac[HMAC_LEN];
	char		 got[2 * HMAC_LEN + 1];
	struct hmac_key	*hk;
	size_t		 i, kl, dl;

	for (i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		kl = unhex(rfc4231[i].key, key);
		dl = unhex(rfc4231[i].data, data);
		got[0] = '\0';
		if ((hk = hmac_key_new(key, kl)) != NULL &&
		    hmac_sha256(hk, data, dl, mac))
			hex(mac, sizeof(mac), got);
		is_str(got, rfc4231[i].mac, rfc4231[i].name);
		hmac_key_free(hk);
	}
}

/* Key lengths 0-130 and message lengths 0-200 against HMAC(). */
static void
against_openssl(void)
{
	unsigned char	 key[131], msg[201], mine[HMAC_LEN], ref[EVP_MAX_MD_SIZE];
	struct hmac_key	*hk;
	unsigned int	 rl;
	size_t		 kl, ml, bad = 0, runs = 0;

	for (kl = 0; kl < sizeof(key); kl++)
		key[kl] = (unsigned char)(kl * 7 + 1);
	for (ml = 0; ml < sizeof(msg); ml++)
		msg[ml] = (unsigned char)(ml * 13 + 5);
	for (kl = 0; kl < sizeof(key); kl++) {
		if ((hk = hmac_key_new(key, kl)) == NULL) {
			bad++;
			continue;
		}
		for (ml = 0; ml < sizeof(msg); ml += (kl % 8 == 0 ? 1 : 17)) {
			runs++;
			if (!hmac_sha256(hk, msg, ml, mine) ||
			    HMAC(EVP_sha256(), key, (int)kl, msg, ml, ref,
			    &rl) == NULL || rl != HMAC_LEN ||
			    memcmp(mine, ref, HMAC_LEN) != 0)
				bad++;
		}
		hmac_key_free(hk);
	}
	ok(runs > 3000, "thousands of key and message lengths compared");
	is_int(bad, 0, "every MAC equals OpenSSL's HMAC()");
}

static void
reuse(void)
{
	unsigned char	 a[HMAC_LEN], b[HMAC_LEN], c[HMAC_LEN];
	struct hmac_key	*hk;

	hk = hmac_key_new("0123456789abcdef0123456789abcdef", 32);
	ok(hk != NULL, "key prepared");
	if (hk == NULL)
		return;
	ok(hmac_sha256(hk, "first", 5, a) && hmac_sha256(hk, "second", 6, b) &&
	    hmac_sha256(hk, "first", 5, c), "three MACs from one key");
	ok(memcmp(a, c, sizeof(a)) == 0, "same message, same MAC after reuse");
	ok(memcmp(a, b, sizeof(a)) != 0, "different messages differ");
	hmac_key_free(hk);
}

int
main(void)
{
	vectors();
	against_openssl();
	reuse();
	return done_testing();
}
