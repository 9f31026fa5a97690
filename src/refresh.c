/*
 * Refresh tokens in state_db (see state.h).
 *
 * Records:
 *	"rt:HEX"	"USER\tCLIENT\tSCOPE\tFAMILY\tEXP\tUSED\tGEN", HEX
 *			being the SHA-256 of the token: the token itself
 *			is never stored, and lookup by hash leaks no
 *			timing; GEN the account's generation (store.h)
 *	"fam:FAMILY"	"EXP": the family is revoked until EXP
 *			(after which its tokens have expired anyway)
 * A family is named by the first 32 hex digits of its first token's
 * hash.  A token rotated out stays, marked used, until it expires: its
 * reuse, or its revocation, ends the family.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gdbm.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "b64.h"
#include "conf.h"
#include "log.h"
#include "state.h"
#include "state_db.h"

#define FAMILY_LEN	32

/* "rt:" + hex SHA-256 of tok; false for anything not a token. */
static bool
rt_key(const char *tok, char *key, size_t keysz, char *fam, size_t famsz)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	unsigned char		 raw[32];
	size_t			 i, rawlen;

	if (tok == NULL || strnlen(tok, AG_REFRESH_LEN + 1) != AG_REFRESH_LEN ||
	    keysz < 3 + 2 * sizeof(md) + 1 || famsz < FAMILY_LEN + 1)
		return false;
	/* canonical base64url of 32 bytes, as rt_store_new makes */
	if (b64_decode(tok, AG_REFRESH_LEN, raw, sizeof(raw), &rawlen) != 0 ||
	    rawlen != sizeof(raw))
		return false;
	OPENSSL_cleanse(raw, sizeof(raw));
	SHA256((const unsigned char *)tok, AG_REFRESH_LEN, md);
	memcpy(key, "rt:", 3);
	for (i = 0; i < sizeof(md); i++) {
		key[3 + 2 * i] = hex[md[i] >> 4];
		key[3 + 2 * i + 1] = hex[md[i] & 15];
	}
	key[3 + 2 * sizeof(md)] = '\0';
	memcpy(fam, key + 3, FAMILY_LEN);
	fam[FAMILY_LEN] = '\0';
	return true;
}

static bool
field_ok(const char *s, size_t max)
{
	size_t	 len;

	len = strnlen(s, max + 1);
	return len <= max && strpbrk(s, "\t\n") == NULL;
}

/*
 * Split "user\tclient\tscope\tfamily\texp\tused\tgen".  A record
 * written before account generations has no gen: 0, which matches a
 * user record without one.
 */
static enum ag_err
rt_parse(char *val, struct refresh *r, bool *used)
{
	char		*f[7], *p = val;
	int64_t		 n[3] = { 0, 0, 0 };
	size_t		 nf;

	memset(r, 0, sizeof(*r));
	for (nf = 0; nf < 7; nf++) {
		f[nf] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			nf++;
			break;
		}
		*p++ = '\0';
	}
	if ((nf != 6 && nf != 7) || p != NULL)
		return AG_EUNAVAIL;
	if (strlen(f[0]) > AG_NAME_MAX || strlen(f[1]) > AG_NAME_MAX ||
	    strlen(f[2]) > AG_SCOPE_MAX || strlen(f[3]) > AG_REFRESH_LEN ||
	    !st_parse_nums(f[4], &n[0], 1) || !st_parse_nums(f[5], &n[1], 1) ||
	    n[1] > 1 || (nf == 7 && !st_parse_nums(f[6], &n[2], 1)))
		return AG_EUNAVAIL;
	memcpy(r->user, f[0], strlen(f[0]) + 1);
	memcpy(r->client_id, f[1], strlen(f[1]) + 1);
	memcpy(r->scope, f[2], strlen(f[2]) + 1);
	memcpy(r->family, f[3], strlen(f[3]) + 1);
	r->exp = n[0];
	r->gen = n[2];
	*used = n[1] == 1;
	return AG_OK;
}

static enum ag_err
rt_format(const struct refresh *r, bool used, char *val, size_t valsz)
{
	int	 n;

	n = snprintf(val, valsz, "%s\t%s\t%s\t%s\t%lld\t%d\t%lld", r->user,
	    r->client_id, r->scope, r->family, (long long)r->exp,
	    used ? 1 : 0, (long long)r->gen);
	if (n < 0 || (size_t)n >= valsz)
		return AG_ETOOBIG;
	return AG_OK;
}

static bool
family_revoked(GDBM_FILE dbf, const char *family, enum ag_err *e)
{
	char	 key[ST_KEY_MAX], val[64];

	*e = AG_OK;
	(void)snprintf(key, sizeof(key), "fam:%s", family);
	*e = st_get(dbf, key, val, sizeof(val));
	if (*e == AG_ENOENT) {
		*e = AG_OK;
		return false;
	}
	return true;	/* present, or unreadable: fail closed */
}

static enum ag_err
family_revoke(const struct conf *c, GDBM_FILE dbf, const char *family,
    int64_t until)
{
	char	 key[ST_KEY_MAX], val[32];

	(void)snprintf(key, sizeof(key), "fam:%s", family);
	(void)snprintf(val, sizeof(val), "%lld", (long long)until);
	return st_put(c, dbf, key, val);
}

/*
 * Make a new refresh token for r into tok and store it through dbf,
 * with the write lock held (r->family "" starts a family).
 */
static enum ag_err
rt_store_new(const struct conf *c, GDBM_FILE dbf, struct refresh *r,
    time_t now, char tok[AG_REFRESH_LEN + 1])
{
	unsigned char	 raw[32];
	char		 key[ST_KEY_MAX], fam[FAMILY_LEN + 1], val[ST_VAL_MAX];
	datum		 k, v;
	int		 rc;
	enum ag_err	 e;

	tok[0] = '\0';
	if (!field_ok(r->user, AG_NAME_MAX) || r->user[0] == '\0' ||
	    !field_ok(r->client_id, AG_NAME_MAX) ||
	    !field_ok(r->scope, AG_SCOPE_MAX) ||
	    !field_ok(r->family, AG_REFRESH_LEN) || r->gen < 0)
		return AG_EINVAL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return AG_EUNAVAIL;
	e = b64_encode(raw, sizeof(raw), tok, AG_REFRESH_LEN + 1) ==
	    AG_REFRESH_LEN && rt_key(tok, key, sizeof(key), fam, sizeof(fam)) ?
	    AG_OK : AG_EINVAL;
	OPENSSL_cleanse(raw, sizeof(raw));
	if (e != AG_OK)
		goto fail;
	if (r->family[0] == '\0')
		memcpy(r->family, fam, sizeof(fam));
	if (r->exp == 0)
		r->exp = (int64_t)now + c->refresh_token_ttl;
	if ((e = rt_format(r, false, val, sizeof(val))) != AG_OK)
		goto fail;
	k.dptr = key;
	k.dsize = (int)strlen(key);
	v.dptr = val;
	v.dsize = (int)strlen(val);
	if ((rc = gdbm_store(dbf, k, v, GDBM_INSERT)) != 0) {
		log_msg("state_db %s: store: %s", c->state_db,
		    rc == 1 ? "token exists" : gdbm_db_strerror(dbf));
		e = AG_EUNAVAIL;
		goto fail;
	}
	return st_maybe_purge(c, dbf, now);
fail:
	OPENSSL_cleanse(tok, AG_REFRESH_LEN + 1);
	tok[0] = '\0';
	return e;
}

/* Close after storing a token: on failure the token is no more. */
static enum ag_err
rt_close(const struct conf *c, GDBM_FILE dbf, int lockfd, enum ag_err e,
    char tok[AG_REFRESH_LEN + 1])
{
	if ((e = st_close(c, dbf, lockfd, true, e)) != AG_OK) {
		OPENSSL_cleanse(tok, AG_REFRESH_LEN + 1);
		tok[0] = '\0';
	}
	return e;
}

enum ag_err
state_login_ok(const struct conf *c, const char *user, bool forget,
    struct refresh *r, char tok[AG_REFRESH_LEN + 1])
{
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if (tok != NULL)
		tok[0] = '\0';
	if (!forget && r == NULL)
		return AG_OK;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = forget ? lockout_forget(c, dbf, user) : AG_OK;
	if (e == AG_OK && r != NULL)
		e = rt_store_new(c, dbf, r, time(NULL), tok);
	if (r == NULL)
		return st_close(c, dbf, lockfd, true, e);
	return rt_close(c, dbf, lockfd, e, tok);
}

/* Look tok up under the open lock; see state_refresh_rotate for codes. */
static enum ag_err
rt_lookup(GDBM_FILE dbf, const char *tok, time_t now, char *key,
    size_t keysz, struct refresh *r, bool *used)
{
	char		 fam[FAMILY_LEN + 1], val[ST_VAL_MAX];
	enum ag_err	 e;

	*used = false;
	if (!rt_key(tok, key, keysz, fam, sizeof(fam)))
		return AG_ENOENT;
	if ((e = st_get(dbf, key, val, sizeof(val))) != AG_OK)
		return e;
	if ((e = rt_parse(val, r, used)) != AG_OK)
		return e;
	if (r->exp <= (int64_t)now)
		return AG_ENOENT;
	if (family_revoked(dbf, r->family, &e))
		return e != AG_OK ? e : AG_EDENIED;
	return AG_OK;
}

/* peek and find: a shared-locked look-up. */
static enum ag_err
rt_peek(const struct conf *c, const char *tok, time_t now,
    struct refresh *r, bool *used)
{
	struct refresh	 cur;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	memset(r, 0, sizeof(*r));
	*used = false;
	if ((e = st_open(c, false, &lockfd, &dbf)) != AG_OK)
		return e;
	if (dbf == NULL)
		e = AG_ENOENT;
	else
		e = rt_lookup(dbf, tok, now, key, sizeof(key), &cur, used);
	e = st_close(c, dbf, lockfd, false, e);
	if (e == AG_OK)
		*r = cur;
	return e;
}

enum ag_err
state_refresh_peek(const struct conf *c, const char *tok, time_t now,
    struct refresh *r)
{
	bool		 used;
	enum ag_err	 e;

	if ((e = rt_peek(c, tok, now, r, &used)) == AG_OK && used) {
		memset(r, 0, sizeof(*r));
		e = AG_EDENIED;
	}
	return e;
}

enum ag_err
state_refresh_find(const struct conf *c, const char *tok, time_t now,
    struct refresh *r)
{
	bool	 used;

	return rt_peek(c, tok, now, r, &used);
}

/*
 * One transaction: the replacement is stored first and the old token
 * marked used after, so a failure at either step leaves the old one
 * usable and the new one never handed out (a replacement stored whose
 * old token could not be marked is deleted again; if even that fails,
 * it is a token nobody holds, purged when it expires).
 */
enum ag_err
state_refresh_rotate(const struct conf *c, const char *oldtok, time_t now,
    struct refresh *nr, char tok[AG_REFRESH_LEN + 1])
{
	struct refresh	 cur;
	char		 key[ST_KEY_MAX], nkey[ST_KEY_MAX], fam[FAMILY_LEN + 1];
	char		 val[ST_VAL_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	bool		 used;
	enum ag_err	 e;

	tok[0] = '\0';
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	e = rt_lookup(dbf, oldtok, now, key, sizeof(key), &cur, &used);
	if (e == AG_OK && used) {
		/* A replayed token: someone holds a copy.  Kill the family
		 * so neither the thief nor the owner can go on. */
		e = family_revoke(c, dbf, cur.family,
		    (int64_t)now + c->refresh_token_ttl);
		if (e == AG_OK)
			log_msg("refresh token reused: family %.8s revoked, "
			    "user \"%s\"", cur.family, cur.user);
		/* the revocation must be stored even though the answer
		 * is "no" */
		if ((e = st_close(c, dbf, lockfd, true, e)) == AG_OK)
			e = AG_EDENIED;
		return e;
	}
	if (e == AG_OK && (strcmp(cur.family, nr->family) != 0 ||
	    strcmp(cur.user, nr->user) != 0 || cur.gen != nr->gen))
		e = AG_ENOENT;	/* not the grant the caller checked */
	if (e == AG_OK)
		e = rt_store_new(c, dbf, nr, now, tok);
	if (e == AG_OK && (e = rt_format(&cur, true, val, sizeof(val))) ==
	    AG_OK && (e = st_put(c, dbf, key, val)) != AG_OK &&
	    rt_key(tok, nkey, sizeof(nkey), fam, sizeof(fam)))
		(void)st_del(c, dbf, nkey);
	return rt_close(c, dbf, lockfd, e, tok);
}

enum ag_err
state_refresh_revoke(const struct conf *c, const char *tok)
{
	struct refresh	 cur;
	char		 key[ST_KEY_MAX], fam[FAMILY_LEN + 1], val[ST_VAL_MAX];
	GDBM_FILE	 dbf;
	bool		 used;
	int		 lockfd;
	enum ag_err	 e;

	if (!rt_key(tok, key, sizeof(key), fam, sizeof(fam)))
		return AG_ENOENT;
	if ((e = st_open(c, true, &lockfd, &dbf)) != AG_OK)
		return e;
	if ((e = st_get(dbf, key, val, sizeof(val))) == AG_OK &&
	    (e = rt_parse(val, &cur, &used)) == AG_OK)
		e = family_revoke(c, dbf, cur.family,
		    (int64_t)time(NULL) + c->refresh_token_ttl);
	return st_close(c, dbf, lockfd, true, e);
}

bool
refresh_stale(const char *key, const char *val, time_t now)
{
	char		 buf[ST_VAL_MAX];
	struct refresh	 r;
	int64_t		 v;
	bool		 used;

	if (strncmp(key, "fam:", 4) == 0)
		return !st_parse_nums(val, &v, 1) || v < (int64_t)now;
	if (strncmp(key, "rt:", 3) != 0 || strlen(val) >= sizeof(buf))
		return false;
	memcpy(buf, val, strlen(val) + 1);
	return rt_parse(buf, &r, &used) != AG_OK || r.exp < (int64_t)now;
}
