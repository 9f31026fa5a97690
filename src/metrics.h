/*
 * Counters of the whole pool (authgate(8), "Metrics and health"):
 * every process serving one state_db maps the same small file,
 * "<state_db>.metrics", and adds to it with atomic adds, so a scrape
 * of any process sees the figures of all of them, and they survive
 * restarts.  No lock on the request path.  When the file cannot be used the counters are this
 * process's own (and say so).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_SUFFIX	".metrics"	/* appended to state_db */

/* Endpoint label values, in the SPEC's order. */
enum metrics_ep {
	MEP_TOKEN = 0,
	MEP_PROTECTED,
	MEP_AUTH,
	MEP_AUTHORIZER,
	MEP_REVOKE,
	MEP_INTROSPECT,
	MEP_JWKS,
	MEP_METADATA,
	MEP_AUTHORIZE,
	MEP_LOGIN,
	MEP_LOGOUT,
	MEP_METRICS,
	MEP_HEALTH,
	MEP_OTHER,
	MEP__MAX
};

/* Plain counters (each one label value, or none). */
enum metrics_ctr {
	MC_ISSUED_PASSWORD = 0,
	MC_ISSUED_REFRESH,
	MC_ISSUED_CODE,
	MC_ISSUED_CLIENT,
	MC_LOGINFAIL_CREDENTIALS,
	MC_LOGINFAIL_LOCKED,
	MC_REJECT_MISSING,
	MC_REJECT_MALFORMED,
	MC_REJECT_SIGNATURE,
	MC_REJECT_EXPIRED,
	MC_REJECT_CLAIMS,
	MC_REJECT_REVOKED,
	MC_REJECT_SCOPE,
	MC_REFRESH_REUSE,
	MC_REVOKE_ACCESS,
	MC_REVOKE_REFRESH,
	MC__MAX
};

/* Histogram bucket bounds, seconds: 25 us to 5 s, then +Inf. */
#define METRICS_BUCKETS	17
/* Status codes counted one by one; any other is counted as "other". */
#define METRICS_CODES	20

/* What a scrape shows that is not a counter: this process's view. */
struct metrics_gauges {
	const char	*version;
	const char	*algorithm;
	long		 keys_signing, keys_next, keys_retired;
	int		 reload_ok;	/* 1 or 0 */
};

/*
 * Map the counters file beside state_db (created if missing, in a way
 * that many processes starting at once agree on one file; a file that
 * is not a counters file of this layout is replaced, under a lock).
 * create false (authgatectl stats): only open an existing file.
 * Returns true when the shared file is in use; otherwise the counters
 * stay process-local and why says why.  Idempotent: only the first
 * successful call maps.
 */
bool		 metrics_open(const char *state_db, bool create, char *why,
		    size_t whysz);
/* Unmap (tests). */
void		 metrics_close(void);
/* True when the counters are the pool's (the shared file). */
bool		 metrics_shared(void);

void		 metrics_inc(enum metrics_ctr c);
/* One request answered: its endpoint, status and time taken. */
void		 metrics_request(enum metrics_ep ep, int status,
		    uint64_t nanoseconds);
/* The reason label of a token verification failure (jwt/jws "why"). */
enum metrics_ctr metrics_reject_reason(const char *why);

/* Read back (tests, authgatectl stats). */
uint64_t	 metrics_get(enum metrics_ctr c);
uint64_t	 metrics_get_requests(enum metrics_ep ep, int status);
uint64_t	 metrics_get_count(enum metrics_ep ep);
/* For a person's report: names, codes, buckets. */
const char	*metrics_ep_name(enum metrics_ep ep);
/* The i-th status code counted (i < METRICS_CODES), 0 for "other". */
int		 metrics_code(size_t i);
uint64_t	 metrics_get_code(enum metrics_ep ep, size_t i);
/* Upper bound of bucket b in microseconds, and its count (not
 * cumulative; b == METRICS_BUCKETS: over the last bound). */
uint64_t	 metrics_bound_us(size_t b);
uint64_t	 metrics_get_bucket(enum metrics_ep ep, size_t b);
uint64_t	 metrics_get_sum_ns(enum metrics_ep ep);

/*
 * The Prometheus text exposition (format 0.0.4) into buf; returns its
 * length, or 0 when it does not fit.
 */
size_t		 metrics_format(const struct metrics_gauges *g, char *buf,
		    size_t bufsz);
/* Most bytes metrics_format can need. */
#define METRICS_TEXT_MAX	(96 * 1024)

#endif
