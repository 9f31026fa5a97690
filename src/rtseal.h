/*
 * Sealed refresh tokens: a refresh token carries its grant (user,
 * client, scope, family, place in the family, expiry, the account's
 * generation) under an HMAC-SHA256 by a key of the service's own, so a
 * login stores nothing: state_db holds a record per family only once
 * it is rotated or revoked (refresh.c).  The key is the file
 * "<state_db>.rtkey", made at the first login that needs it; deleting
 * it ends every refresh token.
 */
#ifndef RTSEAL_H
#define RTSEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"

struct refresh;
struct state;

#define RT_KEY_LEN	32	/* HMAC-SHA256 key, bytes */

/*
 * Seal r into tok (toksz >= AG_REFRESH_MAX + 1), making the key when
 * there is none yet.  AG_EINVAL for fields that do not fit,
 * AG_EUNAVAIL when the key cannot be read or made.
 */
enum ag_err	 rtseal_make(struct state *sdb, const struct refresh *r,
		    char *tok, size_t toksz);
/*
 * Open tok into r: AG_OK only for a token this service sealed with its
 * current key (compared in constant time); AG_ENOENT for anything else,
 * AG_EUNAVAIL when the key cannot be read.  Expiry is the caller's.
 */
enum ag_err	 rtseal_open(struct state *sdb, const char *tok,
		    struct refresh *r);
/* The key file's path into p. */
enum ag_err	 rtseal_key_path(struct state *sdb, char *p, size_t psz);
/* Forget the key held, so the next use reads the file (tests). */
void		 rtseal_forget(struct state *sdb);

#endif
