/*
 * /metrics, /health/live, /health/ready and the per-request count.
 *
 * Readiness is worked out at each request to /health/ready (a few
 * system calls), so it follows state_db becoming unwritable or a key
 * reload failing as soon as the next probe; serve.c looks at the key
 * files at most once a second before any request, the probe included.
 * In the authorizer role none of these paths is special: serve.c hands
 * every authorizer request to the bearer check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "audit.h"
#include "cidr.h"
#include "ep.h"
#include "ep_err.h"
#include "jw.h"
#include "key.h"
#include "log.h"
#include "ops.h"
#include "resp.h"
#include "serve.h"

#define OPS_CHECKS_MAX	4

static const char	 text_type[] =
    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n";

void
ops_init(const struct conf *c)
{
	char	 why[AG_WHY_MAX * 2];

	audit_init(c->audit_log);
	log_json(c->log_json != 0);
	if (metrics_shared())
		return;
	/* A verifier need have no state_db directory: no complaint. */
	if (!metrics_open(c->state_db, true, why, sizeof(why)) &&
	    !c->verify_only)
		log_msg("metrics: %s: counting for this process only", why);
}

uint64_t
ops_clock(void)
{
	struct timespec	 ts;

#ifdef AG_NO_METRICS
	return 0;
#endif
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum metrics_ep
endpoint(const struct req *r)
{
	if (r->role == REQ_AUTHORIZER)
		return MEP_AUTHORIZER;
	switch (r->route) {
	case ROUTE_TOKEN:
		return MEP_TOKEN;
	case ROUTE_PROTECTED:
		return MEP_PROTECTED;
	case ROUTE_AUTH:
		return MEP_AUTH;
	case ROUTE_REVOKE:
		return MEP_REVOKE;
	case ROUTE_INTROSPECT:
		return MEP_INTROSPECT;
	case ROUTE_JWKS:
		return MEP_JWKS;
	case ROUTE_META:
		return MEP_METADATA;
	case ROUTE_METRICS:
		return MEP_METRICS;
	case ROUTE_HEALTH_LIVE:
	case ROUTE_HEALTH_READY:
		return MEP_HEALTH;
	case ROUTE_AUTHORIZE:
		return MEP_AUTHORIZE;
	case ROUTE_LOGIN:
		return MEP_LOGIN;
	case ROUTE_LOGOUT:
		return MEP_LOGOUT;
	case ROUTE_NONE:
	case ROUTE__MAX:
		break;
	}
	return MEP_OTHER;
}

void
ops_done(const struct req *r, int status, uint64_t t0)
{
	uint64_t	 t1;

#ifdef AG_NO_METRICS
	return;		/* a build for the benchmark's baseline */
#endif
	t1 = ops_clock();
	metrics_request(endpoint(r), status, t1 > t0 ? t1 - t0 : 0);
}

/* Keys of each state in the keyring. */
static void
key_counts(const struct keyring *kr, struct metrics_gauges *g)
{
	size_t		 i, n = kr != NULL ? keyring_count(kr) : 0;
	const char	*role;

	for (i = 0; i < n; i++) {
		role = key_role(keyring_at(kr, i));
		if (strcmp(role, "signing") == 0)
			g->keys_signing++;
		else if (strcmp(role, "next") == 0)
			g->keys_next++;
		else if (strcmp(role, "retired") == 0)
			g->keys_retired++;
	}
}

/* The 200 of /metrics, written here: headers, then the text. */
static void
metrics_send(const struct app *a, const struct serve_io *io,
    const struct req *r, struct resp *res)
{
	struct metrics_gauges	 g;
	char			*buf, head[256];
	size_t			 len;
	int			 hl;

	memset(&g, 0, sizeof(g));
	g.version = PACKAGE_VERSION;
	g.algorithm = ag_alg_name(a->conf.algorithm);
	key_counts(a->keys, &g);
	g.reload_ok = !serve_reload_failed(NULL, 0);
	if ((buf = malloc(METRICS_TEXT_MAX)) == NULL) {
		ep_fail_err(res, AG_ENOMEM);
		return;
	}
	if ((len = metrics_format(&g, buf, METRICS_TEXT_MAX)) == 0) {
		free(buf);
		ep_fail(res, EPF_SERVER_ERROR);
		return;
	}
	hl = snprintf(head, sizeof(head), "Status: 200 OK\r\n%s"
	    "Cache-Control: no-store\r\n\r\n", text_type);
	if (hl > 0 && (size_t)hl < sizeof(head) &&
	    io->write(io->arg, head, (size_t)hl) == 0 &&
	    r->method != REQ_HEAD)
		(void)io->write(io->arg, buf, len);
	free(buf);
	resp_sent(res, 200);
}

static void
ep_metrics(const struct app *a, const struct serve_io *io,
    const struct req *r, struct resp *res)
{
	if (a->conf.metrics_allow[0] == '\0') {
		ep_fail(res, EPF_NO_ENDPOINT);
		return;
	}
	if (!cidr_match(a->conf.metrics_allow, r->remote_addr)) {
		ep_fail(res, EPF_METRICS_FORBIDDEN);
		return;
	}
	metrics_send(a, io, r, res);
}

/* state_db writable, or, before its first write, its directory. */
static bool
state_writable(const char *path)
{
	char	 dir[PATH_MAX], *slash;

	if (access(path, W_OK) == 0)
		return true;
	if (errno != ENOENT)
		return false;
	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return access(".", W_OK) == 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return access(dir, W_OK) == 0;
}

static bool
readable(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return false;
	(void)close(fd);
	return true;
}

/* The names of the checks that fail; returns their count. */
static size_t
ready_failures(const struct app *a, const char *fail[OPS_CHECKS_MAX])
{
	size_t	 n = 0;

	if (a->keys == NULL)
		fail[n++] = "config";
	else if (serve_reload_failed(NULL, 0))
		fail[n++] = "keys";
	if (a->keys != NULL && !a->conf.verify_only) {
		if (!readable(a->conf.user_db))
			fail[n++] = "user_db";
		if (!state_writable(a->conf.state_db))
			fail[n++] = "state_db";
	}
	return n;
}

static void
ep_health(const struct app *a, const struct req *r, struct resp *res)
{
	const char	*fail[OPS_CHECKS_MAX];
	struct jw	 w;
	size_t		 n = 0, i;

	if (r->route == ROUTE_HEALTH_READY)
		n = ready_failures(a, fail);
	resp_body_begin(res, &w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "status", n == 0 ? "UP" : "DOWN");
	if (n > 0) {
		jw_arr_open(&w, "checks");
		for (i = 0; i < n; i++) {
			jw_obj_open(&w, NULL);
			jw_str(&w, "name", fail[i]);
			jw_str(&w, "status", "DOWN");
			jw_obj_close(&w);
		}
		jw_arr_close(&w);
	}
	jw_obj_close(&w);
	resp_body_end(res, n == 0 ? 200 : 503, &w);
	resp_header(res, "Cache-Control", "no-store");
}

void
ops_dispatch(const struct app *a, const struct serve_io *io,
    const struct req *r, struct resp *res)
{
	if (r->route == ROUTE_METRICS)
		ep_metrics(a, io, r, res);
	else
		ep_health(a, r, res);
}
