/*
 * authgate: an OAuth2 token service for FastCGI web servers.
 * Definitions every module shares: the error enum and the input limits.
 */
#ifndef AUTHGATE_H
#define AUTHGATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Limits on untrusted input.  Each is checked before any work is done
 * on the input it bounds.
 */
#define AG_TOKEN_MAX	8192	/* compact JWS; SPEC: 8 KiB */
#define AG_NAME_MAX	128	/* user name or client id, bytes */
#define AG_SCOPE_MAX	1024	/* a space-separated scope list, bytes */
#define AG_PASSWORD_MAX	1024	/* password or client secret, bytes */
#define AG_HASH_MAX	256	/* a stored password hash string */
#define AG_JTI_MAX	64	/* jti claim */
#define AG_REFRESH_MAX	1804	/* a sealed refresh token (rtseal.c) */
#define AG_WHY_MAX	256	/* an error message for a log or a user */
#define AG_DAY_SECONDS	86400	/* longest lockout; failures kept this long */

enum ag_err {
	AG_OK = 0,
	AG_ENOMEM,		/* out of memory */
	AG_EINVAL,		/* malformed or refused input */
	AG_ENOENT,		/* no such user, client, key or token */
	AG_EEXIST,		/* already there */
	AG_EUNAVAIL,		/* storage can't be read or written now */
	AG_ETOOBIG,		/* input over its limit */
	AG_EDENIED,		/* authentication or authorization refused */
};

enum ag_alg {
	AG_HS256 = 0,
	AG_RS256,
	AG_ES256,
	AG_EDDSA,
	AG_ALG__MAX
};

/* The JOSE name of alg ("HS256"), or NULL when out of range. */
const char	*ag_alg_name(enum ag_alg alg);
/* Parse a JOSE name; returns -1 for an unknown one. */
int		 ag_alg_parse(const char *name, enum ag_alg *alg);
/* A short English phrase for e ("out of memory"). */
const char	*ag_strerror(enum ag_err e);
/* Say why something failed into why (whysz bytes; why may be NULL). */
void		 ag_why(char *why, size_t whysz, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

#endif
