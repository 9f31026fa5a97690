/*
 * resp.c: a header is added only when its name is an RFC 9110 token and
 * its value holds no control byte but HTAB; anything else marks the
 * response overflowed, so serve.c answers 500 instead of sending it.
 * Every byte value is tried in a name and in a value, against the
 * RFC's own list.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../src/resp.h"
#include "tap.h"

/* RFC 9110 5.6.2 tchar, written out as the RFC does. */
static bool
rfc_tchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Whether resp_header takes name: value. */
static bool
takes(const char *name, const char *value)
{
	static struct resp	 r;

	resp_init(&r);
	resp_header_n(&r, name, strlen(name), value);
	return !r.overflow && resp_has_header(&r, name);
}

static void
test_names(void)
{
	char	 name[4];
	int	 c, wrong = 0;

	for (c = 1; c < 256; c++) {
		snprintf(name, sizeof(name), "X%cY", c);
		if (takes(name, "v") != rfc_tchar(c)) {
			printf("# byte 0x%02x in a name\n", c);
			wrong++;
		}
	}
	is_int(wrong, 0, "a name: each of the 255 byte values taken "
	    "exactly when it is a tchar");
	ok(!takes("", "v"), "an empty name refused");
	ok(takes("X-Auth-Request-User", "alice") &&
	    takes("!#$%&'*+-.^_`|~09AZaz", "v"), "every tchar at once");
}

static void
test_values(void)
{
	char	 value[4];
	int	 c, wrong = 0;
	bool	 want;

	for (c = 1; c < 256; c++) {
		snprintf(value, sizeof(value), "a%cb", c);
		want = !((c < 0x20 && c != '\t') || c == 0x7f);
		if (takes("X-V", value) != want) {
			printf("# byte 0x%02x in a value\n", c);
			wrong++;
		}
	}
	is_int(wrong, 0, "a value: no control byte but HTAB (CR, LF, DEL "
	    "refused; bytes over 0x7f kept)");
	ok(takes("X-V", ""), "an empty value taken");
}

static void
test_output(void)
{
	struct resp	 r;
	char		 out[RESP_OUT_MAX];
	const char	*want = "Status: 200 OK\r\n"
	    "X-Auth-Request-User: alice\r\n\r\n";
	size_t		 n;

	resp_init(&r);
	resp_header(&r, "X-Auth-Request-User", "alice");
	resp_header(&r, "Bad Name", "x");
	ok(r.overflow, "a bad header spoils the response");
	resp_init(&r);
	resp_header(&r, "X-Auth-Request-User", "alice");
	resp_nobody(&r, 200);
	n = resp_format(&r, out, sizeof(out));
	ok(n == strlen(want) && memcmp(out, want, n) == 0,
	    "a good one is sent as given");
}

int
main(void)
{
	test_names();
	test_values();
	test_output();
	return done_testing();
}
