/*
 * The guards' check of an access token (see tokcheck.h).
 */
#include <stdbool.h>

#include "conf.h"
#include "deny.h"
#include "req.h"
#include "tokcheck.h"
#include "vcache.h"

enum ag_err
tokcheck_verify(const struct conf *c, const struct keyring *kr, uint64_t gen,
    enum jws_kind kind, const char *tok, size_t toklen, time_t now,
    struct claims *buf, const struct claims **cl, const char **why)
{
	enum ag_err	 e;

	*why = NULL;
	if ((*cl = vcache_get(gen, kind, tok, toklen)) != NULL)
		return jwt_check_times(c, *cl, now, why);
	*cl = NULL;
	if ((e = jwt_verify_kind(c, kr, kind, tok, toklen, now, buf, why)) !=
	    AG_OK)
		return e;
	*cl = buf;
	vcache_put(gen, kind, tok, toklen, buf);
	return AG_OK;
}

const struct claims *
tokcheck(const struct conf *c, const struct keyring *kr, uint64_t gen,
    struct state *sdb, const char *tok, size_t toklen, time_t now,
    struct claims *buf, enum tokcheck *res, const char **why)
{
	const struct claims *cl;
	enum ag_err	 e;

	e = tokcheck_verify(c, kr, gen, JWS_ACCESS, tok, toklen, now, buf, &cl,
	    why);
	if (e == AG_ENOMEM) {
		*res = TOKCHECK_NOMEM;
		return NULL;
	}
	if (e != AG_OK) {
		/* Only now, as no valid token needs the scan. */
		*res = req_b64token(tok, toklen) ? TOKCHECK_INVALID :
		    TOKCHECK_MALFORMED;
		return NULL;
	}
	/* Verifiers hold no state_db (doc/scaling.md). */
	if (sdb != NULL && !c->verify_only && cl->jti[0] != '\0' &&
	    state_deny_check(sdb, cl->jti)) {
		*res = TOKCHECK_REVOKED;
		return NULL;
	}
	*res = TOKCHECK_OK;
	return cl;
}
