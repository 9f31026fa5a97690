/*
 * Responses in fixed buffers.  Anything that does not fit sets
 * overflow, and serve.c answers 500 instead of a truncated response.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jw.h"
#include "resp.h"

void
resp_init(struct resp *r)
{
	r->status = 0;
	r->headerslen = 0;
	r->headers[0] = '\0';
	r->bodylen = 0;
	r->body[0] = '\0';
	r->nobody = 0;
	r->sent = 0;
	r->overflow = 0;
	r->html = 0;
}

const char *
resp_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	}
	return "Unknown";
}

/*
 * RFC 9110 5.1: a field name is a token, of tchar: ALPHA, DIGIT and
 * "!#$%&'*+-.^_`|~", as a bit per byte value (one load a character,
 * where a strchr(3) for each '-' cost ~90 instructions of a cached
 * /protected's ~7,860).
 */
static bool
tchar(unsigned char c)
{
	static const uint64_t	 set[4] = {
		0x03ff6cfa00000000ULL,	/* ! # $ % & ' * + - . 0-9 */
		0x57ffffffc7fffffeULL,	/* A-Z ^ _ ` a-z | ~ */
		0, 0
	};

	return (set[c >> 6] >> (c & 63)) & 1;
}

static bool
name_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 9110 5.5: no control bytes but HTAB, so no CR, LF or NUL. */
static bool
value_ok(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return false;
	return true;
}

void
resp_header_n(struct resp *r, const char *name, size_t nl, const char *value)
{
	size_t	 vl = strlen(value);

	if (!name_ok(name, nl) || !value_ok(value, vl) ||
	    sizeof(r->headers) - r->headerslen <= nl + vl + 4) {
		r->overflow = 1;
		return;
	}
	memcpy(r->headers + r->headerslen, name, nl);
	r->headerslen += nl;
	memcpy(r->headers + r->headerslen, ": ", 2);
	r->headerslen += 2;
	memcpy(r->headers + r->headerslen, value, vl);
	r->headerslen += vl;
	memcpy(r->headers + r->headerslen, "\r\n", 2);
	r->headerslen += 2;
	r->headers[r->headerslen] = '\0';
}

/* True if a header called name (any case) was added. */
bool
resp_has_header(const struct resp *r, const char *name)
{
	const char	*p = r->headers, *end = r->headers + r->headerslen;
	size_t		 nl = strlen(name);

	while (p < end) {
		if ((size_t)(end - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0)
			return true;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return false;
}

void
resp_json(struct resp *r, int status, const char *json, size_t len)
{
	r->status = status;
	if (len >= sizeof(r->body)) {
		r->overflow = 1;
		r->bodylen = 0;
		return;
	}
	memcpy(r->body, json, len);
	r->body[len] = '\0';
	r->bodylen = len;
}

void
resp_html(struct resp *r, int status, const char *html, size_t len)
{
	resp_json(r, status, html, len);
	r->html = 1;
}

void
resp_body_begin(struct resp *r, struct jw *w)
{
	jw_init(w, r->body, sizeof(r->body));
}

void
resp_body_end(struct resp *r, int status, struct jw *w)
{
	size_t	 len;

	if (jw_done(w, &len) == NULL) {
		r->overflow = 1;
		r->bodylen = 0;
		return;
	}
	r->status = status;
	r->bodylen = len;
}

char *
resp_html_begin(struct resp *r, size_t *size)
{
	*size = sizeof(r->body);
	return r->body;
}

void
resp_html_end(struct resp *r, int status, size_t len)
{
	if (len >= sizeof(r->body)) {
		r->overflow = 1;
		r->bodylen = 0;
		return;
	}
	r->status = status;
	r->bodylen = len;
	r->html = 1;
}

void
resp_nobody(struct resp *r, int status)
{
	r->status = status;
	r->nobody = 1;
	r->bodylen = 0;
}

void
resp_sent(struct resp *r, int status)
{
	r->status = status;
	r->sent = 1;
}

void
resp_error(struct resp *r, int status, const char *error,
    const char *description)
{
	struct jw	 w;
	const char	*s;
	size_t		 len;

	jw_init(&w, r->body, sizeof(r->body));
	jw_obj_open(&w, NULL);
	jw_str(&w, "error", error);
	if (description != NULL)
		jw_str(&w, "error_description", description);
	jw_obj_close(&w);
	r->status = status;
	if ((s = jw_done(&w, &len)) == NULL) {
		r->overflow = 1;
		r->bodylen = 0;
	} else
		r->bodylen = len;
	if (!resp_has_header(r, "Cache-Control"))
		resp_header(r, "Cache-Control", "no-store");
}

/* Append len bytes of s at out + *n if they fit with a NUL after. */
static bool
put(char *out, size_t outsz, size_t *n, const char *s, size_t len)
{
	if (outsz - *n <= len)
		return false;
	memcpy(out + *n, s, len);
	*n += len;
	return true;
}

size_t
resp_format(const struct resp *r, char *out, size_t outsz)
{
	static const char	 ctype[] = "Content-Type: application/json\r\n";
	static const char	 htype[] =
	    "Content-Type: text/html; charset=utf-8\r\n";
	const char		*reason;
	char			 code[4];
	size_t			 n = 0;

	/* Written out by hand: snprintf was a twentieth of a /protected. */
	if (r->status < 100 || r->status > 999 || outsz == 0)
		return 0;
	code[0] = (char)('0' + r->status / 100);
	code[1] = (char)('0' + r->status / 10 % 10);
	code[2] = (char)('0' + r->status % 10);
	code[3] = ' ';
	reason = resp_reason(r->status);
	if (!put(out, outsz, &n, "Status: ", 8) ||
	    !put(out, outsz, &n, code, sizeof(code)) ||
	    !put(out, outsz, &n, reason, strlen(reason)) ||
	    !put(out, outsz, &n, "\r\n", 2) ||
	    (r->bodylen > 0 && !r->html &&
	    !put(out, outsz, &n, ctype, sizeof(ctype) - 1)) ||
	    (r->bodylen > 0 && r->html &&
	    !put(out, outsz, &n, htype, sizeof(htype) - 1)) ||
	    !put(out, outsz, &n, r->headers, r->headerslen) ||
	    !put(out, outsz, &n, "\r\n", 2) ||
	    (!r->nobody && !put(out, outsz, &n, r->body, r->bodylen)))
		return 0;
	out[n] = '\0';
	return n;
}
