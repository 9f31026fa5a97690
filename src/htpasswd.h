/*
 * Apache htpasswd files, for "authgatectl user import": lines of
 * "name:hash", '#' comments and blank lines, as mod_authn_file reads
 * them.  Hashes authgate can verify are imported as they are; the rest
 * are reported line by line and skipped.
 */
#ifndef HTPASSWD_H
#define HTPASSWD_H

#include <stdio.h>

#include "authgate.h"

struct store;

#define HTPASSWD_LINE_MAX	1024	/* bytes in a line, without \n */
#define HTPASSWD_PROGRESS	10000	/* lines between progress calls */

/*
 * Parse one line (without its newline; a final CR is ignored).  AG_OK:
 * name and hash are set.  AG_ENOENT: a blank or comment line.  Else
 * (AG_EINVAL, AG_ETOOBIG) *why says what is wrong.  The hash's scheme
 * is not checked here (see pw_supported()).
 */
enum ag_err	 htpasswd_parse_line(const char *line, size_t len,
		    char name[AG_NAME_MAX + 1], char hash[AG_HASH_MAX + 1],
		    const char **why);

/*
 * Import the htpasswd file in (named path in messages) into user_db in
 * one copy-and-rename.  A user already there keeps scopes, lock and
 * creation time; only the hash is replaced.  New users get no scope.
 * skipped is called for each line not imported (name NULL when the
 * line has no usable name); progress (may be NULL) every
 * HTPASSWD_PROGRESS lines.  *imported counts the users stored.
 * ended (may be NULL) is told of each user whose password changes, with
 * the account generation that ends (store_user_merge_each).
 */
enum ag_err	 htpasswd_import(struct store *user_db, FILE *in,
		    const char *path,
		    void (*skipped)(const char *path, size_t line,
		    const char *name, const char *reason, void *arg),
		    void (*progress)(size_t lines, void *arg),
		    enum ag_err (*ended)(const char *name, int64_t gen,
		    void *arg), void *arg, size_t *imported);

#endif
