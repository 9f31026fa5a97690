/*
 * Failed logins and lockout, in state_db (see state.h).
 *
 * Record:
 *	"fail:USER"	"FAILURES LAST LOCKED_UNTIL"
 *
 * Attempts in flight.  However many requests arrive at once, at most
 * lockout_threshold passwords of a user are checked before the lockout
 * holds: an attempt first enters itself in a table of attempts in
 * flight, then counts the entries of its user there and reads the
 * failures stored, and has its password checked only if the failures
 * since the last lockout and the attempts in flight together stay
 * within the threshold.  It stores its failure before it leaves the
 * table, so each attempt checked is counted, in the table or in the
 * failures, by every attempt that enters after it.  The table,
 * "<state_db>.inflight", is mapped by every process and changed with
 * atomic operations; an entry holds a hash of the name (keyed by a
 * random seed in the file, so nobody can aim at another user's
 * entries), the process and the time.  An entry whose process is gone
 * (killed mid-login) or that is older than INFLIGHT_STALE is taken
 * back by whoever meets it.  Two names with the same hash only count
 * each other's attempts, which can only refuse early, never check
 * more.  So a successful login costs a read of state_db and one write
 * (state_login_ok; none without refresh tokens or failures to forget).
 * A table that cannot be mapped, or is full, fails the login closed
 * (503), as a failure that cannot be stored does.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdbm.h>
#include <openssl/rand.h>

#include "conf.h"
#include "fsutil.h"
#include "log.h"
#include "state.h"
#include "state_db.h"

#define INFLIGHT_SLOTS	1024		/* logins in flight at once */
#define INFLIGHT_HEAD	64		/* the seed, then padding */
#define INFLIGHT_SIZE	(INFLIGHT_HEAD + INFLIGHT_SLOTS * 16)
#define INFLIGHT_STALE	120		/* s: no login takes longer */
#define INFLIGHT_TAKEN	1		/* an entry being filled in */

/* An entry: hash 0 free, INFLIGHT_TAKEN being filled in, else the
 * user's; who: pid << 32 | the time it entered (low 32 bits). */
struct inflight {
	uint64_t	 hash;
	uint64_t	 who;
};

/* The table as this process maps it (struct state's inf). */
struct inflight_map {
	pthread_mutex_t	 mtx;
	struct inflight	*e;			/* INFLIGHT_SLOTS, or NULL */
	uint64_t	 seed;
	void		*map;
};

struct inflight_map *
inflight_new(void)
{
	struct inflight_map	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (pthread_mutex_init(&m->mtx, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void
inflight_free(struct inflight_map *m)
{
	if (m == NULL)
		return;
	if (m->map != NULL)
		(void)munmap(m->map, INFLIGHT_SIZE);
	(void)pthread_mutex_destroy(&m->mtx);
	free(m);
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

/* Make "<state_db>.inflight" whole before it appears: written aside
 * with its random seed, then linked into place (the first one wins). */
static bool
inflight_create(const char *path)
{
	char		 tmp[PATH_MAX];
	uint64_t	 seed;
	int		 fd, n;
	bool		 ok = false;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		return false;
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return false;
	/* every page allocated now: writing to a mapped page that a full
	 * disk cannot back would be SIGBUS */
	if (posix_fallocate(fd, 0, INFLIGHT_SIZE) == 0 &&
	    pwrite(fd, &seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		ok = true;
	if (close(fd) == -1)
		ok = false;
	if (ok && link(tmp, path) == -1 && errno != EEXIST)
		ok = false;
	if (ok)
		(void)fsu_own_new(path);
	(void)unlink(tmp);
	return ok;
}

/* With sdb->inf->mtx held: the table mapped; false if it cannot be
 * (tried again at the next login). */
static bool
inflight_map(struct state *sdb)
{
	const struct conf	*c = sdb->c;
	struct inflight_map	*inf = sdb->inf;
	char		 path[PATH_MAX];
	struct stat	 st;
	void		*p;
	int		 fd, n;

	if (inf->e != NULL)
		return true;
	n = snprintf(path, sizeof(path), "%s.inflight", c->state_db);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    (errno != ENOENT || !inflight_create(path) ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1))
		return false;
	/* a page past the end of a file, or one a full disk cannot back,
	 * is SIGBUS: check the size, and that it is all allocated */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != INFLIGHT_SIZE ||
	    posix_fallocate(fd, 0, INFLIGHT_SIZE) != 0) {
		log_msg("%s: not a file of %d bytes: remove it", path,
		    INFLIGHT_SIZE);
		(void)close(fd);
		return false;
	}
	p = mmap(NULL, INFLIGHT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	(void)close(fd);
	if (p == MAP_FAILED)
		return false;
	inf->map = p;
	memcpy(&inf->seed, p, sizeof(inf->seed));
	inf->e = (struct inflight *)((char *)p + INFLIGHT_HEAD);
	return true;
}

/* The hash of user: FNV-1a of the seed and the name; never 0 or 1. */
static uint64_t
inflight_hash(uint64_t seed, const char *user)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 i;

	for (i = 0; i < sizeof(seed); i++)
		h = (h ^ ((seed >> (8 * i)) & 0xff)) * 1099511628211ULL;
	for (i = 0; user[i] != '\0'; i++)
		h = (h ^ (unsigned char)user[i]) * 1099511628211ULL;
	return h > INFLIGHT_TAKEN ? h : h + 2;
}

/* The table for c, or NULL; *seed its seed. */
static struct inflight *
inflight_table(struct state *sdb, uint64_t *seed)
{
	struct inflight	*t;

	if (pthread_mutex_lock(&sdb->inf->mtx) != 0)
		return NULL;
	t = inflight_map(sdb) ? sdb->inf->e : NULL;
	*seed = sdb->inf->seed;
	(void)pthread_mutex_unlock(&sdb->inf->mtx);
	return t;
}

/* An entry of a process gone, or older than any login: take it back. */
static bool
inflight_dead(struct inflight *e, uint64_t h, uint64_t who, time_t now)
{
	pid_t	 pid = (pid_t)(who >> 32);
	int64_t	 since = (int64_t)(now & 0xffffffff) -
		    (int64_t)(who & 0xffffffff);

	if (who == 0 || (since >= 0 && since < INFLIGHT_STALE &&
	    (kill(pid, 0) == 0 || errno != ESRCH)))
		return false;
	/* it may have been reused meanwhile: only if still the same */
	return __atomic_load_n(&e->who, __ATOMIC_SEQ_CST) == who &&
	    __atomic_compare_exchange_n(&e->hash, &h, 0, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*
 * Enter an attempt of user: its entry's index into *slot, and the
 * entries of user in flight, this one included, into *n.
 */
static enum ag_err
inflight_enter(struct state *sdb, const char *user, time_t now,
    int *slot, long *n)
{
	struct inflight	*t;
	uint64_t	 seed, h, free0, who, hh;
	int		 i;

	*slot = -1;
	*n = 0;
	if ((t = inflight_table(sdb, &seed)) == NULL)
		return AG_EUNAVAIL;
	h = inflight_hash(seed, user);
	for (i = 0; i < INFLIGHT_SLOTS && *slot == -1; i++) {
		free0 = 0;
		if (__atomic_compare_exchange_n(&t[i].hash, &free0,
		    INFLIGHT_TAKEN, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			*slot = i;
	}
	if (*slot == -1)
		return AG_ETOOBIG;
	who = (uint64_t)getpid() << 32 | ((uint64_t)now & 0xffffffff);
	__atomic_store_n(&t[*slot].who, who, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t[*slot].hash, h, __ATOMIC_SEQ_CST);
	for (i = 0; i < INFLIGHT_SLOTS; i++) {
		hh = __atomic_load_n(&t[i].hash, __ATOMIC_SEQ_CST);
		if (hh == h && (i == *slot || !inflight_dead(&t[i], h,
		    __atomic_load_n(&t[i].who, __ATOMIC_SEQ_CST), now)))
			(*n)++;
	}
	return AG_OK;
}

static void
inflight_leave(struct state *sdb, int slot)
{
	struct inflight	*t;
	uint64_t	 seed;

	if (slot < 0 || slot >= INFLIGHT_SLOTS ||
	    (t = inflight_table(sdb, &seed)) == NULL)
		return;
	__atomic_store_n(&t[slot].who, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t[slot].hash, 0, __ATOMIC_SEQ_CST);
}

enum ag_err
state_fail_get(struct state *sdb, const char *user, struct failinfo *fi)
{
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	memset(fi, 0, sizeof(*fi));
	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(sdb, false, &lockfd, &dbf)) != AG_OK)
		return e;
	e = fail_read(dbf, key, fi);
	if (e != AG_OK)
		memset(fi, 0, sizeof(*fi));
	return st_close(sdb, dbf, lockfd, false, e);
}

/*
 * Count one failure of user at now with the write lock held; locks the
 * user when lockout_threshold is reached.
 */
static enum ag_err
fail_count(struct state *sdb, GDBM_FILE dbf, const char *key,
    time_t now, struct failinfo *cur)
{
	const struct conf	*c = sdb->c;
	char		 val[ST_VAL_MAX];
	int64_t		 dur;
	long		 t, k;
	enum ag_err	 e;

	if ((e = fail_read(dbf, key, cur)) != AG_OK)
		return e;
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
	return st_put(sdb, dbf, key, val);
}

enum ag_err
state_fail_add(struct state *sdb, const char *user, time_t now,
    struct failinfo *fi)
{
	struct failinfo	 cur;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if (fi != NULL)
		memset(fi, 0, sizeof(*fi));
	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = fail_count(sdb, dbf, key, now, &cur);
	if ((e = st_close(sdb, dbf, lockfd, true, e)) != AG_OK)
		return e;
	if (fi != NULL)
		*fi = cur;
	return AG_OK;
}

enum ag_err
state_login_begin(struct state *sdb, const char *user, time_t now,
    struct failinfo *fi, bool *locked_out, int *slot)
{
	const struct conf	*c = sdb->c;
	long		 n, t = c->lockout_threshold;
	enum ag_err	 e;

	*locked_out = false;
	memset(fi, 0, sizeof(*fi));
	if ((e = inflight_enter(sdb, user, now, slot, &n)) != AG_OK) {
		log_msg("state_db %s: cannot count a login in flight: %s",
		    c->state_db, e == AG_ETOOBIG ? "the table is full" :
		    "cannot map the table");
		return AG_EUNAVAIL;	/* fail closed, as for failures */
	}
	if ((e = state_fail_get(sdb, user, fi)) != AG_OK) {
		inflight_leave(sdb, *slot);
		*slot = -1;
		return e;
	}
	/* the failures since the last lockout, and those in flight */
	*locked_out = fi->locked_until > (int64_t)now ||
	    (t > 0 && fi->failures % t + n > t);
	return AG_OK;
}

void
state_login_end(struct state *sdb, int slot)
{
	inflight_leave(sdb, slot);
}

enum ag_err
state_fail_clear(struct state *sdb, const char *user)
{
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = st_del(sdb, dbf, key);
	return st_close(sdb, dbf, lockfd, true, e);
}

enum ag_err
lockout_forget(struct state *sdb, GDBM_FILE dbf, const char *user)
{
	char		 key[ST_KEY_MAX];
	enum ag_err	 e;

	if ((e = fail_key(user, key, sizeof(key))) != AG_OK)
		return e;
	return st_del(sdb, dbf, key);
}

bool
lockout_stale(const char *key, const char *val, time_t now)
{
	int64_t	 v[3];

	/* a day after the last failure, and no longer locked out */
	return strncmp(key, "fail:", 5) == 0 && st_parse_nums(val, v, 3) &&
	    v[1] < (int64_t)now - AG_DAY_SECONDS && v[2] < (int64_t)now;
}
