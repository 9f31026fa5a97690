/*
 * RFC 8414 authorization server metadata and the RFC 7517 JWK Set.
 *
 * The endpoint URLs are built from the request (scheme, Host, and the
 * path before "/.well-known/…"), so one configuration serves any mount
 * point.  Host is untrusted: it must look like hostname[:port] or
 * [v6]:port, else 400; the answer says Vary: Host.
 *
 * The authorization endpoint takes response_type=code with PKCE S256
 * only, and answers with iss (RFC 9207).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ep.h"
#include "ep_err.h"
#include "jw.h"
#include "req.h"
#include "resp.h"

#define HOST_MAX	260	/* RFC 1035 name, port and brackets */

/* hostname[:port] or [IPv6]:port, nothing else. */
static bool
host_ok(const char *h)
{
	size_t	 i = 0, n, len = strlen(h);

	if (len == 0 || len > HOST_MAX)
		return false;
	if (h[0] == '[') {
		for (i = 1; i < len && (strchr("0123456789abcdefABCDEF:.",
		    h[i]) != NULL); i++)
			continue;
		if (i == 1 || i >= len || h[i] != ']')
			return false;
		i++;
	} else {
		for (; i < len && ((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' &&
		    h[i] <= '9') || h[i] == '-' || h[i] == '.'); i++)
			continue;
		if (i == 0)
			return false;
	}
	if (i == len)
		return true;
	if (h[i] != ':')
		return false;
	for (n = 0, i++; i < len; i++, n++)
		if (h[i] < '0' || h[i] > '9')
			return false;
	return n >= 1 && n <= 5;
}


/* "scheme://host" into out; false if there is no acceptable host. */
static bool
origin(const struct req *r, char *out, size_t outsz)
{
	const char	*scheme = r->secure ? "https" : "http";
	const char	*dport = r->secure ? "443" : "80";
	int		 n;

	if (r->host != NULL) {
		if (!host_ok(r->host))
			return false;
		n = snprintf(out, outsz, "%s://%s", scheme, r->host);
	} else if (r->server_name != NULL && host_ok(r->server_name)) {
		/* HTTP/1.0 without Host: the server's own name. */
		if (r->server_port != NULL && strcmp(r->server_port, dport) &&
		    strspn(r->server_port, "0123456789") ==
		    strlen(r->server_port) && strlen(r->server_port) <= 5)
			n = snprintf(out, outsz, "%s://%s:%s", scheme,
			    r->server_name, r->server_port);
		else
			n = snprintf(out, outsz, "%s://%s", scheme,
			    r->server_name);
	} else
		return false;
	return n > 0 && (size_t)n < outsz;
}

static void
url(struct jw *w, const char *key, const char *orig, const struct req *r,
    const char *suffix)
{
	char	 u[HOST_MAX + REQ_PATH_MAX + 64];
	int	 n;

	n = snprintf(u, sizeof(u), "%s%.*s%s", orig, (int)r->baselen,
	    r->base, suffix);
	if (n < 0 || (size_t)n >= sizeof(u)) {
		w->overflow = 1;
		return;
	}
	jw_str(w, key, u);
}

void
ep_meta(const struct app *app, const struct req *r, struct resp *res)
{
	struct jw	 w;
	char		 orig[HOST_MAX + 16], cc[64];

	if (!origin(r, orig, sizeof(orig))) {
		ep_fail(res, EPF_HOST);
		return;
	}
	resp_body_begin(res, &w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "issuer", app->conf.issuer);
	url(&w, "authorization_endpoint", orig, r, "/authorize");
	url(&w, "token_endpoint", orig, r, "/token");
	if (app->conf.algorithm != AG_HS256)
		url(&w, "jwks_uri", orig, r, "/.well-known/jwks.json");
	url(&w, "revocation_endpoint", orig, r, "/revoke");
	url(&w, "introspection_endpoint", orig, r, "/introspect");
	jw_arr_open(&w, "grant_types_supported");
	jw_str(&w, NULL, "password");
	if (app->conf.refresh_token_ttl > 0)
		jw_str(&w, NULL, "refresh_token");
	jw_str(&w, NULL, "authorization_code");
	jw_str(&w, NULL, "client_credentials");
	jw_arr_close(&w);
	jw_arr_open(&w, "response_types_supported");
	jw_str(&w, NULL, "code");
	jw_arr_close(&w);
	jw_arr_open(&w, "code_challenge_methods_supported");
	jw_str(&w, NULL, "S256");
	jw_arr_close(&w);
	jw_bool(&w, "authorization_response_iss_parameter_supported", true);
	jw_arr_open(&w, "token_endpoint_auth_methods_supported");
	jw_str(&w, NULL, "client_secret_basic");
	jw_str(&w, NULL, "client_secret_post");
	jw_str(&w, NULL, "none");
	jw_arr_close(&w);
	jw_arr_open(&w, "revocation_endpoint_auth_methods_supported");
	jw_str(&w, NULL, "client_secret_basic");
	jw_str(&w, NULL, "client_secret_post");
	jw_str(&w, NULL, "none");
	jw_arr_close(&w);
	jw_arr_open(&w, "introspection_endpoint_auth_methods_supported");
	jw_str(&w, NULL, "client_secret_basic");
	jw_str(&w, NULL, "client_secret_post");
	jw_arr_close(&w);
	jw_obj_close(&w);
	resp_body_end(res, 200, &w);
	(void)snprintf(cc, sizeof(cc), "max-age=%ld", app->conf.jwks_max_age);
	resp_header(res, "Cache-Control", cc);
	resp_header(res, "Vary", "Host");
}

/* The largest JWK Set the keyring can make is served whole. */
_Static_assert(KEYRING_JWKS_MAX <= RESP_BODY_MAX,
    "a JWK Set of KEYRING_MAX RSA-4096 keys fits a response body");

void
ep_jwks(const struct app *app, const struct req *r, struct resp *res)
{
	static const char	 empty[] = "{\"keys\":[]}";
	char			 cc[64];

	(void)r;
	if (app->jwkslen > 0)
		resp_json(res, 200, app->jwks, app->jwkslen);
	else
		resp_json(res, 200, empty, sizeof(empty) - 1);
	(void)snprintf(cc, sizeof(cc), "public, max-age=%ld",
	    app->conf.jwks_max_age);
	resp_header(res, "Cache-Control", cc);
}
