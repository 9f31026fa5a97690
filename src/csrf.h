/*
 * CSRF protection of the sign-in forms (SPEC "Browser sign-in"): a
 * double-submit token and the browser's own word on where a request
 * comes from.  GET /login sets the cookie authgate_csrf
 * (__Host-authgate_csrf over HTTPS: a sibling host cannot set that
 * one) to 32 random bytes and puts the same value in the form's hidden
 * field csrf; POST /login and /logout need field == cookie.  A page on
 * another site can make a browser send the form, but can neither read
 * nor set the cookie, so it cannot know the value to put in the field.
 * Origin and Sec-Fetch-Site, when the browser sends them, must say the
 * request comes from this same origin.
 */
#ifndef CSRF_H
#define CSRF_H

#include <stdbool.h>
#include <stddef.h>

#include "authgate.h"
#include "b64.h"

struct req;

#define CSRF_COOKIE		"authgate_csrf"
#define CSRF_COOKIE_HTTPS	"__Host-authgate_csrf"
#define CSRF_BYTES		32
#define CSRF_LEN		B64_ENCLEN(CSRF_BYTES)	/* 43 */
#define CSRF_SET_COOKIE_MAX	160	/* a Set-Cookie value of ours */
#define CSRF_ORIGIN_MAX		512	/* "scheme://host:port" */

/*
 * The CSRF cookie of a Cookie header (the __Host- name when https) into
 * out (CSRF_LEN + 1 bytes): true only when the cookie is there exactly
 * once and well-formed (CSRF_LEN base64url characters).  Twice is
 * refused: one may have been set by someone else (another path or a
 * sibling host over HTTP), and which one the browser lists first is
 * not ours to pick.
 */
bool		 csrf_from_cookie(const char *cookie_header, bool https,
		    char out[CSRF_LEN + 1]);
/* A new token (RAND_bytes, base64url) into out; false if OpenSSL
 * has no randomness to give. */
bool		 csrf_new(char out[CSRF_LEN + 1]);
/* The Set-Cookie value for token val: HttpOnly, SameSite=Strict,
 * Path=/, and Secure with the __Host- name when https. */
bool		 csrf_set_cookie(char *buf, size_t bufsz, bool https,
		    const char *val);
/* The form's field equals the cookie's token (constant time). */
bool		 csrf_match(const char *field, const char *cookie_val);
/*
 * The request may be a form of ours: Sec-Fetch-Site, when present, is
 * "same-origin" or "none" (typed by the user), and Origin, when
 * present, is this request's own origin (scheme by HTTPS, host by the
 * Host header; default ports ignored; "null" refused).  A request with
 * neither (an old browser, curl) passes on the token alone.  On false
 * *why says which (for the log).
 */
bool		 csrf_origin_ok(const struct req *r, const char **why);

#endif
