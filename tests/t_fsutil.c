/*
 * fsutil: atomic writes (mode, replace or refuse), directory creation,
 * and, run as root, the owner of what is created: the one named, the
 * replaced file's, or the parent directory's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/fsutil.h"
#include "tap.h"

#define OTHER_UID	65534	/* nobody, on Debian */
#define OTHER_GID	65534

static char	 dir[] = "/tmp/t_fsutil.XXXXXX";
static char	 why[AG_WHY_MAX];

static void
path_in(char *buf, size_t sz, const char *name)
{
	if (snprintf(buf, sz, "%s/%s", dir, name) >= (int)sz)
		exit(1);
}

static bool
has(const char *path, const char *want)
{
	char	 buf[64];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static void
test_write(void)
{
	struct stat	 st;
	char		 p[PATH_MAX];
	enum ag_err	 e;

	path_in(p, sizeof(p), "f");
	e = fsu_write_atomic(p, "one", 3, 0600, false, NULL, why, sizeof(why));
	ok(e == AG_OK && has(p, "one"), "write a new file");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600");
	e = fsu_write_atomic(p, "two", 3, 0600, false, NULL, why, sizeof(why));
	ok(e == AG_EEXIST && has(p, "one"), "no replace: refused, kept");
	ok(strstr(why, p) != NULL, "the message names the file");
	e = fsu_write_atomic(p, "two", 3, 0644, true, NULL, why, sizeof(why));
	ok(e == AG_OK && has(p, "two"), "replace");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "the mode asked for, whatever the umask");
	path_in(p, sizeof(p), "no/such/dir/f");
	e = fsu_write_atomic(p, "x", 1, 0600, true, NULL, why, sizeof(why));
	ok(e == AG_EINVAL && strstr(why, "No such file") != NULL,
	    "missing directory: an error saying so");
}

static void
test_mkdir(void)
{
	struct stat	 st;
	char		 p[PATH_MAX];

	path_in(p, sizeof(p), "d");
	ok(fsu_mkdir(p, 0700, NULL, why, sizeof(why)) == AG_OK &&
	    stat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700, "mkdir 0700");
	ok(fsu_mkdir(p, 0700, NULL, why, sizeof(why)) == AG_OK,
	    "an existing directory is fine");
	path_in(p, sizeof(p), "f");
	ok(fsu_mkdir(p, 0700, NULL, why, sizeof(why)) == AG_EINVAL,
	    "an existing file is not");
}

/* As root: what is created under a directory of another user is his. */
static void
test_owner(void)
{
	struct fsu_owner o = { 0, 0 };
	struct stat	 st;
	char		 svc[PATH_MAX], p[PATH_MAX];
	int		 i, fd;

	if (geteuid() != 0) {
		for (i = 0; i < 7; i++)
			printf("ok %d # SKIP not root\n", ++tap_n);
		return;
	}
	path_in(svc, sizeof(svc), "svc");
	if (mkdir(svc, 0755) == -1 || chown(svc, OTHER_UID, OTHER_GID) == -1)
		exit(1);
	path_in(p, sizeof(p), "svc/new");
	ok(fsu_write_atomic(p, "x", 1, 0600, false, NULL, why,
	    sizeof(why)) == AG_OK && stat(p, &st) == 0 &&
	    st.st_uid == OTHER_UID && st.st_gid == OTHER_GID,
	    "a new file gets its directory's owner");
	path_in(p, sizeof(p), "svc/keys");
	ok(fsu_mkdir(p, 0700, NULL, why, sizeof(why)) == AG_OK &&
	    stat(p, &st) == 0 && st.st_uid == OTHER_UID &&
	    st.st_gid == OTHER_GID, "so does a new directory");
	path_in(p, sizeof(p), "svc/rootfile");
	ok(fsu_write_atomic(p, "x", 1, 0600, false, &o, why,
	    sizeof(why)) == AG_OK && stat(p, &st) == 0 && st.st_uid == 0,
	    "or the owner named");
	ok(fsu_write_atomic(p, "y", 1, 0600, true, NULL, why,
	    sizeof(why)) == AG_OK && stat(p, &st) == 0 && st.st_uid == 0,
	    "a replaced file keeps its owner");
	path_in(p, sizeof(p), "svc/new");
	ok(fsu_write_atomic(p, "z", 1, 0600, true, NULL, why,
	    sizeof(why)) == AG_OK && stat(p, &st) == 0 &&
	    st.st_uid == OTHER_UID, "also the service's");
	ok(fsu_chown_root(p, &o) == 0 && stat(p, &st) == 0 && st.st_uid == 0,
	    "fsu_chown_root");
	/* an open file (written aside, then linked or renamed to path) */
	path_in(p, sizeof(p), "svc/byfd");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd != -1 && fsu_own_new_fd(fd, p) == 0 && fstat(fd, &st) == 0 &&
	    st.st_uid == OTHER_UID && st.st_gid == OTHER_GID,
	    "fsu_own_new_fd: the directory's owner");
	if (fd != -1)
		(void)close(fd);
}

int
main(void)
{
	char	 cmd[PATH_MAX + 16];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_write();
	test_mkdir();
	test_owner();
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
