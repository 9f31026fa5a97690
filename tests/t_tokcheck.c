/*
 * tokcheck: the guards' one check of an access token.  A good token
 * passes, from the cache the second time; it is refused when expired
 * (cached or not), revoked (unless verify-only or without a state_db),
 * tampered with, or not even a b64token; a generation of keys does not
 * serve another's cache, and generation 0 (CGI) none.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/conf.h"
#include "../src/deny.h"
#include "../src/jwt.h"
#include "../src/key.h"
#include "../src/state.h"
#include "../src/tokcheck.h"
#include "../src/vcache.h"
#include "tap.h"

#define NOW	((time_t)1700000000)

static char		 dir[] = "/tmp/t_tokcheck.XXXXXX";
static struct conf	 cf;
static struct keyring	*kr;
static struct state	*sdb;

static void
wipe(void)
{
	char	 cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/* The verdict for tok under generation gen at now; *got the claims. */
static enum tokcheck
check(const char *tok, uint64_t gen, struct state *st, time_t now,
    struct claims *buf, const struct claims **got, const char **why)
{
	enum tokcheck	 res;

	*got = tokcheck(&cf, kr, gen, st, tok, strlen(tok), now, buf, &res,
	    why);
	return res;
}

static void
test_checks(void)
{
	struct claims	 buf, issued;
	const struct claims *got;
	const char	*why;
	char		 tok[AG_TOKEN_MAX + 1], bad[AG_TOKEN_MAX + 1];

	if (jwt_issue(&cf, kr, "alice", "read", "app", 600, NOW, tok,
	    sizeof(tok), &issued) != AG_OK) {
		ok(0, "a token issued");
		return;
	}
	/* A list to map first: a list made later is looked for once a
	 * second (deny.c), which the revocation below would wait on. */
	ok(state_deny_add(sdb, "another-jti", NOW + 600) == AG_OK,
	    "a deny list");
	is_int(check(tok, 1, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "a good token: OK");
	ok(got == &buf && strcmp(got->sub, "alice") == 0,
	    "  verified into buf, its claims");
	is_int(check(tok, 1, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "again: OK");
	ok(got != NULL && got != &buf && strcmp(got->scope, "read") == 0,
	    "  from the cache this time");
	is_int(check(tok, 2, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "another generation: OK");
	ok(got == &buf, "  verified afresh, not from the other's cache");

	is_int(check(tok, 0, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "generation 0 (CGI): OK");
	is_int(check(tok, 0, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "  again: OK");
	ok(got == &buf, "  verified again, never cached");

	is_int(check(tok, 1, sdb, NOW + 3600, &buf, &got, &why),
	    TOKCHECK_INVALID, "expired, though cached: invalid");
	ok(got == NULL && why != NULL && strcmp(why, "token expired") == 0,
	    "  \"token expired\"");

	memcpy(bad, tok, sizeof(tok));
	bad[strlen(bad) / 2] ^= 1;
	is_int(check(bad, 1, sdb, NOW, &buf, &got, &why), TOKCHECK_INVALID,
	    "a byte changed: invalid");
	is_int(check("not a token!", 1, sdb, NOW, &buf, &got, &why),
	    TOKCHECK_MALFORMED, "not a b64token: malformed");
	is_int(check("a.b.c", 1, sdb, NOW, &buf, &got, &why),
	    TOKCHECK_INVALID, "a b64token that is no JWT: invalid");

	ok(state_deny_add(sdb, issued.jti, NOW + 600) == AG_OK,
	    "its jti denied");
	is_int(check(tok, 1, sdb, NOW, &buf, &got, &why), TOKCHECK_REVOKED,
	    "revoked, though cached: revoked");
	ok(got == NULL, "  no claims");
	is_int(check(tok, 1, NULL, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "without a state_db: OK");
	cf.verify_only = 1;
	is_int(check(tok, 1, sdb, NOW, &buf, &got, &why), TOKCHECK_OK,
	    "verify-only: OK (verifiers hold no deny list)");
	cf.verify_only = 0;
}

int
main(void)
{
	char	 path[PATH_MAX], w[AG_WHY_MAX];

	if (mkdtemp(dir) == NULL)
		return 1;
	atexit(wipe);
	conf_defaults(&cf);
	(void)snprintf(cf.key_file, sizeof(cf.key_file), "%s/k", dir);
	(void)snprintf(cf.key_dir, sizeof(cf.key_dir), "%s/keys", dir);
	(void)snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	cf.jwks_file[0] = '\0';
	cf.algorithm = AG_HS256;
	cf.leeway = 0;
	(void)snprintf(path, sizeof(path), "%s", cf.key_file);
	if (key_generate(AG_HS256, path, false, w, sizeof(w)) != AG_OK ||
	    keyring_load(&cf, &kr, w, sizeof(w)) != AG_OK ||
	    (sdb = state_new(&cf)) == NULL || state_init(sdb) != AG_OK) {
		printf("# %s\n", w);
		ok(0, "keys and state_db");
		return done_testing();
	}
	vcache_enable();	/* as in FastCGI */
	test_checks();
	state_free(sdb);
	keyring_free(kr);
	return done_testing();
}
