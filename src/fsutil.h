/*
 * Files on disk: atomic writes (temporary file, fsync, rename),
 * directory fsync, and the owner of what authgatectl makes as root.
 *
 * authgatectl is often run as root while authgate runs as a user of its
 * own; a file or directory root creates there must not end up root's,
 * or the service can no longer read it.  So when the effective uid is
 * 0, whatever these functions create gets an owner: the one the caller
 * names, else, for a file replaced, the owner it had, else the owner
 * and group of its parent directory.  As any other user nothing is
 * chowned.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "authgate.h"

struct fsu_owner {
	uid_t	 uid;
	gid_t	 gid;
};

/* fsync the directory holding path, so a rename or unlink in it
 * survives a crash.  0 or -1 (errno set). */
int		 fsu_sync_dir(const char *path);
/* Owner and group of path's parent directory; false if it cannot be
 * read. */
bool		 fsu_parent_owner(const char *path, struct fsu_owner *o);
/*
 * Write len bytes to path with mode through a temporary file in the
 * same directory, fsync, then rename over an existing file when
 * replace, else link (which refuses, AG_EEXIST, to replace one).  The
 * owner as root: see above; owner NULL for the default.
 */
enum ag_err	 fsu_write_atomic(const char *path, const void *data,
		    size_t len, mode_t mode, bool replace,
		    const struct fsu_owner *owner, char *why, size_t whysz);
/*
 * mkdir path with mode; an existing directory is AG_OK and left as it
 * is.  As root the new directory gets owner, or (owner NULL) the owner
 * of its parent.
 */
enum ag_err	 fsu_mkdir(const char *path, mode_t mode,
		    const struct fsu_owner *owner, char *why, size_t whysz);
/* As root, chown path to o (a file another call created or renamed
 * into place); nothing otherwise.  0 or -1. */
int		 fsu_chown_root(const char *path, const struct fsu_owner *o);

/*
 * What a file looked like: enough to tell that it was replaced or
 * changed (a change moves mtime or ctime; file systems with a coarse
 * clock need more, see dbfile.c).  exists 0: it was not there.
 */
struct fsu_stamp {
	int		 exists;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim, ctim;
};

/* The stamp of path (stat(2)), or of fd. */
void		 fsu_stamp_path(const char *path, struct fsu_stamp *s);
void		 fsu_stamp_fd(int fd, struct fsu_stamp *s);
/* Same file, same size and times (with_ctime: ctime too). */
bool		 fsu_stamp_eq(const struct fsu_stamp *a,
		    const struct fsu_stamp *b, bool with_ctime);
/*
 * flock(2) fd (LOCK_SH or LOCK_EX), waiting at most timeout_ms.  flock
 * cannot time out, so it is polled, with naps from 20 us doubling to
 * 2 ms: a lock held for tens of microseconds (a login's write) costs a
 * waiter about that much, one held long no more than 500 polls a
 * second.  False with errno EWOULDBLOCK when the time ran out.
 */
bool		 fsu_flock_wait(int fd, int how, long timeout_ms);
/* As root, give path (just created) the owner of its parent directory;
 * nothing otherwise.  0 or -1. */
int		 fsu_own_new(const char *path);
/* The same for fd, open on a file just created at (or to be renamed
 * to) path. */
int		 fsu_own_new_fd(int fd, const char *path);
/* open(2) with O_CREAT, and fsu_own_new() when this call created it. */
int		 fsu_open_new(const char *path, int flags, mode_t mode);

#endif
