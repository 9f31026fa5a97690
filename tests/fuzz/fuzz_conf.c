/*
 * Fuzz conf_parse(): any bytes, as a configuration file would hold.
 * The message must always be a NUL-terminated string within its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf	 c;
	char			 why[AG_WHY_MAX];

	conf_defaults(&c);
	if (conf_parse(&c, (const char *)data, size, "/etc/fuzz/authgate.conf",
	    why, sizeof(why)) != AG_OK) {
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
	}
	return 0;
}
