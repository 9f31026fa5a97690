/*
 * Authorization codes in state_db (code.c): the binding to client,
 * redirect URI and challenge; expiry; single use, with 20 threads
 * released together by a barrier and exactly one redeeming; a second
 * use revoking what the first issued (deny list and refresh family);
 * the same race in 8 processes;
 * the purge; the PKCE grammar at its limits.
 */
#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdbm.h>

#include "../src/code.h"
#include "../src/conf.h"
#include "../src/deny.h"
#include "../src/state.h"
#include "handles.h"
#include "tap.h"

#define CB		"https://app.example/cb"
#define VERIFIER	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE	"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define RACERS		20
#define RACE_PROCS	8

static char		 dir[64];
static struct conf	 cf;

static void
mkcode(struct authcode *ac, const char *user)
{
	memset(ac, 0, sizeof(*ac));
	(void)snprintf(ac->client_id, sizeof(ac->client_id), "app");
	(void)snprintf(ac->user, sizeof(ac->user), "%s", user);
	(void)snprintf(ac->scope, sizeof(ac->scope), "read api:read");
	(void)snprintf(ac->challenge, sizeof(ac->challenge), CHALLENGE);
	ac->gen = 123456789012345678LL;
}

static void
test_grammar(void)
{
	char	 v[CODE_VERIFIER_MAX + 2];

	memset(v, 'a', sizeof(v));
	v[CODE_VERIFIER_MIN] = '\0';
	ok(code_verifier_ok(v), "verifier of 43");
	v[CODE_VERIFIER_MIN - 1] = '\0';
	ok(!code_verifier_ok(v), "verifier of 42");
	memset(v, 'a', sizeof(v));
	v[CODE_VERIFIER_MAX] = '\0';
	ok(code_verifier_ok(v), "verifier of 128");
	v[CODE_VERIFIER_MAX] = 'a';
	v[CODE_VERIFIER_MAX + 1] = '\0';
	ok(!code_verifier_ok(v), "verifier of 129");
	ok(code_verifier_ok(VERIFIER "-._~"), "unreserved punctuation");
	ok(!code_verifier_ok(VERIFIER "+"), "'+' refused");
	ok(!code_verifier_ok(VERIFIER "%41"), "'%' refused");
	ok(code_challenge_ok(CHALLENGE), "an S256 challenge");
	ok(!code_challenge_ok(CHALLENGE "A"), "44 characters refused");
	ok(!code_challenge_ok("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGwSstw-cN"),
	    "non-canonical base64url refused");
	ok(!code_challenge_ok(VERIFIER "aaaa"), "a plain verifier refused");
}

static void
test_binding(void)
{
	struct authcode	 ac, got;
	char		 code[CODE_LEN + 1];
	time_t		 now = time(NULL);

	mkcode(&ac, "alice");
	is_int(code_new(H(&cf), &ac, CB, now, code), AG_OK, "new code");
	is_int((int)strlen(code), CODE_LEN, "  43 characters");
	ok(ac.exp == (int64_t)now + CODE_TTL && CODE_TTL <= 60,
	    "  lives CODE_TTL <= 60 s");
	ok(TH_COUNT("ac:") >= 1, "  stored under ac:");
	is_int(code_peek(H(&cf), code, now, &got), AG_OK, "peek");
	ok(strcmp(got.user, "alice") == 0 && strcmp(got.scope,
	    "read api:read") == 0 && got.gen == ac.gen &&
	    strcmp(got.client_id, "app") == 0, "  what it was made for");
	ok(code_binds(&got, "app", CB, VERIFIER), "binds: all three match");
	ok(!code_binds(&got, "app2", CB, VERIFIER), "another client");
	ok(!code_binds(&got, "app", CB "/", VERIFIER), "another redirect URI");
	ok(!code_binds(&got, "app", "https://APP.example/cb", VERIFIER),
	    "a redirect URI compared as a string, exactly");
	ok(!code_binds(&got, "app", CB,
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"), "another verifier");
	ok(!code_binds(&got, "app", CB, CHALLENGE),
	    "the challenge itself as verifier (plain)");
	ok(!code_binds(&got, "app", CB, NULL), "no verifier");
	is_int(code_peek(H(&cf), code, now + CODE_TTL, &got), AG_ENOENT,
	    "expired at exp");
	is_int(code_redeem(H(&cf), code, now + CODE_TTL, NULL), AG_ENOENT,
	    "  and not redeemable");
	code[0] = code[0] == 'A' ? 'B' : 'A';
	is_int(code_peek(H(&cf), code, now, &got), AG_ENOENT, "another code");
	is_int(code_peek(H(&cf), "short", now, &got), AG_ENOENT, "a short one");
	mkcode(&ac, "has space");
	is_int(code_new(H(&cf), &ac, CB, now, code), AG_EINVAL,
	    "a user with a space refused");
	mkcode(&ac, "alice");
	(void)snprintf(ac.challenge, sizeof(ac.challenge), "short");
	is_int(code_new(H(&cf), &ac, CB, now, code), AG_EINVAL,
	    "a bad challenge refused");
}

/* A second use revokes what the first issued. */
static void
test_reuse(void)
{
	struct authcode		 ac, got;
	struct code_issued	 iss;
	struct refresh		 r, peek;
	char			 code[CODE_LEN + 1], rt[AG_REFRESH_MAX + 1];
	time_t			 now = time(NULL);

	mkcode(&ac, "bob");
	is_int(code_new(H(&cf), &ac, CB, now, code), AG_OK, "a code for bob");
	memset(&r, 0, sizeof(r));
	(void)snprintf(r.user, sizeof(r.user), "bob");
	(void)snprintf(r.client_id, sizeof(r.client_id), "app");
	r.gen = ac.gen;
	is_int(state_login_ok(H(&cf), "bob", false, &r, rt), AG_OK,
	    "  its refresh token");
	memset(&iss, 0, sizeof(iss));
	(void)snprintf(iss.jti, sizeof(iss.jti), "code-jti-1");
	iss.jti_exp = (int64_t)now + 900;
	memcpy(iss.family, r.family, sizeof(iss.family));
	iss.family_exp = r.exp;
	is_int(code_redeem(H(&cf), code, now, &iss), AG_OK, "first use");
	ok(!state_deny_check(H(&cf), "code-jti-1"), "  its token is good");
	is_int(state_refresh_peek(H(&cf), rt, now, &peek), AG_OK,
	    "  its refresh token is good");
	is_int(code_peek(H(&cf), code, now, &got), AG_EEXIST,
	    "peek: used before");
	is_int(code_redeem(H(&cf), code, now, &iss), AG_EEXIST, "second use");
	ok(state_deny_check(H(&cf), "code-jti-1"),
	    "  the first use's access token is denied");
	is_int(state_refresh_peek(H(&cf), rt, now, &peek), AG_EDENIED,
	    "  and its refresh family ended");
	is_int(code_redeem(H(&cf), code, now + CODE_TTL + 1, NULL), AG_EEXIST,
	    "a use after the code's expiry, within the token's: still a reuse");
	is_int(state_purge(H(&cf), now + 10), AG_OK, "purge");
	is_int(code_peek(H(&cf), code, now + 10, &got), AG_EEXIST,
	    "  kept while its access token lives");
	is_int(state_purge(H(&cf), now + 901), AG_OK, "purge after it");
	is_int(code_peek(H(&cf), code, now + 901, &got), AG_ENOENT,
	    "  gone");
	is_int(TH_COUNT("ac:"), 0, "  every code record purged");
}

static pthread_barrier_t	 bar;
static const char		*race_code;
static time_t			 race_now;

static void *
racer(void *arg)
{
	struct code_issued	 iss;
	enum ag_err		*e = arg;

	memset(&iss, 0, sizeof(iss));
	(void)snprintf(iss.jti, sizeof(iss.jti), "race-%p", arg);
	iss.jti_exp = (int64_t)race_now + 900;
	(void)pthread_barrier_wait(&bar);
	*e = code_redeem(H(&cf), race_code, race_now, &iss);
	return NULL;
}

static void
test_race(void)
{
	struct authcode	 ac;
	pthread_t	 t[RACERS];
	enum ag_err	 e[RACERS];
	char		 code[CODE_LEN + 1];
	int		 i, wins = 0, reused = 0, other = 0;

	race_now = time(NULL);
	mkcode(&ac, "carol");
	is_int(code_new(H(&cf), &ac, CB, race_now, code), AG_OK,
	    "a code for the race");
	race_code = code;
	(void)pthread_barrier_init(&bar, NULL, RACERS);
	for (i = 0; i < RACERS; i++)
		(void)pthread_create(&t[i], NULL, racer, &e[i]);
	for (i = 0; i < RACERS; i++)
		(void)pthread_join(t[i], NULL);
	(void)pthread_barrier_destroy(&bar);
	for (i = 0; i < RACERS; i++) {
		if (e[i] == AG_OK)
			wins++;
		else if (e[i] == AG_EEXIST)
			reused++;
		else
			other++;
	}
	is_int(wins, 1, "20 threads redeem one code at once: exactly one");
	is_int(reused, RACERS - 1, "  the others see a reuse");
	is_int(other, 0, "  and nothing else");
}

/*
 * The same across processes (CGI runs, FastCGI workers): RACE_PROCS
 * children, each with its own handle, released at once by closing a
 * pipe; each exits 0 when it redeemed, 1 when it saw a reuse.
 */
static void
test_race_procs(void)
{
	struct code_issued	 iss;
	struct authcode		 ac;
	char			 code[CODE_LEN + 1], c;
	pid_t			 pid[RACE_PROCS];
	int			 go[2], i, st, wins = 0, reused = 0;

	mkcode(&ac, "dave");
	is_int(code_new(H(&cf), &ac, CB, time(NULL), code), AG_OK,
	    "a code for the process race");
	if (pipe(go) == -1) {
		ok(0, "pipe");
		return;
	}
	H_reset();	/* each child opens state_db itself */
	for (i = 0; i < RACE_PROCS; i++) {
		if ((pid[i] = fork()) == 0) {
			(void)close(go[1]);
			(void)read(go[0], &c, 1);
			memset(&iss, 0, sizeof(iss));
			(void)snprintf(iss.jti, sizeof(iss.jti), "proc-%d", i);
			iss.jti_exp = (int64_t)time(NULL) + 900;
			switch (code_redeem(H(&cf), code, time(NULL), &iss)) {
			case AG_OK:
				_exit(0);
			case AG_EEXIST:
				_exit(1);
			default:
				_exit(2);
			}
		}
	}
	(void)close(go[0]);
	(void)close(go[1]);	/* go */
	for (i = 0; i < RACE_PROCS; i++) {
		if (pid[i] <= 0 || waitpid(pid[i], &st, 0) != pid[i] ||
		    !WIFEXITED(st))
			continue;
		if (WEXITSTATUS(st) == 0)
			wins++;
		else if (WEXITSTATUS(st) == 1)
			reused++;
	}
	is_int(wins, 1, "8 processes redeem one code at once: exactly one");
	is_int(reused, RACE_PROCS - 1, "  the others see a reuse");
}

int
main(void)
{
	char	 cmd[128];

	(void)snprintf(dir, sizeof(dir), "/tmp/t_code.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	memset(&cf, 0, sizeof(cf));
	(void)snprintf(cf.state_db, sizeof(cf.state_db), "%s/state.db", dir);
	cf.refresh_token_ttl = 1000;
	cf.lockout_threshold = 5;
	cf.lockout_seconds = 300;
	is_int(state_init(H(&cf)), AG_OK, "init");
	test_grammar();
	test_binding();
	test_reuse();
	test_race();
	test_race_procs();
	H_reset();
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return done_testing();
}
