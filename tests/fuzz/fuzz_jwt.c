/*
 * Fuzz target: access token claims.  The first byte picks what the rest
 * is: 0 a whole token for jwt_verify(); 1 a claims set, signed validly
 * so that every claim check is reached; 2 "sub\0scope" for jwt_issue(),
 * whose token must verify with the same claims.  Accepted claims must
 * hold what callers rely on: a non-empty sub, no control bytes, an exp
 * not past.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/authgate.h"
#include "../../src/conf.h"
#include "../../src/jws.h"
#include "../../src/jwt.h"
#include "../../src/key.h"

#define NOW	((time_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf	 c;

static struct keyring *
ring(void)
{
	static struct keyring	*kr;
	char			 dir[] = "/tmp/fuzz_jwt.XXXXXX";
	char			 why[AG_WHY_MAX];

	if (kr != NULL)
		return kr;
	if (mkdtemp(dir) == NULL)
		abort();
	conf_defaults(&c);
	c.algorithm = AG_HS256;
	c.key_dir[0] = '\0';
	c.jwks_file[0] = '\0';
	c.leeway = 30;
	snprintf(c.issuer, sizeof(c.issuer), "authgate");
	snprintf(c.audience, sizeof(c.audience), "api");
	snprintf(c.key_file, sizeof(c.key_file), "%s/k", dir);
	if (key_generate(AG_HS256, c.key_file, false, why, sizeof(why)) !=
	    AG_OK || keyring_load(&c, &kr, why, sizeof(why)) != AG_OK) {
		fprintf(stderr, "fuzz_jwt: %s\n", why);
		abort();
	}
	(void)unlink(c.key_file);
	(void)rmdir(dir);
	return kr;
}

static void
check(const struct claims *cl)
{
	const char	*s[] = { cl->sub, cl->scope, cl->client_id, cl->jti };
	size_t		 i, j;

	if (cl->sub[0] == '\0' || cl->exp <= NOW - 30)
		abort();
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		for (j = 0; s[i][j] != '\0'; j++)
			if ((unsigned char)s[i][j] < 0x20 || s[i][j] == 0x7f)
				abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 tok[AG_TOKEN_MAX + 1];
	static char		 in[AG_TOKEN_MAX + 1];
	struct keyring		*kr = ring();
	struct claims		 cl, c2;
	const char		*why, *scope;
	size_t			 n;

	if (size < 1 || size > AG_TOKEN_MAX + 1)
		return 0;
	switch (data[0]) {
	case 0:
		if (jwt_verify(&c, kr, (const char *)data + 1, size - 1, NOW,
		    &cl, &why) == AG_OK)
			check(&cl);
		break;
	case 1:
		if (jws_sign(keyring_signer(kr), (const char *)data + 1,
		    size - 1, tok, sizeof(tok), &n) != AG_OK)
			break;
		if (jwt_verify(&c, kr, tok, n, NOW, &cl, &why) == AG_OK)
			check(&cl);
		else if (why == NULL || cl.sub[0] != '\0')
			abort();
		break;
	case 2:
		memcpy(in, data + 1, size - 1);
		in[size - 1] = '\0';
		n = strlen(in);
		scope = n + 1 < size - 1 ? in + n + 1 : NULL;
		if (jwt_issue(&c, kr, in, scope, "fuzz", 60, NOW, tok,
		    sizeof(tok), &cl) != AG_OK)
			break;
		if (jwt_verify(&c, kr, tok, strlen(tok), NOW, &c2, &why) !=
		    AG_OK || memcmp(&cl, &c2, sizeof(cl)) != 0)
			abort();
		check(&c2);
		break;
	default:
		break;
	}
	return 0;
}
