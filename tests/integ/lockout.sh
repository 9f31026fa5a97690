#!/bin/sh
# Lockout after failed logins (SPEC: lockout_threshold, lockout_seconds)
# through lighttpd with the shipped etc/lighttpd/authgate.conf and four
# authgate processes: the correct password is refused with the same
# invalid_grant answer while locked, works again after lockout_seconds,
# failures sent at once to several processes are all counted, and
# authgatectl user show / unlock see and clear the state.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir

ag_setup_conf lockout_threshold=3 lockout_seconds=2
ag_init
for u in alice bob carol dave; do
	ag_user "$u" "$u-pw" "read"
done
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    'var.authgate_procs := 4'

# login USER PASSWORD: one password grant; AG_STATUS, AG_BODY.
login()
{
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$1" --data-urlencode "password=$2"
}

# parallel_fail USER N: N failing logins for USER, 8 at a time; prints
# how many answers were 400 invalid_grant.
parallel_fail()
{
	"$AG_PY" - "$AG_URL" "$1" "$2" <<'EOF'
import json, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def one(i):
    data = urllib.parse.urlencode({"grant_type": "password",
        "username": user, "password": "wrong-%d" % i}).encode()
    try:
        urllib.request.urlopen(url + "/token", data, timeout=20)
        return "200"
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        return "%d %s" % (e.code, body.get("error"))
    except Exception as e:
        return type(e).__name__
with ThreadPoolExecutor(8) as ex:
    res = list(ex.map(one, range(n)))
print(sum(1 for r in res if r == "400 invalid_grant"))
bad = [r for r in res if r != "400 invalid_grant"]
if bad:
    sys.stderr.write("other answers: %r\n" % bad[:10])
EOF
}

quiet_ctl()
{
	ag_ctl "$@" >/dev/null 2>&1
}

# show_field USER FIELD: a line of authgatectl user show.
show_field()
{
	ag_ctl user show "$1" 2>"$AG_TMP/show.err" |
	    sed -n "s/^$2: //p"
}

# -- the basic lockout
login alice wrong
is "$AG_STATUS" 400 "a wrong password: 400"
WRONG=$AG_BODY
is "$(ag_json error)" invalid_grant "a wrong password: invalid_grant"
login alice wrong
login alice wrong
is "$AG_STATUS" 400 "third wrong password: 400"
is "$(show_field alice failures)" 3 "user show: failures 3"
like "$(show_field alice locked_out_until)" '[0-9]' \
    "user show: a lockout end time"
login alice alice-pw
is "$AG_STATUS" 400 "locked out: the correct password is refused"
is "$AG_BODY" "$WRONG" "locked out: the same invalid_grant body"
sleep 2.5
login alice alice-pw
is "$AG_STATUS" 200 "after lockout_seconds the correct password works"
is "$(show_field alice failures)" 0 "a successful login clears the failures"
is "$(show_field alice locked_out_until)" "no lockout" \
    "user show: no lockout after a successful login"

# -- two failures do not lock; a success in between resets the count
login bob wrong
login bob wrong
login bob bob-pw
is "$AG_STATUS" 200 "two failures (below the threshold) do not lock"
login bob wrong
login bob wrong
login bob bob-pw
is "$AG_STATUS" 200 "a success resets the count"

# -- authgatectl user unlock ends a lockout
login bob wrong
login bob wrong
login bob wrong
login bob bob-pw
is "$AG_STATUS" 400 "bob locked out"
out=$(ag_ctl user unlock bob 2>&1)
is "$?" 0 "user unlock: exit 0"
is "$(show_field bob failures)" 0 "user unlock clears the failures"
login bob bob-pw
is "$AG_STATUS" 200 "after user unlock the correct password works at once"

# -- failures spread over several processes are all counted
n=$(parallel_fail carol 24 2>"$AG_TMP/par.err")
is "$n" 24 "24 concurrent failing logins: 24 invalid_grant answers" ||
    diag "$(cat "$AG_TMP/par.err")"
is "$(show_field carol failures)" 24 \
    "24 concurrent failures: the count is exactly 24 (none lost)"
np=$(grep 'user "carol": login failed' "$AG_TMP/lighttpd.log" |
    sed -n 's/^authgate\[\([0-9]*\)\].*/\1/p' | sort -u | wc -l)
diag "carol's failures were served by $np authgate processes"
ok "the failures were served by more than one process" [ "$np" -ge 2 ]
login carol carol-pw
is "$AG_STATUS" 400 "carol locked out after concurrent failures"

# Exactly the threshold, concurrently: two do not lock, three do.
n=$(parallel_fail dave 2 2>"$AG_TMP/par.err")
is "$(show_field dave failures)" 2 "2 concurrent failures counted"
like "$(show_field dave locked_out_until)" 'no lockout' \
    "2 concurrent failures: no lockout"
ag_ctl user unlock dave >/dev/null 2>&1
n=$(parallel_fail dave 3 2>"$AG_TMP/par.err")
is "$(show_field dave failures)" 3 "3 concurrent failures counted"
login dave dave-pw
is "$AG_STATUS" 400 "3 concurrent failures lock dave"
is "$AG_BODY" "$WRONG" "dave locked out: the same invalid_grant body"
ag_ctl user unlock dave >/dev/null 2>&1
login dave dave-pw
is "$AG_STATUS" 200 "dave unlocked: login works"

# -- an administrator's lock: the same answer, no matter the password
ag_ctl user lock carol >/dev/null 2>&1
ag_ctl user unlock carol >/dev/null 2>&1
login carol carol-pw
is "$AG_STATUS" 200 "carol unlocked by user unlock"
ok "user lock: exit 0" quiet_ctl user lock carol
is "$(show_field carol locked)" yes "user show: locked yes"
login carol carol-pw
is "$AG_STATUS" 400 "administratively locked: correct password refused"
is "$AG_BODY" "$WRONG" "administratively locked: the same body"
ag_ctl user unlock carol >/dev/null 2>&1
is "$(show_field carol locked)" no "user unlock: locked no"
login carol carol-pw
is "$AG_STATUS" 200 "carol can log in again"

ag_no_sanitizer_reports
ag_done
