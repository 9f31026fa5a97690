/*
 * HMAC-SHA256 on the verification hot path.
 *
 * HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)).  Both pads fill one
 * SHA-256 block, so the state after hashing each is fixed for a key:
 * hmac_key_new() computes the two states once, and a MAC is then a copy
 * of each state (a struct assignment) and the blocks of m plus one.
 *
 * Why not EVP_MAC: in OpenSSL 3.0 a keyed EVP_MAC_CTX cannot be reused
 * without EVP_MAC_CTX_dup(), which allocates the HMAC context and three
 * digest contexts per call and frees them after; with the provider
 * dispatch around it that was half the instructions of a /protected
 * request (18,000 of 60,000, callgrind).  SHA256_Init/Update/Final are
 * deprecated in 3.0 in favour of EVP_Digest*, whose contexts cannot be
 * copied without allocating either; they remain in every OpenSSL 3
 * release and run the same assembly EVP does.  Only this file uses
 * them, so the deprecation is silenced here alone.  t_hmac checks the
 * result against RFC 4231 and against OpenSSL's own HMAC().
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "hmac.h"

struct hmac_key {
	SHA256_CTX	 inner;		/* after the block K ^ ipad */
	SHA256_CTX	 outer;		/* after the block K ^ opad */
};

static bool
pad_state(SHA256_CTX *c, const unsigned char *k, unsigned char x)
{
	unsigned char	 block[SHA256_CBLOCK];
	size_t		 i;
	bool		 ok;

	for (i = 0; i < sizeof(block); i++)
		block[i] = k[i] ^ x;
	ok = SHA256_Init(c) == 1 && SHA256_Update(c, block, sizeof(block)) == 1;
	OPENSSL_cleanse(block, sizeof(block));
	return ok;
}

struct hmac_key *
hmac_key_new(const void *key, size_t len)
{
	struct hmac_key	*hk;
	unsigned char	 k[SHA256_CBLOCK];
	bool		 ok;

	if ((hk = calloc(1, sizeof(*hk))) == NULL)
		return NULL;
	/* A key longer than a block is replaced by its hash. */
	memset(k, 0, sizeof(k));
	if (len > sizeof(k))
		ok = SHA256(key, len, k) != NULL;
	else {
		if (len > 0)
			memcpy(k, key, len);
		ok = true;
	}
	ok = ok && pad_state(&hk->inner, k, 0x36) &&
	    pad_state(&hk->outer, k, 0x5c);
	OPENSSL_cleanse(k, sizeof(k));
	if (!ok) {
		hmac_key_free(hk);
		return NULL;
	}
	return hk;
}

void
hmac_key_free(struct hmac_key *hk)
{
	if (hk == NULL)
		return;
	OPENSSL_cleanse(hk, sizeof(*hk));
	free(hk);
}

bool
hmac_sha256(const struct hmac_key *hk, const void *msg, size_t len,
    unsigned char out[HMAC_LEN])
{
	SHA256_CTX	 c;
	unsigned char	 inner[SHA256_DIGEST_LENGTH];
	bool		 ok;

	c = hk->inner;
	ok = SHA256_Update(&c, msg, len) == 1 && SHA256_Final(inner, &c) == 1;
	c = hk->outer;
	ok = ok && SHA256_Update(&c, inner, sizeof(inner)) == 1 &&
	    SHA256_Final(out, &c) == 1;
	/* The copies hold keyed state: as good as the key to an attacker
	 * reading the stack later. */
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok;
}
