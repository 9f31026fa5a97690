/*
 * Keyrings: the signing key, the next key and the retired keys of
 * key_dir (with their .until files), or the public keys of jwks_file;
 * and lookups by algorithm and kid.
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

static int
name_cmp(const void *a, const void *b)
{
	const char	*const *x = a, *const *y = b;
	const unsigned char *p = (const unsigned char *)*x;
	const unsigned char *q = (const unsigned char *)*y;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	return (int)*p - (int)*q;
}

/*
 * The names in dir ending with suffix, sorted, into a NULL-terminated
 * array the caller frees with key_names_free(); more than max is
 * AG_ETOOBIG.  A missing dir gives an empty list.
 */
enum ag_err
key_dir_names(const char *dir, const char *suffix, size_t max, char ***namesp,
    size_t *np, char *why, size_t whysz)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, **nn;
	size_t		 n = 0, cap = 0;
	enum ag_err	 e = AG_OK;

	*namesp = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return AG_OK;
		ag_why(why, whysz, "%s: %s", dir, strerror(errno));
		return AG_EINVAL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, suffix))
			continue;
		if (n >= max) {
			ag_why(why, whysz, "%s: too many key files", dir);
			e = AG_ETOOBIG;
			break;
		}
		if (n + 1 >= cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nn = reallocarray(names, cap, sizeof(*names))) ==
			    NULL) {
				e = AG_ENOMEM;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			e = AG_ENOMEM;
			break;
		}
		names[++n] = NULL;
	}
	(void)closedir(d);
	if (e != AG_OK) {
		while (n > 0)
			free(names[--n]);
		free(names);
		return e;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*np = n;
	return AG_OK;
}

void
key_names_free(char **names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool
key_path_join(char *dst, size_t dstsz, const char *dir, const char *name)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < dstsz;
}

/* dir/<stem><suffix> into dst. */
bool
key_stem_path(char *dst, size_t dstsz, const char *dir, const char *stem,
    const char *suffix)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s%s", dir, stem, suffix);
	return n >= 0 && (size_t)n < dstsz;
}

/*
 * The time in key_dir/<kid>.until (decimal seconds since the epoch):
 * the latest expiry of a token the key signed outside the rotation
 * rule.  0 when there is none; a file that cannot be read or parsed is
 * logged and counts as none.
 */
time_t
key_until_read(const char *dir, const char *kid)
{
	char		 path[PATH_MAX], buf[KEY_UNTIL_MAX + 1], *end;
	long long	 v;
	ssize_t		 r;
	int		 fd;

	if (!key_stem_path(path, sizeof(path), dir, kid, KEY_UNTIL_SUFFIX))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno != ENOENT)
			log_msg("%s: %s", path, strerror(errno));
		return 0;
	}
	r = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (r <= 0) {
		log_msg("%s: cannot be read", path);
		return 0;
	}
	buf[r] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || errno != 0 ||
	    v < 0) {
		log_msg("%s: not a time", path);
		return 0;
	}
	return (time_t)v;
}

/*
 * When the retired key stem (key_dir/<stem>.key, rotated out at
 * mtime) stops verifying: every token it signed has expired by then.
 */
time_t
key_retired_end(const struct conf *c, const char *stem, time_t mtime)
{
	time_t	 end, u;

	end = mtime + c->access_token_ttl;
	if ((u = key_until_read(c->key_dir, stem)) > end)
		end = u;
	return end + c->leeway;
}

/* "<stem>.key" without ".key" into stem; false if it does not fit. */
bool
key_stem(const char *name, char *stem, size_t stemsz)
{
	size_t	 n = strlen(name), sl = sizeof(".key") - 1;

	if (n <= sl || n - sl >= stemsz)
		return false;
	memcpy(stem, name, n - sl);
	stem[n - sl] = '\0';
	return true;
}

/* Verify-only: jwks_file, key_dir/<*.pub.pem>, an HS256 key_file. */
static enum ag_err
keyring_load_public(const struct conf *c, struct keyring *kr, char *why,
    size_t whysz)
{
	unsigned char	*buf;
	char		**names = NULL, path[PATH_MAX];
	struct key	*k;
	size_t		 len, n = 0, i;
	enum ag_err	 e;

	if (c->jwks_file[0] != '\0') {
		if ((e = key_read_file(c->jwks_file, false, &buf, &len, NULL, why,
		    whysz)) != AG_OK)
			return e;
		e = key_jwks_parse(kr, (const char *)buf, len, false, why, whysz);
		OPENSSL_clear_free(buf, KEY_FILE_MAX + 2);
		if (e != AG_OK) {
			/* Say which file: prefix the message. */
			char tmp[AG_WHY_MAX];

			if (why != NULL && whysz > 0) {
				(void)snprintf(tmp, sizeof(tmp), "%s", why);
				ag_why(why, whysz, "%s: %s", c->jwks_file,
				    tmp);
			}
			return e;
		}
	}
	/* HMAC has no public half: the shared secret verifies. */
	if (c->algorithm == AG_HS256 && c->key_file[0] != '\0') {
		e = key_load_file(c->key_file, true, &k, why, whysz);
		if (e == AG_OK) {
			k->role = ROLE_PUBLIC;
			if ((e = keyring_add(kr, k, why, whysz)) != AG_OK &&
			    e != AG_EEXIST)
				return e;
		} else if (e != AG_ENOENT)
			return e;
	}
	if (c->key_dir[0] == '\0')
		return AG_OK;
	if ((e = key_dir_names(c->key_dir, ".pub.pem", KEY_DIR_LOAD_MAX, &names,
	    &n, why, whysz)) != AG_OK)
		return e;
	for (i = 0; i < n; i++) {
		if (!key_path_join(path, sizeof(path), c->key_dir, names[i])) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			break;
		}
		if ((e = keyring_add_file(kr, path, false, ROLE_PUBLIC, why,
		    whysz)) != AG_OK)
			break;
	}
	key_names_free(names, n);
	return e;
}

/* Signing: key_file, key_dir/next.key, key_dir/<*.key> retired. */
static enum ag_err
keyring_load_private(const struct conf *c, struct keyring *kr, char *why,
    size_t whysz)
{
	struct stat	 st;
	struct key	*k;
	char		**names = NULL, path[PATH_MAX], stem[NAME_MAX + 1];
	size_t		 n = 0, i;
	time_t		 now;
	enum ag_err	 e;

	if ((e = key_load_file(c->key_file, true, &k, why, whysz)) != AG_OK)
		return e;
	if (k->alg != c->algorithm) {
		ag_why(why, whysz, "%s: holds an %s key but algorithm is %s",
		    c->key_file, ag_alg_name(k->alg),
		    ag_alg_name(c->algorithm));
		key_free(k);
		return AG_EINVAL;
	}
	k->role = ROLE_SIGNING;
	if ((e = keyring_add(kr, k, why, whysz)) != AG_OK)
		return e;
	kr->signer = k;
	if (c->key_dir[0] == '\0')
		return AG_OK;

	if (!key_path_join(path, sizeof(path), c->key_dir, KEY_NEXT_NAME)) {
		ag_why(why, whysz, "%s: path too long", c->key_dir);
		return AG_EINVAL;
	}
	e = key_load_file(path, true, &k, why, whysz);
	if (e == AG_OK) {
		if (k->alg != c->algorithm) {
			ag_why(why, whysz, "%s: holds an %s key but "
			    "algorithm is %s", path, ag_alg_name(k->alg),
			    ag_alg_name(c->algorithm));
			key_free(k);
			return AG_EINVAL;
		}
		k->role = ROLE_NEXT;
		if ((e = keyring_add(kr, k, why, whysz)) == AG_EEXIST)
			log_msg("%s: same key as %s; skipped", path,
			    c->key_file);
		else if (e != AG_OK)
			return e;
	} else if (e != AG_ENOENT)
		return e;

	if ((e = key_dir_names(c->key_dir, ".key", KEY_DIR_LOAD_MAX, &names, &n,
	    why, whysz)) != AG_OK)
		return e;
	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (streq(names[i], KEY_NEXT_NAME))
			continue;
		if (!key_path_join(path, sizeof(path), c->key_dir, names[i]) ||
		    !key_stem(names[i], stem, sizeof(stem))) {
			ag_why(why, whysz, "%s: path too long", c->key_dir);
			e = AG_EINVAL;
			break;
		}
		if (stat(path, &st) == 0 &&
		    key_retired_end(c, stem, st.st_mtime) < now) {
			log_msg("%s: its tokens have all expired; skipped (the "
			    "next key rotate removes it)", path);
			continue;
		}
		if ((e = keyring_add_file(kr, path, true, ROLE_RETIRED, why,
		    whysz)) != AG_OK)
			break;
	}
	key_names_free(names, n);
	return e;
}

enum ag_err
keyring_load(const struct conf *c, struct keyring **out, char *why,
    size_t whysz)
{
	struct keyring	*kr;
	enum ag_err	 e;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return AG_ENOMEM;
	if (c->verify_only) {
		e = keyring_load_public(c, kr, why, whysz);
		if (e == AG_OK && kr->n == 0) {
			ag_why(why, whysz, "verify-only: no public key (set "
			    "jwks_file, or put *.pub.pem files in key_dir)");
			e = AG_ENOENT;
		}
	} else
		e = keyring_load_private(c, kr, why, whysz);
	if (e != AG_OK) {
		keyring_free(kr);
		return e;
	}
	*out = kr;
	return AG_OK;
}

const struct key *
keyring_signer(const struct keyring *kr)
{
	return kr->signer;
}

const struct key *
keyring_find(const struct keyring *kr, enum ag_alg alg, const char *kid,
    size_t kidlen)
{
	const struct key	*only = NULL;
	size_t			 i, nalg = 0;

	for (i = 0; i < kr->n; i++) {
		if (kr->keys[i]->alg != alg)
			continue;
		if (kid == NULL) {
			only = kr->keys[i];
			nalg++;
			continue;
		}
		if (strlen(kr->keys[i]->kid) == kidlen &&
		    CRYPTO_memcmp(kr->keys[i]->kid, kid, kidlen) == 0)
			return kr->keys[i];
	}
	if (kid != NULL)
		return NULL;
	/* No kid: the signer if it fits, else an unambiguous key. */
	if (kr->signer != NULL && kr->signer->alg == alg)
		return kr->signer;
	return nalg == 1 ? only : NULL;
}

size_t
keyring_count(const struct keyring *kr)
{
	return kr->n;
}

const struct key *
keyring_at(const struct keyring *kr, size_t i)
{
	return i < kr->n ? kr->keys[i] : NULL;
}
