#!/bin/sh
# Browser sessions at the guard, through lighttpd with
# etc/lighttpd/authgate-authorizer.conf unchanged (SPEC "Browser
# sign-in"): the session cookie opens /private/ as a bearer token does
# (REMOTE_USER, AUTHGATE_SCOPE); a browser without credentials is sent
# to login_url with rd, a script gets 401; /auth takes the cookie,
# /protected does not; an access token is no cookie and a session no
# bearer token.  Account binding: user passwd, lock and del end every
# session of the account at once, also with 50 requests in flight while
# passwd runs; a name deleted and added again has none; a failure to
# end them is reported and changes nothing.  Sessions are minted by
# tests/mksession (as /login would) since the pages are not this test's.
. "$top_srcdir/tests/integ/lib.sh"

MKSESSION=$top_builddir/tests/mksession
CONCURRENT=50		# requests with the cookie while passwd runs
ROUNDS_MAX=1000	# requests each of them sends at most

ag_require_bins
ag_require_cmd lighttpd curl htpasswd
[ -x "$MKSESSION" ] || skip_all "tests/mksession not built"
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"
ag_user bob bob-pw "read"

mkdir -p "$AG_TMP/www/private/admin"
echo "the guarded file" >"$AG_TMP/www/private/hello.txt"
echo "admins only" >"$AG_TMP/www/private/admin/secret.txt"
ag_whoami_cgi "$AG_TMP/www/private"
AG_LIGHTTPD_AFTER=$AG_LIGHTTPD_CGI
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-authorizer.conf"

mint()
{
	"$MKSESSION" "$AG_CONF" "$1" 2>>"$AG_TMP/mksession.log"
}

HTML='Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
S1=$(mint alice)
isnt "$S1" "" "a session of alice (mksession)"

ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 200 "guarded file with the session cookie: 200"
is "$AG_BODY" "the guarded file" "  its content"
ag_http GET /private/whoami.cgi -H "Cookie: a=1; authgate_session=$S1; b=2"
like "$AG_BODY" '^REMOTE_USER=alice$' "CGI behind it: REMOTE_USER"
like "$AG_BODY" '^AUTHGATE_SCOPE=read write$' "CGI behind it: AUTHGATE_SCOPE"
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 403 "scope admin required, the session lacks it: 403"

ag_http GET '/private/hello.txt?a=1&b=x%2Fy' -H "$HTML"
is "$AG_STATUS" 302 "a browser without credentials: 302"
is "$(ag_header Location)" '/oauth/login?rd=/private/hello.txt%3Fa%3D1%26b%3Dx%252Fy' \
    "  to login_url with rd = the request URI, percent-encoded"
is "$(ag_header Cache-Control)" "no-store" "  Cache-Control: no-store"
unlike "$AG_BODY" 'the guarded file' "  the file not served"
ag_http GET /private/hello.txt -H "Accept: application/json"
is "$AG_STATUS" 401 "a script without credentials (Accept JSON): 401"
is "$(ag_header WWW-Authenticate)" 'Bearer realm="authgate"' \
    "  with the Bearer challenge"
ag_http GET /private/hello.txt
is "$AG_STATUS" 401 "curl's Accept */*: 401"
# One signature character changed, never to itself (a fixed "A" did
# nothing to a token that ended in "A").
TAMPERED=$(printf '%s' "$S1" | awk '{ i = length($0) - 9; c = substr($0, i, 1);
    printf "%s%s%s", substr($0, 1, i - 1), (c == "A" ? "B" : "A"),
    substr($0, i + 1) }')
isnt "$TAMPERED" "$S1" "the tampered cookie is not the cookie"
ag_http GET /private/hello.txt -H "$HTML" \
    -H "Cookie: authgate_session=$TAMPERED"
is "$AG_STATUS" 302 "a browser with a tampered cookie: 302 (no credentials)"
ag_http GET /private/hello.txt -H "$HTML" \
    -H "Cookie: authgate_session=$S1; authgate_session=$S1"
is "$AG_STATUS" 302 "the cookie twice: refused (302)"

ag_http GET /auth -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 200 "/auth with the cookie: 200"
is "$(ag_header X-Auth-Request-User)" alice "  X-Auth-Request-User"
ag_http GET /auth -H "$HTML"
is "$AG_STATUS" 401 "/auth, a browser without credentials: 401 (error_page)"
ag_http GET /protected -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 401 "/protected with the cookie: 401 (bearer only)"

TOKEN=$(ag_token alice alice-pw)
ag_http GET /private/hello.txt -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "an access token as a bearer token: 200"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$TOKEN"
is "$AG_STATUS" 401 "the access token as the cookie: 401"
ag_http GET /private/hello.txt -H "Authorization: Bearer $S1"
is "$AG_STATUS" 401 "the session as a bearer token: 401"
like "$(ag_header WWW-Authenticate)" 'wrong token type' "  wrong token type"

# Account binding: each change ends the sessions at once.
SB=$(mint bob)
printf 'alice-pw-2\n' | ag_ctl user passwd alice --password-stdin \
    >/dev/null 2>&1
is $? 0 "user passwd alice"
ag_http GET /private/hello.txt -H "$HTML" -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 302 "  alice's session: ended at once (302)"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S1"
is "$AG_STATUS" 401 "  (401 for a script)"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$SB"
is "$AG_STATUS" 200 "  bob's goes on"
S2=$(mint alice)
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S2"
is "$AG_STATUS" 200 "a session after the change: 200"

ag_ctl user lock alice >/dev/null 2>&1
is $? 0 "user lock alice"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S2"
is "$AG_STATUS" 401 "  alice's session: ended at once"
ag_ctl user unlock alice >/dev/null 2>&1
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S2"
is "$AG_STATUS" 401 "  unlock does not revive it"
S3=$(mint alice)
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S3"
is "$AG_STATUS" 200 "a session after unlock: 200"

ag_ctl user del alice >/dev/null 2>&1
is $? 0 "user del alice"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S3"
is "$AG_STATUS" 401 "  alice's session: ended at once"
ag_user alice alice-pw-3 "read write admin"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S3"
is "$AG_STATUS" 401 "added again: the old account's session stays ended"
S4=$(mint alice)
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S4"
is "$AG_STATUS" 200 "  the new account's own session: 200"

# A failure to end the sessions is reported, and nothing changes.
sed "s|^state_db *=.*|state_db = $AG_TMP/missing/state.db|" "$AG_CONF" \
    >"$AG_TMP/broken.conf"
BEFORE=$(ag_ctl user show alice | grep '^changed:')
for cmd in passwd lock del; do
	if [ $cmd = passwd ]; then
		printf 'alice-pw-4\n' | "$AG_CTL" -c "$AG_TMP/broken.conf" \
		    user passwd alice --password-stdin
	else
		"$AG_CTL" -c "$AG_TMP/broken.conf" user $cmd alice
	fi >"$AG_TMP/broken.out" 2>&1
	is $? 1 "state_db unwritable: user $cmd exits 1"
	like "$(cat "$AG_TMP/broken.out")" 'cannot end its browser sessions' \
	    "  and says why"
done
is "$(ag_ctl user show alice | grep '^changed:')" "$BEFORE" \
    "  the account is unchanged"
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S4"
is "$AG_STATUS" 200 "  and its session goes on"

# user import: a password it changes ends that account's sessions, as
# user passwd does; the other accounts' go on.  A failure to end them
# stores nothing.
S6=$(mint bob)
htpasswd -nbB -C 4 alice 'alice-pw-5' >"$AG_TMP/import.htpasswd"
"$AG_CTL" -c "$AG_TMP/broken.conf" user import "$AG_TMP/import.htpasswd" \
    >"$AG_TMP/broken.out" 2>&1
is $? 1 "state_db unwritable: user import changing alice's password exits 1"
like "$(cat "$AG_TMP/broken.out")" 'alice.*cannot end its browser sessions' \
    "  and says why"
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S4"
is "$AG_STATUS" 200 "  alice's session goes on"
ag_ctl user import "$AG_TMP/import.htpasswd" >/dev/null 2>&1
is $? 0 "user import changing alice's password"
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S4"
is "$AG_STATUS" 401 "  alice's session: ended at once"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S6"
is "$AG_STATUS" 200 "  bob's (not in the file) goes on"
S4=$(mint alice)
ag_ctl user import "$AG_TMP/import.htpasswd" >/dev/null 2>&1
ag_http GET /private/admin/secret.txt -H "Cookie: authgate_session=$S4"
is "$AG_STATUS" 200 "the same file again (no password changed): the session goes on"

# 50 requests with the cookie released together while passwd runs: any
# request sent after passwd returned is refused.  passwd hashes at a
# higher cost here (the same files), so that it runs among them.
S5=$(mint bob)
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S5"
is "$AG_STATUS" 200 "a session of bob: 200"
sed "s|^password_hash *=.*|password_hash = scrypt:ln=15,r=8,p=1|" \
    "$AG_CONF" >"$AG_TMP/slow.conf"
"$AG_PY" - "$AG_URL/private/hello.txt" "$S5" "$CONCURRENT" "$ROUNDS_MAX" \
    "$AG_CTL" "$AG_TMP/slow.conf" >"$AG_TMP/race.out" 2>&1 <<'EOF'
import subprocess, sys, threading, urllib.request, urllib.error

url, cookie, n, rounds, ctl, conf = sys.argv[1:7]
n, rounds = int(n), int(rounds)
start = threading.Barrier(n + 1)
done = threading.Event()
lock = threading.Lock()
seen = {"before": 0, "before_ok": 0, "after": 0, "after_ok": 0, "errors": 0}

def one():
    req = urllib.request.Request(url, headers={
        "Cookie": "authgate_session=" + cookie})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return 0

def worker():
    start.wait()
    for _ in range(rounds):
        after = done.is_set()	# read before the request is sent
        status = one()
        with lock:
            k = "after" if after else "before"
            seen[k] += 1
            if status == 200:
                seen[k + "_ok"] += 1
            elif status != 401:
                seen["errors"] += 1
        if after:
            break

threads = [threading.Thread(target=worker) for _ in range(n)]
for t in threads:
    t.start()
start.wait()
p = subprocess.run([ctl, "-c", conf, "user", "passwd", "bob",
    "--password-stdin"], input=b"bob-pw-2\n", capture_output=True)
done.set()
for t in threads:
    t.join()
print("passwd_rc=%d" % p.returncode)
for k in sorted(seen):
    print("%s=%d" % (k, seen[k]))
EOF
diag "$(tr '\n' ' ' <"$AG_TMP/race.out")"
like "$(cat "$AG_TMP/race.out")" '^passwd_rc=0$' \
    "user passwd bob while $CONCURRENT requests run: exit 0"
like "$(cat "$AG_TMP/race.out")" '^before_ok=[1-9]' \
    "  requests succeeded while it ran"
like "$(cat "$AG_TMP/race.out")" "^after=$CONCURRENT\$" \
    "  each sent one more after it returned"
like "$(cat "$AG_TMP/race.out")" '^after_ok=0$' \
    "  none of them succeeded"
like "$(cat "$AG_TMP/race.out")" '^errors=0$' "  every answer 200 or 401"
ag_http GET /private/hello.txt -H "Cookie: authgate_session=$S5"
is "$AG_STATUS" 401 "  the session is ended"

ag_stop_all
ag_no_sanitizer_reports
ag_done
