/*
 * Runtime state in state_db (GDBM), apart from user_db so logins and
 * administrators do not contend: failed-login counters with lockout,
 * and refresh tokens (stored only as SHA-256 hashes) in rotation
 * families; the deny list of revoked access tokens is beside it
 * (deny.h), under the same lock.  Every write is under an
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

#define STATE_LOCKOUT_CAP	86400	/* longest lockout, s */
#define STATE_PURGE_WRITES	100	/* purge at least this many writes apart */
#define STATE_PURGE_SECONDS	3600	/* or when the last is older */
#define STATE_PURGE_BATCH	16	/* writes a process counts in memory */

struct failinfo {
	long		 failures;	/* consecutive failures */
	int64_t		 last;		/* time of the last failure */
	int64_t		 locked_until;	/* 0 when not locked */
};

struct refresh {
	char		 user[AG_NAME_MAX + 1];
	char		 client_id[AG_NAME_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];
	char		 family[AG_REFRESH_LEN + 1];
	int64_t		 exp;
};

enum ag_err	 state_init(const struct conf *c);

/* Read the counters of user; all zero when none. */
enum ag_err	 state_fail_get(const struct conf *c, const char *user,
		    struct failinfo *fi);
/* Count one failure at now; locks the user when lockout_threshold is
 * reached.  fi (may be NULL) receives the new counters. */
enum ag_err	 state_fail_add(const struct conf *c, const char *user,
		    time_t now, struct failinfo *fi);
/* Forget the failures of user (successful login, or unlock). */
enum ag_err	 state_fail_clear(const struct conf *c, const char *user);

/* Store a new refresh token for r (r->family "" starts a family); the
 * token, AG_REFRESH_LEN characters, is written to tok. */
enum ag_err	 state_refresh_new(const struct conf *c, struct refresh *r,
		    char tok[AG_REFRESH_LEN + 1]);
/*
 * Use a refresh token: on success r holds its grant and the token is
 * marked used (rotation).  A token used before revokes its family and
 * gives AG_EDENIED; unknown or expired gives AG_ENOENT.
 */
enum ag_err	 state_refresh_use(const struct conf *c, const char *tok,
		    time_t now, struct refresh *r);
/* Look up without using (introspection). */
enum ag_err	 state_refresh_peek(const struct conf *c, const char *tok,
		    time_t now, struct refresh *r);
/* Revoke the family of tok; AG_ENOENT if unknown. */
enum ag_err	 state_refresh_revoke(const struct conf *c, const char *tok);

/* Drop expired entries (the deny list's too); called now and then by
 * writers. */
enum ag_err	 state_purge(const struct conf *c, time_t now);
/* Forget cached state (the deny list's). */
void		 state_close(void);

#endif
