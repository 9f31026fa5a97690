/*
 * pw: hash and verify each scheme, known hashes from passlib, htpasswd
 * and mkpasswd, malformed and over-cost hashes refused quickly,
 * needs_rehash, supported, and passlib interop when it is installed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/pw.h"
#include "tap.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool
vfy(const char *hash, const char *pw)
{
	return pw_verify(hash, pw, strlen(pw));
}

/* Known hashes of "secret" made by other tools. */
static const struct {
	const char	*hash, *what;
} known[] = {
	{ "$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	  "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M", "passlib scrypt" },
	{ "$2y$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	  "htpasswd -B $2y$" },
	{ "$6$saltsaltsalt1234$dtxmlxeVqETZAXDiGjM3F08.IhI21yWjIUwkj8N4k68t"
	  "FPNzB8dV9Hdgi6NuUGjrhzLc9V.BoyEEcHx3QIz5d0", "mkpasswd sha-512" },
	{ "$y$j9T$ESnaBc647kX1DFMlfO3yv/$T8tWBWMHMCrsg4r5.T.tMutVv0bPti9Ae0x"
	  "pAhl3QV9", "mkpasswd yescrypt" },
	{ "$5$rounds=2000$sUzVhockMcNl4DiE$d4NyOyhjc7vnZkWkK7KrTAsvBkyiMyH7"
	  "VPZwouSrIt8", "mkpasswd sha-256 rounds=2000" },
};

/*
 * Hashes that must never verify, and must be refused before any work:
 * each would otherwise cost seconds, gigabytes, or parse ambiguously.
 */
static const char *const bad[] = {
	"",
	"$scrypt$",
	"$scrypt$ln=4,r=8,p=1$$r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$",
	"$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$short",
	/* padding is not passlib's encoding */
	"$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw==$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	/* non-zero trailing bits: a second spelling of the same salt */
	"$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcx$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=04,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$r=8,ln=4,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=8$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M$",
	/* attack: 2^63 blocks, or 1 GiB, or 2^20 * 32 * 16 of work */
	"$scrypt$ln=63,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=21,r=1,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=20,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=17,r=4,p=16$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=0,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=8,p=17$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	"$scrypt$ln=4,r=8,p=99999999999$tBZCKCXkXItR6h0D4Nybcw$"
	    "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M",
	/* attack: bcrypt cost 31 is 2^31 rounds */
	"$2b$31$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	"$2b$16$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	"$2b$03$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	"$2b$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn",
	"$2x$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	"$2q$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	/* attack: a billion sha-crypt rounds */
	"$6$rounds=999999999$saltsaltsalt1234$dtxmlxeVqETZAXDiGjM3F08.IhI",
	"$6$rounds=1000001$saltsaltsalt1234$dtxmlxeVqETZAXDiGjM3F08.IhI",
	/* attack: yescrypt at 1 GiB */
	"$y$jFT$ESnaBc647kX1DFMlfO3yv/$T8tWBWMHMCrsg4r5.T.tMutVv0bPti9Ae0x",
	"$y$jZZ$ESnaBc647kX1DFMlfO3yv/$T8tWBWMHMCrsg4r5.T.tMutVv0bPti9Ae0x",
	"$7$CU..../....$abc",
	"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=",
	"$apr1$jzHJtvU.$YCj.un5zPcWTJ08fWAtbg.",
	"$1$abcdefgh$abcdefghijklmnopqrstuv",
	"abJnggxhB/yWI",
	"secret",
	"$6$salt\n$x",
};

static const struct {
	const char	*hash, *word;
} reasons[] = {
	{ "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "SHA-1" },
	{ "$apr1$jzHJtvU.$YCj.un5zPcWTJ08fWAtbg.", "apr1" },
	{ "$1$abcdefgh$abcdefghijklmnopqrstuv", "MD5" },
	{ "abJnggxhB/yWI", "DES" },
	{ "secret", "plain" },
	{ "$2b$31$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn.",
	  "cost" },
	{ "$scrypt$ln=20,r=8,p=1$tBZCKCXkXItR6h0D4Nybcw$"
	  "r/DMbQgT1syxparQwMHSQsJAseXaORZpaw5+yGIYO4M", "memory" },
};

static const struct {
	const char	*spec;
	int		 ok;
} specs[] = {
	{ "scrypt", 1 },
	{ "scrypt:ln=15,r=8,p=1", 1 },
	{ "scrypt:ln=17", 1 },
	{ "scrypt:r=8,ln=16,p=1", 1 },
	{ "scrypt:ln=20,r=1,p=1", 1 },
	{ "bcrypt", 1 },
	{ "bcrypt:4", 1 },
	{ "bcrypt:15", 1 },
	{ "yescrypt", 1 },
	{ "yescrypt:9", 1 },
	{ "scrypt:ln=21", 0 },
	{ "scrypt:ln=0", 0 },
	{ "scrypt:ln=20,r=8,p=1", 0 },	/* 1 GiB */
	{ "scrypt:ln=15,r=33", 0 },
	{ "scrypt:ln=15,p=17", 0 },
	{ "scrypt:ln=18,r=8,p=16", 0 },	/* work */
	{ "scrypt:ln=4,ln=5", 0 },
	{ "scrypt:x=1", 0 },
	{ "scrypt:", 0 },
	{ "scrypt:ln=", 0 },
	{ "bcrypt:3", 0 },
	{ "bcrypt:16", 0 },
	{ "bcrypt:", 0 },
	{ "bcrypt:012", 0 },
	{ "yescrypt:10", 0 },
	{ "md5", 0 },
	{ "scrypts", 0 },
	{ "", 0 },
};

struct thr {
	const char	*hash;
	int		 good;
};

static void *
thr_main(void *arg)
{
	struct thr	*t = arg;
	int		 i;

	for (i = 0; i < 5; i++)
		if (vfy(t->hash, "secret") && !vfy(t->hash, "Secret"))
			t->good++;
	return NULL;
}

static void
passlib_interop(const char *ours)
{
	FILE	*f;
	char	 cmd[512], line[512];
	int	 n;

	if (system("/usr/bin/python3 -c 'import passlib.hash' "
	    ">/dev/null 2>&1") != 0) {
		ok(1, "# SKIP passlib not installed");
		ok(1, "# SKIP passlib not installed");
		return;
	}
	n = snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
	    "import sys; from passlib.hash import scrypt; "
	    "print(scrypt.verify(\"secret\", sys.argv[1])); "
	    "print(scrypt.using(rounds=5).hash(\"pass word\"))' '%s'", ours);
	if (n < 0 || (size_t)n >= sizeof(cmd) || (f = popen(cmd, "r")) ==
	    NULL) {
		ok(0, "popen python3");
		return;
	}
	line[0] = '\0';
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	is_str(line, "True\n", "passlib verifies our scrypt hash");
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	ok(vfy(line, "pass word") && !vfy(line, "password"),
	    "we verify a fresh passlib scrypt hash (ln=5)");
	(void)pclose(f);
}

/*
 * The whole reason pw_supported() gives for each refusal, and which
 * check wins where two could: the scheme named outright ($1$, $apr1$,
 * $scrypt$) before the crypt alphabet, the alphabet before bcrypt's
 * variant.  authgatectl and the log show these words to the operator.
 */
static const struct {
	const char	*hash;
	const char	*why;
} exact[] = {
	{ "", "empty hash" },
	{ "{SHA}x", "{SHA} is unsalted SHA-1" },
	{ "$apr1$a b", "$apr1$ is Apache's MD5 scheme, too weak to keep" },
	{ "$1$a b", "$1$ is MD5-crypt, too weak to keep" },
	{ "$scrypt$ x", "malformed $scrypt$ hash" },
	{ "$2x$a b", "malformed crypt hash" },
	{ "$2x$04$@@@", "malformed crypt hash" },
	{ "$2x$04$BCRYPT", "$2x$ marks a hash made by a buggy bcrypt" },
	{ "$2c$04$BCRYPT", "unknown bcrypt variant" },
	{ "$2b$04$", "malformed bcrypt hash" },
	{ "$2b$4a$BCRYPT", "malformed bcrypt hash" },
	{ "$2b$03$BCRYPT", "bcrypt cost out of range 4..15" },
	{ "$6$rounds=$s$h", "malformed sha-crypt rounds" },
	{ "$6$rounds=5000", "malformed sha-crypt rounds" },
	{ "$5$rounds=1000001$s$h", "sha-crypt rounds over 1000000" },
	{ "$y$j9T", "malformed yescrypt hash" },
	{ "$y$jGT$s$h", "yescrypt parameters over the limits" },
	{ "$3$x", "unknown crypt scheme" },
	{ "abJnggxhB/yWI", "DES crypt is too weak to keep" },
	{ "abJnggxhB/yW!", "plain text or unknown hash format" },
	{ "secret", "plain text or unknown hash format" },
};

/* exact[] with "BCRYPT" made a well-formed 60-byte bcrypt hash. */
static void
test_exact(void)
{
	char		 h[AG_HASH_MAX + 1], over[AG_HASH_MAX + 2];
	const char	*w, *b;
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		b = strstr(exact[i].hash, "BCRYPT");
		n = snprintf(h, sizeof(h), "%.*s%s",
		    b != NULL ? (int)(b - exact[i].hash) :
		    (int)strlen(exact[i].hash), exact[i].hash,
		    b != NULL ? "phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38VZ1yXjTD2ZYn." : "");
		if (n < 0 || (size_t)n >= sizeof(h))
			h[0] = '\0';
		w = NULL;
		ok(!pw_supported(h, &w), h);
		is_str(w != NULL ? w : "(null)", exact[i].why, "  reason");
	}
	memset(over, 'a', sizeof(over));
	over[sizeof(over) - 1] = '\0';
	w = NULL;
	ok(!pw_supported(over, &w), "hash of AG_HASH_MAX + 1 bytes");
	is_str(w != NULL ? w : "(null)", "hash too long", "  reason");
	over[sizeof(over) - 2] = '\0';
	w = NULL;
	ok(!pw_supported(over, &w), "hash of AG_HASH_MAX bytes");
	is_str(w != NULL ? w : "(null)", "plain text or unknown hash format",
	    "  reason: not too long");
}

int
main(void)
{
	char		 h[AG_HASH_MAX + 1], h2[AG_HASH_MAX + 1], why[256];
	char		 big[AG_PASSWORD_MAX + 2];
	const char	*w;
	struct thr	 th[4];
	pthread_t	 tid[4];
	double		 t0, t1, t2;
	size_t		 i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		why[0] = '\0';
		snprintf(h, sizeof(h), "scheme_check \"%s\" %s", specs[i].spec,
		    specs[i].ok ? "accepted" : "refused");
		is_int(pw_scheme_check(specs[i].spec, why, sizeof(why)) ==
		    AG_OK, specs[i].ok, h);
		if (!specs[i].ok && why[0] == '\0')
			ok(0, "refusal has a reason");
	}

	/* scrypt: format exactly as passlib writes it */
	is_int(pw_hash("scrypt:ln=4,r=8,p=1", "secret", 6, h, sizeof(h)),
	    AG_OK, "scrypt hash");
	ok(strncmp(h, "$scrypt$ln=4,r=8,p=1$", 21) == 0 &&
	    strlen(h) == 21 + 22 + 1 + 43 && h[43] == '$' &&
	    strchr(h, '=') == h + 10, "scrypt PHC: 22-char salt, 43-char "
	    "hash, no padding");
	ok(vfy(h, "secret"), "scrypt verifies");
	ok(!vfy(h, "secreT"), "scrypt wrong password");
	/* HMAC zero-pads keys: "secret\0" would equal "secret" */
	ok(!pw_verify(h, "secret\0", 7), "scrypt: a NUL never matches");
	is_int(pw_hash("scrypt:ln=4", "a\0b", 3, h2, sizeof(h2)), AG_EINVAL,
	    "scrypt refuses a NUL in the password");
	is_int(pw_hash("scrypt:ln=4", "secret", 6, h2, sizeof(h2)), AG_OK,
	    "scrypt second hash");
	ok(strcmp(h, h2) != 0, "two hashes differ (random salt)");
	is_int(pw_hash("scrypt:ln=4", "secret", 6, h2, 80), AG_ETOOBIG,
	    "scrypt hash into a short buffer");
	ok(h2[0] == '\0', "short buffer left empty");
	is_int(pw_hash("scrypt:ln=4", "", 0, h2, sizeof(h2)), AG_OK,
	    "scrypt hash of empty password");
	ok(vfy(h2, "") && !vfy(h2, "x"), "empty password verifies");

	/* password length: at the limit and one over */
	memset(big, 'p', sizeof(big));
	is_int(pw_hash("scrypt:ln=4", big, AG_PASSWORD_MAX, h2, sizeof(h2)),
	    AG_OK, "password of AG_PASSWORD_MAX bytes hashed");
	ok(pw_verify(h2, big, AG_PASSWORD_MAX), "and verifies");
	is_int(pw_hash("scrypt:ln=4", big, AG_PASSWORD_MAX + 1, h2,
	    sizeof(h2)), AG_ETOOBIG, "one byte over refused");
	ok(!pw_verify(h2, big, AG_PASSWORD_MAX + 1), "verify refuses it");

	/* bcrypt */
	is_int(pw_hash("bcrypt:4", "secret", 6, h, sizeof(h)), AG_OK,
	    "bcrypt hash");
	ok(strncmp(h, "$2b$04$", 7) == 0 && strlen(h) == 60,
	    "bcrypt form $2b$04$");
	ok(vfy(h, "secret") && !vfy(h, "secret2"), "bcrypt verify");
	is_int(pw_hash("bcrypt:4", "a\0b", 3, h2, sizeof(h2)), AG_EINVAL,
	    "bcrypt refuses a NUL in the password");
	ok(!pw_verify(h, "secret\0x", 8), "bcrypt: NUL never matches");
	ok(!pw_needs_rehash(h, "bcrypt:4"), "bcrypt:4 needs no rehash");
	ok(pw_needs_rehash(h, "bcrypt:5"), "bcrypt:5 needs rehash");
	ok(pw_needs_rehash(h, "scrypt"), "bcrypt -> scrypt needs rehash");

	/* yescrypt */
	is_int(pw_hash("yescrypt:1", "secret", 6, h, sizeof(h)), AG_OK,
	    "yescrypt hash");
	ok(strncmp(h, "$y$j75$", 7) == 0, "yescrypt form $y$j75$");
	ok(vfy(h, "secret") && !vfy(h, "secreu"), "yescrypt verify");
	ok(!pw_needs_rehash(h, "yescrypt:1"), "yescrypt:1 needs no rehash");
	ok(pw_needs_rehash(h, "yescrypt"), "yescrypt:1 vs default: rehash");

	/* scrypt rehash */
	is_int(pw_hash("scrypt:ln=4,r=8,p=1", "secret", 6, h, sizeof(h)),
	    AG_OK, "scrypt ln=4");
	ok(!pw_needs_rehash(h, "scrypt:ln=4"), "same scrypt: no rehash");
	ok(pw_needs_rehash(h, "scrypt:ln=5"), "scrypt ln differs: rehash");
	ok(pw_needs_rehash(h, "scrypt:ln=4,r=4"), "scrypt r differs");
	ok(pw_needs_rehash(h, "scrypt"), "scrypt default differs");
	ok(pw_needs_rehash(h, "bcrypt"), "scrypt -> bcrypt");
	ok(pw_needs_rehash(known[2].hash, "scrypt"), "$6$ always rehashed");
	ok(pw_needs_rehash("$2a$04$phonQAaRODfUY0qof6nYCepohZs5Q5JgIj4ww.38"
	    "VZ1yXjTD2ZYn.", "bcrypt:4"), "$2a$ rehashed");
	ok(!pw_needs_rehash(known[1].hash, "bcrypt:4"),
	    "$2y$04$ equals bcrypt:4");

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		snprintf(why, sizeof(why), "%s verifies", known[i].what);
		ok(vfy(known[i].hash, "secret"), why);
		snprintf(why, sizeof(why), "%s wrong password", known[i].what);
		ok(!vfy(known[i].hash, "secrets"), why);
		snprintf(why, sizeof(why), "%s supported", known[i].what);
		ok(pw_supported(known[i].hash, &w) && w == NULL, why);
	}

	t0 = now();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(why, sizeof(why), "bad hash %zu refused: %.40s", i,
		    bad[i]);
		why[strcspn(why, "\n")] = '\0';
		ok(!vfy(bad[i], "secret") && !pw_supported(bad[i], &w) &&
		    w != NULL, why);
	}
	t1 = now();
	ok(t1 - t0 < 0.5, "all bad hashes refused before any work");
	ok(!pw_verify(NULL, "x", 1), "NULL hash");
	memset(h, 'a', sizeof(h));
	h[sizeof(h) - 1] = '\0';
	ok(!pw_supported(h, &w), "hash over AG_HASH_MAX refused");

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		w = NULL;
		(void)pw_supported(reasons[i].hash, &w);
		snprintf(why, sizeof(why), "reason for %.20s names %s",
		    reasons[i].hash, reasons[i].word);
		ok(w != NULL && strstr(w, reasons[i].word) != NULL, why);
		if (w != NULL)
			printf("# %s\n", w);
	}

	/* pw_dummy spends about the time of a real verification */
	is_int(pw_hash("bcrypt:6", "secret", 6, h, sizeof(h)), AG_OK,
	    "bcrypt:6 hash");
	pw_dummy("bcrypt:6", "x", 1);	/* fills the cache */
	t0 = now();
	(void)vfy(h, "wrong");
	t1 = now();
	pw_dummy("bcrypt:6", "wrong", 5);
	t2 = now();
	ok(t2 - t1 > (t1 - t0) * 0.3, "pw_dummy costs a verification");
	printf("# verify %.1f ms, dummy %.1f ms\n", (t1 - t0) * 1e3,
	    (t2 - t1) * 1e3);

	/* threads: pthread_once fetch and crypt_r state per call */
	is_int(pw_hash("scrypt:ln=4", "secret", 6, h, sizeof(h)), AG_OK,
	    "scrypt for threads");
	is_int(pw_hash("bcrypt:4", "secret", 6, h2, sizeof(h2)), AG_OK,
	    "bcrypt for threads");
	for (i = 0; i < 4; i++) {
		th[i].hash = i % 2 ? h2 : h;
		th[i].good = 0;
		if (pthread_create(&tid[i], NULL, thr_main, &th[i]) != 0)
			th[i].good = -100;
	}
	for (i = 0; i < 4; i++)
		if (th[i].good != -100)
			pthread_join(tid[i], NULL);
	ok(th[0].good + th[1].good + th[2].good + th[3].good == 20,
	    "4 threads verify concurrently");

	is_int(pw_hash("scrypt:ln=4", "secret", 6, h, sizeof(h)), AG_OK,
	    "scrypt for passlib");
	passlib_interop(h);
	test_exact();
	return done_testing();
}
