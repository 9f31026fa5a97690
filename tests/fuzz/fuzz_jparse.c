/*
 * Fuzz target: the strict JSON parser of headers and claims.  What it
 * accepts must keep its promises: decoded strings NUL-terminated with
 * no NUL inside, members within limits, array strings in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/jparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct jp_str *s)
{
	if (s->s == NULL || strlen(s->s) != s->len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jp_obj	 o;
	const struct jp_member	*m;
	const struct jp_str	*s;
	size_t			 i, k;

	if (jp_parse((const char *)data, size, &o) != AG_OK) {
		if (o.n != 0)
			abort();
		return 0;
	}
	if (o.n > JP_MEMBERS_MAX || o.nstrs > JP_STRS_MAX)
		abort();
	for (i = 0; i < o.n; i++) {
		m = &o.m[i];
		check(&m->name);
		if (jp_get(&o, m->name.s) != m)
			abort();	/* names are unique */
		if (m->type == JP_STRING)
			check(&m->str);
		if (m->type == JP_STRARRAY) {
			if (m->first + m->count > o.nstrs)
				abort();
			for (k = 0; (s = jp_arr_str(&o, m, k)) != NULL; k++)
				check(s);
			if (k != m->count)
				abort();
		}
	}
	return 0;
}
