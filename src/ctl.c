/*
 * authgatectl(8): administration of keys, users, clients and offline
 * tokens.  main() reads -c, loads the configuration and dispatches on
 * the first word; the commands live in ctl_*.c.  This file also holds
 * what they share: option splitting, messages, reading a password from
 * standard input or the terminal, scope lists, and "init".
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "ctl.h"
#include "key.h"
#include "log.h"
#include "scope.h"
#include "state.h"
#include "store.h"

static const char *const usage_lines[] = {
	"[-c file] init [--owner user[:group]]",
	"[-c file] key generate [--alg HS256|RS256|ES256|EdDSA] [--force]",
	"[-c file] key rotate [--alg HS256|RS256|ES256|EdDSA]",
	"[-c file] key list",
	"[-c file] key retire KID",
	"[-c file] user add NAME [--scope \"S1 S2\"] [--password-stdin]",
	"[-c file] user passwd NAME [--password-stdin]",
	"[-c file] user del|show|lock|unlock NAME",
	"[-c file] user list",
	"[-c file] user import HTPASSWD_FILE",
	"[-c file] client add ID [--public] [--secret-stdin] "
	    "[--redirect-uri URI]... [--grant GRANT]... [--scope \"S1 S2\"]",
	"[-c file] client del|show ID",
	"[-c file] client list",
	"[-c file] token issue NAME [--scope \"S1 S2\"] [--ttl SECONDS]",
	"[-c file] token verify [TOKEN]",
	"[-c file] token revoke [TOKEN | --jti JTI [--until EPOCH | --ttl "
	    "SECONDS]]",
	"[-c file] stats",
};

int
ctl_lines_add(struct ctl_lines *l, const char *fmt, ...)
{
	va_list	  ap;
	char	**nl;
	int	  len;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((nl = reallocarray(l->lines, l->cap, sizeof(*nl))) ==
		    NULL) {
			l->nomem = true;
			return 1;
		}
		l->lines = nl;
	}
	va_start(ap, fmt);
	len = vasprintf(&l->lines[l->n], fmt, ap);
	va_end(ap);
	if (len < 0) {
		l->nomem = true;
		return 1;
	}
	l->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ctl_lines_finish(struct ctl_lines *l, enum ag_err e, const char *db)
{
	size_t	 i;
	int	 rc = CTL_OK;

	if (e != AG_OK || l->nomem) {
		ctl_err("%s: %s", db, l->nomem ? "out of memory" :
		    ag_strerror(e));
		rc = CTL_FAIL;
	} else {
		qsort(l->lines, l->n, sizeof(*l->lines), cmp_str);
		for (i = 0; i < l->n; i++)
			printf("%s\n", l->lines[i]);
	}
	for (i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	memset(l, 0, sizeof(*l));
	return rc;
}

int
ctl_usage(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(usage_lines) / sizeof(usage_lines[0]); i++)
		fprintf(stderr, "%s authgatectl %s\n", i == 0 ? "usage:" :
		    "      ", usage_lines[i]);
	return CTL_USAGE;
}

void
ctl_err(const char *fmt, ...)
{
	char	 msg[1024], line[4 * 1024 + 32];
	size_t	 n, i;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = (size_t)snprintf(line, sizeof(line), "authgatectl: ");
	for (i = 0; msg[i] != '\0'; i++) {
		unsigned char c = (unsigned char)msg[i];

		/* A name from a file must not forge a line of output. */
		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(line + n, 5, "\\x%02x", c);
		else
			line[n++] = (char)c;
	}
	line[n++] = '\n';
	(void)fflush(stdout);
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

bool
ctl_args(int argc, char **argv, const struct ctl_opt *opts, char **pos,
    int maxpos, int *npos)
{
	const struct ctl_opt	*o;
	const char		*a, *eq;
	size_t			 len;
	int			 i;
	bool			 dashdash = false;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (*npos >= maxpos) {
				ctl_err("unexpected argument \"%s\"", a);
				return false;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (a[1] != '-') {
			/* a kid or a name may start with '-' (base64url) */
			ctl_err("unknown option \"%s\" (an argument that "
			    "starts with '-' goes after --)", a);
			return false;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o != NULL && o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, a, len) == 0)
				break;
		if (o == NULL || o->name == NULL) {
			ctl_err("unknown option \"%s\"", argv[i]);
			return false;
		}
		if (o->val == NULL) {
			if (eq != NULL) {
				ctl_err("option --%s takes no value",
				    o->name);
				return false;
			}
			*o->flag = true;
			continue;
		}
		if (eq != NULL)
			*o->val = eq + 1;
		else if (i + 1 < argc)
			*o->val = argv[++i];
		else {
			ctl_err("option --%s needs a value", o->name);
			return false;
		}
	}
	return true;
}

enum ag_err
ctl_readline(int fd, char *buf, size_t bufsz, size_t *len)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 ch;

	*len = 0;
	buf[0] = '\0';
	/* One byte at a time: nothing past the line is taken from fd, and
	 * no stdio buffer keeps a copy of a secret. */
	for (;;) {
		r = read(fd, &ch, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return AG_EUNAVAIL;
		if (r == 0) {
			if (n == 0)
				return AG_ENOENT;
			break;
		}
		if (ch == '\n')
			break;
		if (n + 1 >= bufsz) {
			OPENSSL_cleanse(buf, bufsz);
			return AG_ETOOBIG;
		}
		buf[n++] = ch;
	}
	buf[n] = '\0';
	*len = n;
	return AG_OK;
}

/* The terminal's settings while echo is off, for the signal handler. */
static struct termios	 tty_saved;
static volatile sig_atomic_t tty_fd = -1;

static void
tty_restore(int sig)
{
	if (tty_fd != -1)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/* Ask once on the terminal fd, echo off. */
static enum ag_err
tty_ask(int fd, const char *prompt, char *buf, size_t bufsz, size_t *len)
{
	struct termios	 t;
	struct sigaction sa, oint, oterm, ohup;
	enum ag_err	 e;

	if (tcgetattr(fd, &tty_saved) == -1)
		return AG_EUNAVAIL;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore;
	(void)sigemptyset(&sa.sa_mask);
	tty_fd = fd;
	(void)sigaction(SIGINT, &sa, &oint);
	(void)sigaction(SIGTERM, &sa, &oterm);
	(void)sigaction(SIGHUP, &sa, &ohup);
	/* Echo off first, then the prompt: TCSAFLUSH drops pending input,
	 * which must not include an answer typed after the prompt. */
	if (tcsetattr(fd, TCSAFLUSH, &t) == -1 ||
	    write(fd, prompt, strlen(prompt)) < 0)
		e = AG_EUNAVAIL;
	else
		e = ctl_readline(fd, buf, bufsz, len);
	(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	tty_fd = -1;
	(void)sigaction(SIGINT, &oint, NULL);
	(void)sigaction(SIGTERM, &oterm, NULL);
	(void)sigaction(SIGHUP, &ohup, NULL);
	if (write(fd, "\n", 1) < 0 && e == AG_OK)
		e = AG_EUNAVAIL;
	return e;
}

/* Strip a final CR and check length and bytes. */
static enum ag_err
secret_check(const char *what, char *buf, size_t *len)
{
	if (*len > 0 && buf[*len - 1] == '\r')
		buf[--(*len)] = '\0';
	if (*len == 0) {
		ctl_err("empty %s refused", what);
		return AG_EINVAL;
	}
	if (*len > AG_PASSWORD_MAX) {
		ctl_err("%s longer than %d bytes refused", what,
		    AG_PASSWORD_MAX);
		return AG_ETOOBIG;
	}
	if (memchr(buf, '\0', *len) != NULL) {
		ctl_err("%s holds a NUL byte", what);
		return AG_EINVAL;
	}
	return AG_OK;
}

enum ag_err
ctl_secret(bool from_stdin, const char *what, char *buf, size_t bufsz,
    size_t *len)
{
	char		 again[AG_PASSWORD_MAX + 2], prompt[64];
	size_t		 alen = 0;
	int		 fd;
	enum ag_err	 e;

	*len = 0;
	if (from_stdin) {
		e = ctl_readline(STDIN_FILENO, buf, bufsz, len);
		if (e == AG_ETOOBIG) {
			ctl_err("%s longer than %d bytes refused", what,
			    AG_PASSWORD_MAX);
			return e;
		}
		if (e == AG_ENOENT) {
			ctl_err("no %s on standard input", what);
			return AG_EINVAL;
		}
		if (e != AG_OK) {
			ctl_err("standard input: %s", strerror(errno));
			return e;
		}
		return secret_check(what, buf, len);
	}

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		ctl_err("no terminal to ask the %s on: use --%s-stdin", what,
		    strcmp(what, "password") == 0 ? "password" : "secret");
		return AG_EINVAL;
	}
	(void)snprintf(prompt, sizeof(prompt), "New %s: ", what);
	e = tty_ask(fd, prompt, buf, bufsz, len);
	if (e == AG_OK)
		e = secret_check(what, buf, len);
	if (e == AG_OK) {
		(void)snprintf(prompt, sizeof(prompt), "Retype %s: ", what);
		e = tty_ask(fd, prompt, again, sizeof(again), &alen);
		if (e == AG_OK && (alen > 0 && again[alen - 1] == '\r'))
			again[--alen] = '\0';
		if (e == AG_OK && (alen != *len ||
		    CRYPTO_memcmp(again, buf, alen) != 0)) {
			ctl_err("the two %ss differ", what);
			e = AG_EINVAL;
		}
	}
	if (e == AG_ETOOBIG)
		ctl_err("%s longer than %d bytes refused", what,
		    AG_PASSWORD_MAX);
	else if (e == AG_EUNAVAIL || e == AG_ENOENT)
		ctl_err("/dev/tty: could not read the %s", what);
	OPENSSL_cleanse(again, sizeof(again));
	(void)close(fd);
	if (e != AG_OK) {
		OPENSSL_cleanse(buf, bufsz);
		*len = 0;
	}
	return e;
}

bool
ctl_scope(const char *in, char *out, size_t outsz)
{
	const char	*bad = in;

	switch (scope_normalise(in, out, outsz, &bad)) {
	case AG_OK:
		return true;
	case AG_EINVAL:
		ctl_err("scope \"%.*s\": not a scope name (RFC 6749 3.3)",
		    (int)strcspn(bad, " \t"), bad);
		return false;
	default:
		ctl_err("scope longer than %d bytes", AG_SCOPE_MAX);
		return false;
	}
}

const char *
ctl_time(long long t, char *buf, size_t bufsz)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, bufsz, "%s", t == 0 ? "never" : "?");
	return buf;
}

/*
 * Create the directories leading to path (the last component too when
 * leaf), printing each one made.  Existing ones are left as they are.
 */
static bool
mkdirs(const char *path, bool leaf, mode_t mode)
{
	char	 buf[PATH_MAX];
	char	*p;
	size_t	 n;

	n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return n == 0;
	memcpy(buf, path, n + 1);
	if (!leaf) {
		if ((p = strrchr(buf, '/')) == NULL)
			return true;
		*p = '\0';
	}
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char save = *p;

			*p = '\0';
			if (mkdir(buf, mode) == 0)
				printf("created directory %s\n", buf);
			else if (errno != EEXIST) {
				ctl_err("%s: %s", buf, strerror(errno));
				return false;
			}
			*p = save;
		}
		if (*p == '\0')
			break;
	}
	return true;
}

static bool
exists(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0;
}

/* The user and group of "init --owner". */
struct owner {
	uid_t	 uid;
	gid_t	 gid;
	bool	 set;
};

#define OWNER_SPEC_MAX	256	/* "user:group" */

/* USER[:GROUP]; the group defaults to the user's own. */
static bool
owner_parse(const char *spec, struct owner *o)
{
	char		 buf[OWNER_SPEC_MAX], *grname;
	struct passwd	*pw;
	struct group	*gr;

	if (strlen(spec) >= sizeof(buf) || spec[0] == '\0') {
		ctl_err("--owner: expected USER or USER:GROUP");
		return false;
	}
	memcpy(buf, spec, strlen(spec) + 1);
	if ((grname = strchr(buf, ':')) != NULL)
		*grname++ = '\0';
	if ((pw = getpwnam(buf)) == NULL) {
		ctl_err("--owner: no user \"%s\" (create it first, e.g. "
		    "useradd --system --user-group %s)", buf, buf);
		return false;
	}
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	if (grname != NULL && grname[0] != '\0') {
		if ((gr = getgrnam(grname)) == NULL) {
			ctl_err("--owner: no group \"%s\"", grname);
			return false;
		}
		o->gid = gr->gr_gid;
	}
	o->set = true;
	return true;
}

/* Hand path to the owner; a path that does not exist is skipped. */
static bool
owner_give(const struct owner *o, const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT;
	if (st.st_uid == o->uid && st.st_gid == o->gid)
		return true;
	if (lchown(path, o->uid, o->gid) == -1) {
		ctl_err("%s: chown: %s", path, strerror(errno));
		return false;
	}
	printf("owner of %s: uid %lu gid %lu\n", path, (unsigned long)o->uid,
	    (unsigned long)o->gid);
	return true;
}

/* The last component of path, copied into buf. */
static const char *
base_of(const char *path, char *buf, size_t size)
{
	const char	*slash = strrchr(path, '/');
	const char	*b = slash != NULL ? slash + 1 : path;

	if (strlen(b) >= size)
		return NULL;
	memcpy(buf, b, strlen(b) + 1);
	return buf;
}

/* The directory of path (path itself when it has no slash: "."). */
static bool
dir_of(const char *path, char *buf, size_t size)
{
	const char	*slash = strrchr(path, '/');
	size_t		 n;

	if (slash == NULL) {
		if (size < 2)
			return false;
		memcpy(buf, ".", 2);
		return true;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return false;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return true;
}

/*
 * A file of authgate's: named after a database (the GDBM file and its
 * side files: .lock, .revoked...), the key or key_dir.
 */
static bool
is_authgate_file(const struct conf *c, const char *name)
{
	const char	*paths[] = { c->user_db, c->state_db, c->key_file,
			    c->key_dir };
	char		 b[PATH_MAX];
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (base_of(paths[i], b, sizeof(b)) != NULL && b[0] != '\0' &&
		    strncmp(name, b, strlen(b)) == 0)
			return true;
	return false;
}

/*
 * A directory of the databases: every file of authgate's in it, then
 * the directory itself (authgate replaces side files by rename(2), so
 * it must own it).  A directory that also holds other files, or is
 * sticky like /tmp, is shared: it keeps its owner.
 */
static bool
owner_give_dbdir(const struct owner *o, const struct conf *c,
    const char *dir)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	bool		 ours = true, good = true;

	if ((d = opendir(dir)) == NULL) {
		ctl_err("%s: %s", dir, strerror(errno));
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (!is_authgate_file(c, de->d_name)) {
			ours = false;
			continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path) || !owner_give(o, path))
			good = false;
	}
	closedir(d);
	if (stat(dir, &st) == -1 || (st.st_mode & S_ISVTX) || !ours) {
		if (good)
			printf("%s: holds other files; not handed over, give "
			    "the user write access to it yourself\n", dir);
		return good;
	}
	return owner_give(o, dir) && good;
}

/* --owner: the databases, their directory, the key and key_dir. */
static bool
owner_give_all(const struct owner *o, const struct conf *c)
{
	char		 path[PATH_MAX], udir[PATH_MAX], sdir[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	bool		 good = true;

	if (!dir_of(c->user_db, udir, sizeof(udir)) ||
	    !dir_of(c->state_db, sdir, sizeof(sdir)))
		return false;
	if (!owner_give_dbdir(o, c, udir) ||
	    (strcmp(udir, sdir) != 0 && !owner_give_dbdir(o, c, sdir)) ||
	    !owner_give(o, c->key_file))
		return false;
	if ((d = opendir(c->key_dir)) == NULL)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", c->key_dir,
		    de->d_name) >= (int)sizeof(path) || !owner_give(o, path))
			good = false;
	}
	closedir(d);
	return owner_give(o, c->key_dir) && good;
}

/*
 * init: the directories, user_db, state_db and a signing key of the
 * configured algorithm, each only where missing.  key_dir is left to
 * "key rotate", which makes it (0700) when it first needs it.  With
 * --owner, the files (new or not) then belong to the user authgate runs
 * as, since a root-owned 0600 key locks that user out.
 */
int
ctl_init(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	char		*pos[1], why[AG_WHY_MAX];
	const char	*ownerspec = NULL;
	int		 npos, made = 0;
	struct owner	 owner = { 0, 0, false };
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "owner", &ownerspec, NULL },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 0, &npos))
		return ctl_usage();
	if (ownerspec != NULL && !owner_parse(ownerspec, &owner))
		return CTL_FAIL;

	if (!c->verify_only) {
		if (!mkdirs(c->user_db, false, 0750))
			return CTL_FAIL;
		if (!exists(c->user_db)) {
			if ((e = store_init(x->store)) != AG_OK) {
				ctl_err("%s: cannot create: %s", c->user_db,
				    ag_strerror(e));
				return CTL_FAIL;
			}
			printf("created user_db %s\n", c->user_db);
			made++;
		}
		if (!mkdirs(c->state_db, false, 0750))
			return CTL_FAIL;
		if (!exists(c->state_db)) {
			if ((e = state_init(x->state)) != AG_OK) {
				ctl_err("%s: cannot create: %s", c->state_db,
				    ag_strerror(e));
				return CTL_FAIL;
			}
			printf("created state_db %s\n", c->state_db);
			made++;
		}
		if (!mkdirs(c->key_file, false, 0750))
			return CTL_FAIL;
		if (!exists(c->key_file)) {
			if ((e = key_generate(c->algorithm, c->key_file,
			    false, why, sizeof(why))) != AG_OK) {
				ctl_err("%s: %s", c->key_file, why[0] != '\0' ?
				    why : ag_strerror(e));
				return CTL_FAIL;
			}
			printf("created key_file %s (%s)\n", c->key_file,
			    ag_alg_name(c->algorithm));
			made++;
		}
		if (owner.set && !owner_give_all(&owner, c))
			return CTL_FAIL;
	}
	if (made == 0)
		printf("nothing to do: every file exists\n");
	return CTL_OK;
}

static const struct {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
} cmds[] = {
	{ "init",	ctl_init },
	{ "key",	ctl_key },
	{ "user",	ctl_user },
	{ "client",	ctl_client },
	{ "token",	ctl_token },
	{ "stats",	ctl_stats },
};

int
main(int argc, char *argv[])
{
	static struct conf	 c;	/* large */
	struct ctl		 x;
	const char		*cfile = NULL, *path;
	char			 why[AG_WHY_MAX + PATH_MAX];
	size_t			 i;
	int			 ch, rc;
	enum ag_err		 e;

	log_init("authgatectl");
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		default:
			return ctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return ctl_usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		ctl_err("unknown command \"%s\"", argv[0]);
		return ctl_usage();
	}

	path = conf_path(cfile);
	conf_defaults(&c);
	if ((e = conf_load(&c, path, why, sizeof(why))) != AG_OK) {
		ctl_err("%s", why);
		if (e == AG_ENOENT)
			ctl_err("%s: no configuration file: copy the commented "
			    "sample there (etc/authgate.conf of the source; "
			    "`make install' installs it where none exists), or "
			    "name another with -c FILE or AUTHGATE_CONF", path);
		return CTL_FAIL;
	}
	x.c = &c;
	x.store = store_new(c.user_db);
	x.state = state_new(&c);
	if (x.store == NULL || x.state == NULL) {
		ctl_err("out of memory");
		rc = CTL_FAIL;
	} else
		rc = cmds[i].fn(&x, argc - 1, argv + 1);
	store_free(x.store);
	state_free(x.state);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_err("standard output: %s", strerror(errno));
		return CTL_FAIL;
	}
	ctl_audit(&c, argc, argv, rc);
	return rc;
}
