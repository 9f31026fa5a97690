/*
 * A GDBM file written record by record while others read it (see
 * dbfile.h).
 *
 * The locks.  GDBM's readers (ours, Apache's mod_authn_dbm, htdbm -v)
 * take a shared flock(2) on the file and fail at once if they cannot;
 * GDBM's writers (htdbm) take an exclusive one, also without waiting.
 * Our writers take turns on an exclusive flock of "<db>.lock", held
 * for the whole of a read-modify-write.
 *
 * A write, with the turn held:
 *  1. A shared flock on the live file L: no other program writes to it
 *     until the names are swapped; readers go on.
 *  2. The shadow S is checked against the stamps (inode, size, mtime,
 *     ctime of each) the last write left in "<db>.lock"; if either file
 *     changed since (another program wrote to L, a write was cut short,
 *     a bulk import), S is made anew as a copy of L.
 *  3. S is changed under an exclusive flock (nobody reads S by name;
 *     readers who opened it when it was L, before the last swap, are
 *     waited for), synced, and its flock turned shared.
 *  4. renameat2(RENAME_EXCHANGE) swaps the names: readers who open L
 *     from now on get the new file, whole, and those who opened the old
 *     one read it whole.
 *  5. The old file, now S, gets the same change, under an exclusive
 *     flock that waits for its last readers.
 *  6. Both files' mtimes are set to the precise time (futimens), and
 *     their stamps recorded, with both flocks still held.  File times
 *     come from a coarse clock (the last kernel tick), which a precise
 *     time practically never equals: any later change, even within the
 *     same tick, moves the mtime off the recorded one, so step 2 of the
 *     next write sees it.  Where futimens is refused, a tick (TICK_NS)
 *     is waited out instead.
 * So no reader ever waits for a writer or sees a half-written record,
 * and no write of another program is lost.  One race is left: a GDBM
 * reader of another program that opened the file by name just before a
 * swap, and is held up for longer than STALE_GRACE_NS before it takes
 * its lock, finds the old file locked by step 5 and fails, as it would
 * against htdbm writing (tests/integ/state.sh counts such refusals).  A file system that cannot
 * exchange names gets the change in place in L instead (under an
 * exclusive flock: readers may then fail for as long as a record's
 * write), logged once.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dbfile.h"
#include "fsutil.h"
#include "log.h"

#define LOCK_WAIT_MS		10000	/* wait at most 10 s for a lock */
/* Longer than a kernel clock tick (10 ms at HZ=100), which is how
 * coarse file times are. */
#define TICK_NS			12000000L
#define STAMP_TAG		"shadow1"
#define STALE_GRACE_NS		2000000L	/* see second_copy */
#define RESERVE_BLOCKS		4	/* GDBM blocks reserved per update */


enum ag_err
dbfile_read_open(const char *db, GDBM_FILE *dbfp)
{
	int	 fd;

	*dbfp = NULL;
	if ((fd = open(db, O_RDONLY | O_CLOEXEC)) == -1)
		return AG_EUNAVAIL;
	if (!fsu_flock_wait(fd, LOCK_SH, LOCK_WAIT_MS)) {
		(void)close(fd);
		return AG_EUNAVAIL;
	}
	*dbfp = gdbm_fd_open(fd, db, 0, GDBM_READER | GDBM_NOLOCK |
	    GDBM_NOMMAP | GDBM_CLOERROR | GDBM_XVERIFY, NULL);
	return *dbfp != NULL ? AG_OK : AG_EUNAVAIL;
}

enum ag_err
dbfile_reserve(GDBM_FILE dbf, const char *name)
{
	struct stat	 st;
	int		 depth = 0, block = 0, fd;
	off_t		 want;

	fd = gdbm_fdesc(dbf);
	if (fstat(fd, &st) == -1 ||
	    gdbm_setopt(dbf, GDBM_GETDIRDEPTH, &depth, sizeof(depth)) != 0 ||
	    gdbm_setopt(dbf, GDBM_GETBLOCKSIZE, &block, sizeof(block)) != 0 ||
	    depth < 0 || depth > 40 || block <= 0)
		return AG_OK;	/* GDBM will say what is wrong */
	/* a new directory twice the size, a few buckets and data blocks */
	want = ((off_t)2 << depth) * (off_t)sizeof(off_t) +
	    (off_t)block * RESERVE_BLOCKS;
	/* already there (an earlier write reserved it): no system call;
	 * else twice as much, so that the next writes need none */
	if ((off_t)st.st_blocks * 512 >= st.st_size + want)
		return AG_OK;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, 2 * want) == 0 ||
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, st.st_size, want) == 0)
		return AG_OK;
	if (errno == EOPNOTSUPP || errno == ENOSYS)
		return AG_OK;
	log_msg("%s: cannot reserve %lld bytes: %s", name, (long long)want,
	    strerror(errno));
	return AG_EUNAVAIL;
}

/* ---------------------------------------------------------- records */

static datum
key_datum(const char *key)
{
	datum	 k;

	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	return k;
}

enum ag_err
dbtx_fetch(struct dbtx *tx, const char *key, char *buf, size_t bufsz,
    size_t *len)
{
	datum	 v;

	*len = 0;
	v = gdbm_fetch(tx->dbf, key_datum(key));
	if (v.dptr == NULL)
		return gdbm_last_errno(tx->dbf) == GDBM_ITEM_NOT_FOUND ?
		    AG_ENOENT : AG_EUNAVAIL;
	if (v.dsize < 0 || (size_t)v.dsize > bufsz) {
		free(v.dptr);
		return AG_EUNAVAIL;
	}
	memcpy(buf, v.dptr, (size_t)v.dsize);
	*len = (size_t)v.dsize;
	free(v.dptr);
	return AG_OK;
}

/* Note a change for the second copy. */
static enum ag_err
journal(struct dbtx *tx, const char *key, const char *val, size_t vallen,
    bool del)
{
	struct dbtx_rec	*r;

	if (!tx->journal)
		return AG_OK;
	if (tx->n >= DBFILE_TX_MAX || strlen(key) >= sizeof(r->key) ||
	    vallen > sizeof(r->val))
		return AG_ETOOBIG;
	r = &tx->rec[tx->n++];
	memcpy(r->key, key, strlen(key) + 1);
	if (vallen > 0)
		memcpy(r->val, val, vallen);
	r->vallen = vallen;
	r->del = del;
	return AG_OK;
}

enum ag_err
dbtx_put(struct dbtx *tx, const char *key, const char *val, size_t vallen,
    bool must_be_new)
{
	datum		 v;
	enum ag_err	 e;
	int		 rc;

	if (vallen > INT_MAX)
		return AG_ETOOBIG;
	/* journal first: a change that cannot be noted is not made */
	if ((e = journal(tx, key, val, vallen, false)) != AG_OK)
		return e;
	v.dptr = (char *)val;
	v.dsize = (int)vallen;
	rc = gdbm_store(tx->dbf, key_datum(key), v,
	    must_be_new ? GDBM_INSERT : GDBM_REPLACE);
	if (rc == 0)
		return AG_OK;
	if (tx->journal)
		tx->n--;
	if (rc == 1)
		return AG_EEXIST;
	log_msg("user_db: store: %s", gdbm_db_strerror(tx->dbf));
	return AG_EUNAVAIL;
}

enum ag_err
dbtx_del(struct dbtx *tx, const char *key)
{
	enum ag_err	 e;

	if ((e = journal(tx, key, NULL, 0, true)) != AG_OK)
		return e;
	if (gdbm_delete(tx->dbf, key_datum(key)) == 0)
		return AG_OK;
	if (tx->journal)
		tx->n--;
	if (gdbm_last_errno(tx->dbf) == GDBM_ITEM_NOT_FOUND)
		return AG_ENOENT;
	log_msg("user_db: delete: %s", gdbm_db_strerror(tx->dbf));
	return AG_EUNAVAIL;
}

/* Make the changes noted in tx to dbf. */
static enum ag_err
replay(const struct dbtx *tx, GDBM_FILE dbf)
{
	const struct dbtx_rec	*r;
	datum			 v;
	size_t			 i;

	for (i = 0; i < tx->n; i++) {
		r = &tx->rec[i];
		if (r->del) {
			if (gdbm_delete(dbf, key_datum(r->key)) != 0 &&
			    gdbm_last_errno(dbf) != GDBM_ITEM_NOT_FOUND)
				return AG_EUNAVAIL;
			continue;
		}
		v.dptr = (char *)r->val;
		v.dsize = (int)r->vallen;
		if (gdbm_store(dbf, key_datum(r->key), v, GDBM_REPLACE) != 0)
			return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* ---------------------------------------------------------- files */

static enum ag_err
side_path(const char *db, const char *suffix, char *out, size_t outsz)
{
	int	 n;

	n = snprintf(out, outsz, "%s%s", db, suffix);
	return n < 0 || (size_t)n >= outsz ? AG_EINVAL : AG_OK;
}

static enum ag_err
fsync_dir(const char *db)
{
	return fsu_sync_dir(db) == 0 ? AG_OK : AG_EUNAVAIL;
}

/* Our writers' turn: an exclusive flock on "<db>.lock". */
static enum ag_err
wlock(const char *db, int *fdp)
{
	char	 path[PATH_MAX];
	int	 fd;

	*fdp = -1;
	if (side_path(db, ".lock", path, sizeof(path)) != AG_OK)
		return AG_EINVAL;
	/* made as root, it is the service's, or its writes would fail */
	if ((fd = fsu_open_new(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_msg("%s: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (!fsu_flock_wait(fd, LOCK_EX, LOCK_WAIT_MS)) {
		log_msg("%s: %s", path, errno == EWOULDBLOCK ?
		    "still locked after 10 s" : strerror(errno));
		(void)close(fd);
		return AG_EUNAVAIL;
	}
	*fdp = fd;
	return AG_OK;
}

/* The stamps of L and S the last write recorded; false if none. */
static bool
stamps_read(int lockfd, struct fsu_stamp *l, struct fsu_stamp *s)
{
	struct fsu_stamp	*st[2] = { l, s };
	char			 buf[512], *p = buf;
	uintmax_t		 v[7];
	ssize_t			 n;
	size_t			 i;
	int			 used;

	if ((n = pread(lockfd, buf, sizeof(buf) - 1, 0)) <= 0)
		return false;
	buf[n] = '\0';
	if (strncmp(p, STAMP_TAG, strlen(STAMP_TAG)) != 0)
		return false;
	p += strlen(STAMP_TAG);
	for (i = 0; i < 2; i++) {
		if (sscanf(p, " %ju %ju %ju %ju %ju %ju %ju%n", &v[0], &v[1],
		    &v[2], &v[3], &v[4], &v[5], &v[6], &used) != 7)
			return false;
		p += used;
		memset(st[i], 0, sizeof(*st[i]));
		st[i]->exists = 1;
		st[i]->dev = (dev_t)v[0];
		st[i]->ino = (ino_t)v[1];
		st[i]->size = (off_t)v[2];
		st[i]->mtim.tv_sec = (time_t)v[3];
		st[i]->mtim.tv_nsec = (long)v[4];
		st[i]->ctim.tv_sec = (time_t)v[5];
		st[i]->ctim.tv_nsec = (long)v[6];
	}
	return true;
}

static void
stamps_write(int lockfd, int lfd, int sfd)
{
	struct fsu_stamp	 st[2];
	char			 buf[512];
	size_t			 i;
	int			 n, len = 0;

	fsu_stamp_fd(lfd, &st[0]);
	fsu_stamp_fd(sfd, &st[1]);
	len = snprintf(buf, sizeof(buf), "%s", STAMP_TAG);
	for (i = 0; i < 2 && len > 0; i++) {
		n = snprintf(buf + len, sizeof(buf) - (size_t)len,
		    " %ju %ju %ju %ju %ju %ju %ju", (uintmax_t)st[i].dev,
		    (uintmax_t)st[i].ino, (uintmax_t)st[i].size,
		    (uintmax_t)st[i].mtim.tv_sec,
		    (uintmax_t)st[i].mtim.tv_nsec,
		    (uintmax_t)st[i].ctim.tv_sec,
		    (uintmax_t)st[i].ctim.tv_nsec);
		len = n < 0 || (size_t)n >= sizeof(buf) - (size_t)len ||
		    !st[i].exists ? 0 : len + n;
	}
	/* no stamps (0 bytes): the next write copies the shadow anew */
	if (ftruncate(lockfd, 0) == -1 ||
	    (len > 0 && pwrite(lockfd, buf, (size_t)len, 0) != len))
		(void)ftruncate(lockfd, 0);
}

/*
 * Open src to read under a shared flock into *oldp.  A missing src
 * leaves *oldp NULL and is AG_OK.
 */
static enum ag_err
open_src(const char *src, GDBM_FILE *oldp)
{
	int	 fd;

	*oldp = NULL;
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return AG_OK;
		log_msg("%s: %s", src, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (!fsu_flock_wait(fd, LOCK_SH, LOCK_WAIT_MS)) {
		(void)close(fd);
		log_msg("%s: still locked after 10 s", src);
		return AG_EUNAVAIL;
	}
	if ((*oldp = gdbm_fd_open(fd, src, 0, GDBM_READER | GDBM_NOLOCK |
	    GDBM_CLOERROR, NULL)) == NULL) {
		log_msg("%s: %s", src, gdbm_strerror(gdbm_errno));
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* Store every record of old (the file src) in nw. */
static enum ag_err
copy_records(GDBM_FILE old, GDBM_FILE nw, const char *src)
{
	datum	 k, nk, v;
	int	 ge;

	for (k = gdbm_firstkey(old); k.dptr != NULL; k = nk) {
		v = gdbm_fetch(old, k);
		ge = v.dptr == NULL ? -1 : gdbm_store(nw, k, v, GDBM_REPLACE);
		free(v.dptr);
		if (ge != 0) {
			free(k.dptr);
			log_msg("%s: copy: %s", src,
			    gdbm_db_strerror(v.dptr == NULL ? old : nw));
			return AG_EUNAVAIL;
		}
		nk = gdbm_nextkey(old, k);
		free(k.dptr);
	}
	if (gdbm_last_errno(old) != GDBM_ITEM_NOT_FOUND &&
	    gdbm_last_errno(old) != GDBM_NO_ERROR) {
		log_msg("%s: %s", src, gdbm_db_strerror(old));
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* Let fn edit nw through a transaction of its own. */
static enum ag_err
edit_copy(GDBM_FILE nw, dbfile_edit_fn fn, void *arg)
{
	struct dbtx	*tx;
	enum ag_err	 e;

	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return AG_ENOMEM;
	tx->dbf = nw;
	e = fn(tx, arg);
	free(tx);
	return e;
}

/*
 * Copy every record of src (read under a shared flock) into a new file
 * beside dst, let fn edit it (may be NULL), and rename it to dst.  A
 * missing src counts as empty.  On error dst is left as it was.
 */
static enum ag_err
copy_to(const char *src, const char *dst, dbfile_edit_fn fn, void *arg)
{
	char		 tmp[PATH_MAX];
	GDBM_FILE	 old, nw = NULL;
	enum ag_err	 e;
	int		 fd, ge;
	bool		 made = false;

	if ((e = side_path(dst, ".XXXXXX", tmp, sizeof(tmp))) != AG_OK)
		return e;
	if ((e = open_src(src, &old)) != AG_OK)
		return e;
	e = AG_EUNAVAIL;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_msg("%s: %s", tmp, strerror(errno));
		goto out;
	}
	made = true;
	nw = gdbm_fd_open(fd, tmp, 0, GDBM_NEWDB | GDBM_NOLOCK |
	    GDBM_CLOERROR, NULL);
	if (nw == NULL) {
		log_msg("%s: %s", tmp, gdbm_strerror(gdbm_errno));
		goto out;
	}
	if (old != NULL) {
		if (copy_records(old, nw, src) != AG_OK)
			goto out;
		/* Same owner and mode as before (works as root, or when
		 * they are ours already). */
		if (gdbm_copy_meta(nw, old) != 0)
			log_msg("%s: keeping owner and mode: %s", src,
			    gdbm_db_strerror(nw));
	} else if (fsu_own_new(tmp) == -1)
		log_msg("%s: chown: %s", tmp, strerror(errno));
	if (fn != NULL) {
		if ((e = edit_copy(nw, fn, arg)) != AG_OK)
			goto out;
		e = AG_EUNAVAIL;
	}
	ge = gdbm_close(nw);	/* syncs */
	nw = NULL;
	if (ge != 0) {
		log_msg("%s: %s", tmp, gdbm_strerror(gdbm_errno));
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		log_msg("%s: rename: %s", dst, strerror(errno));
		goto out;
	}
	made = false;
	e = fsync_dir(dst);
out:
	if (nw != NULL)
		(void)gdbm_close(nw);
	if (made)
		(void)unlink(tmp);
	if (old != NULL)
		(void)gdbm_close(old);
	return e;
}

/*
 * Mark the files fds are open on so that any later change shows (see
 * the top of the file): mtime the precise time now, or, where that is
 * refused, a kernel tick waited out.
 */
static void
mark(int fd1, int fd2)
{
	struct timespec	 ts[2], coarse, nap = { 0, TICK_NS };

	if (clock_gettime(CLOCK_REALTIME, &ts[1]) == 0 &&
	    clock_gettime(CLOCK_REALTIME_COARSE, &coarse) == 0) {
		/* never a value the coarse clock shows now */
		if (ts[1].tv_nsec == coarse.tv_nsec)
			ts[1].tv_nsec = (ts[1].tv_nsec + 1) % 1000000000L;
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		if (futimens(fd1, ts) == 0 && futimens(fd2, ts) == 0)
			return;
	}
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
}

/*
 * With the turn held: open db and its shadow, the shadow in step with
 * db (made anew when the stamps do not match), db under a shared flock
 * (*lfd) and the shadow under an exclusive one (*sfd).
 */
static enum ag_err
open_pair(const char *db, const char *shadow, int lockfd, int *lfd,
    int *sfd, struct fsu_stamp *l)
{
	struct fsu_stamp	 s, rl, rs;
	enum ag_err		 e;

	*sfd = -1;
	if ((*lfd = open(db, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    !fsu_flock_wait(*lfd, LOCK_SH, LOCK_WAIT_MS)) {
		log_msg("user_db %s: %s", db, strerror(errno));
		return AG_EUNAVAIL;
	}
	fsu_stamp_fd(*lfd, l);
	fsu_stamp_path(shadow, &s);
	if (!l->exists || !s.exists || !stamps_read(lockfd, &rl, &rs) ||
	    !fsu_stamp_eq(l, &rl, true) || !fsu_stamp_eq(&s, &rs, true)) {
		if ((e = copy_to(db, shadow, NULL, NULL)) != AG_OK)
			return e;
	}
	if ((*sfd = open(shadow, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    !fsu_flock_wait(*sfd, LOCK_EX, LOCK_WAIT_MS)) {
		log_msg("user_db %s: %s", shadow, strerror(errno));
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* Open a writer's handle on the file fd is open on, fd kept open (and
 * its flock held) after gdbm_close(). */
static GDBM_FILE
writer_on(int fd, const char *name)
{
	GDBM_FILE	 dbf;
	int		 gfd;

	if ((gfd = dup(fd)) == -1)
		return NULL;
	dbf = gdbm_fd_open(gfd, name, 0, GDBM_WRITER | GDBM_NOLOCK |
	    GDBM_NOMMAP | GDBM_CLOERROR, NULL);
	if (dbf == NULL)
		log_msg("user_db %s: %s", name, gdbm_strerror(gdbm_errno));
	return dbf;
}

/* Close a writer's handle (which syncs); AG_EUNAVAIL if that fails. */
static enum ag_err
writer_close(GDBM_FILE dbf, const char *name, enum ag_err e)
{
	if (gdbm_close(dbf) != 0 && e == AG_OK) {
		log_msg("user_db %s: close: %s", name,
		    gdbm_strerror(gdbm_errno));
		e = AG_EUNAVAIL;
	}
	return e;
}

/*
 * Make tx's changes to the file fd is open on, under an exclusive flock
 * that fd held shared (flock(2) turns it by letting go first: another
 * program's writer could slip in, and its change would be lost with
 * this file, which was the live one when it opened it; was, the file's
 * stamp when the turn began, tells).
 */
static enum ag_err
second_copy(int fd, const char *name, const struct dbtx *tx,
    const struct fsu_stamp *was)
{
	struct fsu_stamp	 now;
	struct timespec		 grace = { 0, STALE_GRACE_NS };
	GDBM_FILE		 dbf;

	/* A reader that opened this file by name just before the swap
	 * takes its shared flock a moment later; taken first, our
	 * exclusive one would make it fail (GDBM readers do not wait).
	 * Give it that moment: then we wait for it instead. */
	(void)nanosleep(&grace, NULL);
	if (!fsu_flock_wait(fd, LOCK_EX, LOCK_WAIT_MS))
		return AG_EUNAVAIL;
	fsu_stamp_fd(fd, &now);
	/* not ctime: the rename moved it */
	if (!fsu_stamp_eq(&now, was, false)) {
		log_msg("user_db %s: changed by another program during a "
		    "write: its change may be lost; check it", name);
		return AG_EUNAVAIL;
	}
	if ((dbf = writer_on(fd, name)) == NULL)
		return AG_EUNAVAIL;
	return writer_close(dbf, name, dbfile_reserve(dbf, name) == AG_OK ?
	    replay(tx, dbf) : AG_EUNAVAIL);
}

/*
 * Make the written shadow (sfd) the file db, with the turn held:
 * exchange their names, or where that cannot be done, write tx into
 * db (lfd) in place.  *swapped says whether the names were exchanged.
 */
static enum ag_err
swap_in(const char *db, const char *shadow, int lfd, int sfd,
    const struct dbtx *tx, const struct fsu_stamp *was, bool *swapped)
{
	static bool	 said_noexchange;
	enum ag_err	 e;

	*swapped = false;
	/* The new file is whole and synced: no other program can reach
	 * it before the swap, so turning its flock shared is safe. */
	(void)flock(sfd, LOCK_SH);
	if (renameat2(AT_FDCWD, shadow, AT_FDCWD, db, RENAME_EXCHANGE) == 0) {
		*swapped = true;
		if ((e = fsync_dir(db)) == AG_OK &&
		    second_copy(lfd, shadow, tx, was) != AG_OK) {
			log_msg("user_db %s: cannot update the shadow copy: "
			    "the next write copies the file", shadow);
			(void)unlink(shadow);
		}
		return e;
	}
	if (!said_noexchange)
		log_msg("user_db %s: cannot exchange names (%s): "
		    "writing in place", db, strerror(errno));
	said_noexchange = true;
	/* the shadow (sfd) has the change too: still in step */
	return second_copy(lfd, db, tx, was);
}

enum ag_err
dbfile_update(const char *db, dbfile_edit_fn fn, void *arg)
{
	char		 shadow[PATH_MAX];
	struct fsu_stamp was;
	struct dbtx	*tx;
	GDBM_FILE	 dbf;
	int		 lockfd, lfd = -1, sfd = -1;
	bool		 swapped = false;
	enum ag_err	 e;

	if ((e = side_path(db, ".shadow", shadow, sizeof(shadow))) != AG_OK ||
	    (e = dbfile_init(db)) != AG_OK)
		return e;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return AG_ENOMEM;
	if ((e = wlock(db, &lockfd)) != AG_OK)
		goto out;
	if ((e = open_pair(db, shadow, lockfd, &lfd, &sfd, &was)) != AG_OK)
		goto unlock;
	if ((dbf = writer_on(sfd, shadow)) == NULL) {
		e = AG_EUNAVAIL;
		goto unlock;
	}
	if ((e = dbfile_reserve(dbf, shadow)) != AG_OK) {
		(void)gdbm_close(dbf);
		goto unlock;
	}
	tx->dbf = dbf;
	tx->journal = true;
	e = writer_close(dbf, shadow, fn(tx, arg));
	if (e != AG_OK && tx->n > 0) {
		(void)unlink(shadow);	/* half made: copied anew next time */
		goto unlock;
	}
	if (tx->n == 0) {
		/* nothing written, but the reserve moved the shadow's times */
		mark(lfd, sfd);
		stamps_write(lockfd, lfd, sfd);
		goto unlock;
	}
	e = swap_in(db, shadow, lfd, sfd, tx, &was, &swapped);
	/* with both flocks held: see the top of the file */
	mark(lfd, sfd);
	if (e == AG_OK)
		stamps_write(lockfd, swapped ? sfd : lfd, swapped ? lfd : sfd);
unlock:
	if (lfd != -1)
		(void)close(lfd);
	if (sfd != -1)
		(void)close(sfd);
	(void)close(lockfd);
out:
	OPENSSL_clear_free(tx, sizeof(*tx));
	return e;
}

/* With the turn held: the shadow copied anew from db, and the stamps. */
static enum ag_err
shadow_anew(const char *db, int lockfd)
{
	char		 shadow[PATH_MAX];
	enum ag_err	 e;
	int		 lfd = -1, sfd = -1;

	if ((e = side_path(db, ".shadow", shadow, sizeof(shadow))) != AG_OK)
		return e;
	(void)ftruncate(lockfd, 0);
	if ((e = copy_to(db, shadow, NULL, NULL)) != AG_OK)
		return e;
	if ((lfd = open(db, O_RDONLY | O_CLOEXEC)) != -1 &&
	    (sfd = open(shadow, O_RDONLY | O_CLOEXEC)) != -1 &&
	    fsu_flock_wait(lfd, LOCK_SH, LOCK_WAIT_MS)) {
		mark(lfd, sfd);
		stamps_write(lockfd, lfd, sfd);
	}
	if (lfd != -1)
		(void)close(lfd);
	if (sfd != -1)
		(void)close(sfd);
	return AG_OK;
}

enum ag_err
dbfile_rewrite(const char *db, dbfile_edit_fn fn, void *arg)
{
	int		 lockfd;
	enum ag_err	 e;

	if ((e = wlock(db, &lockfd)) != AG_OK)
		return e;
	if ((e = copy_to(db, db, fn, arg)) == AG_OK)
		e = shadow_anew(db, lockfd);
	(void)close(lockfd);
	return e;
}

enum ag_err
dbfile_init(const char *db)
{
	struct stat	 st;

	if (stat(db, &st) == 0)
		return AG_OK;
	if (errno != ENOENT) {
		log_msg("%s: %s", db, strerror(errno));
		return AG_EUNAVAIL;
	}
	return dbfile_rewrite(db, NULL, NULL);
}
