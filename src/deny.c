/*
 * The deny list of revoked access tokens (see deny.h).
 *
 * "<state_db>.revoked" holds, in this order, all of it text:
 *  - a header of DENY_REC_LEN bytes, "#authgate-revoked 1 N PRUNE_AT"
 *    padded with spaces and ending in a newline;
 *  - N records of DENY_REC_LEN bytes, sorted by jti, each jti once:
 *    the jti padded with spaces to AG_JTI_MAX, a space, the expiry in
 *    DENY_EXP_DIGITS digits, a newline;
 *  - the tail: lines "JTI EXP" appended since.  A file without the
 *    header (as earlier versions wrote it) is all tail.
 * Writers hold the state_db lock (state_db.h); every change ends by
 * incrementing "<state_db>.revoked.gen".
 *
 * A reader maps the header and the records and binary-searches them: a
 * check costs O(log N) comparisons, whatever N, and parses only the
 * records it visits.  The tail is read incrementally, only the bytes
 * past what the process has seen, and kept in memory (sorted from the
 * second check on, so a CGI process, which makes one check, scans it
 * instead).  The change counter is mapped too: when nothing changed, a
 * check makes no system call and allocates nothing.  The file is only
 * ever appended to or replaced by rename(2), never rewritten in place,
 * so a mapping stays valid; it must not be truncated by hand (see
 * authgate.conf(5): remove it instead).
 *
 * Adding: an entry denied as long already is not written again, which
 * is checked under the lock.  Otherwise a line is appended and synced.
 * A file missing or headerless is compacted instead, under the lock:
 * the records and the tail merged, streaming, into a new file
 * ("<state_db>.revoked.tmp", synced, renamed into place), without the
 * entries expired.  Once the tail holds DENY_TAIL_MAX lines, the add
 * appends and then, once its thread has released the lock, compacts
 * outside it (compact_unlocked(), "<state_db>.revoked.ctmp"): the
 * merge takes a second at a million entries, which every other writer
 * would otherwise wait for.  A compaction that fails is logged: the
 * revocation holds, and the next add or purge tries again.  Nothing
 * caps the size.
 *
 * Pruning: state_purge() (state.c) calls state_deny_prune_locked(),
 * which compacts, outside the lock as above, when PRUNE_AT has passed:
 * the expiry by which about a quarter of the records will have expired,
 * estimated at compaction from DENY_PRUNE_SAMPLES evenly spaced records
 * (a small list: its first expiry).  The list shrinks as its tokens
 * expire, and a large one is rewritten once per quarter of it expired,
 * not at every purge.  A pruning failure is only logged: it never stops
 * a login.
 *
 * The bytes are untrusted.  A header that does not parse, or promises
 * more records than the file holds, denies every token (the list cannot
 * tell which are revoked) and is logged; the next compaction rebuilds
 * the file from whatever lines parse.  A damaged record met by a search
 * denies the token searched for.  A damaged tail line is skipped and
 * logged: no answered revocation can be in one, as a line is synced
 * whole before the answer, and a line torn by a crash is ended before
 * the next one is appended.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deny.h"
#include "fsutil.h"
#include "log.h"
#include "state_db.h"

#define DENY_MAGIC	"#authgate-revoked 1 "
#define DENY_CHUNK	65536		/* bytes read at once from the tail */
#define DENY_PRUNE_SMALL 4096		/* fewer records: prune at once */
#define DENY_LINE_MAX	(AG_JTI_MAX + 1 + DENY_EXP_DIGITS)

struct deny_ent {
	char	 jti[AG_JTI_MAX + 1];
	int64_t	 exp;
};

/* A growable array of entries (the tail, or a list being rebuilt). */
struct deny_vec {
	struct deny_ent	*v;
	size_t		 n, cap;
	int64_t		 min_exp;
	size_t		 bad;		/* lines that did not parse */
};

/* What this process has seen of the list (struct state's dv); mtx
 * guards it. */
struct deny_view {
	pthread_mutex_t	 mtx;
	bool		 bound;			/* the paths are set */
	char		 file[PATH_MAX];	/* its ".revoked" */
	char		 genfile[PATH_MAX];	/* its ".revoked.gen" */
	bool		 file_ok;		/* both fit PATH_MAX */
	const volatile uint64_t *gen;		/* genfile mapped, or NULL */
	uint64_t	 gen_seen;		/* *gen when the list was read */
	time_t		 stat_at;		/* the last stat(2) of file */
	time_t		 map_at;		/* the last try to map genfile */
	bool		 loaded, broken, exists, headed, fd_open;
	bool		 damage_logged;
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;			/* file size at the last look */
	off_t		 seen;			/* bytes taken in, whole lines */
	const char	*map;			/* header and records */
	size_t		 maplen;
	struct deny_head head;
	struct deny_vec	 tail;
	bool		 tail_sorted;
	unsigned	 tail_uses;		/* checks since it changed */
};

/* Parsing (untrusted bytes) */

bool
deny_jti_ok(const char *jti)
{
	size_t	 i;

	/* A '#' first is the header's: no line may look like one. */
	if (jti == NULL || jti[0] == '#')
		return false;
	/* One pass, ending at the NUL (not printable) or a byte too far:
	 * every check of every request comes here. */
	for (i = 0; i <= AG_JTI_MAX; i++)
		if ((unsigned char)jti[i] - 0x21u > 0x7eu - 0x21u)
			break;
	return i > 0 && i <= AG_JTI_MAX && jti[i] == '\0';
}

/*
 * Digits s[0..len) as a non-negative int64; false if not one.  Up to
 * 19 significant digits fit a uint64_t, so the only check is at the
 * end (no division per digit: a CGI process parses the whole tail).
 */
static bool
parse_digits(const char *s, size_t len, int64_t *v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (len == 0)
		return false;
	for (i = 0; i < len && s[i] == '0'; i++)
		;
	if (len - i > 19)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > INT64_MAX)
		return false;
	*v = (int64_t)n;
	return true;
}

int
deny_head_parse(const char *buf, size_t len, struct deny_head *h)
{
	const char	*p, *end, *sp;
	int64_t		 n, at;
	size_t		 ml = sizeof(DENY_MAGIC) - 1;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return 0;
	/* No jti starts with '#' (deny_jti_ok): such a start is a
	 * header, whole or damaged. */
	if (len < ml || memcmp(buf, DENY_MAGIC, ml) != 0)
		return buf[0] == '#' ? -1 : 0;
	if (len < DENY_REC_LEN || buf[DENY_REC_LEN - 1] != '\n')
		return -1;
	p = buf + ml;
	end = buf + DENY_REC_LEN - 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
	    !parse_digits(p, (size_t)(sp - p), &n))
		return -1;
	p = sp + 1;
	for (sp = p; sp < end && *sp != ' '; sp++)
		;
	if (!parse_digits(p, (size_t)(sp - p), &at))
		return -1;
	for (; sp < end; sp++)
		if (*sp != ' ')
			return -1;
	/* The records it promises must be in the file. */
	if ((uint64_t)n > len / DENY_REC_LEN - 1)
		return -1;
	h->n = (size_t)n;
	h->prune_at = at;
	return 1;
}

bool
deny_line_parse(const char *line, size_t len, char jti[AG_JTI_MAX + 1],
    int64_t *exp)
{
	const char	*sp, *p, *end = line + len;

	if ((sp = memchr(line, ' ', len)) == NULL ||
	    sp == line || (size_t)(sp - line) > AG_JTI_MAX)
		return false;
	memcpy(jti, line, (size_t)(sp - line));
	jti[sp - line] = '\0';
	if (!deny_jti_ok(jti))
		return false;
	/* Sorted records pad the jti: they read as lines too. */
	for (p = sp; p < end && *p == ' '; p++)
		;
	if (end - p > DENY_EXP_DIGITS)
		return false;
	return parse_digits(p, (size_t)(end - p), exp);
}

void
deny_key(const char *jti, char key[AG_JTI_MAX])
{
	size_t	 len = strnlen(jti, AG_JTI_MAX);

	memcpy(key, jti, len);
	memset(key + len, ' ', AG_JTI_MAX - len);
}

/* The expiry of record r, whose form is checked whole. */
static bool
rec_parse(const char *r, int64_t *exp)
{
	size_t	 i;

	if (r[AG_JTI_MAX] != ' ' || r[DENY_REC_LEN - 1] != '\n' ||
	    r[0] == '#')
		return false;
	for (i = 0; i < AG_JTI_MAX && r[i] != ' '; i++)
		if ((unsigned char)r[i] < 0x21 || (unsigned char)r[i] > 0x7e)
			return false;
	if (i == 0)
		return false;
	for (; i < AG_JTI_MAX; i++)
		if (r[i] != ' ')
			return false;
	return parse_digits(r + AG_JTI_MAX + 1, DENY_EXP_DIGITS, exp);
}

int
deny_sorted_find(const char *recs, size_t n, const char key[AG_JTI_MAX],
    int64_t *exp)
{
	const char	*r;
	size_t		 lo = 0, hi = n, mid;
	int		 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = recs + mid * DENY_REC_LEN;
		/* Only the framing on the way: a record out of place
		 * lands the search on a wrong one, never out of bounds. */
		if (r[AG_JTI_MAX] != ' ' || r[DENY_REC_LEN - 1] != '\n')
			return -1;
		c = memcmp(key, r, AG_JTI_MAX);
		if (c == 0)
			return rec_parse(r, exp) ? 1 : -1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Entries: growing, sorting, finding */

static bool
vec_add(struct deny_vec *vv, const char *jti, int64_t exp)
{
	struct deny_ent	*nv;
	size_t		 cap, len;

	if (vv->n == vv->cap) {
		cap = vv->cap ? vv->cap * 2 : 64;
		if ((nv = reallocarray(vv->v, cap, sizeof(*nv))) == NULL)
			return false;
		vv->v = nv;
		vv->cap = cap;
	}
	len = strnlen(jti, AG_JTI_MAX);
	memcpy(vv->v[vv->n].jti, jti, len);
	vv->v[vv->n].jti[len] = '\0';
	vv->v[vv->n].exp = exp;
	if (vv->n == 0 || exp < vv->min_exp)
		vv->min_exp = exp;
	vv->n++;
	return true;
}

static void
vec_free(struct deny_vec *vv)
{
	free(vv->v);
	memset(vv, 0, sizeof(*vv));
}

/* By jti; the same jti latest expiry first. */
static int
ent_cmp(const void *a, const void *b)
{
	const struct deny_ent	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->jti, y->jti)) != 0)
		return c;
	return x->exp > y->exp ? -1 : x->exp < y->exp;
}

/* The latest expiry of jti among v (sorted or not); false if absent. */
static bool
vec_find(const struct deny_vec *vv, bool sorted, const char *jti,
    int64_t *exp)
{
	size_t	 lo = 0, hi = vv->n, mid, i;
	bool	 found = false;

	if (!sorted) {
		for (i = 0; i < vv->n; i++)
			if (strcmp(vv->v[i].jti, jti) == 0 &&
			    (!found || vv->v[i].exp > *exp)) {
				*exp = vv->v[i].exp;
				found = true;
			}
		return found;
	}
	while (lo < hi) {	/* the first not below jti */
		mid = lo + (hi - lo) / 2;
		if (strcmp(vv->v[mid].jti, jti) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < vv->n && strcmp(vv->v[lo].jti, jti) == 0) {
		*exp = vv->v[lo].exp;	/* the latest comes first */
		return true;
	}
	return false;
}

/*
 * Read whole lines of fd from *at up to size into vv, in DENY_CHUNK
 * pieces; *at ends after the last whole line, so a line being written
 * is read next time.  A piece without a newline is damage, skipped.
 */
static enum ag_err
read_lines(int fd, off_t *at, off_t size, struct deny_vec *vv)
{
	char	*buf, jti[AG_JTI_MAX + 1], *nl;
	size_t	 start, want;
	ssize_t	 r;
	int64_t	 exp;

	if (*at >= size)
		return AG_OK;
	if ((buf = malloc(DENY_CHUNK)) == NULL)
		return AG_ENOMEM;
	while (*at < size) {
		want = (size - *at) < DENY_CHUNK ? (size_t)(size - *at) :
		    DENY_CHUNK;
		if ((r = pread(fd, buf, want, *at)) <= 0)
			break;	/* error, or shrunk: seen up to here */
		for (start = 0; (nl = memchr(buf + start, '\n',
		    (size_t)r - start)) != NULL; start = nl - buf + 1) {
			if (deny_line_parse(buf + start,
			    (size_t)(nl - buf) - start, jti, &exp)) {
				if (!vec_add(vv, jti, exp)) {
					free(buf);
					return AG_ENOMEM;
				}
			} else
				vv->bad++;
		}
		if (start == 0) {
			if ((size_t)r < DENY_CHUNK)
				break;
			vv->bad++;
			start = (size_t)r;
		}
		*at += (off_t)start;
	}
	free(buf);
	return AG_OK;
}

/* Files */

static bool
side_path(struct state *sdb, const char *suffix, char *p, size_t psz)
{
	const struct conf	*c = sdb->c;
	int	 n;

	n = snprintf(p, psz, "%s%s", c->state_db, suffix);
	return n >= 0 && (size_t)n < psz;
}

/*
 * Run as root (authgatectl), give a file we create the owner of its
 * directory, state_db's: authgate, running as its own user, must go on
 * reading and replacing it.
 */
static void
keep_owner(int fd, const char *path)
{
	if (fsu_own_new_fd(fd, path) == -1)
		log_msg("%s: keeping the owner: %s", path, strerror(errno));
}

/*
 * The change counter, "<state_db>.revoked.gen": eight bytes that every
 * change increments after it is in the list, and that each process
 * maps read-only, so that a request learns whether the list changed
 * from one load.  The file is made whole before it appears (written
 * aside, then linked into place), never truncated, and only rewritten
 * in place.
 */
static bool
gen_create(const char *path)
{
	char		 tmp[PATH_MAX];
	uint64_t	 zero = 0;
	int		 fd, n;
	bool		 ok = true;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return false;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return false;
	keep_owner(fd, path);
	if (write(fd, &zero, sizeof(zero)) != (ssize_t)sizeof(zero))
		ok = false;
	if (close(fd) == -1)
		ok = false;
	/* Whoever links first wins; the others find it there. */
	if (ok && link(tmp, path) == -1 && errno != EEXIST)
		ok = false;
	(void)unlink(tmp);
	return ok;
}

/* Map the counter, making it first if need be; NULL if that fails. */
static const volatile uint64_t *
gen_map(struct state *sdb, const char *path)
{
	struct stat	 st;
	void		*p;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT || sdb->readonly ||
		    !gen_create(path) ||
		    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			return NULL;
	}
	/* Reading a mapped page past the end of a file is SIGBUS. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(uint64_t)) {
		(void)close(fd);
		return NULL;
	}
	p = mmap(NULL, sizeof(uint64_t), PROT_READ, MAP_SHARED, fd, 0);
	(void)close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Increment the counter, with the state lock held. */
static enum ag_err
gen_bump(struct state *sdb)
{
	char		 path[PATH_MAX];
	uint64_t	 v = 0;
	int		 fd;
	enum ag_err	 e = AG_OK;

	if (!side_path(sdb, ".revoked.gen", path, sizeof(path)))
		return AG_EUNAVAIL;
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    (errno != ENOENT || !gen_create(path) ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)) {
		log_msg("%s: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (pread(fd, &v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = 0;
	v++;
	if (pwrite(fd, &v, sizeof(v), 0) != (ssize_t)sizeof(v))
		e = AG_EUNAVAIL;
	if (close(fd) == -1)
		e = AG_EUNAVAIL;
	if (e != AG_OK)
		log_msg("%s: cannot count the change", path);
	return e;
}

/* This process's view of the list; all with dl->mtx held */

/* Forget the file: unmap, close, free; keeps the paths and counter. */
static void
view_drop(struct deny_view *dl)
{
	if (dl->map != NULL)
		(void)munmap((void *)dl->map, dl->maplen);
	if (dl->fd_open)
		(void)close(dl->fd);
	vec_free(&dl->tail);
	dl->map = NULL;
	dl->maplen = 0;
	dl->fd_open = false;
	dl->exists = dl->headed = dl->tail_sorted = false;
	dl->size = dl->seen = 0;
	dl->tail_uses = 0;
	memset(&dl->head, 0, sizeof(dl->head));
}

/* Set the view's paths from the state_db's, once. */
static void
view_bind(struct state *sdb)
{
	struct deny_view	*dl = sdb->dv;

	if (dl->bound)
		return;
	dl->bound = true;
	dl->file_ok = side_path(sdb, ".revoked", dl->file, sizeof(dl->file)) &&
	    side_path(sdb, ".revoked.gen", dl->genfile, sizeof(dl->genfile));
}

static void
view_damaged(struct deny_view *dl, const char *what)
{
	if (dl->damage_logged)
		return;
	dl->damage_logged = true;
	log_msg("%s: deny list damaged (%s): the tokens it cannot decide "
	    "are refused; the next revocation or purge rebuilds it",
	    dl->file, what);
}

/* Take in the lines appended up to size. */
static bool
view_tail(struct deny_view *dl, off_t size)
{
	size_t	 before = dl->tail.n, bad = dl->tail.bad;

	if (read_lines(dl->fd, &dl->seen, size, &dl->tail) != AG_OK)
		return false;
	if (dl->tail.bad != bad)
		view_damaged(dl, "a line that does not parse, skipped");
	if (dl->tail.n != before) {
		dl->tail_sorted = false;
		dl->tail_uses = 0;
	}
	dl->size = size;
	return true;
}

/* Open the file afresh: header, records mapped, tail read. */
static bool
view_open(struct deny_view *dl)
{
	char		 hb[DENY_REC_LEN];
	struct stat	 st;
	ssize_t		 r = 0;
	void		*m;
	int		 fd, h;

	view_drop(dl);
	if ((fd = open(dl->file, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return false;
	}
	dl->fd = fd;
	dl->fd_open = true;
	dl->dev = st.st_dev;
	dl->ino = st.st_ino;
	dl->exists = true;
	if (st.st_size > 0 && (r = pread(fd, hb, st.st_size < DENY_REC_LEN ?
	    (size_t)st.st_size : sizeof(hb), 0)) <= 0)
		return false;
	if ((h = deny_head_parse(hb, (size_t)r < sizeof(hb) ? (size_t)r :
	    (size_t)st.st_size, &dl->head)) < 0) {
		view_damaged(dl, "its header");
		errno = 0;
		return false;
	}
	if (h == 1) {
		dl->maplen = (dl->head.n + 1) * DENY_REC_LEN;
		m = mmap(NULL, dl->maplen, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			dl->maplen = 0;
			return false;
		}
		dl->map = m;
		dl->headed = true;
		dl->seen = (off_t)dl->maplen;
	}
	return view_tail(dl, st.st_size);
}

/* Look at the file: read what was appended, or all if replaced. */
static void
view_refresh(struct deny_view *dl)
{
	struct stat	 st;

	if (stat(dl->file, &st) == -1) {
		if (errno != ENOENT)
			goto broken;
		view_drop(dl);
		dl->broken = false;
		dl->loaded = true;
		return;
	}
	if (dl->loaded && !dl->broken && dl->fd_open && st.st_dev == dl->dev &&
	    st.st_ino == dl->ino && st.st_size >= dl->size) {
		if (st.st_size == dl->size || view_tail(dl, st.st_size))
			return;
		goto broken;
	}
	if (!view_open(dl))
		goto broken;
	dl->broken = false;
	dl->loaded = true;
	return;
broken:
	if (!dl->broken)
		log_msg("%s: cannot read the deny list (%s): refusing every "
		    "token", dl->file, errno != 0 ? strerror(errno) :
		    "damaged");
	dl->broken = true;
	dl->loaded = true;
}

/*
 * Make the view current.  A change takes effect at once in every
 * process: when the counter moved, or cannot be mapped, the file is
 * looked at; otherwise once a second, for a list replaced by hand.
 * force (writers, under the lock): look now.
 */
static void
view_sync(struct state *sdb, bool force)
{
	struct deny_view	*dl = sdb->dv;
	uint64_t	 g = 0;
	time_t		 now = time(NULL);

	/* From the second check on: a CGI process, which makes one, is
	 * better served by one stat(2) than by open and mmap.  A counter
	 * that cannot be mapped (a read-only directory) is tried again
	 * once a second, not on every request. */
	if (dl->gen == NULL && dl->loaded && dl->map_at != now) {
		dl->map_at = now;
		dl->gen = gen_map(sdb, dl->genfile);
	}
	if (dl->gen != NULL) {
		g = *dl->gen;
		if (!force && dl->loaded && g == dl->gen_seen &&
		    now == dl->stat_at)
			return;
	}
	/* The count is read before the list: a change after it moves
	 * the count again, and the next check looks again. */
	view_refresh(dl);
	dl->gen_seen = g;
	dl->stat_at = now;
}

/* 1: jti is in the list (*exp its latest expiry), 0: not, -1: unknown. */
static int
view_find(struct deny_view *dl, const char *jti, int64_t *exp)
{
	char	 key[AG_JTI_MAX];
	int64_t	 e = 0;
	int	 r = 0;

	if (dl->broken)
		return -1;
	if (!dl->exists)
		return 0;
	if (dl->headed && dl->head.n > 0) {
		deny_key(jti, key);
		r = deny_sorted_find(dl->map + DENY_REC_LEN, dl->head.n, key,
		    exp);
		if (r < 0) {
			view_damaged(dl, "a sorted record");
			return -1;
		}
	}
	if (dl->tail.n == 0)
		return r;
	/* Sorting pays from the second check of the same tail on. */
	if (!dl->tail_sorted && dl->tail_uses++ > 0) {
		qsort(dl->tail.v, dl->tail.n, sizeof(dl->tail.v[0]), ent_cmp);
		dl->tail_sorted = true;
	}
	if (vec_find(&dl->tail, dl->tail_sorted, jti, &e)) {
		if (r == 0 || e > *exp)
			*exp = e;
		r = 1;
	}
	return r;
}

bool
state_deny_check(struct state *sdb, const char *jti)
{
	struct deny_view	*dl = sdb->dv;
	int64_t	 exp;
	int	 r;

	if (!deny_jti_ok(jti))
		return false;	/* no such jti was ever added */
	if (pthread_mutex_lock(&dl->mtx) != 0)
		return true;
	view_bind(sdb);
	if (dl->file_ok)
		view_sync(sdb, false);
	else
		dl->broken = true;
	r = view_find(dl, jti, &exp);
	(void)pthread_mutex_unlock(&dl->mtx);
	return r != 0;
}

struct deny_view *
deny_view_new(void)
{
	struct deny_view	*dl;

	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return NULL;
	if (pthread_mutex_init(&dl->mtx, NULL) != 0) {
		free(dl);
		return NULL;
	}
	return dl;
}

void
deny_view_free(struct deny_view *dl)
{
	if (dl == NULL)
		return;
	view_drop(dl);
	if (dl->gen != NULL)
		(void)munmap((void *)dl->gen, sizeof(uint64_t));
	(void)pthread_mutex_destroy(&dl->mtx);
	free(dl);
}

/* Compaction */

/* The new file being written. */
struct deny_out {
	FILE		*f;
	size_t		 n, every, seen;
	int64_t		 samples[DENY_PRUNE_SAMPLES];
	size_t		 nsamples;
	int64_t		 min_exp;
	bool		 err;
};

static void
out_rec(struct deny_out *o, const char *jti, size_t jlen, int64_t exp,
    time_t now)
{
	if (exp < (int64_t)now)
		return;		/* expired: the token is refused anyway */
	if (fprintf(o->f, "%.*s%*s %0*lld\n", (int)jlen, jti,
	    (int)(AG_JTI_MAX - jlen), "", DENY_EXP_DIGITS,
	    (long long)exp) != DENY_REC_LEN)
		o->err = true;
	if (o->n == 0 || exp < o->min_exp)
		o->min_exp = exp;
	if (o->seen++ % o->every == 0 && o->nsamples < DENY_PRUNE_SAMPLES)
		o->samples[o->nsamples++] = exp;
	o->n++;
}

static int
exp_cmp(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The header, DENY_REC_LEN bytes with its newline. */
static bool
out_head(struct deny_out *o)
{
	char	 h[DENY_REC_LEN + 1];
	int64_t	 at = INT64_MAX;
	int	 n;

	if (o->n > 0 && o->n <= DENY_PRUNE_SMALL)
		at = o->min_exp;
	else if (o->n > 0) {
		qsort(o->samples, o->nsamples, sizeof(o->samples[0]), exp_cmp);
		at = o->samples[o->nsamples / 4];
	}
	n = snprintf(h, sizeof(h), "%s%zu %lld", DENY_MAGIC, o->n,
	    (long long)at);
	if (n < 0 || n >= DENY_REC_LEN)
		return false;
	memset(h + n, ' ', DENY_REC_LEN - 1 - (size_t)n);
	h[DENY_REC_LEN - 1] = '\n';
	return fseeko(o->f, 0, SEEK_SET) == 0 &&
	    fwrite(h, 1, DENY_REC_LEN, o->f) == DENY_REC_LEN;
}

/* True if the n records at recs are whole and in strict order. */
static bool
recs_sorted(const char *recs, size_t n)
{
	size_t	 i;
	int64_t	 exp;

	for (i = 0; i < n; i++)
		if (!rec_parse(recs + i * DENY_REC_LEN, &exp) ||
		    (i > 0 && memcmp(recs + (i - 1) * DENY_REC_LEN,
		    recs + i * DENY_REC_LEN, AG_JTI_MAX) >= 0))
			return false;
	return true;
}

/*
 * Records out of order or damaged: each one that still reads as a line
 * (its last byte, the newline, not looked at) goes into vv, to be
 * sorted.  A damaged record is lost; no other one with it.
 */
static enum ag_err
salvage(const char *recs, size_t n, struct deny_vec *vv)
{
	char	 jti[AG_JTI_MAX + 1];
	int64_t	 exp;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!deny_line_parse(recs + i * DENY_REC_LEN,
		    DENY_REC_LEN - 1, jti, &exp))
			vv->bad++;
		else if (!vec_add(vv, jti, exp))
			return AG_ENOMEM;
	}
	return AG_OK;
}

/* Merge n sorted records with sorted v (deduplicated) into o. */
static void
merge(struct deny_out *o, const char *recs, size_t n,
    const struct deny_vec *vv, time_t now)
{
	const char	*r;
	char		 key[AG_JTI_MAX];
	size_t		 i = 0, j = 0, jl;
	int64_t		 exp, e2;
	int		 c;

	while ((i < n || j < vv->n) && !o->err) {
		r = i < n ? recs + i * DENY_REC_LEN : NULL;
		if (j < vv->n)
			deny_key(vv->v[j].jti, key);
		c = r == NULL ? 1 : j == vv->n ? -1 :
		    memcmp(r, key, AG_JTI_MAX);
		if (c < 0) {
			(void)rec_parse(r, &exp);	/* checked before */
			jl = (size_t)((const char *)memchr(r, ' ',
			    AG_JTI_MAX + 1) - r);
			out_rec(o, r, jl, exp, now);
			i++;
			continue;
		}
		exp = vv->v[j].exp;	/* the latest of its jti: first */
		if (c == 0) {
			(void)rec_parse(r, &e2);
			if (e2 > exp)
				exp = e2;
			i++;
		}
		out_rec(o, vv->v[j].jti, strlen(vv->v[j].jti), exp, now);
		for (jl = j++; j < vv->n &&
		    strcmp(vv->v[j].jti, vv->v[jl].jti) == 0; j++)
			;
	}
}

/* Write the merged list to tmp, synced; the caller renames it. */
static enum ag_err
write_tmp(const char *tmp, const char *recs, size_t n,
    const struct deny_vec *vv, time_t now)
{
	struct deny_out	 o;
	int		 fd;
	enum ag_err	 e = AG_OK;

	memset(&o, 0, sizeof(o));
	o.every = (n + vv->n) / DENY_PRUNE_SAMPLES + 1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		log_msg("%s: %s", tmp, strerror(errno));
		return AG_EUNAVAIL;
	}
	keep_owner(fd, tmp);
	if ((o.f = fdopen(fd, "w")) == NULL) {
		(void)close(fd);
		(void)unlink(tmp);
		return AG_ENOMEM;
	}
	/* The header last, when its counts are known: a placeholder. */
	if (fprintf(o.f, "%*s\n", DENY_REC_LEN - 1, "") != DENY_REC_LEN)
		o.err = true;
	merge(&o, recs, n, vv, now);
	if (o.err || !out_head(&o) || fflush(o.f) != 0 ||
	    fsync(fileno(o.f)) == -1) {
		log_msg("%s: write: %s", tmp, strerror(errno));
		e = AG_EUNAVAIL;
	}
	if (fclose(o.f) != 0 && e == AG_OK)
		e = AG_EUNAVAIL;
	if (e != AG_OK)
		(void)unlink(tmp);
	return e;
}

/* Rename tmp over path; tmp is gone either way. */
static enum ag_err
put_in_place(const char *tmp, const char *path)
{
	if (rename(tmp, path) == -1) {
		log_msg("%s: rename: %s", path, strerror(errno));
		(void)unlink(tmp);
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/* A list as read for a compaction. */
struct deny_snap {
	int		 fd;		/* -1: there is no list */
	struct stat	 st;		/* when opened */
	struct deny_head h;
	void		*m;		/* header and records, or MAP_FAILED */
	size_t		 maplen;
	const char	*recs;		/* sorted and whole, or NULL */
	off_t		 at;		/* after the last whole line read */
	struct deny_vec	 vv;		/* the lines to merge, then sorted */
};

static void
snap_init(struct deny_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->m = MAP_FAILED;
}

static void
snap_free(struct deny_snap *s)
{
	if (s->m != MAP_FAILED)
		(void)munmap(s->m, s->maplen);
	if (s->fd != -1)
		(void)close(s->fd);
	vec_free(&s->vv);
	snap_init(s);
}

/* Open the list at path, if there is one; its size is s->st.st_size. */
static enum ag_err
snap_open(const char *path, struct deny_snap *s)
{
	if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return AG_OK;
		log_msg("%s: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (fstat(s->fd, &s->st) == -1 || !S_ISREG(s->st.st_mode)) {
		log_msg("%s: not a regular file", path);
		return AG_EUNAVAIL;
	}
	return AG_OK;
}

/*
 * Read the opened list's first size bytes: map the records, and read
 * the tail (or, without a header, every line) into s->vv, sorted.
 * Holds in memory only the tail, unless the records are damaged, when
 * every one that parses is read.
 */
static enum ag_err
snap_read(const char *path, struct deny_snap *s, off_t size)
{
	char		 hb[DENY_REC_LEN];
	enum ag_err	 e = AG_OK;

	if (s->fd == -1)
		return AG_OK;
	if (size >= DENY_REC_LEN &&
	    pread(s->fd, hb, sizeof(hb), 0) == DENY_REC_LEN &&
	    deny_head_parse(hb, (size_t)size, &s->h) == 1) {
		s->maplen = (s->h.n + 1) * DENY_REC_LEN;
		s->m = mmap(NULL, s->maplen, PROT_READ, MAP_SHARED, s->fd, 0);
		if (s->m == MAP_FAILED)
			return AG_EUNAVAIL;
		s->at = (off_t)s->maplen;
		if (recs_sorted((char *)s->m + DENY_REC_LEN, s->h.n))
			s->recs = (char *)s->m + DENY_REC_LEN;
		else {
			log_msg("%s: deny list records damaged: rebuilt from "
			    "those that parse", path);
			e = salvage((char *)s->m + DENY_REC_LEN, s->h.n,
			    &s->vv);
		}
	}
	if (e == AG_OK)
		e = read_lines(s->fd, &s->at, size, &s->vv);
	if (s->vv.bad > 0)
		log_msg("%s: %zu damaged lines of the deny list dropped",
		    path, s->vv.bad);
	if (e == AG_OK && s->vv.n > 1)
		qsort(s->vv.v, s->vv.n, sizeof(s->vv.v[0]), ent_cmp);
	return e;
}

/*
 * Rewrite the list under the lock: records and tail merged, expired
 * entries dropped, extra (may be NULL) added.  For a list that is not
 * there or not sorted yet (a file of an older version, or damaged).
 */
static enum ag_err
compact(struct state *sdb, time_t now, const struct deny_ent *extra)
{
	char		 path[PATH_MAX], tmp[PATH_MAX];
	struct deny_snap s;
	enum ag_err	 e;

	if (!side_path(sdb, ".revoked", path, sizeof(path)) ||
	    !side_path(sdb, ".revoked.tmp", tmp, sizeof(tmp)))
		return AG_EUNAVAIL;
	snap_init(&s);
	if ((e = snap_open(path, &s)) == AG_OK)
		e = snap_read(path, &s, s.st.st_size);
	if (e == AG_OK && extra != NULL) {
		if (!vec_add(&s.vv, extra->jti, extra->exp))
			e = AG_ENOMEM;
		else if (s.vv.n > 1)
			qsort(s.vv.v, s.vv.n, sizeof(s.vv.v[0]), ent_cmp);
	}
	if (e == AG_OK &&
	    (e = write_tmp(tmp, s.recs, s.recs != NULL ? s.h.n : 0, &s.vv,
	    now)) == AG_OK)
		e = put_in_place(tmp, path);
	snap_free(&s);
	return e;
}

/* compact() with the change counted: a list that is not plain. */
static enum ag_err
compact_counted(struct state *sdb, time_t now)
{
	enum ag_err	 e;

	if ((e = compact(sdb, now, NULL)) != AG_OK)
		return e;
	return gen_bump(sdb);
}

/* Append the bytes of fd from at to size to the file tmp, synced. */
static enum ag_err
copy_tail(int fd, off_t at, off_t size, const char *tmp)
{
	char	*buf;
	ssize_t	 r;
	size_t	 want;
	int	 out;
	enum ag_err e = AG_OK;

	if ((buf = malloc(DENY_CHUNK)) == NULL)
		return AG_ENOMEM;
	if ((out = open(tmp, O_WRONLY | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_msg("%s: %s", tmp, strerror(errno));
		free(buf);
		return AG_EUNAVAIL;
	}
	while (at < size && e == AG_OK) {
		want = size - at < DENY_CHUNK ? (size_t)(size - at) :
		    DENY_CHUNK;
		if ((r = pread(fd, buf, want, at)) <= 0 ||
		    write(out, buf, (size_t)r) != r)
			e = AG_EUNAVAIL;
		else
			at += r;
	}
	if (e == AG_OK && fsync(out) == -1)
		e = AG_EUNAVAIL;
	if (close(out) == -1)
		e = AG_EUNAVAIL;
	if (e != AG_OK)
		log_msg("%s: write: %s", tmp, strerror(errno));
	free(buf);
	return e;
}

/*
 * A writer's look at the list, with the state_db lock held: the view is
 * then the file, as nobody else writes.  True with dl->mtx taken and the
 * view read afresh; false (nothing taken) when the paths do not fit.
 */
static bool
view_enter(struct state *sdb)
{
	struct deny_view	*dl = sdb->dv;

	if (pthread_mutex_lock(&dl->mtx) != 0)
		return false;
	view_bind(sdb);
	if (!dl->file_ok) {
		(void)pthread_mutex_unlock(&dl->mtx);
		return false;
	}
	view_sync(sdb, true);
	return true;
}

/*
 * Under the lock: whether the list wants compacting (*due; force: any
 * list there is) and whether it can be compacted outside the lock
 * (*plain: there, with a header and records that were sorted).
 */
static enum ag_err
view_look(struct state *sdb, time_t now, bool force, bool *due, bool *plain)
{
	struct deny_view	*dl = sdb->dv;

	*due = *plain = false;
	if (!view_enter(sdb))
		return AG_EUNAVAIL;
	*plain = dl->exists && dl->headed && !dl->broken;
	*due = dl->exists && (force || !*plain ||
	    dl->tail.n >= DENY_TAIL_MAX || dl->head.prune_at < (int64_t)now ||
	    (dl->tail.n > 0 && dl->head.n + dl->tail.n <= DENY_PRUNE_SMALL &&
	    dl->tail.min_exp < (int64_t)now));
	(void)pthread_mutex_unlock(&dl->mtx);
	return AG_OK;
}

/* True if path is no longer the file first seen as was, size bytes. */
static bool
replaced(const char *path, const struct stat *was, off_t size)
{
	struct stat	 st;

	return stat(path, &st) == -1 || st.st_dev != was->st_dev ||
	    st.st_ino != was->st_ino || st.st_size != size;
}

/*
 * compact_unlocked()'s end, with the lock held again: the lines appended
 * to s's file since it was read go after the merge in tmp, which then
 * replaces the list, unless the list was replaced meanwhile (removed by
 * hand, say): that stands, and the merge is dropped.
 */
static enum ag_err
finish_locked(struct state *sdb, const struct deny_snap *s, const char *tmp,
    const char *path)
{
	struct stat	 st;
	enum ag_err	 e;

	if (fstat(s->fd, &st) == -1 || st.st_size < s->st.st_size)
		e = AG_EUNAVAIL;	/* truncated: left as it is */
	else
		e = copy_tail(s->fd, s->at, st.st_size, tmp);
	/* Checked right before the rename: nothing of ours between. */
	if (e != AG_OK || replaced(path, &s->st, st.st_size)) {
		(void)unlink(tmp);
		return e;
	}
	if ((e = put_in_place(tmp, path)) != AG_OK)
		return e;
	return gen_bump(sdb);
}

/*
 * Compact with the writers' lock released through the rewrite, which
 * takes a second at a million entries.  The list is only appended to
 * or replaced, never changed in place, so the bytes seen under the
 * lock stay as they are: they are merged into a new file without the
 * lock; then, with it taken again, the lines appended meanwhile are
 * copied after them, as the new file's tail, and the new file is
 * renamed into place, unless the list was replaced meanwhile (removed
 * by hand, say): then the merge is dropped, and the list stays as it
 * is.  One compaction at a time, under a flock on
 * "<state_db>.revoked.compact": a writer that finds one running leaves
 * the list to it.  A list that is not plain (missing header, damaged)
 * is compacted under the lock, as compact() does.
 */
static enum ag_err
compact_unlocked(struct state *sdb, time_t now, bool force)
{
	char		 path[PATH_MAX], tmp[PATH_MAX], cpath[PATH_MAX];
	struct deny_snap s;
	bool		 due, plain;
	int		 cfd, lockfd;
	enum ag_err	 e;

	if (!side_path(sdb, ".revoked", path, sizeof(path)) ||
	    !side_path(sdb, ".revoked.ctmp", tmp, sizeof(tmp)) ||
	    !side_path(sdb, ".revoked.compact", cpath, sizeof(cpath)))
		return AG_EUNAVAIL;
	if ((cfd = fsu_open_new(cpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_msg("%s: %s", cpath, strerror(errno));
		return AG_EUNAVAIL;
	}
	if (flock(cfd, LOCK_EX | LOCK_NB) == -1) {
		(void)close(cfd);
		return errno == EWOULDBLOCK ? AG_OK : AG_EUNAVAIL;
	}
	snap_init(&s);
	/* Under the lock: what is there, and whether it is due. */
	if ((e = st_lock(sdb, true, &lockfd)) != AG_OK)
		goto out;
	if ((e = view_look(sdb, now, force, &due, &plain)) == AG_OK && due) {
		if (!plain) {
			e = compact_counted(sdb, now);
			due = false;
		} else
			e = snap_open(path, &s);
	}
	st_unlock(sdb, lockfd);
	if (e != AG_OK || !due || s.fd == -1)
		goto out;

	/* Without it: the merge of what was seen. */
	if ((e = snap_read(path, &s, s.st.st_size)) != AG_OK ||
	    (e = write_tmp(tmp, s.recs, s.recs != NULL ? s.h.n : 0, &s.vv,
	    now)) != AG_OK)
		goto out;

	/* With it again: the lines added since, and the rename. */
	if ((e = st_lock(sdb, true, &lockfd)) != AG_OK) {
		(void)unlink(tmp);
		goto out;
	}
	e = finish_locked(sdb, &s, tmp, path);
	st_unlock(sdb, lockfd);
out:
	snap_free(&s);
	(void)close(cfd);	/* and with it the flock */
	if (e != AG_OK)
		log_msg("%s: cannot rewrite the deny list: %s (revoked tokens "
		    "are still refused; tried again at the next revocation "
		    "or purge)", sdb->c->state_db, ag_strerror(e));
	return e;
}

/* Writers */

/*
 * A compaction put off until this thread releases the state_db lock
 * (deny_unlocked): the state it is wanted for, or NULL.
 */
static _Thread_local struct state *compact_wanted;

void
deny_unlocked(struct state *sdb)
{
	if (compact_wanted != sdb)
		return;
	compact_wanted = NULL;
	(void)compact_unlocked(sdb, time(NULL), false);	/* logged */
}

/* Append "JTI EXP\n" (after a newline ending a torn line), synced. */
static enum ag_err
append_line(struct state *sdb, const char *jti, int64_t exp,
    bool torn)
{
	char	 path[PATH_MAX], line[DENY_LINE_MAX + 3];
	int	 fd, n;
	enum ag_err e = AG_OK;

	if (!side_path(sdb, ".revoked", path, sizeof(path)))
		return AG_EUNAVAIL;
	n = snprintf(line, sizeof(line), "%s%s %lld\n", torn ? "\n" : "",
	    jti, (long long)exp);
	if (n < 0 || (size_t)n >= sizeof(line))
		return AG_EINVAL;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		log_msg("%s: %s", path, strerror(errno));
		return AG_EUNAVAIL;
	}
	keep_owner(fd, path);
	if (write(fd, line, (size_t)n) != n || fsync(fd) == -1) {
		log_msg("%s: write: %s", path, strerror(errno));
		e = AG_EUNAVAIL;
	}
	if (close(fd) == -1 && e == AG_OK)
		e = AG_EUNAVAIL;
	return e;
}

/*
 * state_deny_add with the state_db lock held (state_db.h).  A list whose
 * tail is full is compacted once this thread releases the lock.
 */
enum ag_err
deny_add_locked(struct state *sdb, const char *jti, int64_t exp)
{
	struct deny_view	*dl = sdb->dv;
	const struct conf	*c = sdb->c;
	struct deny_ent	 ent;
	int64_t		 have = 0;
	int		 found;
	bool		 compacting, full, torn;
	enum ag_err	 e;

	if (!deny_jti_ok(jti) || exp < 0)
		return AG_EINVAL;
	(void)snprintf(ent.jti, sizeof(ent.jti), "%s", jti);
	ent.exp = exp;
	if (!view_enter(sdb))
		return AG_EUNAVAIL;
	found = view_find(dl, jti, &have);
	/* Not there yet, or not sorted: small or rare, done at once. */
	compacting = dl->broken || !dl->exists || !dl->headed;
	full = !compacting && dl->tail.n >= DENY_TAIL_MAX;
	torn = dl->exists && dl->seen < dl->size;
	(void)pthread_mutex_unlock(&dl->mtx);
	if (found == 1 && have >= exp)
		return AG_OK;	/* denied that long already */
	if (compacting && (e = compact(sdb, time(NULL), &ent)) != AG_OK)
		log_msg("%s: cannot rewrite the deny list: %s; appending",
		    c->state_db, ag_strerror(e));
	if (!compacting || e != AG_OK)
		e = append_line(sdb, jti, exp, torn);
	/* After the entry is in the list: a process that sees the new
	 * count reads the list with it. */
	if (e == AG_OK)
		e = gen_bump(sdb);
	if (e == AG_OK && full)
		compact_wanted = sdb;
	return e;
}

enum ag_err
state_deny_add(struct state *sdb, const char *jti, int64_t exp)
{
	int		 lockfd;
	enum ag_err	 e;

	if (!deny_jti_ok(jti) || exp < 0)
		return AG_EINVAL;
	if ((e = st_lock(sdb, true, &lockfd)) != AG_OK)
		return e;
	e = deny_add_locked(sdb, jti, exp);
	st_unlock(sdb, lockfd);		/* and compacts, when due */
	return e;
}

/* The purge's step, with the lock held: compact when due, a plain list
 * once the lock is released. */
void
state_deny_prune_locked(struct state *sdb, time_t now)
{
	bool		 due, plain;
	enum ag_err	 e;

	if (view_look(sdb, now, false, &due, &plain) != AG_OK || !due)
		return;
	if (plain)
		compact_wanted = sdb;
	else if ((e = compact_counted(sdb, now)) != AG_OK)
		log_msg("%s: cannot prune the deny list: %s (revoked tokens "
		    "are still refused; tried again at the next purge)",
		    sdb->c->state_db, ag_strerror(e));
}

enum ag_err
state_deny_prune(struct state *sdb, time_t now, bool force)
{
	return compact_unlocked(sdb, now, force);
}
