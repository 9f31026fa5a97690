/*
 * Strict base64url without padding.
 */
#include <stdint.h>

#include "b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64_encode(const void *src, size_t srclen, char *dst, size_t dstsz)
{
	const unsigned char	*in = src;
	size_t			 need = B64_ENCLEN(srclen), i, o = 0;
	uint32_t		 v;

	if (dstsz < need + 1)
		return 0;
	for (i = 0; i + 2 < srclen; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = b64_alphabet[v & 63];
	}
	if (srclen - i == 1) {
		v = (uint32_t)in[i] << 16;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
	} else if (srclen - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64_decode(const char *src, size_t srclen, void *dst, size_t dstsz,
    size_t *dstlen)
{
	unsigned char	*out = dst;
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	/* A lone last character carries 6 bits: never a whole byte. */
	if (srclen % 4 == 1 || dstsz < B64_DECLEN(srclen))
		return -1;
	for (i = 0; i < srclen; i++) {
		if ((v = b64_value((unsigned char)src[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, or two strings decode alike. */
	if (acc != 0)
		return -1;
	*dstlen = o;
	return 0;
}
