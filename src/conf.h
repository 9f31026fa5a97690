/*
 * authgate.conf(5): lines of "key = value", '#' comments, every key
 * that page describes.  Errors name the file, the line and the reason.
 */
#ifndef CONF_H
#define CONF_H

#include <limits.h>

#include "authgate.h"

#define CONF_LINE_MAX	4096	/* longest line accepted */
#define CONF_VALUE_MAX	1024	/* longest string value */
#define CONF_THREADS_MAX 64
#define CONF_THREADS_DEFAULT_MAX 8	/* default: online CPUs, up to this */
#define CONF_FILE_MAX	(1024 * 1024)	/* largest configuration file */
#define CONF_TTL_MAX	31536000L	/* token lifetimes: one year */
#define CONF_LEEWAY_MAX	300L
#define CONF_BODY_MIN	64L		/* max_body range */
#define CONF_BODY_MAX	1048576L
#define CONF_LOCKOUT_THRESHOLD_MAX 1000000L
#define CONF_LOCKOUT_SECONDS_MAX ((long)AG_DAY_SECONDS) /* state.c's cap */
#define CONF_JWKS_MAX_AGE_MAX	604800L	/* one week */

struct conf {
	char		 user_db[PATH_MAX];
	char		 state_db[PATH_MAX];
	char		 key_file[PATH_MAX];
	char		 key_dir[PATH_MAX];	/* retired and next keys */
	char		 jwks_file[PATH_MAX];	/* verify-only: public keys */
	enum ag_alg	 algorithm;
	char		 issuer[CONF_VALUE_MAX];
	char		 audience[CONF_VALUE_MAX];	/* "" = none */
	long		 access_token_ttl;
	long		 refresh_token_ttl;	/* 0 = no refresh tokens */
	long		 leeway;
	char		 realm[CONF_VALUE_MAX];
	long		 max_body;
	long		 lockout_threshold;	/* 0 = never lock */
	long		 lockout_seconds;
	char		 password_hash[CONF_VALUE_MAX];
	char		 default_scope[AG_SCOPE_MAX + 1];
	/* The client_id claim of a token no client asked for (RFC 9068
	 * 2.2 makes the claim required). */
	char		 default_client_id[AG_NAME_MAX + 1];
	int		 verify_only;		/* no user_db, no /token */
	long		 threads;		/* worker threads per process */
	long		 jwks_max_age;		/* Cache-Control of the JWKS */
	/* Operations (authgate(8)): who may read /metrics ("" = nobody),
	 * where the audit log goes, error log lines as JSON. */
	char		 metrics_allow[CONF_VALUE_MAX];
	char		 audit_log[PATH_MAX];	/* "syslog", "off" or a path */
	int		 log_json;		/* log_format = json */
	/* Browser sign-in (session.h): the sign-in page as the browser
	 * reaches it, where a sign-in without a usable rd goes, and how
	 * long a session lives. */
	char		 login_url[CONF_VALUE_MAX];
	char		 login_redirect[CONF_VALUE_MAX];
	long		 session_ttl;
};

/* The file to read: opt (-c) if not NULL, else $AUTHGATE_CONF, else the
 * configure-time default. */
const char	*conf_path(const char *opt);
/* Fill c with every default. */
void		 conf_defaults(struct conf *c);
/*
 * Read path over the defaults already in c.  On error returns AG_EINVAL
 * (or AG_ENOENT when the file is missing) and writes "file:line: reason"
 * into why.
 */
enum ag_err	 conf_load(struct conf *c, const char *path, char *why,
		    size_t whysz);
/* The same from a buffer; name is used in messages.  For tests and fuzzing. */
enum ag_err	 conf_parse(struct conf *c, const char *buf, size_t len,
		    const char *name, char *why, size_t whysz);

#endif
