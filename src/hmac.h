/*
 * HMAC-SHA256 (RFC 2104) with the keyed pads hashed once, at load.
 */
#ifndef HMAC_H
#define HMAC_H

#include <stdbool.h>
#include <stddef.h>

#define HMAC_LEN	32

struct hmac_key;

/* A key of len bytes (any length, RFC 2104 section 2); NULL on ENOMEM. */
struct hmac_key	*hmac_key_new(const void *key, size_t len);
/* Wipes the hashed pads: they stand in for the key. */
void		 hmac_key_free(struct hmac_key *);
/* Thread-safe: hk is only read.  False only if OpenSSL fails. */
bool		 hmac_sha256(const struct hmac_key *hk, const void *msg,
		    size_t len, unsigned char out[HMAC_LEN]);

#endif
