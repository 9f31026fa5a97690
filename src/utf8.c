/*
 * UTF-8 decoding after RFC 3629 section 4.
 */
#include "utf8.h"

size_t
utf8_decode(const void *src, size_t left, uint32_t *cpp)
{
	const unsigned char	*s = src;
	uint32_t		 cp, min;
	size_t			 n, i;

	if (s[0] < 0x80) {
		n = 1;
		cp = s[0];
		goto out;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
out:
	if (cpp != NULL)
		*cpp = cp;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_decode(s + i, len - i, NULL)) == 0)
			return false;
	return true;
}
