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
 * - A hit needs the kind the token was verified as (jws.h): the bytes
 *   of an access token in the cache are no session, and the reverse.
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
 *
 * Size: the room for a token in a slot follows the tokens the keys in
 * use actually sign.  An HS256 token of ordinary claims is ~300 bytes,
 * an RS256 one 661 at 2048 bits and ~1,000 at 4096, so a fixed room
 * would either waste memory or leave asymmetric tokens uncached.  The
 * table starts with VCACHE_TOKEN_MIN bytes a slot; the first verified
 * token longer than that (only a token our keys signed reaches
 * vcache_put) maps the table again with room for it, rounded up to
 * VCACHE_TOKEN_STEP, up to VCACHE_TOKEN_MAX.  That happens once per
 * thread for a given key size, and forgets the entries: a miss each.
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
	enum jws_kind	 kind;		/* what tok was verified as */
	struct claims	 cl;
	char		 tok[];		/* the table's room bytes */
};

struct table {
	uint64_t	 key[2];	/* of the slot hash */
	size_t		 room;		/* bytes of token a slot holds */
	size_t		 stride;	/* bytes from one slot to the next */
	size_t		 size;		/* bytes mapped */
	_Alignas(8) unsigned char s[];	/* VCACHE_SLOTS slots */
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
	struct table	*t = p;
	size_t		 size = t->size;

	OPENSSL_cleanse(p, size);
	(void)munmap(p, size);
}

/* The bytes of a table whose slots hold room bytes of token. */
static size_t
table_size(size_t room, size_t *stride)
{
	*stride = (sizeof(struct slot) + room + 7) & ~(size_t)7;
	return sizeof(struct table) + VCACHE_SLOTS * *stride;
}

static struct slot *
slot_at(struct table *t, uint64_t h)
{
	return (struct slot *)(void *)(t->s + (h % VCACHE_SLOTS) * t->stride);
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

/* Map a table with room bytes a slot for this thread; NULL on failure. */
static struct table *
table_map(size_t room)
{
	struct table	*t;
	size_t		 size, stride;
	void		*p;

	size = table_size(room, &stride);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	t = p;
	t->size = size;
	t->room = room;
	t->stride = stride;
	if (madvise(p, size, MADV_DONTDUMP) != 0 ||
	    RAND_bytes((unsigned char *)t->key, sizeof(t->key)) != 1 ||
	    pthread_setspecific(tkey, p) != 0) {
		(void)munmap(p, size);
		return NULL;
	}
	return t;
}

/* This thread's table, mapped at first use; NULL when off or failed. */
static struct table *
table_get(void)
{
	if (table != NULL || table_failed || !atomic_load(&enabled))
		return table;
	table_failed = true;	/* until it works */
	(void)pthread_once(&key_once, key_init);
	if (!tkey_ok)
		return NULL;
	if ((table = table_map(VCACHE_TOKEN_MIN)) != NULL)
		table_failed = false;
	return table;
}

/*
 * Room for a verified token of len bytes (at most VCACHE_TOKEN_MAX):
 * the table mapped again, larger and empty, if it had none.  NULL on
 * failure (the old table is kept).
 */
static struct table *
table_room(struct table *t, size_t len)
{
	struct table	*n;
	size_t		 room;

	if (len <= t->room)
		return t;
	room = (len + VCACHE_TOKEN_STEP - 1) / VCACHE_TOKEN_STEP *
	    VCACHE_TOKEN_STEP;
	if (room > VCACHE_TOKEN_MAX)
		room = VCACHE_TOKEN_MAX;
	if ((n = table_map(room)) == NULL) {
		(void)pthread_setspecific(tkey, t);
		return NULL;
	}
	table_unmap(t);
	table = n;
	return n;
}

/*
 * A keyed 64-bit hash of the token, to pick its slot and skip most
 * comparisons: eight bytes a step, each mixed with a multiply.  Not a
 * MAC, and it need not be: equality is decided by the full comparison.
 * Only the length and the last VCACHE_HASH_TAIL bytes are mixed: they
 * hold the signature, which already differs between any two tokens
 * signed, and a chain of multiplies over all of a 357-byte token was a
 * tenth of a cached check.  Tokens that share those bytes share a slot
 * and are told apart by same(); only verified tokens enter the table.
 */
#define VCACHE_HASH_TAIL 64

static uint64_t
hash(const struct table *t, const char *tok, size_t toklen)
{
	const char	*s = tok;
	size_t		 len = toklen, i;
	uint64_t	 h = t->key[0] ^ toklen, w;

	if (len > VCACHE_HASH_TAIL) {
		s += len - VCACHE_HASH_TAIL;
		len = VCACHE_HASH_TAIL;
	}
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

const struct claims *
vcache_get(uint64_t gen, enum jws_kind kind, const char *tok, size_t len)
{
	struct table	*t;
	struct slot	*sl;
	uint64_t	 h;

	if (len == 0 || (t = table_get()) == NULL || len > t->room)
		return NULL;
	h = hash(t, tok, len);
	sl = slot_at(t, h);
	if (sl->gen != gen || sl->hash != h || sl->len != len ||
	    sl->kind != kind || !same(sl->tok, tok, len))
		return NULL;
	return &sl->cl;
}

void
vcache_put(uint64_t gen, enum jws_kind kind, const char *tok, size_t len,
    const struct claims *cl)
{
	struct table	*t;
	struct slot	*sl;
	uint64_t	 h;

	if (gen == 0 || len == 0 || len > VCACHE_TOKEN_MAX ||
	    (t = table_get()) == NULL || (t = table_room(t, len)) == NULL)
		return;
	h = hash(t, tok, len);
	sl = slot_at(t, h);
	sl->gen = gen;
	sl->hash = h;
	sl->len = len;
	sl->kind = kind;
	memcpy(sl->tok, tok, len);
	sl->cl = *cl;
}
