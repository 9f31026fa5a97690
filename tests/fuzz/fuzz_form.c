/*
 * Fuzz form_parse() and form_get(): any bytes, decoded in place in a
 * buffer of exactly len + 1 bytes, so ASan sees any write past it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form	 f;
	char		*buf;
	size_t		 i, count;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (form_parse(buf, size, &f) == AG_OK) {
		for (i = 0; i < f.n; i++) {
			if (strlen(f.fields[i].value) != f.fields[i].valuelen)
				abort();
			if (form_get(&f, f.fields[i].name, &count) == NULL ||
			    count == 0)
				abort();
		}
	}
	free(buf);
	return 0;
}
