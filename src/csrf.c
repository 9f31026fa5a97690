/*
 * CSRF tokens and origin checks of the sign-in forms (see csrf.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "b64.h"
#include "csrf.h"
#include "req.h"


static bool
b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A token is CSRF_LEN base64url characters that decode (canonical). */
static bool
token_ok(const char *v, size_t len)
{
	unsigned char	 raw[CSRF_BYTES];
	size_t		 i, n;

	if (len != CSRF_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!b64url_char(v[i]))
			return false;
	return b64_decode(v, len, raw, sizeof(raw), &n) == 0 &&
	    n == CSRF_BYTES;
}

bool
csrf_from_cookie(const char *h, bool https, char out[CSRF_LEN + 1])
{
	const char	*name = https ? CSRF_COOKIE_HTTPS : CSRF_COOKIE;
	const char	*p, *end, *eq, *v;
	size_t		 nl = strlen(name), vl, found = 0;
	bool		 good = false;

	out[0] = '\0';
	if (h == NULL)
		return false;
	/* RFC 6265 5.4: name=value pairs separated by "; ". */
	for (p = h; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    (size_t)(eq - p) != nl || memcmp(p, name, nl) != 0)
			continue;
		found++;
		v = eq + 1;
		vl = (size_t)(end - v);
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if ((good = token_ok(v, vl))) {
			memcpy(out, v, vl);
			out[vl] = '\0';
		}
	}
	if (found != 1 || !good) {
		out[0] = '\0';
		return false;
	}
	return true;
}

bool
csrf_new(char out[CSRF_LEN + 1])
{
	unsigned char	 raw[CSRF_BYTES];

	out[0] = '\0';
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	if (b64_encode(raw, sizeof(raw), out, CSRF_LEN + 1) != CSRF_LEN) {
		out[0] = '\0';
		return false;
	}
	return true;
}

bool
csrf_set_cookie(char *buf, size_t bufsz, bool https, const char *val)
{
	int	 n;

	n = snprintf(buf, bufsz, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
	    https ? CSRF_COOKIE_HTTPS : CSRF_COOKIE, val,
	    https ? "; Secure" : "");
	return n > 0 && (size_t)n < bufsz;
}

bool
csrf_match(const char *field, const char *cookie_val)
{
	/* Lengths are public (CSRF_LEN); the contents are compared in
	 * constant time. */
	if (field == NULL || cookie_val == NULL ||
	    strlen(cookie_val) != CSRF_LEN || strlen(field) != CSRF_LEN)
		return false;
	return CRYPTO_memcmp(field, cookie_val, CSRF_LEN) == 0;
}

/* "scheme://host" of s without a default port (":80", ":443"). */
static size_t
origin_len(const char *s, size_t len)
{
	if (len > 3 && strncasecmp(s, "http://", 7) == 0 &&
	    strncmp(s + len - 3, ":80", 3) == 0)
		return len - 3;
	if (len > 4 && strncasecmp(s, "https://", 8) == 0 &&
	    strncmp(s + len - 4, ":443", 4) == 0)
		return len - 4;
	return len;
}

bool
csrf_origin_ok(const struct req *r, const char **why)
{
	char	 own[CSRF_ORIGIN_MAX];
	size_t	 ol, sl;
	int	 n;

	*why = NULL;
	if (r->fetch_site != NULL && strcmp(r->fetch_site, "same-origin") !=
	    0 && strcmp(r->fetch_site, "none") != 0) {
		*why = "Sec-Fetch-Site is not same-origin";
		return false;
	}
	if (r->origin == NULL)
		return true;
	if (r->host == NULL) {
		*why = "Origin, but no Host to compare it with";
		return false;
	}
	n = snprintf(own, sizeof(own), "%s://%s", r->secure ? "https" :
	    "http", r->host);
	if (n <= 0 || (size_t)n >= sizeof(own)) {
		*why = "Host too long";
		return false;
	}
	ol = origin_len(r->origin, strlen(r->origin));
	sl = origin_len(own, (size_t)n);
	if (ol != sl || strncasecmp(r->origin, own, sl) != 0) {
		*why = "Origin is another site";
		return false;
	}
	return true;
}
