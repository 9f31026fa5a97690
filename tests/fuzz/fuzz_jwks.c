/*
 * Fuzz target: a JWK Set (the verify-only jwks_file) into a keyring.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../src/authgate.h"
#include "../../src/key.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring	*kr = NULL;
	char		 why[AG_WHY_MAX], out[16384];
	size_t		 len;

	if (keyring_from_jwks((const char *)data, size, false, &kr, why,
	    sizeof(why)) == AG_OK) {
		/* What was accepted must export again. */
		(void)keyring_jwks(kr, out, sizeof(out), &len);
		keyring_free(kr);
	}
	return 0;
}
