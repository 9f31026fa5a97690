/*
 * Fuzz the sealed refresh token's parser.  The input is tried twice:
 * as a token as a client would send it (refused: nobody can make the
 * MAC), and as the bytes of a token sealed here with the key the
 * target wrote, so the fields' parser sees every shape.  What opens
 * must hold fields within their limits and seal again to the very
 * same token.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../src/b64.h"
#include "../../src/conf.h"
#include "../../src/rtseal.h"
#include "../../src/state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define RAW_MAX		B64_DECLEN(AG_REFRESH_MAX)

static const unsigned char	 key[RT_KEY_LEN] = "fuzz key, 32 bytes, not secret.";
static struct conf		 cf;
static struct state		*sdb;

static int
setup(void)
{
	char	 dir[] = "/tmp/fuzz_rtseal.XXXXXX", path[PATH_MAX + 8];
	int	 fd;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	snprintf(path, sizeof(path), "%s.rtkey", cf.state_db);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key))
		return -1;
	if ((sdb = state_new(&cf)) == NULL)
		return -1;
	return close(fd);
}

static void
check(const char *tok)
{
	struct refresh	 r;
	char		 again[AG_REFRESH_MAX + 1];

	if (rtseal_open(sdb, tok, &r) != AG_OK)
		return;
	if (r.user[0] == '\0' || strlen(r.user) > AG_NAME_MAX ||
	    strlen(r.client_id) > AG_NAME_MAX ||
	    strlen(r.scope) > AG_SCOPE_MAX || strlen(r.family) != 32 ||
	    r.exp < 0 || r.gen < 0)
		abort();
	if (rtseal_make(sdb, &r, again, sizeof(again)) != AG_OK ||
	    strcmp(again, tok) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	unsigned char	 raw[RAW_MAX + EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		*tok, sealed[AG_REFRESH_MAX + 64];

	if (!ready && (ready = setup() == 0 ? 1 : -1) == -1)
		abort();
	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	check(tok);
	free(tok);
	if (size <= RAW_MAX - 32) {
		memcpy(raw, data, size);
		if (HMAC(EVP_sha256(), key, sizeof(key), raw, size, raw + size,
		    &maclen) != NULL && b64_encode(raw, size + maclen, sealed,
		    sizeof(sealed)) != 0)
			check(sealed);
	}
	return 0;
}
