/*
 * Small helpers every program links: names of errors and algorithms,
 * and the "why" message of a failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "authgate.h"

static const char *const alg_names[AG_ALG__MAX] = {
	"HS256", "RS256", "ES256", "EdDSA"
};

const char *
ag_alg_name(enum ag_alg alg)
{
	if ((unsigned)alg >= AG_ALG__MAX)
		return NULL;
	return alg_names[alg];
}

int
ag_alg_parse(const char *name, enum ag_alg *alg)
{
	int	 i;

	for (i = 0; i < AG_ALG__MAX; i++)
		if (strcmp(name, alg_names[i]) == 0) {
			*alg = (enum ag_alg)i;
			return 0;
		}
	return -1;
}

const char *
ag_strerror(enum ag_err e)
{
	switch (e) {
	case AG_OK:
		return "success";
	case AG_ENOMEM:
		return "out of memory";
	case AG_EINVAL:
		return "invalid input";
	case AG_ENOENT:
		return "not found";
	case AG_EEXIST:
		return "already exists";
	case AG_EUNAVAIL:
		return "storage unavailable";
	case AG_ETOOBIG:
		return "input too large";
	case AG_EDENIED:
		return "access denied";
	}
	return "unknown error";
}

void
ag_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	/* A truncated message is still a message. */
	(void)vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}
