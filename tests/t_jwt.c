/*
 * jwt: issue and verify with each algorithm; exp, nbf and iat at the
 * edges of the leeway; iss and aud; claims of the wrong type or size,
 * which a lenient verifier would coerce (a float exp, a numeric sub, a
 * sub with a newline that would split an X-Auth-Request-User header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/conf.h"
#include "../src/jws.h"
#include "../src/jwt.h"
#include "../src/key.h"
#include "tap.h"

#define NOW	((time_t)1700000000)

static char		 dir[] = "/tmp/t_jwt.XXXXXX";
static struct conf	 cf;
static struct keyring	*kr[AG_ALG__MAX];
static char		 tok[AG_TOKEN_MAX + 1];

static void
wipe(void)
{
	char	 path[PATH_MAX];
	int	 a;

	for (a = 0; a < AG_ALG__MAX; a++) {
		snprintf(path, sizeof(path), "%s/k%d", dir, a);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* Sign claims (JSON text) as an HS256 token of ours. */
static void
sign(const char *claims)
{
	size_t	 n;

	if (jws_sign(keyring_signer(kr[AG_HS256]), claims, strlen(claims),
	    tok, sizeof(tok), &n) != AG_OK)
		tok[0] = '\0';
}

/* Verify tok under cf at now; returns why or "OK". */
static const char *
vfy(time_t now)
{
	struct claims	 cl;
	const char	*why = "unset";

	memset(&cl, 'x', sizeof(cl));
	if (jwt_verify(&cf, kr[cf.algorithm], tok, strlen(tok), now, &cl,
	    &why) == AG_OK)
		return why == NULL ? "OK" : "why set on success";
	if (why == NULL || cl.sub[0] != '\0' || cl.exp != 0)
		return "outputs not cleared";
	return why;
}

static const char ed_jwks[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
    "\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";

static const struct {
	const char	*claims;
	const char	*want;
	const char	*name;
} cases[] = {
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100}", "OK",
	    "minimal claims" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\"}", "malformed claims",
	    "exp missing" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100.0}",
	    "malformed claims", "float exp" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1.7000001e9}",
	    "malformed claims", "exponent exp" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":\"1700000100\"}",
	    "malformed claims", "string exp" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\","
	    "\"exp\":99999999999999999999}", "malformed claims",
	    "exp over int64" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\","
	    "\"exp\":9223372036854775807}", "OK", "exp INT64_MAX" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\","
	    "\"exp\":-9223372036854775808}", "token expired", "exp INT64_MIN" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":null}",
	    "malformed claims", "null exp" },
	{ "{\"iss\":\"authgate\",\"exp\":1700000100}", "malformed claims",
	    "sub missing" },
	{ "{\"iss\":\"authgate\",\"sub\":\"\",\"exp\":1700000100}",
	    "malformed claims", "empty sub" },
	{ "{\"iss\":\"authgate\",\"sub\":42,\"exp\":1700000100}",
	    "malformed claims", "numeric sub" },
	{ "{\"iss\":\"authgate\",\"sub\":[\"bob\"],\"exp\":1700000100}",
	    "malformed claims", "array sub" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\\nX-Evil: 1\","
	    "\"exp\":1700000100}", "malformed claims", "sub with newline" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"sub\":\"admin\","
	    "\"exp\":1700000100}", "malformed claims", "duplicate sub" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"scope\":7}", "malformed claims", "numeric scope" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"scope\":[\"a\"]}", "malformed claims", "array scope" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"client_id\":true}", "malformed claims", "boolean client_id" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"jti\":1}", "malformed claims", "numeric jti" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"nbf\":1.5}", "malformed claims", "float nbf" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"iat\":\"now\"}", "malformed claims", "string iat" },
	{ "{\"sub\":\"bob\",\"exp\":1700000100}", "wrong issuer",
	    "iss missing" },
	{ "{\"iss\":\"evil\",\"sub\":\"bob\",\"exp\":1700000100}",
	    "wrong issuer", "other iss" },
	{ "{\"iss\":\"authgatex\",\"sub\":\"bob\",\"exp\":1700000100}",
	    "wrong issuer", "iss with a suffix" },
	{ "{\"iss\":\"AUTHGATE\",\"sub\":\"bob\",\"exp\":1700000100}",
	    "wrong issuer", "iss in capitals" },
	{ "{\"iss\":1,\"sub\":\"bob\",\"exp\":1700000100}",
	    "malformed claims", "numeric iss" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"aud\":\"api\"}", "wrong audience",
	    "aud when none is configured (RFC 7519 4.1.3)" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"aud\":5}", "malformed claims", "numeric aud" },
	{ "[\"iss\",\"sub\"]", "malformed claims", "claims not an object" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100}  x",
	    "malformed claims", "bytes after the claims" },
	/* exp, nbf, iat against NOW with the default 30 s leeway */
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1699999971}", "OK",
	    "expired 29 s ago: within leeway" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1699999970}",
	    "token expired", "expired 30 s ago: refused" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"nbf\":1700000030}", "OK", "nbf 30 s ahead: within leeway" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"nbf\":1700000031}", "token not yet valid", "nbf 31 s ahead" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"iat\":1700000030}", "OK", "iat 30 s ahead: within leeway" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"iat\":1700000031}", "token issued in the future",
	    "iat 31 s ahead" },
	{ "{\"iss\":\"authgate\",\"sub\":\"bob\",\"exp\":1700000100,"
	    "\"iat\":-9223372036854775808,\"nbf\":-9223372036854775808}",
	    "OK", "iat and nbf far in the past" },
};

int
main(void)
{
	struct keyring	*pub = NULL;
	struct claims	 cl, c2;
	const char	*why;
	char		 path[PATH_MAX], w[AG_WHY_MAX], name[AG_NAME_MAX + 2];
	char		 big[512];
	size_t		 i;
	int		 a;

	if (mkdtemp(dir) == NULL)
		return 1;
	atexit(wipe);
	conf_defaults(&cf);
	cf.key_dir[0] = '\0';
	cf.jwks_file[0] = '\0';
	cf.audience[0] = '\0';
	snprintf(cf.issuer, sizeof(cf.issuer), "authgate");
	cf.leeway = 30;

	/* Round trip with every algorithm. */
	for (a = 0; a < AG_ALG__MAX; a++) {
		snprintf(path, sizeof(path), "%s/k%d", dir, a);
		snprintf(cf.key_file, sizeof(cf.key_file), "%s", path);
		cf.algorithm = a;
		if (key_generate(a, path, false, w, sizeof(w)) != AG_OK ||
		    keyring_load(&cf, &kr[a], w, sizeof(w)) != AG_OK) {
			printf("# %s\n", w);
			ok(0, "keyring");
			return done_testing();
		}
		memset(&cl, 0, sizeof(cl));
		ok(jwt_issue(&cf, kr[a], "alice", "read write", "app", 900, NOW,
		    tok, sizeof(tok), &cl) == AG_OK, ag_alg_name(a));
		is_str(vfy(NOW), "OK", "verifies");
		memset(&c2, 0, sizeof(c2));
		ok(jwt_verify(&cf, kr[a], tok, strlen(tok), NOW, &c2, &why) ==
		    AG_OK && memcmp(&cl, &c2, sizeof(cl)) == 0,
		    "claims read back equal claims issued");
		is_str(c2.sub, "alice", "sub");
		is_str(c2.scope, "read write", "scope");
		is_str(c2.client_id, "app", "client_id");
		ok(c2.exp == NOW + 900 && c2.iat == NOW && c2.nbf == NOW,
		    "exp, iat, nbf");
		is_int(strlen(c2.jti), 22, "jti: 16 random bytes in base64url");
		is_str(vfy(NOW + 929), "OK", "valid until exp + leeway - 1");
		is_str(vfy(NOW + 930), "token expired",
		    "expired at exp + leeway");
		is_str(vfy(NOW - 30), "OK", "nbf - leeway accepted");
		is_str(vfy(NOW - 31), "token not yet valid",
		    "before nbf - leeway refused");
	}
	cf.algorithm = AG_HS256;
	snprintf(cf.key_file, sizeof(cf.key_file), "%s/k0", dir);

	ok(jwt_issue(&cf, kr[AG_HS256], "alice", NULL, NULL, 60, NOW, tok,
	    sizeof(tok), &cl) == AG_OK && strstr(tok, ".") != NULL,
	    "issue without scope and client_id");
	ok(jwt_verify(&cf, kr[AG_HS256], tok, strlen(tok), NOW, &c2, &why) ==
	    AG_OK && c2.scope[0] == '\0' && c2.client_id[0] == '\0',
	    "absent scope and client_id read back empty");
	(void)jwt_issue(&cf, kr[AG_HS256], "alice", NULL, NULL, 60, NOW, tok,
	    sizeof(tok), &c2);
	ok(strcmp(cl.jti, c2.jti) != 0, "each token has its own jti");

	/* Issue: inputs refused. */
	is_int(jwt_issue(&cf, kr[AG_HS256], "", NULL, NULL, 60, NOW, tok,
	    sizeof(tok), NULL), AG_EINVAL, "empty sub refused");
	memset(name, 'a', sizeof(name));
	name[AG_NAME_MAX] = '\0';
	is_int(jwt_issue(&cf, kr[AG_HS256], name, NULL, NULL, 60, NOW, tok,
	    sizeof(tok), &cl), AG_OK, "sub of AG_NAME_MAX bytes");
	is_str(vfy(NOW), "OK", "and it verifies");
	name[AG_NAME_MAX] = 'a';
	name[AG_NAME_MAX + 1] = '\0';
	is_int(jwt_issue(&cf, kr[AG_HS256], name, NULL, NULL, 60, NOW, tok,
	    sizeof(tok), NULL), AG_EINVAL, "sub of AG_NAME_MAX + 1 refused");
	is_int(jwt_issue(&cf, kr[AG_HS256], "a\r\nb", NULL, NULL, 60, NOW,
	    tok, sizeof(tok), NULL), AG_EINVAL, "sub with CRLF refused");
	is_int(jwt_issue(&cf, kr[AG_HS256], "al\xffice", NULL, NULL, 60, NOW,
	    tok, sizeof(tok), NULL), AG_EINVAL, "sub not UTF-8 refused");
	is_int(jwt_issue(&cf, kr[AG_HS256], "alice", "r\xc3", NULL, 60, NOW,
	    tok, sizeof(tok), NULL), AG_EINVAL, "scope not UTF-8 refused");
	is_int(jwt_issue(&cf, kr[AG_HS256], "z\xc3\xbc", NULL, NULL, 60, NOW,
	    tok, sizeof(tok), NULL), AG_OK, "UTF-8 sub accepted");
	is_str(vfy(NOW), "OK", "and it verifies");
	is_int(jwt_issue(&cf, kr[AG_HS256], "alice", NULL, NULL, 0, NOW, tok,
	    sizeof(tok), NULL), AG_EINVAL, "ttl 0 refused");
	is_int(jwt_issue(&cf, kr[AG_HS256], "alice", NULL, NULL, 60, NOW, tok,
	    100, NULL), AG_ETOOBIG, "small token buffer refused");
	ok(tok[0] == '\0', "and left empty");
	pub = NULL;
	if (keyring_from_jwks(ed_jwks, strlen(ed_jwks), false, &pub, w,
	    sizeof(w)) == AG_OK)
		is_int(jwt_issue(&cf, pub, "alice", NULL, NULL, 60, NOW, tok,
		    sizeof(tok), NULL), AG_EINVAL,
		    "verify-only keyring cannot issue");
	else
		ok(0, w);
	keyring_free(pub);

	/* Claims as an attacker holding the key (or a bug) might write. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sign(cases[i].claims);
		is_str(vfy(NOW), cases[i].want, cases[i].name);
	}
	/* string limits: at the limit and one over */
	snprintf(big, sizeof(big), "{\"iss\":\"authgate\",\"sub\":\"b\","
	    "\"exp\":1700000100,\"jti\":\"%0*d\"}", AG_JTI_MAX, 0);
	sign(big);
	is_str(vfy(NOW), "OK", "jti of AG_JTI_MAX");
	snprintf(big, sizeof(big), "{\"iss\":\"authgate\",\"sub\":\"b\","
	    "\"exp\":1700000100,\"jti\":\"%0*d\"}", AG_JTI_MAX + 1, 0);
	sign(big);
	is_str(vfy(NOW), "malformed claims", "jti of AG_JTI_MAX + 1");
	snprintf(big, sizeof(big), "{\"iss\":\"authgate\",\"sub\":\"%0*d\","
	    "\"exp\":1700000100}", AG_NAME_MAX + 1, 0);
	sign(big);
	is_str(vfy(NOW), "malformed claims", "sub of AG_NAME_MAX + 1");
	snprintf(big, sizeof(big), "{\"iss\":\"authgate\",\"sub\":\"b\","
	    "\"exp\":1700000100,\"client_id\":\"%0*d\"}", AG_NAME_MAX + 1, 0);
	sign(big);
	is_str(vfy(NOW), "malformed claims", "client_id of AG_NAME_MAX + 1");

	/* Audience. */
	snprintf(cf.audience, sizeof(cf.audience), "api");
	ok(jwt_issue(&cf, kr[AG_HS256], "alice", "r", NULL, 60, NOW, tok,
	    sizeof(tok), NULL) == AG_OK, "issue with audience");
	is_str(vfy(NOW), "OK", "aud matches");
	snprintf(cf.audience, sizeof(cf.audience), "other");
	is_str(vfy(NOW), "wrong audience", "aud of another service refused");
	cf.audience[0] = '\0';
	is_str(vfy(NOW), "wrong audience",
	    "aud refused where none is configured");
	(void)jwt_issue(&cf, kr[AG_HS256], "alice", "r", NULL, 60, NOW, tok,
	    sizeof(tok), NULL);
	snprintf(cf.audience, sizeof(cf.audience), "api");
	is_str(vfy(NOW), "wrong audience",
	    "token without aud refused when audience is configured");
	sign("{\"iss\":\"authgate\",\"sub\":\"b\",\"exp\":1700000100,"
	    "\"aud\":[\"x\",\"api\"]}");
	is_str(vfy(NOW), "OK", "aud array containing ours");
	sign("{\"iss\":\"authgate\",\"sub\":\"b\",\"exp\":1700000100,"
	    "\"aud\":[\"x\",\"apix\"]}");
	is_str(vfy(NOW), "wrong audience", "aud array without ours");
	sign("{\"iss\":\"authgate\",\"sub\":\"b\",\"exp\":1700000100,"
	    "\"aud\":[]}");
	is_str(vfy(NOW), "wrong audience", "empty aud array");
	sign("{\"iss\":\"authgate\",\"sub\":\"b\",\"exp\":1700000100,"
	    "\"aud\":[\"api\",1]}");
	is_str(vfy(NOW), "malformed claims", "aud array with a number");
	cf.audience[0] = '\0';

	/* Issuer changed in configuration. */
	(void)jwt_issue(&cf, kr[AG_HS256], "alice", "r", NULL, 60, NOW, tok,
	    sizeof(tok), NULL);
	snprintf(cf.issuer, sizeof(cf.issuer), "https://idp.example");
	is_str(vfy(NOW), "wrong issuer", "issuer from configuration");
	snprintf(cf.issuer, sizeof(cf.issuer), "authgate");

	/* The JWS layer's refusals come through. */
	is_str(vfy(NOW), "OK", "baseline");
	/* any change to the signed text; the payload is decoded after */
	strchr(tok, '.')[5] ^= 1;
	is_str(vfy(NOW), "invalid signature", "bad signature");
	cf.algorithm = AG_RS256;
	(void)jwt_issue(&cf, kr[AG_HS256], "alice", "r", NULL, 60, NOW, tok,
	    sizeof(tok), NULL);
	is_str(vfy(NOW), "unsupported algorithm",
	    "HS256 token where RS256 is configured");
	cf.algorithm = AG_HS256;

	for (a = 0; a < AG_ALG__MAX; a++)
		keyring_free(kr[a]);
	return done_testing();
}
