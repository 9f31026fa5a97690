/*
 * Fuzz store_user_decode with arbitrary stored values, and check that
 * what decodes encodes and decodes back to the same user.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct user	 u, u2;
	char		 buf[STORE_RECORD_MAX], name[AG_NAME_MAX + 2];
	size_t		 len, n;

	n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	(void)store_name_ok(name);

	memset(&u, 0, sizeof(u));
	if (store_user_decode((const char *)data, size, &u) != AG_OK)
		return 0;
	if (store_user_encode(&u, buf, sizeof(buf), &len) != AG_OK)
		abort();
	memset(&u2, 0, sizeof(u2));
	if (store_user_decode(buf, len, &u2) != AG_OK ||
	    strcmp(u.hash, u2.hash) != 0 || strcmp(u.scope, u2.scope) != 0 ||
	    u.locked != u2.locked || u.created != u2.created ||
	    u.changed != u2.changed)
		abort();
	return 0;
}
