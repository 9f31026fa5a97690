/*
 * authgate(8): options, the configuration test (-t), and the choice
 * between FastCGI (a listening socket on standard input, from systemd,
 * or -s) and CGI (one request from the environment).
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"
#include "fcgi.h"
#include "key.h"
#include "log.h"
#include "proc.h"
#include "serve.h"

static void
usage(void)
{
	fprintf(stderr, "usage: authgate [-tV] [-c file] [-s address] "
	    "[-u user]\n");
	exit(2);
}

/* Warn when path can be read by anyone but the user running us. */
static void
check_private(const char *what, const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1)
		return;
	if (st.st_mode & 077)
		fprintf(stderr, "%s: warning: %s is accessible by group or "
		    "others (mode %04o); only the user running authgate "
		    "should read it\n", path, what,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		fprintf(stderr, "%s: warning: %s is owned by uid %lu, not by "
		    "uid %lu running authgate\n", path, what,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
}

/* A database authgate reads (and, for state_db, writes). */
static bool
check_db(const char *what, const char *path, int mode)
{
	if (access(path, mode) == -1) {
		fprintf(stderr, "%s: %s: %s%s\n", path, what, strerror(errno),
		    errno == ENOENT ? " (run `authgatectl init')" : "");
		return false;
	}
	check_private(what, path);
	return true;
}

static int
test_config(const char *opt)
{
	struct conf	 c;
	struct keyring	*kr = NULL;
	struct stat	 st;
	const char	*path = conf_path(opt);
	char		 why[AG_WHY_MAX * 4];
	size_t		 i;
	bool		 good = true;

	conf_defaults(&c);
	if (conf_load(&c, path, why, sizeof(why)) != AG_OK) {
		fprintf(stderr, "%s\n", why);
		if (access(path, F_OK) == -1 && errno == ENOENT)
			fprintf(stderr, "%s: no configuration file: copy the "
			    "commented sample there (etc/authgate.conf of the "
			    "source), or name another with -c or "
			    "AUTHGATE_CONF\n", path);
		return 1;
	}
	if (geteuid() == 0)
		fprintf(stderr, "authgate: warning: checking as root, who "
		    "reads every file; check as the user authgate runs as: "
		    "authgate -t -u USER (_authgate with the systemd units, "
		    "www-data when the web server spawns it)\n");
	if (keyring_load(&c, &kr, why, sizeof(why)) != AG_OK) {
		fprintf(stderr, "%s\n", why);
		if (!c.verify_only && stat(c.key_file, &st) == -1 &&
		    errno == ENOENT)
			fprintf(stderr, "%s: no signing key: run `authgatectl "
			    "init' or `authgatectl key generate'\n",
			    c.key_file);
		good = false;
	} else if (c.verify_only) {
		for (i = 0; i < keyring_count(kr); i++)
			printf("verify-only: %s kid=%s\n",
			    ag_alg_name(key_alg(keyring_at(kr, i))),
			    key_kid(keyring_at(kr, i)));
	}
	keyring_free(kr);
	if (!c.verify_only) {
		check_private("the signing key", c.key_file);
		if (!check_db("user_db", c.user_db, R_OK))
			good = false;
		if (!check_db("state_db", c.state_db, R_OK | W_OK))
			good = false;
	}
	if (!good)
		return 1;
	printf("configuration ok\n");
	return 0;
}

/*
 * -t -u USER: become USER (and its groups) before the test, so that
 * the test reads the files as the service will.  Only root can.
 */
static void
become(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "authgate: -u: no user \"%s\"\n", user);
		exit(1);
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "authgate: -u %s: %s (only root can check as "
		    "another user)\n", user, strerror(errno));
		exit(1);
	}
}

static long
cgi_read(void *arg, char *buf, size_t n)
{
	size_t	 got;

	(void)arg;
	got = fread(buf, 1, n, stdin);
	if (got == 0 && ferror(stdin))
		return -1;
	return (long)got;
}

static int
cgi_write(void *arg, const char *buf, size_t n)
{
	(void)arg;
	if (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct serve_io	 io;
	const char	*copt = NULL, *saddr = NULL, *uopt = NULL;
	bool		 tflag = false;
	int		 ch, rc;

	log_init("authgate");
	proc_init();
	while ((ch = getopt(argc, argv, "c:s:tu:V")) != -1) {
		switch (ch) {
		case 'c':
			copt = optarg;
			break;
		case 's':
			saddr = optarg;
			break;
		case 't':
			tflag = true;
			break;
		case 'u':
			uopt = optarg;
			break;
		case 'V':
			printf("authgate %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || (uopt != NULL && !tflag))
		usage();
	if (uopt != NULL)
		become(uopt);
	if (tflag)
		return test_config(copt);

	/* A client that goes away must not kill the process. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		log_fatal("signal: %s", strerror(errno));

	if (fcgi_is_cgi(saddr)) {
		proc_serving(false);
		serve_init(copt);
		io.envp = environ;
		io.read = cgi_read;
		io.write = cgi_write;
		io.arg = NULL;
		serve_request(&io);
		serve_fini();
		return 0;
	}
	proc_serving(true);
	serve_init(copt);
	rc = fcgi_run(saddr, serve_threads());
	serve_fini();
	return rc;
}
