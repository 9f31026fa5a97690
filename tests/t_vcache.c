/*
 * vcache: nothing is cached until enabled; a hit needs the same bytes,
 * the same length and the same generation; tokens over the size limit
 * are never cached; one thread's entries are not another's; a slot
 * taken by another token forgets the first.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../src/vcache.h"
#include "tap.h"

static struct claims
claims_of(const char *sub)
{
	struct claims	 cl;

	memset(&cl, 0, sizeof(cl));
	(void)snprintf(cl.sub, sizeof(cl.sub), "%s", sub);
	(void)snprintf(cl.scope, sizeof(cl.scope), "read");
	(void)snprintf(cl.jti, sizeof(cl.jti), "jti-%s", sub);
	cl.exp = 2000000000;
	return cl;
}

/* A hit of tok as kind, its claims copied to out. */
static bool
kget(uint64_t gen, enum jws_kind kind, const char *tok, size_t len,
    struct claims *out)
{
	const struct claims *cl = vcache_get(gen, kind, tok, len);

	if (cl != NULL)
		*out = *cl;
	return cl != NULL;
}

/* The cache as the access-token checks use it. */
static bool
vget(uint64_t gen, const char *tok, size_t len, struct claims *out)
{
	return kget(gen, JWS_ACCESS, tok, len, out);
}

static void
vput(uint64_t gen, const char *tok, size_t len, const struct claims *cl)
{
	vcache_put(gen, JWS_ACCESS, tok, len, cl);
}

static void *
other_thread(void *arg)
{
	struct claims	 got;

	*(int *)arg = vget(1, "aaa.bbb.ccc", 11, &got);
	return NULL;
}

int
main(void)
{
	static const char tok[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig";
	struct claims	 a = claims_of("alice"), got;
	char		 t2[sizeof(tok)], big[VCACHE_TOKEN_MAX + 2];
	size_t		 len = sizeof(tok) - 1, i, hits;
	pthread_t	 th;
	int		 seen = -1;

	vput(1, tok, len, &a);
	ok(!vget(1, tok, len, &got), "off: nothing cached");

	vcache_enable();
	ok(!vget(1, tok, len, &got), "on, empty: miss");
	vput(1, tok, len, &a);
	ok(vget(1, tok, len, &got), "same token: hit");
	ok(memcmp(&got, &a, sizeof(a)) == 0, "the claims put are the claims got");
	ok(!vget(2, tok, len, &got), "another generation: miss");
	/* RFC 8725 3.11: an access token's bytes are no session. */
	ok(!kget(1, JWS_SESSION, tok, len, &got),
	    "verified as an access token, asked as a session: miss");
	vcache_put(1, JWS_SESSION, tok, len, &a);
	ok(!vget(1, tok, len, &got),
	    "verified as a session, asked as an access token: miss");
	ok(kget(1, JWS_SESSION, tok, len, &got), "  as a session: hit");
	vput(1, tok, len, &a);
	ok(!vget(1, tok, len - 1, &got), "a prefix: miss");

	/* Every single-byte change, at every offset, misses. */
	hits = 0;
	for (i = 0; i < len; i++) {
		memcpy(t2, tok, sizeof(tok));
		t2[i] ^= 1;
		hits += vget(1, t2, len, &got);
	}
	is_int(hits, 0, "any one byte changed: miss");
	ok(vget(1, tok, len, &got), "the original still hits");

	vput(0, tok, len, &a);
	ok(vget(1, tok, len, &got), "generation 0 is never stored");

	memset(big, 'a', sizeof(big));
	vput(1, big, VCACHE_TOKEN_MAX, &a);
	ok(vget(1, big, VCACHE_TOKEN_MAX, &got), "VCACHE_TOKEN_MAX: cached");
	vput(1, big, VCACHE_TOKEN_MAX + 1, &a);
	ok(!vget(1, big, VCACHE_TOKEN_MAX + 1, &got),
	    "VCACHE_TOKEN_MAX + 1: not cached");
	ok(!vget(1, "", 0, &got), "empty token: miss");

	/* The room grows to the longest verified token: an RS256 token
	 * (661 bytes at 2048 bits) and one at 4096 bits are cached. */
	{
		char	 rs[VCACHE_TOKEN_MAX + 1];
		size_t	 n;

		memset(rs, 'r', sizeof(rs));
		vput(1, tok, len, &a);
		ok(vget(1, tok, len, &got), "a short token, cached");
		vput(1, rs, 661, &a);
		ok(vget(1, rs, 661, &got), "661 bytes (RS256): cached");
		ok(!vget(1, rs, 662, &got), "662 bytes of it: miss");
		rs[660] = 's';
		ok(!vget(1, rs, 661, &got), "its last byte changed: miss");
		rs[660] = 'r';
		for (n = 0, i = 0; i < 661; i++) {
			rs[i] ^= 1;
			n += vget(1, rs, 661, &got);
			rs[i] ^= 1;
		}
		is_int(n, 0, "661 bytes, any one byte changed: miss");
		/* The slot a token takes depends on a key drawn per
		 * thread, so two given tokens share one in 1 run of
		 * VCACHE_SLOTS (this check failed so, now and then):
		 * of SIDE short tokens put before the long one, one at
		 * least stays beside it, in all but about 1 run in 10^7
		 * (the last put shares the long one's slot with odds
		 * 1/32, the one before it 2/32, and so on). */
		{
			enum { SIDE = 8 };
			char	 st[SIDE][16];
			int	 k, kept = 0;

			for (k = 0; k < SIDE; k++) {
				(void)snprintf(st[k], sizeof(st[k]),
				    "short.%d.tok", k);
				vput(1, st[k], strlen(st[k]), &a);
			}
			vput(1, rs, 661, &a);
			for (k = 0; k < SIDE; k++)
				kept += vget(1, st[k], strlen(st[k]), &got);
			ok(kept > 0 && vget(1, rs, 661, &got),
			    "short and long side by side");
		}
		/* The slot follows the length and the last 64 bytes (the
		 * signature): two tokens alike there but for a byte before
		 * share a slot, and are still told apart. */
		{
			char	 u[661];

			memcpy(u, rs, sizeof(u));
			u[100] = 'u';
			vput(1, rs, 661, &a);
			vput(1, u, 661, &a);
			ok(vget(1, u, 661, &got) && !vget(1, rs, 661, &got),
			    "alike in their last 64 bytes: one slot, the "
			    "later one kept, the other a miss");
		}
		vput(1, rs, 1000, &a);
		ok(vget(1, rs, 1000, &got), "1000 bytes (RS4096): cached");
		ok(!vget(2, rs, 1000, &got), "another generation: miss");
	}

	vput(1, "aaa.bbb.ccc", 11, &a);
	ok(pthread_create(&th, NULL, other_thread, &seen) == 0 &&
	    pthread_join(th, NULL) == 0, "a second thread ran");
	is_int(seen, 0, "another thread does not see this thread's entry");
	ok(vget(1, "aaa.bbb.ccc", 11, &got), "this thread does");

	/* More distinct tokens than slots: each get either misses or
	 * returns the claims of exactly that token. */
	hits = 0;
	for (i = 0; i < 4 * VCACHE_SLOTS; i++) {
		char		 t[32], sub[32];
		struct claims	 c;

		(void)snprintf(t, sizeof(t), "tok-%zu", i);
		(void)snprintf(sub, sizeof(sub), "user-%zu", i);
		c = claims_of(sub);
		vput(1, t, strlen(t), &c);
	}
	for (i = 0; i < 4 * VCACHE_SLOTS; i++) {
		char	 t[32], sub[32];

		(void)snprintf(t, sizeof(t), "tok-%zu", i);
		(void)snprintf(sub, sizeof(sub), "user-%zu", i);
		if (vget(1, t, strlen(t), &got)) {
			hits++;
			if (strcmp(got.sub, sub) != 0)
				hits += 1000;
		}
	}
	ok(hits > 0 && hits <= VCACHE_SLOTS,
	    "a full table: some hits, at most one per slot, each its own");
	return done_testing();
}
