/*
 * The user database: an Apache DBM user file on GDBM.  Key: the user
 * name, no NUL.  Value: "hash:group,group:authgate-fields", so Apache's
 * mod_authn_dbm reads the hash and mod_authz_dbm the groups, which are
 * the user's scopes.  Clients live in the same file under "client:ID"
 * keys (':' is never part of a user name, as in htpasswd files).
 *
 * Writers change a record at a time, each a read-modify-write under
 * the writers' lock, through dbfile.c, which keeps readers (ours and
 * Apache's) from ever waiting or seeing half a record; a write costs
 * the same at a million users as at a thousand.  Bulk import alone
 * copies the file.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authgate.h"

#define STORE_RECORD_MAX	4096	/* longest value read */
/* A scope's group list: each byte may take 3 ("%3A", see store.c). */
#define STORE_GROUPS_MAX	(AG_SCOPE_MAX * 3)
_Static_assert(AG_HASH_MAX + STORE_GROUPS_MAX + 128 <= STORE_RECORD_MAX,
    "a user record with the longest hash and scope fits STORE_RECORD_MAX");

struct user {
	char		 name[AG_NAME_MAX + 1];
	char		 hash[AG_HASH_MAX + 1];
	char		 scope[AG_SCOPE_MAX + 1];	/* space-separated */
	bool		 locked;			/* by an administrator */
	int64_t		 created, changed;		/* Unix time; 0 unknown */
	/*
	 * The account's generation: a random number that user add,
	 * passwd and lock draw anew (store_gen_new) and refresh tokens
	 * are bound to, so that a token outlives neither a password nor
	 * the account it was issued to (a name deleted and added again
	 * gets another).  0: none yet (a record from htdbm, or from an
	 * authgate before generations).
	 */
	int64_t		 gen;
};

struct store;

/*
 * A client's grants (RFC 6749 4), a bit each.  A record without them
 * (stored before grants were registered) has CLIENT_GRANTS_DEFAULT:
 * what every client could do then.  client_credentials is for
 * confidential clients only; authorization_code needs a redirect URI.
 */
#define CG_PASSWORD		0x1
#define CG_REFRESH		0x2
#define CG_CODE			0x4
#define CG_CLIENT		0x8
#define CG_ALL			0xf
#define CLIENT_GRANTS_DEFAULT	(CG_PASSWORD | CG_REFRESH)

#define CLIENT_REDIRECT_MAX	512	/* bytes of one redirect URI */
#define CLIENT_REDIRECTS_MAX	4	/* redirect URIs of one client */

struct client {
	char		 id[AG_NAME_MAX + 1];
	char		 hash[AG_HASH_MAX + 1];	/* "" for a public client */
	bool		 public_client;
	int64_t		 created;
	unsigned int	 grants;		/* CG_* */
	/* The scopes its tokens may carry; "" puts no limit of the
	 * client's on a user's token, and gives client_credentials none. */
	char		 scope[AG_SCOPE_MAX + 1];
	size_t		 nredirect;
	char		 redirect[CLIENT_REDIRECTS_MAX]
			    [CLIENT_REDIRECT_MAX + 1];
};

/* True if name is acceptable as a user name or client id: 1 to
 * AG_NAME_MAX bytes of valid UTF-8, no control bytes, ':', ',' or space. */
bool		 store_name_ok(const char *name);
/* Parse a stored value (untrusted bytes) into u (name not touched). */
enum ag_err	 store_user_decode(const char *val, size_t len, struct user *u);
/* Format u as a stored value. */
enum ag_err	 store_user_encode(const struct user *u, char *out,
		    size_t outsz, size_t *outlen);

/* Parse a stored client value (untrusted bytes) into cl (id not
 * touched); a value without grants gets CLIENT_GRANTS_DEFAULT. */
enum ag_err	 store_client_decode(const char *val, size_t len,
		    struct client *cl);
/* Format cl as a stored value: AG_ETOOBIG when its redirect URIs and
 * scope do not fit STORE_RECORD_MAX together. */
enum ag_err	 store_client_encode(const struct client *cl, char *out,
		    size_t outsz, size_t *outlen);
/*
 * True if uri may be registered as a redirect URI (RFC 6749 3.1.2,
 * RFC 8252 7.3): absolute, https, or http to a loopback host
 * (127.0.0.1, [::1], localhost) with any port; no user info, no
 * fragment; at most CLIENT_REDIRECT_MAX bytes of RFC 3986 characters.
 * why (may be NULL) receives the reason of a refusal.
 */
bool		 store_redirect_ok(const char *uri, const char **why);
/* The CG_ bit of a grant type's name, 0 for none. */
unsigned int	 store_grant_bit(const char *name);
/* The name of one CG_ bit ("authorization_code"), NULL for none. */
const char	*store_grant_name(unsigned int bit);

/*
 * A user_db of this process: its path, and the reader kept open between
 * lookups, checked at each (store.c).  The application holds one per
 * user_db and passes it to every call; threads may share it.  No I/O;
 * NULL when out of memory or path is too long.
 */
struct store	*store_new(const char *path);
/* Close the reader and free s (NULL: nothing). */
void		 store_free(struct store *s);
const char	*store_path(const struct store *s);

/* Create the file (empty) if missing, mode 0600. */
enum ag_err	 store_init(struct store *s);
/* Read one user.  AG_ENOENT if absent; AG_EUNAVAIL if it can't be read. */
enum ag_err	 store_user_get(struct store *s, const char *name,
		    struct user *u);
/* A fresh account generation, never 0. */
int64_t		 store_gen_new(void);
/* Add (must_be_new: AG_EEXIST if present) or replace a user.  A gen of
 * 0 keeps the stored one (or draws one for a new user). */
enum ag_err	 store_user_put(struct store *s, const struct user *u,
		    bool must_be_new);
/*
 * Read-modify-write one user under the writers' lock: fn changes *u
 * (read just now) and returns AG_OK to store it, anything else to
 * leave the record alone and make that the result.  AG_ENOENT if the
 * user is not there.
 */
enum ag_err	 store_user_update(struct store *s, const char *name,
		    enum ag_err (*fn)(struct user *u, void *arg), void *arg);
/*
 * Replace the hash of user name with new_hash, only if the stored hash
 * is still old_hash (a re-hash at login must not undo an administrator's
 * change made while the password was checked): AG_EDENIED if it is
 * not, AG_ENOENT if the user is gone.  Nothing else of the record
 * changes, byte for byte.
 */
enum ag_err	 store_user_rehash(struct store *s, const char *name,
		    const char *old_hash, const char *new_hash);
/* Add or replace many users in one copy-and-rename (import).  In every
 * put, created and changed of 0 mean now (created: kept if present). */
enum ag_err	 store_user_put_many(struct store *s, const struct user *u,
		    size_t n);
/* As put_many, but a user already present keeps its scope, lock and
 * creation time: only hash and changed are replaced (htpasswd import). */
enum ag_err	 store_user_merge_many(struct store *s, const struct user *u,
		    size_t n);
/*
 * The same, streaming: next fills u and returns 1, 0 at the end, or -1
 * to abort (then nothing is written and the result is AG_EINVAL).
 * ended (may be NULL) is called, under the writers' lock, for each user
 * whose password changes, with the generation that ends (its refresh
 * tokens and browser sessions); an error from it aborts the whole.
 */
enum ag_err	 store_user_merge_each(struct store *s,
		    int (*next)(struct user *u, void *arg),
		    enum ag_err (*ended)(const char *name, int64_t gen,
		    void *arg), void *arg);
enum ag_err	 store_user_del(struct store *s, const char *name);
/*
 * Delete user name under the writers' lock, after fn has seen the
 * record (a damaged one as name alone, gen 0) and returned AG_OK;
 * anything else leaves the user and is the result.  AG_ENOENT if the
 * user is not there.
 */
enum ag_err	 store_user_del_with(struct store *s, const char *name,
		    enum ag_err (*fn)(const struct user *u, void *arg),
		    void *arg);
/* Call fn for each user, in key order is not promised; stops when fn
 * returns non-zero. */
enum ag_err	 store_user_each(struct store *s,
		    int (*fn)(const struct user *, void *), void *arg);

enum ag_err	 store_client_get(struct store *s, const char *id,
		    struct client *cl);
enum ag_err	 store_client_put(struct store *s, const struct client *cl,
		    bool must_be_new);
enum ag_err	 store_client_del(struct store *s, const char *id);
enum ag_err	 store_client_each(struct store *s,
		    int (*fn)(const struct client *, void *), void *arg);


#endif
