/*
 * state_db's file and lock, for the modules that keep their records in
 * it (lockout.c, refresh.c) or their own files beside it under the same
 * lock (deny.c).  Internal to libag; the API is state.h.
 */
#ifndef STATE_DB_H
#define STATE_DB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gdbm.h>

#include "authgate.h"

struct conf;
struct deny_view;	/* deny.c */
struct inflight_map;	/* lockout.c */
struct rtseal_keys;	/* rtseal.c */

/* What a process holds of one state_db (state_new, state.h). */
struct state {
	const struct conf	*c;
	pthread_rwlock_t	 rw;	/* its threads queue here (st_lock) */
	struct {
		int64_t	 writes;	/* since this process's last step */
		bool	 seen;		/* a step made at all */
	} pc;				/* the purge's pace (st_maybe_purge) */
	struct deny_view	*dv;	/* the deny list as last seen */
	struct inflight_map	*inf;	/* the attempts in flight, mapped */
	struct rtseal_keys	*kc;	/* the refresh-token key */
	bool			 readonly;	/* state_readonly() */
};

/* Each module's part of struct state; NULL when out of memory. */
struct deny_view	*deny_view_new(void);
void			 deny_view_free(struct deny_view *);
struct inflight_map	*inflight_new(void);
void			 inflight_free(struct inflight_map *);
struct rtseal_keys	*rtseal_keys_new(void);
void			 rtseal_keys_free(struct rtseal_keys *);

#define ST_KEY_MAX	(AG_NAME_MAX + 16)	/* longest record key */
#define ST_VAL_MAX	\
	(AG_NAME_MAX * 2 + AG_SCOPE_MAX + 512)	/* code.c's is the longest */

/* Lock state_db, exclusive or shared, waiting at most 10 s; *fdp
 * receives what st_unlock() releases.  AG_EUNAVAIL on failure. */
enum ag_err	 st_lock(struct state *sdb, bool excl, int *fdp);
/* Release what st_lock() took; fd -1 (nothing taken) is a no-op. */
void		 st_unlock(struct state *sdb, int fd);
/* Lock and open, to write (space reserved: see dbfile_reserve) or to
 * read (*dbf NULL and AG_OK when there is no state yet). */
enum ag_err	 st_open(struct state *sdb, bool write, int *lockfd,
		    GDBM_FILE *dbf);
/* Unlock and close (which syncs a writer, after counting its write
 * towards the purge: st_maybe_purge); the result is e, or AG_EUNAVAIL
 * when the sync of a successful write fails. */
enum ag_err	 st_close(struct state *sdb, GDBM_FILE dbf, int lockfd,
		    bool write, enum ag_err e);

/* A record as a NUL-terminated string; AG_ENOENT when absent. */
enum ag_err	 st_get(GDBM_FILE dbf, const char *key, char *out,
		    size_t outsz);
enum ag_err	 st_put(struct state *sdb, GDBM_FILE dbf, const char *key,
		    const char *val);
/* Delete a record; absent is AG_OK. */
enum ag_err	 st_del(struct state *sdb, GDBM_FILE dbf, const char *key);
/* Exactly n space-separated non-negative integers of 1 to 18 digits. */
bool		 st_parse_nums(const char *s, int64_t *v, size_t n);
/* Count a write, and purge now and then (state.c). */
enum ag_err	 st_maybe_purge(struct state *sdb, GDBM_FILE dbf,
		    time_t now);

/* lockout.c: forget user's failures; the purge's test of a record. */
enum ag_err	 lockout_forget(struct state *sdb, GDBM_FILE dbf,
		    const char *user);
bool		 lockout_stale(const char *key, const char *val, time_t now);
/* refresh.c: the purge's test of a record. */
bool		 refresh_stale(const char *key, const char *val, time_t now);
/* refresh.c: end the family named family (hex), whose tokens expire
 * by exp at the latest (a code used twice: code.c). */
enum ag_err	 refresh_family_end(struct state *sdb, GDBM_FILE dbf,
		    const char *family, int64_t exp);
/* deny.c: state_deny_add() with the lock held. */
enum ag_err	 deny_add_locked(struct state *sdb, const char *jti,
		    int64_t exp);
/* deny.c: what this thread put off until it released the lock (a
 * compaction of the deny list); st_unlock() calls it. */
void		 deny_unlocked(struct state *sdb);
/* code.c: the purge's test of a record. */
bool		 code_stale(const char *key, const char *val, time_t now);

#endif
