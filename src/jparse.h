/*
 * jparse: a strict JSON (RFC 8259) parser for untrusted JOSE headers and
 * JWT claims sets.  The text must be one object; its members are
 * reported with typed values, everything below them is validated and
 * skipped.  Refused: duplicate member names at any level (RFC 7515
 * section 5.2, RFC 8725), trailing bytes, invalid UTF-8, lone
 * surrogates and \u0000, nesting deeper than JP_DEPTH_MAX, input over
 * AG_TOKEN_MAX.  No allocation: the result lives in struct jp_obj.
 */
#ifndef JPARSE_H
#define JPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authgate.h"

#define JP_DEPTH_MAX	8	/* nesting of objects and arrays */
#define JP_MEMBERS_MAX	32	/* members of the top-level object */
#define JP_NAMES_MAX	64	/* names of nested objects open at once */
#define JP_STRS_MAX	32	/* strings in top-level arrays, in all */

enum jp_type {
	JP_NULL,
	JP_BOOL,
	JP_INT,		/* an integer that is exactly an int64_t */
	JP_NUMBER,	/* any other number: fraction, exponent, too big */
	JP_STRING,
	JP_STRARRAY,	/* an array of strings only (maybe empty) */
	JP_OTHER	/* an object, or an array of anything else */
};

/* A decoded string: valid UTF-8, NUL-terminated, no NUL inside. */
struct jp_str {
	const char	*s;
	size_t		 len;
};

struct jp_member {
	struct jp_str	 name;
	enum jp_type	 type;
	struct jp_str	 str;		/* JP_STRING */
	int64_t		 num;		/* JP_INT */
	bool		 b;		/* JP_BOOL */
	size_t		 first, count;	/* JP_STRARRAY: o->strs[first..] */
};

struct jp_obj {
	struct jp_member m[JP_MEMBERS_MAX];
	size_t		 n;
	struct jp_str	 strs[JP_STRS_MAX];
	size_t		 nstrs;
	char		 buf[AG_TOKEN_MAX];	/* the decoded strings */
};

/*
 * Parse json (len bytes) into o.  Returns AG_OK, AG_ETOOBIG when len is
 * over AG_TOKEN_MAX, or AG_EINVAL for anything not strict JSON or not an
 * object within the limits above.
 */
enum ag_err	 jp_parse(const char *json, size_t len, struct jp_obj *o);
/* The top-level member called name, or NULL. */
const struct jp_member *jp_get(const struct jp_obj *o, const char *name);
/* The i-th string of a JP_STRARRAY member, or NULL past its end. */
const struct jp_str *jp_arr_str(const struct jp_obj *o,
		    const struct jp_member *m, size_t i);
/* Whether s holds exactly the bytes of the C string lit. */
bool		 jp_str_eq(const struct jp_str *s, const char *lit);

#endif
