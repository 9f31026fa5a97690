/*
 * Strict base64 without padding, in the URL alphabet (JOSE) and the
 * standard one (PHC strings, HTTP Basic once its padding is checked).
 */
#include <stdint.h>

#include "b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
encode(const char *alphabet, const void *src, size_t srclen, char *dst,
    size_t dstsz)
{
	const unsigned char	*in = src;
	size_t			 need = B64_ENCLEN(srclen), i, o = 0;
	uint32_t		 v;

	if (dstsz < need + 1)
		return 0;
	for (i = 0; i + 2 < srclen; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		dst[o++] = alphabet[v >> 18];
		dst[o++] = alphabet[(v >> 12) & 63];
		dst[o++] = alphabet[(v >> 6) & 63];
		dst[o++] = alphabet[v & 63];
	}
	if (srclen - i == 1) {
		v = (uint32_t)in[i] << 16;
		dst[o++] = alphabet[v >> 18];
		dst[o++] = alphabet[(v >> 12) & 63];
	} else if (srclen - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		dst[o++] = alphabet[v >> 18];
		dst[o++] = alphabet[(v >> 12) & 63];
		dst[o++] = alphabet[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

size_t
b64_encode(const void *src, size_t srclen, char *dst, size_t dstsz)
{
	return encode(b64_alphabet, src, srclen, dst, dstsz);
}

size_t
b64std_encode(const void *src, size_t srclen, char *dst, size_t dstsz)
{
	return encode(b64std_alphabet, src, srclen, dst, dstsz);
}

/* The value of each byte in the alphabet, -1 outside it: one load a
 * character on the token-verification path. */
static const signed char b64_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static const signed char b64std_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int
decode(const signed char *values, const char *src, size_t srclen, void *dst,
    size_t dstsz, size_t *dstlen)
{
	const unsigned char	*in = (const unsigned char *)src;
	unsigned char		*out = dst;
	uint32_t		 v;
	size_t			 i, o = 0, rest;
	int			 a, b, c, d;

	/* A lone last character carries 6 bits: never a whole byte. */
	rest = srclen % 4;
	if (rest == 1 || dstsz < B64_DECLEN(srclen))
		return -1;
	/* Four characters, three bytes at a time: one test for all four,
	 * as any value outside the alphabet is negative. */
	for (i = 0; i + 4 <= srclen; i += 4) {
		a = values[in[i]];
		b = values[in[i + 1]];
		c = values[in[i + 2]];
		d = values[in[i + 3]];
		if ((a | b | c | d) < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	/* Two or three characters left: one or two bytes, and the bits
	 * below them must be zero, or two strings decode alike. */
	if (rest > 0) {
		a = values[in[i]];
		b = values[in[i + 1]];
		c = rest == 3 ? values[in[i + 2]] : 0;
		if ((a | b | c) < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		out[o++] = (unsigned char)(v >> 16);
		if (rest == 3)
			out[o++] = (unsigned char)(v >> 8);
		if ((rest == 2 ? v & 0xffff : v & 0xff) != 0)
			return -1;
	}
	*dstlen = o;
	return 0;
}

int
b64_decode(const char *src, size_t srclen, void *dst, size_t dstsz,
    size_t *dstlen)
{
	return decode(b64_values, src, srclen, dst, dstsz, dstlen);
}

int
b64std_decode(const char *src, size_t srclen, void *dst, size_t dstsz,
    size_t *dstlen)
{
	return decode(b64std_values, src, srclen, dst, dstsz, dstlen);
}
