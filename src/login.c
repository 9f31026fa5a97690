/*
 * The password check of /token and /login (see login.h).
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "authgate.h"
#include "ep.h"
#include "log.h"
#include "login.h"
#include "metrics.h"
#include "pw.h"
#include "state.h"
#include "store.h"

/*
 * Re-hash a password stored in another scheme or cost; not fatal.  Only
 * the hash is replaced, and only if it is still the one just verified:
 * an administrator's passwd, lock or del made meanwhile stands.
 */
static void
rehash(const struct app *app, const struct user *u, const char *pw,
    size_t pwlen)
{
	char		 hash[AG_HASH_MAX + 1];
	enum ag_err	 e;

	if (!pw_needs_rehash(u->hash, app->conf.password_hash))
		return;
	e = pw_hash(app->conf.password_hash, pw, pwlen, hash, sizeof(hash));
	if (e == AG_OK)
		e = store_user_rehash(app->store, u->name, u->hash,
		    hash);
	if (e == AG_OK)
		log_msg("login: user \"%s\": password re-hashed", u->name);
	else if (e == AG_EDENIED || e == AG_ENOENT)
		log_msg("login: user \"%s\": not re-hashed: changed by an "
		    "administrator meanwhile", u->name);
	else
		log_msg("login: user \"%s\": cannot store re-hashed "
		    "password: %s", u->name, ag_strerror(e));
	OPENSSL_cleanse(hash, sizeof(hash));
}

/* Count the failure of name, audit it and log it. */
static enum login_result
failed(const struct app *app, const char *name, const char *client_id,
    bool valid, bool known, bool locked, bool locked_out,
    const struct failinfo *before, time_t now)
{
	struct failinfo	 after;
	enum ag_err	 e;

	memset(&after, 0, sizeof(after));
	if (valid && (e = state_fail_add(app->state, name, now, &after)) !=
	    AG_OK) {
		log_msg("login: cannot count failure: %s", ag_strerror(e));
		return LOGIN_UNAVAILABLE;
	}
	metrics_inc(locked_out || locked ? MC_LOGINFAIL_LOCKED :
	    MC_LOGINFAIL_CREDENTIALS);
	audit("login", "failure", name, client_id, locked_out || locked ?
	    "locked" : "credentials");
	/* This failure started a lockout (not an old one's stamp). */
	if (after.locked_until > (int64_t)now &&
	    after.locked_until != before->locked_until)
		audit("lockout", "failure", name, client_id, "threshold");
	log_msg("login: user \"%s\": login failed (%s)", name,
	    !known ? "unknown" : locked_out ? "locked out" :
	    locked ? "locked" : "bad password");
	return LOGIN_BAD;
}

enum login_result
login_begin(const struct app *app, const char *name, const char *pw,
    const char *client_id, struct login *l)
{
	struct user	*u = &l->user;
	size_t		 pwlen;
	time_t		 now;
	bool		 known = false, match, valid, locked_out = false;
	enum ag_err	 e;

	memset(l, 0, sizeof(*l));
	l->slot = -1;
	if (name == NULL || name[0] == '\0' || pw == NULL)
		return LOGIN_MISSING;
	pwlen = strlen(pw);
	if (strlen(name) > AG_NAME_MAX || pwlen > AG_PASSWORD_MAX)
		return LOGIN_TOO_LONG;
	now = time(NULL);
	valid = store_name_ok(name);

	if (valid) {
		e = store_user_get(app->store, name, u);
		if (e == AG_OK)
			known = true;
		else if (e != AG_ENOENT) {
			log_msg("login: user_db unreadable: %s",
			    ag_strerror(e));
			return LOGIN_UNAVAILABLE;
		}
		if ((e = state_login_begin(app->state, name, now, &l->before,
		    &locked_out, &l->slot)) != AG_OK) {
			log_msg("login: state_db unreadable: %s",
			    ag_strerror(e));
			return LOGIN_UNAVAILABLE;
		}
	}
	/* Hash even for locked users, so a lock does not answer faster. */
	match = pw_check(known ? u->hash : NULL, app->conf.password_hash, pw,
	    pwlen);
	if (!known || !match || u->locked || locked_out)
		return failed(app, name, client_id, valid, known,
		    known && u->locked, locked_out, &l->before, now);
	rehash(app, u, pw, pwlen);
	l->forget = l->before.failures > 0 || l->before.locked_until != 0;
	return LOGIN_OK;
}

void
login_forget(const struct app *app, struct login *l)
{
	if (l->forget && state_fail_clear(app->state, l->user.name) != AG_OK)
		log_msg("login: user \"%s\": cannot clear failures",
		    l->user.name);
	l->forget = false;
}

void
login_end(const struct app *app, struct login *l)
{
	state_login_end(app->state, l->slot);
	OPENSSL_cleanse(l, sizeof(*l));
	l->slot = -1;
}
