/*
 * One-line logging to standard error.  The message is formatted into a
 * bounded buffer, then every byte outside printable ASCII is written as
 * \xHH, so a user name or header cannot start a new log line.  When
 * standard error goes nowhere (closed, or /dev/null as spawn-fcgi and
 * Debian's lighttpd without server.breakagelog give it), the lines go to
 * syslog (facility daemon) instead, so that they are not lost.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "jw.h"
#include "log.h"

#define LOG_LINE_MAX	1024

static const char *log_prog = "authgate";
static bool log_to_syslog;
static bool log_as_json;	/* log_format = json */

void
log_json(bool on)
{
	log_as_json = on;
}

/*
 * msg as one JSON object: {"time":…,"prog":…,"pid":…,"msg":…}, the
 * writer escaping it.  Returns its length in line, or 0.
 */
static size_t
json_line(const char *msg, char *line, size_t linesz)
{
	struct jw	 w;
	struct tm	 tm;
	char		 when[32];
	time_t		 now = time(NULL);
	size_t		 len;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return 0;
	jw_init(&w, line, linesz);
	jw_obj_open(&w, NULL);
	jw_str(&w, "time", when);
	jw_str(&w, "prog", log_prog);
	jw_int(&w, "pid", (long long)getpid());
	jw_str(&w, "msg", msg);
	jw_obj_close(&w);
	return jw_done(&w, &len) != NULL ? len : 0;
}

/* Standard error closed, or the null device. */
static bool
stderr_lost(void)
{
	struct stat	 err, null;

	if (fstat(STDERR_FILENO, &err) == -1)
		return true;
	if (!S_ISCHR(err.st_mode) || stat("/dev/null", &null) == -1)
		return false;
	return err.st_rdev == null.st_rdev;
}

void
log_init(const char *prog)
{
	log_prog = prog;
	if (stderr_lost()) {
		openlog(prog, LOG_PID, LOG_DAEMON);
		log_to_syslog = true;
	}
}

static void
log_vmsg(const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 4 + 64];
	size_t	 n = 0, i;
	int	 len;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (log_as_json && (n = json_line(msg, line, sizeof(line) - 1)) > 0) {
		if (log_to_syslog) {
			syslog(LOG_DAEMON | LOG_ERR, "%s", line);
			return;
		}
		line[n++] = '\n';
		if (write(STDERR_FILENO, line, n) < 0)
			return;
		return;
	}
	len = snprintf(line, sizeof(line), "%s[%ld]: ", log_prog,
	    (long)getpid());
	if (len < 0)
		return;
	n = (size_t)len;
	for (i = 0; msg[i] != '\0'; i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			line[n++] = (char)c;
		else
			n += (size_t)snprintf(line + n, 5, "\\x%02x", c);
	}
	if (log_to_syslog) {
		line[n] = '\0';
		syslog(LOG_DAEMON | LOG_ERR, "%s", line + len);
		return;
	}
	line[n++] = '\n';
	/* One write(2), so lines of concurrent processes do not mix. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void
log_msg(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}
