/*
 * Sealed refresh tokens (see rtseal.h).
 *
 * A token is the base64url of
 *	VERSION(1) FAMILY(16) SEQ(4) EXP(8) GEN(8)
 *	ULEN(1) USER  CLEN(1) CLIENT  SLEN(2) SCOPE  MAC(32)
 * integers big-endian, MAC the HMAC-SHA256 of everything before it.
 * Nothing in it is secret from its holder: the access token issued
 * with it says the same in its claims.  What the MAC gives is that
 * only this service makes them, so a login need not store one.
 *
 * The key is RT_KEY_LEN random bytes in "<state_db>.rtkey", mode 0600
 * (refused if others may read it).  The first process that needs it
 * and finds none makes it: written to a temporary name and link(2)ed
 * into place, which fails if another process got there first, whose
 * key is then used, so every process ends up with the same one.  It is
 * read again whenever its stamp changes: an administrator who deletes
 * it ends every refresh token, in every process, at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "b64.h"
#include "conf.h"
#include "fsutil.h"
#include "hmac.h"
#include "log.h"
#include "rtseal.h"
#include "state.h"
#include "state_db.h"

#define RT_VERSION	1
#define RT_HEAD_LEN	(1 + RT_FAMILY_BYTES + 4 + 8 + 8)
#define RT_RAW_MAX	(RT_HEAD_LEN + 1 + AG_NAME_MAX + 1 + AG_NAME_MAX + \
			    2 + AG_SCOPE_MAX + HMAC_LEN)
#define RT_RAW_MIN	(RT_HEAD_LEN + 1 + 1 + 1 + 2 + HMAC_LEN)

_Static_assert(B64_ENCLEN(RT_RAW_MAX) == AG_REFRESH_MAX,
    "AG_REFRESH_MAX is the longest sealed token");
_Static_assert(AG_NAME_MAX <= 255 && AG_SCOPE_MAX <= 65535,
    "field lengths fit their length bytes");

/*
 * The key in use, as hashed pads (hmac.c), and the stamp of the file it
 * came from (struct state's kc).  Threads share it under mtx, held
 * while they MAC, so a reload never frees pads another thread is using.
 */
struct rtseal_keys {
	pthread_mutex_t	 mtx;
	struct fsu_stamp st;
	struct hmac_key	*hk;
};

struct rtseal_keys *
rtseal_keys_new(void)
{
	struct rtseal_keys	*kc;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return NULL;
	if (pthread_mutex_init(&kc->mtx, NULL) != 0) {
		free(kc);
		return NULL;
	}
	return kc;
}

void
rtseal_keys_free(struct rtseal_keys *kc)
{
	if (kc == NULL)
		return;
	hmac_key_free(kc->hk);
	(void)pthread_mutex_destroy(&kc->mtx);
	free(kc);
}

enum ag_err
rtseal_key_path(struct state *sdb, char *p, size_t psz)
{
	const struct conf	*c = sdb->c;
	int			 n;

	n = snprintf(p, psz, "%s.rtkey", c->state_db);
	return n < 0 || (size_t)n >= psz ? AG_EINVAL : AG_OK;
}

/* Read the key file at path into kc; AG_EUNAVAIL, logged, if unfit. */
static enum ag_err
key_read(struct rtseal_keys *kc, const char *path)
{
	unsigned char	 key[RT_KEY_LEN + 1];
	struct stat	 st;
	struct hmac_key	*hk;
	ssize_t		 n;
	int		 fd;
	enum ag_err	 e = AG_EUNAVAIL;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return AG_ENOENT;
		log_msg("refresh token key %s: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		log_msg("refresh token key %s: not a regular file", path);
	else if ((st.st_mode & 077) != 0)
		log_msg("refresh token key %s: refused: others may read it "
		    "(chmod 600)", path);
	else if ((n = read(fd, key, sizeof(key))) != RT_KEY_LEN)
		log_msg("refresh token key %s: not %d bytes", path,
		    RT_KEY_LEN);
	else if ((hk = hmac_key_new(key, RT_KEY_LEN)) == NULL)
		log_msg("refresh token key %s: out of memory", path);
	else {
		hmac_key_free(kc->hk);
		kc->hk = hk;
		fsu_stamp_fd(fd, &kc->st);
		e = AG_OK;
	}
	OPENSSL_cleanse(key, sizeof(key));
	(void)close(fd);
	return e;
}

/* Make a key at path unless one is there; either way, then read it. */
static enum ag_err
key_make(struct rtseal_keys *kc, const char *path)
{
	unsigned char	 key[RT_KEY_LEN];
	char		 tmp[PATH_MAX];
	bool		 ok;
	int		 fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return AG_EUNAVAIL;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_msg("refresh token key %s: cannot create: %s", path,
		    strerror(errno));
		return AG_EUNAVAIL;
	}
	ok = RAND_bytes(key, sizeof(key)) == 1 && fsu_own_new(tmp) == 0 &&
	    write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) &&
	    fsync(fd) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	ok = close(fd) == 0 && ok;
	/* link(2), not rename(2): the first key made stays */
	if (ok && link(tmp, path) == -1 && errno != EEXIST)
		ok = false;
	if (!ok)
		log_msg("refresh token key %s: cannot create: %s", path,
		    strerror(errno));
	(void)unlink(tmp);
	if (ok)
		(void)fsu_sync_dir(path);
	return ok ? key_read(kc, path) : AG_EUNAVAIL;
}

/* With kc->mtx held: kc->hk is the key of the state_db, read afresh if
 * its file changed, made if make and there is none. */
static enum ag_err
key_get(struct state *sdb, bool make)
{
	struct rtseal_keys	*kc = sdb->kc;
	struct fsu_stamp	 now;
	char			 path[PATH_MAX];

	if (rtseal_key_path(sdb, path, sizeof(path)) != AG_OK)
		return AG_EUNAVAIL;
	fsu_stamp_path(path, &now);
	if (kc->hk != NULL && fsu_stamp_eq(&kc->st, &now, true))
		return AG_OK;
	hmac_key_free(kc->hk);
	kc->hk = NULL;
	if (!now.exists)
		return make ? key_make(kc, path) : AG_ENOENT;
	return key_read(kc, path);
}

static unsigned char *
put_be(unsigned char *p, uint64_t v, int bytes)
{
	int	 i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	return p + bytes;
}

static uint64_t
get_be(const unsigned char *p, int bytes)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The 32 lowercase hex digits of a family into its 16 bytes. */
static bool
family_bytes(const char *hex, unsigned char *fam)
{
	int	 hi, lo;
	size_t	 i;

	if (strnlen(hex, 2 * RT_FAMILY_BYTES + 1) != 2 * RT_FAMILY_BYTES)
		return false;
	for (i = 0; i < RT_FAMILY_BYTES; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0)
			return false;
		fam[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static void
family_hex(const unsigned char *fam, char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < RT_FAMILY_BYTES; i++) {
		hex[2 * i] = digits[fam[i] >> 4];
		hex[2 * i + 1] = digits[fam[i] & 15];
	}
	hex[2 * RT_FAMILY_BYTES] = '\0';
}

/* Lay r out as a token's bytes before the MAC; 0 if a field is unfit. */
static size_t
pack(const struct refresh *r, unsigned char *raw)
{
	size_t		 ul, cl, sl;
	unsigned char	*p = raw;

	ul = strnlen(r->user, AG_NAME_MAX + 1);
	cl = strnlen(r->client_id, AG_NAME_MAX + 1);
	sl = strnlen(r->scope, AG_SCOPE_MAX + 1);
	if (ul == 0 || ul > AG_NAME_MAX || cl > AG_NAME_MAX ||
	    sl > AG_SCOPE_MAX || r->exp < 0 || r->gen < 0)
		return 0;
	*p++ = RT_VERSION;
	if (!family_bytes(r->family, p))
		return 0;
	p += RT_FAMILY_BYTES;
	p = put_be(p, r->seq, 4);
	p = put_be(p, (uint64_t)r->exp, 8);
	p = put_be(p, (uint64_t)r->gen, 8);
	*p++ = (unsigned char)ul;
	memcpy(p, r->user, ul);
	p += ul;
	*p++ = (unsigned char)cl;
	memcpy(p, r->client_id, cl);
	p += cl;
	p = put_be(p, sl, 2);
	memcpy(p, r->scope, sl);
	p += sl;
	return (size_t)(p - raw);
}

enum ag_err
rtseal_make(struct state *sdb, const struct refresh *r, char *tok,
    size_t toksz)
{
	unsigned char	 raw[RT_RAW_MAX];
	size_t		 len;
	bool		 ok;
	enum ag_err	 e;

	if (toksz > 0)
		tok[0] = '\0';
	if (toksz < AG_REFRESH_MAX + 1 || (len = pack(r, raw)) == 0)
		return AG_EINVAL;
	if (pthread_mutex_lock(&sdb->kc->mtx) != 0)
		return AG_EUNAVAIL;
	if ((e = key_get(sdb, true)) == AG_OK)
		e = hmac_sha256(sdb->kc->hk, raw, len, raw + len) ? AG_OK :
		    AG_EUNAVAIL;
	(void)pthread_mutex_unlock(&sdb->kc->mtx);
	if (e == AG_ENOENT)
		e = AG_EUNAVAIL;
	ok = e == AG_OK &&
	    b64_encode(raw, len + HMAC_LEN, tok, toksz) != 0;
	OPENSSL_cleanse(raw, sizeof(raw));
	return e != AG_OK ? e : ok ? AG_OK : AG_EINVAL;
}

/* Read one length-prefixed string field into out (outsz > max). */
static bool
take_str(const unsigned char **pp, const unsigned char *end, int lenbytes,
    size_t max, char *out)
{
	const unsigned char	*p = *pp;
	size_t			 n;

	if (end - p < lenbytes)
		return false;
	n = (size_t)get_be(p, lenbytes);
	p += lenbytes;
	if (n > max || (size_t)(end - p) < n || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = p + n;
	return true;
}

/* Parse the bytes before the MAC (raw[0..len)) into r. */
static bool
unpack(const unsigned char *raw, size_t len, struct refresh *r)
{
	const unsigned char	*p = raw, *end = raw + len;
	uint64_t		 exp, gen;

	if (len < RT_HEAD_LEN || p[0] != RT_VERSION)
		return false;
	family_hex(p + 1, r->family);
	p += 1 + RT_FAMILY_BYTES;
	r->seq = (uint32_t)get_be(p, 4);
	exp = get_be(p + 4, 8);
	gen = get_be(p + 12, 8);
	p += 20;
	if (exp > INT64_MAX || gen > INT64_MAX)
		return false;
	r->exp = (int64_t)exp;
	r->gen = (int64_t)gen;
	return take_str(&p, end, 1, AG_NAME_MAX, r->user) &&
	    r->user[0] != '\0' &&
	    take_str(&p, end, 1, AG_NAME_MAX, r->client_id) &&
	    take_str(&p, end, 2, AG_SCOPE_MAX, r->scope) && p == end;
}

enum ag_err
rtseal_open(struct state *sdb, const char *tok, struct refresh *r)
{
	unsigned char	 raw[RT_RAW_MAX], mac[HMAC_LEN];
	size_t		 toklen, len = 0;
	enum ag_err	 e;

	memset(r, 0, sizeof(*r));
	toklen = strnlen(tok, AG_REFRESH_MAX + 1);
	if (toklen < B64_ENCLEN(RT_RAW_MIN) || toklen > AG_REFRESH_MAX ||
	    b64_decode(tok, toklen, raw, sizeof(raw), &len) != 0 ||
	    len < RT_RAW_MIN)
		return AG_ENOENT;
	len -= HMAC_LEN;
	if (pthread_mutex_lock(&sdb->kc->mtx) != 0)
		return AG_EUNAVAIL;
	if ((e = key_get(sdb, false)) == AG_OK)
		e = hmac_sha256(sdb->kc->hk, raw, len, mac) ? AG_OK : AG_EUNAVAIL;
	(void)pthread_mutex_unlock(&sdb->kc->mtx);
	if (e == AG_OK && (CRYPTO_memcmp(mac, raw + len, HMAC_LEN) != 0 ||
	    !unpack(raw, len, r)))
		e = AG_ENOENT;
	if (e != AG_OK)
		memset(r, 0, sizeof(*r));
	OPENSSL_cleanse(raw, sizeof(raw));
	return e;
}

void
rtseal_forget(struct state *sdb)
{
	if (pthread_mutex_lock(&sdb->kc->mtx) != 0)
		return;
	hmac_key_free(sdb->kc->hk);
	sdb->kc->hk = NULL;
	(void)pthread_mutex_unlock(&sdb->kc->mtx);
}
