/*
 * The rd rule (see redirect.h).  A browser resolves a Location against
 * the page's URL with the WHATWG URL parser, which strips tabs and
 * newlines anywhere, takes "\" for "/" in http(s) URLs, and reads a
 * reference starting with two of them as "//host".  So the rule is a
 * list of what is allowed (printable ASCII, one leading "/"), not of
 * what is known to be bad.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "form.h"
#include "redirect.h"

/* The byte %XX at s (3 bytes available) stands for, or -1. */
static int
escaped(const char *s)
{
	int	 hi, lo;

	if (s[0] != '%' || (hi = form_hexval(s[1])) < 0 ||
	    (lo = form_hexval(s[2])) < 0)
		return -1;
	return hi << 4 | lo;
}

bool
redirect_ok(const char *rd, size_t len)
{
	size_t		 i;
	unsigned char	 b;
	int		 c;

	if (len == 0 || len > REDIRECT_RD_MAX || rd[0] != '/')
		return false;
	/* "//host" and "/\host" name another site. */
	if (len > 1 && (rd[1] == '/' || rd[1] == '\\'))
		return false;
	for (i = 0; i < len; i++) {
		b = (unsigned char)rd[i];
		if (b <= 0x20 || b >= 0x7f || b == '\\')
			return false;
		if (b != '%' || len - i < 3)
			continue;
		c = escaped(rd + i);
		/* What a second decoding would make of it. */
		if (c >= 0 && (c < 0x20 || c == 0x7f))
			return false;
		if (i == 1 && (c == '/' || c == '\\'))
			return false;
	}
	return true;
}

const char *
redirect_target(const char *rd, const char *fallback)
{
	if (rd != NULL && redirect_ok(rd, strlen(rd)))
		return rd;
	return fallback;
}
