/*
 * The verified-token cache.
 *
 * Why: clients present the same access token for many requests; its
 * verification (HMAC-SHA256 over ~300 bytes, base64url decoding, two
 * strict JSON parses, claim checks) was most of the work of a
 * /protected request.  A hit costs one pass over the token's bytes.
 *
 * Safety:
 * - A hit needs the whole token, byte for byte, compared in constant
 *   time (same()): a token that differs anywhere, even in a
 *   payload nobody re-reads, is verified afresh.  Matching only the
 *   signature would let a tampered payload through to an application
 *   that decodes it behind us.
 * - Entries belong to one generation of keys and configuration (struct
 *   app's gen): a key reload or retirement empties the cache in
 *   effect, and nothing verified under old keys survives it.
 * - The caller re-checks expiry on every hit, and the deny-list check
 *   runs after the cache as before, so revocation is unchanged.
 * - The slot is chosen by a hash keyed with random bits drawn at the
 *   thread's first use, so which tokens share a slot cannot be chosen
 *   from outside; a miss and a hit differ in time, but telling them
 *   apart only reveals whether one presented the same token again.
 * - The table holds whole tokens: it is mapped apart and excluded from
 *   core dumps (MADV_DONTDUMP), and unmapped when its thread ends.
 *
 * Each thread has its own table: no lock, no sharing of cache lines.
 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vcache.h"

struct slot {
	uint64_t	 gen;		/* 0: empty */
	uint64_t	 hash;
	size_t		 len;
	char		 tok[VCACHE_TOKEN_MAX];
	struct claims	 cl;
};

struct table {
	uint64_t	 key[2];	/* of the slot hash */
	struct slot	 s[VCACHE_SLOTS];
};

static atomic_bool		 enabled;
static pthread_once_t		 key_once = PTHREAD_ONCE_INIT;
static pthread_key_t		 tkey;
static bool			 tkey_ok;
static _Thread_local struct table *table;
static _Thread_local bool	 table_failed;

static void
table_unmap(void *p)
{
	OPENSSL_cleanse(p, sizeof(struct table));
	(void)munmap(p, sizeof(struct table));
}

static void
key_init(void)
{
	tkey_ok = pthread_key_create(&tkey, table_unmap) == 0;
}

void
vcache_enable(void)
{
	atomic_store(&enabled, true);
}

/* This thread's table, mapped at first use; NULL when off or failed. */
static struct table *
table_get(void)
{
	struct table	*t;
	void		*p;

	if (table != NULL || table_failed || !atomic_load(&enabled))
		return table;
	table_failed = true;	/* until it works */
	(void)pthread_once(&key_once, key_init);
	if (!tkey_ok)
		return NULL;
	p = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	t = p;
	if (madvise(p, sizeof(*t), MADV_DONTDUMP) != 0 ||
	    RAND_bytes((unsigned char *)t->key, sizeof(t->key)) != 1 ||
	    pthread_setspecific(tkey, p) != 0) {
		(void)munmap(p, sizeof(*t));
		return NULL;
	}
	table_failed = false;
	table = t;
	return t;
}

/*
 * A keyed 64-bit hash of the token, to pick its slot and skip most
 * comparisons: eight bytes a step, each mixed with a multiply.  Not a
 * MAC, and it need not be: equality is decided by the full comparison.
 */
static uint64_t
hash(const struct table *t, const char *s, size_t len)
{
	uint64_t	 h = t->key[0] ^ len, w;
	size_t		 i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w ^ t->key[1]) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/*
 * Whether a and b (n bytes each) are equal, in a time that depends on n
 * only: eight bytes a step, differences OR-ed together, no early exit
 * (CRYPTO_memcmp goes a byte at a time: a third of a cached request).
 */
static bool
same(const char *a, const char *b, size_t n)
{
	uint64_t	 d = 0, x, y;
	size_t		 i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	for (; i < n; i++)
		d |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
	return d == 0;
}

bool
vcache_get(uint64_t gen, const char *tok, size_t len, struct claims *out)
{
	struct table	*t;
	struct slot	*sl;
	uint64_t	 h;

	if (len == 0 || len > VCACHE_TOKEN_MAX || (t = table_get()) == NULL)
		return false;
	h = hash(t, tok, len);
	sl = &t->s[h % VCACHE_SLOTS];
	if (sl->gen != gen || sl->hash != h || sl->len != len ||
	    !same(sl->tok, tok, len))
		return false;
	*out = sl->cl;
	return true;
}

void
vcache_put(uint64_t gen, const char *tok, size_t len,
    const struct claims *cl)
{
	struct table	*t;
	struct slot	*sl;
	uint64_t	 h;

	if (gen == 0 || len == 0 || len > VCACHE_TOKEN_MAX ||
	    (t = table_get()) == NULL)
		return;
	h = hash(t, tok, len);
	sl = &t->s[h % VCACHE_SLOTS];
	sl->gen = gen;
	sl->hash = h;
	sl->len = len;
	memcpy(sl->tok, tok, len);
	sl->cl = *cl;
}
