/*
 * Process-wide settings (proc.h).  They used to be made in three places
 * (main.c, osslmem.c, and the FastCGI transport), each with half of the
 * reason.  The reason, whole:
 *
 * - glibc gets a fixed mmap threshold: scrypt's working memory (16 MiB
 *   and up) then always comes from mmap(2) and goes back to the system
 *   after a login, instead of raising glibc's dynamic threshold so that
 *   every responder's heap keeps its peak;
 * - OpenSSL allocates through osslmem.c, which keeps one such block per
 *   thread for its next login, so a login does not pay 4,096 page
 *   faults and 16 MiB zeroed for memory it then fills (the two settings
 *   together: memory bounded by one block per thread, and a login
 *   costing the hash alone);
 * - the verified-token cache (vcache.c) is on where a process serves
 *   many requests (FastCGI), off for a CGI run of one request.
 */
#include <malloc.h>
#include <stdbool.h>

#include "log.h"
#include "osslmem.h"
#include "proc.h"
#include "vcache.h"

#define PROC_MMAP_THRESHOLD	(256 * 1024)	/* bytes */

void
proc_init(void)
{
	if (mallopt(M_MMAP_THRESHOLD, PROC_MMAP_THRESHOLD) != 1)
		log_msg("mallopt(M_MMAP_THRESHOLD) failed");
	if (!osslmem_init())
		log_msg("cannot set OpenSSL's memory functions");
}

void
proc_serving(bool fastcgi)
{
	if (fastcgi)
		vcache_enable();
}
