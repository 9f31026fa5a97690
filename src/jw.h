/*
 * jw: a JSON writer (RFC 8259) into a caller's fixed buffer, with no
 * allocation.  Calls after an overflow do nothing; jw_done() then says
 * so.  Strings are escaped: '"', '\\', control bytes (\n, \t, ... or
 * \u00XX); a byte that is not part of valid UTF-8 (overlong forms,
 * surrogates, code points over U+10FFFF, truncated sequences) is written
 * as \ufffd, the replacement character, so the output is always valid
 * JSON and valid UTF-8.  Keys are escaped the same way.
 */
#ifndef JW_H
#define JW_H

#include <stdbool.h>
#include <stddef.h>

#define JW_DEPTH_MAX	32	/* nesting of objects and arrays */

struct jw {
	char	*buf;
	size_t	 cap, len;
	int	 overflow;	/* buffer too small, or misuse */
	int	 depth;
	int	 need_comma;
};

/* Start writing into buf (cap bytes, one kept for the NUL). */
void		 jw_init(struct jw *w, char *buf, size_t cap);
/* key: the member name inside an object; NULL at top level or in arrays. */
void		 jw_obj_open(struct jw *w, const char *key);
void		 jw_obj_close(struct jw *w);
void		 jw_arr_open(struct jw *w, const char *key);
void		 jw_arr_close(struct jw *w);
/* A string value; NULL val writes null. */
void		 jw_str(struct jw *w, const char *key, const char *val);
/* A string value of len bytes (may hold NULs: written as \u0000). */
void		 jw_strn(struct jw *w, const char *key, const char *val,
		    size_t len);
void		 jw_int(struct jw *w, const char *key, long long val);
void		 jw_bool(struct jw *w, const char *key, bool val);
void		 jw_null(struct jw *w, const char *key);
/*
 * Copy len bytes of JSON text the caller vouches for (a value built by
 * another jw, say) as the value of key.
 */
void		 jw_raw(struct jw *w, const char *key, const char *json,
		    size_t len);
/*
 * The NUL-terminated text and its length, or NULL when the buffer
 * overflowed or an object or array is still open.
 */
const char	*jw_done(struct jw *w, size_t *len);

#endif
