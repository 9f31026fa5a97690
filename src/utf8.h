/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates,
 * nothing beyond U+10FFFF.  Used by every module that checks or writes
 * text taken from a request, a token or a file.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid sequence at s (left bytes, at least 1), or 0 when
 * none starts there.  *cp (if not NULL) receives the code point. */
size_t	utf8_decode(const void *s, size_t left, uint32_t *cp);
/* Whether the len bytes at s are all valid UTF-8. */
bool	utf8_valid(const char *s, size_t len);

#endif
