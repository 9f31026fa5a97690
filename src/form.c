/*
 * application/x-www-form-urlencoded bodies, decoded in place.
 *
 * The WHATWG "urlencoded parser" is lenient: it keeps a bad escape as
 * it is and lets NULs through.  Here both are errors, because a client
 * that sends them is broken or probing, and a guessed value is worse
 * than a refusal.  Empty sequences ("a=1&&b=2", a trailing '&') are
 * skipped, as WHATWG does; a sequence without '=' is a name with an
 * empty value.
 */
#include <string.h>

#include "form.h"

int
form_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum ag_err
form_decode(const char *src, size_t len, char *dst, size_t dstsz,
    size_t *dstlen)
{
	size_t	 i, j = 0;
	int	 hi, lo;

	*dstlen = 0;
	if (dstsz == 0)
		return AG_ETOOBIG;
	/* Writing dst[j] never overtakes reading src[i]: j <= i. */
	for (i = 0; i < len; i++) {
		if (j >= dstsz - 1)
			return AG_ETOOBIG;
		if (src[i] == '\0')
			return AG_EINVAL;
		if (src[i] == '+') {
			dst[j++] = ' ';
			continue;
		}
		if (src[i] != '%') {
			dst[j++] = src[i];
			continue;
		}
		if (len - i < 3)
			return AG_EINVAL;
		hi = form_hexval(src[i + 1]);
		lo = form_hexval(src[i + 2]);
		if (hi == -1 || lo == -1 || (hi | lo) == 0)
			return AG_EINVAL;
		dst[j++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[j] = '\0';
	*dstlen = j;
	return AG_OK;
}

enum ag_err
form_parse(char *buf, size_t len, struct form *f)
{
	size_t	 start, end, eq, n;

	memset(f, 0, sizeof(*f));
	/* Refuse NULs in the whole body first: nothing is decoded then. */
	if (len > 0 && memchr(buf, '\0', len) != NULL)
		return AG_EINVAL;
	for (start = 0; start < len; start = end + 1) {
		for (end = start; end < len && buf[end] != '&'; end++)
			continue;
		if (end == start)
			continue;		/* "&&": WHATWG skips it */
		if (f->n == FORM_FIELDS_MAX) {
			memset(f, 0, sizeof(*f));
			return AG_ETOOBIG;
		}
		for (eq = start; eq < end && buf[eq] != '='; eq++)
			continue;
		/*
		 * The name decodes into [start, eq], its NUL at most at eq;
		 * the value into [eq + 1, end], its NUL at most at end,
		 * which is the '&' or buf[len].
		 */
		if (form_decode(buf + start, eq - start, buf + start,
		    eq - start + 1, &n) != AG_OK)
			goto bad;
		f->fields[f->n].name = buf + start;
		if (eq == end) {
			f->fields[f->n].value = "";
			f->fields[f->n].valuelen = 0;
		} else {
			if (form_decode(buf + eq + 1, end - eq - 1,
			    buf + eq + 1, end - eq, &n) != AG_OK)
				goto bad;
			f->fields[f->n].value = buf + eq + 1;
			f->fields[f->n].valuelen = n;
		}
		f->n++;
	}
	buf[len] = '\0';
	return AG_OK;
bad:
	memset(f, 0, sizeof(*f));
	return AG_EINVAL;
}

const char *
form_get(const struct form *f, const char *name, size_t *count)
{
	const char	*v = NULL;
	size_t		 i, c = 0;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0) {
			if (v == NULL)
				v = f->fields[i].value;
			c++;
		}
	if (count != NULL)
		*count = c;
	return v;
}
