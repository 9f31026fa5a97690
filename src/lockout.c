/*
 * Failed logins and lockout, in state_db (see state.h).
 *
 * Record:
 *	"fail:USER"	"FAILURES LAST LOCKED_UNTIL"
 *
 * An attempt is counted before its password is checked
 * (state_login_begin) and forgotten on success (state_login_ok), so at
 * most lockout_threshold passwords are checked before the lockout
 * holds, whatever the concurrency.  When failures reaches
 * lockout_threshold, the user is locked for lockout_seconds; each
 * further lockout_threshold failures (without a success in between)
 * doubles the time, up to STATE_LOCKOUT_CAP (a day): an attacker
 * guessing slowly gets slower and slower.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gdbm.h>

#include "conf.h"
#include "state.h"
#include "state_db.h"

#define DAY		86400

static enum ag_err
fail_key(const char *user, char *key, size_t keysz)
{
	int	 n;

	if (user == NULL || user[0] == '\0' ||
	    strnlen(user, AG_NAME_MAX + 1) > AG_NAME_MAX)
		return AG_EINVAL;
	n = snprintf(key, keysz, "fail:%s", user);
	if (n < 0 || (size_t)n >= keysz)
		return AG_EINVAL;
	return AG_OK;
}

static enum ag_err
fail_read(GDBM_FILE dbf, const char *key, struct failinfo *fi)
{
	char		 val[ST_VAL_MAX];
	int64_t		 v[3];
	enum ag_err	 e;

	memset(fi, 0, sizeof(*fi));
	if ((e = st_get(dbf, key, val, sizeof(val))) == AG_ENOENT)
		return AG_OK;
	if (e != AG_OK)
		return e;
	if (!st_parse_nums(val, v, 3))
		return AG_EUNAVAIL;
	fi->failures = (long)v[0];
	fi->last = v[1];
	fi->locked_until = v[2];
	return AG_OK;
}

enum ag_err
state_fail_get(const struct conf *c, const char *user, struct failinfo *fi)
{
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	memset(fi, 0, sizeof(*fi));
	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(c, false, &lockfd, &dbf)) != AG_OK)
		return e;
	e = fail_read(dbf, key, fi);
	if (e != AG_OK)
		memset(fi, 0, sizeof(*fi));
	return st_close(c, dbf, lockfd, false, e);
}

/*
 * Count one attempt of user at now with the write lock held; locks the
 * user when lockout_threshold is reached.  *was_locked: a lockout was
 * in force before this attempt.
 */
static enum ag_err
fail_count(const struct conf *c, GDBM_FILE dbf, const char *key,
    time_t now, struct failinfo *cur, bool *was_locked)
{
	char		 val[ST_VAL_MAX];
	int64_t		 dur;
	long		 t, k;
	enum ag_err	 e;

	if ((e = fail_read(dbf, key, cur)) != AG_OK)
		return e;
	*was_locked = cur->locked_until > (int64_t)now;
	if (cur->failures < 1000000000L)
		cur->failures++;
	cur->last = now;
	t = c->lockout_threshold;
	if (t > 0 && cur->failures >= t && cur->failures % t == 0) {
		/* the k-th lockout in a row lasts 2^(k-1) times as long */
		dur = c->lockout_seconds;
		for (k = cur->failures / t; k > 1 && dur < STATE_LOCKOUT_CAP;
		    k--)
			dur *= 2;
		if (dur > STATE_LOCKOUT_CAP)
			dur = STATE_LOCKOUT_CAP;
		cur->locked_until = (int64_t)now + dur;
	}
	(void)snprintf(val, sizeof(val), "%ld %lld %lld", cur->failures,
	    (long long)cur->last, (long long)cur->locked_until);
	return st_put(c, dbf, key, val);
}

/* state_fail_add and state_login_begin. */
static enum ag_err
fail_add(const struct conf *c, const char *user, time_t now,
    struct failinfo *fi, bool *was_locked)
{
	struct failinfo	 cur;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	*was_locked = false;
	if (fi != NULL)
		memset(fi, 0, sizeof(*fi));
	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = fail_count(c, dbf, key, now, &cur, was_locked);
	if ((e = st_close(c, dbf, lockfd, true, e)) != AG_OK)
		return e;
	if (fi != NULL)
		*fi = cur;
	return AG_OK;
}

enum ag_err
state_fail_add(const struct conf *c, const char *user, time_t now,
    struct failinfo *fi)
{
	bool	 was_locked;

	return fail_add(c, user, now, fi, &was_locked);
}

enum ag_err
state_login_begin(const struct conf *c, const char *user, time_t now,
    bool *locked_out)
{
	return fail_add(c, user, now, NULL, locked_out);
}

enum ag_err
state_fail_clear(const struct conf *c, const char *user)
{
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = st_del(c, dbf, key);
	return st_close(c, dbf, lockfd, true, e);
}

enum ag_err
lockout_forget(const struct conf *c, GDBM_FILE dbf, const char *user)
{
	char		 key[ST_KEY_MAX];
	enum ag_err	 e;

	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	return st_del(c, dbf, key);
}

bool
lockout_stale(const char *key, const char *val, time_t now)
{
	int64_t	 v[3];

	/* a day after the last failure, and no longer locked out */
	return strncmp(key, "fail:", 5) == 0 && st_parse_nums(val, v, 3) &&
	    v[1] < (int64_t)now - DAY && v[2] < (int64_t)now;
}
