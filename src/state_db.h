/*
 * state_db's file and lock, for the modules that keep their records in
 * it (lockout.c, refresh.c) or their own files beside it under the same
 * lock (deny.c).  Internal to libag; the API is state.h.
 */
#ifndef STATE_DB_H
#define STATE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gdbm.h>

#include "authgate.h"

struct conf;

#define ST_KEY_MAX	(AG_NAME_MAX + 16)	/* longest record key */
#define ST_VAL_MAX	\
	(AG_NAME_MAX * 2 + AG_SCOPE_MAX + 128)

/* Lock state_db, exclusive or shared, waiting at most 10 s; *fdp
 * receives what st_unlock() releases.  AG_EUNAVAIL on failure. */
enum ag_err	 st_lock(const struct conf *c, bool excl, int *fdp);
/* Release what st_lock() took; fd -1 (nothing taken) is a no-op. */
void		 st_unlock(int fd);
/* Lock and open, to write (space reserved: see dbfile_reserve) or to
 * read (*dbf NULL and AG_OK when there is no state yet). */
enum ag_err	 st_open(const struct conf *c, bool write, int *lockfd,
		    GDBM_FILE *dbf);
/* Unlock and close (which syncs a writer, after counting its write
 * towards the purge: st_maybe_purge); the result is e, or AG_EUNAVAIL
 * when the sync of a successful write fails. */
enum ag_err	 st_close(const struct conf *c, GDBM_FILE dbf, int lockfd,
		    bool write, enum ag_err e);

/* A record as a NUL-terminated string; AG_ENOENT when absent. */
enum ag_err	 st_get(GDBM_FILE dbf, const char *key, char *out,
		    size_t outsz);
enum ag_err	 st_put(const struct conf *c, GDBM_FILE dbf, const char *key,
		    const char *val);
/* Delete a record; absent is AG_OK. */
enum ag_err	 st_del(const struct conf *c, GDBM_FILE dbf, const char *key);
/* Exactly n space-separated non-negative integers of 1 to 18 digits. */
bool		 st_parse_nums(const char *s, int64_t *v, size_t n);
/* Count a write, and purge now and then (state.c). */
enum ag_err	 st_maybe_purge(const struct conf *c, GDBM_FILE dbf,
		    time_t now);

/* lockout.c: forget user's failures; the purge's test of a record. */
enum ag_err	 lockout_forget(const struct conf *c, GDBM_FILE dbf,
		    const char *user);
bool		 lockout_stale(const char *key, const char *val, time_t now);
/* refresh.c: the purge's test of a record. */
bool		 refresh_stale(const char *key, const char *val, time_t now);

#endif
