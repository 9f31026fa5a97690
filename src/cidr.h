/*
 * Address lists in CIDR notation ("127.0.0.1/8 ::1/128 10.1.2.3"), as
 * metrics_allow takes them: separated by blanks or commas; a bare
 * address is the address alone.  An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack listener reports) matches as the
 * IPv4 address.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stdbool.h>
#include <stddef.h>

#define CIDR_LIST_MAX	64	/* entries in one list */

/* True if list is well formed; otherwise why names the bad entry. */
bool	cidr_list_ok(const char *list, char *why, size_t whysz);
/* True if addr (a textual IPv4 or IPv6 address) is in list. */
bool	cidr_match(const char *list, const char *addr);

#endif
