/*
 * Key administration, for authgatectl only (the daemon does not link
 * it): generation and secret-file writes, rotation, retirement and the
 * listing of key_dir.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "b64.h"
#include "conf.h"
#include "fsutil.h"
#include "hmac.h"
#include "jw.h"
#include "key.h"
#include "log.h"
#include "key_int.h"

/* A new key for alg as file content (PEM, or the HS256 secret line). */
static enum ag_err
key_material(enum ag_alg alg, unsigned char **bufp, size_t *lenp)
{
	EVP_PKEY	*pk = NULL;
	BIO		*bio = NULL;
	unsigned char	 rnd[KEY_HS256_GEN], *buf = NULL;
	char		*pem;
	long		 pemlen;
	size_t		 n;
	enum ag_err	 e = AG_EINVAL;

	*bufp = NULL;
	*lenp = 0;
	if (alg == AG_HS256) {
		/* Printable, so an administrator can copy it. */
		n = B64_ENCLEN(sizeof(rnd)) + 2;
		if ((buf = malloc(n)) == NULL)
			return AG_ENOMEM;
		if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1 ||
		    b64_encode(rnd, sizeof(rnd), (char *)buf, n) == 0) {
			OPENSSL_cleanse(rnd, sizeof(rnd));
			free(buf);
			return AG_EINVAL;
		}
		OPENSSL_cleanse(rnd, sizeof(rnd));
		buf[n - 2] = '\n';
		*bufp = buf;
		*lenp = n - 1;
		return AG_OK;
	}
	switch (alg) {
	case AG_RS256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_RSA_MIN);
		break;
	case AG_ES256:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case AG_EDDSA:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case AG_HS256:
	case AG_ALG__MAX:
		break;
	}
	if (pk == NULL)
		goto out;
	/* Secure-heap memory BIO: cleared when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	if ((buf = malloc((size_t)pemlen)) == NULL) {
		e = AG_ENOMEM;
		goto out;
	}
	memcpy(buf, pem, (size_t)pemlen);
	*bufp = buf;
	*lenp = (size_t)pemlen;
	e = AG_OK;
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return e;
}

/*
 * A new key for alg written to path, mode 0600, atomically; as root it
 * gets owner, or by default the replaced file's owner or the parent
 * directory's (fsutil.h).
 */
static enum ag_err
key_generate_owned(enum ag_alg alg, const char *path, bool force,
    const struct fsu_owner *owner, char *why, size_t whysz)
{
	unsigned char	*buf;
	size_t		 len;
	enum ag_err	 e;

	if (ag_alg_name(alg) == NULL) {
		ag_why(why, whysz, "unknown algorithm");
		return AG_EINVAL;
	}
	if (!force && access(path, F_OK) == 0) {
		ag_why(why, whysz, "%s: exists; not overwritten (use "
		    "--force)", path);
		return AG_EEXIST;
	}
	if ((e = key_material(alg, &buf, &len)) != AG_OK) {
		ag_why(why, whysz, "%s: cannot generate an %s key", path,
		    ag_alg_name(alg));
		return e;
	}
	e = fsu_write_atomic(path, buf, len, 0600, force, owner, why, whysz);
	OPENSSL_clear_free(buf, len);
	return e;
}

enum ag_err
key_generate(enum ag_alg alg, const char *path, bool force, char *why,
    size_t whysz)
{
	return key_generate_owned(alg, path, force, NULL, why, whysz);
}

/*
 * Create key_dir (0700) when missing.  As root it gets key_file's
 * owner: the service reads both, and key_dir's parent (often /etc) is
 * root's.  Without a key_file, its parent's owner.
 */
static enum ag_err
key_dir_make(const struct conf *c, char *why, size_t whysz)
{
	struct stat	 st;
	struct fsu_owner o;

	if (c->key_dir[0] == '\0') {
		ag_why(why, whysz, "key_dir is not set");
		return AG_EINVAL;
	}
	if (stat(c->key_file, &st) == 0) {
		o.uid = st.st_uid;
		o.gid = st.st_gid;
		return fsu_mkdir(c->key_dir, 0700, &o, why, whysz);
	}
	return fsu_mkdir(c->key_dir, 0700, NULL, why, whysz);
}

/* A retired key of key_dir, as key rotate plans. */
struct retired {
	char	 stem[NAME_MAX + 1];	/* key_dir/<stem>.key: its kid */
	time_t	 end;			/* when it stops verifying */
};

static int
retired_cmp(const void *a, const void *b)
{
	const struct retired	*x = a, *y = b;

	return (x->end > y->end) - (x->end < y->end);
}

/* The retired keys of key_dir, oldest end first, into *rp (freed by the
 * caller), *np. */
static enum ag_err
retired_scan(const struct conf *c, struct retired **rp, size_t *np,
    char *why, size_t whysz)
{
	struct stat	 st;
	struct retired	*r;
	char		**names = NULL, path[PATH_MAX];
	size_t		 n = 0, i, nr = 0;
	enum ag_err	 e;

	*rp = NULL;
	*np = 0;
	if ((e = key_dir_names(c->key_dir, ".key", KEY_DIR_SCAN_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	if ((r = calloc(n + 1, sizeof(*r))) == NULL) {
		key_names_free(names, n);
		return AG_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (streq(names[i], KEY_NEXT_NAME) ||
		    !key_stem(names[i], r[nr].stem, sizeof(r[nr].stem)) ||
		    !key_path_join(path, sizeof(path), c->key_dir, names[i]) ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		r[nr].end = key_retired_end(c, r[nr].stem, st.st_mtime);
		nr++;
	}
	key_names_free(names, n);
	qsort(r, nr, sizeof(*r), retired_cmp);
	*rp = r;
	*np = nr;
	return AG_OK;
}

/* Remove key_dir/<stem>.key and its .until, if any. */
static enum ag_err
retired_remove(const struct conf *c, const char *stem, char *why,
    size_t whysz)
{
	char	 path[PATH_MAX];

	if (!key_stem_path(path, sizeof(path), c->key_dir, stem, ".key")) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	if (key_stem_path(path, sizeof(path), c->key_dir, stem, KEY_UNTIL_SUFFIX)
	    && unlink(path) == -1 && errno != ENOENT) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return AG_EINVAL;
	}
	return AG_OK;
}

/* Remove the .until files whose time (and leeway) has passed. */
static void
until_prune(const struct conf *c, time_t now)
{
	char		**names = NULL, path[PATH_MAX];
	char		 stem[NAME_MAX + 1];
	size_t		 n = 0, i, len;

	if (key_dir_names(c->key_dir, KEY_UNTIL_SUFFIX, KEY_DIR_SCAN_MAX, &names,
	    &n, NULL, 0) != AG_OK)
		return;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]) - (sizeof(KEY_UNTIL_SUFFIX) - 1);
		if (len >= sizeof(stem))
			continue;
		memcpy(stem, names[i], len);
		stem[len] = '\0';
		if (key_until_read(c->key_dir, stem) + c->leeway < now &&
		    key_path_join(path, sizeof(path), c->key_dir, names[i]))
			(void)unlink(path);
	}
	key_names_free(names, n);
}

/*
 * Why a rotation is refused: the service would load total keys, live
 * of them retired ones still verifying (r, n oldest first); name the
 * kids whose removal makes room and when that happens by itself.
 */
static void
refusal_why(const struct retired *r, size_t n, const char *kid,
    size_t live, size_t total, time_t now, char *why, size_t whysz)
{
	struct tm	 tm;
	char		 kids[AG_WHY_MAX * 4], t[32] = "?";
	size_t		 i, need = total - KEYRING_MAX, off = 0;
	int		 w;

	kids[0] = '\0';
	for (i = 0; i < n && need > 0; i++) {
		if (r[i].end < now || (kid != NULL && streq(r[i].stem, kid)))
			continue;
		w = snprintf(kids + off, sizeof(kids) - off, " %s", r[i].stem);
		if (w < 0 || (size_t)w >= sizeof(kids) - off)
			break;
		off += (size_t)w;
		if (--need == 0 && gmtime_r(&r[i].end, &tm) != NULL)
			(void)strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ",
			    &tm);
	}
	ag_why(why, whysz, "rotation refused: the service loads at most %d "
	    "keys and would have %zu (%zu retired keys still verify tokens); "
	    "rotate after %s, or first run authgatectl key retire KID (its "
	    "tokens stop verifying) for:%s", KEYRING_MAX, total, live, t,
	    kids);
}

/*
 * Before a rotation that retires the key kid (NULL: none): refuse when
 * the set would be more than the service loads, else remove the
 * retired keys whose tokens have all expired.
 */
static enum ag_err
rotate_plan(const struct conf *c, const char *kid,
    void (*dropped)(const char *, void *), void *arg, char *why,
    size_t whysz)
{
	struct retired	*r;
	char		 path[PATH_MAX];
	size_t		 n, i, live = 0, total;
	time_t		 now = time(NULL);
	enum ag_err	 e;

	if ((e = retired_scan(c, &r, &n, why, whysz)) != AG_OK)
		return e;
	for (i = 0; i < n; i++)
		if (r[i].end >= now && (kid == NULL || !streq(r[i].stem, kid)))
			live++;
	/* The new signing key, the new next key, the one retired now. */
	total = live + 2 + (kid != NULL);
	if (total > KEYRING_MAX) {
		refusal_why(r, n, kid, live, total, now, why, whysz);
		free(r);
		return AG_ETOOBIG;
	}
	for (i = 0; i < n; i++) {
		if (r[i].end >= now)
			continue;
		if ((e = retired_remove(c, r[i].stem, why, whysz)) != AG_OK)
			break;
		if (dropped != NULL)
			dropped(r[i].stem, arg);
	}
	free(r);
	if (e == AG_OK)
		until_prune(c, now);
	/* The directory the removals were in. */
	if (key_path_join(path, sizeof(path), c->key_dir, KEY_NEXT_NAME))
		(void)fsu_sync_dir(path);
	return e;
}

/* next.key (of the new algorithm) becomes key_file, which keeps its
 * owner kfo (as root). */
static enum ag_err
next_to_signing(const struct conf *c, const char *nextp,
    const struct fsu_owner *kfo, char *why, size_t whysz)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	enum ag_err	 e;

	if (rename(nextp, c->key_file) == 0) {
		if (fsu_chown_root(c->key_file, kfo) == -1) {
			ag_why(why, whysz, "%s: %s", c->key_file,
			    strerror(errno));
			return AG_EINVAL;
		}
		(void)fsu_sync_dir(c->key_file);
		(void)fsu_sync_dir(nextp);
		return AG_OK;
	}
	if (errno != EXDEV) {
		ag_why(why, whysz, "%s: %s", c->key_file, strerror(errno));
		return AG_EINVAL;
	}
	/* key_dir on another file system: copy, then drop. */
	if ((e = key_read_file(nextp, true, &buf, &len, NULL, why, whysz)) !=
	    AG_OK)
		return e;
	e = fsu_write_atomic(c->key_file, buf, len, 0600, true, kfo, why,
	    whysz);
	OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	if (e != AG_OK)
		return e;
	if (unlink(nextp) == -1) {
		ag_why(why, whysz, "%s: %s", nextp, strerror(errno));
		return AG_EINVAL;
	}
	(void)fsu_sync_dir(nextp);
	return AG_OK;
}

enum ag_err
key_rotate(const struct conf *c, enum ag_alg alg,
    void (*dropped)(const char *kid, void *arg), void *arg, char *why,
    size_t whysz)
{
	struct stat	 st;
	struct fsu_owner kfo;
	struct key	*cur = NULL, *next = NULL;
	unsigned char	*buf = NULL;
	char		 nextp[PATH_MAX], retp[PATH_MAX];
	size_t		 len = 0;
	enum ag_err	 e;

	if (ag_alg_name(alg) == NULL) {
		ag_why(why, whysz, "unknown algorithm");
		return AG_EINVAL;
	}
	if ((e = key_dir_make(c, why, whysz)) != AG_OK)
		return e;
	if (!key_path_join(nextp, sizeof(nextp), c->key_dir, KEY_NEXT_NAME)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	/* key_file keeps its owner; a new one gets its directory's. */
	if (stat(c->key_file, &st) == 0) {
		kfo.uid = st.st_uid;
		kfo.gid = st.st_gid;
	} else if (!fsu_parent_owner(c->key_file, &kfo)) {
		ag_why(why, whysz, "%s: %s", c->key_file, strerror(errno));
		return AG_EINVAL;
	}
	/* The current signing key, if any, is kept as a retired key. */
	e = key_read_file(c->key_file, true, &buf, &len, NULL, why, whysz);
	if (e == AG_OK) {
		if ((e = key_load_file(c->key_file, true, &cur, why,
		    whysz)) != AG_OK)
			goto out;
		if (!key_stem_path(retp, sizeof(retp), c->key_dir, cur->kid,
		    ".key")) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			goto out;
		}
	} else if (e != AG_ENOENT)
		goto out;
	if ((e = rotate_plan(c, cur != NULL ? cur->kid : NULL, dropped, arg,
	    why, whysz)) != AG_OK)
		goto out;
	/* A copy, so key_file never goes missing; its mtime, now, is when
	 * it was retired. */
	if (cur != NULL && (e = fsu_write_atomic(retp, buf, len, 0600, true,
	    NULL, why, whysz)) != AG_OK)
		goto out;

	e = key_load_file(nextp, true, &next, why, whysz);
	if (e == AG_OK && next->alg == alg) {
		if ((e = next_to_signing(c, nextp, &kfo, why, whysz)) != AG_OK)
			goto out;
	} else if (e == AG_OK || e == AG_ENOENT) {
		/* No next key of alg: it never signed, so it can go. */
		if (e == AG_OK && unlink(nextp) == -1) {
			ag_why(why, whysz, "%s: %s", nextp, strerror(errno));
			e = AG_EINVAL;
			goto out;
		}
		if ((e = key_generate_owned(alg, c->key_file, true, &kfo, why,
		    whysz)) != AG_OK)
			goto out;
	} else
		goto out;
	e = key_generate_owned(alg, nextp, true, NULL, why, whysz);
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
	key_free(cur);
	key_free(next);
	return e;
}

enum ag_err
key_keep_until(const struct conf *c, const struct key *k, time_t exp,
    char *why, size_t whysz)
{
	char		 path[PATH_MAX], buf[KEY_UNTIL_MAX];
	enum ag_err	 e;
	int		 n;

	/* A rotation comes later than now: mtime + ttl covers it. */
	if (c->key_dir[0] == '\0' || exp <= time(NULL) + c->access_token_ttl)
		return AG_OK;
	if ((e = key_dir_make(c, why, whysz)) != AG_OK)
		return e;
	if (key_until_read(c->key_dir, k->kid) >= exp)
		return AG_OK;
	if (!key_stem_path(path, sizeof(path), c->key_dir, k->kid,
	    KEY_UNTIL_SUFFIX)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	n = snprintf(buf, sizeof(buf), "%lld\n", (long long)exp);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return AG_EINVAL;
	return fsu_write_atomic(path, buf, (size_t)n, 0600, true, NULL, why,
	    whysz);
}
static bool
kid_ok(const char *kid)
{
	size_t	 i, n = strlen(kid);

	if (n == 0 || n > KEY_KID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((kid[i] >= 'A' && kid[i] <= 'Z') ||
		    (kid[i] >= 'a' && kid[i] <= 'z') ||
		    (kid[i] >= '0' && kid[i] <= '9') ||
		    kid[i] == '-' || kid[i] == '_'))
			return false;
	return !streq(kid, "next");
}

enum ag_err
key_retire(const struct conf *c, const char *kid, char *why, size_t whysz)
{
	struct key	*cur = NULL;
	char		 path[PATH_MAX];
	enum ag_err	 e;

	if (!kid_ok(kid)) {
		ag_why(why, whysz, "not a kid: the base64url thumbprint "
		    "authgatectl key list shows");
		return AG_EINVAL;
	}
	if (key_load_file(c->key_file, true, &cur, NULL, 0) == AG_OK) {
		e = streq(cur->kid, kid) ? AG_EINVAL : AG_OK;
		key_free(cur);
		if (e != AG_OK) {
			ag_why(why, whysz, "%s is the signing key; rotate "
			    "first", kid);
			return e;
		}
	}
	if (c->key_dir[0] == '\0' ||
	    !key_stem_path(path, sizeof(path), c->key_dir, kid, ".key")) {
		ag_why(why, whysz, "no retired key %s", kid);
		return AG_ENOENT;
	}
	if (unlink(path) == -1) {
		ag_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? AG_ENOENT : AG_EINVAL;
	}
	/* Its long-lived tokens no longer verify either. */
	if (key_stem_path(path, sizeof(path), c->key_dir, kid, KEY_UNTIL_SUFFIX))
		(void)unlink(path);
	(void)fsu_sync_dir(path);
	return AG_OK;
}

enum ag_err
key_list(const struct conf *c,
    void (*cb)(const char *kid, enum ag_alg alg, const char *role,
    time_t mtime, void *arg), void *arg, char *why, size_t whysz)
{
	struct key	*k;
	char		**names = NULL, path[PATH_MAX], msg[AG_WHY_MAX];
	char		 stem[NAME_MAX + 1];
	const char	*role;
	size_t		 n = 0, i;
	time_t		 now = time(NULL);
	enum ag_err	 e;

	if ((e = key_load_file(c->key_file, true, &k, msg, sizeof(msg))) ==
	    AG_OK) {
		cb(k->kid, k->alg, "signing", k->mtime, arg);
		key_free(k);
	} else if (e != AG_ENOENT)
		log_msg("%s", msg);
	if (c->key_dir[0] == '\0')
		return AG_OK;
	if ((e = key_dir_names(c->key_dir, ".key", KEY_DIR_SCAN_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	/* next.key first, then the retired keys in name order. */
	for (i = 0; i <= n; i++) {
		if (i == 0) {
			if (!key_path_join(path, sizeof(path), c->key_dir,
			    KEY_NEXT_NAME))
				continue;
		} else if (streq(names[i - 1], KEY_NEXT_NAME) ||
		    !key_path_join(path, sizeof(path), c->key_dir, names[i - 1]))
			continue;
		if ((e = key_load_file(path, true, &k, msg, sizeof(msg))) !=
		    AG_OK) {
			if (e != AG_ENOENT)
				log_msg("%s", msg);
			continue;
		}
		role = "next";
		if (i > 0)
			role = key_stem(names[i - 1], stem, sizeof(stem)) &&
			    key_retired_end(c, stem, k->mtime) < now ? "expired" :
			    "retired";
		cb(k->kid, k->alg, role, k->mtime, arg);
		key_free(k);
	}
	key_names_free(names, n);
	return AG_OK;
}
