/*
 * cidr: metrics_allow's address lists.  Well-formed and malformed
 * lists (prefix out of range, junk, too many entries, an entry longer
 * than any address), IPv4 and IPv6 prefixes at byte and bit borders,
 * IPv4-mapped IPv6 addresses, hostile client addresses.
 */
#include <stdio.h>
#include <string.h>

#include "../src/cidr.h"
#include "tap.h"

static void
test_lists(void)
{
	char	 why[256], big[CIDR_LIST_MAX * 12 + 32], *p;
	int	 i;

	ok(cidr_list_ok("127.0.0.1/8 ::1/128", why, sizeof(why)),
	    "the default");
	ok(cidr_list_ok("", why, sizeof(why)), "empty");
	ok(cidr_list_ok("10.0.0.0/8,192.168.1.7 , fd00::/8\t::", why,
	    sizeof(why)), "commas, tabs, bare addresses");
	ok(cidr_list_ok("0.0.0.0/0 ::/0", why, sizeof(why)), "/0");
	ok(!cidr_list_ok("10.0.0.0/33", why, sizeof(why)), "v4 /33 refused");
	ok(strstr(why, "10.0.0.0/33") != NULL, "  naming the entry");
	ok(!cidr_list_ok("::/129", why, sizeof(why)), "v6 /129 refused");
	ok(!cidr_list_ok("10.0.0.0/", why, sizeof(why)), "empty prefix");
	ok(!cidr_list_ok("10.0.0.0/-1", why, sizeof(why)), "negative prefix");
	ok(!cidr_list_ok("10.0.0.0/8x", why, sizeof(why)), "junk after prefix");
	ok(!cidr_list_ok("localhost", why, sizeof(why)), "a host name");
	ok(!cidr_list_ok("10.0.0", why, sizeof(why)), "short address");
	ok(!cidr_list_ok("1.2.3.4/99999999999999999999", why, sizeof(why)),
	    "huge prefix");
	memset(big, 'a', 200);
	big[200] = '\0';
	ok(!cidr_list_ok(big, why, sizeof(why)), "a 200-byte entry");
	ok(strlen(why) < 200, "  the message stays short");
	p = big;
	for (i = 0; i < CIDR_LIST_MAX; i++)
		p += snprintf(p, sizeof(big) - (size_t)(p - big), "10.0.0.%d ",
		    i % 250);
	ok(cidr_list_ok(big, why, sizeof(why)), "CIDR_LIST_MAX entries");
	(void)snprintf(p, sizeof(big) - (size_t)(p - big), "10.9.9.9");
	ok(!cidr_list_ok(big, why, sizeof(why)), "one more refused");
}

static void
test_match(void)
{
	const char	*dflt = "127.0.0.1/8 ::1/128";

	ok(cidr_match(dflt, "127.0.0.1"), "127.0.0.1 in the default");
	ok(cidr_match(dflt, "127.255.0.9"), "127.255.0.9 in 127/8");
	ok(!cidr_match(dflt, "128.0.0.1"), "128.0.0.1 not");
	ok(cidr_match(dflt, "::1"), "::1");
	ok(!cidr_match(dflt, "::2"), "::2 not");
	ok(cidr_match(dflt, "::ffff:127.0.0.1"), "v4-mapped 127.0.0.1");
	ok(!cidr_match(dflt, "::ffff:10.0.0.1"), "v4-mapped 10.0.0.1 not");
	ok(cidr_match("::ffff:10.0.0.0/104", "10.1.2.3"),
	    "v4-mapped network matches a v4 address");
	ok(cidr_match("10.0.0.0/9", "10.127.255.255"), "/9 upper border");
	ok(!cidr_match("10.0.0.0/9", "10.128.0.0"), "/9 past it");
	ok(cidr_match("192.168.1.7", "192.168.1.7"), "bare address");
	ok(!cidr_match("192.168.1.7", "192.168.1.8"), "bare address only");
	ok(cidr_match("2001:db8::/33", "2001:db8:7fff::1"), "v6 /33 in");
	ok(!cidr_match("2001:db8::/33", "2001:db8:8000::1"), "v6 /33 out");
	ok(cidr_match("0.0.0.0/0", "203.0.113.5"), "v4 /0: any v4");
	ok(!cidr_match("0.0.0.0/0", "2001:db8::1"), "  but no v6");
	ok(!cidr_match("", "127.0.0.1"), "empty list: nobody");
	ok(!cidr_match(dflt, NULL), "no REMOTE_ADDR: refused");
	ok(!cidr_match(dflt, ""), "empty REMOTE_ADDR: refused");
	ok(!cidr_match(dflt, "127.0.0.1 "), "trailing blank: refused");
	ok(!cidr_match(dflt, "127.0.0.1/8"), "a network as address: refused");
	ok(!cidr_match(dflt, "unix:/run/x.sock"), "a socket path: refused");
	ok(!cidr_match("10.0.0.0/33 127.0.0.1", "127.0.0.1"),
	    "a bad list matches nothing after its bad entry");
}

int
main(void)
{
	test_lists();
	test_match();
	return done_testing();
}
