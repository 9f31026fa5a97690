/*
 * Fuzz target: compact JWS verification.  The first byte picks what the
 * rest is: 0 a whole token; 1 a protected header, signed with a valid
 * HS256 signature so that the checks after it are reached; 2 a payload
 * that jws_sign() signs and jws_verify() must then accept unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/authgate.h"
#include "../../src/b64.h"
#include "../../src/conf.h"
#include "../../src/jws.h"
#include "../../src/key.h"

#define FIXED_PAYLOAD	"{\"sub\":\"fuzz\"}"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throw-away HS256 keyring, made on the first call. */
static struct keyring *
ring(void)
{
	static struct keyring	*kr;
	static struct conf	 c;
	char			 dir[] = "/tmp/fuzz_jws.XXXXXX";
	char			 why[AG_WHY_MAX];

	if (kr != NULL)
		return kr;
	if (mkdtemp(dir) == NULL)
		abort();
	conf_defaults(&c);
	c.algorithm = AG_HS256;
	c.key_dir[0] = '\0';
	c.jwks_file[0] = '\0';
	snprintf(c.key_file, sizeof(c.key_file), "%s/k", dir);
	if (key_generate(AG_HS256, c.key_file, false, why, sizeof(why)) !=
	    AG_OK || keyring_load(&c, &kr, why, sizeof(why)) != AG_OK) {
		fprintf(stderr, "fuzz_jws: %s\n", why);
		abort();
	}
	(void)unlink(c.key_file);
	(void)rmdir(dir);
	return kr;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 tok[AG_TOKEN_MAX + 64];
	static char		 pay[AG_TOKEN_MAX];
	struct keyring		*kr = ring();
	const struct key	*k = keyring_signer(kr);
	unsigned char		 sig[KEY_SIG_MAX];
	const char		*why;
	size_t			 n, plen, siglen;
	enum ag_err		 e;

	if (size < 1 || size > AG_TOKEN_MAX + 1)
		return 0;
	switch (data[0]) {
	case 0:
		e = jws_verify(kr, AG_HS256, (const char *)data + 1, size - 1,
		    pay, sizeof(pay), &plen, &why);
		if (e != AG_OK && (why == NULL || plen != 0))
			abort();
		break;
	case 1:
		if (size - 1 > 2048)
			return 0;
		n = b64_encode(data + 1, size - 1, tok, sizeof(tok));
		tok[n++] = '.';
		n += b64_encode(FIXED_PAYLOAD, strlen(FIXED_PAYLOAD), tok + n,
		    sizeof(tok) - n);
		if (key_sign(k, tok, n, sig, sizeof(sig), &siglen) != AG_OK)
			abort();
		tok[n++] = '.';
		n += b64_encode(sig, siglen, tok + n, sizeof(tok) - n);
		if (jws_verify(kr, AG_HS256, tok, n, pay, sizeof(pay), &plen,
		    &why) == AG_OK && (plen != strlen(FIXED_PAYLOAD) ||
		    strcmp(pay, FIXED_PAYLOAD) != 0))
			abort();
		break;
	case 2:
		if (jws_sign(k, (const char *)data + 1, size - 1, tok,
		    sizeof(tok), &n) != AG_OK)
			break;
		if (n > AG_TOKEN_MAX || jws_verify(kr, AG_HS256, tok, n, pay,
		    sizeof(pay), &plen, &why) != AG_OK || plen != size - 1 ||
		    memcmp(pay, data + 1, plen) != 0)
			abort();
		break;
	default:
		break;
	}
	return 0;
}
