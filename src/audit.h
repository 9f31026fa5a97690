/*
 * The audit log (authgate(8) "Audit log"): one JSON object a line, to
 * syslog (facility authpriv, ident authgate), to a file (appended,
 * created 0600, reopened when logrotate renamed it), or nowhere.
 * Values are written by the JSON writer (escaped, valid UTF-8): a user
 * name cannot forge a field or a line.  Callers never pass a password,
 * a secret, a refresh token or a whole access token; a jti at most.
 */
#ifndef AUDIT_H
#define AUDIT_H

#define AUDIT_LINE_MAX	2048	/* a longer event is only logged */

struct audit_ev {
	const char	*event;		/* login, lockout, refresh... */
	const char	*outcome;	/* success, failure */
	const char	*user;		/* NULL: absent */
	const char	*client_id;
	const char	*reason;
	const char	*jti;
	const char	*command;	/* admin: the authgatectl command */
	const char	*type;		/* revoke: access_ or refresh_token */
};

/* Where the lines go: "syslog", "off" or a file path (audit_log). */
void	audit_init(const char *sink);
#define AUDIT_REMOTE_MAX	64	/* a client address kept, with its NUL */

/* The client address of this thread's request, for its events (copied;
 * NULL, or one too long: none). */
void	audit_remote(const char *remote_addr);
/* Write one event; a sink that fails is reported on the error log. */
void	audit_log(const struct audit_ev *ev);
/* The same, its fields given as arguments (NULL: absent). */
void	audit(const char *event, const char *outcome, const char *user,
	    const char *client_id, const char *reason);
/* A token event naming its jti (never the token). */
void	audit_token(const char *event, const char *outcome,
	    const char *user, const char *client_id, const char *type,
	    const char *jti);

#endif
