/*
 * htpasswd: the line parser, an import of hashes made by htpasswd and
 * mkpasswd (weak schemes skipped with reasons, existing users keep
 * their scopes), and 100,000 lines imported in seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/htpasswd.h"
#include "../src/pw.h"
#include "../src/store.h"
#include "handles.h"
#include "tap.h"

#define BCRYPT4 "$2y$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn."

static char	 dir[64];

static const struct {
	const char	*line;
	int		 e;
	const char	*name, *hash;
} lines[] = {
	{ "alice:" BCRYPT4, AG_OK, "alice", BCRYPT4 },
	{ "  alice:h1  \r", AG_OK, "alice", "h1" },
	{ "alice:h1\r", AG_OK, "alice", "h1" },
	{ "alice:h1:comment", AG_OK, "alice", "h1" },
	{ "j\xc3\xb6rg:h", AG_OK, "j\xc3\xb6rg", "h" },
	{ "", AG_ENOENT, "", "" },
	{ "   \t", AG_ENOENT, "", "" },
	{ "\r", AG_ENOENT, "", "" },
	{ "# alice:h1", AG_ENOENT, "", "" },
	{ "  # indented comment", AG_ENOENT, "", "" },
	{ "nocolon", AG_EINVAL, "", "" },
	{ ":h1", AG_EINVAL, "", "" },
	{ "alice:", AG_EINVAL, "alice", "" },
	{ "alice::x", AG_EINVAL, "alice", "" },
	{ "al ice:h", AG_EINVAL, "", "" },
	{ "al,ice:h", AG_EINVAL, "", "" },
	{ "al\x01ice:h", AG_EINVAL, "", "" },
	{ "\xff\xfe:h", AG_EINVAL, "", "" },
};

struct skips {
	int	 n;
	char	 text[2048];
};

static void
on_skip(const char *path, size_t line, const char *name, const char *why,
    void *arg)
{
	struct skips	*s = arg;
	size_t		 len = strlen(s->text);

	(void)path;
	s->n++;
	snprintf(s->text + len, sizeof(s->text) - len, "%zu:%s:%s\n", line,
	    name != NULL ? name : "-", why);
}

static size_t	 progress_calls, progress_last;

static void
on_progress(size_t lines_done, void *arg)
{
	(void)arg;
	progress_calls++;
	progress_last = lines_done;
}

/* Run a command and return its first line of output, newline cut. */
static void
first_line(const char *cmd, char *out, size_t outsz)
{
	FILE	*f;

	out[0] = '\0';
	if ((f = popen(cmd, "r")) == NULL)
		return;
	if (fgets(out, (int)outsz, f) == NULL)
		out[0] = '\0';
	(void)pclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

static void
test_parse(void)
{
	char		 name[AG_NAME_MAX + 1], hash[AG_HASH_MAX + 1];
	char		 buf[HTPASSWD_LINE_MAX + 2], t[128];
	const char	*why;
	size_t		 i;
	enum ag_err	 e;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		e = htpasswd_parse_line(lines[i].line, strlen(lines[i].line),
		    name, hash, &why);
		snprintf(t, sizeof(t), "line %zu: %s", i, ag_strerror(
		    (enum ag_err)lines[i].e));
		is_int(e, lines[i].e, t);
		if (e == AG_OK)
			ok(strcmp(name, lines[i].name) == 0 &&
			    strcmp(hash, lines[i].hash) == 0, "  fields");
		else if (e != AG_ENOENT)
			ok(why != NULL, "  with a reason");
	}
	is_int(htpasswd_parse_line("al\0ce:h", 7, name, hash, &why),
	    AG_EINVAL, "NUL byte refused");
	ok(why != NULL && strstr(why, "NUL") != NULL, "  reason names NUL");

	/* limits: at and one over */
	memset(buf, 'n', sizeof(buf));
	buf[AG_NAME_MAX] = ':';
	buf[AG_NAME_MAX + 1] = 'h';
	is_int(htpasswd_parse_line(buf, AG_NAME_MAX + 2, name, hash, &why),
	    AG_OK, "name of AG_NAME_MAX");
	memset(buf, 'n', sizeof(buf));
	buf[AG_NAME_MAX + 1] = ':';
	buf[AG_NAME_MAX + 2] = 'h';
	is_int(htpasswd_parse_line(buf, AG_NAME_MAX + 3, name, hash, &why),
	    AG_EINVAL, "name one over");
	memset(buf, 'h', sizeof(buf));
	memcpy(buf, "a:", 2);
	is_int(htpasswd_parse_line(buf, 2 + AG_HASH_MAX, name, hash, &why),
	    AG_OK, "hash of AG_HASH_MAX");
	is_int(htpasswd_parse_line(buf, 2 + AG_HASH_MAX + 1, name, hash, &why),
	    AG_ETOOBIG, "hash one over");
	is_int(htpasswd_parse_line(buf, HTPASSWD_LINE_MAX + 1, name, hash,
	    &why), AG_ETOOBIG, "line over HTPASSWD_LINE_MAX");
}

static void
test_import(void)
{
	char		 db[128], path[128], h[512], cmd[256];
	char		 longline[HTPASSWD_LINE_MAX + 50];
	struct user	 u;
	struct skips	 sk;
	FILE		*f;
	size_t		 n;

	snprintf(db, sizeof(db), "%s/users.db", dir);
	snprintf(path, sizeof(path), "%s/htpasswd", dir);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.hash, sizeof(u.hash), "old");
	snprintf(u.scope, sizeof(u.scope), "admin read");
	u.locked = true;
	is_int(store_user_put(S(db), &u, true), AG_OK, "alice exists, scoped");

	if ((f = fopen(path, "w")) == NULL) {
		ok(0, "create htpasswd file");
		return;
	}
	/* lines 1 to 14; the skip reports below name them */
	fputs("# made by htpasswd and mkpasswd\n\n", f);
	first_line("htpasswd -nbB -C 4 alice secret", h, sizeof(h));
	fprintf(f, "%s\n", h);
	first_line("mkpasswd -m sha-512 secret", h, sizeof(h));
	fprintf(f, "bob:%s\n", h);
	first_line("mkpasswd -m yescrypt secret", h, sizeof(h));
	fprintf(f, "carol:%s\r\n", h);
	first_line("htpasswd -nbs dave secret", h, sizeof(h));
	fprintf(f, "%s\n", h);
	first_line("htpasswd -nbm erin secret", h, sizeof(h));
	fprintf(f, "%s\n", h);
	fputs("frank:secret\n", f);
	first_line("htpasswd -nbd gina secret 2>/dev/null", h, sizeof(h));
	fprintf(f, "%s\n", h[0] != '\0' ? h : "gina:abJnggxhB/yWI");
	fputs("alice:" BCRYPT4 "\n", f);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	fprintf(f, "%s\n", longline);
	fwrite("ha\0nk:x\n", 1, 8, f);
	fwrite("ivan:\0x\n", 1, 8, f);
	fputs("judy:" BCRYPT4, f);	/* line 14, no final newline */
	fclose(f);

	memset(&sk, 0, sizeof(sk));
	progress_calls = 0;
	f = fopen(path, "r");
	is_int(htpasswd_import(S(db), f, path, on_skip, on_progress, NULL, &sk, &n),
	    AG_OK, "import");
	if (f != NULL)
		fclose(f);
	is_int(n, 4, "4 imported (alice bob carol judy)");
	printf("%s", sk.text[0] ? "# skipped:\n" : "");
	{
		char	*p, *q;

		for (p = sk.text; (q = strchr(p, '\n')) != NULL; p = q + 1)
			printf("#   %.*s\n", (int)(q - p), p);
	}
	is_int(sk.n, 8, "8 lines skipped");
	ok(strstr(sk.text, "6:dave:{SHA} is unsalted SHA-1") != NULL,
	    "{SHA} skipped with its reason and line");
	ok(strstr(sk.text, "7:erin:$apr1$") != NULL, "$apr1$ skipped");
	ok(strstr(sk.text, "8:frank:plain") != NULL, "plain text skipped");
	ok(strstr(sk.text, "9:gina:DES") != NULL, "DES crypt skipped");
	ok(strstr(sk.text, "10:alice:user listed again") != NULL,
	    "second alice skipped");
	ok(strstr(sk.text, "11:-:line too long") != NULL,
	    "over-long line skipped");
	ok(strstr(sk.text, "12:-:NUL") != NULL, "NUL in the name skipped");
	ok(strstr(sk.text, "13:-:NUL") != NULL, "NUL in the hash skipped");
	ok(progress_calls >= 1 && progress_last == 14, "progress reported");

	is_int(store_user_get(S(db), "alice", &u), AG_OK, "alice");
	ok(pw_verify(u.hash, "secret", 6), "alice's new bcrypt verifies");
	ok(strcmp(u.scope, "admin read") == 0 && u.locked,
	    "alice kept scopes and lock");
	is_int(store_user_get(S(db), "bob", &u), AG_OK, "bob");
	ok(pw_verify(u.hash, "secret", 6) && u.scope[0] == '\0',
	    "bob's sha-512 verifies, no scope");
	is_int(store_user_get(S(db), "carol", &u), AG_OK, "carol (CRLF line)");
	ok(pw_verify(u.hash, "secret", 6), "carol's yescrypt verifies");
	is_int(store_user_get(S(db), "judy", &u), AG_OK, "judy (no newline)");
	is_int(store_user_get(S(db), "dave", &u), AG_ENOENT, "dave not imported");

	/* an empty file changes nothing and fails nothing */
	snprintf(cmd, sizeof(cmd), "%s/empty", dir);
	f = fopen(cmd, "w+");
	memset(&sk, 0, sizeof(sk));
	is_int(htpasswd_import(S(db), f, cmd, on_skip, NULL, NULL, &sk, &n), AG_OK,
	    "empty file");
	is_int(n, 0, "  nothing imported");
	if (f != NULL)
		fclose(f);
}

static void
test_big(void)
{
	char		 db[128], path[128];
	struct timespec	 t0, t1;
	struct user	 u;
	FILE		*f;
	size_t		 i, n;
	double		 secs;

	snprintf(db, sizeof(db), "%s/big.db", dir);
	snprintf(path, sizeof(path), "%s/big.htpasswd", dir);
	if ((f = fopen(path, "w")) == NULL) {
		ok(0, "create big file");
		return;
	}
	for (i = 0; i < 100000; i++)
		fprintf(f, "user%zu:%s\n", i, BCRYPT4);
	fclose(f);
	f = fopen(path, "r");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(htpasswd_import(S(db), f, path, NULL, NULL, NULL, NULL, &n), AG_OK,
	    "import 100,000 lines");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (f != NULL)
		fclose(f);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# 100,000 lines imported in %.2f s\n", secs);
	is_int(n, 100000, "100,000 imported");
	ok(secs < 20, "in seconds, not minutes");
	is_int(store_user_get(S(db), "user77777", &u), AG_OK, "user77777");
	ok(pw_verify(u.hash, "secret", 6), "  verifies");
	f = fopen(path, "r");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(htpasswd_import(S(db), f, path, NULL, NULL, NULL, NULL, &n), AG_OK,
	    "import again over 100,000 users");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (f != NULL)
		fclose(f);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# again, over them, in %.2f s\n", secs);
	ok(secs < 20, "in seconds");
}

int
main(void)
{
	char	 cmd[128];

	test_parse();
	snprintf(dir, sizeof(dir), "/tmp/t_htpasswd.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	if (system("command -v htpasswd >/dev/null && "
	    "command -v mkpasswd >/dev/null") == 0)
		test_import();
	else
		ok(1, "# SKIP htpasswd or mkpasswd (package whois) missing");
	test_big();
	S_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
