/*
 * mod_authgate: authgate's bearer check inside Apache httpd 2.4, for
 * locations with "AuthType Bearer" (SPEC.md "Apache module").  The
 * check is authgate's own (guard.c over libag): the same configuration
 * file, keys, JWT checks, verified-token cache and deny list as the
 * FastCGI authorizer, without a round trip to it.
 *
 *	AuthType Bearer
 *	AuthName authgate
 *	AuthgateConf /etc/authgate/authgate.conf
 *	AuthgateRequireScope read		(optional: 403 without it)
 *	Require valid-user
 *
 * A valid token sets r->user (REMOTE_USER, %u, "Require user") to its
 * sub and AUTHGATE_SCOPE to its scope; anything else is 401 with the
 * WWW-Authenticate of /protected.  A request without Authorization is
 * judged by its session cookie (browser sign-in), and a browser with
 * neither is redirected (302) to the configuration's login_url.  Each
 * child process opens every configuration named (child_init), as
 * Apache's user: that user reads the keys and the deny list, as
 * mod_fcgid's authgate does.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "apr_strings.h"

#include "../src/log.h"
#include "../src/vcache.h"
#include "guard.h"

#define AUTHGATE_WHY_MAX	1024

module AP_MODULE_DECLARE_DATA authgate_module;

/* One configuration file named by AuthgateConf, shared by directories. */
struct ag_file {
	const char	*path;
	struct guard	*guard;		/* the child's; NULL before or failed */
	struct ag_file	*next;
};

struct ag_dir {
	struct ag_file	*file;		/* NULL: not set here */
	const char	*need;		/* AuthgateRequireScope, or NULL */
	int		 need_set;
};

/* The files of the configuration being read (reset with its pool). */
static struct ag_file	*files;

static apr_status_t
files_reset(void *unused)
{
	(void)unused;
	files = NULL;
	return APR_SUCCESS;
}

static void *
dir_create(apr_pool_t *p, char *dir)
{
	(void)dir;
	return apr_pcalloc(p, sizeof(struct ag_dir));
}

static void *
dir_merge(apr_pool_t *p, void *basev, void *addv)
{
	struct ag_dir	*base = basev, *add = addv, *d;

	d = apr_pcalloc(p, sizeof(*d));
	d->file = add->file != NULL ? add->file : base->file;
	d->need_set = add->need_set || base->need_set;
	d->need = add->need_set ? add->need : base->need;
	return d;
}

static const char *
set_conf(cmd_parms *cmd, void *dv, const char *arg)
{
	struct ag_dir	*d = dv;
	struct ag_file	*f;
	const char	*path = ap_server_root_relative(cmd->pool, arg);

	if (path == NULL)
		return apr_pstrcat(cmd->pool, "AuthgateConf: bad path ", arg,
		    NULL);
	for (f = files; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			break;
	if (f == NULL) {
		if (files == NULL)
			apr_pool_cleanup_register(cmd->pool, NULL, files_reset,
			    apr_pool_cleanup_null);
		f = apr_pcalloc(cmd->pool, sizeof(*f));
		f->path = path;
		f->next = files;
		files = f;
	}
	d->file = f;
	return NULL;
}

static const char *
set_need(cmd_parms *cmd, void *dv, const char *arg)
{
	struct ag_dir	*d = dv;

	(void)cmd;
	d->need = *arg != '\0' ? arg : NULL;
	d->need_set = 1;
	return NULL;
}

static const command_rec cmds[] = {
	AP_INIT_TAKE1("AuthgateConf", set_conf, NULL, OR_AUTHCFG,
	    "authgate.conf(5) file whose keys verify bearer tokens here"),
	AP_INIT_TAKE1("AuthgateRequireScope", set_need, NULL, OR_AUTHCFG,
	    "scopes (space or comma separated) a token must all carry"),
	{ NULL }
};

/* Check at start-up that every file named can be read: fail early. */
static int
post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
    server_rec *s)
{
	struct ag_file	*f;
	struct guard	*g;
	char		 why[AUTHGATE_WHY_MAX];

	(void)pconf;
	(void)plog;
	(void)ptemp;
	for (f = files; f != NULL; f = f->next) {
		/* As root here: the keys are read again by each child. */
		if ((g = guard_open(f->path, why, sizeof(why))) == NULL) {
			ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
			    "AuthgateConf %s: %s", f->path, why);
			return HTTP_INTERNAL_SERVER_ERROR;
		}
		guard_close(g);
	}
	return OK;
}

static apr_status_t
child_exit(void *unused)
{
	struct ag_file	*f;

	(void)unused;
	for (f = files; f != NULL; f = f->next) {
		guard_close(f->guard);
		f->guard = NULL;
	}
	return APR_SUCCESS;
}

static void
child_init(apr_pool_t *p, server_rec *s)
{
	struct ag_file	*f;
	char		 why[AUTHGATE_WHY_MAX];

	log_init("mod_authgate");
	vcache_enable();
	for (f = files; f != NULL; f = f->next) {
		f->guard = guard_open(f->path, why, sizeof(why));
		if (f->guard == NULL)
			ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
			    "AuthgateConf %s: %s", f->path, why);
		else if (why[0] != '\0')
			ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
			    "AuthgateConf %s: %s: answering 503 until the "
			    "keys load", f->path, why);
	}
	apr_pool_cleanup_register(p, NULL, child_exit, apr_pool_cleanup_null);
}

static int
authenticate(request_rec *r)
{
	struct ag_dir		*d;
	struct guard_verdict	 v;
	struct guard_req	 q;
	const char		*type = ap_auth_type(r);

	if (type == NULL || strcasecmp(type, "Bearer") != 0)
		return DECLINED;
	d = ap_get_module_config(r->per_dir_config, &authgate_module);
	/* AuthType Bearer without AuthgateConf: another module's
	 * (mod_authnz_fcgi in etc/apache2/authgate-guard.conf). */
	if (d->file == NULL)
		return DECLINED;
	if (d->file->guard == NULL) {
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthType Bearer "
		    "without a working AuthgateConf: refusing");
		return HTTP_INTERNAL_SERVER_ERROR;
	}
	q.authorization = apr_table_get(r->headers_in, "Authorization");
	q.cookie = apr_table_get(r->headers_in, "Cookie");
	q.accept = apr_table_get(r->headers_in, "Accept");
	q.uri = r->unparsed_uri;
	q.https = strcmp(ap_http_scheme(r), "https") == 0;
	q.need = d->need;
	guard_check(d->file->guard, &q, &v);
	switch (v.status) {
	case 200:
		r->user = apr_pstrdup(r->pool, v.sub);
		r->ap_auth_type = "Bearer";
		apr_table_setn(r->subprocess_env, "AUTHGATE_SCOPE",
		    apr_pstrdup(r->pool, v.scope));
		return OK;
	case 401:
	case 403:
		apr_table_setn(r->err_headers_out, "WWW-Authenticate",
		    apr_pstrdup(r->pool, v.challenge));
		if (v.why != NULL)
			ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
			    "bearer token refused: %s", v.why);
		return v.status == 401 ? HTTP_UNAUTHORIZED : HTTP_FORBIDDEN;
	case 302:
		/* ap_send_error_response takes Location from headers_out. */
		apr_table_setn(r->headers_out, "Location",
		    apr_pstrdup(r->pool, v.location));
		apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
		return HTTP_MOVED_TEMPORARILY;
	case 503:
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s", v.why);
		return HTTP_SERVICE_UNAVAILABLE;
	default:
		ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s",
		    v.why != NULL ? v.why : "internal error");
		return HTTP_INTERNAL_SERVER_ERROR;
	}
}

static void
register_hooks(apr_pool_t *p)
{
	(void)p;
	ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
	ap_hook_check_authn(authenticate, NULL, NULL, APR_HOOK_MIDDLE,
	    AP_AUTH_INTERNAL_PER_CONF);
}

AP_DECLARE_MODULE(authgate) = {
	STANDARD20_MODULE_STUFF,
	dir_create,
	dir_merge,
	NULL,
	NULL,
	cmds,
	register_hooks
};
