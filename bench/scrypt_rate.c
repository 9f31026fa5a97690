/*
 * scrypt_rate: how many scrypt hashes per second this machine computes,
 * the ceiling of POST /token in bench/run.  THREADS threads each derive
 * 32-byte keys with OpenSSL's EVP_KDF "SCRYPT" (the KDF fetched once,
 * as authgate does) for SECONDS seconds; prints hashes per second.
 *
 *	scrypt_rate LN R P THREADS SECONDS
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#define THREADS_MAX	64

static EVP_KDF		*kdf;
static uint64_t		 n_work;
static uint32_t		 r_work, p_work;
static double		 seconds;
static atomic_long	 done;
static atomic_int	 failed;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
worker(void *arg)
{
	static const char	 pw[] = "correct horse battery staple";
	static const char	 salt[] = "0123456789abcdef";
	unsigned char		 out[32];
	OSSL_PARAM		 params[7];
	uint64_t		 maxmem;
	double			 end = *(double *)arg;
	EVP_KDF_CTX		*ctx;

	maxmem = 128 * (uint64_t)r_work * (n_work + 2) +
	    128 * (uint64_t)r_work * p_work + 1024 * 1024;
	while (now() < end) {
		if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL) {
			atomic_store(&failed, 1);
			break;
		}
		params[0] = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_PASSWORD, (void *)pw, sizeof(pw) - 1);
		params[1] = OSSL_PARAM_construct_octet_string(
		    OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
		params[2] = OSSL_PARAM_construct_uint64(
		    OSSL_KDF_PARAM_SCRYPT_N, &n_work);
		params[3] = OSSL_PARAM_construct_uint32(
		    OSSL_KDF_PARAM_SCRYPT_R, &r_work);
		params[4] = OSSL_PARAM_construct_uint32(
		    OSSL_KDF_PARAM_SCRYPT_P, &p_work);
		params[5] = OSSL_PARAM_construct_uint64(
		    OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
		params[6] = OSSL_PARAM_construct_end();
		if (EVP_KDF_derive(ctx, out, sizeof(out), params) != 1) {
			atomic_store(&failed, 1);
			EVP_KDF_CTX_free(ctx);
			break;
		}
		EVP_KDF_CTX_free(ctx);
		atomic_fetch_add(&done, 1);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	pthread_t	 tids[THREADS_MAX];
	long		 ln, nthreads, i, started = 0;
	double		 t0, end;

	if (argc != 6) {
		fprintf(stderr, "usage: scrypt_rate ln r p threads seconds\n");
		return 2;
	}
	ln = strtol(argv[1], NULL, 10);
	r_work = (uint32_t)strtoul(argv[2], NULL, 10);
	p_work = (uint32_t)strtoul(argv[3], NULL, 10);
	nthreads = strtol(argv[4], NULL, 10);
	seconds = strtod(argv[5], NULL);
	if (ln < 1 || ln > 22 || r_work < 1 || p_work < 1 || nthreads < 1 ||
	    nthreads > THREADS_MAX || seconds <= 0) {
		fprintf(stderr, "scrypt_rate: bad arguments\n");
		return 2;
	}
	n_work = (uint64_t)1 << ln;
	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL) {
		fprintf(stderr, "scrypt_rate: no SCRYPT KDF\n");
		return 1;
	}
	t0 = now();
	end = t0 + seconds;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tids[i], NULL, worker, &end) == 0)
			started++;
	for (i = 0; i < started; i++)
		(void)pthread_join(tids[i], NULL);
	if (atomic_load(&failed) || started == 0) {
		fprintf(stderr, "scrypt_rate: derive failed\n");
		return 1;
	}
	printf("%.1f\n", (double)atomic_load(&done) / (now() - t0));
	EVP_KDF_free(kdf);
	return 0;
}
