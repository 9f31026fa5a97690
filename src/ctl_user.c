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
#include "htpasswd.h"
#include "pw.h"
#include "session.h"
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

/*
 * Every browser session of u's account ends (session.h): its current
 * generation, about to be replaced or deleted, is denied.  Called
 * under user_db's writers' lock, so that no other change of the
 * account comes between; state_db's lock is taken inside it (the
 * order is always user_db, then state_db).  A failure is returned so
 * that the change is not made: a password changed while the old
 * sessions live on would be worse than one not changed.
 */
static enum ag_err
end_sessions(struct ctl *x, const struct user *u, enum ag_err *why)
{
	enum ag_err	 e;

	e = session_end_account(x->c, x->state, u->name, u->gen, time(NULL));
	if (e != AG_OK) {
		*why = e;
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* Report a failure to end the sessions of name; returns CTL_FAIL. */
static int
sessions_fail(const struct conf *c, const char *name, enum ag_err e)
{
	ctl_err("user %s: %s: cannot end its browser sessions: %s; nothing "
	    "changed", name, c->state_db, ag_strerror(e));
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
user_add(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
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

		e = store_user_get(x->store, u.name, &old);
		OPENSSL_cleanse(&old, sizeof(old));
		if (e == AG_OK)
			return user_fail(c, u.name, AG_EEXIST);
		if (e != AG_ENOENT)
			return user_fail(c, u.name, e);
	}
	if (!new_hash(c, from_stdin, u.hash, sizeof(u.hash)))
		goto out;
	u.created = u.changed = (int64_t)time(NULL);
	u.gen = store_gen_new();
	if ((e = store_user_put(x->store, &u, true)) != AG_OK) {
		(void)user_fail(c, u.name, e);
		goto out;
	}
	/* Counters left by an earlier user of this name do not carry over. */
	if (state_fail_clear(x->state, u.name) != AG_OK)
		ctl_err("user %s: %s: could not clear old failure counters",
		    u.name, c->state_db);
	printf("added user %s\n", u.name);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

struct passwd_arg {
	struct ctl	*x;
	const char	*hash;
	enum ag_err	 sess;		/* AG_OK, or why the sessions live */
};

/* The new hash for user_passwd, applied under the writers' lock. */
static enum ag_err
set_hash(struct user *u, void *arg)
{
	struct passwd_arg	*pa = arg;
	enum ag_err		 e;

	if ((e = end_sessions(pa->x, u, &pa->sess)) != AG_OK)
		return e;
	(void)snprintf(u->hash, sizeof(u->hash), "%s", pa->hash);
	u->changed = (int64_t)time(NULL);
	u->gen = store_gen_new();	/* ends its refresh tokens */
	return AG_OK;
}

static int
user_passwd(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct user	 u;
	struct passwd_arg pa = { x, NULL, AG_OK };
	char		*pos[1], hash[AG_HASH_MAX + 1];
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
	/* Fail early, before asking, when there is no such user. */
	e = store_user_get(x->store, pos[0], &u);
	OPENSSL_cleanse(&u, sizeof(u));
	if (e != AG_OK)
		return user_fail(c, pos[0], e);
	if (!new_hash(c, from_stdin, hash, sizeof(hash)))
		goto out;
	pa.hash = hash;
	if ((e = store_user_update(x->store, pos[0], set_hash, &pa)) !=
	    AG_OK) {
		if (pa.sess != AG_OK)
			(void)sessions_fail(c, pos[0], pa.sess);
		else
			(void)user_fail(c, pos[0], e);
		goto out;
	}
	printf("changed the password of user %s\n", pos[0]);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
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

struct del_arg {
	struct ctl	*x;
	enum ag_err	 sess;
};

/* Before the record goes, under the writers' lock. */
static enum ag_err
del_sessions(const struct user *u, void *arg)
{
	struct del_arg	*da = arg;

	return end_sessions(da->x, u, &da->sess);
}

static int
user_del(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct del_arg	 da = { x, AG_OK };
	char		*name;
	enum ag_err	 e;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	if ((e = store_user_del_with(x->store, name, del_sessions, &da)) !=
	    AG_OK)
		return da.sess != AG_OK ? sessions_fail(c, name, da.sess) :
		    user_fail(c, name, e);
	if (state_fail_clear(x->state, name) != AG_OK)
		ctl_err("user %s: %s: could not clear failure counters", name,
		    c->state_db);
	printf("deleted user %s\n", name);
	return CTL_OK;
}

struct lock_arg {
	struct ctl	*x;
	bool		 lock;
	enum ag_err	 sess;
};

/* Lock or unlock, applied under the writers' lock. */
static enum ag_err
set_lock(struct user *u, void *arg)
{
	struct lock_arg	*la = arg;
	enum ag_err	 e;

	if (u->locked == la->lock)
		return AG_EEXIST;	/* nothing to write */
	/* A lock ends the sessions and refresh tokens; unlocking does
	 * not revive them. */
	if (la->lock && (e = end_sessions(la->x, u, &la->sess)) != AG_OK)
		return e;
	u->locked = la->lock;
	u->changed = (int64_t)time(NULL);
	if (la->lock)
		u->gen = store_gen_new();
	return AG_OK;
}

static int
user_lock(struct ctl *x, int argc, char **argv, bool lock)
{
	const struct conf	*c = x->c;
	struct lock_arg	 la = { x, lock, AG_OK };
	char		*name;
	enum ag_err	 e;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	e = store_user_update(x->store, name, set_lock, &la);
	if (la.sess != AG_OK)
		return sessions_fail(c, name, la.sess);
	if (e != AG_OK && e != AG_EEXIST)
		return user_fail(c, name, e);
	/* Unlock also ends a lockout after failed logins. */
	if (!lock && (e = state_fail_clear(x->state, name)) != AG_OK) {
		ctl_err("user %s: %s: could not clear failure counters: %s",
		    name, c->state_db, ag_strerror(e));
		return CTL_FAIL;
	}
	printf("%s user %s\n", lock ? "locked" : "unlocked", name);
	return CTL_OK;
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
user_show(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct user	 u;
	struct failinfo	 fi;
	char		*name, t1[32];
	enum ag_err	 e;

	if (!one_name(argc, argv, &name))
		return ctl_usage();
	if (!name_ok(name))
		return CTL_FAIL;
	if ((e = store_user_get(x->store, name, &u)) != AG_OK)
		return user_fail(c, name, e);
	memset(&fi, 0, sizeof(fi));
	if ((e = state_fail_get(x->state, name, &fi)) != AG_OK) {
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

static int
list_one(const struct user *u, void *arg)
{
	return ctl_lines_add(arg, "%s%s%s", u->name,
	    u->scope[0] != '\0' ? " " : "", u->scope);
}

static int
user_list(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	struct ctl_lines l;
	char		*pos[1];
	int		 npos;

	if (!ctl_args(argc, argv, NULL, pos, 0, &npos))
		return ctl_usage();
	memset(&l, 0, sizeof(l));
	return ctl_lines_finish(&l, store_user_each(x->store, list_one, &l),
	    c->user_db);
}

int
ctl_user(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;

	if (argc < 1)
		return ctl_usage();
	if (c->verify_only) {
		ctl_err("verify_only = yes: there is no user_db");
		return CTL_FAIL;
	}
	if (strcmp(argv[0], "add") == 0)
		return user_add(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "passwd") == 0)
		return user_passwd(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return user_del(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return user_list(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "show") == 0)
		return user_show(x, argc - 1, argv + 1);
	if (strcmp(argv[0], "lock") == 0)
		return user_lock(x, argc - 1, argv + 1, true);
	if (strcmp(argv[0], "unlock") == 0)
		return user_lock(x, argc - 1, argv + 1, false);
	if (strcmp(argv[0], "import") == 0)
		return ctl_user_import(x, argc - 1, argv + 1);
	ctl_err("unknown command \"user %s\"", argv[0]);
	return ctl_usage();
}

struct import {
	struct ctl	*x;
	size_t		 skipped;
	enum ag_err	 ended_err;	/* why sessions could not be ended */
	char		 ended_user[AG_NAME_MAX + 1];
};

/* A line htpasswd_import skipped: its name, never the hash. */
static void
import_skipped(const char *path, size_t line, const char *name,
    const char *reason, void *arg)
{
	struct import	*im = arg;

	im->skipped++;
	if (name != NULL)
		ctl_err("%s:%zu: %s: %s", path, line, name, reason);
	else
		ctl_err("%s:%zu: %s", path, line, reason);
}

static void
import_progress(size_t lines, void *arg)
{
	(void)arg;
	fprintf(stderr, "\rauthgatectl: %zu lines read", lines);
}

/*
 * A user's password changes with the import: its account generation
 * gen ends, and with it the browser sessions (as at user passwd;
 * refresh tokens end by the new generation itself).  A failure aborts
 * the import: nothing is stored.
 */
static enum ag_err
import_ended(const char *name, int64_t gen, void *arg)
{
	struct import	*im = arg;
	enum ag_err	 e;

	e = session_end_account(im->x->c, im->x->state, name, gen,
	    time(NULL));
	if (e != AG_OK) {
		im->ended_err = e;
		(void)snprintf(im->ended_user, sizeof(im->ended_user), "%s",
		    name);
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/*
 * user import FILE: one pass over the file (htpasswd.c), skipped lines
 * named one by one, the users stored in one copy-and-rename.  Exit 0
 * when the file was read and stored, skipped lines or not.
 */
int
ctl_user_import(struct ctl *x, int argc, char **argv)
{
	const struct conf	*c = x->c;
	FILE		*f;
	char		*pos[1];
	const char	*file;
	struct import	 im;
	size_t		 imported = 0;
	bool		 tty;
	int		 npos;
	enum ag_err	 e;

	if (!ctl_args(argc, argv, NULL, pos, 1, &npos) || npos != 1)
		return ctl_usage();
	file = pos[0];
	if ((f = fopen(file, "re")) == NULL) {
		ctl_err("%s: %s", file, strerror(errno));
		return CTL_FAIL;
	}
	tty = isatty(STDERR_FILENO) == 1;
	memset(&im, 0, sizeof(im));
	im.x = x;
	e = htpasswd_import(x->store, f, file, import_skipped,
	    tty ? import_progress : NULL, import_ended, &im, &imported);
	if (tty)
		fprintf(stderr, "\n");
	(void)fclose(f);
	if (e != AG_OK && im.ended_user[0] != '\0')
		return sessions_fail(c, im.ended_user, im.ended_err);
	if (e != AG_OK) {
		ctl_err("%s: cannot import %s: %s", c->user_db, file,
		    ag_strerror(e));
		return CTL_FAIL;
	}
	fprintf(stderr, "authgatectl: %s: imported %zu users, skipped %zu\n",
	    file, imported, im.skipped);
	return CTL_OK;
}
