/*
 * The sign-in pages' HTML (SPEC "Browser sign-in"): escaping, and one
 * small fixed page template written into a response body.  The page
 * loads nothing (no script, no image, no font, no external style
 * sheet); its one <style> block is allowed by its hash in the
 * Content-Security-Policy, so no other style can run either.
 */
#ifndef HTML_H
#define HTML_H

#include <stdbool.h>
#include <stddef.h>

struct resp;

#define HTML_CSP_MAX	256	/* the Content-Security-Policy value */

struct html {
	char	*buf;
	size_t	 size, len;	/* buf[len] is a NUL while !overflow */
	bool	 overflow;	/* something did not fit: page lost */
};

/* Write into buf (size > 0 bytes). */
void	html_init(struct html *h, char *buf, size_t size);
/* Markup of our own, as it is. */
void	html_raw(struct html *h, const char *markup);
/*
 * Text from anywhere (a user name, rd), escaped for an element's text
 * or a quoted attribute value: & < > " ' as references, and control
 * bytes (C0, DEL) as U+FFFD, so nothing in it can open a tag, end an
 * attribute or reach the page as a control character.
 */
void	html_text(struct html *h, const char *text);
/* The same for len bytes (may hold NULs, which become U+FFFD). */
void	html_textn(struct html *h, const char *text, size_t len);
/* The page up to the <main> content: doctype, lang, viewport, title
 * (escaped), the style block, and an <h1> of the title. */
void	html_head(struct html *h, const char *title);
/* The end of the page. */
void	html_foot(struct html *h);
/* The Content-Security-Policy of the pages (hash of the style block)
 * into out; false if it does not fit. */
bool	html_csp(char *out, size_t outsz);

/*
 * A whole page as a response: html_page_begin points h at r's body and
 * writes html_head; html_page_end writes html_foot, sets status, the
 * body's length, Content-Type text/html; charset=utf-8 and the headers
 * of every page (no-store, the CSP, no framing, nosniff, no referrer),
 * or marks r overflowed (serve.c answers 500) when the page did not
 * fit.
 */
void	html_page_begin(struct html *h, struct resp *r, const char *title);
void	html_page_end(struct html *h, struct resp *r, int status);
/* The headers of every page alone (for a 303 that carries no page). */
void	html_page_headers(struct resp *r);

#endif
