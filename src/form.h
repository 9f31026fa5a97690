/*
 * application/x-www-form-urlencoded bodies (WHATWG URL "urlencoded
 * parser", as RFC 6749 appendix B uses it): '&'-separated name=value,
 * '+' is a space, %XX a byte.  Invalid escapes and NUL bytes are errors,
 * not guesses.  Decoding happens in place in the caller's buffer.
 */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

#include "authgate.h"

#define FORM_FIELDS_MAX	32	/* fields accepted in one body */

struct form_field {
	const char	*name;
	const char	*value;		/* NUL-terminated, may be "" */
	size_t		 valuelen;
};

struct form {
	struct form_field fields[FORM_FIELDS_MAX];
	size_t		 n;
};

/* Parse buf (len bytes, decoded in place, NULs written) into f.  buf
 * must hold len + 1 bytes: a NUL is written at buf[len].  AG_EINVAL for
 * a malformed body (bad escape, NUL byte), AG_ETOOBIG for more than
 * FORM_FIELDS_MAX fields.  On error f is empty. */
enum ag_err	 form_parse(char *buf, size_t len, struct form *f);
/* The value of name, or NULL; *count (if not NULL) receives how many
 * times name appears, so callers can refuse repeats (RFC 6749 3.1). */
const char	*form_get(const struct form *f, const char *name,
		    size_t *count);
/* The value of the hex digit c (either case), or -1. */
int		 form_hexval(char c);
/*
 * Decode one urlencoded component of len bytes at src into dst (dstsz
 * bytes, NUL-terminated; dst may equal src when dstsz > len).  *dstlen
 * gets the decoded length.  AG_EINVAL for a NUL or a bad escape,
 * AG_ETOOBIG when the result and its NUL do not fit.
 */
enum ag_err	 form_decode(const char *src, size_t len, char *dst,
		    size_t dstsz, size_t *dstlen);

#endif
