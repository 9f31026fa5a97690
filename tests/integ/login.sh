#!/bin/sh
# The sign-in page (SPEC "Browser sign-in") through lighttpd with the
# shipped etc/lighttpd/authgate.conf and four authgate processes: the
# form and its headers, the CSRF cookie and field, refusals (no token,
# another Origin, Sec-Fetch-Site cross-site), the message of a wrong
# password, the open redirects of issue 15 end to end, 50 wrong
# passwords released together through /login (at most
# lockout_threshold checked, then the right one refused), /token and
# /login counting failures together, and sign-in (303 to rd, or to
# login_redirect for a bad one), the session page, sign-out and the
# ended session's cookie replayed.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py
ag_tmpdir

AUDIT=$AG_TMP/audit.log
ag_setup_conf lockout_threshold=5 lockout_seconds=300 "audit_log = $AUDIT"
ag_init
ag_user ann ann-pw "read"
ag_user lee lee-pw "read"
ag_user kay kay-pw "read"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    'var.authgate_procs := 4'
LOG=$AG_TMP/lighttpd.log
JAR=$AG_TMP/cookies

# csrf_of_page: the value of the hidden field csrf of the last body.
csrf_of_page()
{
	printf '%s\n' "$AG_BODY" |
	    sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' |
	    head -n 1
}

# visible STRING: STRING with a tab, CR and LF named and '\' doubled (a
# test's name goes through echo, which reads "\t" or "\e").
visible()
{
	printf '%s' "$1" | tr '\t\r\n' '\001\002\003' |
	    sed 's/\x01/<TAB>/g; s/\x02/<CR>/g; s/\x03/<LF>/g; s/\\/\\\\/g'
}

# post_login USER PASSWORD RD [CURL-ARG...]: POST /login with the jar's
# CSRF cookie and $CSRF in the field.
post_login()
{
	_u=$1 _p=$2 _rd=$3
	shift 3
	ag_http POST /login -b "$JAR" -c "$JAR" \
	    --data-urlencode "username=$_u" --data-urlencode "password=$_p" \
	    --data-urlencode "csrf=$CSRF" ${_rd:+--data-urlencode "rd=$_rd"} \
	    "$@"
}

# -- the form
ag_http GET /login -c "$JAR"
is "$AG_STATUS" 200 "GET /login: 200"
is "$(ag_header Content-Type)" "text/html; charset=utf-8" "  an HTML page"
is "$(ag_header Cache-Control)" no-store "  Cache-Control: no-store"
like "$(ag_header Content-Security-Policy)" \
    "^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]*='; img-src 'self'; frame-ancestors 'none'; base-uri 'none'\$" \
    "  the CSP: no script, no framing, the style by its hash"
is "$(ag_header X-Frame-Options)" DENY "  X-Frame-Options: DENY"
like "$(ag_header Set-Cookie)" \
    '^authgate_csrf=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$' \
    "  sets authgate_csrf"
CSRF=$(csrf_of_page)
is "$(awk '$6 == "authgate_csrf" { print $7 }' "$JAR")" "$CSRF" \
    "  the field csrf holds the cookie's value"
like "$AG_BODY" '<meta name="viewport" content="width=device-width, initial-scale=1">' \
    "  a viewport for phones"
unlike "$AG_BODY" '<script' "  no script"
ag_http GET /login -b "$JAR" -c "$JAR"
is "$(csrf_of_page)" "$CSRF" "a second GET keeps the token"
ag_http HEAD /login -I
is "$AG_STATUS" 200 "HEAD /login: 200"

# -- refusals before any password is checked
ag_http POST /login --data-urlencode username=ann \
    --data-urlencode password=ann-pw --data-urlencode "csrf=$CSRF"
is "$AG_STATUS" 403 "no CSRF cookie: 403"
like "$AG_BODY" 'Your sign-in form expired, please try again' \
    "  the form expired, please try again"
like "$AG_BODY" 'name="password"' "  with the form again"
ag_http POST /login -b "$JAR" --data-urlencode username=ann \
    --data-urlencode password=ann-pw --data-urlencode "csrf=x$CSRF"
is "$AG_STATUS" 403 "a CSRF field not the cookie's: 403"
post_login ann ann-pw "" -H 'Origin: http://evil.example'
is "$AG_STATUS" 403 "Origin another site: 403"
post_login ann ann-pw "" -H 'Origin: null'
is "$AG_STATUS" 403 "Origin null: 403"
post_login ann ann-pw "" -H 'Sec-Fetch-Site: cross-site'
is "$AG_STATUS" 403 "Sec-Fetch-Site cross-site: 403"
unlike "$(ag_header Set-Cookie)" authgate_session "  no session cookie"
n=$(grep -c 'user "ann": login' "$LOG")
is "$n" 0 "  no password was checked for any of them"

# -- a wrong password
post_login ann wrong "/private/<b>x</b>"
is "$AG_STATUS" 401 "a wrong password: 401"
like "$AG_BODY" 'Wrong user name or password, or the account is locked.' \
    "  the message"
like "$AG_BODY" 'name="username"[^>]*value="ann"' "  the user name kept"
like "$AG_BODY" 'name="rd" value="/private/&lt;b&gt;x&lt;/b&gt;"' \
    "  rd carried through, escaped"
unlike "$AG_BODY" '<b>' "  no markup of theirs"
post_login nobody-here wrong ""
is "$AG_STATUS" 401 "an unknown user: 401"
like "$AG_BODY" 'Wrong user name or password, or the account is locked.' \
    "  the same message"
is "$(grep -c '"event":"login","outcome":"failure","user":"ann"' "$AUDIT")" \
    1 "the audit log: one login failure of ann"
unlike "$(cat "$AUDIT")" 'wrong|ann-pw' "  no password in it"

# -- open redirects (issue 15): the form drops a bad rd
for rd in //evil.example '/\evil.example' '\/evil.example' \
    https://evil.example 'javascript:alert(1)' 'http:/\evil.example' \
    ' /evil.example' "$(printf '/\t/evil.example')" \
    "$(printf '/evil\r\nSet-Cookie: a=b')" '%2F%2Fevil.example' \
    '/%2F%2Fevil.example' '/%5Cevil.example' '%09//evil.example' \
    "$(printf '/\357\274\217evil.example')"; do
	ag_http GET /login --get --data-urlencode "rd=$rd"
	unlike "$AG_BODY" 'name="rd"' "GET /login?rd=$(visible "$rd"): dropped"
done
# The query as sent, undecoded: a tab (%09) or slashes escaped once.
for q in 'rd=%09//evil.example' 'rd=%2F%2Fevil.example' \
    'rd=%2F%5Cevil.example' 'rd=/%09/evil.example'; do
	ag_http GET "/login?$q"
	unlike "$AG_BODY" 'name="rd"' "GET /login?$q: dropped"
done
ag_http GET /login --get --data-urlencode 'rd=/@evil.example'
like "$AG_BODY" 'name="rd" value="/@evil.example"' \
    "rd /@evil.example is a path on this site: kept"
ag_http GET /login --get --data-urlencode 'rd=/private/<script>alert(1)</script>'
like "$AG_BODY" 'value="/private/&lt;script&gt;alert.1.&lt;/script&gt;"' \
    "rd with <script>: kept as text"
unlike "$AG_BODY" '<script' "  no script in the page"

# -- lockout through /login: 50 wrong passwords released together
out=$("$AG_PY" - "$AG_URL/login" "$CSRF" 50 <<'EOF' 2>"$AG_TMP/storm.err"
import sys, threading, urllib.error, urllib.parse, urllib.request
url, csrf, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
barrier = threading.Barrier(n)
res = [None] * n
def one(i):
    data = urllib.parse.urlencode({"username": "lee",
        "password": "wrong-%d" % i, "csrf": csrf}).encode()
    req = urllib.request.Request(url, data,
        headers={"Cookie": "authgate_csrf=" + csrf})
    barrier.wait()
    try:
        res[i] = urllib.request.urlopen(req, timeout=60).status
    except urllib.error.HTTPError as e:
        res[i] = e.code
    except Exception as e:
        res[i] = repr(e)
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(1 for r in res if r == 401), len(res))
bad = [r for r in res if r != 401]
if bad:
    sys.stderr.write("other answers: %r\n" % bad[:10])
EOF
)
is "$out" "50 50" "50 wrong passwords at once through /login: 50 answers 401" ||
    diag "$(cat "$AG_TMP/storm.err")"
checked=$(grep -c 'user "lee": login failed (bad password)' "$LOG")
refused=$(grep -c 'user "lee": login failed (locked out)' "$LOG")
diag "passwords checked: $checked, refused unchecked: $refused"
ok "  lockout_threshold 5: at most 5 passwords checked" \
    test "$checked" -le 5
is "$((checked + refused))" 50 "  every attempt logged as one or the other"
like "$(ag_ctl user show lee)" 'locked_out_until: [0-9]' "  lee is locked out"
post_login lee lee-pw ""
is "$AG_STATUS" 401 "  and the right password is refused at /login"
like "$AG_BODY" 'Wrong user name or password, or the account is locked.' \
    "  with the same message"
unlike "$(ag_header Set-Cookie)" authgate_session "  no session"

# -- /token and /login count the same failures
for i in 1 2 3; do
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode username=kay --data-urlencode password=wrong
done
post_login kay wrong ""
post_login kay wrong ""
is "$(ag_ctl user show kay | sed -n 's/^failures: //p')" 5 \
    "3 failures at /token and 2 at /login: 5 counted"
post_login kay kay-pw ""
is "$AG_STATUS" 401 "  kay locked: the right password refused at /login"
ag_http POST /token --data-urlencode grant_type=password \
    --data-urlencode username=kay --data-urlencode password=kay-pw
is "$AG_STATUS" 400 "  and at /token"

# -- signing in and out
post_login ann ann-pw /private/page.html
is "$AG_STATUS" 303 "the right password: 303"
is "$(ag_header Location)" /private/page.html "  to rd"
like "$(ag_header Set-Cookie)" '^authgate_session=' \
    "  with the session cookie"
ag_http GET /login -b "$JAR" -c "$JAR"
like "$AG_BODY" 'Signed in as <strong>ann</strong>' \
    "GET /login with the session: signed in as ann"
for rd in //evil.example '/\evil.example' https://evil.example \
    'javascript:alert(1)' "$(printf '\t//evil.example')" \
    '/%2F%2Fevil.example' '/%5Cevil.example' \
    "$(printf '/\357\274\217evil.example')"; do
	post_login ann ann-pw "$rd"
	is "$AG_STATUS $(ag_header Location)" "303 /" \
	    "sign-in with rd $(visible "$rd"): to login_redirect"
done
cp "$JAR" "$AG_TMP/jar.signed-in"
ag_http POST /logout -b "$JAR" -c "$JAR" -d csrf=
is "$AG_STATUS" 403 "POST /logout without csrf: 403"
ag_http POST /logout -b "$JAR" -c "$JAR" \
    --data-urlencode "csrf=$CSRF"
is "$AG_STATUS" 303 "POST /logout: 303"
is "$(ag_header Location)" /oauth/login "  to login_url"
like "$(ag_header Set-Cookie)" '^authgate_session=;' \
    "  the cookie cleared"
like "$(grep '"event":"login","outcome":"success","user":"ann"' \
    "$AUDIT" | head -n 1)" '"jti":"[^"]+","type":"session"' \
    "the audit log: ann's sign-in, its session id"
is "$(grep -c '"event":"logout","outcome":"success","user":"ann"' \
    "$AUDIT")" 1 "  and one logout"
ag_http GET /login -b "$AG_TMP/jar.signed-in"
unlike "$AG_BODY" 'Signed in as' \
    "the ended session's cookie, replayed: not signed in"

ag_no_sanitizer_reports
ag_done
