/*
 * authgate.conf(5) reader.
 *
 * Syntax, as authgate.conf(5) documents it:
 *  - one "key = value" per line; blanks around key, '=' and value are
 *    ignored; a final CR (a file edited on Windows) is ignored;
 *  - '#' at the start of a line (after blanks), or after a blank, starts
 *    a comment that runs to the end of the line; a '#' inside a value
 *    ("https://example.org/#x") is part of the value;
 *  - values are taken as written: no quotes, no escapes;
 *  - unknown keys, a key given twice, a line without '=', an empty value
 *    (except for audience, default_scope and jwks_file), control bytes,
 *    a NUL, a line over CONF_LINE_MAX bytes and a number out of its range
 *    are errors: "file:line: reason";
 *  - a relative path is taken relative to the directory of the
 *    configuration file, so a configuration and its databases can move
 *    together.
 * The file is parsed into a copy of c, which replaces c only when the
 * whole file is good.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "conf.h"
#include "pw.h"
#include "scope.h"
#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

enum ktype {
	K_PATH,		/* a file name; relative to the file's directory */
	K_STR,		/* printable text */
	K_LONG,		/* decimal integer in [min, max] */
	K_ALG,		/* HS256, RS256, ES256, EdDSA */
	K_BOOL,		/* yes or no */
	K_HASH,		/* password_hash, checked by pw_scheme_check() */
	K_SCOPE,	/* space-separated scope tokens (RFC 6749 3.3) */
	K_NAME,		/* a user name or client id, store_name_ok() */
	K_CIDRS,	/* addresses and networks, cidr.h */
	K_AUDIT,	/* "syslog", "off", or a path as K_PATH */
	K_LOGFMT,	/* "text" or "json" */
	K_LOGIN_URL,	/* a path, or an absolute http(s) URL */
	K_SITE_PATH	/* a path on this site: "/", not "//" or "/\\" */
};

struct kdef {
	const char	*name;
	enum ktype	 type;
	size_t		 off;	/* offset of the field in struct conf */
	size_t		 size;	/* size of a string field */
	long		 min, max;
	bool		 empty_ok;
	bool		 quotes_ok;	/* '"' and '\\' allowed in the value */
};

#define STR(f)		offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define NUM(f)		offsetof(struct conf, f), 0

static const struct kdef kdefs[] = {
	{ "user_db",		K_PATH,  STR(user_db),  0, 0, false, true },
	{ "state_db",		K_PATH,  STR(state_db), 0, 0, false, true },
	{ "key_file",		K_PATH,  STR(key_file), 0, 0, false, true },
	{ "key_dir",		K_PATH,  STR(key_dir),  0, 0, false, true },
	{ "jwks_file",		K_PATH,  STR(jwks_file), 0, 0, true, true },
	{ "algorithm",		K_ALG,   NUM(algorithm), 0, 0, false, false },
	{ "issuer",		K_STR,   STR(issuer),   0, 0, false, false },
	{ "audience",		K_STR,   STR(audience), 0, 0, true, false },
	{ "access_token_ttl",	K_LONG,  NUM(access_token_ttl),
	    1, CONF_TTL_MAX, false, false },
	{ "refresh_token_ttl",	K_LONG,  NUM(refresh_token_ttl),
	    0, CONF_TTL_MAX, false, false },
	{ "leeway",		K_LONG,  NUM(leeway), 0, CONF_LEEWAY_MAX,
	    false, false },
	{ "realm",		K_STR,   STR(realm),    0, 0, false, false },
	{ "max_body",		K_LONG,  NUM(max_body),
	    CONF_BODY_MIN, CONF_BODY_MAX, false, false },
	{ "lockout_threshold",	K_LONG,  NUM(lockout_threshold),
	    0, CONF_LOCKOUT_THRESHOLD_MAX, false, false },
	{ "lockout_seconds",	K_LONG,  NUM(lockout_seconds),
	    1, CONF_LOCKOUT_SECONDS_MAX, false, false },
	{ "password_hash",	K_HASH,  STR(password_hash), 0, 0, false, false },
	{ "default_scope",	K_SCOPE, STR(default_scope), 0, 0, true, false },
	{ "default_client_id",	K_NAME,   STR(default_client_id), 0, 0, false,
	    false },
	{ "verify_only",	K_BOOL,  NUM(verify_only), 0, 0, false, false },
	{ "threads",		K_LONG,  NUM(threads), 1, CONF_THREADS_MAX,
	    false, false },
	{ "jwks_max_age",	K_LONG,  NUM(jwks_max_age),
	    0, CONF_JWKS_MAX_AGE_MAX, false, false },
	{ "metrics_allow",	K_CIDRS, STR(metrics_allow), 0, 0, true, false },
	{ "audit_log",		K_AUDIT, STR(audit_log), 0, 0, false, true },
	{ "log_format",		K_LOGFMT, NUM(log_json), 0, 0, false, false },
	{ "login_url",		K_LOGIN_URL, STR(login_url), 0, 0, false,
	    false },
	{ "login_redirect",	K_SITE_PATH, STR(login_redirect), 0, 0, false,
	    false },
	{ "session_ttl",	K_LONG,  NUM(session_ttl), 60, CONF_TTL_MAX,
	    false, false },
};

#define NKEYS	(sizeof(kdefs) / sizeof(kdefs[0]))

const char *
conf_path(const char *opt)
{
	const char	*env;

	if (opt != NULL)
		return opt;
	env = getenv("AUTHGATE_CONF");
	if (env != NULL && *env != '\0')
		return env;
	return SYSCONFDIR "/authgate/authgate.conf";
}

/* Online CPUs, at least 1, at most CONF_THREADS_DEFAULT_MAX. */
static long
default_threads(void)
{
	long	 n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > CONF_THREADS_DEFAULT_MAX)
		n = CONF_THREADS_DEFAULT_MAX;
	return n;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	/* These fit: configure's directories are far below PATH_MAX. */
	(void)snprintf(c->user_db, sizeof(c->user_db), "%s",
	    LOCALSTATEDIR "/lib/authgate/users.db");
	(void)snprintf(c->state_db, sizeof(c->state_db), "%s",
	    LOCALSTATEDIR "/lib/authgate/state.db");
	(void)snprintf(c->key_file, sizeof(c->key_file), "%s",
	    SYSCONFDIR "/authgate/signing.key");
	(void)snprintf(c->key_dir, sizeof(c->key_dir), "%s",
	    SYSCONFDIR "/authgate/keys");
	c->jwks_file[0] = '\0';
	c->algorithm = AG_HS256;
	(void)snprintf(c->issuer, sizeof(c->issuer), "authgate");
	c->audience[0] = '\0';
	c->access_token_ttl = 900;
	c->refresh_token_ttl = 1209600;
	c->leeway = 30;
	(void)snprintf(c->realm, sizeof(c->realm), "authgate");
	c->max_body = 8192;
	c->lockout_threshold = 5;
	c->lockout_seconds = 300;
	(void)snprintf(c->password_hash, sizeof(c->password_hash), "scrypt");
	c->default_scope[0] = '\0';
	(void)snprintf(c->default_client_id, sizeof(c->default_client_id),
	    "default");
	c->verify_only = 0;
	c->threads = default_threads();
	c->jwks_max_age = 300;
	(void)snprintf(c->metrics_allow, sizeof(c->metrics_allow),
	    "127.0.0.1/8 ::1/128");
	(void)snprintf(c->audit_log, sizeof(c->audit_log), "syslog");
	c->log_json = 0;
	(void)snprintf(c->login_url, sizeof(c->login_url), "/oauth/login");
	(void)snprintf(c->login_redirect, sizeof(c->login_redirect), "/");
	c->session_ttl = 28800;
}

static void
seterr(char *why, size_t whysz, const char *name, size_t lineno,
    const char *fmt, ...)
{
	char	 msg[AG_WHY_MAX];
	va_list	 ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A truncated message is still a message. */
	if (lineno > 0)
		(void)snprintf(why, whysz, "%s:%zu: %s", name, lineno, msg);
	else
		(void)snprintf(why, whysz, "%s: %s", name, msg);
}

static bool
isblank_c(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Check and convert a decimal number; only digits, no sign, no blanks.
 */
static bool
parse_long(const char *v, long min, long max, long *out)
{
	long long	 n;
	char		*end;
	const char	*p;

	for (p = v; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	if (p == v || p - v > 18)
		return false;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*out = (long)n;
	return true;
}

/*
 * dir: the directory of the configuration file with its final '/', or
 * "" when the name has none (relative to the working directory, which
 * then is the file's directory).
 */
static void
file_dir(const char *name, char *dir, size_t dirsz)
{
	const char	*slash;
	size_t		 n;

	dir[0] = '\0';
	slash = strrchr(name, '/');
	if (slash == NULL)
		return;
	n = (size_t)(slash - name) + 1;
	if (n >= dirsz)
		return;		/* caught when the joined path is too long */
	memcpy(dir, name, n);
	dir[n] = '\0';
}

/* Printable ASCII without spaces: what a URL in a header may hold. */
static bool
url_chars_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			return false;
	return true;
}

/*
 * A path on this site: one leading "/", not "//" or "/\\" (which
 * browsers take for another host).
 */
static bool
site_path_ok(const char *v)
{
	return v[0] == '/' && v[1] != '/' && v[1] != '\\' && url_chars_ok(v);
}

/*
 * login_url: a path on this site or an absolute http(s) URL with a
 * host, no "#" (the guard appends "?rd=" or "&rd=" to it).
 */
static bool
login_url_ok(const char *v)
{
	const char	*host;

	if (strchr(v, '#') != NULL)
		return false;
	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return site_path_ok(v);
	if (*host == '\0' || *host == '/' || *host == '?' || *host == '\\')
		return false;
	return url_chars_ok(host);
}

/*
 * The checks every value passes first: empty only where the key allows
 * it, no control bytes, and '"' or '\\' only in paths.
 */
static bool
value_chars_ok(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	const char	*p;

	if (v[0] == '\0' && !k->empty_ok) {
		(void)snprintf(why, whysz, "%s: empty value", k->name);
		return false;
	}
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			(void)snprintf(why, whysz,
			    "%s: control character in value", k->name);
			return false;
		}
		if (!k->quotes_ok && (*p == '"' || *p == '\\')) {
			(void)snprintf(why, whysz,
			    "%s: '\"' and '\\' are not allowed", k->name);
			return false;
		}
	}
	return true;
}

/*
 * K_PATH, and K_AUDIT, which is a path unless it is "syslog" or "off":
 * a relative path is joined to dir, the configuration's directory.
 */
static bool
set_path(char *field, const struct kdef *k, const char *v, const char *dir,
    char *why, size_t whysz)
{
	int	 r;

	if (k->type == K_AUDIT &&
	    (strcmp(v, "syslog") == 0 || strcmp(v, "off") == 0)) {
		memcpy(field, v, strlen(v) + 1);
		return true;
	}
	if (v[0] != '\0' && v[0] != '/' && dir[0] != '\0')
		r = snprintf(field, k->size, "%s%s", dir, v);
	else
		r = snprintf(field, k->size, "%s", v);
	if (r < 0 || (size_t)r >= k->size) {
		(void)snprintf(why, whysz, "%s: path too long", k->name);
		return false;
	}
	return true;
}

/*
 * Checks of the values kept as written: each says in why what is wrong
 * and returns false, or returns true and set_value() copies the value.
 */
typedef bool	 text_check(const struct kdef *, const char *, char *,
		    size_t);

/*
 * The "too long" of the fields that name their size: "NAME: longer
 * than N bytes", with longer "longer than" or "value longer than".
 */
static bool
fits_field(const struct kdef *k, const char *v, const char *longer,
    char *why, size_t whysz)
{
	if (strlen(v) >= k->size) {
		(void)snprintf(why, whysz, "%s: %s %zu bytes", k->name,
		    longer, k->size - 1);
		return false;
	}
	return true;
}

static bool
check_str(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	return fits_field(k, v, "value longer than", why, whysz);
}

static bool
check_name(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	if (!store_name_ok(v)) {
		(void)snprintf(why, whysz, "%s: not a client id (1 to "
		    "%d bytes of UTF-8 without spaces, ':' or ',')",
		    k->name, AG_NAME_MAX);
		return false;
	}
	return true;
}

static bool
check_scope(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	if (strlen(v) >= k->size) {
		(void)snprintf(why, whysz, "%s: longer than %d bytes",
		    k->name, AG_SCOPE_MAX);
		return false;
	}
	if (v[0] != '\0' && !scope_valid(v)) {
		(void)snprintf(why, whysz, "%s: not a list of scope "
		    "names separated by single spaces", k->name);
		return false;
	}
	return true;
}

static bool
check_cidrs(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	char	 cwhy[AG_WHY_MAX / 2];

	if (!fits_field(k, v, "longer than", why, whysz))
		return false;
	if (!cidr_list_ok(v, cwhy, sizeof(cwhy))) {
		(void)snprintf(why, whysz, "%s: %s", k->name, cwhy);
		return false;
	}
	return true;
}

/* login_url and login_redirect: capped, then each its own form. */
static bool
check_url(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	bool	 login = k->type == K_LOGIN_URL;

	if (!fits_field(k, v, "longer than", why, whysz))
		return false;
	if (login ? !login_url_ok(v) : !site_path_ok(v)) {
		(void)snprintf(why, whysz, login ?
		    "%s: not a path (\"/...\") or an http(s) URL, "
		    "without spaces or \"#\"" : "%s: not a path on "
		    "this site (\"/...\", not \"//\"), without "
		    "spaces", k->name);
		return false;
	}
	return true;
}

static bool
check_hash(const struct kdef *k, const char *v, char *why, size_t whysz)
{
	char	 pwhy[AG_WHY_MAX] = "";

	if (strlen(v) >= k->size) {
		(void)snprintf(why, whysz, "%s: value too long", k->name);
		return false;
	}
	if (pw_scheme_check(v, pwhy, sizeof(pwhy)) != AG_OK) {
		(void)snprintf(why, whysz, "%s: %s", k->name,
		    pwhy[0] != '\0' ? pwhy : "unknown scheme or cost");
		return false;
	}
	return true;
}

/*
 * Converters of the values kept in another type: each stores into
 * field, or says in why what is wrong and returns false.
 */
typedef bool	 value_convert(void *, const struct kdef *, const char *,
		    char *, size_t);

static bool
convert_long(void *field, const struct kdef *k, const char *v, char *why,
    size_t whysz)
{
	long	 n;

	if (!parse_long(v, k->min, k->max, &n)) {
		(void)snprintf(why, whysz,
		    "%s: not a whole number from %ld to %ld",
		    k->name, k->min, k->max);
		return false;
	}
	*(long *)field = n;
	return true;
}

static bool
convert_alg(void *field, const struct kdef *k, const char *v, char *why,
    size_t whysz)
{
	enum ag_alg	 alg;

	if (ag_alg_parse(v, &alg) != 0) {
		(void)snprintf(why, whysz, "%s: \"%.64s\" is not "
		    "HS256, RS256, ES256 or EdDSA", k->name, v);
		return false;
	}
	*(enum ag_alg *)field = alg;
	return true;
}

static bool
convert_bool(void *field, const struct kdef *k, const char *v, char *why,
    size_t whysz)
{
	if (strcmp(v, "yes") == 0)
		*(int *)field = 1;
	else if (strcmp(v, "no") == 0)
		*(int *)field = 0;
	else {
		(void)snprintf(why, whysz, "%s: not yes or no", k->name);
		return false;
	}
	return true;
}

static bool
convert_logfmt(void *field, const struct kdef *k, const char *v, char *why,
    size_t whysz)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
		(void)snprintf(why, whysz, "%s: not text or json", k->name);
		return false;
	}
	*(int *)field = strcmp(v, "json") == 0;
	return true;
}

/* How each type is checked and stored; paths go through set_path(). */
static const struct {
	text_check	*check;		/* kept as written once it passes */
	value_convert	*convert;	/* or stored as another type */
} ktypes[] = {
	[K_STR] =	{ check_str, NULL },
	[K_NAME] =	{ check_name, NULL },
	[K_SCOPE] =	{ check_scope, NULL },
	[K_CIDRS] =	{ check_cidrs, NULL },
	[K_LOGIN_URL] =	{ check_url, NULL },
	[K_SITE_PATH] =	{ check_url, NULL },
	[K_HASH] =	{ check_hash, NULL },
	[K_LONG] =	{ NULL, convert_long },
	[K_ALG] =	{ NULL, convert_alg },
	[K_BOOL] =	{ NULL, convert_bool },
	[K_LOGFMT] =	{ NULL, convert_logfmt },
};

#define NKTYPES	(sizeof(ktypes) / sizeof(ktypes[0]))

/* Set one key; on failure, why receives the reason (no file or line). */
static bool
set_value(struct conf *c, const struct kdef *k, const char *v,
    const char *dir, char *why, size_t whysz)
{
	char		*field;

	field = (char *)c + k->off;
	if (!value_chars_ok(k, v, why, whysz))
		return false;
	if (k->type == K_PATH || k->type == K_AUDIT)
		return set_path(field, k, v, dir, why, whysz);
	if ((size_t)k->type < NKTYPES && ktypes[k->type].check != NULL) {
		if (!ktypes[k->type].check(k, v, why, whysz))
			return false;
		memcpy(field, v, strlen(v) + 1);
		return true;
	}
	if ((size_t)k->type < NKTYPES && ktypes[k->type].convert != NULL)
		return ktypes[k->type].convert(field, k, v, why, whysz);
	(void)snprintf(why, whysz, "%s: internal error", k->name);
	return false;
}

/*
 * Refuse a buffer over CONF_FILE_MAX or with a NUL before any line is
 * parsed; the message names the NUL's line.
 */
static bool
conf_buf_ok(const char *buf, size_t len, const char *name, char *why,
    size_t whysz)
{
	const char	*nul, *q;
	size_t		 lineno;

	if (len > CONF_FILE_MAX) {
		seterr(why, whysz, name, 0, "larger than %d bytes",
		    CONF_FILE_MAX);
		return false;
	}
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		for (lineno = 1, q = buf; q < nul; q++)
			if (*q == '\n')
				lineno++;
		seterr(why, whysz, name, lineno, "NUL byte");
		return false;
	}
	return true;
}

/*
 * Copy the line at buf + *pos into line, without its LF and a final
 * CR, and move *pos past it.  A line over CONF_LINE_MAX is false.
 */
static bool
next_line(const char *buf, size_t len, size_t *pos,
    char line[CONF_LINE_MAX + 1])
{
	const char	*lp, *nl;
	size_t		 ll;

	lp = buf + *pos;
	nl = memchr(lp, '\n', len - *pos);
	ll = nl != NULL ? (size_t)(nl - lp) : len - *pos;
	*pos += ll + (nl != NULL ? 1 : 0);
	if (ll > CONF_LINE_MAX)
		return false;
	memcpy(line, lp, ll);
	line[ll] = '\0';
	if (ll > 0 && line[ll - 1] == '\r')
		line[--ll] = '\0';
	return true;
}

/* Cut the comment off line and trim blanks; "" is left of a blank line. */
static char *
strip_line(char *line)
{
	char	*p, *key, *end;

	/* Comments: '#' first on the line or after a blank. */
	for (p = line; *p != '\0'; p++)
		if (*p == '#' && (p == line || isblank_c(p[-1]))) {
			*p = '\0';
			break;
		}
	/* Trim both ends. */
	key = line;
	while (isblank_c(*key))
		key++;
	end = key + strlen(key);
	while (end > key && isblank_c(end[-1]))
		*--end = '\0';
	return key;
}

/*
 * Parse one stripped, non-blank "key = value" line into c.  seen marks
 * the keys already given.  On false, why holds the reason without the
 * file and line.
 */
static bool
parse_line(struct conf *c, bool seen[NKEYS], char *key, const char *dir,
    char *why, size_t whysz)
{
	char	*val, *eq;
	size_t	 i;

	if ((eq = strchr(key, '=')) == NULL) {
		(void)snprintf(why, whysz, "expected \"key = value\"");
		return false;
	}
	val = eq + 1;
	while (isblank_c(*val))
		val++;
	*eq = '\0';
	while (eq > key && isblank_c(eq[-1]))
		*--eq = '\0';
	if (*key == '\0') {
		(void)snprintf(why, whysz, "missing key");
		return false;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(kdefs[i].name, key) == 0)
			break;
	if (i == NKEYS) {
		(void)snprintf(why, whysz, "unknown key \"%.64s\"", key);
		return false;
	}
	if (seen[i]) {
		(void)snprintf(why, whysz, "%s: given twice", kdefs[i].name);
		return false;
	}
	seen[i] = true;
	return set_value(c, &kdefs[i], val, dir, why, whysz);
}

enum ag_err
conf_parse(struct conf *c, const char *buf, size_t len, const char *name,
    char *why, size_t whysz)
{
	struct conf		*tmp;
	char			 line[CONF_LINE_MAX + 1], reason[AG_WHY_MAX];
	char			 dir[PATH_MAX];
	bool			 seen[NKEYS];
	char			*key;
	size_t			 pos = 0, lineno = 0;
	enum ag_err		 e = AG_EINVAL;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (name == NULL)
		name = "(config)";
	if (!conf_buf_ok(buf, len, name, why, whysz))
		return AG_EINVAL;
	/* struct conf is large: the heap, not a thread's stack. */
	if ((tmp = malloc(sizeof(*tmp))) == NULL) {
		seterr(why, whysz, name, 0, "out of memory");
		return AG_ENOMEM;
	}
	file_dir(name, dir, sizeof(dir));
	memset(seen, 0, sizeof(seen));
	*tmp = *c;

	while (pos < len) {
		lineno++;
		if (!next_line(buf, len, &pos, line)) {
			seterr(why, whysz, name, lineno,
			    "line longer than %d bytes", CONF_LINE_MAX);
			goto out;
		}
		key = strip_line(line);
		if (*key == '\0')
			continue;
		if (!parse_line(tmp, seen, key, dir, reason, sizeof(reason))) {
			seterr(why, whysz, name, lineno, "%s", reason);
			goto out;
		}
	}
	*c = *tmp;
	e = AG_OK;
out:
	free(tmp);
	return e;
}

/*
 * Read fd to its end into buf (CONF_FILE_MAX + 1 bytes); *got is the
 * length read.  More than CONF_FILE_MAX is refused.  False after
 * writing why.
 */
static bool
read_all(int fd, const char *path, char *buf, size_t *got, char *why,
    size_t whysz)
{
	ssize_t	 n;

	for (;;) {
		n = read(fd, buf + *got, CONF_FILE_MAX + 1 - *got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			seterr(why, whysz, path, 0, "%s", strerror(errno));
			return false;
		}
		if (n == 0)
			return true;
		*got += (size_t)n;
		if (*got > CONF_FILE_MAX) {
			seterr(why, whysz, path, 0, "larger than %d bytes",
			    CONF_FILE_MAX);
			return false;
		}
	}
}

enum ag_err
conf_load(struct conf *c, const char *path, char *why, size_t whysz)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 got = 0;
	int		 fd, saved;
	enum ag_err	 e = AG_EINVAL;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	/* O_NONBLOCK: a FIFO in its place must not hang the start-up. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		seterr(why, whysz, path, 0, "%s", strerror(saved));
		return saved == ENOENT ? AG_ENOENT : AG_EINVAL;
	}
	if (fstat(fd, &st) == -1) {
		seterr(why, whysz, path, 0, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(why, whysz, path, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		seterr(why, whysz, path, 0, "larger than %d bytes",
		    CONF_FILE_MAX);
		goto out;
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		e = AG_ENOMEM;
		seterr(why, whysz, path, 0, "out of memory");
		goto out;
	}
	if (!read_all(fd, path, buf, &got, why, whysz))
		goto out;
	e = conf_parse(c, buf, got, path, why, whysz);
out:
	free(buf);
	if (close(fd) == -1 && e == AG_OK) {
		seterr(why, whysz, path, 0, "%s", strerror(errno));
		e = AG_EINVAL;
	}
	return e;
}
