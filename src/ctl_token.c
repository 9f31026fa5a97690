/*
 * authgatectl token issue|verify|revoke: offline access tokens, signed
 * and checked with the same keyring and rules as authgate itself, and
 * revoked on the same deny list.  Tokens issued here carry client_id
 * "authgatectl".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "deny.h"
#include "ctl.h"
#include "jw.h"
#include "jwt.h"
#include "key.h"
#include "scope.h"
#include "store.h"

#define CTL_CLIENT_ID	"authgatectl"

static bool
load_keys(const struct conf *c, struct keyring **kr)
{
	char		 why[AG_WHY_MAX];
	enum ag_err	 e;

	why[0] = '\0';
	if ((e = keyring_load(c, kr, why, sizeof(why))) != AG_OK) {
		ctl_err("%s", why[0] != '\0' ? why : ag_strerror(e));
		return false;
	}
	return true;
}

/*
 * The scope authgate's token endpoint would grant (scope_grant), the
 * asked one normalised first, as the command line allows.
 */
static bool
grant(const struct conf *c, const struct user *u, const char *want,
    char *out, size_t outsz)
{
	char		 norm[AG_SCOPE_MAX + 1];
	enum ag_err	 e;

	if (want != NULL && !ctl_scope(want, norm, sizeof(norm)))
		return false;
	if (want != NULL && norm[0] == '\0') {	/* --scope "": none */
		out[0] = '\0';
		return true;
	}
	e = scope_grant(want != NULL ? norm : NULL, u->scope,
	    c->default_scope, out, outsz);
	if (e == AG_EDENIED)
		ctl_err("user %s: scope \"%s\" is not within the user's "
		    "scope \"%s\"", u->name, norm, u->scope);
	else if (e != AG_OK)
		ctl_err("scope \"%s\": %s", want != NULL ? norm : "",
		    ag_strerror(e));
	return e == AG_OK;
}

/* --ttl: 1 to CONF_TTL_MAX seconds; false after saying why. */
static bool
ttl_parse(const char *arg, long *ttl)
{
	char	*end;

	errno = 0;
	*ttl = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' ||
	    errno != 0 || *ttl < 1 || *ttl > CONF_TTL_MAX) {
		ctl_err("--ttl %s: not a number of seconds from 1 to "
		    "%ld", arg, CONF_TTL_MAX);
		return false;
	}
	return true;
}

/* User name from the user_db into *u; false after saying why. */
static bool
token_user(struct ctl *x, const char *name, struct user *u)
{
	enum ag_err	 e;

	if (!store_name_ok(name)) {
		ctl_err("user \"%s\": not a valid user name", name);
		return false;
	}
	if ((e = store_user_get(x->store, name, u)) != AG_OK) {
		if (e == AG_ENOENT)
			ctl_err("user %s: no such user", name);
		else
			ctl_err("user %s: %s: %s", name, x->c->user_db,
			    ag_strerror(e));
		return false;
	}
	return true;
}

/*
 * Sign a token for sub with scope, valid ttl seconds, into tok (tokcap
 * bytes) with the keyring's signing key; false after saying why.
 */
static bool
token_sign(const struct conf *c, const char *sub, const char *scope,
    long ttl, char *tok, size_t tokcap)
{
	struct keyring	*kr = NULL;
	char		 why[AG_WHY_MAX];
	time_t		 now;
	bool		 signed_ok = false;
	enum ag_err	 e;

	if (!load_keys(c, &kr))
		goto out;
	if (keyring_signer(kr) == NULL) {
		ctl_err("%s: no signing key", c->key_file);
		goto out;
	}
	/* A token that outlives the rotation rule keeps its key. */
	now = time(NULL);
	why[0] = '\0';
	if ((e = key_keep_until(c, keyring_signer(kr), now + ttl, why,
	    sizeof(why))) != AG_OK) {
		/* why names the file already. */
		if (why[0] != '\0')
			ctl_err("%s", why);
		else
			ctl_err("%s: %s", c->key_dir, ag_strerror(e));
		goto out;
	}
	if ((e = jwt_issue(c, kr, sub, scope, CTL_CLIENT_ID, ttl,
	    now, tok, tokcap, NULL)) != AG_OK) {
		ctl_err("user %s: cannot issue a token: %s", sub,
		    ag_strerror(e));
		goto out;
	}
	signed_ok = true;
out:
	keyring_free(kr);
	return signed_ok;
}

static int
tok_issue(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct user	 u;
	const char	*scope = NULL, *ttlarg = NULL;
	char		*pos[1], granted[AG_SCOPE_MAX + 1];
	char		 tok[AG_TOKEN_MAX + 1];
	long		 ttl;
	int		 npos, rc = CTL_FAIL;
	const struct ctl_opt opts[] = {
		{ "scope", &scope, NULL },
		{ "ttl", &ttlarg, NULL },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	ttl = c->access_token_ttl;
	if (ttlarg != NULL && !ttl_parse(ttlarg, &ttl))
		return ctl_usage();
	if (c->verify_only) {
		ctl_err("verify_only = yes: no signing key, no user_db");
		return CTL_FAIL;
	}
	if (!token_user(x, pos[0], &u))
		return CTL_FAIL;
	if (u.locked) {
		ctl_err("user %s: locked", u.name);
		goto out;
	}
	if (!grant(c, &u, scope, granted, sizeof(granted)))
		goto out;
	if (!token_sign(c, u.name, granted, ttl, tok, sizeof(tok)))
		goto out;
	printf("%s\n", tok);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

/*
 * The token: arg, or when NULL one line of standard input, into buf
 * (AG_TOKEN_MAX + 2 bytes); false after saying why.
 */
static bool
read_token(const char *arg, char *buf, size_t bufsz, size_t *len)
{
	enum ag_err	 e;

	*len = 0;
	if (arg != NULL) {
		*len = strlen(arg);
		if (*len > AG_TOKEN_MAX) {
			ctl_err("token: longer than %d bytes", AG_TOKEN_MAX);
			return false;
		}
		memcpy(buf, arg, *len + 1);
		return true;
	}
	e = ctl_readline(STDIN_FILENO, buf, bufsz, len);
	if (e == AG_OK && *len > 0 && buf[*len - 1] == '\r')
		buf[--*len] = '\0';
	if (e == AG_ETOOBIG || *len > AG_TOKEN_MAX) {
		ctl_err("token: longer than %d bytes", AG_TOKEN_MAX);
		return false;
	}
	if (e != AG_OK || *len == 0) {
		ctl_err("no token on the command line or standard input");
		return false;
	}
	return true;
}

/* Verify the token in buf with the keyring, as authgate would. */
static bool
check_token(const struct conf *c, const char *buf, size_t len,
    struct claims *cl)
{
	struct keyring	*kr = NULL;
	const char	*why = NULL;
	enum ag_err	 e;

	if (!load_keys(c, &kr))
		return false;
	e = jwt_verify(c, kr, buf, len, time(NULL), cl, &why);
	keyring_free(kr);
	if (e != AG_OK) {
		ctl_err("token invalid: %s", why != NULL ? why :
		    ag_strerror(e));
		return false;
	}
	return true;
}

static int
tok_verify(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct claims	 cl;
	struct jw	 w;
	const char	*json;
	char		*pos[1], buf[AG_TOKEN_MAX + 2], out[4096];
	size_t		 len = 0, jlen;
	int		 npos, rc = CTL_FAIL;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos))
		return ctl_usage();
	if (!read_token(npos == 1 ? pos[0] : NULL, buf, sizeof(buf), &len))
		return CTL_FAIL;
	if (!check_token(c, buf, len, &cl))
		goto out;
	if (!c->verify_only && state_deny_check(x->state, cl.jti)) {
		ctl_err("token invalid: revoked (jti %s)", cl.jti);
		goto out;
	}
	jw_init(&w, out, sizeof(out));
	jw_obj_open(&w, NULL);
	jw_str(&w, "iss", c->issuer);
	jw_str(&w, "sub", cl.sub);
	if (c->audience[0] != '\0')
		jw_str(&w, "aud", c->audience);
	jw_int(&w, "exp", cl.exp);
	jw_int(&w, "iat", cl.iat);
	jw_int(&w, "nbf", cl.nbf);
	jw_str(&w, "jti", cl.jti);
	jw_str(&w, "scope", cl.scope);
	jw_str(&w, "client_id", cl.client_id);
	jw_obj_close(&w);
	if ((json = jw_done(&w, &jlen)) == NULL) {
		ctl_err("token: claims too large to print");
		goto out;
	}
	printf("%s\n", json);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/*
 * The expiry of a revocation by --jti: --until EPOCH, --ttl SECONDS
 * from now, or else the longest a token can live (CONF_TTL_MAX) from
 * now, so that any token of that jti is covered.  The leeway is added
 * to what the token would be accepted for.
 */
static bool
jti_until(const struct conf *c, const char *until, const char *ttl,
    int64_t *exp)
{
	long long	 v;
	long		 n;
	char		*end;
	time_t		 now = time(NULL);

	if (until != NULL && ttl != NULL) {
		ctl_err("--until and --ttl: one or the other");
		return false;
	}
	if (until == NULL && ttl == NULL) {
		*exp = (int64_t)now + CONF_TTL_MAX + c->leeway;
		return true;
	}
	if (ttl != NULL) {
		if (!ttl_parse(ttl, &n))
			return false;
		*exp = (int64_t)now + n + c->leeway;
		return true;
	}
	errno = 0;
	v = strtoll(until, &end, 10);
	if (until[0] < '0' || until[0] > '9' || *end != '\0' || errno != 0 ||
	    v > (long long)now + 10 * CONF_TTL_MAX) {
		ctl_err("--until %s: not a time in seconds since the epoch, "
		    "within ten years", until);
		return false;
	}
	*exp = (int64_t)v + c->leeway;
	return true;
}

static int
tok_revoke(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct claims	 cl;
	const char	*jti = NULL, *until = NULL, *ttl = NULL;
	char		*pos[1], buf[AG_TOKEN_MAX + 2];
	size_t		 len = 0;
	int64_t		 exp;
	int		 npos, rc = CTL_FAIL;
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "jti", &jti, NULL },
		{ "until", &until, NULL },
		{ "ttl", &ttl, NULL },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 1, &npos) ||
	    (jti != NULL && npos != 0) ||
	    (jti == NULL && (until != NULL || ttl != NULL)))
		return ctl_usage();
	if (c->verify_only) {
		ctl_err("verify_only = yes: no state_db, no deny list");
		return CTL_FAIL;
	}
	memset(&cl, 0, sizeof(cl));
	if (jti != NULL) {
		if (!deny_jti_ok(jti)) {
			ctl_err("--jti: not a jti (1 to %d printable bytes, "
			    "no space, not starting with '#')", AG_JTI_MAX);
			return CTL_FAIL;
		}
		if (!jti_until(c, until, ttl, &exp))
			return ctl_usage();
		(void)snprintf(cl.jti, sizeof(cl.jti), "%s", jti);
	} else {
		if (!read_token(npos == 1 ? pos[0] : NULL, buf, sizeof(buf),
		    &len))
			return CTL_FAIL;
		if (!check_token(c, buf, len, &cl))
			goto out;
		if (!deny_jti_ok(cl.jti)) {
			ctl_err("token: no jti, cannot be revoked");
			goto out;
		}
		/* Accepted until exp + leeway: denied that long. */
		exp = cl.exp + c->leeway;
	}
	if ((e = state_deny_add(x->state, cl.jti, exp)) != AG_OK) {
		ctl_err("%s: cannot revoke: %s", c->state_db,
		    ag_strerror(e));
		goto out;
	}
	printf("revoked jti %s until %lld\n", cl.jti, (long long)exp);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int
ctl_token(struct ctl *x, int argc, char **argv)
{
	if (argc < 1)
		return ctl_usage();
	if (strcmp(argv[0], "issue") == 0)
		return tok_issue(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "verify") == 0)
		return tok_verify(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "revoke") == 0)
		return tok_revoke(x, argc - 1, argv + 1);
	ctl_err("unknown command \"token %s\"", argv[0]);
	return ctl_usage();
}
