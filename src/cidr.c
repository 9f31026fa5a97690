/*
 * CIDR address lists (see cidr.h).  Parsed each time they are used:
 * only /metrics uses them, and a list is at most CIDR_LIST_MAX short
 * entries.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

#define CIDR_ENTRY_MAX	(INET6_ADDRSTRLEN + 4)	/* "addr/128" */

struct net {
	unsigned char	 addr[16];
	int		 family;	/* AF_INET or AF_INET6 */
	int		 bits;
};

/* Parse text as an address; an IPv4-mapped IPv6 one becomes IPv4. */
static bool
addr_parse(const char *text, struct net *n)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };

	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, text, n->addr) == 1) {
		n->family = AF_INET;
		n->bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, text, n->addr) != 1)
		return false;
	n->family = AF_INET6;
	n->bits = 128;
	if (memcmp(n->addr, mapped, sizeof(mapped)) == 0) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = AF_INET;
		n->bits = 32;
	}
	return true;
}

/* One entry "addr[/bits]" of len bytes. */
static bool
entry_parse(const char *s, size_t len, struct net *n)
{
	char		 buf[CIDR_ENTRY_MAX + 1], *slash, *end;
	long		 bits;
	int		 max;

	if (len == 0 || len > CIDR_ENTRY_MAX)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (!addr_parse(buf, n))
		return false;
	if (slash == NULL)
		return true;
	max = strchr(buf, ':') != NULL ? 128 : 32;
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	bits = strtol(slash + 1, &end, 10);
	if (*end != '\0' || bits > max)
		return false;
	/* A mapped address with a v6 prefix: the part past the 96 bits. */
	if (max == 128 && n->family == AF_INET)
		bits = bits < 96 ? 0 : bits - 96;
	n->bits = (int)bits;
	return true;
}

static bool
net_has(const struct net *net, const struct net *a)
{
	int	 full = net->bits / 8, rest = net->bits % 8;
	unsigned char mask;

	if (net->family != a->family)
		return false;
	if (memcmp(net->addr, a->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (a->addr[full] & mask);
}

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/*
 * Walk list; call with want NULL to check it.  Returns 1 on a match, 0
 * when none, -1 when an entry is bad (bad, badlen name it).
 */
static int
walk(const char *list, const struct net *want, const char **bad,
    size_t *badlen)
{
	struct net	 n;
	const char	*p = list;
	size_t		 len, count = 0;

	for (;;) {
		while (is_sep(*p))
			p++;
		if (*p == '\0')
			return 0;
		for (len = 0; p[len] != '\0' && !is_sep(p[len]); len++)
			continue;
		if (++count > CIDR_LIST_MAX || !entry_parse(p, len, &n)) {
			*bad = p;
			*badlen = len;
			return -1;
		}
		if (want != NULL && net_has(&n, want))
			return 1;
		p += len;
	}
}

bool
cidr_list_ok(const char *list, char *why, size_t whysz)
{
	const char	*bad = NULL;
	size_t		 badlen = 0;

	if (walk(list, NULL, &bad, &badlen) == 0)
		return true;
	if (why != NULL && whysz > 0)
		(void)snprintf(why, whysz, "\"%.*s\" is not an address or "
		    "address/prefix (at most %d entries)",
		    (int)(badlen > 64 ? 64 : badlen), bad, CIDR_LIST_MAX);
	return false;
}

bool
cidr_match(const char *list, const char *addr)
{
	struct net	 a;
	const char	*bad;
	size_t		 badlen;

	if (addr == NULL || !addr_parse(addr, &a))
		return false;
	return walk(list, &a, &bad, &badlen) == 1;
}
