/*
 * Fuzz the deny list's parsers on a whole file: the header, a binary
 * search of the records it promises for keys taken from the input, and
 * every line as the tail would be read.  Whatever they accept is a
 * valid jti and a non-negative expiry, and no read leaves the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/deny.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_entry(const char *jti, int64_t exp)
{
	if (!deny_jti_ok(jti) || exp < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*buf = (const char *)data, *nl, *p;
	char			 jti[AG_JTI_MAX + 1], key[AG_JTI_MAX];
	char			*copy;
	struct deny_head	 h;
	int64_t			 exp;
	size_t			 i;
	int			 r;

	/* A copy of exactly size bytes: ASan sees any overread. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, buf, size);
	r = deny_head_parse(copy, size, &h);
	if (r == 1) {
		if ((h.n + 1) * DENY_REC_LEN > size)
			abort();
		/* keys: each record's own jti bytes, and a few fixed */
		for (i = 0; i < h.n && i < 64; i++) {
			memcpy(key, copy + (i + 1) * DENY_REC_LEN, AG_JTI_MAX);
			if (deny_sorted_find(copy + DENY_REC_LEN, h.n, key,
			    &exp) == 1 && exp < 0)
				abort();
		}
		deny_key("a", key);
		(void)deny_sorted_find(copy + DENY_REC_LEN, h.n, key, &exp);
	}
	for (p = copy; p < copy + size; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(copy + size - p))) == NULL)
			nl = copy + size;
		if (deny_line_parse(p, (size_t)(nl - p), jti, &exp))
			check_entry(jti, exp);
	}
	free(copy);
	return 0;
}
