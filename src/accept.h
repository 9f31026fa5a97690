/*
 * Whether an Accept header (RFC 9110 12.5.1) prefers an HTML page to
 * JSON: the guard sends such a caller, a browser, to the sign-in page
 * instead of answering 401 (SPEC "Browser sign-in").
 */
#ifndef ACCEPT_H
#define ACCEPT_H

#include <stdbool.h>

#define ACCEPT_Q_ONE	1000	/* a qvalue of 1, in thousandths */

/*
 * True if text/html is acceptable (by text/html or text/ANY, not only
 * ANY/ANY; ANY is the wildcard "*") with a qvalue above that of
 * application/json (by application/json or application/ANY) and at
 * least that of ANY/ANY.  A browser's "text/html,…,ANY/ANY;q=0.8" is;
 * curl's ANY/ANY, an API client's application/json and a missing
 * header are not.  Malformed elements are skipped.  No allocation.
 */
bool	accept_prefers_html(const char *accept);

#endif
