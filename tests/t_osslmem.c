/*
 * osslmem: OpenSSL allocates through it; a large block freed is kept
 * and handed back to the thread's next large allocation that fits,
 * never to a small one nor to another thread; realloc keeps contents;
 * and scrypt through EVP_KDF still derives RFC 7914's test vector.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "../src/osslmem.h"
#include "tap.h"

#define BIG	(16 * 1024 * 1024)

static void *
other_thread(void *arg)
{
	void	*p = CRYPTO_malloc(BIG, __FILE__, __LINE__);

	*(int *)arg = p == NULL ? -1 : 0;
	CRYPTO_free(p, __FILE__, __LINE__);	/* its spare, freed at exit */
	return NULL;
}

static void *
take_big(void *arg)
{
	void	*p = CRYPTO_malloc(BIG, __FILE__, __LINE__);

	*(void **)arg = p;
	CRYPTO_free(p, __FILE__, __LINE__);
	return NULL;
}

/* RFC 7914 section 12, the second vector: N=1024, r=8, p=16. */
static int
scrypt_vector(void)
{
	static const unsigned char want[8] = {
		0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00
	};
	unsigned char	 out[64];
	uint64_t	 n = 1024, r = 8, p = 16;
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx = NULL;
	OSSL_PARAM	 par[6];
	int		 ok = 0;

	par[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (char *)"password", 8);
	par[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (char *)"NaCl", 4);
	par[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	par[3] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_R, &r);
	par[4] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_P, &p);
	par[5] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) != NULL &&
	    (ctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(ctx, out, sizeof(out), par) == 1)
		ok = memcmp(out, want, sizeof(want)) == 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/*
 * Thread-exit destructors that run after the spare's (keys created
 * later run later in glibc) may still free through OpenSSL: the spare
 * freed by its destructor must not be seen again (a dangling spare is
 * handed out or freed twice).
 */
static pthread_key_t	 late_key;
static int		 late_ok;

static void
late_free(void *arg)
{
	unsigned char	*p;

	(void)arg;
	p = CRYPTO_malloc(BIG, __FILE__, __LINE__);
	if (p != NULL) {
		memset(p, 0x33, BIG);
		CRYPTO_free(p, __FILE__, __LINE__);
		late_ok = 1;
	}
}

static void *
spare_then_late(void *arg)
{
	(void)arg;
	CRYPTO_free(CRYPTO_malloc(BIG, __FILE__, __LINE__), __FILE__,
	    __LINE__);
	(void)pthread_setspecific(late_key, &late_ok);
	return NULL;
}

int
main(void)
{
	unsigned char	*a, *b, *c;
	void		*theirs = NULL;
	pthread_t	 th;
	size_t		 i;
	int		 rc = 1;

	ok(osslmem_init(), "memory functions set before any allocation");

	a = CRYPTO_malloc(100, __FILE__, __LINE__);
	ok(a != NULL, "small allocation");
	for (i = 0; i < 100; i++)
		a[i] = (unsigned char)i;
	a = CRYPTO_realloc(a, 5000, __FILE__, __LINE__);
	ok(a != NULL && a[0] == 0 && a[99] == 99, "realloc keeps contents");
	CRYPTO_free(a, __FILE__, __LINE__);

	b = CRYPTO_malloc(BIG, __FILE__, __LINE__);
	ok(b != NULL, "16 MiB allocation");
	memset(b, 0x5a, BIG);
	CRYPTO_free(b, __FILE__, __LINE__);
	c = CRYPTO_malloc(100, __FILE__, __LINE__);
	ok(c != b, "a small allocation does not get the spare");
	CRYPTO_free(c, __FILE__, __LINE__);
	c = CRYPTO_malloc(BIG - 4096, __FILE__, __LINE__);
	ok(c == b, "the next large one that fits gets the block freed");
	CRYPTO_free(c, __FILE__, __LINE__);
	ok(pthread_create(&th, NULL, take_big, &theirs) == 0 &&
	    pthread_join(th, NULL) == 0, "another thread allocates");
	ok(theirs != NULL && theirs != b, "another thread: not this spare");
	c = CRYPTO_malloc(BIG, __FILE__, __LINE__);
	ok(c == b, "this thread's spare is still its own");
	CRYPTO_free(c, __FILE__, __LINE__);
	c = CRYPTO_malloc(4 * BIG, __FILE__, __LINE__);
	ok(c != NULL && c != b, "larger than the spare: a new block");
	CRYPTO_free(c, __FILE__, __LINE__);
	ok(pthread_create(&th, NULL, other_thread, &rc) == 0 &&
	    pthread_join(th, NULL) == 0 && rc == 0,
	    "a thread ending with a spare (freed by its destructor)");

	ok(pthread_key_create(&late_key, late_free) == 0 &&
	    pthread_create(&th, NULL, spare_then_late, NULL) == 0 &&
	    pthread_join(th, NULL) == 0 && late_ok,
	    "OpenSSL memory used by a later destructor of an ending thread");

	ok(scrypt_vector(), "scrypt: RFC 7914 vector 2");
	ok(scrypt_vector(), "scrypt again, in the kept block");
	return done_testing();
}
