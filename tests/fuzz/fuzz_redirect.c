/*
 * Fuzz redirect_ok(): whatever it accepts starts with one "/", has no
 * "/" or "\" right after it, and holds only printable ASCII without
 * "\" (redirect.h), so a browser resolves it on this site.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/redirect.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*rd;
	size_t	 i;

	/* An exact-size copy: ASan sees any read past the end. */
	if ((rd = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(rd, data, size);
	if (redirect_ok(rd, size)) {
		if (size == 0 || size > REDIRECT_RD_MAX || rd[0] != '/')
			abort();
		if (size > 1 && (rd[1] == '/' || rd[1] == '\\'))
			abort();
		for (i = 0; i < size; i++)
			if ((unsigned char)rd[i] <= 0x20 ||
			    (unsigned char)rd[i] >= 0x7f || rd[i] == '\\')
				abort();
	}
	free(rd);
	return 0;
}
