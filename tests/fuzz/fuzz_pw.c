/*
 * Fuzz pw_verify, pw_supported and pw_needs_rehash with arbitrary stored
 * hashes, and pw_scheme_check with arbitrary password_hash values.  The
 * cost limits in pw.c keep each input fast (fuzzing builds lower them
 * further: FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/pw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 s[AG_HASH_MAX + 2], why[256];
	const char	*w;

	if (size > sizeof(s) - 1)
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)pw_verify(s, "x", 1);
	(void)pw_supported(s, &w);
	(void)pw_needs_rehash(s, "scrypt");
	(void)pw_needs_rehash(s, "bcrypt:4");
	(void)pw_scheme_check(s, why, sizeof(why));
	return 0;
}
