/*
 * Strict base64url (RFC 4648 section 5) without padding, as JOSE uses it
 * (RFC 7515 section 2): the decoder refuses padding, whitespace, bytes
 * outside the alphabet and non-zero trailing bits, so each value has
 * exactly one encoding.
 */
#ifndef B64_H
#define B64_H

#include <stddef.h>

/* Characters needed to encode n bytes (no NUL). */
#define B64_ENCLEN(n)	(((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))
/* Bytes at most produced by decoding n characters. */
#define B64_DECLEN(n)	(((n) / 4) * 3 + (((n) % 4) ? ((n) % 4) - 1 : 0))

/*
 * Encode srclen bytes into dst (dstsz bytes, room for a NUL); returns the
 * length written, or 0 and dst untouched if dst is too small.
 */
size_t	b64_encode(const void *src, size_t srclen, char *dst, size_t dstsz);
/*
 * Decode srclen characters into dst; returns 0 and sets *dstlen, or -1
 * for any non-canonical input or a dst smaller than B64_DECLEN(srclen).
 */
int	b64_decode(const char *src, size_t srclen, void *dst, size_t dstsz,
	    size_t *dstlen);

/* The same in the standard alphabet ('+' and '/'), still unpadded: the
 * encoding of PHC hash strings, and of HTTP Basic credentials once
 * their '=' padding is checked and removed. */
size_t	b64std_encode(const void *src, size_t srclen, char *dst,
	    size_t dstsz);
int	b64std_decode(const char *src, size_t srclen, void *dst,
	    size_t dstsz, size_t *dstlen);

#endif
