/*
 * Fuzz the browser-facing parsers of the guard: session_cookie() (the
 * Cookie header, both names), accept_prefers_html() (the Accept
 * header) and session_login_location() (the redirect built from the
 * request URI).  The input is one NUL-terminated string, as the web
 * server passes a header.  What is checked beyond memory safety: a
 * cookie found lies inside the header, within SESSION_VALUE_MAX, made
 * of cookie octets; the Location is NUL-terminated, fits, and holds no
 * byte that could split a header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/accept.h"
#include "../../src/session.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cookie(const char *s, size_t len, bool https)
{
	const char	*v;
	size_t		 vl, i;

	if (session_cookie(s, https, &v, &vl) != AG_OK) {
		if (v != NULL || vl != 0)
			abort();
		return;
	}
	if (vl == 0 || vl > SESSION_VALUE_MAX || v < s || v + vl > s + len)
		abort();
	for (i = 0; i < vl; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == ';' ||
		    v[i] == ',' || v[i] == '"' || v[i] == '\\')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, loc[SESSION_LOCATION_MAX];
	size_t	 len, i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	check_cookie(s, len, false);
	check_cookie(s, len, true);
	(void)accept_prefers_html(s);
	if (session_login_location("/oauth/login", s, loc, sizeof(loc))) {
		if (strnlen(loc, sizeof(loc)) == sizeof(loc))
			abort();
		for (i = 0; loc[i] != '\0'; i++)
			if ((unsigned char)loc[i] <= 0x20 ||
			    (unsigned char)loc[i] >= 0x7f)
				abort();
	}
	free(s);
	return 0;
}
