/*
 * Runtime state in state_db (GDBM), see state.h.
 *
 * Records (text values, so gdbm_dump shows them):
 *	"fail:USER"	"FAILURES LAST LOCKED_UNTIL"
 *	"rt:HEX"	"USER\tCLIENT\tSCOPE\tFAMILY\tEXP\tUSED", HEX
 *			being the SHA-256 of the token: the token itself
 *			is never stored, and lookup by hash leaks no
 *			timing
 *	"fam:FAMILY"	"EXP": the family is revoked until EXP
 *			(after which its tokens have expired anyway)
 *	"meta:purge"	"LAST WRITES KEPT": when purge last ran, refresh
 *			writes since (added in batches, see purge_count),
 *			records it kept
 * A family is named by the first 32 hex digits of its first token's
 * hash.
 *
 * Every access holds a flock on "<state_db>.lock": exclusive to write
 * (open GDBM_WRCREAT, change, unlock, close, which syncs once: see
 * st_close), shared to read.  Any failure to store is AG_EUNAVAIL:
 * callers fail closed.  A write is in the page cache before the lock is
 * released, so it survives the writer being killed, and on disk before
 * the call returns, so what was answered survives a power loss.  State
 * written but not yet synced when the power goes is not meant to
 * survive (a lost refresh token means one more login, a lost failure
 * counter a few more guesses).
 *
 * Lockout: when failures reaches lockout_threshold, the user is locked
 * for lockout_seconds; each further lockout_threshold failures (without
 * a success in between) doubles the time, up to STATE_LOCKOUT_CAP (a
 * day): an attacker guessing slowly gets slower and slower.
 *
 * The deny list of revoked access tokens is deny.c's; its writers take
 * the same lock (st_lock, state_lock.h), and state_purge() prunes it.
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
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "b64.h"
#include "conf.h"
#include "dbfile.h"
#include "deny.h"
#include "fsutil.h"
#include "log.h"
#include "state.h"
#include "state_lock.h"

#define LOCK_WAIT_MS	10000
#define LOCK_NAP_MIN_NS	50000L		/* first wait for the flock */
#define LOCK_NAP_MAX_NS	5000000L	/* longest, doubling up to it */
#define VAL_MAX	\
	(AG_NAME_MAX * 2 + AG_SCOPE_MAX + AG_REFRESH_LEN + 64)
#define KEY_MAX		(AG_NAME_MAX + 16)
#define FAMILY_LEN	32
#define DAY		86400

static enum ag_err
side_path(const struct conf *c, const char *suffix, char *p, size_t psz)
{
	int	 n;

	n = snprintf(p, psz, "%s%s", c->state_db, suffix);
	if (n < 0 || (size_t)n >= psz)
		return AG_EINVAL;
	return AG_OK;
}

/*
 * Threads of one process queue here first, in the kernel, and are woken
 * the moment the holder leaves: polling the flock, they slept 5 ms even
 * when the lock was free again 50 us later.  Only processes are left to
 * poll each other, and one thread of each at most when writing.
 */
static pthread_rwlock_t	 st_rw = PTHREAD_RWLOCK_INITIALIZER;

/* Nanoseconds from a to b (CLOCK_MONOTONIC). */
static long long
ns_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL +
	    (b->tv_nsec - a->tv_nsec);
}

/* st_rw, exclusive or shared, waiting at most LOCK_WAIT_MS from now. */
static int
st_rw_lock(bool excl)
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
	return excl ? pthread_rwlock_timedwrlock(&st_rw, &until) :
	    pthread_rwlock_timedrdlock(&st_rw, &until);
}

/*
 * Lock state_db, exclusive or shared, waiting at most LOCK_WAIT_MS in
 * all: st_rw within this process, then a flock on "<state_db>.lock"
 * between processes.  flock(2) cannot time out, so it is polled, with
 * naps that start at LOCK_NAP_MIN_NS and double up to LOCK_NAP_MAX_NS:
 * a lock held for a few tens of microseconds (a login) costs a waiter
 * about that much, one held for long costs no more than 200 polls a
 * second.  Release with st_unlock().
 */
enum ag_err
st_lock(const struct conf *c, bool excl, int *fdp)
{
	char		 path[PATH_MAX];
	struct timespec	 t0, t, nap;
	long		 napns = LOCK_NAP_MIN_NS;
	int		 fd, rc;

	*fdp = -1;
	if (side_path(c, ".lock", path, sizeof(path)) != AG_OK)
		return AG_EUNAVAIL;
	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1) {
		log_msg("state_db %s: clock: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	if ((rc = st_rw_lock(excl)) != 0) {
		log_msg("state_db %s: cannot lock: %s", path,
		    rc == ETIMEDOUT ? "timed out" : strerror(rc));
		return AG_EUNAVAIL;
	}
	if ((fd = fsu_open_new(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_msg("state_db %s: %s", path, strerror(errno));
		(void)pthread_rwlock_unlock(&st_rw);
		return AG_EUNAVAIL;
	}
	while (flock(fd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB) == -1) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    clock_gettime(CLOCK_MONOTONIC, &t) == -1 ||
		    ns_between(&t0, &t) >= LOCK_WAIT_MS * 1000000LL) {
			log_msg("state_db %s: cannot lock: %s", path,
			    errno == EWOULDBLOCK ? "timed out" :
			    strerror(errno));
			(void)close(fd);
			(void)pthread_rwlock_unlock(&st_rw);
			return AG_EUNAVAIL;
		}
		nap.tv_sec = 0;
		nap.tv_nsec = napns;
		(void)nanosleep(&nap, NULL);
		if ((napns *= 2) > LOCK_NAP_MAX_NS)
			napns = LOCK_NAP_MAX_NS;
	}
	*fdp = fd;
	return AG_OK;
}

/* Release what st_lock() took; fd -1 (nothing taken) is a no-op. */
void
st_unlock(int fd)
{
	if (fd != -1) {
		(void)close(fd);
		(void)pthread_rwlock_unlock(&st_rw);
	}
}

/*
 * Open state_db under the lock.  For reading, a missing file gives
 * *dbf NULL and AG_OK: no state yet.
 */
static enum ag_err
st_open(const struct conf *c, bool write, int *lockfd, GDBM_FILE *dbf)
{
	enum ag_err	 e;

	*dbf = NULL;
	if ((e = st_lock(c, write, lockfd)) != AG_OK)
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
			st_unlock(*lockfd);
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
		st_unlock(*lockfd);
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
static enum ag_err
st_close(const struct conf *c, GDBM_FILE dbf, int lockfd, bool write,
    enum ag_err e)
{
	st_unlock(lockfd);
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
static enum ag_err
get_str(GDBM_FILE dbf, const char *key, char *out, size_t outsz)
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

static enum ag_err
put_str(const struct conf *c, GDBM_FILE dbf, const char *key,
    const char *val)
{
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

static enum ag_err
del_key(const struct conf *c, GDBM_FILE dbf, const char *key)
{
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
static bool
parse_nums(const char *s, int64_t *v, size_t n)
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
	char		 val[VAL_MAX];
	int64_t		 v[3];
	enum ag_err	 e;

	memset(fi, 0, sizeof(*fi));
	if ((e = get_str(dbf, key, val, sizeof(val))) == AG_ENOENT)
		return AG_OK;
	if (e != AG_OK)
		return e;
	if (!parse_nums(val, v, 3))
		return AG_EUNAVAIL;
	fi->failures = (long)v[0];
	fi->last = v[1];
	fi->locked_until = v[2];
	return AG_OK;
}

enum ag_err
state_init(const struct conf *c)
{
	struct stat	 st;
	GDBM_FILE	 dbf;
	int		 lockfd;
	bool		 made;
	enum ag_err	 e;

	made = stat(c->state_db, &st) == -1 && errno == ENOENT;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	/* made as root (authgatectl init), it is the service's */
	if (made && fsu_own_new(c->state_db) == -1)
		log_msg("state_db %s: chown: %s", c->state_db,
		    strerror(errno));
	return st_close(c, dbf, lockfd, true, AG_OK);
}

enum ag_err
state_fail_get(const struct conf *c, const char *user, struct failinfo *fi)
{
	char		 key[KEY_MAX];
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
	char		 val[VAL_MAX];
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
	return put_str(c, dbf, key, val);
}

/* state_fail_add and state_login_begin. */
static enum ag_err
fail_add(const struct conf *c, const char *user, time_t now,
    struct failinfo *fi, bool *was_locked)
{
	struct failinfo	 cur;
	char		 key[KEY_MAX];
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
	char		 key[KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = del_key(c, dbf, key);
	return st_close(c, dbf, lockfd, true, e);
}

/* "rt:" + hex SHA-256 of tok; false for anything not a token. */
static bool
rt_key(const char *tok, char *key, size_t keysz, char *fam, size_t famsz)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	unsigned char		 raw[32];
	size_t			 i, rawlen;

	if (tok == NULL || strnlen(tok, AG_REFRESH_LEN + 1) != AG_REFRESH_LEN ||
	    keysz < 3 + 2 * sizeof(md) + 1 || famsz < FAMILY_LEN + 1)
		return false;
	/* canonical base64url of 32 bytes, as state_refresh_new makes */
	if (b64_decode(tok, AG_REFRESH_LEN, raw, sizeof(raw), &rawlen) != 0 ||
	    rawlen != sizeof(raw))
		return false;
	OPENSSL_cleanse(raw, sizeof(raw));
	SHA256((const unsigned char *)tok, AG_REFRESH_LEN, md);
	memcpy(key, "rt:", 3);
	for (i = 0; i < sizeof(md); i++) {
		key[3 + 2 * i] = hex[md[i] >> 4];
		key[3 + 2 * i + 1] = hex[md[i] & 15];
	}
	key[3 + 2 * sizeof(md)] = '\0';
	memcpy(fam, key + 3, FAMILY_LEN);
	fam[FAMILY_LEN] = '\0';
	return true;
}

static bool
field_ok(const char *s, size_t max)
{
	size_t	 len;

	len = strnlen(s, max + 1);
	return len <= max && strpbrk(s, "\t\n") == NULL;
}

/*
 * Split "user\tclient\tscope\tfamily\texp\tused\tgen".  A record
 * written before account generations has no gen: 0, which matches a
 * user record without one.
 */
static enum ag_err
rt_parse(char *val, struct refresh *r, bool *used)
{
	char		*f[7], *p = val;
	int64_t		 n[3] = { 0, 0, 0 };
	size_t		 nf;

	memset(r, 0, sizeof(*r));
	for (nf = 0; nf < 7; nf++) {
		f[nf] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			nf++;
			break;
		}
		*p++ = '\0';
	}
	if ((nf != 6 && nf != 7) || p != NULL)
		return AG_EUNAVAIL;
	if (strlen(f[0]) > AG_NAME_MAX || strlen(f[1]) > AG_NAME_MAX ||
	    strlen(f[2]) > AG_SCOPE_MAX || strlen(f[3]) > AG_REFRESH_LEN ||
	    !parse_nums(f[4], &n[0], 1) || !parse_nums(f[5], &n[1], 1) ||
	    n[1] > 1 || (nf == 7 && !parse_nums(f[6], &n[2], 1)))
		return AG_EUNAVAIL;
	memcpy(r->user, f[0], strlen(f[0]) + 1);
	memcpy(r->client_id, f[1], strlen(f[1]) + 1);
	memcpy(r->scope, f[2], strlen(f[2]) + 1);
	memcpy(r->family, f[3], strlen(f[3]) + 1);
	r->exp = n[0];
	r->gen = n[2];
	*used = n[1] == 1;
	return AG_OK;
}

static enum ag_err
rt_format(const struct refresh *r, bool used, char *val, size_t valsz)
{
	int	 n;

	n = snprintf(val, valsz, "%s\t%s\t%s\t%s\t%lld\t%d\t%lld", r->user,
	    r->client_id, r->scope, r->family, (long long)r->exp,
	    used ? 1 : 0, (long long)r->gen);
	if (n < 0 || (size_t)n >= valsz)
		return AG_ETOOBIG;
	return AG_OK;
}

static bool
family_revoked(GDBM_FILE dbf, const char *family, enum ag_err *e)
{
	char	 key[KEY_MAX], val[64];

	*e = AG_OK;
	(void)snprintf(key, sizeof(key), "fam:%s", family);
	*e = get_str(dbf, key, val, sizeof(val));
	if (*e == AG_ENOENT) {
		*e = AG_OK;
		return false;
	}
	return true;	/* present, or unreadable: fail closed */
}

static enum ag_err
family_revoke(const struct conf *c, GDBM_FILE dbf, const char *family,
    int64_t until)
{
	char	 key[KEY_MAX], val[32];

	(void)snprintf(key, sizeof(key), "fam:%s", family);
	(void)snprintf(val, sizeof(val), "%lld", (long long)until);
	return put_str(c, dbf, key, val);
}

static enum ag_err	 purge_locked(const struct conf *, GDBM_FILE, time_t,
			    int64_t *);

/*
 * Refresh writes of this process not yet added to "meta:purge", and the
 * time of the last purge as read there.  Reading and rewriting that
 * record on every login cost a bucket read and a bucket write under the
 * lock all logins wait for, for a counter that only paces the purge.
 * Now a process adds its writes every STATE_PURGE_BATCH of them, or
 * sooner when the last purge it saw is STATE_PURGE_SECONDS old.  A
 * process that exits takes fewer than STATE_PURGE_BATCH uncounted
 * writes with it, which only delays a purge.  Only used with the write
 * lock held, whose st_rw orders the threads of this process.
 */
static struct {
	char	 db[PATH_MAX];	/* the state_db counted for */
	int64_t	 writes;	/* not yet in "meta:purge" */
	int64_t	 last;		/* its purge time at the last visit */
	bool	 seen;		/* visited at all */
} pc;

/* Count one refresh write; true when "meta:purge" is due a visit. */
static bool
purge_count(const struct conf *c, time_t now)
{
	if (strncmp(pc.db, c->state_db, sizeof(pc.db)) != 0) {
		memset(&pc, 0, sizeof(pc));
		(void)snprintf(pc.db, sizeof(pc.db), "%s", c->state_db);
	}
	pc.writes++;
	return !pc.seen || pc.writes >= STATE_PURGE_BATCH ||
	    (int64_t)now - pc.last >= STATE_PURGE_SECONDS;
}

/*
 * Count a refresh write; purge now and then (no cron job needed).
 * "meta:purge" is "LAST WRITES KEPT": a purge walks every record, so it
 * runs only after as many writes as it kept records last time (at
 * least STATE_PURGE_WRITES), or after STATE_PURGE_SECONDS: a walk every
 * 100 logins made each login cost a pass over all live tokens.  WRITES
 * is added to in batches (purge_count).
 */
static enum ag_err
maybe_purge(const struct conf *c, GDBM_FILE dbf, time_t now)
{
	char		 val[96];
	int64_t		 v[3] = { 0, 0, 0 };
	enum ag_err	 e;

	if (!purge_count(c, now))
		return AG_OK;
	e = get_str(dbf, "meta:purge", val, sizeof(val));
	if (e == AG_OK && !parse_nums(val, v, 3) && !parse_nums(val, v, 2))
		v[0] = v[1] = v[2] = 0;
	else if (e != AG_OK && e != AG_ENOENT)
		return e;
	if (e == AG_ENOENT)
		v[0] = now;	/* a new db: nothing to purge yet */
	v[1] += pc.writes;
	if ((v[1] >= STATE_PURGE_WRITES && v[1] >= v[2]) ||
	    now - v[0] >= STATE_PURGE_SECONDS) {
		if ((e = purge_locked(c, dbf, now, &v[2])) != AG_OK)
			return e;
		v[0] = now;
		v[1] = 0;
	}
	(void)snprintf(val, sizeof(val), "%lld %lld %lld", (long long)v[0],
	    (long long)v[1], (long long)v[2]);
	if ((e = put_str(c, dbf, "meta:purge", val)) != AG_OK)
		return e;
	pc.writes = 0;
	pc.last = v[0];
	pc.seen = true;
	return AG_OK;
}

/*
 * Make a new refresh token for r into tok and store it through dbf,
 * with the write lock held (r->family "" starts a family).
 */
static enum ag_err
rt_store_new(const struct conf *c, GDBM_FILE dbf, struct refresh *r,
    time_t now, char tok[AG_REFRESH_LEN + 1])
{
	unsigned char	 raw[32];
	char		 key[KEY_MAX], fam[FAMILY_LEN + 1], val[VAL_MAX];
	datum		 k, v;
	int		 rc;
	enum ag_err	 e;

	tok[0] = '\0';
	if (!field_ok(r->user, AG_NAME_MAX) || r->user[0] == '\0' ||
	    !field_ok(r->client_id, AG_NAME_MAX) ||
	    !field_ok(r->scope, AG_SCOPE_MAX) ||
	    !field_ok(r->family, AG_REFRESH_LEN) || r->gen < 0)
		return AG_EINVAL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return AG_EUNAVAIL;
	e = b64_encode(raw, sizeof(raw), tok, AG_REFRESH_LEN + 1) ==
	    AG_REFRESH_LEN && rt_key(tok, key, sizeof(key), fam, sizeof(fam)) ?
	    AG_OK : AG_EINVAL;
	OPENSSL_cleanse(raw, sizeof(raw));
	if (e != AG_OK)
		goto fail;
	if (r->family[0] == '\0')
		memcpy(r->family, fam, sizeof(fam));
	if (r->exp == 0)
		r->exp = (int64_t)now + c->refresh_token_ttl;
	if ((e = rt_format(r, false, val, sizeof(val))) != AG_OK)
		goto fail;
	k.dptr = key;
	k.dsize = (int)strlen(key);
	v.dptr = val;
	v.dsize = (int)strlen(val);
	if ((rc = gdbm_store(dbf, k, v, GDBM_INSERT)) != 0) {
		log_msg("state_db %s: store: %s", c->state_db,
		    rc == 1 ? "token exists" : gdbm_db_strerror(dbf));
		e = AG_EUNAVAIL;
		goto fail;
	}
	return maybe_purge(c, dbf, now);
fail:
	OPENSSL_cleanse(tok, AG_REFRESH_LEN + 1);
	tok[0] = '\0';
	return e;
}

/* Close after storing a token: on failure the token is no more. */
static enum ag_err
rt_close(const struct conf *c, GDBM_FILE dbf, int lockfd, enum ag_err e,
    char tok[AG_REFRESH_LEN + 1])
{
	if ((e = st_close(c, dbf, lockfd, true, e)) != AG_OK) {
		OPENSSL_cleanse(tok, AG_REFRESH_LEN + 1);
		tok[0] = '\0';
	}
	return e;
}

enum ag_err
state_refresh_new(const struct conf *c, struct refresh *r,
    char tok[AG_REFRESH_LEN + 1])
{
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	tok[0] = '\0';
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = rt_store_new(c, dbf, r, time(NULL), tok);
	return rt_close(c, dbf, lockfd, e, tok);
}

enum ag_err
state_login_ok(const struct conf *c, const char *user, struct refresh *r,
    char tok[AG_REFRESH_LEN + 1])
{
	char		 key[KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if (tok != NULL)
		tok[0] = '\0';
	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = del_key(c, dbf, key);
	if (e == AG_OK && r != NULL)
		e = rt_store_new(c, dbf, r, time(NULL), tok);
	if (r == NULL)
		return st_close(c, dbf, lockfd, true, e);
	return rt_close(c, dbf, lockfd, e, tok);
}

/* Look tok up under the open lock; see state_refresh_rotate for codes. */
static enum ag_err
rt_lookup(GDBM_FILE dbf, const char *tok, time_t now, char *key,
    size_t keysz, struct refresh *r, bool *used)
{
	char		 fam[FAMILY_LEN + 1], val[VAL_MAX];
	enum ag_err	 e;

	*used = false;
	if (!rt_key(tok, key, keysz, fam, sizeof(fam)))
		return AG_ENOENT;
	if ((e = get_str(dbf, key, val, sizeof(val))) != AG_OK)
		return e;
	if ((e = rt_parse(val, r, used)) != AG_OK)
		return e;
	if (r->exp <= (int64_t)now)
		return AG_ENOENT;
	if (family_revoked(dbf, r->family, &e))
		return e != AG_OK ? e : AG_EDENIED;
	return AG_OK;
}

/* peek and find: a shared-locked look-up. */
static enum ag_err
rt_peek(const struct conf *c, const char *tok, time_t now,
    struct refresh *r, bool *used)
{
	struct refresh	 cur;
	char		 key[KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	memset(r, 0, sizeof(*r));
	*used = false;
	if ((e = st_open(c, false, &lockfd, &dbf)) != AG_OK)
		return e;
	if (dbf == NULL)
		e = AG_ENOENT;
	else
		e = rt_lookup(dbf, tok, now, key, sizeof(key), &cur, used);
	e = st_close(c, dbf, lockfd, false, e);
	if (e == AG_OK)
		*r = cur;
	return e;
}

enum ag_err
state_refresh_peek(const struct conf *c, const char *tok, time_t now,
    struct refresh *r)
{
	bool		 used;
	enum ag_err	 e;

	if ((e = rt_peek(c, tok, now, r, &used)) == AG_OK && used) {
		memset(r, 0, sizeof(*r));
		e = AG_EDENIED;
	}
	return e;
}

enum ag_err
state_refresh_find(const struct conf *c, const char *tok, time_t now,
    struct refresh *r)
{
	bool	 used;

	return rt_peek(c, tok, now, r, &used);
}

/*
 * One transaction: the replacement is stored first and the old token
 * marked used after, so a failure at either step leaves the old one
 * usable and the new one never handed out (a replacement stored whose
 * old token could not be marked is deleted again; if even that fails,
 * it is a token nobody holds, purged when it expires).
 */
enum ag_err
state_refresh_rotate(const struct conf *c, const char *oldtok, time_t now,
    struct refresh *nr, char tok[AG_REFRESH_LEN + 1])
{
	struct refresh	 cur;
	char		 key[KEY_MAX], nkey[KEY_MAX], fam[FAMILY_LEN + 1];
	char		 val[VAL_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	bool		 used;
	enum ag_err	 e;

	tok[0] = '\0';
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = rt_lookup(dbf, oldtok, now, key, sizeof(key), &cur, &used);
	if (e == AG_OK && used) {
		/* A replayed token: someone holds a copy.  Kill the family
		 * so neither the thief nor the owner can go on. */
		e = family_revoke(c, dbf, cur.family,
		    (int64_t)now + c->refresh_token_ttl);
		if (e == AG_OK)
			log_msg("refresh token reused: family %.8s revoked, "
			    "user \"%s\"", cur.family, cur.user);
		/* the revocation must be stored even though the answer
		 * is "no" */
		if ((e = st_close(c, dbf, lockfd, true, e)) == AG_OK)
			e = AG_EDENIED;
		return e;
	}
	if (e == AG_OK && (strcmp(cur.family, nr->family) != 0 ||
	    strcmp(cur.user, nr->user) != 0 || cur.gen != nr->gen))
		e = AG_ENOENT;	/* not the grant the caller checked */
	if (e == AG_OK)
		e = rt_store_new(c, dbf, nr, now, tok);
	if (e == AG_OK && (e = rt_format(&cur, true, val, sizeof(val))) ==
	    AG_OK && (e = put_str(c, dbf, key, val)) != AG_OK &&
	    rt_key(tok, nkey, sizeof(nkey), fam, sizeof(fam)))
		(void)del_key(c, dbf, nkey);
	return rt_close(c, dbf, lockfd, e, tok);
}

enum ag_err
state_refresh_revoke(const struct conf *c, const char *tok)
{
	struct refresh	 cur;
	char		 key[KEY_MAX], fam[FAMILY_LEN + 1], val[VAL_MAX];
	GDBM_FILE	 dbf;
	bool		 used;
	int		 lockfd;
	enum ag_err	 e;

	if (!rt_key(tok, key, sizeof(key), fam, sizeof(fam)))
		return AG_ENOENT;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	if ((e = get_str(dbf, key, val, sizeof(val))) == AG_OK &&
	    (e = rt_parse(val, &cur, &used)) == AG_OK)
		e = family_revoke(c, dbf, cur.family,
		    (int64_t)time(NULL) + c->refresh_token_ttl);
	return st_close(c, dbf, lockfd, true, e);
}

/* With the write lock held; *kept receives the records left. */
static enum ag_err
purge_locked(const struct conf *c, GDBM_FILE dbf, time_t now,
    int64_t *kept)
{
	datum		 k, nk;
	char		 key[KEY_MAX + 64], val[VAL_MAX];
	char		**dead = NULL, **nd;
	size_t		 ndead = 0, cap = 0, i, nkeys = 0;
	struct refresh	 r;
	struct failinfo	 fi;
	int64_t		 v;
	bool		 used, drop;
	enum ag_err	 e = AG_OK;

	*kept = 0;
	/* collect first: deleting while walking may skip keys */
	for (k = gdbm_firstkey(dbf); k.dptr != NULL; k = nk) {
		drop = false;
		if (k.dsize > 0 && (size_t)k.dsize < sizeof(key)) {
			memcpy(key, k.dptr, (size_t)k.dsize);
			key[k.dsize] = '\0';
			if (get_str(dbf, key, val, sizeof(val)) != AG_OK)
				drop = false;
			else if (strncmp(key, "rt:", 3) == 0)
				drop = rt_parse(val, &r, &used) != AG_OK ||
				    r.exp < (int64_t)now;
			else if (strncmp(key, "fam:", 4) == 0)
				drop = !parse_nums(val, &v, 1) ||
				    v < (int64_t)now;
			else if (strncmp(key, "fail:", 5) == 0)
				drop = fail_read(dbf, key, &fi) == AG_OK &&
				    fi.last < (int64_t)now - DAY &&
				    fi.locked_until < (int64_t)now;
		}
		if (drop) {
			if (ndead == cap) {
				cap = cap ? cap * 2 : 64;
				if ((nd = reallocarray(dead, cap,
				    sizeof(*dead))) == NULL) {
					free(k.dptr);
					e = AG_ENOMEM;
					break;
				}
				dead = nd;
			}
			if ((dead[ndead] = strdup(key)) == NULL) {
				free(k.dptr);
				e = AG_ENOMEM;
				break;
			}
			ndead++;
		}
		nkeys++;
		nk = gdbm_nextkey(dbf, k);
		free(k.dptr);
	}
	*kept = (int64_t)(nkeys - ndead);
	for (i = 0; i < ndead; i++) {
		if (e == AG_OK)
			e = del_key(c, dbf, dead[i]);
		free(dead[i]);
	}
	free(dead);
	/* The deny list too; a failure there is logged and stops
	 * nothing (deny.c). */
	if (e == AG_OK)
		state_deny_prune_locked(c, now);
	return e;
}

enum ag_err
state_purge(const struct conf *c, time_t now)
{
	GDBM_FILE	 dbf;
	int64_t		 kept;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = purge_locked(c, dbf, now, &kept);
	return st_close(c, dbf, lockfd, true, e);
}

void
state_close(void)
{
	state_deny_close();
}
