/*
 * Checking a user's password, as the password grant of /token and the
 * sign-in form of /login both do: the same lockout, the same timing and
 * the same audit events, in one place.
 *
 * An unknown user, a wrong password, an administrator's lock and a
 * lockout all come back as LOGIN_BAD, after the same work: one user_db
 * read, one state_db read, one password hash, one state_db write (the
 * failure counted, for names that are not users too: skipping the write
 * for them would make unknown names answer faster by a whole fsync).
 * Names that can never be users (store_name_ok() false) are the only
 * exception; they reveal nothing.
 *
 * The attempt is counted in flight before the password is checked
 * (state_login_begin): however many requests arrive at once, at most
 * lockout_threshold of them are checked before the lockout holds.  A
 * caller of a LOGIN_OK stores the outcome (state_login_ok, or
 * login_forget), then calls login_end, which stops counting it.
 */
#ifndef LOGIN_H
#define LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"
#include "store.h"

struct app;

enum login_result {
	LOGIN_OK = 0,		/* l->user is the account */
	LOGIN_MISSING,		/* no user name or no password */
	LOGIN_TOO_LONG,		/* over AG_NAME_MAX or AG_PASSWORD_MAX */
	LOGIN_BAD,		/* unknown, wrong, locked: never told apart */
	LOGIN_UNAVAILABLE,	/* user_db or state_db cannot be used */
};

struct login {
	struct user	 user;		/* the account, on LOGIN_OK */
	struct failinfo	 before;	/* failures stored before */
	int		 slot;		/* in the table of attempts in flight */
	/* Failures stored before are to be forgotten (the password was
	 * right). */
	bool		 forget;
};

/*
 * Check name's password pw (NUL-terminated, may hold any byte but NUL)
 * for client_id (for the audit log; "" for none).  Whatever the result,
 * login_end(l) must follow.
 */
enum login_result login_begin(const struct app *app, const char *name,
		    const char *pw, const char *client_id, struct login *l);
/* Forget the failures stored before a right password (login_forget is
 * for a caller that stores nothing else, like /login). */
void		 login_forget(const struct app *app, struct login *l);
/* The attempt is over: stop counting it in flight; wipe l. */
void		 login_end(const struct app *app, struct login *l);

#endif
