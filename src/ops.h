/*
 * Operations (authgate(8), "Metrics and health"): GET /metrics,
 * /health/live and /health/ready, and the request path's one hook
 * that counts and times every answer.  The counters themselves are in metrics.c.
 */
#ifndef OPS_H
#define OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "req.h"

struct app;
struct conf;
struct resp;
struct serve_io;

/* Map the pool's counters beside c's state_db (once; logs a failure). */
void		 ops_init(const struct conf *c);
/*
 * Answer an operations route (route.c's ops routes, method checked).  /metrics with a 200 is written to io
 * here (it does not fit a struct resp) and res->sent set; everything
 * else is left in res.
 */
void		 ops_dispatch(const struct app *a,
		    const struct serve_io *io, const struct req *r,
		    struct resp *res);
/* Monotonic nanoseconds, for ops_done. */
uint64_t	 ops_clock(void);
/* The request r was answered with status; it began at t0. */
void		 ops_done(const struct req *r, int status, uint64_t t0);

#endif
