/*
 * Files on disk: atomic writes, directory fsync, and the owner of what
 * root creates under the service's tree.  See fsutil.h.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

/* The directory part of path into dir ("." for a bare name). */
static bool
parent_of(const char *path, char *dir, size_t dirsz)
{
	const char	*slash;
	size_t		 n;

	if ((slash = strrchr(path, '/')) == NULL) {
		if (dirsz < 2)
			return false;
		memcpy(dir, ".", 2);
		return true;
	}
	/* "a/b//c": the slashes before the name are not part of it. */
	while (slash > path && slash[-1] == '/')
		slash--;
	n = slash == path ? 1 : (size_t)(slash - path);	/* "/" */
	if (n >= dirsz)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return true;
}

int
fsu_sync_dir(const char *path)
{
	char	 dir[PATH_MAX];
	int	 fd, rc, saved;

	if (!parent_of(path, dir, sizeof(dir))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

bool
fsu_parent_owner(const char *path, struct fsu_owner *o)
{
	struct stat	 st;
	char		 dir[PATH_MAX];

	if (!parent_of(path, dir, sizeof(dir)) || stat(dir, &st) == -1)
		return false;
	o->uid = st.st_uid;
	o->gid = st.st_gid;
	return true;
}

/* The owner a file created at path gets as root; false: leave it. */
static bool
owner_for(const char *path, const struct fsu_owner *want, bool replace,
    struct fsu_owner *o)
{
	struct stat	 st;

	if (geteuid() != 0)
		return false;
	if (want != NULL) {
		*o = *want;
		return true;
	}
	/* Replacing a file keeps its owner. */
	if (replace && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		o->uid = st.st_uid;
		o->gid = st.st_gid;
		return true;
	}
	return fsu_parent_owner(path, o);
}

int
fsu_chown_root(const char *path, const struct fsu_owner *o)
{
	if (geteuid() != 0 || o == NULL)
		return 0;
	return lchown(path, o->uid, o->gid);
}

static void
stamp_of(const struct stat *st, struct fsu_stamp *s)
{
	s->exists = 1;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtim = st->st_mtim;
	s->ctim = st->st_ctim;
}

void
fsu_stamp_path(const char *path, struct fsu_stamp *s)
{
	struct stat	 st;

	memset(s, 0, sizeof(*s));
	if (path[0] != '\0' && stat(path, &st) == 0)
		stamp_of(&st, s);
}

void
fsu_stamp_fd(int fd, struct fsu_stamp *s)
{
	struct stat	 st;

	memset(s, 0, sizeof(*s));
	if (fstat(fd, &st) == 0)
		stamp_of(&st, s);
}

bool
fsu_stamp_eq(const struct fsu_stamp *a, const struct fsu_stamp *b,
    bool with_ctime)
{
	return a->exists == b->exists && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec && (!with_ctime ||
	    (a->ctim.tv_sec == b->ctim.tv_sec &&
	    a->ctim.tv_nsec == b->ctim.tv_nsec));
}

bool
fsu_flock_wait(int fd, int how, long timeout_ms)
{
	struct timespec	 nap = { 0, 20000L };
	long long	 waited = 0;

	while (flock(fd, how | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return false;
		if (waited >= timeout_ms * 1000000LL) {
			errno = EWOULDBLOCK;
			return false;
		}
		(void)nanosleep(&nap, NULL);
		waited += nap.tv_nsec;
		if ((nap.tv_nsec *= 2) > 2000000L)
			nap.tv_nsec = 2000000L;
	}
	return true;
}

int
fsu_own_new(const char *path)
{
	struct fsu_owner	 o;

	if (geteuid() != 0 || !fsu_parent_owner(path, &o))
		return 0;
	return lchown(path, o.uid, o.gid);
}

int
fsu_own_new_fd(int fd, const char *path)
{
	struct fsu_owner	 o;

	if (geteuid() != 0 || !fsu_parent_owner(path, &o))
		return 0;
	return fchown(fd, o.uid, o.gid);
}

int
fsu_open_new(const char *path, int flags, mode_t mode)
{
	int	 fd;

	if ((fd = open(path, flags | O_CREAT | O_EXCL, mode)) != -1) {
		(void)fsu_own_new(path);
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return open(path, flags, mode);
}

static bool
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

enum ag_err
fsu_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, bool replace, const struct fsu_owner *owner, char *why,
    size_t whysz)
{
	struct fsu_owner o;
	char		 tmp[PATH_MAX];
	bool		 chown_it;
	int		 fd, n;
	enum ag_err	 e = AG_EINVAL;

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		ag_why(why, whysz, "%s: path too long", path);
		return AG_EINVAL;
	}
	if (!replace && access(path, F_OK) == 0) {
		ag_why(why, whysz, "%s: exists; not overwritten (use "
		    "--force)", path);
		return AG_EEXIST;
	}
	chown_it = owner_for(path, owner, replace, &o);
	/* mkostemp opens with O_CREAT|O_EXCL and mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		ag_why(why, whysz, "%s: %s", tmp, strerror(errno));
		return AG_EINVAL;
	}
	if ((chown_it && fchown(fd, o.uid, o.gid) == -1) ||
	    fchmod(fd, mode) == -1 || !write_all(fd, data, len) ||
	    fsync(fd) == -1) {
		ag_why(why, whysz, "%s: %s", tmp, strerror(errno));
		(void)close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		ag_why(why, whysz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (replace) {
		if (rename(tmp, path) == -1) {
			ag_why(why, whysz, "%s: %s", path, strerror(errno));
			goto out;
		}
	} else if (link(tmp, path) == -1) {
		if (errno == EEXIST) {
			ag_why(why, whysz, "%s: exists; not overwritten (use "
			    "--force)", path);
			e = AG_EEXIST;
		} else
			ag_why(why, whysz, "%s: %s", path, strerror(errno));
		goto out;
	} else
		(void)unlink(tmp);
	/* Best effort: the file itself is on disk already. */
	(void)fsu_sync_dir(path);
	return AG_OK;
out:
	(void)unlink(tmp);
	return e;
}

enum ag_err
fsu_mkdir(const char *path, mode_t mode, const struct fsu_owner *owner,
    char *why, size_t whysz)
{
	struct stat	 st;
	struct fsu_owner o;
	bool		 chown_it;

	chown_it = owner_for(path, owner, false, &o);
	if (mkdir(path, mode) == -1) {
		if (errno == EEXIST && stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			return AG_OK;
		if (errno == EEXIST)
			errno = ENOTDIR;
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	/* mkdir applies the umask; the mode asked for is the mode. */
	if ((chown_it && lchown(path, o.uid, o.gid) == -1) ||
	    chmod(path, mode) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	(void)fsu_sync_dir(path);
	return AG_OK;
}
