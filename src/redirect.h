/*
 * The rd rule of the sign-in page (SPEC "Browser sign-in"): after
 * signing in, the browser is sent back to rd only when rd is a path on
 * this same site; anything else goes to login_redirect.  rd reaches us
 * form-decoded (POST) or percent-decoded (the GET query), so the rule
 * applies to decoded bytes, and also refuses the escapes that a second
 * decoding somewhere on the way would turn into a way off the site.
 */
#ifndef REDIRECT_H
#define REDIRECT_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of an rd accepted: the guard's whole login_url?rd=... fits in
 * 1536 (session.c), so any rd it sends is shorter. */
#define REDIRECT_RD_MAX	1536

/*
 * True if rd (len bytes) may be the Location of the 303 after signing
 * in: 1 to REDIRECT_RD_MAX bytes of printable ASCII (no control byte,
 * space, DEL or byte over 0x7e: browsers drop tabs and newlines from a
 * URL, and "/\t/evil" would become "//evil"), starting with exactly one
 * "/" (not "//" nor "/\", which browsers read as another host), no "\"
 * anywhere, no escaped "/" or "\" right after the first "/" ("/%2F",
 * "/%5C") and no escaped control byte (%00-%1F, %7F).  Starting
 * with "/", rd has no scheme ("https:", "javascript:").  "/@evil.com"
 * passes: it is the path "/@evil.com" on this site.
 */
bool		 redirect_ok(const char *rd, size_t len);
/* rd when rd is not NULL and redirect_ok, else fallback. */
const char	*redirect_target(const char *rd, const char *fallback);

#endif
