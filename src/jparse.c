/*
 * A strict JSON parser for JOSE headers and claims, one pass over the
 * text.  Recursion is bounded by JP_DEPTH_MAX, so a deeply nested input
 * is refused after a few frames.  Decoded strings go into o->buf; a
 * decoded string and its NUL never take more room than its quoted text,
 * so o->buf (AG_TOKEN_MAX bytes) always suffices.  Strings of skipped
 * values are decoded only to validate them, and their room is reused.
 */
#include <string.h>

#include "jparse.h"
#include "utf8.h"

struct jp {
	const unsigned char	*p, *end;
	struct jp_obj		*o;
	size_t			 bl;		/* bytes of o->buf used */
	struct jp_str		 names[JP_NAMES_MAX];
	size_t			 nnames;
};

static enum ag_err	skip_value(struct jp *, int);

static void
ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Whether the next byte is c; consumes it if so. */
static bool
eat(struct jp *j, unsigned char c)
{
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static int
hex4(const unsigned char *s)
{
	int	 v = 0, i, d;

	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Store code point cp (below 0x110000) at d as UTF-8; the byte after. */
static char *
utf8_put(char *d, long cp)
{
	if (cp < 0x80)
		*d++ = (char)cp;
	else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	return d;
}

/*
 * The code point of the \u escape whose "\u" j->p has just passed, or
 * -1.  A high surrogate must be followed by the \u escape of a low
 * surrogate; \u0000 is refused so that C strings are the whole value.
 */
static long
u_escape(struct jp *j)
{
	long	 cp, lo;

	if (j->end - j->p < 4 || (cp = hex4(j->p)) < 0)
		return -1;
	j->p += 4;
	if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' ||
		    j->p[1] != 'u' || (lo = hex4(j->p + 2)) < 0xdc00 ||
		    lo > 0xdfff)
			return -1;
		j->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return cp;
}

/* Decode the escape at j->p (its backslash) to *dp; advance both. */
static enum ag_err
escape(struct jp *j, char **dp)
{
	const unsigned char	*s = j->p;
	char			*d = *dp;
	long			 cp;

	if (j->end - s < 2)
		return AG_EINVAL;
	j->p += 2;
	switch (s[1]) {
	case '"':
	case '\\':
	case '/':
		*d++ = (char)s[1];
		break;
	case 'b':
		*d++ = '\b';
		break;
	case 'f':
		*d++ = '\f';
		break;
	case 'n':
		*d++ = '\n';
		break;
	case 'r':
		*d++ = '\r';
		break;
	case 't':
		*d++ = '\t';
		break;
	case 'u':
		if ((cp = u_escape(j)) < 0)
			return AG_EINVAL;
		d = utf8_put(d, cp);
		break;
	default:
		return AG_EINVAL;
	}
	*dp = d;
	return AG_OK;
}

/*
 * Decode the string at j->p (its opening quote) into o->buf; escapes
 * as escape() and u_escape() allow.
 */
static enum ag_err
string(struct jp *j, struct jp_str *out)
{
	char		*d = j->o->buf + j->bl, *start = d;
	const unsigned char *s;
	size_t		 n;

	if (!eat(j, '"'))
		return AG_EINVAL;
	for (;;) {
		if (j->p >= j->end)
			return AG_EINVAL;
		s = j->p;
		if (*s == '"')
			break;
		if (*s < 0x20)
			return AG_EINVAL;
		if (*s != '\\' && *s < 0x80) {
			/* A run of plain ASCII, the usual claim, in one go. */
			while (s < j->end && *s >= 0x20 && *s < 0x80 &&
			    *s != '"' && *s != '\\')
				*d++ = (char)*s++;
			j->p = s;
			continue;
		}
		if (*s != '\\') {
			n = utf8_decode(s, (size_t)(j->end - s), NULL);
			if (n == 0)
				return AG_EINVAL;
			memcpy(d, s, n);
			d += n;
			j->p += n;
			continue;
		}
		if (escape(j, &d) != AG_OK)
			return AG_EINVAL;
	}
	j->p++;
	*d++ = '\0';
	out->s = start;
	out->len = (size_t)(d - start) - 1;
	j->bl += (size_t)(d - start);
	return AG_OK;
}

/*
 * A number after RFC 8259 section 6.  *isint says whether it is an
 * integer without fraction or exponent that fits an int64_t.
 */
static enum ag_err
number(struct jp *j, int64_t *v, bool *isint)
{
	uint64_t	 u = 0, lim;
	bool		 neg, over = false;
	unsigned	 dg;

	*isint = false;
	*v = 0;
	neg = eat(j, '-');
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return AG_EINVAL;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			dg = *j->p++ - '0';
			if (u > (lim - dg) / 10)
				over = true;
			else
				u = u * 10 + dg;
		}
	*isint = !over;
	if (eat(j, '.')) {
		*isint = false;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return AG_EINVAL;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (eat(j, 'e') || eat(j, 'E')) {
		*isint = false;
		if (!eat(j, '+'))
			(void)eat(j, '-');
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return AG_EINVAL;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (*isint) {
		if (neg)
			*v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
			    -(int64_t)u;
		else
			*v = (int64_t)u;
	}
	return AG_OK;
}

static enum ag_err
literal(struct jp *j, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return AG_EINVAL;
	j->p += n;
	return AG_OK;
}

/* An object below the top level: validated, names checked for repeats. */
static enum ag_err
skip_object(struct jp *j, int depth)
{
	struct jp_str	 name;
	size_t		 base = j->nnames, bl0 = j->bl, i;
	enum ag_err	 e;

	j->p++;
	ws(j);
	if (eat(j, '}'))
		return AG_OK;
	for (;;) {
		ws(j);
		if ((e = string(j, &name)) != AG_OK)
			return e;
		for (i = base; i < j->nnames; i++)
			if (j->names[i].len == name.len &&
			    memcmp(j->names[i].s, name.s, name.len) == 0)
				return AG_EINVAL;
		if (j->nnames == JP_NAMES_MAX)
			return AG_EINVAL;
		j->names[j->nnames++] = name;
		ws(j);
		if (!eat(j, ':'))
			return AG_EINVAL;
		ws(j);
		if ((e = skip_value(j, depth + 1)) != AG_OK)
			return e;
		ws(j);
		if (eat(j, '}'))
			break;
		if (!eat(j, ','))
			return AG_EINVAL;
	}
	j->nnames = base;
	j->bl = bl0;
	return AG_OK;
}

static enum ag_err
skip_array(struct jp *j, int depth)
{
	enum ag_err	 e;

	j->p++;
	ws(j);
	if (eat(j, ']'))
		return AG_OK;
	for (;;) {
		ws(j);
		if ((e = skip_value(j, depth + 1)) != AG_OK)
			return e;
		ws(j);
		if (eat(j, ']'))
			return AG_OK;
		if (!eat(j, ','))
			return AG_EINVAL;
	}
}

/*
 * Validate the value at j->p; a container there would be the depth-th
 * one open.
 */
static enum ag_err
skip_value(struct jp *j, int depth)
{
	struct jp_str	 s;
	size_t		 bl0 = j->bl;
	int64_t		 v;
	bool		 isint;
	enum ag_err	 e;

	if (j->p >= j->end)
		return AG_EINVAL;
	switch (*j->p) {
	case '{':
		if (depth > JP_DEPTH_MAX)
			return AG_EINVAL;
		return skip_object(j, depth);
	case '[':
		if (depth > JP_DEPTH_MAX)
			return AG_EINVAL;
		return skip_array(j, depth);
	case '"':
		e = string(j, &s);
		j->bl = bl0;
		return e;
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		return number(j, &v, &isint);
	}
}

/*
 * The array at j->p (its '[') into m: kept, as JP_STRARRAY, while it
 * holds only strings and they fit; otherwise skipped as JP_OTHER.
 */
static enum ag_err
member_array(struct jp *j, struct jp_member *m)
{
	struct jp_obj	*o = j->o;
	size_t		 bl0;
	enum ag_err	 e;

	m->type = JP_STRARRAY;
	m->first = o->nstrs;
	m->count = 0;
	bl0 = j->bl;
	j->p++;
	ws(j);
	if (eat(j, ']'))
		return AG_OK;
	for (;;) {
		ws(j);
		if (m->type == JP_STRARRAY && j->p < j->end && *j->p == '"' &&
		    o->nstrs < JP_STRS_MAX) {
			if ((e = string(j, &o->strs[o->nstrs])) != AG_OK)
				return e;
			o->nstrs++;
			m->count++;
		} else {
			if (m->type == JP_STRARRAY) {
				m->type = JP_OTHER;
				o->nstrs = m->first;
				m->count = 0;
				j->bl = bl0;
			}
			if ((e = skip_value(j, 3)) != AG_OK)
				return e;
		}
		ws(j);
		if (eat(j, ']'))
			return AG_OK;
		if (!eat(j, ','))
			return AG_EINVAL;
	}
}

/* A member value of the top-level object, reported in m. */
static enum ag_err
member_value(struct jp *j, struct jp_member *m)
{
	bool		 isint;
	enum ag_err	 e;

	if (j->p >= j->end)
		return AG_EINVAL;
	switch (*j->p) {
	case '"':
		m->type = JP_STRING;
		return string(j, &m->str);
	case 't':
		m->type = JP_BOOL;
		m->b = true;
		return literal(j, "true");
	case 'f':
		m->type = JP_BOOL;
		m->b = false;
		return literal(j, "false");
	case 'n':
		m->type = JP_NULL;
		return literal(j, "null");
	case '{':
		m->type = JP_OTHER;
		return skip_object(j, 2);
	case '[':
		return member_array(j, m);
	default:
		if ((e = number(j, &m->num, &isint)) != AG_OK)
			return e;
		m->type = isint ? JP_INT : JP_NUMBER;
		return AG_OK;
	}
}

enum ag_err
jp_parse(const char *json, size_t len, struct jp_obj *o)
{
	struct jp	 j;
	struct jp_member *m;
	size_t		 i;

	o->n = 0;
	o->nstrs = 0;
	if (len > AG_TOKEN_MAX)
		return AG_ETOOBIG;
	memset(&j, 0, sizeof(j));
	j.p = (const unsigned char *)json;
	j.end = j.p + len;
	j.o = o;

	ws(&j);
	if (!eat(&j, '{'))
		goto bad;
	ws(&j);
	if (!eat(&j, '}')) {
		for (;;) {
			ws(&j);
			if (o->n == JP_MEMBERS_MAX)
				goto bad;
			m = &o->m[o->n];
			memset(m, 0, sizeof(*m));
			if (string(&j, &m->name) != AG_OK)
				goto bad;
			for (i = 0; i < o->n; i++)
				if (o->m[i].name.len == m->name.len &&
				    memcmp(o->m[i].name.s, m->name.s,
				    m->name.len) == 0)
					goto bad;
			ws(&j);
			if (!eat(&j, ':'))
				goto bad;
			ws(&j);
			if (member_value(&j, m) != AG_OK)
				goto bad;
			o->n++;
			ws(&j);
			if (eat(&j, '}'))
				break;
			if (!eat(&j, ','))
				goto bad;
		}
	}
	ws(&j);
	if (j.p != j.end)
		goto bad;
	return AG_OK;
bad:
	o->n = 0;
	o->nstrs = 0;
	return AG_EINVAL;
}

const struct jp_member *
jp_get(const struct jp_obj *o, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < o->n; i++)
		if (o->m[i].name.len == n &&
		    memcmp(o->m[i].name.s, name, n) == 0)
			return &o->m[i];
	return NULL;
}

const struct jp_str *
jp_arr_str(const struct jp_obj *o, const struct jp_member *m, size_t i)
{
	if (m->type != JP_STRARRAY || i >= m->count)
		return NULL;
	return &o->strs[m->first + i];
}

bool
jp_str_eq(const struct jp_str *s, const char *lit)
{
	size_t	 n = strlen(lit);

	return s->len == n && memcmp(s->s, lit, n) == 0;
}
