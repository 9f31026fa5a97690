/*
 * Fuzz the Authorization parsers, req_bearer() and req_basic(), on any
 * bytes (up to the first NUL, as a CGI variable would be).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/req.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*h, user[AG_NAME_MAX + 1], pass[AG_PASSWORD_MAX + 1];
	const char	*tok;
	size_t		 len, i;

	if ((h = malloc(size + 1)) == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	if (req_bearer(h, &tok, &len) == AG_OK) {
		if (len == 0 || len > AG_TOKEN_MAX || tok < h ||
		    tok + len > h + size)
			abort();
		for (i = 0; i < len; i++)
			if (tok[i] == ' ' || tok[i] == '\0')
				abort();
	}
	if (req_basic(h, user, sizeof(user), pass, sizeof(pass)) == AG_OK) {
		if (strlen(user) >= sizeof(user) ||
		    strlen(pass) >= sizeof(pass))
			abort();
	}
	free(h);
	return 0;
}
