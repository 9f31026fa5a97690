/*
 * Browser sessions (see session.h).
 *
 * SKELETON: the interface is fixed; the bodies are written on the
 * session branch.
 */
#include <string.h>

#include "req.h"
#include "session.h"

enum ag_err
session_issue(const struct conf *c, const struct keyring *kr,
    const char *user, const char *scope, int64_t gen, time_t now, char *val,
    size_t valsz, struct session *out)
{
	(void)c; (void)kr; (void)user; (void)scope; (void)gen; (void)now;
	(void)val; (void)valsz; (void)out;
	return AG_EUNAVAIL;
}

enum ag_err
session_cookie(const char *cookie_header, bool https, const char **val,
    size_t *len)
{
	(void)cookie_header; (void)https;
	*val = NULL;
	*len = 0;
	return AG_ENOENT;
}

enum ag_err
session_verify(const struct conf *c, const struct keyring *kr,
    struct state *sdb, const char *val, size_t len, time_t now,
    struct session *out, const char **why)
{
	(void)c; (void)kr; (void)sdb; (void)val; (void)len; (void)now;
	memset(out, 0, sizeof(*out));
	*why = "no session";
	return AG_EDENIED;
}

enum ag_err
session_from_req(const struct conf *c, const struct keyring *kr,
    struct state *sdb, const struct req *r, time_t now, struct session *out)
{
	(void)c; (void)kr; (void)sdb; (void)r; (void)now;
	memset(out, 0, sizeof(*out));
	return AG_ENOENT;
}

enum ag_err
session_end(struct state *sdb, const struct session *s)
{
	(void)sdb; (void)s;
	return AG_EUNAVAIL;
}

enum ag_err
session_end_account(const struct conf *c, struct state *sdb,
    const char *user, int64_t gen, time_t now)
{
	(void)c; (void)sdb; (void)user; (void)gen; (void)now;
	return AG_OK;
}

void
session_acct_key(const char *user, int64_t gen, char key[AG_JTI_MAX + 1])
{
	(void)user; (void)gen;
	key[0] = '\0';
}

bool
session_set_cookie(char *buf, size_t bufsz, bool https, const char *val,
    long max_age)
{
	(void)buf; (void)bufsz; (void)https; (void)val; (void)max_age;
	return false;
}
