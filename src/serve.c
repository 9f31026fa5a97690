/*
 * Shared request handling and the application state.
 *
 * The state is one struct app behind a pointer that a read-write lock
 * guards: every request holds the read lock while it runs, and the
 * thread that finds a changed key file builds a new struct app and
 * swaps it in under the write lock.  The check costs one atomic load
 * per request, and stat(2) calls at most once a second.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "ep.h"
#include "ep_err.h"
#include "key.h"
#include "audit.h"
#include "log.h"
#include "ops.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "fsutil.h"
#include "serve.h"
#include "state.h"
#include "store.h"

enum { ST_KEY, ST_DIR, ST_JWKS, ST__MAX };

static pthread_rwlock_t	 app_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t	 reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct app	*app_cur;		/* never NULL after serve_init */
/* The key files at the last load tried (app_cur's, unless it failed). */
static struct fsu_stamp	 stamps[ST__MAX];
static char		 conf_file[PATH_MAX];
static atomic_llong	 last_check;		/* time of the last check */
static time_t		 last_retry;
/* The last reload failed: app_cur's keys are older than the files.
 * Under reload_lock, with why it failed. */
static bool		 reload_failed;
static char		 reload_why[AG_WHY_MAX * 4];
/* The process environment's required scope (lighttpd bin-environment),
 * read once: the environment does not change while we run. */
static const char	*env_scope;
/* Numbers the apps loaded, for the verified-token cache; written only
 * by serve_init and, under reload_lock, by app_swap. */
static uint64_t		 app_gens;

static void
stamps_take(const struct conf *c, struct fsu_stamp st[ST__MAX])
{
	fsu_stamp_path(c->key_file, &st[ST_KEY]);
	fsu_stamp_path(c->key_dir, &st[ST_DIR]);
	fsu_stamp_path(c->jwks_file, &st[ST_JWKS]);
}

/* Fill a's JWK Set text from its keyring. */
static bool
app_jwks(struct app *a, char *why, size_t whysz)
{
	a->jwkslen = 0;
	if (keyring_jwks(a->keys, a->jwks, sizeof(a->jwks), &a->jwkslen)
	    != 0) {
		(void)snprintf(why, whysz, "JWK Set larger than %zu bytes",
		    sizeof(a->jwks));
		a->jwkslen = 0;
		return false;
	}
	return true;
}

static void
app_free(struct app *a)
{
	if (a == NULL)
		return;
	keyring_free(a->keys);
	store_free(a->store);
	state_free(a->state);
	free(a);
}

/*
 * Give a the handles on its user_db and state_db, which it owns: made
 * anew with each app, so a reload that changed nothing else still
 * reads the files afresh.  False when out of memory.
 */
static bool
app_storage(struct app *a)
{
	a->store = store_new(a->conf.user_db);
	a->state = state_new(&a->conf);
	return a->store != NULL && a->state != NULL;
}

/*
 * Load configuration and keys from scratch.  Returns an app (keys NULL
 * when something failed, with why saying what), or NULL when out of
 * memory.
 */
static struct app *
app_load(struct fsu_stamp st[ST__MAX], char *why, size_t whysz)
{
	struct app	*a;
	struct keyring	*kr = NULL;

	why[0] = '\0';
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	conf_defaults(&a->conf);
	if (conf_load(&a->conf, conf_file, why, whysz) != AG_OK) {
		conf_defaults(&a->conf);
		memset(st, 0, sizeof(*st) * ST__MAX);
		if (!app_storage(a)) {
			app_free(a);
			return NULL;
		}
		return a;
	}
	if (!app_storage(a)) {
		app_free(a);
		return NULL;
	}
	stamps_take(&a->conf, st);
	if (keyring_load(&a->conf, &kr, why, whysz) != AG_OK)
		return a;
	a->keys = kr;
	if (!app_jwks(a, why, whysz)) {
		keyring_free(a->keys);
		a->keys = NULL;
	}
	return a;
}

static void
app_swap(struct app *a, const struct fsu_stamp st[ST__MAX])
{
	struct app	*old;

	if (pthread_rwlock_wrlock(&app_lock) != 0) {
		log_msg("pthread_rwlock_wrlock failed");
		app_free(a);
		return;
	}
	a->gen = ++app_gens;
	old = app_cur;
	app_cur = a;
	memcpy(stamps, st, sizeof(stamps));
	(void)pthread_rwlock_unlock(&app_lock);
	app_free(old);
	reload_failed = false;
	reload_why[0] = '\0';
	audit("key_reload", "success", NULL, NULL, NULL);
}

/* A reload failed: keep app_cur, say why, try again later. */
static void
reload_fail(const struct fsu_stamp st[ST__MAX], time_t now, const char *why)
{
	memcpy(stamps, st, sizeof(stamps));
	last_retry = now;
	reload_failed = true;
	(void)snprintf(reload_why, sizeof(reload_why), "%s", why);
	audit("key_reload", "failure", NULL, NULL, why);
	log_msg("key reload failed, keeping the old keys (tried again every "
	    "%d s): %s", SERVE_RETRY_SECONDS, why);
}

bool
serve_reload_failed(char *why, size_t whysz)
{
	bool	 failed;

	if (pthread_mutex_lock(&reload_lock) != 0)
		return true;
	failed = reload_failed || (app_cur != NULL && app_cur->keys == NULL);
	if (why != NULL && whysz > 0)
		(void)snprintf(why, whysz, "%s", reload_why);
	(void)pthread_mutex_unlock(&reload_lock);
	return failed;
}

void
serve_init(const char *opt)
{
	struct fsu_stamp	 st[ST__MAX];
	char		 why[AG_WHY_MAX * 4];
	struct app	*a;
	int		 n;

	if ((env_scope = getenv("AUTHGATE_REQUIRE_SCOPE")) != NULL &&
	    *env_scope == '\0')
		env_scope = NULL;
	n = snprintf(conf_file, sizeof(conf_file), "%s", conf_path(opt));
	if (n < 0 || (size_t)n >= sizeof(conf_file))
		log_fatal("configuration path too long");
	if ((a = app_load(st, why, sizeof(why))) == NULL)
		log_fatal("out of memory");
	if (a->keys == NULL) {
		log_msg("%s; answering 503 until fixed", why);
		(void)snprintf(reload_why, sizeof(reload_why), "%s", why);
	}
	else
		ops_init(&a->conf);
	a->gen = ++app_gens;
	app_cur = a;
	memcpy(stamps, st, sizeof(stamps));
	last_retry = time(NULL);
	atomic_store(&last_check, (long long)last_retry);
}

long
serve_threads(void)
{
	long	 n = app_cur != NULL ? app_cur->conf.threads : 1;

	return n < 1 ? 1 : n;
}

void
serve_fini(void)
{
	app_free(app_cur);
	app_cur = NULL;
}

/*
 * Called by every request: at most once a second (one thread at a
 * time) see whether the key files changed, and load them again if so;
 * a broken service retries everything every SERVE_RETRY_SECONDS.  A
 * reload that failed is tried again at the next change and at least
 * every SERVE_RETRY_SECONDS (what fixes it, a chmod or a chown, changes
 * no stamp), and logged each time it fails, until it succeeds.
 */
static void
maybe_reload(time_t now)
{
	struct fsu_stamp	 st[ST__MAX];
	struct keyring	*kr;
	struct app	*a;
	char		 why[AG_WHY_MAX * 4];
	size_t		 i;
	bool		 changed = false;

	if (atomic_load(&last_check) == (long long)now)
		return;
	if (pthread_mutex_trylock(&reload_lock) != 0)
		return;
	if (atomic_load(&last_check) == (long long)now)
		goto out;
	atomic_store(&last_check, (long long)now);

	/* Only this thread swaps app_cur, so it may read it unlocked. */
	if (app_cur->keys == NULL) {
		if (now - last_retry < SERVE_RETRY_SECONDS)
			goto out;
		last_retry = now;
		if ((a = app_load(st, why, sizeof(why))) == NULL)
			goto out;
		if (a->keys == NULL) {
			app_free(a);
			log_msg("still misconfigured, answering 503: %s", why);
			(void)snprintf(reload_why, sizeof(reload_why), "%s",
			    why);
			goto out;
		}
		log_msg("configuration and keys loaded: serving");
		ops_init(&a->conf);
		app_swap(a, st);
		goto out;
	}

	stamps_take(&app_cur->conf, st);
	for (i = 0; i < ST__MAX; i++)
		if (!fsu_stamp_eq(&st[i], &stamps[i], true))
			changed = true;
	if (!changed && (!reload_failed ||
	    now - last_retry < SERVE_RETRY_SECONDS))
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	a->conf = app_cur->conf;
	if (!app_storage(a)) {
		app_free(a);
		goto out;
	}
	if (keyring_load(&a->conf, &kr, why, sizeof(why)) != AG_OK) {
		app_free(a);
		reload_fail(st, now, why);
		goto out;
	}
	a->keys = kr;
	if (!app_jwks(a, why, sizeof(why))) {
		app_free(a);
		reload_fail(st, now, why);
		goto out;
	}
	log_msg("keys reloaded: %zu key(s)", keyring_count(kr));
	app_swap(a, st);
out:
	(void)pthread_mutex_unlock(&reload_lock);
}

/* application/x-www-form-urlencoded, any case, parameters allowed. */
static bool
type_is_form(const char *t)
{
	static const char	 form[] = "application/x-www-form-urlencoded";
	size_t			 n = sizeof(form) - 1;

	if (t == NULL)
		return false;
	while (*t == ' ' || *t == '\t')
		t++;
	if (strncasecmp(t, form, n) != 0)
		return false;
	t += n;
	while (*t == ' ' || *t == '\t')
		t++;
	return *t == '\0' || *t == ';';
}

/*
 * Read the body of a POST into a buffer the caller frees, or answer.
 * Returns false when res holds the answer.
 */
static bool
read_body(const struct app *a, const struct serve_io *io, struct req *r,
    struct resp *res, char **bufp)
{
	long long	 max = a->conf.max_body, len;
	size_t		 got = 0;
	long		 n;
	char		*buf;

	*bufp = NULL;
	if (max > SERVE_BODY_CEILING)
		max = SERVE_BODY_CEILING;
	if (r->content_length_bad) {
		ep_fail(res, EPF_CLEN);
		return false;
	}
	/* Absent CONTENT_LENGTH: no body (RFC 3875 4.1.2). */
	len = r->content_length < 0 ? 0 : r->content_length;
	if (len > max) {
		ep_fail(res, EPF_BODY_LARGE);
		return false;
	}
	if ((len > 0 || r->content_type != NULL) &&
	    !type_is_form(r->content_type)) {
		ep_fail(res, EPF_CTYPE);
		return false;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL) {
		ep_fail_err(res, AG_ENOMEM);
		return false;
	}
	while (got < (size_t)len) {
		n = io->read(io->arg, buf + got, (size_t)len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)len) {
		explicit_bzero(buf, got);
		free(buf);
		ep_fail(res, EPF_BODY_SHORT);
		return false;
	}
	buf[len] = '\0';
	r->body = buf;
	r->bodylen = (size_t)len;
	*bufp = buf;
	return true;
}

/* 405 with the route's Allow, unless it takes the method. */
static bool
method_ok(const struct route_def *d, const struct req *r, struct resp *res)
{
	if (route_method_ok(d, r->method))
		return true;
	resp_header(res, "Allow", route_allow(d));
	ep_fail(res, EPF_METHOD);
	return false;
}

/* Answer r as the route table (route.c) says. */
static void
dispatch(const struct app *a, const struct serve_io *io, struct req *r,
    struct resp *res, char **bodyp)
{
	const struct route_def	*d = route_def(r->route);

	/* Answered even when misconfigured: they tell that it is. */
	if (r->role != REQ_AUTHORIZER && d != NULL && d->ops) {
		if (method_ok(d, r, res))
			ops_dispatch(a, io, r, res);
		return;
	}
	if (a->keys == NULL) {
		ep_fail(res, EPF_MISCONFIGURED);
		return;
	}
	/* The authorizer role checks the request the server is about to
	 * serve, whatever its path and method; no body comes with it. */
	if (r->role == REQ_AUTHORIZER) {
		ep_protected(a, r, res);
		return;
	}
	if (d == NULL || (d->issuer_only && a->conf.verify_only)) {
		ep_fail(res, EPF_NO_ENDPOINT);
		return;
	}
	if (!method_ok(d, r, res))
		return;
	if (r->method == REQ_POST && d->reads_body &&
	    !read_body(a, io, r, res, bodyp))
		return;
	d->handler(a, r, res);
}

/* Answer r; returns the status sent. */
static int
serve_one(const struct serve_io *io, struct req *r)
{
	static const char	 fallback[] = "Status: 500 Internal Server "
	    "Error\r\nContent-Type: application/json\r\n\r\n"
	    "{\"error\":\"server_error\"}";
	struct resp		 res;
	char			 out[RESP_OUT_MAX], *body = NULL;
	const struct app	*a;
	size_t			 n;
	int			 status;

	maybe_reload(time(NULL));
	req_parse_env(r, io->envp);
	/*
	 * lighttpd sets no per-location parameters: its authorizer takes
	 * the required scope from the process environment (bin-environment).
	 */
	if (r->require_scope == NULL)
		r->require_scope = env_scope;
	resp_init(&res);

	if (pthread_rwlock_rdlock(&app_lock) != 0) {
		(void)io->write(io->arg, fallback, sizeof(fallback) - 1);
		return 500;
	}
	a = app_cur;
	dispatch(a, io, r, &res, &body);
	(void)pthread_rwlock_unlock(&app_lock);
	if (body != NULL) {
		/* It may hold a password. */
		explicit_bzero(body, r->bodylen);
		free(body);
	}
	if (res.sent)
		return res.status;

	status = res.status;
	if (res.overflow || status < 200 || status > 599) {
		/* Whatever the endpoint built is not sent. */
		status = res.status == 503 ? 503 : 500;
		resp_init(&res);
		ep_fail(&res, status == 503 ? EPF_NOMEM : EPF_SERVER_ERROR);
	}
	if (r->method == REQ_HEAD && r->role != REQ_AUTHORIZER)
		res.nobody = 1;
	if (res.status >= 500)
		log_msg("%s %s: %d %s", r->method_name, r->path, res.status,
		    resp_reason(res.status));
	if ((n = resp_format(&res, out, sizeof(out))) == 0) {
		(void)io->write(io->arg, fallback, sizeof(fallback) - 1);
		return 500;
	}
	/* A client that went away: nothing to tell. */
	(void)io->write(io->arg, out, n);
	return res.status;
}

void
serve_request(const struct serve_io *io)
{
	struct req	 r;
	uint64_t	 t0 = ops_clock();
	int		 status;

	status = serve_one(io, &r);
	ops_done(&r, status, t0);
	audit_remote(NULL);	/* this request's events are written */
}
