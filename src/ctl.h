/*
 * authgatectl(8): shared pieces of the subcommands.  Each ctl_*()
 * command returns the exit status: CTL_OK, CTL_FAIL (a message naming
 * the user or file is on stderr) or CTL_USAGE (usage on stderr).
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"

#define CTL_OK		0
#define CTL_FAIL	1
#define CTL_USAGE	2

#define CTL_ARGS_MAX	4	/* positional arguments of a command */

struct conf;
struct state;
struct store;

/* One --option of a command; val for options with an argument. */
struct ctl_opt {
	const char	*name;		/* without the leading "--" */
	const char	**val;		/* NULL: a flag */
	bool		*flag;
};

/*
 * Split argv (after the command words) into options and at most
 * maxpos positional arguments; "--opt=V" and "--opt V" both work and
 * "--" ends the options.  Returns false after printing the reason.
 */
bool		 ctl_args(int argc, char **argv, const struct ctl_opt *opts,
		    char **pos, int maxpos, int *npos);

/* "authgatectl: " and the message on stderr; control bytes escaped. */
void		 ctl_err(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* The usage lines on stderr; returns CTL_USAGE. */
int		 ctl_usage(void);

/* Lines of a listing, collected to be printed sorted. */
struct ctl_lines {
	char		**lines;
	size_t		  n, cap;
	bool		  nomem;
};

/* Add one line; returns non-zero (and sets nomem) when out of memory,
 * so it can end a store_*_each walk. */
int		 ctl_lines_add(struct ctl_lines *l, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Print the lines sorted unless e (the walk's result) or nomem says it
 * failed (then the error, naming db); free them.  CTL_OK or CTL_FAIL. */
int		 ctl_lines_finish(struct ctl_lines *l, enum ag_err e,
		    const char *db);

/*
 * A password or secret: one line from standard input (from_stdin), else
 * asked twice on /dev/tty without echo.  what names it in prompts and
 * messages ("password").  The final newline (or CRLF) is removed; an
 * empty value or one over AG_PASSWORD_MAX bytes is refused.  buf holds
 * AG_PASSWORD_MAX + 2 bytes; the caller wipes it.
 */
enum ag_err	 ctl_secret(bool from_stdin, const char *what, char *buf,
		    size_t bufsz, size_t *len);
/* Read one line of at most bufsz - 1 bytes from fd, without buffering
 * past it; the newline is dropped.  AG_ETOOBIG when longer. */
enum ag_err	 ctl_readline(int fd, char *buf, size_t bufsz, size_t *len);

/*
 * Check a scope list from the command line and write it normalised
 * (single spaces, each token once) into out: scope_normalise, with a
 * message when a token is not an RFC 6749 scope-token.
 */
bool		 ctl_scope(const char *in, char *out, size_t outsz);

/* Format a Unix time as ISO 8601 UTC ("2026-11-27T02:40:00Z"); 0 gives
 * "never". */
const char	*ctl_time(long long t, char *buf, size_t bufsz);

/* What a command works on: the configuration, and the handles on the
 * files it names, made by main (store.h, state.h). */
struct ctl {
	const struct conf	*c;
	struct store		*store;	/* c->user_db */
	struct state		*state;	/* c->state_db */
};

int		 ctl_init(struct ctl *x, int argc, char **argv);
int		 ctl_key(struct ctl *x, int argc, char **argv);
int		 ctl_user(struct ctl *x, int argc, char **argv);
int		 ctl_client(struct ctl *x, int argc, char **argv);
int		 ctl_token(struct ctl *x, int argc, char **argv);
/* user import FILE (ctl_user.c). */
int		 ctl_user_import(struct ctl *x, int argc, char **argv);

/*
 * Operations (ctl_stats.c): authgatectl stats, and the audit log's
 * admin event for a command that changes something.
 */
int		 ctl_stats(struct ctl *x, int argc, char **argv);
void		 ctl_audit(const struct conf *c, int argc, char **argv, int rc);

#endif
