/*
 * The Accept header, for one question: does the caller want a page?
 *
 *	Accept = #( media-range [ weight ] )
 *	media-range = ( ANY "/" ANY ) / ( type "/" ANY ) /
 *	    ( type "/" subtype ) *( OWS ";" OWS parameter )
 *	weight = OWS ";" OWS "q=" qvalue
 *	qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 *
 * (ANY is the wildcard "*", which cannot follow a "/" in a C comment.)
 * Each element counts with its most specific match (RFC 9110 12.5.1:
 * text/html before text/ANY before ANY/ANY); a qvalue is kept in
 * thousandths.  An element that does not parse is skipped, as if the
 * client had not sent it.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "accept.h"

/* How specifically a range matched: none, ANY/ANY, type/ANY, exact. */
enum spec { SP_NONE = 0, SP_ANY, SP_TYPE, SP_EXACT };

struct match {
	enum spec	 spec;
	int		 q;
};

static bool
ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* A qvalue of n bytes at s into *q (thousandths); false if malformed. */
static bool
qvalue(const char *s, size_t n, int *q)
{
	size_t	 i;
	int	 v, scale = 100;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return false;
	v = (s[0] - '0') * ACCEPT_Q_ONE;
	if (n == 1)
		goto out;
	if (s[1] != '.' || n > 5)
		return false;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v += (s[i] - '0') * scale;
	}
	if (v > ACCEPT_Q_ONE)
		return false;
out:
	*q = v;
	return true;
}

/* The "q" of the parameters p..end (";"-separated); 1 when none. */
static bool
weight(const char *p, const char *end, int *q)
{
	const char	*pe, *v;

	*q = ACCEPT_Q_ONE;
	while (p < end) {
		/* p is at a ';' */
		p++;
		while (p < end && ows(*p))
			p++;
		for (pe = p; pe < end && *pe != ';'; pe++)
			;
		v = pe;
		while (v > p && ows(v[-1]))
			v--;
		if (v - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			if (!qvalue(p + 2, (size_t)(v - p - 2), q))
				return false;
			/* Accept-ext parameters may follow: ignored. */
			return true;
		}
		p = pe;
	}
	return true;
}

/* Compare range r (n bytes) with type/subtype; how it matches. */
static enum spec
range_match(const char *r, size_t n, const char *type, const char *sub)
{
	size_t	 tl = strlen(type), sl = strlen(sub);

	if (n == 3 && memcmp(r, "*/*", 3) == 0)
		return SP_ANY;
	if (n < tl + 2 || strncasecmp(r, type, tl) != 0 || r[tl] != '/')
		return SP_NONE;
	if (n == tl + 2 && r[tl + 1] == '*')
		return SP_TYPE;
	if (n == tl + 1 + sl && strncasecmp(r + tl + 1, sub, sl) == 0)
		return SP_EXACT;
	return SP_NONE;
}

static void
keep(struct match *m, enum spec sp, int q)
{
	/* The most specific range decides; equal ones, the first. */
	if (sp > m->spec) {
		m->spec = sp;
		m->q = q;
	}
}

bool
accept_prefers_html(const char *accept)
{
	struct match	 html = { SP_NONE, 0 }, json = { SP_NONE, 0 };
	struct match	 any = { SP_NONE, 0 };
	const char	*p, *end, *semi, *re;
	int		 q;

	if (accept == NULL)
		return false;
	for (p = accept; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && ows(*p))
			p++;
		for (semi = p; semi < end && *semi != ';'; semi++)
			;
		re = semi;
		while (re > p && ows(re[-1]))
			re--;
		if (re == p || !weight(semi, end, &q))
			continue;
		keep(&html, range_match(p, (size_t)(re - p), "text", "html"),
		    q);
		keep(&json, range_match(p, (size_t)(re - p), "application",
		    "json"), q);
		if (re - p == 3 && memcmp(p, "*/*", 3) == 0)
			keep(&any, SP_ANY, q);
	}
	/* Only a page asked for by name, or by text/ANY, counts. */
	if (html.spec < SP_TYPE || html.q == 0)
		return false;
	if (json.spec >= SP_TYPE && json.q >= html.q)
		return false;
	return any.spec == SP_NONE || html.q >= any.q;
}
