/*
 * authgatectl client add|del|list|show.  A confidential client's secret
 * is read from standard input, or made here from 32 random bytes and
 * printed once; only its hash (password_hash) is stored.  Grants,
 * redirect URIs and scope are registered at add (SPEC "Browser
 * sign-in"); without --grant a client has CLIENT_GRANTS_DEFAULT
 * (password and refresh_token), which is also what a client stored
 * before grants existed has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "b64.h"
#include "conf.h"
#include "ctl.h"
#include "pw.h"
#include "scope.h"
#include "store.h"

#define CLIENT_SECRET_BYTES	32

static bool
id_ok(const char *id)
{
	if (!store_name_ok(id)) {
		ctl_err("client \"%s\": not a valid client id (1 to %d bytes, "
		    "no space, ':', ',' or control character)", id,
		    AG_NAME_MAX);
		return false;
	}
	return true;
}

static int
client_fail(const struct conf *c, const char *id, enum ag_err e)
{
	if (e == AG_ENOENT)
		ctl_err("client %s: no such client", id);
	else if (e == AG_EEXIST)
		ctl_err("client %s: already exists", id);
	else
		ctl_err("client %s: %s: %s", id, c->user_db, ag_strerror(e));
	return CTL_FAIL;
}

/* The options that may be given more than once. */
struct multi {
	const char	*redirect[CLIENT_REDIRECTS_MAX];
	size_t		 nredirect;
	const char	*grant[8];
	size_t		 ngrant;
};

/*
 * Take every --redirect-uri and --grant (with "=V" or the next
 * argument) out of argv into m, leaving the rest for ctl_args; *argcp
 * shrinks.  False after saying why.
 */
static bool
take_multi(int *argcp, char **argv, struct multi *m)
{
	static const char *const names[] = { "--redirect-uri", "--grant" };
	const char	*a, *v;
	size_t		 k, n;
	int		 i, o = 0;
	bool		 dashdash = false;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < *argcp; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			dashdash = true;
		for (k = 0; !dashdash && k < 2; k++) {
			n = strlen(names[k]);
			if (strncmp(a, names[k], n) == 0 &&
			    (a[n] == '\0' || a[n] == '='))
				break;
		}
		if (dashdash || k == 2) {
			argv[o++] = argv[i];
			continue;
		}
		if (a[n] == '=')
			v = a + n + 1;
		else if (i + 1 < *argcp)
			v = argv[++i];
		else {
			ctl_err("option %s needs a value", names[k]);
			return false;
		}
		if (k == 0 && m->nredirect >= CLIENT_REDIRECTS_MAX) {
			ctl_err("at most %d redirect URIs",
			    CLIENT_REDIRECTS_MAX);
			return false;
		}
		if (k == 1 &&
		    m->ngrant >= sizeof(m->grant) / sizeof(m->grant[0])) {
			ctl_err("too many --grant options");
			return false;
		}
		if (k == 0)
			m->redirect[m->nredirect++] = v;
		else
			m->grant[m->ngrant++] = v;
	}
	*argcp = o;
	return true;
}

/* Fill cl's grants, redirect URIs and scope from the options, or say
 * why they cannot be registered together. */
static bool
registration(const struct multi *m, const char *scope, struct client *cl)
{
	const char	*why, *bad = NULL;
	unsigned int	 bit;
	size_t		 i;

	cl->grants = m->ngrant == 0 ? CLIENT_GRANTS_DEFAULT : 0;
	for (i = 0; i < m->ngrant; i++) {
		if ((bit = store_grant_bit(m->grant[i])) == 0) {
			ctl_err("client %s: unknown grant \"%s\" (password, "
			    "refresh_token, authorization_code, "
			    "client_credentials)", cl->id, m->grant[i]);
			return false;
		}
		cl->grants |= bit;
	}
	for (i = 0; i < m->nredirect; i++) {
		if (!store_redirect_ok(m->redirect[i], &why)) {
			ctl_err("client %s: redirect URI \"%s\": %s", cl->id,
			    m->redirect[i], why);
			return false;
		}
		(void)snprintf(cl->redirect[i], sizeof(cl->redirect[i]), "%s",
		    m->redirect[i]);
	}
	cl->nredirect = m->nredirect;
	if ((cl->grants & CG_CLIENT) && cl->public_client) {
		ctl_err("client %s: client_credentials is for confidential "
		    "clients only (RFC 6749 4.4)", cl->id);
		return false;
	}
	if ((cl->grants & CG_CODE) && cl->nredirect == 0) {
		ctl_err("client %s: authorization_code needs at least one "
		    "--redirect-uri", cl->id);
		return false;
	}
	if (!(cl->grants & CG_CODE) && cl->nredirect > 0) {
		ctl_err("client %s: --redirect-uri is for authorization_code "
		    "(add --grant authorization_code)", cl->id);
		return false;
	}
	if (scope != NULL && scope_normalise(scope, cl->scope,
	    sizeof(cl->scope), &bad) != AG_OK) {
		ctl_err("client %s: invalid scope%s%s", cl->id,
		    bad != NULL ? " near " : "", bad != NULL ? bad : "");
		return false;
	}
	return true;
}

/* True if no client id is stored yet; false after saying why. */
static bool
client_is_new(struct ctl *x, const char *id)
{
	struct client	 old;
	enum ag_err	 e;

	e = store_client_get(x->store, id, &old);
	OPENSSL_cleanse(&old, sizeof(old));
	if (e == AG_OK) {
		(void)client_fail(x->c, id, AG_EEXIST);
		return false;
	}
	if (e != AG_ENOENT) {
		(void)client_fail(x->c, id, e);
		return false;
	}
	return true;
}

/* True, after saying so, if cl gets client_credentials and a user has
 * its name. */
static bool
client_user_clash(struct ctl *x, const struct client *cl)
{
	struct user	 u;

	if (!(cl->grants & CG_CLIENT) ||
	    store_user_get(x->store, cl->id, &u) != AG_OK)
		return false;
	/* its tokens' sub would be the user's (RFC 9068 5) */
	OPENSSL_cleanse(&u, sizeof(u));
	ctl_err("client %s: a user has that name; client_credentials "
	    "tokens would pass for hers", cl->id);
	return true;
}

/*
 * The secret of confidential client cl, from standard input or made
 * from CLIENT_SECRET_BYTES random bytes (then *made is true), into
 * secret; its hash into cl->hash.  False after saying why.
 */
static bool
client_secret(const struct conf *c, struct client *cl, bool from_stdin,
    char *secret, size_t secretsz, bool *made)
{
	unsigned char	 rnd[CLIENT_SECRET_BYTES];
	size_t		 len = 0;
	enum ag_err	 e;

	if (from_stdin) {
		if (ctl_secret(true, "secret", secret, secretsz, &len) !=
		    AG_OK)
			return false;
	} else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			ctl_err("client %s: no random bytes", cl->id);
			return false;
		}
		len = b64_encode(rnd, sizeof(rnd), secret, secretsz);
		OPENSSL_cleanse(rnd, sizeof(rnd));
		if (len == 0)
			return false;
		*made = true;
	}
	if ((e = pw_hash(c->password_hash, secret, len, cl->hash,
	    sizeof(cl->hash))) != AG_OK) {
		ctl_err("client %s: hashing the secret failed: %s",
		    cl->id, ag_strerror(e));
		return false;
	}
	return true;
}

/* Store the new client cl; false after saying why. */
static bool
client_store(struct ctl *x, const struct client *cl)
{
	enum ag_err	 e;

	if ((e = store_client_put(x->store, cl, true)) == AG_OK)
		return true;
	if (e == AG_ETOOBIG)
		ctl_err("client %s: its redirect URIs and scope do not "
		    "fit in one record (%d bytes)", cl->id,
		    STORE_RECORD_MAX);
	else
		(void)client_fail(x->c, cl->id, e);
	return false;
}

static int
client_add(struct ctl *x, int argc, char **argv)
{
	struct client	 cl;
	char		 secret[AG_PASSWORD_MAX + 2], *pos[1];
	const char	*scope = NULL;
	struct multi	 m;
	bool		 pub = false, from_stdin = false, made = false;
	int		 npos, rc = CTL_FAIL;
	const struct ctl_opt opts[] = {
		{ "public", NULL, &pub },
		{ "secret-stdin", NULL, &from_stdin },
		{ "scope", &scope, NULL },
		{ NULL, NULL, NULL }
	};

	if (!take_multi(&argc, argv, &m))
		return ctl_usage();
	if (!ctl_args(argc, argv, opts, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	if (pub && from_stdin) {
		ctl_err("a public client has no secret: --public and "
		    "--secret-stdin exclude each other");
		return ctl_usage();
	}
	if (!id_ok(pos[0]))
		return CTL_FAIL;
	memset(&cl, 0, sizeof(cl));
	(void)snprintf(cl.id, sizeof(cl.id), "%s", pos[0]);
	if (!client_is_new(x, cl.id))
		return CTL_FAIL;

	cl.public_client = pub;
	cl.created = (int64_t)time(NULL);
	if (!registration(&m, scope, &cl) || client_user_clash(x, &cl))
		return CTL_FAIL;
	if (!pub && !client_secret(x->c, &cl, from_stdin, secret,
	    sizeof(secret), &made))
		goto out;
	if (!client_store(x, &cl))
		goto out;
	/* The only time the secret is shown: it is stored as a hash. */
	if (made)
		printf("%s\n", secret);
	fprintf(stderr, "authgatectl: added %s client %s%s\n",
	    pub ? "public" : "confidential", cl.id, made ?
	    "; its secret, printed above, is not shown again" : "");
	rc = CTL_OK;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(&cl, sizeof(cl));
	return rc;
}

static int
client_del(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	char		*pos[1];
	int		 npos;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	if (!id_ok(pos[0]))
		return CTL_FAIL;
	if ((e = store_client_del(x->store, pos[0])) != AG_OK)
		return client_fail(c, pos[0], e);
	printf("deleted client %s\n", pos[0]);
	return CTL_OK;
}

static int
client_show(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct client	 cl;
	char		*pos[1], t[32];
	unsigned int	 bit;
	size_t		 i;
	int		 npos;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	if (!id_ok(pos[0]))
		return CTL_FAIL;
	if ((e = store_client_get(x->store, pos[0], &cl)) != AG_OK)
		return client_fail(c, pos[0], e);
	printf("id: %s\n", cl.id);
	printf("type: %s\n", cl.public_client ? "public" : "confidential");
	printf("created: %s\n", ctl_time(cl.created, t, sizeof(t)));
	printf("grants:");
	for (bit = 1; bit <= CG_ALL; bit <<= 1)
		if (cl.grants & bit)
			printf(" %s", store_grant_name(bit));
	printf("\n");
	printf("scope: %s\n", cl.scope);
	for (i = 0; i < cl.nredirect; i++)
		printf("redirect_uri: %s\n", cl.redirect[i]);
	OPENSSL_cleanse(&cl, sizeof(cl));
	return CTL_OK;
}

static int
list_one(const struct client *cl, void *arg)
{
	return ctl_lines_add(arg, "%s %s", cl->id,
	    cl->public_client ? "public" : "confidential");
}

static int
client_list(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct ctl_lines l;
	char		*pos[1];
	int		 npos;

	if (!ctl_args(argc, argv, NULL, pos, 0, &npos))
		return ctl_usage();
	memset(&l, 0, sizeof(l));
	return ctl_lines_finish(&l, store_client_each(x->store, list_one, &l),
	    c->user_db);
}

int
ctl_client(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;

	if (argc < 1)
		return ctl_usage();
	if (c->verify_only) {
		ctl_err("verify_only = yes: there is no user_db");
		return CTL_FAIL;
	}
	if (strcmp(argv[0], "add") == 0)
		return client_add(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return client_del(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return client_list(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "show") == 0)
		return client_show(x, argc - 1, argv + 1);
	ctl_err("unknown command \"client %s\"", argv[0]);
	return ctl_usage();
}
