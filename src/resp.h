/*
 * A response, built in fixed buffers by the endpoints, then written by
 * serve.c as CGI/FastCGI output ("Status:" line first).  Bodies are
 * JSON but for the sign-in pages' HTML (resp_html*).  Header values
 * are checked: no CR, LF or NUL reaches the wire.
 */
#ifndef RESP_H
#define RESP_H

#include <stdbool.h>
#include <stddef.h>

/* A sign-in's 303 holds a session cookie (session.h's
 * SESSION_VALUE_MAX, 2048) and a Location of up to REDIRECT_RD_MAX
 * (1536) bytes, besides the pages' headers. */
#define RESP_HEADERS_MAX	6144
#define RESP_BODY_MAX		16384

struct resp {
	int		 status;
	char		 headers[RESP_HEADERS_MAX];	/* "Name: value\r\n"... */
	size_t		 headerslen;
	char		 body[RESP_BODY_MAX];
	size_t		 bodylen;
	int		 nobody;	/* authorizer 200, HEAD: no body sent */
	int		 overflow;	/* a header or body did not fit */
	int		 sent;		/* written by the endpoint (ops.c) */
	int		 html;		/* the body is HTML (resp_html) */
};

void		 resp_init(struct resp *r);
/* The reason phrase of an HTTP status ("Unauthorized"). */
const char	*resp_reason(int status);
/*
 * Add a header "name: value": refused (overflow set) unless name is a
 * token and value holds no control byte but HTAB (so no CR, LF or
 * NUL).  resp_header takes the name as a string literal, whose length
 * is then known where it is written; resp_header_n any name of nl bytes.
 */
#define resp_header(r, name, value) \
	resp_header_n((r), "" name "", sizeof(name) - 1, (value))
void		 resp_header_n(struct resp *r, const char *name, size_t nl,
		    const char *value);
/* True if a header name (any case) was added. */
bool		 resp_has_header(const struct resp *r, const char *name);
/* Set status and a JSON body (copied). */
void		 resp_json(struct resp *r, int status, const char *json,
		    size_t len);
/*
 * A JSON body built in place with jw (no copy): resp_body_begin points
 * w at r's body buffer; resp_body_end sets status and length, or marks
 * the response overflowed (serve.c then answers 500) when it did not
 * fit.  Endpoints use these rather than write r's fields.
 */
struct jw;
void		 resp_body_begin(struct resp *r, struct jw *w);
void		 resp_body_end(struct resp *r, int status, struct jw *w);
/* Set status and an HTML page as the body (copied): Content-Type
 * text/html; charset=utf-8 instead of JSON (browser sign-in). */
void		 resp_html(struct resp *r, int status, const char *html,
		    size_t len);
/* A status whose body is not sent (the authorizer role's 200). */
void		 resp_nobody(struct resp *r, int status);
/* The endpoint wrote the whole answer itself (ops.c's /metrics). */
void		 resp_sent(struct resp *r, int status);
/*
 * An HTML page built in place (html.c): resp_html_begin gives r's body
 * buffer and its size; resp_html_end sets status, the length and the
 * HTML Content-Type, or marks r overflowed when len leaves no room for
 * a NUL in the buffer.
 */
char		*resp_html_begin(struct resp *r, size_t *size);
void		 resp_html_end(struct resp *r, int status, size_t len);
/*
 * An error as RFC 6749 5.2 / RFC 6750 3 shape it:
 * {"error":"…","error_description":"…"} with Cache-Control: no-store.
 */
void		 resp_error(struct resp *r, int status, const char *error,
		    const char *description);
/*
 * Format the whole response (CGI style) into out: "Status: 200 OK",
 * Content-Type: application/json when there is a body (even one not
 * sent: HEAD), the headers, an empty line, the body unless nobody.
 * Returns its length (out is NUL-terminated), or 0 if out is too small
 * or the status is not three digits.
 */
#define RESP_OUT_MAX	(RESP_HEADERS_MAX + RESP_BODY_MAX + 128)
size_t		 resp_format(const struct resp *r, char *out, size_t outsz);

#endif
