/*
 * The authorization request's rules (see authz.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "authz.h"
#include "code.h"
#include "form.h"
#include "scope.h"
#include "store.h"

static const char *const authz_fields[] = {
	"client_id", "redirect_uri", "response_type", "scope", "state",
	"code_challenge", "code_challenge_method", NULL
};

static enum authz_step
fail(struct authz *a, enum authz_step step, const char *error,
    const char *why)
{
	a->error = error;
	a->why = why;
	return step;
}

enum authz_step
authz_parse(struct authz *a, const char *query)
{
	size_t	 len, n;

	memset(a, 0, sizeof(*a));
	len = query != NULL ? strnlen(query, AUTHZ_QUERY_MAX + 1) : 0;
	if (len > AUTHZ_QUERY_MAX)
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "The authorization request is too long.");
	if (len > 0)
		memcpy(a->buf, query, len);
	a->buf[len] = '\0';
	if (form_parse(a->buf, len, &a->f) != AG_OK)
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "The authorization request is malformed.");
	a->client_id = form_get(&a->f, "client_id", &n);
	if (n > 1)
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "client_id was given more than once.");
	a->redirect_uri = form_get(&a->f, "redirect_uri", &n);
	if (n > 1)
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "redirect_uri was given more than once.");
	if (a->client_id == NULL || a->client_id[0] == '\0')
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "The request names no client (client_id).");
	if (a->redirect_uri == NULL || a->redirect_uri[0] == '\0')
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "The request has no redirect_uri.");
	return AUTHZ_OK;
}

/* Exactly one of cl's redirect URIs (RFC 6749 3.1.2.3, no pattern). */
static bool
registered(const struct client *cl, const char *uri)
{
	size_t	 i;

	for (i = 0; i < cl->nredirect; i++)
		if (strcmp(cl->redirect[i], uri) == 0)
			return true;
	return false;
}

enum authz_step
authz_check(struct authz *a, const struct client *cl)
{
	size_t	 i, n;

	if (!registered(cl, a->redirect_uri))
		return fail(a, AUTHZ_PAGE, "invalid_request",
		    "The redirect_uri is not registered for this client.");
	/* From here on, errors go back to the client. */
	a->state = form_get(&a->f, "state", &n);
	if (a->state != NULL && (n > 1 || strlen(a->state) > AUTHZ_STATE_MAX)) {
		a->state = NULL;
		return fail(a, AUTHZ_REDIRECT, "invalid_request",
		    "state is repeated or too long");
	}
	for (i = 0; authz_fields[i] != NULL; i++) {
		(void)form_get(&a->f, authz_fields[i], &n);
		if (n > 1)
			return fail(a, AUTHZ_REDIRECT, "invalid_request",
			    "A parameter was given more than once");
	}
	if ((cl->grants & CG_CODE) == 0)
		return fail(a, AUTHZ_REDIRECT, "unauthorized_client",
		    "The client is not registered for authorization_code");
	a->response_type = form_get(&a->f, "response_type", NULL);
	if (a->response_type == NULL)
		return fail(a, AUTHZ_REDIRECT, "invalid_request",
		    "response_type is required");
	if (strcmp(a->response_type, "code") != 0)
		return fail(a, AUTHZ_REDIRECT, "unsupported_response_type",
		    "Only response_type=code is supported");
	a->challenge = form_get(&a->f, "code_challenge", NULL);
	a->method = form_get(&a->f, "code_challenge_method", NULL);
	if (a->challenge == NULL || a->method == NULL)
		return fail(a, AUTHZ_REDIRECT, "invalid_request",
		    "PKCE is required: code_challenge and "
		    "code_challenge_method=S256");
	if (strcmp(a->method, "S256") != 0)
		return fail(a, AUTHZ_REDIRECT, "invalid_request",
		    "code_challenge_method must be S256");
	if (!code_challenge_ok(a->challenge))
		return fail(a, AUTHZ_REDIRECT, "invalid_request",
		    "Malformed code_challenge");
	a->scope = form_get(&a->f, "scope", NULL);
	if (a->scope != NULL && a->scope[0] != '\0' && !scope_valid(a->scope))
		return fail(a, AUTHZ_REDIRECT, "invalid_scope",
		    "Malformed scope");
	return AUTHZ_OK;
}

bool
authz_param(char *out, size_t outsz, const char *name, const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n, start;
	unsigned char		 c;

	start = n = strnlen(out, outsz);
	if (n + strlen(name) + 2 >= outsz)
		return false;
	out[n++] = strchr(out, '?') != NULL ? '&' : '?';
	memcpy(out + n, name, strlen(name));
	n += strlen(name);
	out[n++] = '=';
	for (; *value != '\0'; value++) {
		c = (unsigned char)*value;
		if (n + 4 >= outsz) {
			out[start] = '\0';
			return false;
		}
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			out[n++] = (char)c;
			continue;
		}
		out[n++] = '%';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
	}
	out[n] = '\0';
	return true;
}
