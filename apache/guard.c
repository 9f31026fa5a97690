/*
 * The bearer check of mod_authgate: the decisions of the FastCGI
 * authorizer (src/ep_protected.c, role AUTHORIZER) over the same libag
 * calls, so that a token passes or fails, and the WWW-Authenticate
 * says why, exactly as at /protected (tests/integ/mod_authgate.sh
 * compares the two).  The same goes for browser sessions: without
 * Authorization the session cookie is checked, and a browser without
 * credentials is sent to login_url (302).
 *
 * Keys: the key file, key directory and JWK Set are looked at once a
 * second (serve.c's SERVE_RELOAD_SECONDS) and loaded again when one
 * changed; a failed load keeps the old keys and is retried every
 * SERVE_RETRY_SECONDS.  Each load is a new generation: the verified-
 * token cache forgets what the old keys verified.  Nothing is written:
 * the deny list is read as every authgate process reads it (deny.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../src/accept.h"
#include "../src/bearer.h"
#include "../src/conf.h"
#include "../src/fsutil.h"
#include "../src/jwt.h"
#include "../src/key.h"
#include "../src/log.h"
#include "../src/req.h"
#include "../src/scope.h"
#include "../src/serve.h"
#include "../src/state.h"
#include "../src/tokcheck.h"
#include "guard.h"

enum { GS_KEY, GS_DIR, GS_JWKS, GS__MAX };

/* One load of the keys, with the configuration and deny-list view. */
struct gset {
	struct conf	 conf;
	struct keyring	*keys;		/* NULL: answering 503 */
	struct state	*state;		/* the deny list, read only */
	uint64_t	 gen;		/* for the verified-token cache */
};

struct guard {
	pthread_rwlock_t	 lock;		/* over cur */
	pthread_mutex_t		 reload;	/* one reloader at a time */
	struct gset		*cur;
	struct fsu_stamp	 st[GS__MAX];
	atomic_llong		 last_check;
	time_t			 last_retry;
};

/* Generations are numbered across guards: threads share one cache. */
static atomic_uint_fast64_t	 gens;

static void
stamps_take(const struct conf *c, struct fsu_stamp st[GS__MAX])
{
	fsu_stamp_path(c->key_file, &st[GS_KEY]);
	fsu_stamp_path(c->key_dir, &st[GS_DIR]);
	fsu_stamp_path(c->jwks_file, &st[GS_JWKS]);
}

static void
gset_free(struct gset *s)
{
	if (s == NULL)
		return;
	keyring_free(s->keys);
	state_free(s->state);
	free(s);
}

/* A new set over conf c with the keys on disk; NULL when out of memory. */
static struct gset *
gset_load(const struct conf *c, struct fsu_stamp st[GS__MAX], char *why,
    size_t whysz)
{
	struct gset	*s;

	why[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->conf = *c;
	if ((s->state = state_new(&s->conf)) == NULL) {
		free(s);
		return NULL;
	}
	state_readonly(s->state);
	stamps_take(&s->conf, st);
	if (keyring_load(&s->conf, &s->keys, why, whysz) != AG_OK)
		s->keys = NULL;
	s->gen = atomic_fetch_add(&gens, 1) + 1;
	return s;
}

struct guard *
guard_open(const char *path, char *why, size_t whysz)
{
	struct guard	*g;
	struct conf	 c;

	conf_defaults(&c);
	if (conf_load(&c, path, why, whysz) != AG_OK)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		(void)snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if (pthread_rwlock_init(&g->lock, NULL) != 0) {
		free(g);
		(void)snprintf(why, whysz, "pthread_rwlock_init failed");
		return NULL;
	}
	if (pthread_mutex_init(&g->reload, NULL) != 0) {
		(void)pthread_rwlock_destroy(&g->lock);
		free(g);
		(void)snprintf(why, whysz, "pthread_mutex_init failed");
		return NULL;
	}
	if ((g->cur = gset_load(&c, g->st, why, whysz)) == NULL) {
		guard_close(g);
		(void)snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if (g->cur->keys != NULL)
		why[0] = '\0';	/* loaded: nothing to say */
	g->last_retry = time(NULL);
	atomic_store(&g->last_check, (long long)g->last_retry);
	return g;
}

void
guard_close(struct guard *g)
{
	if (g == NULL)
		return;
	gset_free(g->cur);
	(void)pthread_mutex_destroy(&g->reload);
	(void)pthread_rwlock_destroy(&g->lock);
	free(g);
}

/*
 * At most once a second (one thread at a time): load the keys again if
 * their files changed, or if the last load failed and
 * SERVE_RETRY_SECONDS have passed.  A failed load keeps the old keys.
 */
static void
maybe_reload(struct guard *g, time_t now)
{
	struct fsu_stamp	 st[GS__MAX];
	struct gset		*s, *old;
	char			 why[AG_WHY_MAX * 4];
	bool			 changed = false, failed;
	size_t			 i;

	if (atomic_load(&g->last_check) / SERVE_RELOAD_SECONDS ==
	    (long long)now / SERVE_RELOAD_SECONDS)
		return;
	if (pthread_mutex_trylock(&g->reload) != 0)
		return;
	atomic_store(&g->last_check, (long long)now);
	stamps_take(&g->cur->conf, st);
	for (i = 0; i < GS__MAX; i++)
		if (!fsu_stamp_eq(&st[i], &g->st[i], true))
			changed = true;
	failed = g->cur->keys == NULL;
	if (!changed && !(failed && now - g->last_retry >=
	    SERVE_RETRY_SECONDS))
		goto out;
	g->last_retry = now;
	if ((s = gset_load(&g->cur->conf, st, why, sizeof(why))) == NULL)
		goto out;
	memcpy(g->st, st, sizeof(g->st));
	if (s->keys == NULL) {
		log_msg("key reload failed, keeping the old keys: %s", why);
		gset_free(s);
		goto out;
	}
	if (pthread_rwlock_wrlock(&g->lock) != 0) {
		gset_free(s);
		goto out;
	}
	old = g->cur;
	g->cur = s;
	(void)pthread_rwlock_unlock(&g->lock);
	gset_free(old);
	log_msg("keys loaded");
out:
	(void)pthread_mutex_unlock(&g->reload);
}

/* status with WWW-Authenticate as ep_protected.c's challenge(). */
static void
deny(const struct gset *s, struct guard_verdict *v, int status,
    const char *error, const char *desc, const char *scope)
{
	v->status = status;
	v->why = desc;
	if (!bearer_challenge(v->challenge, sizeof(v->challenge),
	    s->conf.realm, error, desc, scope)) {
		v->status = 500;
		v->why = "challenge too long";
		v->challenge[0] = '\0';
	}
}

/* No credentials: a browser is sent to sign in, others get the 401. */
static void
no_credentials(const struct gset *s, const struct guard_req *q,
    struct guard_verdict *v)
{
	if (accept_prefers_html(q->accept) &&
	    session_login_location(s->conf.login_url, q->uri, v->location,
	    sizeof(v->location))) {
		v->status = 302;
		v->why = "no credentials: sent to sign in";
		return;
	}
	deny(s, v, 401, NULL, NULL, NULL);
}

/* No Authorization: the session cookie decides, as in ep_protected.c. */
static void
by_session(const struct gset *s, const struct guard_req *q, time_t now,
    struct guard_verdict *v)
{
	struct session	 ss;
	const char	*val, *why = NULL;
	size_t		 len;
	enum ag_err	 e;

	if ((e = session_cookie(q->cookie, q->https, &val, &len)) == AG_OK)
		e = session_check(&s->conf, s->keys, s->gen, s->state, val,
		    len, now, &ss, &why);
	if (e == AG_ENOMEM || e == AG_EUNAVAIL) {
		v->status = 500;
		v->why = why != NULL ? why : "cannot verify the session now";
		return;
	}
	if (e != AG_OK) {
		no_credentials(s, q, v);
		if (why != NULL)
			v->why = why;
		return;
	}
	if (q->need != NULL && !scope_covers(ss.scope, q->need, " ,")) {
		deny(s, v, 403, "insufficient_scope",
		    "The token lacks a required scope", q->need);
		return;
	}
	v->status = 200;
	memcpy(v->sub, ss.user, sizeof(v->sub));
	memcpy(v->scope, ss.scope, sizeof(v->scope));
}

/* The check proper, with the read lock held on s. */
static void
check(const struct gset *s, const struct guard_req *q, time_t now,
    struct guard_verdict *v)
{
	const struct claims *cl;
	struct claims	 buf;
	const char	*tok, *why, *authorization = q->authorization;
	const char	*need = q->need;
	size_t		 toklen;
	enum tokcheck	 verdict;

	switch (req_bearer_split(authorization, &tok, &toklen)) {
	case AG_OK:
		break;
	case AG_ENOENT:
		by_session(s, q, now, v);
		return;
	case AG_ETOOBIG:
		deny(s, v, 401, "invalid_token", "token too long", NULL);
		return;
	default:
		deny(s, v, 401, "invalid_request", bearer_scheme(authorization) ?
		    "Malformed Bearer credentials" :
		    "The Authorization scheme is not Bearer", NULL);
		return;
	}
	cl = tokcheck(&s->conf, s->keys, s->gen, s->state, tok, toklen, now,
	    &buf, &verdict, &why);
	switch (verdict) {
	case TOKCHECK_OK:
		break;
	case TOKCHECK_NOMEM:
		v->status = 500;
		v->why = "out of memory";
		return;
	case TOKCHECK_MALFORMED:
		deny(s, v, 401, "invalid_request",
		    "Malformed Bearer credentials", NULL);
		return;
	case TOKCHECK_INVALID:
		deny(s, v, 401, "invalid_token",
		    why != NULL ? why : "invalid token", NULL);
		return;
	case TOKCHECK_REVOKED:
		deny(s, v, 401, "invalid_token", "token revoked", NULL);
		return;
	}
	if (need != NULL && !scope_covers(cl->scope, need, " ,")) {
		deny(s, v, 403, "insufficient_scope",
		    "The token lacks a required scope", need);
		return;
	}
	v->status = 200;
	memcpy(v->sub, cl->sub, sizeof(v->sub));
	memcpy(v->scope, cl->scope, sizeof(v->scope));
}

void
guard_check(struct guard *g, const struct guard_req *q,
    struct guard_verdict *v)
{
	time_t	 now = time(NULL);

	v->status = 500;
	v->why = NULL;
	v->sub[0] = v->scope[0] = v->challenge[0] = v->location[0] = '\0';
	maybe_reload(g, now);
	if (pthread_rwlock_rdlock(&g->lock) != 0) {
		v->why = "pthread_rwlock_rdlock failed";
		return;
	}
	if (g->cur->keys == NULL) {
		v->status = 503;
		v->why = "no keys loaded (see the error log)";
	} else
		check(g->cur, q, now, v);
	(void)pthread_rwlock_unlock(&g->lock);
}
