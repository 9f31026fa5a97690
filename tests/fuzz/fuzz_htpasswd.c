/*
 * Fuzz the htpasswd line parser: whatever it accepts is a valid user
 * name and a hash without ':' within the limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/htpasswd.h"
#include "../../src/store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 name[AG_NAME_MAX + 1], hash[AG_HASH_MAX + 1];
	const char	*why;

	if (htpasswd_parse_line((const char *)data, size, name, hash,
	    &why) != AG_OK)
		return 0;
	if (!store_name_ok(name) || hash[0] == '\0' ||
	    strchr(hash, ':') != NULL || strlen(hash) > AG_HASH_MAX)
		abort();
	return 0;
}
