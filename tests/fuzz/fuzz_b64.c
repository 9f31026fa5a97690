/*
 * Fuzz target: strict base64url.  Whatever decodes must encode back to
 * the very same text (one spelling per value), and any bytes must
 * survive an encode/decode round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/authgate.h"
#include "../../src/b64.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 dec[AG_TOKEN_MAX];
	static char		 enc[B64_ENCLEN(AG_TOKEN_MAX) + 1];
	size_t			 n, m;

	if (size > AG_TOKEN_MAX)
		return 0;
	if (b64_decode((const char *)data, size, dec, sizeof(dec), &n) == 0) {
		m = b64_encode(dec, n, enc, sizeof(enc));
		if (m != size || memcmp(enc, data, size) != 0)
			abort();
	}
	m = b64_encode(data, size, enc, sizeof(enc));
	if (m != B64_ENCLEN(size) || (size > 0 && m == 0))
		abort();
	if (b64_decode(enc, m, dec, sizeof(dec), &n) != 0 || n != size ||
	    memcmp(dec, data, size) != 0)
		abort();
	return 0;
}
