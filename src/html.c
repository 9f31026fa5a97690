/*
 * The sign-in pages' HTML (see html.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "b64.h"
#include "html.h"
#include "resp.h"

/*
 * Plain CSS that reads on a phone (390 px: the box fills the screen)
 * and a desktop (a centred card).  Inputs use 16 px text, so phones do
 * not zoom into them.  Its SHA-256 is in the CSP: change it freely.
 */
static const char	 style[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\","
	"Roboto,sans-serif;background:#eef0f3;color:#1b1d21}"
	"main{max-width:25rem;margin:3rem auto;padding:1.5rem 1.75rem;"
	"background:#fff;border:1px solid #d5d9df;border-radius:8px}"
	"@media (max-width:30rem){main{margin:0;min-height:100vh;"
	"border:0;border-radius:0;padding:1.25rem}}"
	"h1{font-size:1.4rem;margin:0 0 1rem}"
	"label{display:block;margin:.9rem 0 .3rem;font-weight:600}"
	"input{width:100%;padding:.65rem;font:inherit;"
	"border:1px solid #80868f;border-radius:4px}"
	"input:focus,button:focus,a:focus{outline:3px solid #7aa7ff;"
	"outline-offset:1px}"
	"button{width:100%;margin-top:1.4rem;padding:.7rem;font:inherit;"
	"font-weight:600;color:#fff;background:#1f5fd1;border:0;"
	"border-radius:4px;cursor:pointer}"
	"button:hover{background:#184bab}"
	".msg{margin:0 0 1rem;padding:.65rem .8rem;border-radius:4px;"
	"background:#fdecea;color:#8a1c12;border:1px solid #f1b5ad}"
	".msg.ok{background:#e7f4ea;color:#1d5c2b;border-color:#b3dbbd}"
	"p{margin:.5rem 0}a{color:#1f5fd1}"
	"@media (prefers-color-scheme:dark){body{background:#15171a;"
	"color:#e6e8eb}main{background:#1f2226;border-color:#3a3f46}"
	"input{background:#15171a;color:#e6e8eb;border-color:#6b717a}"
	"a{color:#8db4ff}}";

void
html_init(struct html *h, char *buf, size_t size)
{
	h->buf = buf;
	h->size = size;
	h->len = 0;
	h->overflow = size == 0;
	if (size > 0)
		buf[0] = '\0';
}

static void
put(struct html *h, const char *s, size_t len)
{
	if (h->overflow || h->size - h->len <= len) {
		h->overflow = true;
		return;
	}
	memcpy(h->buf + h->len, s, len);
	h->len += len;
	h->buf[h->len] = '\0';
}

void
html_raw(struct html *h, const char *markup)
{
	put(h, markup, strlen(markup));
}

void
html_textn(struct html *h, const char *text, size_t len)
{
	size_t		 i, run = 0;
	unsigned char	 c;
	const char	*ref;

	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		switch (c) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&#39;";
			break;
		default:
			ref = c < 0x20 || c == 0x7f ? "&#xfffd;" : NULL;
			break;
		}
		if (ref == NULL) {
			run++;
			continue;
		}
		put(h, text + i - run, run);
		run = 0;
		put(h, ref, strlen(ref));
	}
	put(h, text + len - run, run);
}

void
html_text(struct html *h, const char *text)
{
	html_textn(h, text, strlen(text));
}

void
html_head(struct html *h, const char *title)
{
	html_raw(h, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"same-origin\">\n<title>");
	html_text(h, title);
	html_raw(h, "</title>\n<style>");
	html_raw(h, style);
	html_raw(h, "</style>\n</head>\n<body>\n<main>\n<h1>");
	html_text(h, title);
	html_raw(h, "</h1>\n");
}

void
html_foot(struct html *h)
{
	html_raw(h, "</main>\n</body>\n</html>\n");
}

/* The policy, made once: the style it hashes is a constant. */
static pthread_once_t	 csp_once = PTHREAD_ONCE_INIT;
static char		 csp_text[HTML_CSP_MAX];

static void
csp_make(void)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 b64[B64_ENCLEN(SHA256_DIGEST_LENGTH) + 1];
	size_t		 n;
	int		 w;

	if (SHA256((const unsigned char *)style, sizeof(style) - 1, md) ==
	    NULL)
		return;
	/* CSP hashes are base64 with its padding: one '=' for 32 bytes. */
	if ((n = b64std_encode(md, sizeof(md), b64, sizeof(b64))) == 0)
		return;
	/*
	 * No form-action: Chrome applies it to the redirects after a form
	 * is sent too, which would stop /authorize's redirect to a client.
	 */
	w = snprintf(csp_text, sizeof(csp_text), "default-src 'none'; "
	    "style-src 'sha256-%.*s='; img-src 'self'; frame-ancestors "
	    "'none'; base-uri 'none'", (int)n, b64);
	if (w <= 0 || (size_t)w >= sizeof(csp_text))
		csp_text[0] = '\0';
}

bool
html_csp(char *out, size_t outsz)
{
	size_t	 len;

	if (pthread_once(&csp_once, csp_make) != 0 || csp_text[0] == '\0')
		return false;
	if ((len = strlen(csp_text)) >= outsz)
		return false;
	memcpy(out, csp_text, len + 1);
	return true;
}

void
html_page_headers(struct resp *r)
{
	char	 csp[HTML_CSP_MAX];

	if (!html_csp(csp, sizeof(csp))) {
		r->overflow = 1;
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Content-Security-Policy", csp);
	resp_header(r, "X-Frame-Options", "DENY");
	resp_header(r, "X-Content-Type-Options", "nosniff");
	/*
	 * same-origin, not no-referrer: under no-referrer a browser sends
	 * "Origin: null" with the page's forms (Fetch, "append a request
	 * Origin header"), which csrf_origin_ok() refuses, so nobody could
	 * sign in.  Other sites still get no Referer from these pages.
	 */
	resp_header(r, "Referrer-Policy", "same-origin");
}

void
html_page_begin(struct html *h, struct resp *r, const char *title)
{
	size_t	 size;
	char	*buf;

	buf = resp_html_begin(r, &size);
	html_init(h, buf, size);
	html_head(h, title);
}

void
html_page_end(struct html *h, struct resp *r, int status)
{
	html_foot(h);
	html_page_headers(r);
	resp_html_end(r, status, h->overflow ? h->size : h->len);
}
