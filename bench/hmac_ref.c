/*
 * hmac_ref: the least work that checks an HS256 token, the yardstick
 * for authgate's instructions per /protected request in bench/run.
 * bare_check() base64url-decodes the three parts of the token, computes
 * HMAC-SHA256 over "header.payload" with OpenSSL's one-shot HMAC() and
 * compares the signature in constant time; no JSON, no claims.
 *
 *	hmac_ref KEYFILE TOKEN [LOOPS]
 *
 * One warm-up check first (OpenSSL fetches the digest on first use, as
 * authgate does while loading its key), then LOOPS checks (default 1);
 * prints the nanoseconds per check.  Run under
 * valgrind --tool=callgrind --toggle-collect=bare_check for the
 * instruction count.  Exit 0 when the signature matched.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define TOKEN_MAX	8192
#define KEY_MAX		1024

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Unpadded base64url of in[0..n) into out; the length, or -1. */
static long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz)
{
	unsigned long	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = b64url_val((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

/* noinline: callgrind's --toggle-collect needs the symbol. */
__attribute__((noinline)) static bool
bare_check(const unsigned char *key, size_t keylen, const char *tok)
{
	unsigned char	 buf[TOKEN_MAX], mac[EVP_MAX_MD_SIZE];
	unsigned char	 sig[64];
	unsigned int	 maclen = 0;
	const char	*d1, *d2;
	long		 n;

	if ((d1 = strchr(tok, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL)
		return false;
	if (b64url_decode(tok, (size_t)(d1 - tok), buf, sizeof(buf)) < 0 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf,
	    sizeof(buf)) < 0)
		return false;
	n = b64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof(sig));
	if (n != 32)
		return false;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)tok,
	    (size_t)(d2 - tok), mac, &maclen) == NULL || maclen != 32)
		return false;
	return CRYPTO_memcmp(mac, sig, 32) == 0;
}

int
main(int argc, char *argv[])
{
	unsigned char	 key[KEY_MAX];
	struct timespec	 t0, t1;
	FILE		*f;
	size_t		 keylen;
	long		 loops = 1, i;
	bool		 good = true;
	double		 ns;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: hmac_ref keyfile token [loops]\n");
		return 2;
	}
	if (argc == 4 && (loops = strtol(argv[3], NULL, 10)) < 1)
		loops = 1;
	if ((f = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	keylen = fread(key, 1, sizeof(key), f);
	(void)fclose(f);
	/* The key is the file's bytes up to an optional final newline. */
	if (keylen > 0 && key[keylen - 1] == '\n')
		keylen--;
	/* Warm-up outside bare_check, which callgrind counts. */
	if (HMAC(EVP_sha256(), key, (int)keylen, key, keylen, NULL, NULL) ==
	    NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < loops; i++)
		good = bare_check(key, keylen, argv[2]) && good;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	OPENSSL_cleanse(key, sizeof(key));
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec)) / (double)loops;
	printf("%.0f ns per check%s\n", ns, good ? "" : " (signature mismatch)");
	return good ? 0 : 1;
}
