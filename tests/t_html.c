/*
 * html.c: escaping (a user name or rd holding markup stays text), the
 * page template, the CSP's hash of the style block, and a page that
 * does not fit.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "../src/b64.h"
#include "../src/html.h"
#include "../src/resp.h"
#include "tap.h"

static const struct {
	const char	*in, *out;
} esc[] = {
	{ "alice", "alice" },
	{ "", "" },
	{ "<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "\"><script>x</script>", "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" },
	{ "' onmouseover='x", "&#39; onmouseover=&#39;x" },
	{ "a&b&amp;", "a&amp;b&amp;amp;" },
	{ "/x?a=1&b=<2>", "/x?a=1&amp;b=&lt;2&gt;" },
	{ "tab\there", "tab&#xfffd;here" },
	{ "cr\r\nlf", "cr&#xfffd;&#xfffd;lf" },
	{ "del\x7f", "del&#xfffd;" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 passes */
};

static void
test_escape(void)
{
	char		 buf[256], name[300];
	struct html	 h;
	size_t		 i;

	for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		html_init(&h, buf, sizeof(buf));
		html_text(&h, esc[i].in);
		ok(!h.overflow, "fits");
		(void)snprintf(name, sizeof(name), "escaped: %s", esc[i].out);
		is_str(buf, esc[i].out, name);
	}
	html_init(&h, buf, sizeof(buf));
	html_textn(&h, "a\0b", 3);
	is_str(buf, "a&#xfffd;b", "a NUL becomes U+FFFD");
	/* The limit: exactly size - 1 bytes fit, one more overflows. */
	html_init(&h, buf, 6);
	html_text(&h, "&");
	ok(!h.overflow && h.len == 5, "'&amp;' in 6 bytes");
	html_text(&h, "x");
	ok(h.overflow, "one byte more: overflow");
	html_text(&h, "y");
	ok(h.overflow && strcmp(buf, "&amp;") == 0, "  and stays so");
}

/* The text between a and b in s, into out. */
static bool
between(const char *s, const char *a, const char *b, char *out,
    size_t outsz)
{
	const char	*p, *q;

	if ((p = strstr(s, a)) == NULL)
		return false;
	p += strlen(a);
	if ((q = strstr(p, b)) == NULL || (size_t)(q - p) >= outsz)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

static void
test_page(void)
{
	static struct resp	 r;
	struct html		 h;
	char			 style[8192], csp[HTML_CSP_MAX], b64[64];
	char			 want[HTML_CSP_MAX + 64], out[RESP_OUT_MAX];
	unsigned char		 md[SHA256_DIGEST_LENGTH];

	resp_init(&r);
	html_page_begin(&h, &r, "Sign <in>");
	html_raw(&h, "<p>");
	html_text(&h, "<script>alert(1)</script>");
	html_raw(&h, "</p>\n");
	html_page_end(&h, &r, 401);
	is_int(r.status, 401, "page: status");
	ok(!r.overflow, "page: fits");
	ok(strncmp(r.body, "<!doctype html>\n<html lang=\"en\">", 32) == 0,
	    "doctype and lang");
	ok(strstr(r.body, "<meta name=\"viewport\" content=\"width=device-"
	    "width, initial-scale=1\">") != NULL, "viewport");
	ok(strstr(r.body, "<title>Sign &lt;in&gt;</title>") != NULL,
	    "title escaped");
	ok(strstr(r.body, "<script") == NULL, "no <script> anywhere");
	ok(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL,
	    "the text stays text");
	ok(strstr(r.body, "http") == NULL && strstr(r.body, "url(") == NULL &&
	    strstr(r.body, "@import") == NULL, "nothing loaded from anywhere");
	ok(strstr(r.body, "@media (max-width:") != NULL,
	    "a narrow-screen rule");
	ok(resp_has_header(&r, "Cache-Control") &&
	    strstr(r.headers, "Cache-Control: no-store\r\n") != NULL,
	    "Cache-Control: no-store");
	ok(strstr(r.headers, "X-Frame-Options: DENY\r\n") != NULL,
	    "X-Frame-Options: DENY");
	ok(strstr(r.headers, "X-Content-Type-Options: nosniff\r\n") != NULL,
	    "nosniff");
	/* Not no-referrer: the forms would then carry "Origin: null". */
	ok(strstr(r.headers, "Referrer-Policy: same-origin\r\n") != NULL,
	    "no referrer to other sites, a real Origin on our forms");
	/* The CSP's hash is that of the style block as sent. */
	ok(between(r.body, "<style>", "</style>", style, sizeof(style)),
	    "a style block");
	SHA256((const unsigned char *)style, strlen(style), md);
	b64std_encode(md, sizeof(md), b64, sizeof(b64));
	(void)snprintf(want, sizeof(want), "style-src 'sha256-%s='", b64);
	ok(between(r.headers, "Content-Security-Policy: ", "\r\n", csp,
	    sizeof(csp)), "a CSP");
	ok(strstr(csp, want) != NULL, "  whose style hash is the block's");
	ok(strstr(csp, "default-src 'none'") != NULL &&
	    strstr(csp, "frame-ancestors 'none'") != NULL &&
	    strstr(csp, "base-uri 'none'") != NULL, "  forbids the rest");
	ok(strstr(csp, "script-src") == NULL &&
	    strstr(csp, "unsafe") == NULL, "  and allows no script");
	ok(strstr(csp, "form-action") == NULL,
	    "  no form-action (Chrome applies it to /authorize's redirect)");
	ok(resp_format(&r, out, sizeof(out)) > 0, "formatted");
	ok(strstr(out, "application/json") == NULL,
	    "  with no JSON Content-Type");
	ok(strstr(out, "\r\nContent-Type: text/html; charset=utf-8\r\n") !=
	    NULL, "  Content-Type text/html");
	ok(strstr(out, "Status: 401 Unauthorized\r\n") != NULL,
	    "  status line");

	/* A page over the body buffer: overflow, never a cut page. */
	resp_init(&r);
	html_page_begin(&h, &r, "big");
	while (!h.overflow)
		html_text(&h, "<<<<<<<<<<");
	html_page_end(&h, &r, 200);
	ok(r.overflow, "a page that does not fit: overflow (500)");
}

int
main(void)
{
	test_escape();
	test_page();
	return done_testing();
}
