/*
 * Password hashing and verification.
 *
 * scrypt goes through OpenSSL's EVP_KDF "SCRYPT" with an explicit
 * memory limit (the default limit of 32 MiB refuses OWASP's costs), and
 * is stored in passlib's PHC form: $scrypt$ln=15,r=8,p=1$SALT$HASH with
 * salt and hash in standard base64 without padding.  bcrypt, yescrypt
 * and sha-crypt go through libxcrypt's crypt_r(3).
 *
 * Every hash read from user_db is untrusted: its costs are parsed and
 * checked against the limits in pw.h before any work, so a crafted hash
 * cannot make a login allocate gigabytes or spin for minutes.
 *
 * Default cost.  One scrypt hash (and one verification) measured on the
 * build machine (2 cores, load average 0.1, OpenSSL 3.0.x):
 *	ln=14,r=8,p=1	 16 MiB	  55-80 ms
 *	ln=15,r=8,p=1	 32 MiB	115-135 ms
 *	ln=16,r=8,p=1	 64 MiB	    230 ms
 * The default is the highest that keeps one verification under about
 * 100 ms there: ln=14,r=8,p=1 (PW_SCRYPT_LN_DEFAULT).  Faster machines
 * should raise it (OWASP suggests ln=17,r=8,p=1):
 * password_hash = scrypt:ln=16,r=8,p=1.  For comparison, bcrypt cost 10
 * took 61 ms and yescrypt cost 5 took 19 ms.
 */
#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "b64.h"
#include "pw.h"

/*
 * Fuzzing builds lower the work limits so a fuzzer that finds the
 * largest accepted cost does not time out; the parsing is the same.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define SCRYPT_WORK_CAP		(1UL << 12)
#define BCRYPT_COST_CAP		5
#define SHACRYPT_ROUNDS_CAP	5000UL
#define YESCRYPT_COST_CAP	1
#else
#define SCRYPT_WORK_CAP		PW_SCRYPT_WORK_MAX
#define BCRYPT_COST_CAP		PW_BCRYPT_COST_MAX
#define SHACRYPT_ROUNDS_CAP	((unsigned long)PW_SHACRYPT_ROUNDS_MAX)
#define YESCRYPT_COST_CAP	PW_YESCRYPT_COST_MAX
#endif

#define SCRYPT_SALT_MAX		64	/* bytes, in stored hashes */
#define SCRYPT_HASH_MIN		16
#define SCRYPT_HASH_MAX		64
#define DUMMY_SLOTS		4
#define DUMMY_PASSWORD		"authgate dummy password"

enum pw_kind {
	PW_NONE = 0,
	PW_SCRYPT,
	PW_BCRYPT,
	PW_YESCRYPT,
	PW_SHACRYPT
};

struct pwspec {
	enum pw_kind	 kind;
	unsigned	 ln, r, p;	/* scrypt */
	unsigned	 cost;		/* bcrypt, yescrypt */
};

struct hinfo {
	enum pw_kind	 kind;
	unsigned	 ln, r, p;
	unsigned char	 salt[SCRYPT_SALT_MAX];
	size_t		 saltlen;
	unsigned char	 dk[SCRYPT_HASH_MAX];
	size_t		 dklen;
	unsigned	 cost;		/* bcrypt cost, yescrypt cost */
	char		 variant;	/* bcrypt: 'a', 'b', 'y' */
};

/*
 * The parameter strings crypt_gensalt(3) writes for yescrypt costs 1 to
 * 11 ("$y$" PARAMS "$salt").  Only these are verified: they bound the
 * memory (cost 9 is 256 MiB) without decoding yescrypt's variable-length
 * parameter encoding.
 */
static const char *const yescrypt_params[] = {
	"j75", "j85", "j7T", "j8T", "j9T", "jAT", "jBT", "jCT", "jDT",
	"jET", "jFT"
};


static pthread_once_t	 kdf_once = PTHREAD_ONCE_INIT;
static EVP_KDF		*kdf_scrypt;

static pthread_mutex_t	 dummy_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char	 spec[64];
	char	 hash[AG_HASH_MAX + 1];
} dummy[DUMMY_SLOTS];
static size_t		 dummy_next;

static void
kdf_fetch(void)
{
	kdf_scrypt = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
}

static void
setwhy(char *why, size_t whysz, const char *msg)
{
	if (why != NULL && whysz > 0)
		(void)snprintf(why, whysz, "%s", msg);
}

/* A decimal of len bytes, no sign, no leading zero, at most max. */
static bool
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *v)
{
	unsigned long	 n = 0;
	size_t		 i;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n > max)
		return false;
	*v = n;
	return true;
}

static bool
scrypt_params_ok(unsigned long ln, unsigned long r, unsigned long p,
    const char **why)
{
	uint64_t	 n, mem;

	if (ln < PW_SCRYPT_LN_MIN || ln > PW_SCRYPT_LN_MAX) {
		*why = "scrypt ln out of range 1..20";
		return false;
	}
	if (r < 1 || r > PW_SCRYPT_R_MAX) {
		*why = "scrypt r out of range 1..32";
		return false;
	}
	if (p < 1 || p > PW_SCRYPT_P_MAX) {
		*why = "scrypt p out of range 1..16";
		return false;
	}
	n = (uint64_t)1 << ln;
	/* OpenSSL's accounting: V is 128*r*(N+2) bytes, B is 128*r*p. */
	mem = 128 * (uint64_t)r * (n + 2) + 128 * (uint64_t)r * p;
	if (mem > PW_SCRYPT_MEM_MAX) {
		*why = "scrypt memory (128*r*N) over 256 MiB";
		return false;
	}
	if (n * r * p > SCRYPT_WORK_CAP) {
		*why = "scrypt work (N*r*p) over the limit";
		return false;
	}
	return true;
}

/* "ln=15,r=8,p=1" in any order, each at most once, missing: default. */
static bool
scrypt_spec_params(const char *s, struct pwspec *ps, const char **why)
{
	unsigned long	 ln = PW_SCRYPT_LN_DEFAULT, r = 8, p = 1, v;
	bool		 seen_ln = false, seen_r = false, seen_p = false;
	const char	*end, *eq;
	size_t		 len;

	*why = "scrypt parameters must be ln=N,r=R,p=P";
	for (;;) {
		end = strchr(s, ',');
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		eq = memchr(s, '=', len);
		if (eq == NULL)
			return false;
		if (!parse_uint(eq + 1, len - (size_t)(eq + 1 - s), 1UL << 20,
		    &v))
			return false;
		if (eq - s == 2 && strncmp(s, "ln", 2) == 0 && !seen_ln) {
			ln = v;
			seen_ln = true;
		} else if (eq - s == 1 && s[0] == 'r' && !seen_r) {
			r = v;
			seen_r = true;
		} else if (eq - s == 1 && s[0] == 'p' && !seen_p) {
			p = v;
			seen_p = true;
		} else
			return false;
		if (end == NULL)
			break;
		s = end + 1;
	}
	if (!scrypt_params_ok(ln, r, p, why))
		return false;
	ps->ln = (unsigned)ln;
	ps->r = (unsigned)r;
	ps->p = (unsigned)p;
	return true;
}

static bool
spec_parse(const char *spec, struct pwspec *ps, const char **why)
{
	unsigned long	 v;

	memset(ps, 0, sizeof(*ps));
	*why = "unknown password_hash scheme (scrypt, bcrypt, yescrypt)";
	if (spec == NULL)
		return false;
	if (strncmp(spec, "scrypt", 6) == 0 &&
	    (spec[6] == '\0' || spec[6] == ':')) {
		ps->kind = PW_SCRYPT;
		ps->ln = PW_SCRYPT_LN_DEFAULT;
		ps->r = 8;
		ps->p = 1;
		if (spec[6] == '\0')
			return true;
		return scrypt_spec_params(spec + 7, ps, why);
	}
	if (strncmp(spec, "bcrypt", 6) == 0 &&
	    (spec[6] == '\0' || spec[6] == ':')) {
		ps->kind = PW_BCRYPT;
		ps->cost = PW_BCRYPT_COST_DEFAULT;
		if (spec[6] == '\0')
			return true;
		if (!parse_uint(spec + 7, strlen(spec + 7), PW_BCRYPT_COST_MAX,
		    &v) || v < PW_BCRYPT_COST_MIN) {
			*why = "bcrypt cost must be 4..15";
			return false;
		}
		ps->cost = (unsigned)v;
		return true;
	}
	if (strncmp(spec, "yescrypt", 8) == 0 &&
	    (spec[8] == '\0' || spec[8] == ':')) {
		ps->kind = PW_YESCRYPT;
		ps->cost = PW_YESCRYPT_COST_DEFAULT;
		if (spec[8] == '\0')
			return true;
		if (!parse_uint(spec + 9, strlen(spec + 9),
		    PW_YESCRYPT_COST_MAX, &v) || v < 1) {
			*why = "yescrypt cost must be 1..9";
			return false;
		}
		ps->cost = (unsigned)v;
		return true;
	}
	return false;
}

enum ag_err
pw_scheme_check(const char *spec, char *why, size_t whysz)
{
	struct pwspec	 ps;
	const char	*w;

	if (!spec_parse(spec, &ps, &w)) {
		setwhy(why, whysz, w);
		return AG_EINVAL;
	}
	return AG_OK;
}

/* Parse "$scrypt$ln=N,r=R,p=P$SALT$HASH" (after the "$scrypt$"). */
static bool
scrypt_phc_parse(const char *s, struct hinfo *hi, const char **why)
{
	unsigned long	 ln, r, p;
	const char	*q, *salt, *dk;

	*why = "malformed $scrypt$ hash";
	if (strncmp(s, "ln=", 3) != 0)
		return false;
	s += 3;
	if ((q = strchr(s, ',')) == NULL ||
	    !parse_uint(s, (size_t)(q - s), 64, &ln))
		return false;
	s = q + 1;
	if (strncmp(s, "r=", 2) != 0)
		return false;
	s += 2;
	if ((q = strchr(s, ',')) == NULL ||
	    !parse_uint(s, (size_t)(q - s), 1UL << 20, &r))
		return false;
	s = q + 1;
	if (strncmp(s, "p=", 2) != 0)
		return false;
	s += 2;
	if ((q = strchr(s, '$')) == NULL ||
	    !parse_uint(s, (size_t)(q - s), 1UL << 20, &p))
		return false;
	salt = q + 1;
	if ((q = strchr(salt, '$')) == NULL)
		return false;
	dk = q + 1;
	if (strchr(dk, '$') != NULL)
		return false;
	if (b64std_decode(salt, (size_t)(q - salt), hi->salt,
	    sizeof(hi->salt), &hi->saltlen) != 0 || hi->saltlen == 0)
		return false;
	if (b64std_decode(dk, strlen(dk), hi->dk, sizeof(hi->dk),
	    &hi->dklen) != 0 || hi->dklen < SCRYPT_HASH_MIN)
		return false;
	if (!scrypt_params_ok(ln, r, p, why))
		return false;
	hi->ln = (unsigned)ln;
	hi->r = (unsigned)r;
	hi->p = (unsigned)p;
	return true;
}

static bool
crypt_chars_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '/' ||
		    *s == '=' ||
		    *s == '$'))
			return false;
	return true;
}

/*
 * Schemes refused by their prefix alone, before the crypt alphabet is
 * checked: the reason names the scheme even when the rest is garbage.
 */
static const struct {
	const char	*prefix;
	const char	*why;
} weak_schemes[] = {
	{ "{SHA}", "{SHA} is unsalted SHA-1" },
	{ "$apr1$", "$apr1$ is Apache's MD5 scheme, too weak to keep" },
	{ "$1$", "$1$ is MD5-crypt, too weak to keep" },
};

#define NWEAK_SCHEMES	(sizeof(weak_schemes) / sizeof(weak_schemes[0]))

/* "$2V$CC$" and 53 bytes of salt and hash, len bytes in all. */
static bool
classify_bcrypt(const char *hash, size_t len, struct hinfo *hi,
    const char **why)
{
	unsigned long	 v;

	if (hash[2] == 'x') {
		*why = "$2x$ marks a hash made by a buggy bcrypt";
		return false;
	}
	if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') {
		*why = "unknown bcrypt variant";
		return false;
	}
	if (len != 60 || hash[6] != '$' || hash[4] < '0' ||
	    hash[4] > '9' || hash[5] < '0' || hash[5] > '9' ||
	    strchr(hash + 7, '$') != NULL) {
		*why = "malformed bcrypt hash";
		return false;
	}
	v = (unsigned long)(hash[4] - '0') * 10 +
	    (unsigned long)(hash[5] - '0');
	if (v < PW_BCRYPT_COST_MIN || v > BCRYPT_COST_CAP) {
		*why = "bcrypt cost out of range 4..15";
		return false;
	}
	hi->kind = PW_BCRYPT;
	hi->cost = (unsigned)v;
	hi->variant = hash[2];
	return true;
}

/* What follows "$5$" or "$6$": an optional "rounds=N$", then anything. */
static bool
classify_shacrypt(const char *q, struct hinfo *hi, const char **why)
{
	unsigned long	 v;
	size_t		 i;

	if (strncmp(q, "rounds=", 7) == 0) {
		q += 7;
		i = strcspn(q, "$");
		if (q[i] != '$' || !parse_uint(q, i, 999999999, &v)) {
			*why = "malformed sha-crypt rounds";
			return false;
		}
		if (v > SHACRYPT_ROUNDS_CAP) {
			*why = "sha-crypt rounds over 1000000";
			return false;
		}
	}
	hi->kind = PW_SHACRYPT;
	return true;
}

/* What follows "$y$": one of yescrypt_params[], then "$". */
static bool
classify_yescrypt(const char *q, struct hinfo *hi, const char **why)
{
	unsigned long	 v;
	size_t		 i;

	i = strcspn(q, "$");
	if (q[i] != '$') {
		*why = "malformed yescrypt hash";
		return false;
	}
	for (v = 0; v < YESCRYPT_COST_CAP; v++)
		if (strlen(yescrypt_params[v]) == i &&
		    strncmp(q, yescrypt_params[v], i) == 0)
			break;
	if (v == YESCRYPT_COST_CAP) {
		*why = "yescrypt parameters over the limits";
		return false;
	}
	hi->kind = PW_YESCRYPT;
	hi->cost = (unsigned)v + 1;
	return true;
}

/* A "$"-prefixed crypt(3) hash of len bytes, other than the weak ones. */
static bool
classify_crypt(const char *hash, size_t len, struct hinfo *hi,
    const char **why)
{
	if (!crypt_chars_ok(hash)) {
		*why = "malformed crypt hash";
		return false;
	}
	if (hash[1] == '2' && hash[2] != '\0' && hash[3] == '$')
		return classify_bcrypt(hash, len, hi, why);
	if (strncmp(hash, "$5$", 3) == 0 || strncmp(hash, "$6$", 3) == 0)
		return classify_shacrypt(hash + 3, hi, why);
	if (strncmp(hash, "$y$", 3) == 0)
		return classify_yescrypt(hash + 3, hi, why);
	*why = "unknown crypt scheme";
	return false;
}

/*
 * Classify a stored hash and check its costs.  On false, *why names the
 * scheme or the limit that refuses it.
 */
static bool
classify(const char *hash, struct hinfo *hi, const char **why)
{
	size_t		 len, i;

	memset(hi, 0, sizeof(*hi));
	*why = "unknown hash format";
	if (hash == NULL || hash[0] == '\0') {
		*why = "empty hash";
		return false;
	}
	len = strnlen(hash, AG_HASH_MAX + 1);
	if (len > AG_HASH_MAX) {
		*why = "hash too long";
		return false;
	}
	if (strncmp(hash, "$scrypt$", 8) == 0) {
		if (!scrypt_phc_parse(hash + 8, hi, why))
			return false;
		hi->kind = PW_SCRYPT;
		return true;
	}
	for (i = 0; i < NWEAK_SCHEMES; i++)
		if (strncmp(hash, weak_schemes[i].prefix,
		    strlen(weak_schemes[i].prefix)) == 0) {
			*why = weak_schemes[i].why;
			return false;
		}
	if (hash[0] == '$')
		return classify_crypt(hash, len, hi, why);
	if (len == 13 && crypt_chars_ok(hash)) {
		*why = "DES crypt is too weak to keep";
		return false;
	}
	*why = "plain text or unknown hash format";
	return false;
}

static enum ag_err
scrypt_derive(const char *pw, size_t pwlen, const unsigned char *salt,
    size_t saltlen, unsigned ln, unsigned r, unsigned p, unsigned char *out,
    size_t outlen)
{
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 params[7], *q = params;
	uint64_t	 n = (uint64_t)1 << ln, maxmem;
	uint32_t	 r32 = r, p32 = p;
	enum ag_err	 e = AG_OK;
	static char	 empty[1];

	if (pthread_once(&kdf_once, kdf_fetch) != 0 || kdf_scrypt == NULL)
		return AG_EUNAVAIL;
	/* OpenSSL's own accounting plus slack; the limits are checked. */
	maxmem = 128 * (uint64_t)r * (n + 2) + 128 * (uint64_t)r * p +
	    1024 * 1024;
	if ((ctx = EVP_KDF_CTX_new(kdf_scrypt)) == NULL)
		return AG_ENOMEM;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    pwlen > 0 ? (void *)pw : empty, pwlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1)
		e = AG_ENOMEM;
	EVP_KDF_CTX_free(ctx);
	return e;
}

/* crypt_r(3) with its 32 KiB state on the heap, so threads are safe. */
static enum ag_err
crypt_run(const char *password, size_t pwlen, const char *setting,
    char *out, size_t outsz)
{
	struct crypt_data	*cd;
	char			 buf[AG_PASSWORD_MAX + 1];
	const char		*res;
	size_t			 len;
	enum ag_err		 e = AG_EINVAL;

	if (pwlen > AG_PASSWORD_MAX || memchr(password, '\0', pwlen) != NULL)
		return AG_EINVAL;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return AG_ENOMEM;
	memcpy(buf, password, pwlen);
	buf[pwlen] = '\0';
	res = crypt_r(buf, setting, cd);
	if (res != NULL && res[0] == '$') {
		len = strlen(res);
		if (len < outsz) {
			memcpy(out, res, len + 1);
			e = AG_OK;
		} else
			e = AG_ETOOBIG;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return e;
}

enum ag_err
pw_hash(const char *spec, const char *password, size_t pwlen, char *out,
    size_t outsz)
{
	struct pwspec	 ps;
	unsigned char	 salt[PW_SCRYPT_SALT_LEN], dk[PW_SCRYPT_HASH_LEN];
	char		 s64[64], d64[64];
	char		 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*why, *prefix;
	enum ag_err	 e;
	int		 n;

	if (outsz > 0)
		out[0] = '\0';
	if (!spec_parse(spec, &ps, &why))
		return AG_EINVAL;
	if (pwlen > AG_PASSWORD_MAX)
		return AG_ETOOBIG;
	if (memchr(password, '\0', pwlen) != NULL)
		return AG_EINVAL;	/* see pw_verify */
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return AG_EUNAVAIL;
	if (ps.kind == PW_SCRYPT) {
		if ((e = scrypt_derive(password, pwlen, salt, sizeof(salt),
		    ps.ln, ps.r, ps.p, dk, sizeof(dk))) != AG_OK)
			goto out;
		if (b64std_encode(salt, sizeof(salt), s64, sizeof(s64)) == 0 ||
		    b64std_encode(dk, sizeof(dk), d64, sizeof(d64)) == 0) {
			e = AG_EINVAL;
			goto out;
		}
		n = snprintf(out, outsz, "$scrypt$ln=%u,r=%u,p=%u$%s$%s",
		    ps.ln, ps.r, ps.p, s64, d64);
		if (n < 0 || (size_t)n >= outsz) {
			if (outsz > 0)
				out[0] = '\0';
			e = AG_ETOOBIG;
		} else
			e = AG_OK;
		goto out;
	}
	prefix = ps.kind == PW_BCRYPT ? "$2b$" : "$y$";
	if (crypt_gensalt_rn(prefix, ps.cost, (const char *)salt,
	    (int)sizeof(salt), setting, (int)sizeof(setting)) == NULL) {
		e = AG_EINVAL;
		goto out;
	}
	e = crypt_run(password, pwlen, setting, out, outsz);
out:
	OPENSSL_cleanse(dk, sizeof(dk));
	OPENSSL_cleanse(d64, sizeof(d64));
	return e;
}

bool
pw_verify(const char *hash, const char *password, size_t pwlen)
{
	struct hinfo	 hi;
	unsigned char	 dk[SCRYPT_HASH_MAX];
	char		 res[CRYPT_OUTPUT_SIZE];
	const char	*why;
	bool		 match = false;
	size_t		 len;

	/*
	 * A NUL never matches: crypt(3) would cut the password there, and
	 * scrypt's HMAC zero-pads short keys, so "secret\0" would equal
	 * "secret".
	 */
	if (password == NULL || pwlen > AG_PASSWORD_MAX ||
	    memchr(password, '\0', pwlen) != NULL)
		return false;
	if (!classify(hash, &hi, &why))
		return false;
	switch (hi.kind) {
	case PW_SCRYPT:
		if (scrypt_derive(password, pwlen, hi.salt, hi.saltlen, hi.ln,
		    hi.r, hi.p, dk, hi.dklen) == AG_OK)
			match = CRYPTO_memcmp(dk, hi.dk, hi.dklen) == 0;
		OPENSSL_cleanse(dk, sizeof(dk));
		break;
	case PW_BCRYPT:
	case PW_YESCRYPT:
	case PW_SHACRYPT:
		if (crypt_run(password, pwlen, hash, res, sizeof(res)) !=
		    AG_OK)
			break;
		len = strlen(hash);
		match = strlen(res) == len &&
		    CRYPTO_memcmp(res, hash, len) == 0;
		OPENSSL_cleanse(res, sizeof(res));
		break;
	case PW_NONE:
		break;
	}
	OPENSSL_cleanse(&hi, sizeof(hi));
	return match;
}

void
pw_dummy(const char *spec, const char *password, size_t pwlen)
{
	char	 hash[AG_HASH_MAX + 1];
	size_t	 i;
	bool	 found = false;

	hash[0] = '\0';
	if (spec == NULL || strlen(spec) >= sizeof(dummy[0].spec))
		spec = "scrypt";
	if (pthread_mutex_lock(&dummy_mtx) != 0)
		return;
	for (i = 0; i < DUMMY_SLOTS; i++)
		if (dummy[i].hash[0] != '\0' &&
		    strncmp(dummy[i].spec, spec, sizeof(dummy[i].spec)) == 0) {
			memcpy(hash, dummy[i].hash, sizeof(hash));
			found = true;
			break;
		}
	if (!found && pw_hash(spec, DUMMY_PASSWORD, strlen(DUMMY_PASSWORD),
	    hash, sizeof(hash)) == AG_OK) {
		i = dummy_next++ % DUMMY_SLOTS;
		(void)snprintf(dummy[i].spec, sizeof(dummy[i].spec), "%s",
		    spec);
		memcpy(dummy[i].hash, hash, sizeof(hash));
	}
	(void)pthread_mutex_unlock(&dummy_mtx);
	if (hash[0] != '\0')
		(void)pw_verify(hash, password, pwlen);
}

bool
pw_needs_rehash(const char *hash, const char *spec)
{
	struct pwspec	 ps;
	struct hinfo	 hi;
	const char	*why;

	if (!spec_parse(spec, &ps, &why))
		return false;	/* conf_load refuses such a spec */
	if (!classify(hash, &hi, &why))
		return true;
	switch (hi.kind) {
	case PW_SCRYPT:
		return ps.kind != PW_SCRYPT || hi.ln != ps.ln ||
		    hi.r != ps.r || hi.p != ps.p ||
		    hi.dklen != PW_SCRYPT_HASH_LEN;
	case PW_BCRYPT:
		/* $2a$ may carry the old sign-extension bug: re-hash. */
		return ps.kind != PW_BCRYPT || hi.cost != ps.cost ||
		    hi.variant == 'a';
	case PW_YESCRYPT:
		return ps.kind != PW_YESCRYPT || hi.cost != ps.cost;
	case PW_SHACRYPT:
	case PW_NONE:
		break;
	}
	return true;
}

bool
pw_supported(const char *hash, const char **why)
{
	struct hinfo	 hi;
	const char	*w;

	if (!classify(hash, &hi, &w)) {
		if (why != NULL)
			*why = w;
		return false;
	}
	if (why != NULL)
		*why = NULL;
	return true;
}

/*
 * What checking a password against a hash of the configured scheme
 * takes in this process, in nanoseconds: measured at every pw_dummy()
 * and every check of a current hash, so it follows the machine's load.
 * 0 until the first.
 */
static _Atomic long long	 current_ns;

static long long
mono_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run pw_dummy, and remember how long it took. */
static void
dummy_timed(const char *spec, const char *password, size_t pwlen)
{
	long long	 t0 = mono_ns();

	pw_dummy(spec, password, pwlen);
	current_ns = mono_ns() - t0;
}

bool
pw_check(const char *hash, const char *spec, const char *password,
    size_t pwlen)
{
	struct timespec	 nap;
	long long	 t0, took, want;
	bool		 match;

	if (hash == NULL || !pw_supported(hash, NULL)) {
		dummy_timed(spec, password, pwlen);
		return false;
	}
	t0 = mono_ns();
	match = pw_verify(hash, password, pwlen);
	took = mono_ns() - t0;
	if (!pw_needs_rehash(hash, spec)) {
		current_ns = took;
		return match;
	}
	/*
	 * A legacy hash: a success is re-hashed in the current scheme
	 * (as long again as a dummy); a failure is made to last what a
	 * dummy lasts, by sleeping out the difference when that is known,
	 * else by running one (the first in a process: CGI pays the sum).
	 */
	if (match)
		return true;
	if ((want = current_ns) == 0)
		dummy_timed(spec, password, pwlen);
	else if (took < want) {
		nap.tv_sec = (time_t)((want - took) / 1000000000LL);
		nap.tv_nsec = (long)((want - took) % 1000000000LL);
		while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
			;
	}
	return false;
}
