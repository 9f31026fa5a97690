/*
 * OpenSSL's allocations, with a spare kept per thread for scrypt's
 * working memory.
 */
#ifndef OSSLMEM_H
#define OSSLMEM_H

#include <stdbool.h>

#define OSSLMEM_SPARE_MIN	(1024 * 1024)	/* only scrypt asks this much */

/* Before any other OpenSSL call; false if OpenSSL allocated already. */
bool	osslmem_init(void);

#endif
