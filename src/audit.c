/*
 * The audit log (see audit.h).  The file sink is checked before each
 * line: when the name no longer leads to the file open (logrotate
 * renamed it), it is opened again, so no line is lost to a rotated
 * file and no copytruncate is needed.  A mutex keeps the threads of a
 * process to one open file; O_APPEND and one write(2) a line keep the
 * processes of a pool from mixing their lines.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "fsutil.h"
#include "jw.h"
#include "log.h"

enum sink { SINK_OFF, SINK_SYSLOG, SINK_FILE };

static pthread_mutex_t	 audit_lock = PTHREAD_MUTEX_INITIALIZER;
static enum sink	 sink = SINK_SYSLOG;
static char		 path[PATH_MAX];
static int		 fd = -1;
static bool		 failing;	/* last write failed (logged once) */
/* This thread's request's client address, copied: the request's
 * memory is gone by the time a later event of this thread (a key reload
 * at the start of the next request) is written.  "" when none. */
static _Thread_local char remote[AUDIT_REMOTE_MAX];

void
audit_init(const char *where)
{
	if (pthread_mutex_lock(&audit_lock) != 0)
		return;
	if (fd != -1)
		(void)close(fd);
	fd = -1;
	failing = false;
	if (strcmp(where, "off") == 0)
		sink = SINK_OFF;
	else if (strcmp(where, "syslog") == 0) {
		/* The same ident for authgatectl's admin events. */
		openlog("authgate", LOG_PID, LOG_AUTHPRIV);
		sink = SINK_SYSLOG;
	}
	else if ((size_t)snprintf(path, sizeof(path), "%s", where) <
	    sizeof(path))
		sink = SINK_FILE;
	else
		sink = SINK_OFF;
	(void)pthread_mutex_unlock(&audit_lock);
}

void
audit_remote(const char *remote_addr)
{
	if (remote_addr == NULL ||
	    strlen(remote_addr) >= sizeof(remote))
		remote[0] = '\0';
	else
		memcpy(remote, remote_addr, strlen(remote_addr) + 1);
}

/* The file is open and still under its name; reopen it otherwise. */
static bool
file_ready(void)
{
	struct stat	 held, named;
	const int	 flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK;

	if (fd != -1 && fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
	    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
		return true;
	if (fd != -1)
		(void)close(fd);
	if ((fd = open(path, flags)) != -1 || errno != ENOENT)
		return fd != -1;
	if ((fd = open(path, flags | O_CREAT | O_EXCL, 0600)) != -1) {
		/* made by root (authgatectl): its directory's owner's,
		 * as authgatectl's other files under an existing tree */
		if (fsu_own_new_fd(fd, path) == -1)
			log_msg("audit log %s: chown: %s", path,
			    strerror(errno));
		return true;
	}
	/* Another process created it meanwhile. */
	return errno == EEXIST && (fd = open(path, flags)) != -1;
}

static void
file_write(const char *line, size_t len)
{
	bool	 good;

	if (pthread_mutex_lock(&audit_lock) != 0)
		return;
	good = file_ready() && write(fd, line, len) == (ssize_t)len;
	if (!good && !failing)
		log_msg("audit log %s: %s", path, strerror(errno));
	failing = !good;
	(void)pthread_mutex_unlock(&audit_lock);
}

/* RFC 3339 UTC, whole seconds. */
static void
now_rfc3339(char *buf, size_t bufsz)
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, bufsz, "1970-01-01T00:00:00Z");
}

static void
opt_str(struct jw *w, const char *key, const char *val)
{
	if (val != NULL)
		jw_str(w, key, val);
}

void
audit_log(const struct audit_ev *ev)
{
	char		 line[AUDIT_LINE_MAX], when[32];
	struct jw	 w;
	size_t		 len;

	if (sink == SINK_OFF)
		return;
	now_rfc3339(when, sizeof(when));
	jw_init(&w, line, sizeof(line) - 1);
	jw_obj_open(&w, NULL);
	jw_str(&w, "time", when);
	opt_str(&w, "event", ev->event);
	opt_str(&w, "outcome", ev->outcome);
	opt_str(&w, "user", ev->user);
	opt_str(&w, "client_id", ev->client_id);
	opt_str(&w, "remote_addr", remote[0] != '\0' ? remote : NULL);
	opt_str(&w, "reason", ev->reason);
	opt_str(&w, "jti", ev->jti);
	opt_str(&w, "type", ev->type);
	opt_str(&w, "command", ev->command);
	jw_obj_close(&w);
	if (jw_done(&w, &len) == NULL) {
		log_msg("audit: %s event too long: not logged",
		    ev->event != NULL ? ev->event : "an");
		return;
	}
	if (sink == SINK_SYSLOG) {
		syslog(LOG_AUTHPRIV | LOG_INFO, "%s", line);
		return;
	}
	line[len++] = '\n';
	file_write(line, len);
}

void
audit(const char *event, const char *outcome, const char *user,
    const char *client_id, const char *reason)
{
	struct audit_ev	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.outcome = outcome;
	ev.user = user;
	ev.client_id = client_id;
	ev.reason = reason;
	audit_log(&ev);
}

void
audit_token(const char *event, const char *outcome, const char *user,
    const char *client_id, const char *type, const char *jti)
{
	struct audit_ev	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.outcome = outcome;
	ev.user = user;
	ev.client_id = client_id;
	ev.type = type;
	ev.jti = jti;
	audit_log(&ev);
}
