/*
 * The route table: for each endpoint the methods it takes, its role
 * (issuer endpoints are absent on a verify_only host; the operations
 * endpoints answer even when no key is loaded, through ops.c), whether
 * a POST body is read for it, and its handler.  serve.c's dispatch and
 * the Allow header of a 405 are derived from it, and no endpoint checks
 * again what it decided.  Which path is which route is req.c's
 * (req_route, by the end of the path).
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>

#include "req.h"

struct app;
struct resp;

#define RM_GET		0x1
#define RM_HEAD		0x2
#define RM_POST		0x4
#define RM_ANY		0xff	/* nginx's auth_request passes any method */

struct route_def {
	enum req_route	 route;
	unsigned	 methods;	/* RM_* */
	bool		 issuer_only;	/* 404 when verify_only */
	bool		 ops;		/* ops_dispatch; answered when no key */
	bool		 reads_body;	/* a POST body is read and checked */
	void		(*handler)(const struct app *, const struct req *,
			    struct resp *);	/* NULL for ops */
};

/* The definition of route, or NULL for ROUTE_NONE (404). */
const struct route_def	*route_def(enum req_route route);
/* True if the route takes method m. */
bool			 route_method_ok(const struct route_def *d,
			    enum req_method m);
/* The Allow header of a 405: the route's methods ("GET, HEAD"). */
const char		*route_allow(const struct route_def *d);

#endif /* ROUTE_H */
