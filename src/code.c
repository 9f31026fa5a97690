/*
 * Authorization codes in state_db (see code.h).
 *
 * Record:
 *	"ac:HASH"	"EXP GEN USED JTI_EXP FAMILY_EXP CLIENT USER REDIRECT
 *			 CHALLENGE JTI FAMILY SCOPE"
 * HASH is the hex SHA-256 of the code (state_db never holds a code
 * that would work), REDIRECT the hex SHA-256 of the redirect URI, USED
 * 1 once redeemed; JTI and FAMILY ("-" until then, FAMILY also when no
 * refresh token was issued) name what the redemption issued, which a
 * second use revokes.  SCOPE, last, may be empty or hold spaces.  The
 * purge drops a record once the code has expired and the access token
 * issued for it too: a code presented after that is only unknown.
 * Client ids and user names hold no space (store_name_ok).
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
#include "code.h"
#include "log.h"
#include "state.h"
#include "state_db.h"

#define CODE_KEY_PREFIX	"ac:"
#define CODE_FIELDS	12	/* before SCOPE */

_Static_assert(3 + CODE_HASH_HEX < ST_KEY_MAX, "a code's key fits");
_Static_assert(5 * 19 + 2 * AG_NAME_MAX + CODE_HASH_HEX + CODE_CHALLENGE_LEN +
    AG_JTI_MAX + 2 * RT_FAMILY_BYTES + AG_SCOPE_MAX + 16 <= ST_VAL_MAX,
    "a code's record fits ST_VAL_MAX");

/* A stored record: the code's grant and its redemption. */
struct code_rec {
	struct authcode		 ac;
	bool			 used;
	struct code_issued	 iss;
};

static void
hex_sha256(const void *p, size_t len, char out[CODE_HASH_HEX + 1])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	size_t		 i;

	(void)SHA256(p, len, md);
	for (i = 0; i < sizeof(md); i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
}

static bool
code_key(const char *code, char *key, size_t keysz)
{
	char	 h[CODE_HASH_HEX + 1];
	size_t	 len;

	len = strnlen(code, CODE_LEN + 1);
	if (len != CODE_LEN || keysz < sizeof(CODE_KEY_PREFIX) + CODE_HASH_HEX)
		return false;
	hex_sha256(code, len, h);
	(void)snprintf(key, keysz, CODE_KEY_PREFIX "%s", h);
	return true;
}

bool
code_verifier_ok(const char *s)
{
	size_t	 len;

	len = strnlen(s, CODE_VERIFIER_MAX + 1);
	if (len < CODE_VERIFIER_MIN || len > CODE_VERIFIER_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~") == len;
}

bool
code_challenge_ok(const char *s)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	size_t		 n;

	return strnlen(s, CODE_CHALLENGE_LEN + 1) == CODE_CHALLENGE_LEN &&
	    b64_decode(s, CODE_CHALLENGE_LEN, md, sizeof(md), &n) == 0 &&
	    n == sizeof(md);
}

/* The next space-separated word of *p into out; false if none fits. */
static bool
word(const char **p, char *out, size_t outsz)
{
	size_t	 n;

	n = strcspn(*p, " ");
	if (n == 0 || n >= outsz)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return true;
}

/* A decimal of 1 to 18 digits. */
static bool
num(const char **p, int64_t *v)
{
	char	 w[20];

	return word(p, w, sizeof(w)) && st_parse_nums(w, v, 1);
}

/* Parse a stored value (written by us, but checked: fail closed). */
static bool
rec_parse(const char *val, struct code_rec *r)
{
	const char	*p = val;
	int64_t		 used;

	memset(r, 0, sizeof(*r));
	if (!num(&p, &r->ac.exp) || !num(&p, &r->ac.gen) || !num(&p, &used) ||
	    used > 1 || !num(&p, &r->iss.jti_exp) ||
	    !num(&p, &r->iss.family_exp) ||
	    !word(&p, r->ac.client_id, sizeof(r->ac.client_id)) ||
	    !word(&p, r->ac.user, sizeof(r->ac.user)) ||
	    !word(&p, r->ac.redirect, sizeof(r->ac.redirect)) ||
	    !word(&p, r->ac.challenge, sizeof(r->ac.challenge)) ||
	    !word(&p, r->iss.jti, sizeof(r->iss.jti)) ||
	    !word(&p, r->iss.family, sizeof(r->iss.family)) ||
	    strlen(p) >= sizeof(r->ac.scope))
		return false;
	memcpy(r->ac.scope, p, strlen(p) + 1);
	r->used = used == 1;
	if (strcmp(r->iss.jti, "-") == 0)
		r->iss.jti[0] = '\0';
	if (strcmp(r->iss.family, "-") == 0)
		r->iss.family[0] = '\0';
	return true;
}

static enum ag_err
rec_put(struct state *sdb, GDBM_FILE dbf, const char *key,
    const struct code_rec *r)
{
	char	 val[ST_VAL_MAX];
	int	 n;

	n = snprintf(val, sizeof(val), "%lld %lld %d %lld %lld %s %s %s %s "
	    "%s %s %s", (long long)r->ac.exp, (long long)r->ac.gen,
	    r->used ? 1 : 0, (long long)r->iss.jti_exp,
	    (long long)r->iss.family_exp,
	    r->ac.client_id, r->ac.user,
	    r->ac.redirect, r->ac.challenge,
	    r->iss.jti[0] != '\0' ? r->iss.jti : "-",
	    r->iss.family[0] != '\0' ? r->iss.family : "-", r->ac.scope);
	if (n < 0 || (size_t)n >= sizeof(val))
		return AG_ETOOBIG;
	return st_put(sdb, dbf, key, val);
}

enum ag_err
code_new(struct state *sdb, struct authcode *ac, const char *redirect_uri,
    time_t now, char code[CODE_LEN + 1])
{
	unsigned char	 rnd[CODE_BYTES];
	struct code_rec	 r;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	code[0] = '\0';
	if (strchr(ac->user, ' ') != NULL || ac->user[0] == '\0' ||
	    strchr(ac->client_id, ' ') != NULL || ac->client_id[0] == '\0' ||
	    !code_challenge_ok(ac->challenge))
		return AG_EINVAL;
	hex_sha256(redirect_uri, strlen(redirect_uri), ac->redirect);
	ac->exp = (int64_t)now + CODE_TTL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return AG_EUNAVAIL;
	if (b64_encode(rnd, sizeof(rnd), code, CODE_LEN + 1) != CODE_LEN) {
		OPENSSL_cleanse(rnd, sizeof(rnd));
		return AG_EINVAL;
	}
	OPENSSL_cleanse(rnd, sizeof(rnd));
	memset(&r, 0, sizeof(r));
	r.ac = *ac;
	(void)code_key(code, key, sizeof(key));
	if ((e = st_open(sdb, true, &lockfd, &dbf)) == AG_OK) {
		e = rec_put(sdb, dbf, key, &r);
		e = st_close(sdb, dbf, lockfd, true, e);
	}
	if (e != AG_OK) {
		OPENSSL_cleanse(code, CODE_LEN + 1);
		code[0] = '\0';
	}
	return e;
}

/* The record of code in dbf: AG_ENOENT unknown or expired. */
static enum ag_err
rec_get(GDBM_FILE dbf, const char *key, time_t now, struct code_rec *r)
{
	char		 val[ST_VAL_MAX];
	enum ag_err	 e;

	memset(r, 0, sizeof(*r));
	if ((e = st_get(dbf, key, val, sizeof(val))) != AG_OK)
		return e;
	if (!rec_parse(val, r)) {
		log_msg("state_db: code record %.11s: damaged", key);
		return AG_EUNAVAIL;
	}
	return r->ac.exp <= (int64_t)now && !r->used ? AG_ENOENT : AG_OK;
}

enum ag_err
code_peek(struct state *sdb, const char *code, time_t now,
    struct authcode *ac)
{
	struct code_rec	 r;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	memset(ac, 0, sizeof(*ac));
	if (!code_key(code, key, sizeof(key)))
		return AG_ENOENT;
	if ((e = st_open(sdb, false, &lockfd, &dbf)) != AG_OK)
		return e;
	e = rec_get(dbf, key, now, &r);
	e = st_close(sdb, dbf, lockfd, false, e);
	if (e == AG_OK && r.used)
		e = AG_EEXIST;
	else if (e == AG_OK)
		*ac = r.ac;
	OPENSSL_cleanse(&r, sizeof(r));
	return e;
}

bool
code_binds(const struct authcode *ac, const char *client_id,
    const char *redirect_uri, const char *verifier)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
	char		 rh[CODE_HASH_HEX + 1];
	size_t		 n;
	bool		 ok;

	if (client_id == NULL || redirect_uri == NULL || verifier == NULL ||
	    strcmp(ac->client_id, client_id) != 0 ||
	    !code_verifier_ok(verifier))
		return false;
	hex_sha256(redirect_uri, strlen(redirect_uri), rh);
	if (strcmp(rh, ac->redirect) != 0)
		return false;
	if (b64_decode(ac->challenge, strlen(ac->challenge), want,
	    sizeof(want), &n) != 0 || n != sizeof(want))
		return false;
	(void)SHA256((const unsigned char *)verifier, strlen(verifier), md);
	ok = CRYPTO_memcmp(md, want, sizeof(md)) == 0;
	OPENSSL_cleanse(md, sizeof(md));
	return ok;
}

/* A second use: revoke what the first issued (idempotent: a retry after
 * a failure here does it again). */
static enum ag_err
revoke_issued(struct state *sdb, GDBM_FILE dbf, const struct code_rec *r)
{
	enum ag_err	 e = AG_OK;

	if (r->iss.jti[0] != '\0')
		e = deny_add_locked(sdb, r->iss.jti, r->iss.jti_exp);
	if (e == AG_OK && r->iss.family[0] != '\0')
		e = refresh_family_end(sdb, dbf, r->iss.family,
		    r->iss.family_exp);
	if (e != AG_OK)
		return e;
	log_msg("authorization code of user \"%s\" used again: its tokens "
	    "revoked (jti %s)", r->ac.user, r->iss.jti[0] != '\0' ?
	    r->iss.jti : "none");
	return AG_EEXIST;
}

enum ag_err
code_redeem(struct state *sdb, const char *code, time_t now,
    const struct code_issued *iss)
{
	struct code_rec	 r;
	char		 key[ST_KEY_MAX];
	GDBM_FILE	 dbf;
	int		 lockfd;
	enum ag_err	 e;

	if (!code_key(code, key, sizeof(key)))
		return AG_ENOENT;
	if ((e = st_open(sdb, true, &lockfd, &dbf)) != AG_OK)
		return e;
	if ((e = rec_get(dbf, key, now, &r)) != AG_OK)
		goto out;
	if (r.used) {
		e = revoke_issued(sdb, dbf, &r);
		goto out;
	}
	if (iss == NULL) {
		e = AG_ENOENT;
		goto out;
	}
	r.used = true;
	r.iss = *iss;
	/* kept while what it issued may be revoked by a second use */
	e = rec_put(sdb, dbf, key, &r);
out:
	OPENSSL_cleanse(&r, sizeof(r));
	return st_close(sdb, dbf, lockfd, true, e);
}

bool
code_stale(const char *key, const char *val, time_t now)
{
	struct code_rec	 r;
	bool		 stale;

	if (strncmp(key, CODE_KEY_PREFIX, sizeof(CODE_KEY_PREFIX) - 1) != 0)
		return false;
	if (!rec_parse(val, &r))
		return true;
	stale = r.ac.exp < (int64_t)now && r.iss.jti_exp < (int64_t)now;
	OPENSSL_cleanse(&r, sizeof(r));
	return stale;
}
