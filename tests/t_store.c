/*
 * store: names, record decode/encode, put/get/del/list of users and
 * clients, htdbm and python gdbm interop, damaged files refused (never a
 * crash), and readers that keep working while a writer renames.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdbm.h>

#include "../src/pw.h"
#include "../src/store.h"
#include "handles.h"
#include "tap.h"

static char	 dir[64], db[128];

static const struct {
	const char	*name;
	int		 ok;
} names[] = {
	{ "alice", 1 },
	{ "a", 1 },
	{ "alice@example.com", 1 },
	{ "j\xc3\xb6rg", 1 },			/* U+00F6 */
	{ "\xe2\x82\xac", 1 },			/* U+20AC */
	{ "\xf0\x9f\x98\x80", 1 },		/* U+1F600 */
	{ "", 0 },
	{ "al:ice", 0 },
	{ "al,ice", 0 },
	{ "al ice", 0 },
	{ "al\tice", 0 },
	{ "al\nice", 0 },
	{ "al\x7f", 0 },
	{ "\xc2\x85", 0 },			/* C1 control NEL */
	{ "\xc0\xaf", 0 },			/* overlong '/' */
	{ "\xe0\x80\xaf", 0 },			/* overlong '/' */
	{ "\xed\xa0\x80", 0 },			/* surrogate */
	{ "\xf4\x90\x80\x80", 0 },		/* over U+10FFFF */
	{ "ab\xc3", 0 },			/* truncated */
	{ "\xff", 0 },
};

static const struct {
	const char	*val;
	int		 e;
	const char	*hash, *scope;
	int		 locked;
	long long	 created, changed;
} decs[] = {
	{ "$2y$05$abc", AG_OK, "$2y$05$abc", "", 0, 0, 0 },
	{ "H:read,write", AG_OK, "H", "read write", 0, 0, 0 },
	{ "H:read,,write,", AG_OK, "H", "read write", 0, 0, 0 },
	{ "H:,read", AG_OK, "H", "read", 0, 0, 0 },
	{ "H:", AG_OK, "H", "", 0, 0, 0 },
	{ "H:a:ag1 locked=1 created=5 changed=6", AG_OK, "H", "a", 1, 5, 6 },
	{ "H:a:ag1", AG_OK, "H", "a", 0, 0, 0 },
	{ "H:a:ag1 locked=0 future=9", AG_OK, "H", "a", 0, 0, 0 },
	{ "H:a:htdbm comment locked=1", AG_OK, "H", "a", 0, 0, 0 },
	{ "H:a:ag12 locked=1", AG_OK, "H", "a", 0, 0, 0 },
	{ "H:a:ag1 locked=2", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:a:ag1 locked=", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:a:ag1 created=-1", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:a:ag1 created=01", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:a:ag1 created=1234567890123456789", AG_EINVAL, NULL, NULL, 0,
	  0, 0 },
	{ "H:a:ag1 locked", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:re\"ad", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:re ad", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H:re\\ad", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H\x01:a", AG_EINVAL, NULL, NULL, 0, 0, 0 },
	{ "H \x01:a", AG_EINVAL, NULL, NULL, 0, 0, 0 },
};

static int
count_user(const struct user *u, void *arg)
{
	(void)u;
	(*(int *)arg)++;
	return 0;
}

static int
stop_user(const struct user *u, void *arg)
{
	(void)u;
	(*(int *)arg)++;
	return 1;
}

static int
count_client(const struct client *cl, void *arg)
{
	(void)cl;
	(*(int *)arg)++;
	return 0;
}

static void
mkuser(struct user *u, const char *name, const char *hash,
    const char *scope)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->hash, sizeof(u->hash), "%s", hash);
	snprintf(u->scope, sizeof(u->scope), "%s", scope);
}

static int run(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char	 cmd[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
test_decode(void)
{
	struct user	 u;
	char		 buf[STORE_RECORD_MAX + 16], name[128];
	size_t		 i, len;
	enum ag_err	 e;

	for (i = 0; i < sizeof(decs) / sizeof(decs[0]); i++) {
		memset(&u, 0, sizeof(u));
		e = store_user_decode(decs[i].val, strlen(decs[i].val), &u);
		snprintf(name, sizeof(name), "decode \"%s\"", decs[i].val);
		name[strcspn(name, "\x01")] = '\0';
		is_int(e, decs[i].e, name);
		if (e != AG_OK || decs[i].e != AG_OK)
			continue;
		ok(strcmp(u.hash, decs[i].hash) == 0 &&
		    strcmp(u.scope, decs[i].scope) == 0 &&
		    u.locked == decs[i].locked &&
		    u.created == decs[i].created &&
		    u.changed == decs[i].changed, "  fields");
	}
	is_int(store_user_decode("H:a\0b", 5, &u), AG_EINVAL, "NUL inside");
	is_int(store_user_decode("H:a\0", 4, &u), AG_OK,
	    "one final NUL (C-string DBM tools)");
	is_str(u.scope, "a", "  scope without the NUL");

	/* limits: at and one over */
	memset(buf, 'h', sizeof(buf));
	is_int(store_user_decode(buf, AG_HASH_MAX, &u), AG_OK,
	    "hash of AG_HASH_MAX");
	is_int(store_user_decode(buf, AG_HASH_MAX + 1, &u), AG_ETOOBIG,
	    "hash one over AG_HASH_MAX");
	is_int(store_user_decode(buf, STORE_RECORD_MAX + 1, &u), AG_ETOOBIG,
	    "record over STORE_RECORD_MAX");
	buf[0] = 'H';
	buf[1] = ':';
	is_int(store_user_decode(buf, 2 + AG_SCOPE_MAX, &u), AG_OK,
	    "scope of AG_SCOPE_MAX");
	is_int(store_user_decode(buf, 2 + AG_SCOPE_MAX + 1, &u), AG_ETOOBIG,
	    "scope one over AG_SCOPE_MAX");

	mkuser(&u, "x", "$2b$04$xyz", "read  write admin");
	u.locked = true;
	u.created = 100;
	u.changed = 200;
	u.gen = 123456789012345678;
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_OK,
	    "encode");
	is_str(buf, "$2b$04$xyz:read,write,admin:ag1 locked=1 created=100 "
	    "changed=200 gen=123456789012345678", "encoded form");
	is_int(len, strlen(buf), "encoded length");
	mkuser(&u, "x", "a:b", "");
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_EINVAL,
	    "hash with ':' refused");
	mkuser(&u, "x", "h", "a,b api:read");
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_OK,
	    "scope with ',' and ':' encoded");
	is_str(buf, "h:a%2Cb,api%3Aread:ag1 locked=0 created=0 changed=0 "
	    "gen=0", "  as %2C and %3A");
	mkuser(&u, "x", "h", "a\"b");
	is_int(store_user_encode(&u, buf, sizeof(buf), &len), AG_EINVAL,
	    "scope with '\"' refused");
	mkuser(&u, "x", "h", "read");
	is_int(store_user_encode(&u, buf, 10, &len), AG_ETOOBIG,
	    "encode into a short buffer");
}

/* Client records: the previous version's still load (with the grants
 * every client had then); the new fields round-trip; redirect URIs
 * are checked (RFC 6749 3.1.2, RFC 8252 7.3). */
static const struct {
	const char	*uri;
	bool		 ok;
} redirects[] = {
	{ "https://app.example/cb", true },
	{ "https://app.example:8443/cb?x=1", true },
	{ "http://127.0.0.1:8080/cb", true },
	{ "http://[::1]/cb", true },
	{ "http://localhost/cb", true },
	{ "http://app.example/cb", false },	/* http, not loopback */
	{ "http://127.0.0.1.evil/cb", false },
	{ "http://localhost@evil.example/cb", false },	/* userinfo */
	{ "https://a/cb#frag", false },
	{ "https://a/c b", false },
	{ "https:///cb", false },
	{ "https://a:x/cb", false },
	{ "//app.example/cb", false },
	{ "/cb", false },
	{ "javascript:alert(1)", false },
	{ "", false },
};

static void
test_client_codec(void)
{
	struct client	 cl, back;
	char		 buf[STORE_RECORD_MAX], big[CLIENT_REDIRECT_MAX + 2];
	size_t		 i, len;
	int		 n;

	for (i = 0; i < sizeof(redirects) / sizeof(redirects[0]); i++)
		is_int(store_redirect_ok(redirects[i].uri, NULL),
		    redirects[i].ok, redirects[i].uri);
	n = snprintf(big, sizeof(big), "https://a/");
	memset(big + n, 'x', sizeof(big) - (size_t)n);
	big[CLIENT_REDIRECT_MAX] = '\0';
	ok(store_redirect_ok(big, NULL), "redirect URI of CLIENT_REDIRECT_MAX");
	big[CLIENT_REDIRECT_MAX] = 'x';
	big[CLIENT_REDIRECT_MAX + 1] = '\0';
	ok(!store_redirect_ok(big, NULL), "one byte over");

	memset(&cl, 0, sizeof(cl));
	n = snprintf(buf, sizeof(buf), "$2b$04$c::ag1 public=0 created=5");
	is_int(store_client_decode(buf, (size_t)n, &cl), AG_OK,
	    "a client of the previous version loads");
	is_int(cl.grants, CLIENT_GRANTS_DEFAULT,
	    "  with password and refresh_token");
	ok(cl.nredirect == 0 && cl.scope[0] == '\0' && cl.created == 5,
	    "  no redirect URI, no scope of its own");
	n = snprintf(buf, sizeof(buf), "::ag1 public=1 created=5 later=abc");
	is_int(store_client_decode(buf, (size_t)n, &cl), AG_OK,
	    "a later version's key, not a number, is skipped");
	n = snprintf(buf, sizeof(buf), "::ag1 public=1 grants=99");
	is_int(store_client_decode(buf, (size_t)n, &cl), AG_EINVAL,
	    "unknown grant bits refused");
	n = snprintf(buf, sizeof(buf), "::ag1 public=1 grants=x");
	is_int(store_client_decode(buf, (size_t)n, &cl), AG_EINVAL,
	    "grants not a number refused");
	n = snprintf(buf, sizeof(buf), "::ag1 public=1 grants=4 "
	    "redirect_uri=http://evil.example/");
	is_int(store_client_decode(buf, (size_t)n, &cl), AG_EINVAL,
	    "a stored redirect URI is checked again");

	memset(&cl, 0, sizeof(cl));
	cl.public_client = true;
	cl.grants = CG_CODE | CG_REFRESH;
	snprintf(cl.scope, sizeof(cl.scope), "read api:read");
	for (i = 0; i < CLIENT_REDIRECTS_MAX; i++)
		snprintf(cl.redirect[i], sizeof(cl.redirect[i]),
		    "https://app.example/cb%zu", i);
	cl.nredirect = CLIENT_REDIRECTS_MAX;
	is_int(store_client_encode(&cl, buf, sizeof(buf), &len), AG_OK,
	    "encode a client with grants, scope, redirect URIs");
	memset(&back, 0, sizeof(back));
	is_int(store_client_decode(buf, len, &back), AG_OK, "  decode it");
	ok(back.grants == cl.grants && back.nredirect == cl.nredirect &&
	    strcmp(back.redirect[3], "https://app.example/cb3") == 0 &&
	    strcmp(back.scope, "read api:read") == 0 && back.public_client,
	    "  the same client");
	n = snprintf(buf + len, sizeof(buf) - len, " redirect_uri=https://x/");
	is_int(store_client_decode(buf, len + (size_t)n, &back), AG_EINVAL,
	    "more than CLIENT_REDIRECTS_MAX refused");
	memset(&back, 0, sizeof(back));
	for (i = 0; i < CLIENT_REDIRECTS_MAX; i++)
		memcpy(cl.redirect[i], big, CLIENT_REDIRECT_MAX);
	for (i = 0; i < CLIENT_REDIRECTS_MAX; i++)
		cl.redirect[i][CLIENT_REDIRECT_MAX] = '\0';
	memset(cl.scope, 'a', 1000);
	cl.scope[1000] = '\0';
	is_int(store_client_encode(&cl, buf, sizeof(buf), &len), AG_OK,
	    "the longest redirect URIs with a long scope fit");
	memset(cl.scope, ':', 1000);	/* 3 bytes each in the record */
	is_int(store_client_encode(&cl, buf, sizeof(buf), &len), AG_ETOOBIG,
	    "more than a record holds: AG_ETOOBIG");
	ok(strcmp(store_grant_name(CG_CODE), "authorization_code") == 0 &&
	    store_grant_bit("client_credentials") == CG_CLIENT &&
	    store_grant_bit("implicit") == 0, "grant names");
}

static int64_t		 seen_gen;
static struct user	 u0_carol;

static enum ag_err
del_refuse(const struct user *u, void *arg)
{
	(void)arg;
	seen_gen = u->gen;
	return AG_EUNAVAIL;
}

static enum ag_err
del_accept(const struct user *u, void *arg)
{
	(void)arg;
	u0_carol = *u;
	return AG_OK;
}

static void
test_db(void)
{
	struct user	 u, us[3];
	struct client	 cl;
	struct stat	 st;
	int		 n;

	is_int(store_init(S(db)), AG_OK, "init creates the db");
	ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "db mode 0600");
	is_int(store_init(S(db)), AG_OK, "init again");
	is_int(store_user_get(S(db), "alice", &u), AG_ENOENT, "no alice yet");

	mkuser(&u, "alice", "$2b$04$x", "read write");
	is_int(store_user_put(S(db), &u, true), AG_OK, "put alice");
	is_int(store_user_put(S(db), &u, true), AG_EEXIST, "put alice again, "
	    "must be new");
	memset(&u, 0, sizeof(u));
	is_int(store_user_get(S(db), "alice", &u), AG_OK, "get alice");
	ok(strcmp(u.name, "alice") == 0 && strcmp(u.hash, "$2b$04$x") == 0 &&
	    strcmp(u.scope, "read write") == 0 && !u.locked &&
	    u.created > 0 && u.changed > 0, "alice's fields");
	u.locked = true;
	snprintf(u.scope, sizeof(u.scope), "admin");
	is_int(store_user_put(S(db), &u, false), AG_OK, "replace alice");
	is_int(store_user_get(S(db), "alice", &u), AG_OK, "get alice again");
	ok(u.locked && strcmp(u.scope, "admin") == 0, "replaced fields");
	mkuser(&u, "bad:name", "h", "");
	is_int(store_user_put(S(db), &u, false), AG_EINVAL, "bad name refused");
	is_int(store_user_get(S(db), "bad:name", &u), AG_ENOENT,
	    "bad name never found");

	mkuser(&us[0], "bob", "h1", "a");
	mkuser(&us[1], "carol", "h2", "b");
	mkuser(&us[2], "alice", "h3", "c");
	is_int(store_user_put_many(S(db), us, 3), AG_OK, "put_many");
	is_int(store_user_get(S(db), "alice", &u), AG_OK, "alice after many");
	ok(strcmp(u.hash, "h3") == 0 && strcmp(u.scope, "c") == 0 &&
	    !u.locked, "put_many replaced alice");
	u.locked = true;
	is_int(store_user_put(S(db), &u, false), AG_OK, "lock alice");
	mkuser(&us[0], "alice", "h4", "");
	mkuser(&us[1], "dave", "h5", "");
	is_int(store_user_merge_many(S(db), us, 2), AG_OK, "merge_many");
	is_int(store_user_get(S(db), "alice", &u), AG_OK, "alice after merge");
	ok(strcmp(u.hash, "h4") == 0 && strcmp(u.scope, "c") == 0 &&
	    u.locked, "merge kept scope and lock, replaced hash");
	is_int(store_user_get(S(db), "dave", &u), AG_OK, "dave merged in");

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.id, sizeof(cl.id), "webapp");
	snprintf(cl.hash, sizeof(cl.hash), "$2b$04$c");
	is_int(store_client_put(S(db), &cl, true), AG_OK, "put client");
	is_int(store_client_put(S(db), &cl, true), AG_EEXIST, "client exists");
	snprintf(cl.id, sizeof(cl.id), "spa");
	cl.public_client = true;
	is_int(store_client_put(S(db), &cl, true), AG_OK, "put public client");
	snprintf(cl.id, sizeof(cl.id), "nosecret");
	cl.public_client = false;
	cl.hash[0] = '\0';
	is_int(store_client_put(S(db), &cl, true), AG_EINVAL,
	    "confidential client without a secret refused");
	is_int(store_client_get(S(db), "webapp", &cl), AG_OK, "get client");
	ok(strcmp(cl.id, "webapp") == 0 && !cl.public_client &&
	    strcmp(cl.hash, "$2b$04$c") == 0 && cl.created > 0,
	    "client fields");
	is_int(store_client_get(S(db), "spa", &cl), AG_OK, "get public client");
	ok(cl.public_client && cl.hash[0] == '\0', "public client fields");
	is_int(store_user_get(S(db), "client:spa", &u), AG_ENOENT,
	    "a client is not a user");
	is_int(store_client_get(S(db), "alice", &cl), AG_ENOENT,
	    "a user is not a client");

	n = 0;
	is_int(store_user_each(S(db), count_user, &n), AG_OK, "each user");
	is_int(n, 4, "4 users (alice bob carol dave)");
	n = 0;
	is_int(store_user_each(S(db), stop_user, &n), AG_OK, "each, stopped");
	is_int(n, 1, "stopped after one");
	n = 0;
	is_int(store_client_each(S(db), count_client, &n), AG_OK, "each client");
	is_int(n, 2, "2 clients");

	/* del_with: the record seen first, under the lock; a refusal
	 * keeps the user (authgatectl ends the sessions this way). */
	is_int(store_user_get(S(db), "carol", &u), AG_OK, "carol");
	seen_gen = -1;
	is_int(store_user_del_with(S(db), "carol", del_refuse, NULL),
	    AG_EUNAVAIL, "del_with, refused: the refusal");
	is_int(seen_gen, u.gen, "  the function saw carol's gen");
	is_int(store_user_get(S(db), "carol", &u), AG_OK, "  carol kept");
	is_int(store_user_del_with(S(db), "carol", del_accept, NULL), AG_OK,
	    "del_with, accepted");
	is_int(store_user_get(S(db), "carol", &u), AG_ENOENT, "  carol gone");
	is_int(store_user_del_with(S(db), "carol", del_accept, NULL),
	    AG_ENOENT, "del_with of no user: ENOENT");
	is_int(store_user_put(S(db), &u0_carol, true), AG_OK, "carol again");
	is_int(store_user_del(S(db), "bob"), AG_OK, "del bob");
	is_int(store_user_del(S(db), "bob"), AG_ENOENT, "del bob again");
	is_int(store_user_get(S(db), "bob", &u), AG_ENOENT, "bob gone");
	is_int(store_client_del(S(db), "spa"), AG_OK, "del client");
	is_int(store_client_get(S(db), "spa", &cl), AG_ENOENT, "client gone");
	ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "db mode still 0600 after rewrites");
}

static void
test_htdbm(void)
{
	char		 h[128], hash[AG_HASH_MAX + 1];
	struct user	 u;
	FILE		 *f;
	char		 line[512];
	int		 found;

	snprintf(h, sizeof(h), "%s/ht.db", dir);
	if (system("command -v htdbm >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP htdbm not installed");
		return;
	}
	is_int(run("htdbm -cbBTGDBM -C 4 %s alice secret >/dev/null 2>&1",
	    h), 0, "htdbm creates a GDBM file");
	is_int(run("htdbm -bBtTGDBM -C 4 %s bob pw read,write "
	    ">/dev/null 2>&1", h), 0, "htdbm adds bob with groups");
	is_int(store_user_get(S(h), "alice", &u), AG_OK, "get htdbm's alice");
	ok(pw_verify(u.hash, "secret", 6), "alice's htdbm bcrypt verifies");
	ok(!pw_verify(u.hash, "wrong", 5), "  and a wrong one does not");
	ok(!u.locked && u.created == 0, "no authgate fields: defaults");
	is_int(store_user_get(S(h), "bob", &u), AG_OK, "get htdbm's bob");
	is_str(u.scope, "read write", "htdbm groups are scopes");

	/* Apache reads ours: htdbm -v verifies a hash we stored. */
	is_int(pw_hash("bcrypt:4", "s3cret", 6, hash, sizeof(hash)), AG_OK,
	    "bcrypt hash");
	mkuser(&u, "carol", hash, "admin");
	is_int(store_user_put(S(h), &u, true), AG_OK, "put carol into it");
	is_int(run("htdbm -vbTGDBM %s carol s3cret >/dev/null 2>&1", h), 0,
	    "htdbm -v verifies carol's password in our record");
	found = 0;
	snprintf(line, sizeof(line), "htdbm -lTGDBM %s 2>&1", h);
	if ((f = popen(line, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " carol ") != NULL &&
			    strstr(line, "admin") != NULL)
				found = 1;
		(void)pclose(f);
	}
	ok(found, "htdbm -l lists carol with her group");
}

static void
test_python(void)
{
	char	 cmd[512], line[512];
	FILE	*f;

	if (system("/usr/bin/python3 -c 'import dbm.gnu' >/dev/null 2>&1") !=
	    0) {
		ok(1, "# SKIP python3-gdbm not installed");
		return;
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import sys, dbm.gnu;"
	    " d = dbm.gnu.open(sys.argv[1], \"r\");"
	    " print(d[b\"alice\"].decode().split(\":\")[1])' %s", db);
	line[0] = '\0';
	if ((f = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		(void)pclose(f);
	}
	is_str(line, "c\n", "python dbm.gnu reads our file");
}

static void
test_damaged(void)
{
	char		 p[128];
	struct user	 u;
	struct stat	 st;
	unsigned char	 junk[4096];
	size_t		 i;
	int		 fd, n;

	snprintf(p, sizeof(p), "%s/missing.db", dir);
	is_int(store_user_get(S(p), "alice", &u), AG_EUNAVAIL,
	    "missing db: unavailable");
	n = 0;
	is_int(store_user_each(S(p), count_user, &n), AG_EUNAVAIL,
	    "missing db: each unavailable");

	snprintf(p, sizeof(p), "%s/junk.db", dir);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, junk, sizeof(junk)) ==
	    (ssize_t)sizeof(junk) && close(fd) == 0, "write a garbage file");
	is_int(store_user_get(S(p), "alice", &u), AG_EUNAVAIL,
	    "garbage db: unavailable, no crash");
	mkuser(&u, "zed", "h", "");
	is_int(store_user_put(S(p), &u, false), AG_EUNAVAIL,
	    "garbage db: no write over it");
	ok(stat(p, &st) == 0 && st.st_size == (off_t)sizeof(junk),
	    "garbage left as it was");

	/* A real file cut in half: header claims more than is there. */
	snprintf(p, sizeof(p), "%s/cut.db", dir);
	is_int(run("cp %s %s", db, p), 0, "copy the db");
	ok(stat(p, &st) == 0 && truncate(p, st.st_size / 2) == 0,
	    "truncate the copy to half");
	n = store_user_get(S(p), "alice", &u);
	ok(n == AG_EUNAVAIL || n == AG_OK || n == AG_ENOENT,
	    "truncated db: an answer, no crash");
	is_int(n, AG_EUNAVAIL, "truncated db: unavailable");
	ok(truncate(p, 0) == 0, "truncate to 0");
	is_int(store_user_get(S(p), "alice", &u), AG_EUNAVAIL,
	    "empty file: unavailable");
	/* The cached handle of the good db works again afterwards. */
	is_int(store_user_get(S(db), "alice", &u), AG_OK,
	    "good db still readable");
}


static enum ag_err
bump_created(struct user *u, void *arg)
{
	(void)arg;
	u->created++;
	return AG_OK;
}

static enum ag_err
set_locked(struct user *u, void *arg)
{
	(void)arg;
	u->locked = true;
	return AG_OK;
}

/* Put the raw value val under key, as a foreign tool would. */
static int
raw_put(const char *key, const char *val)
{
	GDBM_FILE	 dbf;
	datum		 k, v;
	int		 rc;

	if ((dbf = gdbm_open(db, 0, GDBM_WRITER, 0, NULL)) == NULL)
		return -1;
	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v.dptr = (char *)val;
	v.dsize = (int)strlen(val);
	rc = gdbm_store(dbf, k, v, GDBM_REPLACE);
	gdbm_close(dbf);
	return rc;
}

static int
raw_get(const char *key, char *out, size_t outsz)
{
	GDBM_FILE	 dbf;
	datum		 k, v;

	out[0] = '\0';
	if ((dbf = gdbm_open(db, 0, GDBM_READER, 0, NULL)) == NULL)
		return -1;
	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v = gdbm_fetch(dbf, k);
	gdbm_close(dbf);
	if (v.dptr == NULL || (size_t)v.dsize >= outsz) {
		free(v.dptr);
		return -1;
	}
	memcpy(out, v.dptr, (size_t)v.dsize);
	out[v.dsize] = '\0';
	free(v.dptr);
	return 0;
}

/*
 * Writes in place: no copy of the file (same inode), a read-modify-
 * write that loses no update when processes write at once, the re-hash
 * that replaces the hash alone and only if unchanged, generations.
 */
static void
test_inplace(void)
{
	struct user	 u;
	struct client	 cl;
	struct stat	 st0, st1, sh0, sh1;
	char		 val[512], shadow[sizeof(db) + 8];
	pid_t		 pid[4];
	int		 i, j, st, okc = 0;
	int64_t		 gen;

	mkuser(&u, "ivan0", "$2y$04$aaaa", "read");
	is_int(store_user_put(S(db), &u, true), AG_OK, "in place: a first write");
	snprintf(shadow, sizeof(shadow), "%s.shadow", db);
	ok(stat(db, &st0) == 0 && stat(shadow, &sh0) == 0 &&
	    st0.st_ino != sh0.st_ino, "in place: the file and its shadow");
	mkuser(&u, "ivan", "$2y$04$aaaa", "read");
	is_int(store_user_put(S(db), &u, true), AG_OK, "in place: add");
	is_int(store_user_get(S(db), "ivan", &u), AG_OK, "  read back");
	ok(u.gen != 0, "  a generation drawn for a new user");
	gen = u.gen;
	u.gen = 0;
	snprintf(u.scope, sizeof(u.scope), "read write");
	is_int(store_user_put(S(db), &u, false), AG_OK, "in place: replace");
	is_int(store_user_get(S(db), "ivan", &u), AG_OK, "  read back");
	is_int(u.gen, gen, "  gen 0 keeps the stored generation");
	is_int(store_user_update(S(db), "ivan", set_locked, NULL), AG_OK,
	    "in place: update");
	is_int(store_user_update(S(db), "nobody", set_locked, NULL), AG_ENOENT,
	    "  update of a missing user");
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.id, sizeof(cl.id), "inplace");
	cl.public_client = true;
	is_int(store_client_put(S(db), &cl, true), AG_OK, "in place: client");
	is_int(store_client_del(S(db), "inplace"), AG_OK, "  client del");
	is_int(store_user_del(S(db), "ivan"), AG_OK, "in place: del");
	ok(stat(db, &st1) == 0 && stat(shadow, &sh1) == 0 &&
	    ((st1.st_ino == st0.st_ino && sh1.st_ino == sh0.st_ino) ||
	    (st1.st_ino == sh0.st_ino && sh1.st_ino == st0.st_ino)),
	    "in place: the file was never copied (the same two inodes)");

	/* re-hash: compare-and-swap of the hash, the rest kept as is */
	is_int(raw_put("judy", "$2y$04$old:grp1,grp2:a foreign comment"), 0,
	    "rehash: a record with a foreign third field");
	is_int(store_user_rehash(S(db), "judy", "$2y$04$other", "$scrypt$new"),
	    AG_EDENIED, "rehash: refused when the hash changed meanwhile");
	is_int(store_user_rehash(S(db), "judy", "$2y$04$old", "$scrypt$new"),
	    AG_OK, "rehash: the hash verified is still there");
	is_int(raw_get("judy", val, sizeof(val)), 0, "  read raw");
	is_str(val, "$scrypt$new:grp1,grp2:a foreign comment",
	    "  only the hash replaced, byte for byte");
	is_int(store_user_rehash(S(db), "nobody", "a", "b"), AG_ENOENT,
	    "rehash: a deleted user stays deleted");
	is_int(store_user_rehash(S(db), "judy", "$scrypt$new", "bad:hash"),
	    AG_EINVAL, "rehash: a hash with ':' refused");

	/* the read handle kept between lookups sees another program's
	 * change (a clock tick later: see store.c) */
	is_int(store_user_get(S(db), "judy", &u), AG_OK, "cached read: judy");
	usleep(20000);
	is_int(raw_put("judy", "$2y$04$x:grp9"), 0, "  changed by htdbm");
	is_int(store_user_get(S(db), "judy", &u), AG_OK, "  read again");
	is_str(u.scope, "grp9", "  the change is seen");
	/* and authgatectl's at once */
	mkuser(&u, "judy", "$2y$04$y", "grp10");
	is_int(store_user_put(S(db), &u, false), AG_OK, "  replaced by us");
	is_int(store_user_get(S(db), "judy", &u), AG_OK, "  read again");
	is_str(u.scope, "grp10", "  our change is seen at once");

	/* four processes, 50 read-modify-writes each, all at once */
	mkuser(&u, "counter", "h", "");
	u.created = 1;
	is_int(store_user_put(S(db), &u, true), AG_OK, "rmw: a counter");
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0) {
			for (j = 0; j < 50; j++)
				if (store_user_update(S(db), "counter",
				    bump_created, NULL) != AG_OK)
					_exit(1);
			_exit(0);
		}
	for (i = 0; i < 4; i++)
		if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			okc++;
	is_int(okc, 4, "rmw: 4 writers done");
	is_int(store_user_get(S(db), "counter", &u), AG_OK, "rmw: read");
	is_int(u.created, 201, "rmw: 4 x 50 updates at once, none lost");
}

static void
test_concurrent(void)
{
	struct user	 u;
	pid_t		 pid;
	int		 i, bad = 0, status, got = 0;

	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 30; i++) {
			mkuser(&u, "writer", "h", "");
			u.created = i + 1;
			if (store_user_put(S(db), &u, false) != AG_OK)
				_exit(1);
		}
		_exit(0);
	}
	ok(pid > 0, "fork a writer");
	for (i = 0; i < 3000; i++) {
		if (store_user_get(S(db), "alice", &u) != AG_OK)
			bad++;
		if (i % 100 == 0 && waitpid(pid, &status, WNOHANG) == pid) {
			got = 1;
			break;
		}
	}
	if (!got)
		(void)waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "writer: 30 rewrites");
	is_int(bad, 0, "reader never failed while the writer wrote");
	is_int(store_user_get(S(db), "writer", &u), AG_OK, "writer's user");
	is_int(u.created, 30, "reader sees the last write");
}

int
main(void)
{
	char	 buf[AG_NAME_MAX + 2], cmd[128];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(cmd, sizeof(cmd), "name %zu %s", i,
		    names[i].ok ? "accepted" : "refused");
		is_int(store_name_ok(names[i].name), names[i].ok, cmd);
	}
	memset(buf, 'n', sizeof(buf));
	buf[AG_NAME_MAX] = '\0';
	ok(store_name_ok(buf), "name of AG_NAME_MAX bytes");
	buf[AG_NAME_MAX] = 'n';
	buf[AG_NAME_MAX + 1] = '\0';
	ok(!store_name_ok(buf), "name one byte over");
	ok(!store_name_ok(NULL), "NULL name");

	test_decode();
	test_client_codec();

	snprintf(dir, sizeof(dir), "/tmp/t_store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	snprintf(db, sizeof(db), "%s/users.db", dir);
	test_db();
	test_htdbm();
	test_python();
	test_damaged();
	test_inplace();
	test_concurrent();
	S_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
