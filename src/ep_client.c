/*
 * Client authentication (RFC 6749 2.3), shared by /token, /revoke and
 * /introspect, and the client_id a token carries (RFC 9068 2.2).
 *
 * One method per request: HTTP Basic together with a client_secret
 * field is refused.  A client_id field next to Basic is tolerated when
 * it names the same client, as some libraries send both; it
 * authenticates nothing by itself.  Registered public clients send
 * their id with no secret, or an empty one (requests-oauthlib sends
 * Basic "id:").  A request naming no client is the public default
 * client (id "").
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "authgate.h"
#include "conf.h"
#include "ep.h"
#include "ep_err.h"
#include "form.h"
#include "log.h"
#include "pw.h"
#include "req.h"
#include "resp.h"
#include "store.h"

/* The credentials a request presents, from the form or Basic. */
struct client_cred {
	char		 buser[AG_NAME_MAX + 1];
	char		 bpass[AG_PASSWORD_MAX + 1];
	const char	*id, *secret;	/* NULL when absent */
};

/*
 * 401 invalid_client with a Basic challenge (RFC 6749 5.2).  The realm
 * loses quotes and backslashes rather than break the header.
 */
static void
invalid_client(const struct app *app, struct resp *rs)
{
	char		 hdr[CONF_VALUE_MAX + 32];
	const char	*p;
	size_t		 n;

	ep_fail(rs, EPF_CLIENT_INVALID);
	n = (size_t)snprintf(hdr, sizeof(hdr), "Basic realm=\"");
	for (p = app->conf.realm; *p != '\0' && n < sizeof(hdr) - 3; p++)
		if (*p != '"' && *p != '\\')
			hdr[n++] = *p;
	hdr[n++] = '"';
	hdr[n] = '\0';
	resp_header(rs, "WWW-Authenticate", hdr);
}

static void
default_client(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->public_client = true;
	cl->grants = CLIENT_GRANTS_DEFAULT;
}

const char *
ep_client_claim(const struct app *app, const struct client *cl)
{
	return cl->id[0] != '\0' ? cl->id : app->conf.default_client_id;
}

bool
ep_client_owns(const struct app *app, const char *cid,
    const struct client *cl)
{
	if (cl->id[0] != '\0')
		return strcmp(cid, cl->id) == 0;
	return cid[0] == '\0' || strcmp(cid, app->conf.default_client_id) == 0;
}

/* Gather the one method's credentials into cr, or answer why not. */
static bool
client_cred(const struct app *app, const struct req *rq,
    const struct form *f, struct client_cred *cr, struct resp *rs)
{
	const char	*fid, *fsecret;
	size_t		 nid, nsecret;
	enum ag_err	 e;

	fid = form_get(f, "client_id", &nid);
	fsecret = form_get(f, "client_secret", &nsecret);
	if (nid > 1 || nsecret > 1) {
		ep_fail(rs, EPF_REPEATED);
		return false;
	}
	cr->id = fid;
	cr->secret = fsecret;
	if (rq->authorization == NULL || rq->authorization[0] == '\0')
		return true;
	e = req_basic(rq->authorization, cr->buser, sizeof(cr->buser),
	    cr->bpass, sizeof(cr->bpass));
	if (e == AG_ENOENT)
		return true;	/* another scheme: not ours */
	if (e == AG_ETOOBIG) {
		invalid_client(app, rs);
		return false;
	}
	if (e != AG_OK) {
		ep_fail(rs, EPF_AUTH_MALFORMED);
		return false;
	}
	if (fsecret != NULL || (fid != NULL && strcmp(fid, cr->buser) != 0)) {
		ep_fail(rs, EPF_CLIENT_TWO_METHODS);
		return false;
	}
	cr->id = cr->buser;
	cr->secret = cr->bpass;
	return true;
}

/* Check a named client's credentials against user_db. */
static bool
client_check(const struct app *app, const char *id, const char *secret,
    bool require_confidential, struct client *cl, struct resp *rs)
{
	bool		 has_secret = secret != NULL && secret[0] != '\0';
	enum ag_err	 e;

	if (strlen(id) > AG_NAME_MAX || !store_name_ok(id) ||
	    (secret != NULL && strlen(secret) > AG_PASSWORD_MAX)) {
		invalid_client(app, rs);
		return false;
	}
	e = store_client_get(app->store, id, cl);
	if (e == AG_EUNAVAIL) {
		log_msg("client \"%s\": user_db unreadable", id);
		ep_fail_err(rs, e);
		return false;
	}
	if (e != AG_OK) {
		/* The same work as a known client's secret check. */
		if (has_secret)
			pw_dummy(app->conf.password_hash, secret,
			    strlen(secret));
		log_msg("client \"%s\": unknown", id);
		invalid_client(app, rs);
		return false;
	}
	if (cl->public_client) {
		if (!require_confidential && !has_secret)
			return true;
		log_msg("client \"%s\": public client refused", id);
		invalid_client(app, rs);
		return false;
	}
	if (!has_secret || !pw_verify(cl->hash, secret, strlen(secret))) {
		log_msg("client \"%s\": missing or wrong secret", id);
		invalid_client(app, rs);
		return false;
	}
	return true;
}

bool
ep_client_auth(const struct app *app, const struct req *rq,
    const struct form *f, bool require_confidential, struct client *cl,
    struct resp *rs)
{
	struct client_cred	 cr;
	bool			 ok = false;

	default_client(cl);
	memset(&cr, 0, sizeof(cr));
	if (!client_cred(app, rq, f, &cr, rs))
		goto out;
	/* No client named: the public default client. */
	if (cr.id == NULL || (cr.id[0] == '\0' && (cr.secret == NULL ||
	    cr.secret[0] == '\0'))) {
		if (cr.secret != NULL && cr.secret[0] != '\0')
			ep_fail(rs, EPF_CLIENT_SECRET_ALONE);
		else if (require_confidential)
			invalid_client(app, rs);
		else
			ok = true;
		goto out;
	}
	ok = client_check(app, cr.id, cr.secret, require_confidential, cl,
	    rs);
out:
	OPENSSL_cleanse(&cr, sizeof(cr));
	if (!ok)
		default_client(cl);
	return ok;
}
