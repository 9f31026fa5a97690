/*
 * The Bearer scheme's texts (see bearer.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

#include "bearer.h"

bool
bearer_scheme(const char *h)
{
	while (*h == ' ' || *h == '\t')
		h++;
	return strncasecmp(h, "Bearer", 6) == 0 &&
	    (h[6] == '\0' || h[6] == ' ' || h[6] == '\t');
}

/* Append s to buf as the inside of an RFC 9110 quoted-string. */
static bool
qs_append(char *buf, size_t bufsz, size_t *len, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (*len + 3 >= bufsz)
			return false;
		if (quote && (c == '"' || c == '\\'))
			buf[(*len)++] = '\\';
		/* Control bytes cannot travel in a header: drop them. */
		if (c < 0x20 || c == 0x7f)
			continue;
		buf[(*len)++] = (char)c;
	}
	buf[*len] = '\0';
	return true;
}

/* Append , name="value" when value is there. */
static bool
param(char *buf, size_t bufsz, size_t *len, const char *name,
    const char *value)
{
	return value == NULL || (qs_append(buf, bufsz, len, ", ", false) &&
	    qs_append(buf, bufsz, len, name, false) &&
	    qs_append(buf, bufsz, len, "=\"", false) &&
	    qs_append(buf, bufsz, len, value, true) &&
	    qs_append(buf, bufsz, len, "\"", false));
}

bool
bearer_challenge(char *buf, size_t bufsz, const char *realm,
    const char *error, const char *desc, const char *scope)
{
	size_t	 n = 0;

	if (bufsz == 0)
		return false;
	buf[0] = '\0';
	return qs_append(buf, bufsz, &n, "Bearer realm=\"", false) &&
	    qs_append(buf, bufsz, &n, realm, true) &&
	    qs_append(buf, bufsz, &n, "\"", false) &&
	    param(buf, bufsz, &n, "error", error) &&
	    param(buf, bufsz, &n, "error_description", desc) &&
	    param(buf, bufsz, &n, "scope", scope);
}
