/*
 * Fuzz the authorization request's rules (authz.c): any bytes as the
 * query of GET /authorize (NUL-terminated, as QUERY_STRING is), checked
 * against a fixed client; then the redirect a good or refused request
 * would build, into a buffer that must hold any outcome or say no.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/authz.h"
#include "../../src/store.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authz	 a;
	static struct client	 cl;
	char			*q, loc[1024];
	enum authz_step		 step;

	if ((q = malloc(size + 1)) == NULL)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	memset(&cl, 0, sizeof(cl));
	memcpy(cl.id, "app", 4);
	cl.public_client = true;
	cl.grants = CG_CODE | CG_REFRESH;
	memcpy(cl.redirect[0], "https://app.example/cb", 23);
	memcpy(cl.redirect[1], "http://127.0.0.1:9/cb?x=1", 26);
	cl.nredirect = 2;
	step = authz_parse(&a, q);
	if (step == AUTHZ_OK)
		step = authz_check(&a, &cl);
	if (step != AUTHZ_OK && (a.why == NULL || a.error == NULL))
		abort();
	if (step == AUTHZ_REDIRECT || step == AUTHZ_OK) {
		/* only ever to a registered redirect URI */
		if (strcmp(a.redirect_uri, cl.redirect[0]) != 0 &&
		    strcmp(a.redirect_uri, cl.redirect[1]) != 0)
			abort();
		memcpy(loc, a.redirect_uri, strlen(a.redirect_uri) + 1);
		if (authz_param(loc, sizeof(loc), "error", a.error != NULL ?
		    a.error : "") && a.state != NULL &&
		    authz_param(loc, sizeof(loc), "state", a.state) &&
		    strlen(loc) >= sizeof(loc))
			abort();
	}
	if (step == AUTHZ_OK && (a.challenge == NULL ||
	    strcmp(a.method, "S256") != 0 ||
	    strcmp(a.response_type, "code") != 0))
		abort();
	free(q);
	return 0;
}
