/*
 * state: failure counters and lockout with back-off, sealed refresh
 * tokens (a login stores nothing; tampering, the key file, rotation,
 * reuse kills the family, revoke, expiry), purge (the deny
 * list's part is in t_deny.c), fail-closed storage errors, and the
 * lock: many writers in threads of several processes at once, a waiter
 * let in as soon as the lock frees, a lock never freed giving up after
 * 10 s.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdbm.h>

#include "../src/conf.h"
#include "../src/deny.h"
#include "../src/rtseal.h"
#include "../src/state.h"
#include "handles.h"
#include "tap.h"

static char		 dir[64];
static struct conf	 cf;

static void
mkrefresh(struct refresh *r, const char *user, const char *scope)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->user, sizeof(r->user), "%s", user);
	snprintf(r->client_id, sizeof(r->client_id), "app");
	snprintf(r->scope, sizeof(r->scope), "%s", scope);
}

/*
 * What the refresh grant does: peek, then rotate with the grant peek
 * found (or, when it found none, an empty one, so rotate can tell a
 * reuse).  got receives the grant; next (may be NULL) the successor.
 */
static enum ag_err
use(const char *tok, time_t now, struct refresh *got, char *next)
{
	struct refresh	 nr;
	char		 nt[AG_REFRESH_MAX + 1];
	enum ag_err	 e;

	memset(got, 0, sizeof(*got));
	if (state_refresh_peek(H(&cf), tok, now, &nr) != AG_OK)
		memset(&nr, 0, sizeof(nr));
	*got = nr;
	nr.exp = 0;
	e = state_refresh_rotate(H(&cf), tok, now, &nr, nt);
	if (e != AG_OK)
		memset(got, 0, sizeof(*got));
	if (next != NULL)
		memcpy(next, nt, sizeof(nt));
	return e;
}

static void *
thr_fail(void *arg)
{
	int	 i;

	(void)arg;
	for (i = 0; i < 10; i++)
		if (state_fail_add(H(&cf), "racer", time(NULL), NULL) != AG_OK)
			break;
	return NULL;
}

static void
test_fail(void)
{
	struct failinfo	 fi;
	time_t		 now = time(NULL);	/* the purge goes by the clock */
	pthread_t	 t[4];
	int		 i;

	cf.lockout_threshold = 3;
	cf.lockout_seconds = 60;
	is_int(state_fail_get(H(&cf), "alice", &fi), AG_OK, "no failures yet");
	ok(fi.failures == 0 && fi.locked_until == 0, "  all zero");
	is_int(state_fail_add(H(&cf), "alice", now, &fi), AG_OK, "failure 1");
	is_int(state_fail_add(H(&cf), "alice", now + 1, &fi), AG_OK,
	    "failure 2");
	ok(fi.failures == 2 && fi.last == now + 1 && fi.locked_until == 0,
	    "2 failures, not locked");
	is_int(state_fail_add(H(&cf), "alice", now + 2, &fi), AG_OK,
	    "failure 3");
	is_int(fi.locked_until, now + 2 + 60, "locked at the threshold");
	is_int(state_fail_get(H(&cf), "alice", &fi), AG_OK, "read back");
	ok(fi.failures == 3 && fi.locked_until == now + 62, "  stored");
	(void)state_fail_add(H(&cf), "alice", now + 100, &fi);
	(void)state_fail_add(H(&cf), "alice", now + 101, &fi);
	is_int(fi.locked_until, now + 62, "no new lock between thresholds");
	(void)state_fail_add(H(&cf), "alice", now + 102, &fi);
	is_int(fi.locked_until, now + 102 + 120, "second lockout doubled");
	for (i = 0; i < 3; i++)
		(void)state_fail_add(H(&cf), "alice", now + 300, &fi);
	is_int(fi.locked_until, now + 300 + 240, "third lockout doubled");
	is_int(state_fail_get(H(&cf), "bob", &fi), AG_OK, "bob separate");
	is_int(fi.failures, 0, "  bob has none");
	is_int(state_fail_clear(H(&cf), "alice"), AG_OK, "clear alice");
	is_int(state_fail_get(H(&cf), "alice", &fi), AG_OK, "read cleared");
	ok(fi.failures == 0 && fi.locked_until == 0, "  zero again");
	is_int(state_fail_clear(H(&cf), "nobody"), AG_OK, "clear unknown user");

	cf.lockout_threshold = 1;
	cf.lockout_seconds = 50000;
	(void)state_fail_add(H(&cf), "carol", now, &fi);
	is_int(fi.locked_until, now + 50000, "lockout of 50000 s");
	(void)state_fail_add(H(&cf), "carol", now, &fi);
	is_int(fi.locked_until, now + STATE_LOCKOUT_CAP,
	    "doubled lockout capped at a day");

	cf.lockout_threshold = 0;
	for (i = 0; i < 10; i++)
		(void)state_fail_add(H(&cf), "dave", now, &fi);
	ok(fi.failures == 10 && fi.locked_until == 0,
	    "threshold 0: never locked");
	is_int(state_fail_add(H(&cf), "", now, &fi), AG_EINVAL, "empty user");

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thr_fail, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	(void)state_fail_get(H(&cf), "racer", &fi);
	is_int(fi.failures, 40, "4 threads x 10 failures: none lost");
	cf.lockout_threshold = 5;
	cf.lockout_seconds = 300;
}

static bool
has_key(const char *key)
{
	GDBM_FILE	 dbf;
	datum		 k, v;

	if ((dbf = gdbm_open(cf.state_db, 0, GDBM_READER | GDBM_NOLOCK, 0,
	    NULL)) == NULL)
		return false;
	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v = gdbm_fetch(dbf, k);
	free(v.dptr);
	gdbm_close(dbf);
	return v.dptr != NULL;
}

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		"0123456789-_"

/* Every one-character change of tok is refused; the count refused. */
static int
tampered_refused(const char *tok, time_t now)
{
	char		 t[AG_REFRESH_MAX + 1];
	struct refresh	 got;
	size_t		 i, len = strlen(tok);
	int		 refused = 0;

	for (i = 0; i < len; i++) {
		memcpy(t, tok, len + 1);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		if (state_refresh_peek(H(&cf), t, now, &got) == AG_ENOENT &&
		    got.user[0] == '\0')
			refused++;
	}
	return refused;
}

static void
test_refresh(void)
{
	struct refresh	 r, got;
	struct stat	 st;
	char		 a[AG_REFRESH_MAX + 1], b[AG_REFRESH_MAX + 1];
	char		 c2[AG_REFRESH_MAX + 1], fam[2 * RT_FAMILY_BYTES + 1];
	char		 big[AG_REFRESH_MAX + 2], key[PATH_MAX];
	time_t		 now = time(NULL);
	int		 records;

	records = TH_COUNT("");
	mkrefresh(&r, "alice", "read write");
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_OK,
	    "new refresh token");
	ok(strlen(a) > 100 && strlen(a) < 200, "sealed: a short token");
	ok(strspn(a, B64URL) == strlen(a), "base64url alphabet");
	is_int(TH_COUNT(""), records, "a login stores nothing");
	is_int(strlen(r.family), 32, "family named");
	is_int(r.seq, 0, "first of its family");
	ok(r.exp >= now + 1000 && r.exp <= now + 1001, "exp from the ttl");
	snprintf(fam, sizeof(fam), "%s", r.family);
	(void)rtseal_key_path(H(&cf), key, sizeof(key));
	ok(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == RT_KEY_LEN, "key made, 32 bytes, mode 0600");

	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_OK, "peek");
	ok(strcmp(got.user, "alice") == 0 && strcmp(got.client_id, "app") ==
	    0 && strcmp(got.scope, "read write") == 0 &&
	    strcmp(got.family, fam) == 0 && got.exp == r.exp,
	    "the grant is in the token");
	is_int(tampered_refused(a, now), (int)strlen(a),
	    "every one-character change refused");
	is_int(use(a, now, &got, b), AG_OK, "use (peek did not use it)");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_EDENIED,
	    "peek a used token: inactive");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_OK, "successor live");
	ok(strcmp(got.family, fam) == 0 && got.seq == 1,
	    "  same family, next place");
	is_int(use(b, now, &got, c2), AG_OK, "use successor");

	/* attack: the first token replayed by a thief */
	is_int(use(a, now, &got, NULL), AG_EDENIED,
	    "reuse of a used token denied");
	is_str(got.user, "", "  no grant returned");
	is_int(use(c2, now, &got, NULL), AG_EDENIED,
	    "reuse killed the whole family");
	is_int(state_refresh_peek(H(&cf), c2, now, &got), AG_EDENIED,
	    "  peek agrees");

	/* revoke */
	mkrefresh(&r, "bob", "");
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_OK, "bob's token");
	is_int(state_refresh_revoke(H(&cf), a), AG_OK, "revoke it");
	is_int(use(a, now, &got, NULL), AG_EDENIED,
	    "revoked token denied");
	is_int(state_refresh_revoke(H(&cf),
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), AG_ENOENT,
	    "revoke unknown");

	/* expiry */
	mkrefresh(&r, "carol", "");
	r.exp = now + 10;
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_OK, "short-lived token");
	is_int(use(a, now + 10, &got, NULL), AG_ENOENT,
	    "expired at exp");
	is_int(use(a, now + 9, &got, NULL), AG_OK,
	    "valid before exp");

	/* the key: deleted, every token ends; others may read it: refused */
	mkrefresh(&r, "dave", "");
	(void)state_login_ok(H(&cf), r.user, false, &r, a);
	ok(unlink(key) == 0, "key deleted");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_ENOENT,
	    "  a token of the old key is refused");
	mkrefresh(&r, "dave", "");
	is_int(state_login_ok(H(&cf), r.user, false, &r, b), AG_OK,
	    "  a login makes a new key");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_ENOENT,
	    "  the old token stays refused");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_OK,
	    "  the new one works");
	ok(chmod(key, 0640) == 0, "key made group-readable");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_EUNAVAIL,
	    "  refused: unavailable, not a bad token");
	mkrefresh(&r, "dave", "");
	is_int(state_login_ok(H(&cf), r.user, false, &r, c2), AG_EUNAVAIL,
	    "  no token sealed with it");
	is_str(c2, "", "  none handed out");
	ok(chmod(key, 0600) == 0, "key mode 0600 again");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_OK, "  works again");

	is_int(use("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now, &got,
	    NULL),
	    AG_ENOENT, "unknown token");
	is_int(use("short", now, &got, NULL), AG_ENOENT,
	    "short token");
	is_int(use("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", now, &got,
	    NULL),
	    AG_ENOENT, "padded token");
	is_int(use(NULL, now, &got, NULL), AG_ENOENT,
	    "NULL token");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(use(big, now, &got, NULL), AG_ENOENT, "over AG_REFRESH_MAX");
	mkrefresh(&r, "", "");
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_EINVAL,
	    "empty user");
	is_str(a, "", "  no token");
	mkrefresh(&r, "", "");
	memset(r.user, 'u', sizeof(r.user) - 1);
	memset(r.client_id, 'c', sizeof(r.client_id) - 1);
	memset(r.scope, 's', sizeof(r.scope) - 1);
	r.scope[sizeof(r.scope) - 1] = '\0';
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_OK,
	    "the longest scope");
	is_int(strlen(a), AG_REFRESH_MAX, "  the longest token");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_OK, "  opens");
	is_int(strlen(got.scope), AG_SCOPE_MAX, "  scope whole");
}


/* Barrier for the racers below: each waits until the parent writes. */
static int	 go_pipe[2];

static void
wait_go(void)
{
	char	 c;

	(void)read(go_pipe[0], &c, 1);
}

/*
 * Rotation in one transaction, the account generation, revocation of a
 * token already rotated out, and N simultaneous uses of one token in N
 * processes released at once: exactly one succeeds.
 */
static void
test_rotate(void)
{
	struct refresh	 r, got, nr;
	char		 a[AG_REFRESH_MAX + 1], b[AG_REFRESH_MAX + 1];
	char		 c2[AG_REFRESH_MAX + 1];
	time_t		 now = time(NULL);
	pid_t		 pid[8];
	int		 i, st, wins = 0, fd[2];
	char		 res;

	mkrefresh(&r, "erin", "read");
	r.gen = 111111111111111111LL;
	is_int(state_login_ok(H(&cf), r.user, false, &r, a), AG_OK, "rotate: a token");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_OK, "  peek");
	is_int(got.gen, 111111111111111111LL, "  bound to the generation");
	nr = got;
	nr.gen = 222222222222222222LL;	/* the account was replaced */
	is_int(state_refresh_rotate(H(&cf), a, now, &nr, b), AG_ENOENT,
	    "rotate: another generation refused");
	is_str(b, "", "  no successor");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_OK,
	    "  the old token is not spent by a refused rotation");
	nr = got;
	is_int(state_refresh_rotate(H(&cf), a, now, &nr, b), AG_OK,
	    "rotate: the checked grant");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_OK,
	    "  successor stored");
	is_str(got.family, nr.family, "  in the same family");
	is_int(state_refresh_peek(H(&cf), a, now, &got), AG_EDENIED,
	    "  old token spent");
	/* a client logs out with the token it had before a refresh */
	is_int(state_refresh_find(H(&cf), a, now, &got), AG_OK,
	    "find: a token rotated out is found");
	is_int(state_refresh_revoke(H(&cf), a), AG_OK,
	    "revoke the rotated-out token");
	is_int(state_refresh_peek(H(&cf), b, now, &got), AG_EDENIED,
	    "  its successor ends with it");

	/* eight processes use one token at the same moment */
	mkrefresh(&r, "frank", "read");
	is_int(state_login_ok(H(&cf), r.user, false, &r, c2), AG_OK, "race: a token");
	if (pipe(go_pipe) == -1 || pipe(fd) == -1) {
		ok(0, "pipe");
		return;
	}
	for (i = 0; i < 8; i++) {
		if ((pid[i] = fork()) == 0) {
			close(go_pipe[1]);
			wait_go();
			res = use(c2, now, &got, NULL) == AG_OK ? 'y' : 'n';
			(void)write(fd[1], &res, 1);
			_exit(0);
		}
	}
	close(go_pipe[0]);
	close(go_pipe[1]);		/* EOF: every child goes at once */
	for (i = 0; i < 8; i++)
		waitpid(pid[i], &st, 0);
	close(fd[1]);
	while (read(fd[0], &res, 1) == 1)
		wins += res == 'y';
	close(fd[0]);
	is_int(wins, 1, "race: 8 processes use one token at once: exactly "
	    "one succeeds");
	is_int(state_refresh_peek(H(&cf), c2, now, &got), AG_EDENIED,
	    "race: the losers' reuse revoked the family");
}

static int	 begin_ok;
static pthread_mutex_t begin_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t begin_bar, end_bar;

static void *
thr_begin(void *arg)
{
	struct failinfo	 fi;
	bool		 locked_out = true;
	enum ag_err	 e;

	(void)arg;
	pthread_barrier_wait(&begin_bar);
	int		 slot;

	e = state_login_begin(H(&cf), "gina", time(NULL), &fi, &locked_out,
	    &slot);
	if (e == AG_OK && !locked_out) {
		pthread_mutex_lock(&begin_mtx);
		begin_ok++;
		pthread_mutex_unlock(&begin_mtx);
	}
	/* all in flight at once, then each a wrong password */
	pthread_barrier_wait(&end_bar);
	if (e == AG_OK) {
		(void)state_fail_add(H(&cf), "gina", time(NULL), NULL);
		state_login_end(H(&cf), slot);
	}
	return NULL;
}

/*
 * The lockout is decided on the failures stored and the attempts in
 * flight: of 16 attempts in flight at once with threshold 5, exactly 5
 * may go on to the password check.  A success forgets the failures.
 */
static void
test_login_begin(void)
{
	struct failinfo	 fi;
	struct refresh	 r;
	pthread_t	 t[16];
	pid_t		 pid;
	char		 tok[AG_REFRESH_MAX + 1];
	bool		 locked_out;
	int		 i, slot;

	cf.lockout_threshold = 5;
	pthread_barrier_init(&begin_bar, NULL, 16);
	pthread_barrier_init(&end_bar, NULL, 16);
	for (i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, thr_begin, NULL);
	for (i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&begin_bar);
	pthread_barrier_destroy(&end_bar);
	/* two that enter together may count each other: never more */
	ok(begin_ok >= 1 && begin_ok <= 5, "16 attempts in flight at once, "
	    "threshold 5: at most 5 checked");
	(void)state_fail_get(H(&cf), "gina", &fi);
	is_int(fi.failures, 16, "  every attempt counted");
	ok(fi.locked_until > time(NULL), "  locked out");

	/* the counts in flight went back to 0: a new user is not refused */
	for (i = 0; i < 5; i++) {
		is_int(state_login_begin(H(&cf), "ivy", time(NULL), &fi,
		    &locked_out, &slot), AG_OK, "sequential attempt");
		ok(!locked_out, "  below the threshold");
		(void)state_fail_add(H(&cf), "ivy", time(NULL), NULL);
		state_login_end(H(&cf), slot);
	}
	(void)state_login_begin(H(&cf), "ivy", time(NULL), &fi, &locked_out,
	    &slot);
	ok(locked_out, "the sixth, after 5 failures, is refused");
	state_login_end(H(&cf), slot);

	/* an attempt whose process died is not counted for long */
	if ((pid = fork()) == 0) {
		(void)state_login_begin(H(&cf), "jack", time(NULL), &fi,
		    &locked_out, &slot);
		_exit(0);	/* killed mid-login: never leaves */
	}
	waitpid(pid, NULL, 0);
	(void)state_login_begin(H(&cf), "jack", time(NULL), &fi, &locked_out,
	    &slot);
	ok(!locked_out, "an attempt of a process gone is taken back");
	state_login_end(H(&cf), slot);
	cf.lockout_threshold = 1;
	(void)state_login_begin(H(&cf), "jack", time(NULL), &fi, &locked_out,
	    &slot);
	ok(!locked_out, "  threshold 1: the dead one does not count");
	state_login_end(H(&cf), slot);
	cf.lockout_threshold = 5;

	(void)state_fail_add(H(&cf), "hank", time(NULL), NULL);
	is_int(state_login_begin(H(&cf), "hank", time(NULL), &fi, &locked_out,
	    &slot), AG_OK, "login_begin");
	ok(!locked_out && fi.failures == 1, "  one failure, not locked out");
	mkrefresh(&r, "hank", "read");
	is_int(state_login_ok(H(&cf), "hank", true, &r, tok), AG_OK,
	    "login_ok: failures forgotten, refresh token sealed");
	state_login_end(H(&cf), slot);
	(void)state_fail_get(H(&cf), "hank", &fi);
	is_int(fi.failures, 0, "  the failures are forgotten");
	ok(strlen(tok) > 0, "  a refresh token");
	is_int(state_refresh_peek(H(&cf), tok, time(NULL), &r), AG_OK,
	    "  that works");
	is_int(state_login_ok(H(&cf), "hank", false, NULL, NULL), AG_OK,
	    "login_ok with nothing to store");
}

/* A family record that expires at exp: a token rotated once. */
static bool
family_until(const char *user, time_t now, int64_t exp, char *fam)
{
	struct refresh	 r, nr;
	char		 a[AG_REFRESH_MAX + 1], b[AG_REFRESH_MAX + 1];

	mkrefresh(&r, user, "");
	r.exp = exp;
	if (state_login_ok(H(&cf), r.user, false, &r, a) != AG_OK ||
	    state_refresh_peek(H(&cf), a, now, &nr) != AG_OK)
		return false;
	nr.exp = exp;
	if (state_refresh_rotate(H(&cf), a, now, &nr, b) != AG_OK)
		return false;
	(void)snprintf(fam, 3 + 2 * RT_FAMILY_BYTES + 1, "rf:%s", nr.family);
	return true;
}

/* Store a record as the build before sealed tokens did. */
static void
put_legacy(const char *key, const char *val)
{
	GDBM_FILE	 dbf;
	datum		 k, v;

	if ((dbf = gdbm_open(cf.state_db, 0, GDBM_WRITER | GDBM_NOLOCK, 0,
	    NULL)) == NULL)
		return;
	k.dptr = (char *)key;
	k.dsize = (int)strlen(key);
	v.dptr = (char *)val;
	v.dsize = (int)strlen(val);
	(void)gdbm_store(dbf, k, v, GDBM_REPLACE);
	gdbm_close(dbf);
}

static void
test_purge(void)
{
	char		 gone[64], kept[64];
	time_t		 now = time(NULL);

	ok(family_until("old", now, now + 5, gone), "a family until now+5");
	ok(family_until("new", now, now + 500, kept), "a family until now+500");
	put_legacy("rt:0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef", "u\tapp\t\tfam\t99999999999\t0\t1");
	put_legacy("fam:0123456789abcdef0123456789abcdef", "99999999999");
	(void)state_fail_add(H(&cf), "stale", now - 2 * 86400, NULL);
	ok(TH_COUNT("fail:stale") == 1 && has_key(gone) && has_key(kept),
	    "records present");
	is_int(state_purge(H(&cf), now + 10), AG_OK, "purge");
	ok(!has_key(gone), "an expired family removed");
	ok(has_key(kept), "a live one kept");
	is_int(TH_COUNT("rt:") + TH_COUNT("fam:"), 0,
	    "records of the tokens of before removed");
	is_int(TH_COUNT("fail:stale"), 0, "day-old failures removed");
	ok(TH_COUNT("fail:racer") == 1, "recent failures kept");
}

static void
test_unwritable(void)
{
	struct conf	 bad = cf;
	struct failinfo	 fi;
	struct refresh	 r, got;
	char		 tok[AG_REFRESH_MAX + 1];

	snprintf(bad.state_db, sizeof(bad.state_db), "%s/nodir/state.db",
	    dir);
	is_int(state_init(H(&bad)), AG_EUNAVAIL, "missing directory: init");
	is_int(state_fail_add(H(&bad), "alice", time(NULL), &fi), AG_EUNAVAIL,
	    "missing directory: fail_add unavailable");
	is_int(state_fail_get(H(&bad), "alice", &fi), AG_EUNAVAIL,
	    "missing directory: fail_get unavailable");
	mkrefresh(&r, "alice", "");
	is_int(state_login_ok(H(&bad), r.user, false, &r, tok), AG_EUNAVAIL,
	    "missing directory: no key can be made: unavailable");
	is_str(tok, "", "  no token handed out");
	memset(&got, 0, sizeof(got));
	is_int(state_refresh_rotate(H(&bad),
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", time(NULL), &got,
	    tok), AG_ENOENT, "missing directory: no key, no token to rotate");
	snprintf(bad.state_db, sizeof(bad.state_db), "/dev/null/state.db");
	is_int(state_fail_add(H(&bad), "alice", time(NULL), &fi), AG_EUNAVAIL,
	    "state_db under a file: unavailable");
	/* a state_db that is not a GDBM file */
	snprintf(bad.state_db, sizeof(bad.state_db), "%s/junk.db", dir);
	{
		FILE	*f = fopen(bad.state_db, "w");

		if (f != NULL) {
			fputs("this is not a gdbm file, not at all, no\n", f);
			fclose(f);
		}
	}
	is_int(state_fail_add(H(&bad), "alice", time(NULL), &fi), AG_EUNAVAIL,
	    "garbage state_db: unavailable");
	is_int(state_fail_get(H(&bad), "alice", &fi), AG_EUNAVAIL,
	    "garbage state_db: read unavailable");
}

#define RACE_PROCS	2
#define RACE_THREADS	4
#define RACE_TOKENS	50	/* per thread */

struct racer {
	char	 tok[RACE_TOKENS][AG_REFRESH_MAX + 1];
	int	 stored;
};

static void *
thr_refresh(void *arg)
{
	struct racer	*rc = arg;
	struct refresh	 r;
	int		 i;

	for (i = 0; i < RACE_TOKENS; i++) {
		mkrefresh(&r, "racer", "read");
		if (state_login_ok(H(&cf), r.user, false, &r, rc->tok[i]) !=
		    AG_OK || state_refresh_revoke(H(&cf), rc->tok[i]) != AG_OK)
			break;
		rc->stored++;
	}
	return NULL;
}

/*
 * In a child: threads seal tokens and revoke each (a write) at once,
 * the first of them making the key with the other process's; 0 if,
 * with the key read again from its file, every token opens and is
 * revoked.
 */
static int
race_child(void)
{
	static struct racer	 rc[RACE_THREADS];
	struct refresh		 got;
	pthread_t		 t[RACE_THREADS];
	int			 i, j;

	for (i = 0; i < RACE_THREADS; i++)
		if (pthread_create(&t[i], NULL, thr_refresh, &rc[i]) != 0)
			return 1;
	for (i = 0; i < RACE_THREADS; i++)
		(void)pthread_join(t[i], NULL);
	rtseal_forget(H(&cf));
	for (i = 0; i < RACE_THREADS; i++) {
		if (rc[i].stored != RACE_TOKENS)
			return 2;
		for (j = 0; j < RACE_TOKENS; j++)
			if (state_refresh_peek(H(&cf), rc[i].tok[j], time(NULL),
			    &got) != AG_EDENIED ||
			    state_refresh_find(H(&cf), rc[i].tok[j], time(NULL),
			    &got) != AG_OK || strcmp(got.user, "racer") != 0)
				return 3;
	}
	return 0;
}

static void *
thr_unlock(void *arg)
{
	int	*fd = arg;

	usleep(100 * 1000);
	(void)flock(*fd, LOCK_UN);
	return NULL;
}

/* Files whose path starts with prefix, in its directory. */
static int
count_files(const char *prefix)
{
	char		 cmd[PATH_MAX + 64], line[16];
	FILE		*p;
	int		 n = -1;

	snprintf(cmd, sizeof(cmd), "ls -d '%s'* 2>/dev/null | wc -l", prefix);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), p) != NULL)
		n = atoi(line);
	pclose(p);
	return n;
}

static double
since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_lock(void)
{
	struct failinfo	 fi;
	struct timespec	 t0;
	char		 path[PATH_MAX + 8];
	pthread_t	 t;
	pid_t		 pid[RACE_PROCS];
	double		 dt;
	int		 before, i, fd, status, good = 0;

	before = TH_COUNT("rf:");
	(void)rtseal_key_path(H(&cf), path, sizeof(path));
	(void)unlink(path);	/* the racers make it */
	rtseal_forget(H(&cf));
	for (i = 0; i < RACE_PROCS; i++)
		if ((pid[i] = fork()) == 0)
			_exit(race_child());
	for (i = 0; i < RACE_PROCS; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	is_int(good, RACE_PROCS, "lock: every token of every thread of "
	    "every process sealed with the one key made, and revoked");
	is_int(TH_COUNT("rf:") - before,
	    RACE_PROCS * RACE_THREADS * RACE_TOKENS,
	    "lock: as many new records as revocations");
	snprintf(path, sizeof(path), "%s.rtkey.", cf.state_db);
	is_int(count_files(path), 0, "  no key's temporary file left");

	/* Another holder, here our own second open file description. */
	snprintf(path, sizeof(path), "%s.lock", cf.state_db);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0, "lock: held");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(pthread_create(&t, NULL, thr_unlock, &fd) == 0, "  freed in "
	    "0.1 s");
	is_int(state_fail_get(H(&cf), "alice", &fi), AG_OK, "lock: the waiter "
	    "gets in");
	dt = since(&t0);
	(void)pthread_join(t, NULL);
	ok(dt >= 0.09 && dt < 1.0, "  soon after it was freed");
	if (dt >= 1.0)
		printf("# waited %.3f s\n", dt);

	ok(flock(fd, LOCK_EX | LOCK_NB) == 0, "lock: held for good");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(state_fail_add(H(&cf), "alice", time(NULL), &fi), AG_EUNAVAIL,
	    "lock: a writer gives up");
	dt = since(&t0);
	ok(dt >= 9.9 && dt < 15.0, "  after 10 s");
	if (dt < 9.9 || dt >= 15.0)
		printf("# waited %.3f s\n", dt);
	(void)close(fd);
	is_int(state_fail_clear(H(&cf), "alice"), AG_OK, "lock: freed, a "
	    "writer gets in again");
}

/*
 * Writes purge expired records by themselves, a step of
 * STATE_PURGE_STEP records every STATE_PURGE_BATCH writes of a process
 * (and at its first): a pass over n records takes about
 * n / (STATE_PURGE_STEP - 1) * STATE_PURGE_BATCH writes.  Logins write
 * nothing; here each write is a revocation.
 */
static void
test_autopurge(void)
{
	struct refresh	 r;
	char		 tok[AG_REFRESH_MAX + 1], gone[64];
	time_t		 now = time(NULL);
	int		 i, max;
	bool		 left = true;

	ok(family_until("expired", now, now + 1, gone), "autopurge: a "
	    "family record about to expire");
	sleep(2);
	ok(has_key(gone), "  stored");
	/*
	 * Each write here adds a record too, so a step gains only
	 * STATE_PURGE_STEP - 1 - STATE_PURGE_BATCH records on the pass;
	 * and a record moved by GDBM's bucket split can be missed by one
	 * pass and found by the next.  Two passes, then: a purge that
	 * never comes still fails, after a few thousand writes.
	 */
	max = 2 * (TH_COUNT("") / (STATE_PURGE_STEP - 1 -
	    STATE_PURGE_BATCH) + 2) * STATE_PURGE_BATCH;
	for (i = 0; i < max; i++) {
		mkrefresh(&r, "filler", "");
		if (state_login_ok(H(&cf), r.user, false, &r, tok) != AG_OK ||
		    state_refresh_revoke(H(&cf), tok) != AG_OK)
			break;
		if (!(left = has_key(gone)))
			break;
	}
	ok(!left, "autopurge: gone after some writes");
	if (left)
		printf("# %d writes\n", i);
}

/*
 * A write never walks the whole file: the first write of a process
 * purges one step, however many records are stale (the whole walk held
 * the lock for 4.2 s at a million records).
 */
static void
test_purge_step(void)
{
	char	 key[64], val[64];
	int	 i, before, after;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "rf:%032x", i + 0x10000);
		snprintf(val, sizeof(val), "1 %lld 0",
		    (long long)time(NULL) - 100);
		put_legacy(key, val);
	}
	put_legacy("meta:purge", "");
	before = TH_COUNT("rf:");
	H_reset();		/* a new process, as it were: a step now */
	is_int(state_fail_add(H(&cf), "stepper", time(NULL), NULL), AG_OK,
	    "purge step: one write");
	after = TH_COUNT("rf:");
	ok(before - after > 0 && before - after <= STATE_PURGE_STEP,
	    "  it purged one step of stale records, not all of them");
	printf("# %d stale family records before, %d after\n", before,
	    after);
	is_int(state_purge(H(&cf), time(NULL)), AG_OK, "a whole pass");
	is_int(TH_COUNT("rf:") < before - 900, 1,
	    "  takes the rest");
}

/*
 * Two state_dbs in one process, used in turn through their handles:
 * each keeps its own key, deny list and attempts in flight.
 */
static void
test_two_handles(void)
{
	struct conf	 c2 = cf;
	struct state	*a, *b;
	struct refresh	 r, got;
	struct failinfo	 fi;
	char		 ta[AG_REFRESH_MAX + 1], tb[AG_REFRESH_MAX + 1];
	bool		 out_a, out_b;
	int		 sa, sb, sa2;

	snprintf(c2.state_db, sizeof(c2.state_db), "%s/second.db", dir);
	a = state_new(&cf);
	b = state_new(&c2);
	ok(a != NULL && b != NULL && state_init(b) == AG_OK,
	    "two handles, two state_dbs");
	if (a == NULL || b == NULL)
		return;
	mkrefresh(&r, "kim", "read");
	is_int(state_login_ok(a, r.user, false, &r, ta), AG_OK, "  sealed by a");
	mkrefresh(&r, "kim", "read");
	is_int(state_login_ok(b, r.user, false, &r, tb), AG_OK, "  sealed by b");
	is_int(state_refresh_peek(b, ta, time(NULL), &got), AG_ENOENT,
	    "  a's token is nothing to b (another key)");
	is_int(state_refresh_peek(a, ta, time(NULL), &got), AG_OK,
	    "  but opens with a, in turn");
	is_int(state_deny_add(a, "only-in-a", time(NULL) + 60), AG_OK,
	    "  revoked in a");
	ok(state_deny_check(a, "only-in-a") &&
	    !state_deny_check(b, "only-in-a"), "  denied in a only");
	cf.lockout_threshold = 1;
	c2.lockout_threshold = 1;
	(void)state_login_begin(a, "lee", time(NULL), &fi, &out_a, &sa);
	(void)state_login_begin(b, "lee", time(NULL), &fi, &out_b, &sb);
	ok(!out_a && !out_b, "  one attempt in flight in each");
	(void)state_login_begin(a, "lee", time(NULL), &fi, &out_a, &sa2);
	ok(out_a, "  a second in a is refused (threshold 1)");
	state_login_end(a, sa2);
	state_login_end(a, sa);
	state_login_end(b, sb);
	cf.lockout_threshold = 5;
	state_free(a);
	state_free(b);
}

int
main(void)
{
	struct stat	 st;
	char		 cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/t_state.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	memset(&cf, 0, sizeof(cf));
	snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	cf.refresh_token_ttl = 1000;
	cf.lockout_threshold = 5;
	cf.lockout_seconds = 300;

	is_int(state_init(H(&cf)), AG_OK, "init");
	ok(stat(cf.state_db, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "state_db created, mode 0600");
	test_fail();
	test_refresh();
	test_rotate();
	test_login_begin();
	test_purge();
	test_lock();
	test_autopurge();
	test_purge_step();
	test_unwritable();
	test_two_handles();
	H_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
