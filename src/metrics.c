/*
 * The pool's counters in one mapped file (see metrics.h).
 *
 * The file is a fixed layout, a header (magic, version, size and the
 * dimensions of the arrays) then 64-bit counters.  It is made whole
 * under a temporary name and link(2)ed into place, which fails rather
 * than replaces when another process got there first: so every process
 * starting at once maps the same, fully initialised file.  A file in
 * its place that is not one (foreign, truncated, an older layout) is
 * replaced with rename(2), by the one process that holds flock(2) on it
 * and still finds it under the name; the others wait on that lock, see
 * the name now leads elsewhere, and open the new file.  The counters
 * are updated with relaxed atomic adds: totals are exact, and no lock
 * is taken on the request path.
 *
 * The file lives in state_db's directory, which only authgate writes;
 * a process that truncates it while others have it mapped would make
 * them fault, like any other tampering with the state files.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "metrics.h"

#define MF_MAGIC	"AGMETRIC"
#define MF_VERSION	1u
#define MF_OPEN_TRIES	4	/* replaced under us this often: stop */

struct mfile {
	char		 magic[8];
	uint32_t	 version;
	uint32_t	 size;		/* sizeof(struct mfile) */
	uint32_t	 neps, nctrs, ncodes, nbuckets;
	_Atomic uint64_t ctr[MC__MAX];
	/* [METRICS_CODES]: any status not in codes[] */
	_Atomic uint64_t req[MEP__MAX][METRICS_CODES + 1];
	/* [METRICS_BUCKETS]: over the last bound */
	_Atomic uint64_t bucket[MEP__MAX][METRICS_BUCKETS + 1];
	_Atomic uint64_t sum_ns[MEP__MAX];
};

static const int codes[METRICS_CODES] = {
	200, 204, 301, 302, 303, 304, 400, 401, 403, 404,
	405, 406, 409, 413, 415, 429, 500, 502, 503, 504
};

/* Bucket bounds: nanoseconds and the le label. */
static const uint64_t bound_ns[METRICS_BUCKETS] = {
	25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 500000000,
	1000000000, 2500000000ULL, 5000000000ULL
};
static const char *const bound_le[METRICS_BUCKETS] = {
	"2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5"
};

static const char *const ep_names[MEP__MAX] = {
	"token", "protected", "auth", "authorizer", "revoke", "introspect",
	"jwks", "metadata", "authorize", "login", "logout", "metrics",
	"health", "other"
};

static struct mfile	 local_mf;	/* until (unless) the file maps */
static struct mfile	*_Atomic mf = &local_mf;
static bool		 mf_mapped;

static void
seterr(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

static void
header_fill(struct mfile *m)
{
	memcpy(m->magic, MF_MAGIC, sizeof(m->magic));
	m->version = MF_VERSION;
	m->size = (uint32_t)sizeof(*m);
	m->neps = MEP__MAX;
	m->nctrs = MC__MAX;
	m->ncodes = METRICS_CODES;
	m->nbuckets = METRICS_BUCKETS;
}

static bool
header_ok(const struct mfile *m)
{
	return memcmp(m->magic, MF_MAGIC, sizeof(m->magic)) == 0 &&
	    m->version == MF_VERSION && m->size == sizeof(*m) &&
	    m->neps == MEP__MAX && m->nctrs == MC__MAX &&
	    m->ncodes == METRICS_CODES && m->nbuckets == METRICS_BUCKETS;
}

/*
 * A new, fully initialised counters file under a temporary name beside
 * path; tmp receives its name.  Returns false on error.
 */
static bool
make_tmp(const char *path, char *tmp, size_t tmpsz, char *why, size_t whysz)
{
	struct mfile	*m;
	int		 fd, n;
	bool		 good;

	n = snprintf(tmp, tmpsz, "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= tmpsz) {
		seterr(why, whysz, "%s: path too long", path);
		return false;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		seterr(why, whysz, "%s: %s", tmp, strerror(errno));
		return false;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		seterr(why, whysz, "out of memory");
		(void)close(fd);
		(void)unlink(tmp);
		return false;
	}
	header_fill(m);
	/* made by root, the directory's owner (authgate's user) must map
	 * it read-write */
	(void)fsu_own_new_fd(fd, path);
	good = write(fd, m, sizeof(*m)) == (ssize_t)sizeof(*m);
	free(m);
	if (!good)
		seterr(why, whysz, "%s: %s", tmp,
		    errno != 0 ? strerror(errno) : "short write");
	if (close(fd) == -1 && good) {
		seterr(why, whysz, "%s: %s", tmp, strerror(errno));
		good = false;
	}
	if (!good)
		(void)unlink(tmp);
	return good;
}

/* Map fd if it holds a good counters file; NULL otherwise. */
static struct mfile *
map_fd(int fd, bool rw)
{
	struct stat	 st;
	struct mfile	*m;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)sizeof(struct mfile))
		return NULL;
	m = mmap(NULL, sizeof(*m), rw ? PROT_READ | PROT_WRITE : PROT_READ,
	    MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (!header_ok(m)) {
		(void)munmap(m, sizeof(*m));
		return NULL;
	}
	return m;
}

/*
 * path holds no counters file we can use (fd is what is there): replace
 * it, if it is still there, while holding its lock.
 */
static bool
replace_bad(const char *path, int fd, char *why, size_t whysz)
{
	struct stat	 on_disk, held;
	char		 tmp[PATH_MAX];
	bool		 good = true;

	if (flock(fd, LOCK_EX) == -1) {
		seterr(why, whysz, "%s: flock: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &held) == 0 && stat(path, &on_disk) == 0 &&
	    held.st_dev == on_disk.st_dev && held.st_ino == on_disk.st_ino) {
		/* Another process may have fixed it before we got the
		 * lock, by rename: then the name leads elsewhere. */
		good = make_tmp(path, tmp, sizeof(tmp), why, whysz);
		if (good && rename(tmp, path) == -1) {
			seterr(why, whysz, "%s: %s", path, strerror(errno));
			(void)unlink(tmp);
			good = false;
		}
	}
	(void)flock(fd, LOCK_UN);
	return good;
}

/* Create path, unless another process does it first. */
static bool
create_new(const char *path, char *why, size_t whysz)
{
	char	 tmp[PATH_MAX];
	bool	 good = true;

	if (!make_tmp(path, tmp, sizeof(tmp), why, whysz))
		return false;
	if (link(tmp, path) == -1 && errno != EEXIST) {
		seterr(why, whysz, "%s: %s", path, strerror(errno));
		good = false;
	}
	(void)unlink(tmp);
	return good;
}

static struct mfile *
open_file(const char *path, bool create, char *why, size_t whysz)
{
	struct mfile	*m;
	int		 fd, tries, flags;

	flags = (create ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK;
	for (tries = 0; tries < MF_OPEN_TRIES; tries++) {
		if ((fd = open(path, flags)) == -1) {
			if (errno != ENOENT || !create) {
				seterr(why, whysz, "%s: %s", path,
				    strerror(errno));
				return NULL;
			}
			if (!create_new(path, why, whysz))
				return NULL;
			continue;
		}
		if ((m = map_fd(fd, create)) != NULL) {
			(void)close(fd);
			return m;
		}
		if (!create) {
			seterr(why, whysz, "%s: not a counters file of this "
			    "version", path);
			(void)close(fd);
			return NULL;
		}
		if (!replace_bad(path, fd, why, whysz)) {
			(void)close(fd);
			return NULL;
		}
		(void)close(fd);
	}
	seterr(why, whysz, "%s: replaced too often while opening", path);
	return NULL;
}

bool
metrics_open(const char *state_db, bool create, char *why, size_t whysz)
{
	char		 path[PATH_MAX];
	struct mfile	*m;
	int		 n;

	if (mf_mapped)
		return true;
	n = snprintf(path, sizeof(path), "%s%s", state_db, METRICS_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		seterr(why, whysz, "%s: path too long", state_db);
		return false;
	}
	if ((m = open_file(path, create, why, whysz)) == NULL)
		return false;
	atomic_store(&mf, m);
	mf_mapped = true;
	return true;
}

void
metrics_close(void)
{
	struct mfile	*m = atomic_load(&mf);

	if (!mf_mapped)
		return;
	atomic_store(&mf, &local_mf);
	(void)munmap(m, sizeof(*m));
	mf_mapped = false;
}

bool
metrics_shared(void)
{
	return mf_mapped;
}

void
metrics_inc(enum metrics_ctr c)
{
	struct mfile	*m;

	m = atomic_load_explicit(&mf, memory_order_acquire);
#ifdef AG_NO_METRICS
	return;		/* a build for the benchmark's baseline */
#endif
	if ((unsigned)c < MC__MAX)
		atomic_fetch_add_explicit(&m->ctr[c], 1, memory_order_relaxed);
}

static size_t
code_index(int status)
{
	size_t	 i;

	for (i = 0; i < METRICS_CODES; i++)
		if (codes[i] == status)
			return i;
	return METRICS_CODES;
}

void
metrics_request(enum metrics_ep ep, int status, uint64_t ns)
{
	struct mfile	*m;
	size_t		 b;

	m = atomic_load_explicit(&mf, memory_order_acquire);
	if ((unsigned)ep >= MEP__MAX)
		ep = MEP_OTHER;
	for (b = 0; b < METRICS_BUCKETS && ns > bound_ns[b]; b++)
		continue;
	atomic_fetch_add_explicit(&m->req[ep][code_index(status)], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bucket[ep][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ns[ep], ns, memory_order_relaxed);
}

enum metrics_ctr
metrics_reject_reason(const char *why)
{
	static const struct {
		const char		*why;
		enum metrics_ctr	 reason;
	} map[] = {
		{ "token expired",		MC_REJECT_EXPIRED },
		{ "invalid signature",		MC_REJECT_SIGNATURE },
		{ "unknown key",		MC_REJECT_SIGNATURE },
		{ "unsupported algorithm",	MC_REJECT_SIGNATURE },
		{ "wrong token type",		MC_REJECT_CLAIMS },
		{ "unsupported critical header", MC_REJECT_CLAIMS },
		{ "wrong issuer",		MC_REJECT_CLAIMS },
		{ "wrong audience",		MC_REJECT_CLAIMS },
		{ "token not yet valid",	MC_REJECT_CLAIMS },
		{ "token issued in the future",	MC_REJECT_CLAIMS },
		{ "malformed claims",		MC_REJECT_CLAIMS },
		{ "token revoked",		MC_REJECT_REVOKED },
		{ "session expired",		MC_REJECT_EXPIRED },
		{ "session ended",		MC_REJECT_REVOKED },
	};
	size_t	 i;

	if (why != NULL)
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(why, map[i].why) == 0)
				return map[i].reason;
	return MC_REJECT_MALFORMED;
}

uint64_t
metrics_get(enum metrics_ctr c)
{
	struct mfile	*m = atomic_load(&mf);

	return (unsigned)c < MC__MAX ? atomic_load(&m->ctr[c]) : 0;
}

uint64_t
metrics_get_requests(enum metrics_ep ep, int status)
{
	struct mfile	*m = atomic_load(&mf);

	if ((unsigned)ep >= MEP__MAX)
		return 0;
	return atomic_load(&m->req[ep][code_index(status)]);
}

uint64_t
metrics_get_count(enum metrics_ep ep)
{
	struct mfile	*m = atomic_load(&mf);
	uint64_t	 n = 0;
	size_t		 b;

	if ((unsigned)ep >= MEP__MAX)
		return 0;
	for (b = 0; b <= METRICS_BUCKETS; b++)
		n += atomic_load(&m->bucket[ep][b]);
	return n;
}

const char *
metrics_ep_name(enum metrics_ep ep)
{
	return (unsigned)ep < MEP__MAX ? ep_names[ep] : "other";
}

int
metrics_code(size_t i)
{
	return i < METRICS_CODES ? codes[i] : 0;
}

uint64_t
metrics_get_code(enum metrics_ep ep, size_t i)
{
	struct mfile	*m = atomic_load(&mf);

	if ((unsigned)ep >= MEP__MAX || i > METRICS_CODES)
		return 0;
	return atomic_load(&m->req[ep][i]);
}

uint64_t
metrics_bound_us(size_t b)
{
	return b < METRICS_BUCKETS ? bound_ns[b] / 1000 : UINT64_MAX;
}

uint64_t
metrics_get_bucket(enum metrics_ep ep, size_t b)
{
	struct mfile	*m = atomic_load(&mf);

	if ((unsigned)ep >= MEP__MAX || b > METRICS_BUCKETS)
		return 0;
	return atomic_load(&m->bucket[ep][b]);
}

uint64_t
metrics_get_sum_ns(enum metrics_ep ep)
{
	struct mfile	*m = atomic_load(&mf);

	return (unsigned)ep < MEP__MAX ? atomic_load(&m->sum_ns[ep]) : 0;
}

/* The exposition, appended with overflow noted. */
struct text {
	char	*buf;
	size_t	 cap, len;
	bool	 overflow;
};

static void
put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = true;
		return;
	}
	t->len += (size_t)n;
}

static void
put_family(struct text *t, const char *name, const char *type,
    const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter per value of one label. */
static void
put_labelled(struct text *t, const struct mfile *m, const char *name,
    const char *label, enum metrics_ctr first, const char *const *values,
    size_t nvalues)
{
	size_t	 i;

	for (i = 0; i < nvalues; i++)
		put(t, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
		    (unsigned long long)atomic_load(&m->ctr[first + i]));
}

static void
put_requests(struct text *t, const struct mfile *m)
{
	uint64_t	 n;
	size_t		 e, c;

	put_family(t, "authgate_requests_total", "counter",
	    "Requests answered, by endpoint and status code.");
	for (e = 0; e < MEP__MAX; e++)
		for (c = 0; c <= METRICS_CODES; c++) {
			if ((n = atomic_load(&m->req[e][c])) == 0)
				continue;
			if (c == METRICS_CODES)
				put(t, "authgate_requests_total{endpoint="
				    "\"%s\",code=\"other\"} %llu\n",
				    ep_names[e], (unsigned long long)n);
			else
				put(t, "authgate_requests_total{endpoint="
				    "\"%s\",code=\"%d\"} %llu\n", ep_names[e],
				    codes[c], (unsigned long long)n);
		}
}

static void
put_histogram(struct text *t, const struct mfile *m)
{
	static const char	 name[] = "authgate_request_duration_seconds";
	uint64_t		 cum, sum;
	size_t			 e, b;

	put_family(t, name, "histogram",
	    "Time from the request's arrival to its answer.");
	for (e = 0; e < MEP__MAX; e++) {
		cum = 0;
		for (b = 0; b <= METRICS_BUCKETS; b++)
			cum += atomic_load(&m->bucket[e][b]);
		if (cum == 0)
			continue;
		cum = 0;
		for (b = 0; b < METRICS_BUCKETS; b++) {
			cum += atomic_load(&m->bucket[e][b]);
			put(t, "%s_bucket{endpoint=\"%s\",le=\"%s\"} %llu\n",
			    name, ep_names[e], bound_le[b],
			    (unsigned long long)cum);
		}
		cum += atomic_load(&m->bucket[e][METRICS_BUCKETS]);
		put(t, "%s_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n", name,
		    ep_names[e], (unsigned long long)cum);
		sum = atomic_load(&m->sum_ns[e]);
		put(t, "%s_sum{endpoint=\"%s\"} %llu.%09llu\n", name,
		    ep_names[e], (unsigned long long)(sum / 1000000000u),
		    (unsigned long long)(sum % 1000000000u));
		put(t, "%s_count{endpoint=\"%s\"} %llu\n", name, ep_names[e],
		    (unsigned long long)cum);
	}
}

static void
put_counters(struct text *t, const struct mfile *m)
{
	static const char *const grants[] = { "password", "refresh_token",
	    "authorization_code", "client_credentials" };
	static const char *const fails[] = { "credentials", "locked" };
	static const char *const rejects[] = { "missing", "malformed",
	    "signature", "expired", "claims", "revoked", "scope" };
	static const char *const revokes[] = { "access_token",
	    "refresh_token" };

	put_family(t, "authgate_tokens_issued_total", "counter",
	    "Access tokens issued, by grant type.");
	put_labelled(t, m, "authgate_tokens_issued_total", "grant",
	    MC_ISSUED_PASSWORD, grants, 4);
	put_family(t, "authgate_login_failures_total", "counter",
	    "Failed logins: credentials (unknown user or wrong password) "
	    "or locked.");
	put_labelled(t, m, "authgate_login_failures_total", "reason",
	    MC_LOGINFAIL_CREDENTIALS, fails, 2);
	put_family(t, "authgate_token_rejections_total", "counter",
	    "Bearer tokens refused, by reason.");
	put_labelled(t, m, "authgate_token_rejections_total", "reason",
	    MC_REJECT_MISSING, rejects, 7);
	put_family(t, "authgate_refresh_reuse_total", "counter",
	    "Refresh tokens used again (their family was revoked).");
	put(t, "authgate_refresh_reuse_total %llu\n",
	    (unsigned long long)atomic_load(&m->ctr[MC_REFRESH_REUSE]));
	put_family(t, "authgate_revocations_total", "counter",
	    "Tokens revoked at /revoke, by type.");
	put_labelled(t, m, "authgate_revocations_total", "type",
	    MC_REVOKE_ACCESS, revokes, 2);
}

/* Label values we print come from our own configuration: keep them
 * to characters that need no escaping. */
static const char *
label_safe(const char *s)
{
	const char	*p;

	if (s == NULL)
		return "";
	for (p = s; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p >= 0x7f)
			return "unknown";
	return s;
}

static void
put_gauges(struct text *t, const struct metrics_gauges *g)
{
	put_family(t, "authgate_keys", "gauge",
	    "Keys loaded by the process that answered, by state.");
	put(t, "authgate_keys{state=\"signing\"} %ld\n", g->keys_signing);
	put(t, "authgate_keys{state=\"next\"} %ld\n", g->keys_next);
	put(t, "authgate_keys{state=\"retired\"} %ld\n", g->keys_retired);
	put_family(t, "authgate_config_last_reload_success", "gauge",
	    "1 when the last configuration and key load succeeded.");
	put(t, "authgate_config_last_reload_success %d\n", g->reload_ok);
	put_family(t, "authgate_build_info", "gauge",
	    "Version and signing algorithm (value 1).");
	put(t, "authgate_build_info{version=\"%s\",algorithm=\"%s\"} 1\n",
	    label_safe(g->version), label_safe(g->algorithm));
}

size_t
metrics_format(const struct metrics_gauges *g, char *buf, size_t bufsz)
{
	struct text	 t = { buf, bufsz, 0, false };
	const struct mfile *m = atomic_load(&mf);

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	put_requests(&t, m);
	put_histogram(&t, m);
	put_counters(&t, m);
	if (g != NULL)
		put_gauges(&t, g);
	return t.overflow ? 0 : t.len;
}
