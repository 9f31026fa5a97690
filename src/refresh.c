/*
 * Refresh-token families in state_db (see state.h).
 *
 * A refresh token is sealed (rtseal.h): it carries its grant, its
 * family and its place in the family (SEQ, 0 for the login's), so a
 * login stores nothing.  state_db keeps a record for a family only
 * once something happened to it:
 *	"rf:FAMILY"	"SEQ EXP REVOKED": the token of place SEQ is the
 *			family's live one (every earlier one is spent);
 *			REVOKED 1 ends the family; EXP is the latest
 *			expiry of any of its tokens, after which the
 *			record goes (purge)
 * No record: only place 0 is live.  A rotation is one record written,
 * so spending the old token and making its replacement live happen
 * together or not at all; a token of an earlier place presented again
 * is a reuse, which revokes the family (RFC 6819 5.2.2.3).
 *
 * Records of the tokens of before (hashes "rt:HEX", revoked families
 * "fam:FAMILY") name tokens no longer accepted: the purge drops them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gdbm.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf.h"
#include "log.h"
#include "rtseal.h"
#include "state.h"
#include "state_db.h"

struct family {
	bool		 present;	/* a record exists */
	int64_t		 seq;		/* live place (0 without a record) */
	int64_t		 exp;
	bool		 revoked;
};

static void
family_key(const char *family, char *key, size_t keysz)
{
	(void)snprintf(key, keysz, "rf:%s", family);
}

/* Read the family's record; fail closed on one that does not parse. */
static enum ag_err
family_get(GDBM_FILE dbf, const char *family, struct family *f)
{
	char		 key[ST_KEY_MAX], val[64];
	int64_t		 v[3];
	enum ag_err	 e;

	memset(f, 0, sizeof(*f));
	if (dbf == NULL)
		return AG_OK;
	family_key(family, key, sizeof(key));
	if ((e = st_get(dbf, key, val, sizeof(val))) == AG_ENOENT)
		return AG_OK;
	if (e != AG_OK)
		return e;
	if (!st_parse_nums(val, v, 3) || v[2] > 1)
		return AG_EUNAVAIL;
	f->present = true;
	f->seq = v[0];
	f->exp = v[1];
	f->revoked = v[2] == 1;
	return AG_OK;
}

static enum ag_err
family_put(struct state *sdb, GDBM_FILE dbf, const char *family,
    const struct family *f)
{
	char	 key[ST_KEY_MAX], val[64];

	family_key(family, key, sizeof(key));
	(void)snprintf(val, sizeof(val), "%lld %lld %d", (long long)f->seq,
	    (long long)f->exp, f->revoked ? 1 : 0);
	return st_put(sdb, dbf, key, val);
}

/* End the family of r, keeping its record until its last token has
 * expired. */
static enum ag_err
family_revoke(struct state *sdb, GDBM_FILE dbf, const struct refresh *r,
    struct family *f)
{
	if (f->revoked)
		return AG_OK;
	f->revoked = true;
	if (f->exp < r->exp)
		f->exp = r->exp;
	return family_put(sdb, dbf, r->family, f);
}

/* Where tok stands in f: AG_OK live, AG_EDENIED spent or revoked. */
static enum ag_err
standing(const struct refresh *r, const struct family *f)
{
	if (f->revoked || (int64_t)r->seq < f->seq)
		return AG_EDENIED;
	return (int64_t)r->seq == f->seq ? AG_OK : AG_ENOENT;
}

/* Open tok and check its expiry: AG_ENOENT when it is no token. */
static enum ag_err
rt_open(struct state *sdb, const char *tok, time_t now,
    struct refresh *r)
{
	enum ag_err	 e;

	if (tok == NULL)
		return AG_ENOENT;
	if ((e = rtseal_open(sdb, tok, r)) == AG_OK && r->exp <= (int64_t)now)
		e = AG_ENOENT;
	if (e != AG_OK)
		memset(r, 0, sizeof(*r));
	return e;
}

enum ag_err
state_login_ok(struct state *sdb, const char *user, bool forget,
    struct refresh *r, char tok[AG_REFRESH_MAX + 1])
{
	const struct conf	*c = sdb->c;
	unsigned char	 fam[RT_FAMILY_BYTES];
	GDBM_FILE	 dbf;
	size_t		 i;
	int		 lockfd;
	enum ag_err	 e = AG_OK;

	if (tok != NULL)
		tok[0] = '\0';
	if (forget) {
		if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
			return e;
		e = lockout_forget(sdb, dbf, user);
		if ((e = st_close(sdb, dbf, lockfd, true, e)) != AG_OK)
			return e;
	}
	if (r == NULL)
		return AG_OK;
	if (RAND_bytes(fam, sizeof(fam)) != 1)
		return AG_EUNAVAIL;
	if (r->exp == 0)
		r->exp = (int64_t)time(NULL) + c->refresh_token_ttl;
	for (i = 0; i < sizeof(fam); i++)
		(void)snprintf(r->family + 2 * i, 3, "%02x", fam[i]);
	r->seq = 0;
	return rtseal_make(sdb, r, tok, AG_REFRESH_MAX + 1);
}

enum ag_err
state_refresh_find(struct state *sdb, const char *tok, time_t now,
    struct refresh *r)
{
	return rt_open(sdb, tok, now, r);
}

enum ag_err
state_refresh_peek(struct state *sdb, const char *tok, time_t now,
    struct refresh *r)
{
	struct family	 f;
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = rt_open(sdb, tok, now, r)) != AG_OK)
		return e;
	if ((e = st_open(sdb, false, &lockfd, &dbf)) != AG_OK)
		goto out;
	if ((e = family_get(dbf, r->family, &f)) == AG_OK)
		e = standing(r, &f);
	e = st_close(sdb, dbf, lockfd, false, e);
out:
	if (e != AG_OK)
		memset(r, 0, sizeof(*r));
	return e;
}

/*
 * Rotate under the write lock: one record written makes the new token
 * live and spends the old.  The new token is sealed before that write,
 * so a failure to seal spends nothing; a failure to write hands out
 * nothing.
 */
enum ag_err
state_refresh_rotate(struct state *sdb, const char *oldtok, time_t now,
    struct refresh *nr, char tok[AG_REFRESH_MAX + 1])
{
	const struct conf	*c = sdb->c;
	struct refresh	 cur;
	struct family	 f;
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	tok[0] = '\0';
	if ((e = rt_open(sdb, oldtok, now, &cur)) != AG_OK)
		return e;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	if ((e = family_get(dbf, cur.family, &f)) != AG_OK)
		goto out;
	if ((e = standing(&cur, &f)) == AG_EDENIED && !f.revoked) {
		/* A replayed token: someone holds a copy.  End the family
		 * so neither the thief nor the owner can go on; that must
		 * be stored although the answer is "no". */
		if ((e = family_revoke(sdb, dbf, &cur, &f)) == AG_OK) {
			log_msg("refresh token reused: family %.8s revoked, "
			    "user \"%s\"", cur.family, cur.user);
			e = AG_EDENIED;
		}
		goto out;
	}
	if (e != AG_OK)
		goto out;
	if (strcmp(cur.family, nr->family) != 0 ||
	    strcmp(cur.user, nr->user) != 0 || cur.gen != nr->gen ||
	    cur.seq != nr->seq || cur.seq == UINT32_MAX) {
		e = AG_ENOENT;	/* not the grant the caller checked */
		goto out;
	}
	nr->seq = cur.seq + 1;
	if (nr->exp == 0)
		nr->exp = (int64_t)now + c->refresh_token_ttl;
	f.seq = nr->seq;
	if (f.exp < nr->exp)
		f.exp = nr->exp;
	if ((e = rtseal_make(sdb, nr, tok, AG_REFRESH_MAX + 1)) == AG_OK)
		e = family_put(sdb, dbf, nr->family, &f);
out:
	OPENSSL_cleanse(&cur, sizeof(cur));
	if ((e = st_close(sdb, dbf, lockfd, true, e)) != AG_OK) {
		OPENSSL_cleanse(tok, AG_REFRESH_MAX + 1);
		tok[0] = '\0';
	}
	return e;
}

enum ag_err
state_refresh_revoke(struct state *sdb, const char *tok)
{
	struct refresh	 r;
	struct family	 f;
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if ((e = rt_open(sdb, tok, time(NULL), &r)) != AG_OK)
		return e;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	if ((e = family_get(dbf, r.family, &f)) == AG_OK)
		e = family_revoke(sdb, dbf, &r, &f);
	OPENSSL_cleanse(&r, sizeof(r));
	return st_close(sdb, dbf, lockfd, true, e);
}

enum ag_err
refresh_family_end(struct state *sdb, GDBM_FILE dbf, const char *family,
    int64_t exp)
{
	struct refresh	 r;
	struct family	 f;
	enum ag_err	 e;

	memset(&r, 0, sizeof(r));
	if (strlen(family) != 2 * RT_FAMILY_BYTES ||
	    strspn(family, "0123456789abcdef") != 2 * RT_FAMILY_BYTES)
		return AG_EINVAL;
	memcpy(r.family, family, sizeof(r.family));
	r.exp = exp;
	if ((e = family_get(dbf, family, &f)) != AG_OK)
		return e;
	return family_revoke(sdb, dbf, &r, &f);
}

bool
refresh_stale(const char *key, const char *val, time_t now)
{
	int64_t	 v[3];

	/* the records of the unsealed tokens of before */
	if (strncmp(key, "rt:", 3) == 0 || strncmp(key, "fam:", 4) == 0)
		return true;
	if (strncmp(key, "rf:", 3) != 0)
		return false;
	return !st_parse_nums(val, v, 3) || v[1] < (int64_t)now;
}
