/*
 * Fuzz csrf_from_cookie(): any bytes as a Cookie header, plain and
 * over HTTPS.  A token it takes is CSRF_LEN base64url characters that
 * the header holds after the cookie's name and '='.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/csrf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *h, bool https)
{
	char	 tok[CSRF_LEN + 1], want[CSRF_LEN + 32];
	size_t	 i, n;

	if (!csrf_from_cookie(h, https, tok)) {
		if (tok[0] != '\0')
			abort();
		return;
	}
	if (strlen(tok) != CSRF_LEN)
		abort();
	for (i = 0; i < CSRF_LEN; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_", tok[i]) == NULL)
			abort();
	n = https ? sizeof(CSRF_COOKIE_HTTPS) : sizeof(CSRF_COOKIE);
	memcpy(want, https ? CSRF_COOKIE_HTTPS "=" : CSRF_COOKIE "=", n);
	memcpy(want + n, tok, CSRF_LEN + 1);
	if (strstr(h, want) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*h;

	if ((h = malloc(size + 1)) == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';		/* a header ends at its NUL */
	check(h, false);
	check(h, true);
	free(h);
	return 0;
}
