/*
 * authgatectl user add|passwd|del|list|show|lock|unlock|import.
 * Passwords are read by ctl_secret(), hashed with password_hash and
 * wiped; no hash is ever printed (show names only its scheme).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf.h"
#include "ctl.h"
#include "pw.h"
#include "state.h"
#include "store.h"

/* A user name from the command line, checked before any lookup. */
static bool
name_ok(const char *name)
{
	if (!store_name_ok(name)) {
		ctl_err("user \"%s\": not a valid user name (1 to %d bytes, "
		    "no space, ':', ',' or control character)", name,
		    AG_NAME_MAX);
		return false;
	}
	return true;
}

/* Report a store error about user name; returns CTL_FAIL. */
static int
user_fail(const struct conf *c, const char *name, enum ag_err e)
{
	if (e == AG_ENOENT)
		ctl_err("user %s: no such user", name);
	else if (e == AG_EEXIST)
		ctl_err("user %s: already exists", name);
	else
		ctl_err("user %s: %s: %s", name, c->user_db, ag_strerror(e));
	return CTL_FAIL;
}

/* Ask or read a password and hash it into hash. */
static bool
new_hash(const struct conf *c, bool from_stdin, char *hash, size_t hashsz)
{
	char		 pw[AG_PASSWORD_MAX + 2];
	size_t		 len;
	enum ag_err	 e;

	if (ctl_secret(from_stdin, "password", pw, sizeof(pw), &len) !=
	    AG_OK)
		return false;
	e = pw_hash(c->password_hash, pw, len, hash, hashsz);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (e != AG_OK) {
		ctl_err("password_hash %s: hashing failed: %s",
		    c->password_hash, ag_strerror(e));
		return false;
	}
	return true;
}

static int
user_add(const struct conf *c, int argc, char **argv)
{
	struct user	 u;
	const char	*scope = NULL;
	char		*pos[1];
	bool		 from_stdin = false;
	int		 npos, rc = CTL_FAIL;
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "scope", &scope, NULL },
		{ "password-stdin", NULL, &from_stdin },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	if (!name_ok(pos[0]))
		return CTL_FAIL;
	memset(&u, 0, sizeof(u));
	(void)snprintf(u.name, sizeof(u.name), "%s", pos[0]);
	if (scope != NULL && !ctl_scope(scope, u.scope, sizeof(u.scope)))
		return CTL_FAIL;
	/* Fail early, before asking, when the name is taken. */
	{
		struct user	 old;

		e = store_user_get(c->user_db, u.name, &old);
		OPENSSL_cleanse(&old, sizeof(old));
		if (e == AG_OK)
			return user_fail(c, u.name, AG_EEXIST);
		if (e != AG_ENOENT)
			return user_fail(c, u.name, e);
	}
	if (!new_hash(c, from_stdin, u.hash, sizeof(u.hash)))
		goto out;
	u.created = u.changed = (int64_t)time(NULL);
	if ((e = store_user_put(c->user_db, &u, true)) != AG_OK) {
		(void)user_fail(c, u.name, e);
		goto out;
	}
	/* Counters left by an earlier user of this name do not carry over. */
	if (state_fail_clear(c, u.name) != AG_OK)
		ctl_err("user %s: %s: could not clear old failure counters",
		    u.name, c->state_db);
	printf("added user %s\n", u.name);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

static int
user_passwd(const struct conf *c, int argc, char **argv)
{
	struct user	 u;
	char		*pos[1];
	bool		 from_stdin = false;
	int		 npos, rc = CTL_FAIL;
	enum ag_err	 e;
	const struct ctl_opt opts[] = {
		{ "password-stdin", NULL, &from_stdin },
		{ NULL, NULL, NULL }
	};

	if (!ctl_args(argc, argv, opts, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	if (!name_ok(pos[0]))
		return CTL_FAIL;
	if ((e = store_user_get(c->user_db, pos[0], &u)) != AG_OK)
		return user_fail(c, pos[0], e);
	if (!new_hash(c, from_stdin, u.hash, sizeof(u.hash)))
		goto out;
	u.changed = (int64_t)time(NULL);
	if ((e = store_user_put(c->user_db, &u, false)) != AG_OK) {
		(void)user_fail(c, u.name, e);
		goto out;
	}
	printf("changed the password of user %s\n", u.name);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

/* del, lock, unlock, show: one NAME. */
static bool
one_name(int argc, char **argv, char **name)
{
	char	*pos[1];
	int	 npos;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return false;
	*name = pos[0];
	return true;
}

static int
user_del(const struct conf *c, int argc, char **argv)
{
	char		*name;
	enum ag_err	 e;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	if ((e = store_user_del(c->user_db, name)) != AG_OK)
		return user_fail(c, name, e);
	if (state_fail_clear(c, name) != AG_OK)
		ctl_err("user %s: %s: could not clear failure counters", name,
		    c->state_db);
	printf("deleted user %s\n", name);
	return CTL_OK;
}

static int
user_lock(const struct conf *c, int argc, char **argv, bool lock)
{
	struct user	 u;
	char		*name;
	enum ag_err	 e;
	int		 rc = CTL_FAIL;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	if ((e = store_user_get(c->user_db, name, &u)) != AG_OK)
		return user_fail(c, name, e);
	if (u.locked != lock) {
		u.locked = lock;
		u.changed = (int64_t)time(NULL);
		if ((e = store_user_put(c->user_db, &u, false)) != AG_OK) {
			(void)user_fail(c, name, e);
			goto out;
		}
	}
	/* Unlock also ends a lockout after failed logins. */
	if (!lock && (e = state_fail_clear(c, name)) != AG_OK) {
		ctl_err("user %s: %s: could not clear failure counters: %s",
		    name, c->state_db, ag_strerror(e));
		goto out;
	}
	printf("%s user %s\n", lock ? "locked" : "unlocked", name);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

/* The scheme of a hash, for show: never the hash itself. */
static const char *
hash_scheme(const char *h)
{
	if (strncmp(h, "$scrypt$", 8) == 0)
		return "scrypt";
	if (strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	    strncmp(h, "$2a$", 4) == 0)
		return "bcrypt";
	if (strncmp(h, "$y$", 3) == 0)
		return "yescrypt";
	if (strncmp(h, "$6$", 3) == 0)
		return "sha512-crypt";
	if (strncmp(h, "$5$", 3) == 0)
		return "sha256-crypt";
	if (h[0] == '\0')
		return "none";
	return "other";
}

static int
user_show(const struct conf *c, int argc, char **argv)
{
	struct user	 u;
	struct failinfo	 fi;
	char		*name, t1[32];
	enum ag_err	 e;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	if ((e = store_user_get(c->user_db, name, &u)) != AG_OK)
		return user_fail(c, name, e);
	memset(&fi, 0, sizeof(fi));
	if ((e = state_fail_get(c, name, &fi)) != AG_OK) {
		ctl_err("user %s: %s: %s", name, c->state_db,
		    ag_strerror(e));
		OPENSSL_cleanse(&u, sizeof(u));
		return CTL_FAIL;
	}
	printf("name: %s\n", u.name);
	printf("scope: %s\n", u.scope);
	printf("locked: %s\n", u.locked ? "yes" : "no");
	printf("hash: %s%s\n", hash_scheme(u.hash),
	    pw_needs_rehash(u.hash, c->password_hash) ?
	    " (re-hashed at the next login)" : "");
	printf("created: %s\n", ctl_time(u.created, t1, sizeof(t1)));
	printf("changed: %s\n", ctl_time(u.changed, t1, sizeof(t1)));
	printf("failures: %ld\n", fi.failures);
	printf("last_failure: %s\n", ctl_time(fi.last, t1, sizeof(t1)));
	if (fi.locked_until > (int64_t)time(NULL))
		printf("locked_out_until: %s\n",
		    ctl_time(fi.locked_until, t1, sizeof(t1)));
	else
		printf("locked_out_until: no lockout\n");
	OPENSSL_cleanse(&u, sizeof(u));
	return CTL_OK;
}

struct ulist {
	char	**lines;
	size_t	  n, cap;
	bool	  nomem;
};

static int
list_one(const struct user *u, void *arg)
{
	struct ulist	*l = arg;
	char		**nl;
	size_t		 sz;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((nl = reallocarray(l->lines, l->cap, sizeof(*nl))) ==
		    NULL) {
			l->nomem = true;
			return 1;
		}
		l->lines = nl;
	}
	sz = strlen(u->name) + strlen(u->scope) + 2;
	if ((l->lines[l->n] = malloc(sz)) == NULL) {
		l->nomem = true;
		return 1;
	}
	(void)snprintf(l->lines[l->n], sz, "%s%s%s", u->name,
	    u->scope[0] != '\0' ? " " : "", u->scope);
	l->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
user_list(const struct conf *c, int argc, char **argv)
{
	struct ulist	 l;
	char		*pos[1];
	size_t		 i;
	int		 npos, rc = CTL_OK;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 0, &npos))
		return ctl_usage();
	memset(&l, 0, sizeof(l));
	e = store_user_each(c->user_db, list_one, &l);
	if (e != AG_OK || l.nomem) {
		ctl_err("%s: %s", c->user_db, l.nomem ? "out of memory" :
		    ag_strerror(e));
		rc = CTL_FAIL;
	} else {
		qsort(l.lines, l.n, sizeof(*l.lines), cmp_str);
		for (i = 0; i < l.n; i++)
			printf("%s\n", l.lines[i]);
	}
	for (i = 0; i < l.n; i++)
		free(l.lines[i]);
	free(l.lines);
	return rc;
}

int
ctl_user(const struct conf *c, int argc, char **argv)
{
	if (argc < 1)
		return ctl_usage();
	if (c->verify_only) {
		ctl_err("verify_only = yes: there is no user_db");
		return CTL_FAIL;
	}
	if (strcmp(argv[0], "add") == 0)
		return user_add(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "passwd") == 0)
		return user_passwd(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return user_del(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return user_list(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "show") == 0)
		return user_show(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "lock") == 0)
		return user_lock(c, argc - 1, argv + 1, true);
	if (strcmp(argv[0], "unlock") == 0)
		return user_lock(c, argc - 1, argv + 1, false);
	if (strcmp(argv[0], "import") == 0)
		return ctl_user_import(c, argc - 1, argv + 1);
	ctl_err("unknown command \"user %s\"", argv[0]);
	return ctl_usage();
}

#define IMPORT_LINE_MAX		4096		/* bytes in one line */
#define IMPORT_USERS_MAX	1000000		/* users in one file */

struct import {
	struct user	*u;
	size_t		 n, cap;
	size_t		*lineof;	/* line of each user, for duplicates */
};

/* The index of name among the users read so far, or -1. */
static long
import_find(const struct import *im, const char *name)
{
	size_t	 i;

	for (i = 0; i < im->n; i++)
		if (strcmp(im->u[i].name, name) == 0)
			return (long)i;
	return -1;
}

/*
 * One line "name:hash" (Apache ignores what follows a second ':').
 * Returns NULL when the user was added, else why the line is skipped.
 */
static const char *
import_line(const struct conf *c, struct import *im, char *line,
    size_t lineno, bool *fatal)
{
	struct user	 u, *nu;
	size_t		*nl;
	char		*colon, *end;
	const char	*why = NULL;
	long		 dup;
	enum ag_err	 e;

	if ((colon = strchr(line, ':')) == NULL)
		return "no ':' between name and hash";
	*colon = '\0';
	if (!store_name_ok(line))
		return "not a valid user name";
	if ((end = strchr(colon + 1, ':')) != NULL)
		*end = '\0';
	if (colon[1] == '\0')
		return "empty hash";
	if (strlen(colon + 1) > AG_HASH_MAX)
		return "hash too long";
	if (!pw_supported(colon + 1, &why))
		return why != NULL ? why : "hash scheme not supported";
	if ((dup = import_find(im, line)) != -1) {
		static char	 msg[64];

		(void)snprintf(msg, sizeof(msg), "also on line %zu",
		    im->lineof[dup]);
		return msg;
	}
	if (im->n >= IMPORT_USERS_MAX)
		return "too many users in one file";

	/* An existing user keeps scopes, lock and creation time. */
	memset(&u, 0, sizeof(u));
	e = store_user_get(c->user_db, line, &u);
	if (e != AG_OK && e != AG_ENOENT) {
		ctl_err("%s: %s", c->user_db, ag_strerror(e));
		*fatal = true;
		return "user_db unreadable";
	}
	if (e == AG_ENOENT) {
		memset(&u, 0, sizeof(u));
		(void)snprintf(u.name, sizeof(u.name), "%s", line);
	}
	(void)snprintf(u.hash, sizeof(u.hash), "%s", colon + 1);
	u.changed = (int64_t)time(NULL);

	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		nu = reallocarray(im->u, im->cap, sizeof(*nu));
		if (nu != NULL)
			im->u = nu;
		nl = reallocarray(im->lineof, im->cap, sizeof(*nl));
		if (nl != NULL)
			im->lineof = nl;
		if (nu == NULL || nl == NULL) {
			ctl_err("out of memory");
			*fatal = true;
			OPENSSL_cleanse(&u, sizeof(u));
			return "out of memory";
		}
	}
	im->u[im->n] = u;
	im->lineof[im->n] = lineno;
	im->n++;
	OPENSSL_cleanse(&u, sizeof(u));
	return NULL;
}

/*
 * user import FILE: every line is read first, skipped lines named one
 * by one; then the users read are stored in one copy-and-rename.  Exit
 * 0 when the file was read and stored, skipped lines or not.
 */
int
ctl_user_import(const struct conf *c, int argc, char **argv)
{
	struct import	 im;
	FILE		*f;
	char		*pos[1], line[IMPORT_LINE_MAX + 2];
	const char	*file, *why;
	size_t		 lineno = 0, skipped = 0, len, i;
	bool		 tty, fatal = false, toolong;
	int		 npos, rc = CTL_FAIL, ch;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	file = pos[0];
	if ((f = fopen(file, "re")) == NULL) {
		ctl_err("%s: %s", file, strerror(errno));
		return CTL_FAIL;
	}
	memset(&im, 0, sizeof(im));
	tty = isatty(STDERR_FILENO) == 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		toolong = false;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			/* Over the limit: skip the rest of it. */
			toolong = true;
			while ((ch = getc(f)) != EOF && ch != '\n')
				;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (toolong || len > IMPORT_LINE_MAX)
			why = "line too long";
		else if (strlen(line) != len)
			why = "NUL byte";
		else
			why = import_line(c, &im, line, lineno, &fatal);
		if (fatal)
			goto out;
		if (why != NULL) {
			skipped++;
			/* Only the name, never the hash that follows it. */
			ctl_err("%s:%zu: %.*s: %s", file, lineno,
			    (int)strcspn(line, ":"), line, why);
		}
		if (tty && lineno % 1000 == 0)
			fprintf(stderr, "\rauthgatectl: %zu lines read",
			    lineno);
	}
	if (tty && lineno >= 1000)
		fprintf(stderr, "\n");
	if (ferror(f)) {
		ctl_err("%s: %s", file, strerror(errno));
		goto out;
	}
	if (im.n > 0 && (e = store_user_put_many(c->user_db, im.u, im.n)) !=
	    AG_OK) {
		ctl_err("%s: cannot store the users of %s: %s", c->user_db,
		    file, ag_strerror(e));
		goto out;
	}
	fprintf(stderr, "authgatectl: %s: imported %zu users, skipped %zu\n",
	    file, im.n, skipped);
	rc = CTL_OK;
out:
	(void)fclose(f);
	OPENSSL_cleanse(line, sizeof(line));
	for (i = 0; i < im.n; i++)
		OPENSSL_cleanse(&im.u[i], sizeof(im.u[i]));
	free(im.u);
	free(im.lineof);
	return rc;
}
