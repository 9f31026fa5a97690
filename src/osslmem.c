/*
 * OpenSSL's allocations, with a spare kept per thread for scrypt.
 *
 * Why: a login at the default cost has OpenSSL's scrypt allocate 16 MiB
 * (128 r N bytes), fill it, and clear and free it.  main.c makes glibc
 * serve such blocks with mmap(2) so that they go back to the system
 * (otherwise every thread's heap keeps its peak), and so each login
 * also took 4,096 page faults and the kernel zeroed 16 MiB before
 * scrypt wrote it: ~14% of the rate of the same hashes with the memory
 * kept (bench/scrypt_rate, MALLOC_MMAP_THRESHOLD_ set and not).
 *
 * So each thread keeps the last such block it freed, at most one, and
 * hands it to its next allocation that fits: a worker's memory after
 * logins is bounded by one block per thread, and a login costs the
 * hash alone.  OpenSSL clears scrypt's memory before freeing it
 * (OPENSSL_clear_free), so the spare holds no secret; it is freed when
 * its thread ends.  Everything smaller goes straight to malloc(3).
 */
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "osslmem.h"

static pthread_key_t	 spare_key;
static _Thread_local void *spare;	/* a block of malloc(3), or NULL */

/*
 * The key's destructor, run in the ending thread.  It clears the
 * thread's pointer too: a destructor that runs later (OpenSSL's own)
 * may still allocate or free, and must not find the freed block there.
 */
static void
spare_free(void *p)
{
	if (spare == p)
		spare = NULL;
	free(p);
}

/*
 * Blocks are plain malloc(3) blocks, sizes asked of malloc_usable_size:
 * so memory that our code or OpenSSL frees with the other's function
 * (OPENSSL_free of a malloc'd buffer) is handled all the same.
 */
static void *
m_alloc(size_t n, const char *file, int line)
{
	void	*p;

	(void)file;
	(void)line;
	if (n >= OSSLMEM_SPARE_MIN && spare != NULL &&
	    malloc_usable_size(spare) >= n) {
		p = spare;
		spare = NULL;
		(void)pthread_setspecific(spare_key, NULL);
		return p;
	}
	return malloc(n);
}

static void
m_free(void *p, const char *file, int line)
{
	size_t	 n;

	(void)file;
	(void)line;
	if (p == NULL)
		return;
	if ((n = malloc_usable_size(p)) < OSSLMEM_SPARE_MIN ||
	    (spare != NULL && malloc_usable_size(spare) >= n)) {
		free(p);
		return;
	}
	/* Keep the larger of the two. */
	free(spare);
	spare = p;
	(void)pthread_setspecific(spare_key, p);
}

static void *
m_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return realloc(p, n);
}

bool
osslmem_init(void)
{
	/* The key's destructor frees a thread's spare when it ends. */
	if (pthread_key_create(&spare_key, spare_free) != 0)
		return false;
	return CRYPTO_set_mem_functions(m_alloc, m_realloc, m_free) == 1;
}
