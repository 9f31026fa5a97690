/*
 * state_db (GDBM), see state.h: the file, its lock and the purge.  What
 * is kept in it is the business of lockout.c (failed logins), refresh.c
 * (refresh tokens and their families) and deny.c (revoked access
 * tokens, in files of its own beside it); they reach the file through
 * state_db.h.  What a process holds of it between calls is in the
 * struct state the application owns (state_new): each module keeps
 * its part there, none in a global.
 *
 * Records (text values, so gdbm_dump shows them): see lockout.c,
 * refresh.c and code.c, and
 *	"meta:purge"	the key the last purge step stopped at ("": the
 *			next step starts from the first; see purge_step)
 *
 * Every access holds a flock on "<state_db>.lock": exclusive to write
 * (open GDBM_WRCREAT, change, unlock, close, which syncs once: see
 * st_close), shared to read.  Any failure to store is AG_EUNAVAIL:
 * callers fail closed.  A write is in the page cache before the lock is
 * released, so it survives the writer being killed, and on disk before
 * the call returns, so what was answered survives a power loss.  State
 * written but not yet synced when the power goes is not meant to
 * survive (a lost rotation leaves the token before it usable and its
 * successor unknown, a lost failure counter allows a few more guesses).
 * Space for a write is reserved before it starts (dbfile_reserve), so
 * a full disk never leaves one half done.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdbm.h>

#include "conf.h"
#include "dbfile.h"
#include "deny.h"
#include "fsutil.h"
#include "log.h"
#include "state.h"
#include "state_db.h"

#define LOCK_WAIT_MS	10000	/* threads, then processes: 10 s each */
#define STATE_PURGE_PASS_MAX	200000	/* steps of one whole pass, at most */

static enum ag_err
side_path(struct state *sdb, const char *suffix, char *p, size_t psz)
{
	const struct conf	*c = sdb->c;
	int	 n;

	n = snprintf(p, psz, "%s%s", c->state_db, suffix);
	if (n < 0 || (size_t)n >= psz)
		return AG_EINVAL;
	return AG_OK;
}

struct state *
state_new(const struct conf *c)
{
	struct state	*sdb;

	if ((sdb = calloc(1, sizeof(*sdb))) == NULL)
		return NULL;
	sdb->c = c;
	if (pthread_rwlock_init(&sdb->rw, NULL) != 0) {
		free(sdb);
		return NULL;
	}
	sdb->dv = deny_view_new();
	sdb->inf = inflight_new();
	sdb->kc = rtseal_keys_new();
	if (sdb->dv == NULL || sdb->inf == NULL || sdb->kc == NULL) {
		state_free(sdb);
		return NULL;
	}
	return sdb;
}

void
state_readonly(struct state *sdb)
{
	sdb->readonly = true;
}

void
state_free(struct state *sdb)
{
	if (sdb == NULL)
		return;
	deny_view_free(sdb->dv);
	inflight_free(sdb->inf);
	rtseal_keys_free(sdb->kc);
	(void)pthread_rwlock_destroy(&sdb->rw);
	free(sdb);
}

/*
 * Threads of one process queue on sdb->rw first, in the kernel, and
 * are woken the moment the holder leaves: polling the flock, they
 * slept 5 ms even when the lock was free again 50 us later.  Only
 * processes are left to poll each other, and one thread of each at
 * most when writing.
 */

/* sdb->rw, exclusive or shared, waiting at most LOCK_WAIT_MS from now. */
static int
st_rw_lock(struct state *sdb, bool excl)
{
	struct timespec	 until;

	if (clock_gettime(CLOCK_REALTIME, &until) == -1)
		return errno;
	until.tv_sec += LOCK_WAIT_MS / 1000;
	until.tv_nsec += (LOCK_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return excl ? pthread_rwlock_timedwrlock(&sdb->rw, &until) :
	    pthread_rwlock_timedrdlock(&sdb->rw, &until);
}

/*
 * Lock state_db, exclusive or shared, waiting at most LOCK_WAIT_MS in
 * each: sdb->rw within this process, then a flock on "<state_db>.lock"
 * between processes (fsu_flock_wait).  Release with st_unlock().
 */
enum ag_err
st_lock(struct state *sdb, bool excl, int *fdp)
{
	char		 path[PATH_MAX];
	int		 fd, rc;

	*fdp = -1;
	if (side_path(sdb, ".lock", path, sizeof(path)) != AG_OK)
		return AG_EUNAVAIL;
	if ((rc = st_rw_lock(sdb, excl)) != 0) {
		log_msg("state_db %s: cannot lock: %s", path,
		    rc == ETIMEDOUT ? "timed out" : strerror(rc));
		return AG_EUNAVAIL;
	}
	if ((fd = fsu_open_new(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_msg("state_db %s: %s", path, strerror(errno));
		(void)pthread_rwlock_unlock(&sdb->rw);
		return AG_EUNAVAIL;
	}
	if (!fsu_flock_wait(fd, excl ? LOCK_EX : LOCK_SH, LOCK_WAIT_MS)) {
		log_msg("state_db %s: cannot lock: %s", path,
		    errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		(void)close(fd);
		(void)pthread_rwlock_unlock(&sdb->rw);
		return AG_EUNAVAIL;
	}
	*fdp = fd;
	return AG_OK;
}

/*
 * Release what st_lock() took; fd -1 (nothing taken) is a no-op.  Then
 * the work put off until the lock is free: a deny list's compaction,
 * which must not hold up every other writer.
 */
void
st_unlock(struct state *sdb, int fd)
{
	if (fd != -1) {
		(void)close(fd);
		(void)pthread_rwlock_unlock(&sdb->rw);
		deny_unlocked(sdb);
	}
}

/*
 * Open state_db under the lock.  For reading, a missing file gives
 * *dbf NULL and AG_OK: no state yet.
 */
enum ag_err
st_open(struct state *sdb, bool write, int *lockfd, GDBM_FILE *dbf)
{
	const struct conf	*c = sdb->c;
	enum ag_err	 e;

	*dbf = NULL;
	if ((e = st_lock(sdb, write, lockfd)) != AG_OK)
		return e;
	/*
	 * GDBM_NOMMAP: a login reads a bucket or two and writes a few
	 * blocks; mapping the whole file to do so, then unmapping it
	 * (a TLB shootdown on every CPU) and msync()ing all of it cost
	 * more than the reads and writes themselves, under the lock.
	 */
	if (write) {
		*dbf = gdbm_open(c->state_db, 0, GDBM_WRCREAT | GDBM_NOLOCK |
		    GDBM_NOMMAP | GDBM_CLOEXEC, 0600, NULL);
		/* no write that fails half done: see dbfile_reserve */
		if (*dbf != NULL && dbfile_reserve(*dbf, c->state_db) !=
		    AG_OK) {
			(void)gdbm_close(*dbf);
			st_unlock(sdb, *lockfd);
			*lockfd = -1;
			*dbf = NULL;
			return AG_EUNAVAIL;
		}
	}
	else {
		*dbf = gdbm_open(c->state_db, 0, GDBM_READER | GDBM_NOLOCK |
		    GDBM_NOMMAP | GDBM_CLOEXEC, 0, NULL);
		if (*dbf == NULL && gdbm_errno == GDBM_FILE_OPEN_ERROR &&
		    errno == ENOENT)
			return AG_OK;
	}
	if (*dbf == NULL) {
		log_msg("state_db %s: %s%s%s", c->state_db,
		    gdbm_strerror(gdbm_errno),
		    gdbm_check_syserr(gdbm_errno) ? ": " : "",
		    gdbm_check_syserr(gdbm_errno) ? strerror(errno) : "");
		st_unlock(sdb, *lockfd);
		*lockfd = -1;
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/*
 * Unlock, then close.  Releasing the lock before gdbm_close() is safe
 * because GDBM writes through: each gdbm_store() or gdbm_delete() ends
 * by writing its buckets, directory and header with pwrite(2), so all
 * our changes are in the page cache, where every later opener reads
 * them, before the lock is released; a process killed after that point
 * leaves the store intact.  All gdbm_close() of a writer does besides
 * close(2) is to sync (fsync(2) with GDBM_NOMMAP), and fsync(2) is per
 * file, not per write: run after the unlock it still covers our own
 * writes (and perhaps the next writer's), and returns only once they
 * are on disk.  A failure still makes the call AG_EUNAVAIL, so nothing
 * is answered as stored before it is.  Synced under the lock, every
 * login of every process queued behind one fsync after another; synced
 * outside it, concurrent syncs overlap and the file system commits them
 * together.  The price: a power loss can now find on disk another
 * writer's changes whose sync had not returned when ours did, which
 * was already true of the kernel's own writeback (see the top of the
 * file: a power loss may lose unsynced state, never answered state).
 */
enum ag_err
st_close(struct state *sdb, GDBM_FILE dbf, int lockfd, bool write,
    enum ag_err e)
{
	const struct conf	*c = sdb->c;
	enum ag_err	 pe;

	/* the purge paces itself; its failure undoes no write */
	if (write && dbf != NULL && e == AG_OK &&
	    (pe = st_maybe_purge(sdb, dbf, time(NULL))) != AG_OK)
		log_msg("state_db %s: purge: %s", c->state_db,
		    ag_strerror(pe));
	st_unlock(sdb, lockfd);
	if (dbf != NULL && gdbm_close(dbf) != 0 && write && e == AG_OK) {
		log_msg("state_db %s: close: %s%s%s", c->state_db,
		    gdbm_strerror(gdbm_errno),
		    gdbm_check_syserr(gdbm_errno) ? ": " : "",
		    gdbm_check_syserr(gdbm_errno) ? strerror(errno) : "");
		e = AG_EUNAVAIL;
	}
	return e;
}

/* Fetch key as a NUL-terminated string; AG_ENOENT when absent. */
enum ag_err
st_get(GDBM_FILE dbf, const char *key, char *out, size_t outsz)
{
	datum	 k, v;

	out[0] = '\0';
	if (dbf == NULL)
		return AG_ENOENT;
	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v = gdbm_fetch(dbf, k);
	if (v.dptr == NULL)
		return gdbm_last_errno(dbf) == GDBM_ITEM_NOT_FOUND ?
		    AG_ENOENT : AG_EUNAVAIL;
	if (v.dsize < 0 || (size_t)v.dsize >= outsz ||
	    memchr(v.dptr, '\0', (size_t)v.dsize) != NULL) {
		free(v.dptr);
		return AG_EUNAVAIL;
	}
	memcpy(out, v.dptr, (size_t)v.dsize);
	out[v.dsize] = '\0';
	free(v.dptr);
	return AG_OK;
}

enum ag_err
st_put(struct state *sdb, GDBM_FILE dbf, const char *key,
    const char *val)
{
	const struct conf	*c = sdb->c;
	datum	 k, v;

	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v.dptr = (char *)val;
	v.dsize = (int)strlen(val);
	if (gdbm_store(dbf, k, v, GDBM_REPLACE) != 0) {
		log_msg("state_db %s: store: %s", c->state_db,
		    gdbm_db_strerror(dbf));
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

enum ag_err
st_del(struct state *sdb, GDBM_FILE dbf, const char *key)
{
	const struct conf	*c = sdb->c;
	datum	 k;

	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	if (gdbm_delete(dbf, k) == 0 ||
	    gdbm_last_errno(dbf) == GDBM_ITEM_NOT_FOUND)
		return AG_OK;
	log_msg("state_db %s: delete: %s", c->state_db,
	    gdbm_db_strerror(dbf));
	return AG_EUNAVAIL;
}

/* Parse space-separated non-negative integers, exactly n of them. */
bool
st_parse_nums(const char *s, int64_t *v, size_t n)
{
	size_t	 i, d;

	for (i = 0; i < n; i++) {
		if (i > 0 && *s++ != ' ')
			return false;
		v[i] = 0;
		for (d = 0; s[d] >= '0' && s[d] <= '9'; d++) {
			if (d >= 18)
				return false;
			v[i] = v[i] * 10 + (s[d] - '0');
		}
		if (d == 0)
			return false;
		s += d;
	}
	return *s == '\0';
}

/* Stale: a record that only waits for the purge. */
static bool
stale(GDBM_FILE dbf, const char *key, time_t now)
{
	char	 val[ST_VAL_MAX];

	return strncmp(key, "meta:", 5) != 0 &&
	    st_get(dbf, key, val, sizeof(val)) == AG_OK &&
	    (refresh_stale(key, val, now) || lockout_stale(key, val, now) ||
	    code_stale(key, val, now));
}

/*
 * One step of the purge: visit STATE_PURGE_STEP records from where the
 * last step left off ("meta:purge" holds that key; "" or a key that is
 * gone: from the start) and delete the stale ones.  The walk goes on
 * from a key that is still there: the last one visited is kept even if
 * stale, and deleted by the next step once it has gone past it.  Records added or buckets split meanwhile
 * may be met twice or only in the next pass, which a purge can afford.
 */
static enum ag_err
purge_step(struct state *sdb, GDBM_FILE dbf, time_t now)
{
	char		 cur[ST_KEY_MAX + 64], last[ST_KEY_MAX + 64];
	char		 dead[STATE_PURGE_STEP][ST_KEY_MAX + 64];
	datum		 k, nk;
	size_t		 i, n, ndead = 0;
	enum ag_err	 e;

	e = st_get(dbf, "meta:purge", cur, sizeof(cur));
	if (e != AG_OK && e != AG_ENOENT)
		return e;
	if (e == AG_OK && cur[0] != '\0') {
		k.dptr = cur;
		k.dsize = (int)strlen(cur);
		k = gdbm_nextkey(dbf, k);
		/* the key the last step kept to go on from */
		if (k.dptr != NULL && stale(dbf, cur, now))
			memcpy(dead[ndead++], cur, sizeof(cur));
	} else
		k = gdbm_firstkey(dbf);
	last[0] = '\0';
	for (n = 0; k.dptr != NULL && n < STATE_PURGE_STEP - 1; n++) {
		if (k.dsize > 0 && (size_t)k.dsize < sizeof(last) &&
		    memchr(k.dptr, '\0', (size_t)k.dsize) == NULL) {
			memcpy(last, k.dptr, (size_t)k.dsize);
			last[k.dsize] = '\0';
			if (stale(dbf, last, now))
				memcpy(dead[ndead++], last, sizeof(last));
		}
		nk = gdbm_nextkey(dbf, k);
		free(k.dptr);
		k = nk;
	}
	if (k.dptr == NULL)
		last[0] = '\0';	/* the end: start again next time */
	free(k.dptr);
	for (i = 0; i < ndead && e != AG_EUNAVAIL; i++)
		if (strcmp(dead[i], last) != 0)
			e = st_del(sdb, dbf, dead[i]);
	if (e == AG_EUNAVAIL)
		return e;
	/* The deny list too, when due; a failure there is logged and
	 * stops nothing (deny.c). */
	state_deny_prune_locked(sdb, now);
	return st_put(sdb, dbf, "meta:purge", last);
}

/*
 * Count a write (st_close), and purge a step now and then (no cron job
 * needed): every STATE_PURGE_BATCH writes of a process, and at its
 * first (a CGI run writes once).  A step visits STATE_PURGE_STEP
 * records, so a pass over all of them takes about as many writes as
 * there are records divided by STATE_PURGE_STEP / STATE_PURGE_BATCH:
 * the records a pass finds expired never outnumber the live ones by
 * much.  Walking every record at once, as the purge did, held the lock
 * for 4.2 s at a million records (bench/state_scale).
 */
enum ag_err
st_maybe_purge(struct state *sdb, GDBM_FILE dbf, time_t now)
{
	enum ag_err	 e;

	if (++sdb->pc.writes < STATE_PURGE_BATCH && sdb->pc.seen)
		return AG_OK;
	if ((e = purge_step(sdb, dbf, now)) != AG_OK)
		return e;
	sdb->pc.writes = 0;
	sdb->pc.seen = true;
	return AG_OK;
}

enum ag_err
state_init(struct state *sdb)
{
	const struct conf	*c = sdb->c;
	struct stat	 st;
	GDBM_FILE	 dbf;
	int		 lockfd;
	bool		 made;
	enum ag_err	 e;

	made = stat(c->state_db, &st) == -1 && errno == ENOENT;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	/* made as root (authgatectl init), it is the service's */
	if (made && fsu_own_new(c->state_db) == -1)
		log_msg("state_db %s: chown: %s", c->state_db,
		    strerror(errno));
	return st_close(sdb, dbf, lockfd, true, AG_OK);
}

/* A whole pass, step by step, from the first record. */
enum ag_err
state_purge(struct state *sdb, time_t now)
{
	char		 cur[ST_KEY_MAX + 64];
	GDBM_FILE	 dbf;
	long		 steps = 0;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = st_put(sdb, dbf, "meta:purge", "");
	do {
		if (e == AG_OK)
			e = purge_step(sdb, dbf, now);
		if (e == AG_OK)
			e = st_get(dbf, "meta:purge", cur, sizeof(cur));
	} while (e == AG_OK && cur[0] != '\0' &&
	    ++steps < STATE_PURGE_PASS_MAX);
	return st_close(sdb, dbf, lockfd, true, e);
}
