/*
 * Runtime state in state_db (GDBM), apart from user_db so logins and
 * administrators do not contend: failed-login counters with lockout,
 * and the refresh-token families that were rotated or revoked (the
 * tokens themselves are sealed, rtseal.h, and a login stores none);
 * the deny list of revoked access tokens is beside it (deny.h), under
 * the same lock.  Every write is under an
 * exclusive lock on "<state_db>.lock" and synced before success is
 * returned; a failure to store is AG_EUNAVAIL and callers fail closed.
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "authgate.h"

struct conf;
struct state;

#define STATE_LOCKOUT_CAP	AG_DAY_SECONDS	/* longest lockout, s */
#define STATE_PURGE_BATCH	16	/* writes of a process between purge steps */
#define STATE_PURGE_STEP	64	/* records a purge step visits */

struct failinfo {
	long		 failures;	/* consecutive failures */
	int64_t		 last;		/* time of the last failure */
	int64_t		 locked_until;	/* 0 when not locked */
};

#define RT_FAMILY_BYTES	16	/* random bytes naming a family */

/* A refresh token's grant: what it carries (rtseal.h). */
struct refresh {
	char		 user[AG_NAME_MAX + 1];
	char		 client_id[AG_NAME_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];
	char		 family[2 * RT_FAMILY_BYTES + 1];	/* hex */
	uint32_t	 seq;		/* place in the family, from 0 */
	int64_t		 exp;
	int64_t		 gen;		/* the account's (struct user) */
};

/*
 * A state_db of this process: its lock's queue for threads, the deny
 * list as mapped, the table of attempts in flight, the refresh-token
 * key, the purge's count.  The application holds one per state_db and
 * passes it to every call; threads may share it.  No I/O; NULL when
 * out of memory.  c must outlive it.
 */
struct state	*state_new(const struct conf *c);
/* Unmap, close and free (NULL: nothing). */
void		 state_free(struct state *sdb);
/* Never create a file, not even the deny list's change counter: for
 * readers that must not write (mod_authgate). */
void		 state_readonly(struct state *sdb);

/* Create state_db if missing (made as root: given its parent's owner). */
enum ag_err	 state_init(struct state *sdb);

/* Read the counters of user; all zero when none. */
enum ag_err	 state_fail_get(struct state *sdb, const char *user,
		    struct failinfo *fi);
/* Count one failure at now; locks the user when lockout_threshold is
 * reached.  fi (may be NULL) receives the new counters. */
enum ag_err	 state_fail_add(struct state *sdb, const char *user,
		    time_t now, struct failinfo *fi);
/*
 * Before a password of user is checked: enter the attempt in the table
 * of attempts in flight (its entry into *slot) and read the failures
 * stored into fi.  *locked_out: the password
 * must not be checked (a lockout in force, or the failures and the
 * attempts in flight reach lockout_threshold: at most that many
 * passwords are checked, however many requests arrive at once).  Once
 * the outcome is stored (state_fail_add, state_login_ok), call
 * state_login_end.
 */
enum ag_err	 state_login_begin(struct state *sdb, const char *user,
		    time_t now, struct failinfo *fi, bool *locked_out,
		    int *slot);
/* The attempt of state_login_begin's *slot is no longer in flight. */
void		 state_login_end(struct state *sdb, int slot);
/*
 * A password login of user succeeded: forget its failures (forget: one
 * transaction) and, when r is not NULL, seal a refresh token starting
 * a new family for r into tok, which stores nothing.
 */
enum ag_err	 state_login_ok(struct state *sdb, const char *user,
		    bool forget, struct refresh *r,
		    char tok[AG_REFRESH_MAX + 1]);
/* Forget the failures of user (successful login, or unlock). */
enum ag_err	 state_fail_clear(struct state *sdb, const char *user);

/* Look up without using (introspection, and a refresh before it
 * rotates): AG_EDENIED once used or revoked, AG_ENOENT for anything
 * else that is not a live token. */
enum ag_err	 state_refresh_peek(struct state *sdb, const char *tok,
		    time_t now, struct refresh *r);
/* The same, but a token rotated out is found too (revocation: it
 * takes its family with it). */
enum ag_err	 state_refresh_find(struct state *sdb, const char *tok,
		    time_t now, struct refresh *r);
/*
 * Rotate: spend oldtok and store its replacement for nr (the grant the
 * caller checked: same family, user and gen as oldtok's, new scope and
 * exp), in one transaction: both or neither.  A token used before
 * revokes its family: AG_EDENIED; unknown, expired, revoked or not
 * nr's grant: AG_ENOENT or AG_EDENIED.
 */
enum ag_err	 state_refresh_rotate(struct state *sdb,
		    const char *oldtok, time_t now, struct refresh *nr,
		    char tok[AG_REFRESH_MAX + 1]);
/* Revoke the family of tok; AG_ENOENT if unknown. */
enum ag_err	 state_refresh_revoke(struct state *sdb, const char *tok);

/* Drop expired entries (the deny list's too) in one whole pass; writers
 * also purge, a step at a time (state.c). */
enum ag_err	 state_purge(struct state *sdb, time_t now);

#endif
