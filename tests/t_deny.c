/*
 * deny: the list of revoked access tokens.  Adding holds at once, in
 * this and other processes; the same jti twice is one entry; records
 * are sorted and unique after compaction; pruning works at 200,000
 * entries, streams, and a failure to prune stops neither purge nor
 * revocation; a damaged file refuses what it cannot decide, never
 * crashes, and is rebuilt; a list written by older versions (lines
 * only) is read and converted; many processes adding at once leave
 * every entry once, also while compactions of a large list run outside
 * the writers' lock; a list removed by hand during one stays removed.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/conf.h"
#include "../src/deny.h"
#include "../src/state.h"
#include "handles.h"
#include "tap.h"

#define BIG		200000	/* entries of the large list */
#define RACERS		8	/* processes adding at once */
#define RACE_SHARED	40	/* jtis every racer adds */
#define RACE_OWN	20	/* jtis only one racer adds */
#define COMPACT_BIG	50000	/* entries of the list compacted racing */
#define COMPACT_ADDS	200	/* jtis each racer adds to it */

static char		 dir[64];
static char		 list[PATH_MAX + 16];
static struct conf	 cf;

/* Entries of jti in the file (NULL: all), read as lines. */
static long
count_lines(const char *jti)
{
	char	 line[512], j[AG_JTI_MAX + 1];
	int64_t	 exp;
	long	 n = 0;
	FILE	*f;
	size_t	 len;

	if ((f = fopen(list, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\n");
		if (deny_line_parse(line, len, j, &exp) &&
		    (jti == NULL || strcmp(j, jti) == 0))
			n++;
	}
	fclose(f);
	return n;
}

static off_t
list_size(void)
{
	struct stat	 st;

	return stat(list, &st) == 0 ? st.st_size : -1;
}

/* The file's header and records are whole and strictly sorted. */
static bool
list_sorted(size_t *np)
{
	char		*buf;
	struct deny_head h;
	struct stat	 st;
	size_t		 i;
	FILE		*f;
	bool		 good;

	if (stat(list, &st) == -1 || (buf = malloc(st.st_size + 1)) == NULL)
		return false;
	f = fopen(list, "r");
	good = f != NULL && fread(buf, 1, st.st_size, f) ==
	    (size_t)st.st_size && deny_head_parse(buf, st.st_size, &h) == 1;
	if (f != NULL)
		fclose(f);
	for (i = 1; good && i < h.n; i++)
		good = memcmp(buf + i * DENY_REC_LEN, buf + (i + 1) *
		    DENY_REC_LEN, AG_JTI_MAX) < 0;
	if (good && np != NULL)
		*np = h.n;
	free(buf);
	return good;
}

static void
write_file(const char *text)
{
	FILE	*f = fopen(list, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A new empty list (forgetting the cached one). */
static void
fresh(void)
{
	char	 gen[PATH_MAX + 32];

	(void)unlink(list);
	snprintf(gen, sizeof(gen), "%s.gen", list);
	(void)unlink(gen);
	H_reset();
}

static void
test_basic(void)
{
	time_t	 now = time(NULL);
	pid_t	 pid;
	int	 status, i;
	off_t	 sz;
	char	 jti[32];

	fresh();
	ok(!state_deny_check(H(&cf), "jti-1"), "nothing denied yet");
	is_int(state_deny_add(H(&cf), "jti-1", now + 100), AG_OK, "deny jti-1");
	ok(state_deny_check(H(&cf), "jti-1"), "jti-1 denied at once");
	ok(!state_deny_check(H(&cf), "jti-2"), "jti-2 not denied");
	is_int(state_deny_add(H(&cf), "bad jti", now), AG_EINVAL,
	    "jti with a space refused");
	is_int(state_deny_add(H(&cf), "#x", now), AG_EINVAL,
	    "jti starting with '#' refused");
	is_int(state_deny_add(H(&cf), "j", -1), AG_EINVAL, "negative exp");

	/* the same token revoked again adds nothing */
	sz = list_size();
	for (i = 0; i < 1000; i++)
		if (state_deny_add(H(&cf), "jti-1", now + 100) != AG_OK)
			break;
	is_int(i, 1000, "jti-1 revoked 1000 times more");
	is_int(count_lines("jti-1"), 1, "  one entry");
	ok(list_size() == sz, "  the file did not grow");
	is_int(state_deny_add(H(&cf), "jti-1", now + 50), AG_OK,
	    "an earlier expiry: nothing to add");
	is_int(count_lines("jti-1"), 1, "  still one entry");
	is_int(state_deny_add(H(&cf), "jti-1", now + 200), AG_OK,
	    "a later expiry extends it");
	is_int(state_deny_prune(H(&cf), now, true), AG_OK, "compact");
	is_int(count_lines("jti-1"), 1, "  one entry after compaction");
	ok(state_deny_check(H(&cf), "jti-1"), "  still denied");

	pid = fork();
	if (pid == 0) {
		H_reset();
		if (!state_deny_check(H(&cf), "jti-1"))
			_exit(1);
		if (state_deny_add(H(&cf), "jti-3", now + 100) != AG_OK)
			_exit(2);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another process sees jti-1 and adds jti-3");
	ok(state_deny_check(H(&cf), "jti-3"), "jti-3 from the other process "
	    "seen at once");
	ok(state_deny_check(H(&cf), "jti-1"), "jti-1 still denied");

	/* ordering: added in any order, compacted sorted and unique */
	for (i = 0; i < 300; i++) {
		snprintf(jti, sizeof(jti), "o%03d", (i * 7919) % 300);
		if (state_deny_add(H(&cf), jti, now + 100 + i) != AG_OK)
			break;
	}
	is_int(i, 300, "300 more, out of order");
	ok(state_deny_check(H(&cf), "o123") && !state_deny_check(H(&cf), "o300"),
	    "  found in the tail, and only they");
	is_int(state_deny_prune(H(&cf), now, true), AG_OK, "compact");
	{
		size_t	 n = 0;

		ok(list_sorted(&n) && n == 302, "  302 records, sorted, "
		    "each once");
	}
	ok(state_deny_check(H(&cf), "o000") && state_deny_check(H(&cf), "o299") &&
	    state_deny_check(H(&cf), "jti-3") && !state_deny_check(H(&cf), "o30"),
	    "  found by binary search, and only they");
}

/* Mean ns of one state_deny_check(c, jti) over n calls. */
static double
ns_per_check(const struct conf *c, const char *jti, int n)
{
	struct timespec	 t0, t1;
	int		 i, hits = 0;

	(void)state_deny_check(H(c), jti);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		hits += state_deny_check(H(c), jti);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	    n + (hits < 0);
}

static void
test_big(void)
{
	time_t		 now = time(NULL);
	struct timespec	 t0, t1;
	char		 jti[AG_JTI_MAX + 1];
	FILE		*f;
	size_t		 n = 0;
	int		 i, miss = 0;
	double		 dt;

	fresh();
	/* An old-style list of BIG lines, every other one expired:
	 * 9 MiB, twice the cap that used to wedge the service. */
	if ((f = fopen(list, "w")) == NULL) {
		ok(0, "write the big list");
		return;
	}
	for (i = 0; i < BIG; i++)
		fprintf(f, "big-%07d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx %lld\n", i,
		    (long long)(i % 2 ? now - 10 : now + 3600));
	fclose(f);
	ok(list_size() > 8 * 1024 * 1024, "old-style list of 200,000 lines");
	ok(state_deny_check(H(&cf), "big-0000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    "  read as it is");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(state_purge(H(&cf), now), AG_OK, "purge");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# purge of 200,000 entries: %.3f s\n", dt);
	ok(list_sorted(&n) && n == BIG / 2, "  converted: 100,000 sorted "
	    "records left");
	for (i = 0; i < BIG; i += 97) {
		snprintf(jti, sizeof(jti), "big-%07d-xxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxx", i);
		if (i % 2 == 0 && !state_deny_check(H(&cf), jti))
			miss++;
	}
	is_int(miss, 0, "  every live one still denied");
	{
		struct conf	 none = cf;
		double		 full, hit, empty;

		snprintf(none.state_db, sizeof(none.state_db), "%s/none.db",
		    dir);
		empty = ns_per_check(&none, "not-revoked-jti-abcdefg", 200000);
		full = ns_per_check(&cf, "not-revoked-jti-abcdefg", 200000);
		hit = ns_per_check(&cf, "big-0000000-xxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxx", 200000);
		printf("# a check: %.0f ns with an empty list, %.0f ns (not "
		    "listed) and %.0f ns (listed) with 100,000 entries\n",
		    empty, full, hit);
		/* Generous, for a shared machine: re-reading the list
		 * would cost milliseconds. */
		ok(full < 20000 && hit < 20000, "  a check at 100,000 "
		    "entries costs microseconds at most");
	}
	ok(!state_deny_check(H(&cf), "big-0000001-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    "  an expired one gone");

	/* adds cross DENY_TAIL_MAX: the add compacts */
	for (i = 0; i < DENY_TAIL_MAX + 5; i++) {
		snprintf(jti, sizeof(jti), "add-%05d", i);
		if (state_deny_add(H(&cf), jti, now + 3600) != AG_OK)
			break;
	}
	is_int(i, DENY_TAIL_MAX + 5, "DENY_TAIL_MAX + 5 adds to the big list");
	n = 0;
	ok(list_sorted(&n) && n >= BIG / 2 + DENY_TAIL_MAX &&
	    n <= BIG / 2 + DENY_TAIL_MAX + 5, "  compacted once on the way");
	snprintf(jti, sizeof(jti), "add-%05d", DENY_TAIL_MAX + 4);
	ok(state_deny_check(H(&cf), "add-00000") && state_deny_check(H(&cf),
	    jti) && !state_deny_check(H(&cf), "add-09999"),
	    "  all there, in records and tail");
}

static void
test_prune(void)
{
	char	 tmp[PATH_MAX + 32], ctmp[PATH_MAX + 32];
	time_t	 now = time(NULL);
	int	 i;
	char	 jti[32];

	fresh();
	is_int(state_deny_add(H(&cf), "gone", now - 5), AG_OK, "expired entry");
	is_int(state_deny_add(H(&cf), "kept", now + 100), AG_OK, "live entry");
	is_int(state_deny_add(H(&cf), "tail", now + 100), AG_OK, "in the tail");
	is_int(state_purge(H(&cf), now), AG_OK, "purge");
	is_int(count_lines("gone"), 0, "  expired entry gone");
	ok(count_lines("kept") == 1 && count_lines("tail") == 1,
	    "  live ones kept");

	/* a pruning that fails stops nothing */
	is_int(state_deny_add(H(&cf), "old", now - 5), AG_OK, "expired entry");
	snprintf(tmp, sizeof(tmp), "%s.tmp", list);
	snprintf(ctmp, sizeof(ctmp), "%s.ctmp", list);
	ok(mkdir(tmp, 0700) == 0 && mkdir(ctmp, 0700) == 0,
	    "the rewrite cannot be written, under the lock or outside it");
	is_int(state_purge(H(&cf), now), AG_OK, "  purge still succeeds");
	is_int(state_deny_prune(H(&cf), now, true), AG_EUNAVAIL,
	    "  the prune itself fails");
	for (i = 0; i < DENY_TAIL_MAX + 2; i++) {
		snprintf(jti, sizeof(jti), "f-%05d", i);
		if (state_deny_add(H(&cf), jti, now + 100) != AG_OK)
			break;
	}
	is_int(i, DENY_TAIL_MAX + 2, "  revocations past the tail's "
	    "length still succeed");
	snprintf(jti, sizeof(jti), "f-%05d", DENY_TAIL_MAX + 1);
	ok(state_deny_check(H(&cf), jti) && state_deny_check(H(&cf), "kept"),
	    "  and hold");
	(void)rmdir(tmp);
	(void)rmdir(ctmp);
	is_int(state_deny_prune(H(&cf), now, false), AG_OK, "fixed: prune");
	ok(list_sorted(NULL) && count_lines("old") == 0 &&
	    count_lines(jti) == 1, "  compacted");
}

static void
test_damaged(void)
{
	time_t	 now = time(NULL);
	char	 buf[4096];
	int	 fd;
	off_t	 at;

	/* a header promising more records than the file holds */
	fresh();
	snprintf(buf, sizeof(buf), "#authgate-revoked 1 999 %lld%*s\n",
	    (long long)now, 40, "");
	write_file(buf);
	ok(state_deny_check(H(&cf), "anyone"), "damaged header: every token "
	    "refused");
	is_int(state_deny_add(H(&cf), "new", now + 100), AG_OK,
	    "  a revocation rebuilds it");
	ok(!state_deny_check(H(&cf), "anyone") && state_deny_check(H(&cf), "new"),
	    "  then only the revoked are");

	/* a record damaged in place */
	fresh();
	(void)state_deny_add(H(&cf), "aaa", now + 100);
	(void)state_deny_add(H(&cf), "bbb", now + 100);
	(void)state_deny_add(H(&cf), "ccc", now + 100);
	(void)state_deny_prune(H(&cf), now, true);
	H_reset();
	at = DENY_REC_LEN * 3 - 1;	/* the newline of "bbb" */
	if ((fd = open(list, O_WRONLY)) != -1) {
		(void)pwrite(fd, "x", 1, at);
		close(fd);
	}
	ok(state_deny_check(H(&cf), "bbb"), "damaged record: its jti refused");
	ok(state_deny_check(H(&cf), "aaa") && state_deny_check(H(&cf), "ccc"),
	    "  the others still refused");
	is_int(state_deny_prune(H(&cf), now, true), AG_OK, "  prune rebuilds");
	ok(list_sorted(NULL) && count_lines("aaa") == 1 &&
	    count_lines("ccc") == 1, "  from the lines that parse");

	/* records out of order, garbage and a torn line in the tail */
	fresh();
	snprintf(buf, sizeof(buf), "#authgate-revoked 1 2 0%*s\n"
	    "zzz%*s %020lld\naaa%*s %020lld\nbad line here\n\x01\x02\n"
	    "ddd %lld\nttt", DENY_REC_LEN - 24, "",
	    AG_JTI_MAX - 3, "", (long long)now + 100,
	    AG_JTI_MAX - 3, "", (long long)now + 100, (long long)now + 100);
	write_file(buf);
	ok(state_deny_check(H(&cf), "ddd"), "garbage in the tail: the rest "
	    "read");
	ok(!state_deny_check(H(&cf), "ttt"), "  a torn line is no entry");
	is_int(state_deny_add(H(&cf), "eee", now + 100), AG_OK,
	    "  an add after the torn line");
	ok(state_deny_check(H(&cf), "eee"), "  holds");
	is_int(state_deny_prune(H(&cf), now, true), AG_OK, "  prune");
	ok(list_sorted(NULL) && count_lines("zzz") == 1 &&
	    count_lines("aaa") == 1 && count_lines("ddd") == 1 &&
	    count_lines("eee") == 1, "  sorted again, every entry kept");
	ok(state_deny_check(H(&cf), "zzz") && state_deny_check(H(&cf), "aaa"),
	    "  found");

	/* random bytes */
	fresh();
	for (fd = 0; fd < (int)sizeof(buf); fd++)
		buf[fd] = (char)((fd * 131 + 7) % 251 + 1);
	buf[sizeof(buf) - 1] = '\0';
	write_file(buf);
	(void)state_deny_check(H(&cf), "x");
	ok(1, "random bytes: no crash");
	is_int(state_deny_prune(H(&cf), now, true), AG_OK, "  prune");
	ok(list_sorted(NULL), "  rebuilt");
}

/* Racer i's k-th jti: the first RACE_SHARED are every racer's. */
static void
racer_jti(char jti[32], int i, int k)
{
	if (k < RACE_SHARED)
		snprintf(jti, 32, "s-%03d", k);
	else
		snprintf(jti, 32, "p%d-%03d", i, k);
}

/*
 * RACERS processes, released together (a barrier: all start when the
 * pipe closes), each adding its adds jtis and checking each one; how
 * many of them saw every add hold.
 */
static int
race(int adds, time_t now)
{
	pid_t	 pid[RACERS];
	char	 jti[32], go;
	int	 p[2], i, k, status, good = 0;

	if (pipe(p) == -1)
		return 0;
	for (i = 0; i < RACERS; i++) {
		if ((pid[i] = fork()) != 0)
			continue;
		H_reset();
		close(p[1]);
		(void)read(p[0], &go, 1);
		for (k = 0; k < adds; k++) {
			racer_jti(jti, i, k);
			if (state_deny_add(H(&cf), jti, now + 100) != AG_OK ||
			    !state_deny_check(H(&cf), jti))
				_exit(1);
		}
		_exit(0);
	}
	close(p[0]);
	close(p[1]);
	for (i = 0; i < RACERS; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	return good;
}

/* Of the jtis race(adds) added, how many are not once in the file and
 * denied. */
static long
race_missing(int adds)
{
	char	 jti[32];
	int	 i, k;
	long	 bad = 0;

	H_reset();
	for (i = 0; i < RACERS; i++)
		for (k = i == 0 ? 0 : RACE_SHARED; k < adds; k++) {
			racer_jti(jti, i, k);
			if (count_lines(jti) != 1 ||
			    !state_deny_check(H(&cf), jti))
				bad++;
		}
	return bad;
}

static void
test_race(void)
{
	time_t	 now = time(NULL);
	int	 adds = RACE_SHARED + RACE_OWN;

	fresh();
	is_int(race(adds, now), RACERS, "8 processes adding at once: each "
	    "add holds");
	is_int(race_missing(adds), 0, "  each jti once, and denied");
	is_int(count_lines(NULL), RACE_SHARED + RACERS * RACE_OWN,
	    "  as many entries as jtis");
}

/* A sorted list of n live entries "old-NNNNNNN-…", made as an older
 * version's lines and converted. */
static bool
big_list(int n, time_t now)
{
	FILE	*f;
	int	 i;

	fresh();
	if ((f = fopen(list, "w")) == NULL)
		return false;
	for (i = 0; i < n; i++)
		fprintf(f, "old-%07d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx %lld\n", i,
		    (long long)now + 3600);
	if (fclose(f) != 0)
		return false;
	H_reset();
	return state_deny_prune(H(&cf), now, true) == AG_OK &&
	    list_sorted(NULL);
}

/* The header's count of sorted records; -1 if it does not parse. */
static long
head_count(void)
{
	char		 buf[DENY_REC_LEN];
	struct deny_head h;
	FILE		*f;
	size_t		 r = 0;

	if ((f = fopen(list, "r")) != NULL) {
		r = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	return r == sizeof(buf) && deny_head_parse(buf, (size_t)list_size(),
	    &h) == 1 ? (long)h.n : -1;
}

static bool
exists(const char *suffix)
{
	char		 p[PATH_MAX + 32];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s%s", list, suffix);
	return stat(p, &st) == 0;
}

/*
 * Racers add across several compactions of a large list, which run
 * with the writers' lock released: every entry lands once, in the
 * records or in the tail, and the list stays sorted.
 */
static void
test_compact_race(void)
{
	time_t	 now = time(NULL);

	ok(big_list(COMPACT_BIG, now), "a sorted list of 50,000 entries");
	is_int(race(COMPACT_ADDS, now), RACERS, "8 processes make 1,600 "
	    "revocations of 1,320 tokens at once, compacting as they go: "
	    "each holds");
	is_int(race_missing(COMPACT_ADDS), 0, "  each one denied, and in the "
	    "file once");
	ok(head_count() > COMPACT_BIG && list_sorted(NULL),
	    "  compacted on the way: more sorted records than at the start");
	is_int(count_lines(NULL), COMPACT_BIG + RACE_SHARED +
	    RACERS * (COMPACT_ADDS - RACE_SHARED), "  no entry lost or "
	    "doubled");
	ok(state_deny_check(H(&cf), "old-0000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	    && state_deny_check(H(&cf),
	    "old-0049999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    "  the first entries still denied");
	ok(!exists(".ctmp"), "  no temporary file left");
}

/*
 * A compaction already running (its flock held here): writers leave
 * the list to it and append, past DENY_TAIL_MAX; once it is free, the
 * next add compacts.
 */
static void
test_compact_busy(void)
{
	time_t	 now = time(NULL);
	char	 cl[PATH_MAX + 32], jti[32];
	long	 n0;
	int	 fd, i, miss = 0;

	ok(big_list(1000, now), "a sorted list of 1,000 entries");
	n0 = head_count();
	snprintf(cl, sizeof(cl), "%s.compact", list);
	if ((fd = open(cl, O_RDWR | O_CREAT, 0600)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		ok(0, "hold the compaction's lock");
		return;
	}
	for (i = 0; i < DENY_TAIL_MAX + 10; i++) {
		snprintf(jti, sizeof(jti), "busy-%04d", i);
		if (state_deny_add(H(&cf), jti, now + 100) != AG_OK)
			break;
	}
	is_int(i, DENY_TAIL_MAX + 10, "DENY_TAIL_MAX + 10 adds while a "
	    "compaction runs elsewhere");
	is_int(head_count(), n0, "  none of them compacts");
	for (i = 0; i < DENY_TAIL_MAX + 10; i++) {
		snprintf(jti, sizeof(jti), "busy-%04d", i);
		miss += !state_deny_check(H(&cf), jti);
	}
	is_int(miss, 0, "  every one denied, from the tail");
	close(fd);
	is_int(state_deny_add(H(&cf), "after", now + 100), AG_OK,
	    "the lock released: one more add");
	ok(head_count() == n0 + DENY_TAIL_MAX + 11 && list_sorted(NULL) &&
	    count_lines("after") == 1 && count_lines("busy-0000") == 1,
	    "  compacts the whole tail");
}

/*
 * The list removed by hand (authgate.conf(5): how to empty it) while a
 * compaction merges it outside the lock: the removal stands, and what
 * is revoked after it holds.
 */
static void
test_compact_removed(void)
{
	time_t	 now = time(NULL);
	struct timespec	 ms = { 0, 1000000 };
	char	 jti[32];
	pid_t	 pid;
	int	 i, status, tries;
	bool	 seen = false;

	ok(big_list(COMPACT_BIG * 4, now), "a sorted list of 200,000 entries");
	for (i = 0; i < DENY_TAIL_MAX - 1; i++) {
		snprintf(jti, sizeof(jti), "rm-%04d", i);
		if (state_deny_add(H(&cf), jti, now + 100) != AG_OK)
			break;
	}
	is_int(i, DENY_TAIL_MAX - 1, "a tail one short of full");
	if ((pid = fork()) == 0) {
		H_reset();
		/* this add fills the tail, the next one compacts */
		(void)state_deny_add(H(&cf), "rm-last-1", now + 100);
		_exit(state_deny_add(H(&cf), "rm-last-2", now + 100) ==
		    AG_OK ? 0 : 1);
	}
	/* The merge writes ".ctmp" with the lock released. */
	for (tries = 0; tries < 20000 && !seen; tries++) {
		seen = exists(".ctmp");
		if (!seen)
			nanosleep(&ms, NULL);
	}
	ok(seen, "  a compaction is merging");
	ok(unlink(list) == 0, "  the list removed meanwhile");
	is_int(state_deny_add(H(&cf), "fresh", now + 100), AG_OK,
	    "  and a revocation made");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "  the compacting "
	    "process goes on");
	H_reset();
	ok(!state_deny_check(H(&cf), "old-0000000-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	    && !state_deny_check(H(&cf), "rm-0000"),
	    "  the removal stands: the merge was dropped");
	ok(state_deny_check(H(&cf), "fresh"), "  the revocation after it "
	    "holds");
	ok(!exists(".ctmp"), "  no temporary file left");
}

static void
test_unwritable(void)
{
	struct conf	 bad = cf;

	snprintf(bad.state_db, sizeof(bad.state_db), "%s/nodir/state.db",
	    dir);
	is_int(state_deny_add(H(&bad), "j", 1), AG_EUNAVAIL,
	    "missing directory: deny_add unavailable");
	ok(!state_deny_check(H(&bad), "j"), "  no list: nothing denied");
	H_reset();
}

int
main(void)
{
	char	 cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/t_deny.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	memset(&cf, 0, sizeof(cf));
	snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	snprintf(list, sizeof(list), "%s.revoked", cf.state_db);
	cf.refresh_token_ttl = 1000;
	cf.lockout_threshold = 5;
	cf.lockout_seconds = 300;
	is_int(state_init(H(&cf)), AG_OK, "init");

	test_basic();
	test_prune();
	test_damaged();
	test_race();
	test_big();
	test_compact_race();
	test_compact_busy();
	test_compact_removed();
	test_unwritable();
	H_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
