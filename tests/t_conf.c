/*
 * conf: defaults, a good file, every kind of bad line (with the line
 * number in the message), limits at the edge and one over, and files
 * that are not what they claim (too big, a directory, missing).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/conf.h"
#include "tap.h"

static char	 why[512];

static enum ag_err
parse(struct conf *c, const char *text)
{
	conf_defaults(c);
	return conf_parse(c, text, strlen(text), "/etc/ag/test.conf", why,
	    sizeof(why));
}

/* Lines that must be refused, and a piece of the message expected. */
static const struct {
	const char	*text;
	const char	*want;
} bad[] = {
	{ "bogus = 1\n", "test.conf:1: unknown key \"bogus\"" },
	{ "# c\n\nissuer = a\nissuer = b\n", "test.conf:4: issuer: given twice" },
	{ "issuer\n", ":1: expected \"key = value\"" },
	{ "= x\n", ":1: missing key" },
	{ "issuer =\n", ":1: issuer: empty value" },
	{ "issuer = # only a comment\n", ":1: issuer: empty value" },
	{ "user_db =\n", "user_db: empty value" },
	{ "algorithm = none\n", "is not HS256, RS256, ES256 or EdDSA" },
	{ "algorithm = hs256\n", "algorithm:" },
	{ "algorithm = HS512\n", "algorithm:" },
	{ "access_token_ttl = 0\n", "access_token_ttl: not a whole number" },
	{ "access_token_ttl = 31536001\n", "access_token_ttl:" },
	{ "access_token_ttl = -5\n", "access_token_ttl:" },
	{ "access_token_ttl = +5\n", "access_token_ttl:" },
	{ "access_token_ttl = 5s\n", "access_token_ttl:" },
	{ "access_token_ttl = 0x10\n", "access_token_ttl:" },
	{ "access_token_ttl = 99999999999999999999999\n",
	    "access_token_ttl:" },
	{ "access_token_ttl = 9223372036854775808\n", "access_token_ttl:" },
	{ "access_token_ttl = 1 2\n", "access_token_ttl:" },
	{ "refresh_token_ttl = -1\n", "refresh_token_ttl:" },
	{ "leeway = 301\n", "leeway:" },
	{ "max_body = 63\n", "max_body:" },
	{ "max_body = 1048577\n", "max_body:" },
	{ "lockout_threshold = 1000001\n", "lockout_threshold:" },
	{ "lockout_seconds = 0\n", "lockout_seconds:" },
	{ "lockout_seconds = 86401\n", "lockout_seconds:" },
	{ "threads = 0\n", "threads:" },
	{ "threads = 65\n", "threads:" },
	{ "jwks_max_age = 604801\n", "jwks_max_age:" },
	{ "verify_only = true\n", "verify_only: not yes or no" },
	{ "password_hash = md5\n", "password_hash:" },
	{ "password_hash = scrypt:ln=99,r=8,p=1\n", "password_hash:" },
	{ "default_scope = read\twrite\n", "default_scope:" },
	{ "default_scope = read  write\n", "default_scope:" },
	{ "default_scope = read\"\n", "default_scope:" },
	{ "default_client_id = a b\n", "default_client_id: not a client id" },
	{ "default_client_id = a:b\n", "default_client_id: not a client id" },
	{ "default_client_id = \xff\n", "default_client_id: not a client id" },
	{ "realm = a\"b\n", "realm: '\"' and '\\' are not allowed" },
	{ "issuer = a\tb\n", "issuer: control character" },
	{ "issuer = a\x01" "b\n", "issuer: control character" },
	{ "issuer = a\x7f\n", "issuer: control character" },
	{ "realm = ok\nleeway = 1\n\nmax_body=1\n", "test.conf:4: max_body:" },
	{ "Issuer = x\n", "unknown key \"Issuer\"" },
	/* Browser sign-in: where the guard and /login send a browser. */
	{ "login_url = oauth/login\n", "login_url: not a path" },
	{ "login_url = //evil.example/login\n", "login_url: not a path" },
	{ "login_url = /\\evil.example\n", "login_url:" },
	{ "login_url = javascript:alert(1)\n", "login_url: not a path" },
	{ "login_url = ftp://host/login\n", "login_url: not a path" },
	{ "login_url = https://\n", "login_url: not a path" },
	{ "login_url = https:///login\n", "login_url: not a path" },
	{ "login_url = /oauth/log in\n", "login_url: not a path" },
	{ "login_url = /oauth/login#x\n", "login_url: not a path" },
	{ "login_url = /oauth/l\xc3\xa9\n", "login_url: not a path" },
	{ "login_url = /a\tb\n", "login_url: control character" },
	{ "login_redirect = //evil.example\n", "login_redirect: not a path" },
	{ "login_redirect = /\\evil.example\n", "login_redirect:" },
	{ "login_redirect = https://example.org/\n",
	    "login_redirect: not a path" },
	{ "login_redirect = home\n", "login_redirect: not a path" },
	{ "login_redirect = /a b\n", "login_redirect: not a path" },
	{ "session_ttl = 59\n", "session_ttl: not a whole number" },
	{ "session_ttl = 31536001\n", "session_ttl:" },
};

static void
test_defaults(void)
{
	struct conf	 c;

	conf_defaults(&c);
	ok(strstr(c.user_db, "/lib/authgate/users.db") != NULL &&
	    c.user_db[0] == '/', "default user_db under localstatedir");
	ok(strstr(c.state_db, "/lib/authgate/state.db") != NULL,
	    "default state_db");
	ok(strstr(c.key_file, "/authgate/signing.key") != NULL,
	    "default key_file");
	ok(strstr(c.key_dir, "/authgate/keys") != NULL, "default key_dir");
	is_str(c.jwks_file, "", "default jwks_file empty");
	is_int(c.algorithm, AG_HS256, "default algorithm HS256");
	is_str(c.issuer, "authgate", "default issuer");
	is_str(c.audience, "", "default audience none");
	is_int(c.access_token_ttl, 900, "default access_token_ttl");
	is_int(c.refresh_token_ttl, 1209600, "default refresh_token_ttl");
	is_int(c.leeway, 30, "default leeway");
	is_str(c.realm, "authgate", "default realm");
	is_int(c.max_body, 8192, "default max_body");
	is_int(c.lockout_threshold, 5, "default lockout_threshold");
	is_int(c.lockout_seconds, 300, "default lockout_seconds");
	is_str(c.password_hash, "scrypt", "default password_hash");
	is_str(c.default_scope, "", "default default_scope");
	is_str(c.default_client_id, "default", "default default_client_id");
	is_int(c.verify_only, 0, "default verify_only");
	ok(c.threads >= 1 && c.threads <= CONF_THREADS_DEFAULT_MAX,
	    "default threads within 1..8");
	is_int(c.jwks_max_age, 300, "default jwks_max_age");
}

static void
test_good(void)
{
	struct conf	 c;
	const char	*text =
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "user_db = users.db\n"
	    "state_db=/var/x/state.db\n"
	    "\tkey_file\t=\tkeys/sign.key   # trailing comment\n"
	    "key_dir = /k\n"
	    "jwks_file =\n"
	    "algorithm = EdDSA\r\n"
	    "issuer = https://auth.example.org/#frag\n"
	    "audience = api\n"
	    "access_token_ttl = 31536000\n"
	    "refresh_token_ttl = 0\n"
	    "leeway = 300\n"
	    "realm = my realm\n"
	    "max_body = 64\n"
	    "lockout_threshold = 1000000\n"
	    "lockout_seconds = 86400\n"
	    "password_hash = scrypt:ln=4,r=8,p=1\n"
	    "default_scope = read write\n"
	    "default_client_id = web-app\n"
	    "verify_only = yes\n"
	    "threads = 64\n"
	    "jwks_max_age = 0";		/* no final newline */

	is_int(parse(&c, text), AG_OK, "good file parses");
	is_str(why, "", "no message on success");
	is_str(c.user_db, "/etc/ag/users.db", "relative path joins the "
	    "file's directory");
	is_str(c.state_db, "/var/x/state.db", "absolute path kept");
	is_str(c.key_file, "/etc/ag/keys/sign.key", "tabs and trailing "
	    "comment stripped");
	is_str(c.jwks_file, "", "jwks_file may be empty");
	is_int(c.algorithm, AG_EDDSA, "algorithm EdDSA, CRLF line");
	is_str(c.issuer, "https://auth.example.org/#frag", "'#' inside a "
	    "value kept");
	is_str(c.audience, "api", "audience");
	is_int(c.access_token_ttl, 31536000, "ttl at its maximum");
	is_int(c.refresh_token_ttl, 0, "refresh disabled");
	is_int(c.leeway, 300, "leeway at its maximum");
	is_str(c.realm, "my realm", "inner space kept");
	is_int(c.max_body, 64, "max_body at its minimum");
	is_int(c.lockout_threshold, 1000000, "threshold at its maximum");
	is_int(c.lockout_seconds, 86400, "lockout_seconds at its maximum");
	is_str(c.password_hash, "scrypt:ln=4,r=8,p=1", "password_hash");
	is_str(c.default_scope, "read write", "default_scope");
	is_str(c.default_client_id, "web-app", "default_client_id");
	is_int(c.verify_only, 1, "verify_only yes");
	is_int(c.threads, 64, "threads at its maximum");
	is_int(c.jwks_max_age, 0, "last line without newline");

	/* A name without a directory leaves relative paths alone. */
	conf_defaults(&c);
	is_int(conf_parse(&c, "user_db = u.db\n", 15, "a.conf", why,
	    sizeof(why)), AG_OK, "relative name parses");
	is_str(c.user_db, "u.db", "no directory to join");
	is_int(parse(&c, ""), AG_OK, "empty file is all defaults");
	is_int(c.leeway, 30, "defaults kept");
	is_int(parse(&c, "verify_only = no\n"), AG_OK, "verify_only no");
	is_int(c.verify_only, 0, "verify_only no value");
	is_int(parse(&c, "refresh_token_ttl = 31536000\nleeway = 0\n"),
	    AG_OK, "zero and max");

	/* Browser sign-in. */
	is_str(c.login_url, "/oauth/login", "default login_url");
	is_str(c.login_redirect, "/", "default login_redirect");
	is_int(c.session_ttl, 28800, "default session_ttl");
	is_int(parse(&c, "login_url = https://sso.example.org/oauth/login?a=1\n"
	    "login_redirect = /app/?x=1#top\nsession_ttl = 60\n"), AG_OK,
	    "login_url an https URL, login_redirect a path, session_ttl 60");
	is_str(c.login_url, "https://sso.example.org/oauth/login?a=1",
	    "  login_url");
	is_str(c.login_redirect, "/app/?x=1#top", "  login_redirect");
	is_int(c.session_ttl, 60, "  session_ttl at its minimum");
	is_int(parse(&c, "login_url = http://127.0.0.1:8080/login\n"
	    "session_ttl = 31536000\n"), AG_OK,
	    "login_url an http URL with a port; session_ttl at its maximum");
	is_int(parse(&c, "login_url = /\nlogin_redirect = /\n"), AG_OK,
	    "login_url and login_redirect \"/\"");
}

static void
test_bad(void)
{
	struct conf	 c, before;
	size_t		 i;
	char		 name[128];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(name, sizeof(name), "refused: %.60s",
		    bad[i].text);
		name[strcspn(name, "\n")] = '\0';
		is_int(parse(&c, bad[i].text), AG_EINVAL, name);
		if (!ok(strstr(why, bad[i].want) != NULL, "  message")) {
			printf("#   got '%s'\n#   want '%s'\n", why,
			    bad[i].want);
		}
	}

	/* A bad file leaves the configuration as it was. */
	conf_defaults(&before);
	c = before;
	(void)conf_parse(&c, "issuer = changed\nbogus = 1\n", 27, "x", why,
	    sizeof(why));
	is_str(c.issuer, "authgate", "refused file changes nothing");
	ok(memcmp(&c, &before, sizeof(c)) == 0, "whole struct untouched");
}

/*
 * Whole messages, byte for byte, for the refusals the table above only
 * matches in part or not at all: what an operator reads must not drift.
 */
static const struct {
	const char	*text;
	const char	*want;
} exact[] = {
	{ "log_format = xml\n", "f:1: log_format: not text or json" },
	{ "default_scope = a  b\n", "f:1: default_scope: not a list of "
	    "scope names separated by single spaces" },
	{ "password_hash = md5\n", "f:1: password_hash: unknown password_hash "
	    "scheme (scrypt, bcrypt, yescrypt)" },
	{ "login_url = a\n", "f:1: login_url: not a path (\"/...\") or an "
	    "http(s) URL, without spaces or \"#\"" },
	{ "login_redirect = a\n", "f:1: login_redirect: not a path on this "
	    "site (\"/...\", not \"//\"), without spaces" },
	{ "algorithm = x\n", "f:1: algorithm: \"x\" is not HS256, RS256, "
	    "ES256 or EdDSA" },
	{ "leeway = 301\n", "f:1: leeway: not a whole number from 0 to 300" },
	{ "verify_only = 1\n", "f:1: verify_only: not yes or no" },
	{ "realm = \\\n", "f:1: realm: '\"' and '\\' are not allowed" },
	{ "issuer = \x01\n", "f:1: issuer: control character in value" },
	{ "log_format =\n", "f:1: log_format: empty value" },
	{ "default_client_id = a,b\n", "f:1: default_client_id: not a client "
	    "id (1 to 128 bytes of UTF-8 without spaces, ':' or ',')" },
};

/* Each string field one byte over its size. */
static const struct {
	const char	*key;
	char		 ch;
	size_t		 len;
	const char	*want;
} over[] = {
	{ "issuer", 'a', CONF_VALUE_MAX,
	    "f:1: issuer: value longer than 1023 bytes" },
	{ "default_scope", 's', AG_SCOPE_MAX + 1,
	    "f:1: default_scope: longer than 1024 bytes" },
	{ "metrics_allow", '1', CONF_VALUE_MAX,
	    "f:1: metrics_allow: longer than 1023 bytes" },
	{ "login_url", 'a', CONF_VALUE_MAX,
	    "f:1: login_url: longer than 1023 bytes" },
	{ "login_redirect", 'a', CONF_VALUE_MAX,
	    "f:1: login_redirect: longer than 1023 bytes" },
	{ "password_hash", 'a', CONF_VALUE_MAX,
	    "f:1: password_hash: value too long" },
};

/* key = a value of n bytes of ch, as one line. */
static enum ag_err
parse_long_value(struct conf *c, const char *key, char ch, size_t n)
{
	static char	 text[CONF_LINE_MAX + 1];
	size_t		 len;

	len = (size_t)snprintf(text, sizeof(text), "%s = ", key);
	if (len + n > CONF_LINE_MAX)
		return AG_EINVAL;
	memset(text + len, ch, n);
	text[len + n] = '\0';
	conf_defaults(c);
	return conf_parse(c, text, len + n, "f", why, sizeof(why));
}

static void
test_exact(void)
{
	struct conf	 c;
	size_t		 i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		conf_defaults(&c);
		is_int(conf_parse(&c, exact[i].text, strlen(exact[i].text),
		    "f", why, sizeof(why)), AG_EINVAL, exact[i].want);
		is_str(why, exact[i].want, "  whole message");
	}

	/* One byte over each string field, with its own message. */
	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		is_int(parse_long_value(&c, over[i].key, over[i].ch,
		    over[i].len), AG_EINVAL, over[i].want);
		is_str(why, over[i].want, "  whole message");
	}

	/* Values that convert, and audit_log's two words and its path. */
	is_int(parse(&c, "log_format = json\n"), AG_OK, "log_format json");
	is_int(c.log_json, 1, "  log_json set");
	is_int(parse(&c, "log_format = text\n"), AG_OK, "log_format text");
	is_int(c.log_json, 0, "  log_json clear");
	is_int(parse(&c, "audit_log = off\n"), AG_OK, "audit_log off");
	is_str(c.audit_log, "off", "  kept as the word");
	is_int(parse(&c, "audit_log = syslog\n"), AG_OK, "audit_log syslog");
	is_str(c.audit_log, "syslog", "  kept as the word");
	is_int(parse(&c, "audit_log = a.log\n"), AG_OK, "audit_log path");
	is_str(c.audit_log, "/etc/ag/a.log", "  joined to the directory");
	is_int(parse(&c, "verify_only = yes\n"), AG_OK, "verify_only yes");
	is_int(c.verify_only, 1, "  set");
}

static void
test_hostile(void)
{
	struct conf	 c;
	char		*big;
	size_t		 n;

	/* A line of exactly CONF_LINE_MAX bytes is fine; one more is not. */
	big = malloc(CONF_FILE_MAX + 2);
	if (big == NULL)
		return;
	n = (size_t)snprintf(big, 64, "issuer = ");
	memset(big + n, 'a', CONF_LINE_MAX - n);
	big[CONF_LINE_MAX] = '\0';
	conf_defaults(&c);
	is_int(conf_parse(&c, big, CONF_LINE_MAX, "f", why, sizeof(why)),
	    AG_EINVAL, "line of CONF_LINE_MAX: value over CONF_VALUE_MAX");
	ok(strstr(why, "issuer: value longer") != NULL, "  says too long");
	memset(big, '#', CONF_LINE_MAX + 1);
	is_int(conf_parse(&c, big, CONF_LINE_MAX, "f", why, sizeof(why)),
	    AG_OK, "comment line of CONF_LINE_MAX bytes");
	is_int(conf_parse(&c, big, CONF_LINE_MAX + 1, "f", why, sizeof(why)),
	    AG_EINVAL, "line of CONF_LINE_MAX + 1 bytes");
	ok(strstr(why, "f:1: line longer than") != NULL, "  says so");

	/* default_scope at AG_SCOPE_MAX and one over. */
	n = (size_t)snprintf(big, 64, "default_scope = ");
	memset(big + n, 's', AG_SCOPE_MAX);
	big[n + AG_SCOPE_MAX] = '\0';
	conf_defaults(&c);
	is_int(conf_parse(&c, big, strlen(big), "f", why, sizeof(why)),
	    AG_OK, "default_scope of AG_SCOPE_MAX bytes");
	is_int(strlen(c.default_scope), AG_SCOPE_MAX, "  kept whole");
	big[n + AG_SCOPE_MAX] = 's';
	big[n + AG_SCOPE_MAX + 1] = '\0';
	is_int(conf_parse(&c, big, strlen(big), "f", why, sizeof(why)),
	    AG_EINVAL, "default_scope one byte over");

	/* A path that would not fit PATH_MAX after joining. */
	n = (size_t)snprintf(big, 64, "user_db = ");
	memset(big + n, 'p', CONF_LINE_MAX - n);
	big[CONF_LINE_MAX] = '\0';
	is_int(conf_parse(&c, big, strlen(big), "/a/directory/name/f", why,
	    sizeof(why)), AG_EINVAL, "path over PATH_MAX once joined");
	ok(strstr(why, "path too long") != NULL, "  says so");

	/* NUL bytes, with the line they are on. */
	is_int(conf_parse(&c, "issuer = a\nrealm = b\0c\n", 22, "f", why,
	    sizeof(why)), AG_EINVAL, "NUL byte refused");
	is_str(why, "f:2: NUL byte", "  on line 2");

	/* Size limit, before anything is parsed. */
	memset(big, '\n', CONF_FILE_MAX + 1);
	is_int(conf_parse(&c, big, CONF_FILE_MAX, "f", why, sizeof(why)),
	    AG_OK, "file of CONF_FILE_MAX blank lines");
	is_int(conf_parse(&c, big, CONF_FILE_MAX + 1, "f", why, sizeof(why)),
	    AG_EINVAL, "file one byte over CONF_FILE_MAX");
	ok(strstr(why, "larger than") != NULL, "  says so");

	/* Every key twice in a row: the second is named. */
	is_int(parse(&c, "leeway = 1\nleeway = 1\n"), AG_EINVAL,
	    "duplicate with the same value still refused");

	/* A tiny message buffer is never overrun. */
	conf_defaults(&c);
	memset(why, 'X', sizeof(why));
	(void)conf_parse(&c, "bogus = 1\n", 10, "f", why, 8);
	is_int(strlen(why), 7, "message truncated to the buffer");
	is_int(why[8], 'X', "  nothing written past it");
	free(big);
}

static void
test_files(void)
{
	struct conf	 c;
	char		 dir[] = "/tmp/t_conf.XXXXXX", path[PATH_MAX];
	int		 fd;
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/missing.conf", dir);
	conf_defaults(&c);
	is_int(conf_load(&c, path, why, sizeof(why)), AG_ENOENT,
	    "missing file is AG_ENOENT");
	ok(strstr(why, "missing.conf: ") != NULL, "  names the file");

	is_int(conf_load(&c, dir, why, sizeof(why)), AG_EINVAL,
	    "a directory is refused");
	ok(strstr(why, "not a regular file") != NULL, "  says so");

	(void)snprintf(path, sizeof(path), "%s/a.conf", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("user_db = db/users.db\nleeway = 7\n", f);
		fclose(f);
	}
	is_int(conf_load(&c, path, why, sizeof(why)), AG_OK, "file loads");
	is_int(c.leeway, 7, "  value read");
	ok(strncmp(c.user_db, dir, strlen(dir)) == 0 &&
	    strcmp(c.user_db + strlen(dir), "/db/users.db") == 0,
	    "  relative to the file's directory");

	if ((f = fopen(path, "w")) != NULL) {
		fputs("leeway = 7\nleeway = 8\n", f);
		fclose(f);
	}
	is_int(conf_load(&c, path, why, sizeof(why)), AG_EINVAL,
	    "bad file refused");
	ok(strstr(why, "a.conf:2: leeway: given twice") != NULL,
	    "  file:line: reason");

	/* Too big by size, checked before reading. */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd != -1) {
		if (ftruncate(fd, CONF_FILE_MAX + 1) == -1)
			ok(0, "ftruncate");
		close(fd);
	}
	is_int(conf_load(&c, path, why, sizeof(why)), AG_EINVAL,
	    "file over 1 MiB refused");
	ok(strstr(why, "larger than") != NULL, "  says so");
	(void)unlink(path);
	(void)rmdir(dir);

	/* conf_path: -c first, then $AUTHGATE_CONF, then the default. */
	(void)setenv("AUTHGATE_CONF", "/env.conf", 1);
	is_str(conf_path("/opt.conf"), "/opt.conf", "conf_path -c wins");
	is_str(conf_path(NULL), "/env.conf", "conf_path environment");
	(void)unsetenv("AUTHGATE_CONF");
	ok(strstr(conf_path(NULL), "/authgate/authgate.conf") != NULL,
	    "conf_path default");
}

int
main(void)
{
	test_defaults();
	test_good();
	test_bad();
	test_hostile();
	test_exact();
	test_files();
	return done_testing();
}
