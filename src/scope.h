/*
 * Scopes: the one grammar (RFC 6749 3.3) and the set operations on
 * scope lists that the token endpoint, the guard, the user file's codec,
 * the configuration and authgatectl share.
 *
 *	scope       = scope-token *( SP scope-token )
 *	scope-token = 1*NQCHAR
 *	NQCHAR      = %x21 / %x23-5B / %x5D-7E
 *
 * So "api:read", "repo:status" and even "a,b" are scope tokens.  A list
 * held in memory is always the normal form: tokens separated by single
 * spaces, each once, at most AG_SCOPE_MAX bytes.  How user_db stores a
 * list that Apache must read as a group list is store.c's business.
 */
#ifndef AG_SCOPE_H
#define AG_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"

/* True if c may appear in a scope-token (NQCHAR). */
bool		 scope_char(unsigned char c);

/*
 * True if s is a scope in RFC 6749's strict form: one or more tokens
 * separated by single spaces, no leading or trailing space, at most
 * AG_SCOPE_MAX bytes.  "" is not a scope.
 */
bool		 scope_valid(const char *s);

/*
 * The normal form of a list typed by a person: tokens separated by any
 * run of spaces and tabs, duplicates dropped.  AG_EINVAL for a byte
 * that is not NQCHAR (*bad, if not NULL, then points at its token),
 * AG_ETOOBIG past AG_SCOPE_MAX or outsz.  "" normalises to "".
 */
enum ag_err	 scope_normalise(const char *in, char *out, size_t outsz,
		    const char **bad);

/* True if the space-separated list holds the token t (n bytes). */
bool		 scope_has(const char *list, const char *t, size_t n);

/*
 * True if have holds every token of need, whose tokens are separated by
 * any of the bytes of seps (" " for a scope; " ," for the web server's
 * AUTHGATE_REQUIRE_SCOPE).
 */
bool		 scope_covers(const char *have, const char *need,
		    const char *seps);

/*
 * The tokens of a that b holds too, once each and in a's order, into
 * out.  With subset_only, a token of a missing from b is AG_EDENIED.
 */
enum ag_err	 scope_meet(const char *a, const char *b, bool subset_only,
		    char *out, size_t outsz);

/*
 * The scope a token gets (the token endpoint's rule, which authgatectl
 * follows): the requested one, which must be a valid scope (AG_EINVAL)
 * within allowed (AG_EDENIED); when none is asked (want NULL or ""),
 * dflt within allowed, or all of allowed when dflt is "".
 */
enum ag_err	 scope_grant(const char *want, const char *allowed,
		    const char *dflt, char *out, size_t outsz);

#endif /* AG_SCOPE_H */
