/*
 * Scopes: RFC 6749 3.3's grammar and set operations on scope lists
 * (see scope.h).  Lists are short (AG_SCOPE_MAX bytes), so the
 * operations scan them; no allocation.
 */
#include <string.h>

#include "scope.h"

bool
scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

bool
scope_valid(const char *s)
{
	size_t	 i;
	bool	 intok = false;

	if (strnlen(s, AG_SCOPE_MAX + 1) > AG_SCOPE_MAX)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ') {
			if (!intok)
				return false;
			intok = false;
		} else if (scope_char((unsigned char)s[i]))
			intok = true;
		else
			return false;
	}
	return intok;
}

/* Append the token t (n bytes) to the normal list out of *np bytes. */
static enum ag_err
append(char *out, size_t outsz, size_t *np, const char *t, size_t n)
{
	size_t	 need;

	need = *np + (*np > 0) + n;
	if (need >= outsz || need > AG_SCOPE_MAX)
		return AG_ETOOBIG;
	if (*np > 0)
		out[(*np)++] = ' ';
	memcpy(out + *np, t, n);
	*np += n;
	out[*np] = '\0';
	return AG_OK;
}

enum ag_err
scope_normalise(const char *in, char *out, size_t outsz, const char **bad)
{
	const char	*p = in;
	size_t		 len, n = 0, i;
	enum ag_err	 e;

	if (outsz == 0)
		return AG_ETOOBIG;
	out[0] = '\0';
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return AG_OK;
		len = strcspn(p, " \t");
		for (i = 0; i < len; i++)
			if (!scope_char((unsigned char)p[i])) {
				if (bad != NULL)
					*bad = p;
				out[0] = '\0';
				return AG_EINVAL;
			}
		if (!scope_has(out, p, len) &&
		    (e = append(out, outsz, &n, p, len)) != AG_OK) {
			out[0] = '\0';
			return e;
		}
		p += len;
	}
}

bool
scope_has(const char *list, const char *t, size_t n)
{
	const char	*p = list;
	size_t		 len;

	if (n == 0)
		return false;
	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return false;
		len = strcspn(p, " ");
		if (len == n && memcmp(p, t, n) == 0)
			return true;
		p += len;
	}
}

bool
scope_covers(const char *have, const char *need, const char *seps)
{
	const char	*p = need;
	size_t		 len;

	for (;;) {
		p += strspn(p, seps);
		if (*p == '\0')
			return true;
		len = strcspn(p, seps);
		if (!scope_has(have, p, len))
			return false;
		p += len;
	}
}

enum ag_err
scope_meet(const char *a, const char *b, bool subset_only, char *out,
    size_t outsz)
{
	const char	*p = a;
	size_t		 len, n = 0;
	enum ag_err	 e;

	if (outsz == 0)
		return AG_ETOOBIG;
	out[0] = '\0';
	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return AG_OK;
		len = strcspn(p, " ");
		if (!scope_has(b, p, len)) {
			if (subset_only)
				return AG_EDENIED;
		} else if (!scope_has(out, p, len) &&
		    (e = append(out, outsz, &n, p, len)) != AG_OK)
			return e;
		p += len;
	}
}

enum ag_err
scope_grant(const char *want, const char *allowed, const char *dflt,
    char *out, size_t outsz)
{
	if (want != NULL && want[0] != '\0') {
		if (!scope_valid(want))
			return AG_EINVAL;
		return scope_meet(want, allowed, true, out, outsz);
	}
	if (dflt != NULL && dflt[0] != '\0')
		return scope_meet(dflt, allowed, false, out, outsz);
	return scope_meet(allowed, allowed, false, out, outsz);
}
