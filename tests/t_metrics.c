/*
 * metrics: the pool's counters file.  Created once however many
 * processes start at once (released together by a barrier), exact
 * totals from processes adding at the same time, counts kept across a
 * reopen, foreign, truncated and corrupt files replaced (also by many
 * processes at once) or refused read-only, never a crash; the
 * exposition's shape.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/metrics.h"
#include "tap.h"

#define NPROC	6
#define NADD	20000

static char	 dir[64], db[PATH_MAX], mfile[PATH_MAX + 16];

/* Files in dir other than the counters file (temporaries left over). */
static int
strays(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' &&
		    strcmp(e->d_name, "s.db.metrics") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/*
 * NPROC children wait on a pipe, all open the counters file at once
 * and each adds NADD to one counter and NADD requests; 0 if all of them
 * managed.
 */
static int
race(void)
{
	pid_t	 pids[NPROC];
	int	 gate[2], i, st, bad = 0;
	char	 c;

	if (pipe(gate) == -1)
		return -1;
	for (i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == -1)
			return -1;
		if (pids[i] == 0) {
			char	 why[256];
			int	 k;

			(void)close(gate[1]);
			(void)read(gate[0], &c, 1);	/* EOF: released */
			if (!metrics_open(db, true, why, sizeof(why)))
				_exit(1);
			for (k = 0; k < NADD; k++) {
				metrics_inc(MC_ISSUED_PASSWORD);
				metrics_request(MEP_PROTECTED,
				    k % 10 == 0 ? 401 : 200, 30000);
			}
			_exit(0);
		}
	}
	(void)close(gate[0]);
	(void)usleep(100000);
	(void)close(gate[1]);		/* the barrier opens */
	for (i = 0; i < NPROC; i++)
		if (waitpid(pids[i], &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	return bad;
}

static void
put_file(const char *path, const void *buf, size_t len)
{
	int	 fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		perror(path);
	if (fd != -1)
		(void)close(fd);
}

static void
test_race_create(void)
{
	char	 why[256];
	uint64_t total = (uint64_t)NPROC * NADD;

	is_int(race(), 0, "processes released together all map the file");
	ok(metrics_open(db, true, why, sizeof(why)), "parent maps it too");
	ok(metrics_shared(), "the counters are the shared file's");
	is_int(metrics_get(MC_ISSUED_PASSWORD), total,
	    "exact total of concurrent atomic adds");
	is_int(metrics_get_requests(MEP_PROTECTED, 200), total / 10 * 9,
	    "requests by code: 200");
	is_int(metrics_get_requests(MEP_PROTECTED, 401), total / 10,
	    "requests by code: 401");
	is_int(metrics_get_count(MEP_PROTECTED), total,
	    "histogram count equals requests");
	is_int(strays(), 0, "no temporary file left behind");
	metrics_close();
	ok(metrics_open(db, false, why, sizeof(why)),
	    "read-only open (authgatectl stats)");
	is_int(metrics_get(MC_ISSUED_PASSWORD), total,
	    "the counts survive the processes");
	metrics_close();
}

static void
test_bad_files(void)
{
	char	 why[256], junk[8192];
	struct stat st;

	memset(junk, 'x', sizeof(junk));
	put_file(mfile, "AGMETRIC", 8);
	why[0] = '\0';
	ok(!metrics_open(db, false, why, sizeof(why)),
	    "read-only: a truncated file is refused");
	ok(strstr(why, "not a counters file") != NULL, "saying why");
	ok(!metrics_shared(), "counters stay process-local");
	metrics_inc(MC_REFRESH_REUSE);
	is_int(metrics_get(MC_REFRESH_REUSE), 1, "local counters count");
	ok(metrics_open(db, true, why, sizeof(why)),
	    "read-write: a truncated file is replaced");
	is_int(metrics_get(MC_REFRESH_REUSE), 0, "by a fresh one");
	metrics_close();

	if (stat(mfile, &st) == 0)
		put_file(mfile, junk, (size_t)st.st_size); /* right size */
	ok(metrics_open(db, true, why, sizeof(why)),
	    "a foreign file of the right size is replaced");
	metrics_close();
	is_int(race(), 0, "good file: processes at once");

	/* Many processes find one corrupt file at once: one replaces it,
	 * the others wait and use the new file; no count is lost. */
	put_file(mfile, junk, 100);
	is_int(race(), 0, "corrupt file met by processes at once");
	ok(metrics_open(db, true, why, sizeof(why)), "reopen");
	is_int(metrics_get(MC_ISSUED_PASSWORD), (uint64_t)NPROC * NADD,
	    "all their counts are in the one file that replaced it");
	is_int(strays(), 0, "no temporary file left behind");
	metrics_close();

	(void)unlink(mfile);
	if (mkdir(mfile, 0700) == -1)
		perror(mfile);
	ok(!metrics_open(db, true, why, sizeof(why)),
	    "a directory in its place: refused, no crash");
	(void)rmdir(mfile);
	if (symlink("/etc/passwd", mfile) == -1)
		perror(mfile);
	ok(!metrics_open(db, true, why, sizeof(why)),
	    "a symbolic link in its place: refused");
	(void)unlink(mfile);
	ok(!metrics_open("/nonexistent/dir/s.db", true, why, sizeof(why)),
	    "a missing directory: refused");
}

static void
test_format(void)
{
	struct metrics_gauges g = { "1.2.3", "HS256", 1, 0, 2, 1 };
	char	*buf, why[256];
	size_t	 n;

	ok(metrics_open(db, true, why, sizeof(why)), "open for format");
	metrics_request(MEP_TOKEN, 200, 10000);	/* first bucket */
	metrics_request(MEP_TOKEN, 400, 7000000000ULL);	/* past 5 s */
	metrics_request(MEP_OTHER, 418, 1);
	metrics_inc(metrics_reject_reason("token expired"));
	metrics_inc(metrics_reject_reason("invalid signature"));
	metrics_inc(metrics_reject_reason("wrong audience"));
	metrics_inc(metrics_reject_reason("malformed token"));
	if ((buf = malloc(METRICS_TEXT_MAX)) == NULL)
		return;
	n = metrics_format(&g, buf, METRICS_TEXT_MAX);
	ok(n > 0, "exposition fits");
	ok(strstr(buf, "authgate_requests_total{endpoint=\"token\","
	    "code=\"200\"} 1\n") != NULL, "requests by endpoint and code");
	ok(strstr(buf, "code=\"other\"} 1\n") != NULL, "unlisted code");
	ok(strstr(buf, "authgate_request_duration_seconds_bucket{endpoint="
	    "\"token\",le=\"2.5e-05\"} 1\n") != NULL, "first bucket");
	ok(strstr(buf, "authgate_request_duration_seconds_bucket{endpoint="
	    "\"token\",le=\"5\"} 1\n") != NULL, "buckets are cumulative");
	ok(strstr(buf, "authgate_request_duration_seconds_bucket{endpoint="
	    "\"token\",le=\"+Inf\"} 2\n") != NULL, "+Inf holds all");
	ok(strstr(buf, "authgate_request_duration_seconds_sum{endpoint="
	    "\"token\"} 7.000010000\n") != NULL, "sum in seconds");
	ok(strstr(buf, "authgate_token_rejections_total{reason=\"expired\"} "
	    "1\n") != NULL, "reject reason expired");
	ok(strstr(buf, "authgate_token_rejections_total{reason=\"signature\"}"
	    " 1\n") != NULL, "reject reason signature");
	ok(strstr(buf, "authgate_token_rejections_total{reason=\"claims\"} "
	    "1\n") != NULL, "reject reason claims");
	ok(strstr(buf, "authgate_token_rejections_total{reason=\"malformed\"}"
	    " 1\n") != NULL, "reject reason malformed");
	ok(strstr(buf, "authgate_build_info{version=\"1.2.3\",algorithm="
	    "\"HS256\"} 1\n") != NULL, "build info");
	ok(strstr(buf, "authgate_keys{state=\"retired\"} 2\n") != NULL,
	    "keys gauge");
	is_int(metrics_format(&g, buf, 100), 0, "too small a buffer: 0");
	free(buf);
	metrics_close();
}

int
main(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/t_metrics.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	(void)snprintf(db, sizeof(db), "%s/s.db", dir);
	(void)snprintf(mfile, sizeof(mfile), "%s%s", db, METRICS_SUFFIX);
	test_race_create();
	test_bad_files();
	test_format();
	(void)unlink(mfile);
	(void)rmdir(dir);
	return done_testing();
}
