#!/bin/sh
# State that holds (SPEC "State and lifecycle"), through lighttpd with
# the shipped etc/lighttpd/authgate.conf and four authgate processes:
#  - a refresh token belongs to the account: user passwd, lock (then
#    unlock), del (then add again) end it; a re-hash at login does not;
#  - revoking a refresh token already rotated out ends its successor;
#  - an administrator's lock, del or passwd made while a login re-hashes
#    the password stands (the re-hash replaces the hash alone, and only
#    if it is still the one verified);
#  - logins, authgatectl writes and Apache's htdbm -v reading the same
#    user_db at once for a while: no error, no lost change.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl htpasswd htdbm
ag_tmpdir

ag_setup_conf lockout_threshold=0
ag_init
ag_user alice alice-pw "read write"
ag_user bob bob-pw "read"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    'var.authgate_procs := 4'

# login USER PASSWORD: a password grant; AG_STATUS, AG_BODY; RT: the
# refresh token.
login()
{
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$1" --data-urlencode "password=$2"
	RT=$(ag_json refresh_token)
}

# refresh TOKEN: a refresh grant; AG_STATUS, AG_BODY; RT: the new one.
refresh()
{
	ag_http POST /token --data-urlencode grant_type=refresh_token \
	    --data-urlencode "refresh_token=$1"
	RT=$(ag_json refresh_token)
}

ctl_quiet()
{
	ag_ctl "$@" >>"$AG_TMP/ctl.log" 2>&1
}

# -- the account, not the name
login alice alice-pw
is "$AG_STATUS" 200 "alice logs in"
old=$RT
printf 'alice-pw2\n' | ctl_quiet user passwd alice --password-stdin
refresh "$old"
is "$AG_STATUS" 400 "user passwd ends the refresh tokens"
is "$(ag_json error)" invalid_grant "  invalid_grant"

login alice alice-pw2
is "$AG_STATUS" 200 "alice logs in with the new password"
old=$RT
ctl_quiet user lock alice
ctl_quiet user unlock alice
refresh "$old"
is "$AG_STATUS" 400 "lock then unlock does not revive the refresh tokens"

login alice alice-pw2
old=$RT
ctl_quiet user del alice
printf 'other-pw\n' | ctl_quiet user add alice --scope "read write admin" \
    --password-stdin
refresh "$old"
is "$AG_STATUS" 400 "a name deleted and added again starts with no refresh token"
unlike "$AG_BODY" admin "  and no scope of the new account"

# A re-hash (bcrypt imported, scrypt configured) is not a new password.
htpasswd -nbB -C 4 carol carol-pw >"$AG_TMP/carol.htpasswd"
ctl_quiet user import "$AG_TMP/carol.htpasswd"
login carol carol-pw
is "$AG_STATUS" 200 "carol (imported bcrypt) logs in"
like "$(ag_ctl user show carol)" 'hash: scrypt' "  her password was re-hashed"
refresh "$RT"
is "$AG_STATUS" 200 "the re-hash did not end her refresh token"

# -- revoking a token already rotated out ends its successor
login bob bob-pw
first=$RT
refresh "$first"
is "$AG_STATUS" 200 "bob refreshes"
second=$RT
ag_http POST /revoke --data-urlencode "token=$first"
is "$AG_STATUS" 200 "revoke the token he had before the refresh"
refresh "$second"
is "$AG_STATUS" 400 "its successor is revoked with it"

# -- administrators' changes while a login re-hashes
# A bcrypt hash of cost 13 takes about half a second to verify: the
# change lands while the password is checked, before the re-hash.
slow_user()
{
	htpasswd -nbB -C 13 "$1" "$1-pw" >"$AG_TMP/$1.htpasswd"
	ctl_quiet user import "$AG_TMP/$1.htpasswd"
}
# slow_login USER: in the background; the answer's status in
# $AG_TMP/USER.status.
slow_login()
{
	curl -s -m 30 -o /dev/null -w '%{http_code}' \
	    --data-urlencode grant_type=password \
	    --data-urlencode "username=$1" --data-urlencode "password=$1-pw" \
	    "$AG_URL/token" >"$AG_TMP/$1.status" &
	SLOW_PID=$!
}

slow_user dave
slow_login dave
sleep 0.2
ctl_quiet user lock dave
wait "$SLOW_PID"
is "$(cat "$AG_TMP/dave.status")" 200 "dave's login (checked before the lock) answered"
show=$(ag_ctl user show dave)
like "$show" 'locked: yes' "a lock made while dave's login re-hashed stands"
like "$show" 'hash: scrypt' "  and the re-hash replaced the hash alone"

slow_user erin
slow_login erin
sleep 0.2
ctl_quiet user del erin
wait "$SLOW_PID"
ok "a user deleted while her login re-hashed stays deleted" \
    sh -c '! "$0" -c "$1" user show erin >/dev/null 2>&1' "$AG_CTL" "$AG_CONF"

slow_user frank
slow_login frank
sleep 0.2
printf 'frank-new\n' | ctl_quiet user passwd frank --password-stdin
wait "$SLOW_PID"
login frank frank-new
is "$AG_STATUS" 200 "a password changed while a login re-hashed stands"
login frank frank-pw
is "$AG_STATUS" 400 "  the old one no longer works"

# -- logins, authgatectl writes and htdbm -v, all at once
# gina has a bcrypt hash (htdbm verifies bcrypt, not scrypt) and never
# logs in through authgate, so her hash stays bcrypt.
htpasswd -nbB -C 4 gina gina-pw >"$AG_TMP/gina.htpasswd"
ctl_quiet user import "$AG_TMP/gina.htpasswd"
MIX_SECONDS=${MIX_SECONDS:-6}
"$AG_PY" - "$AG_URL" "$MIX_SECONDS" >"$AG_TMP/mix-logins.out" \
    2>"$AG_TMP/mix-logins.err" <<'EOF' &
import json, sys, time, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, secs = sys.argv[1], float(sys.argv[2])
end = time.time() + secs
def worker(i):
    n = bad = 0
    while time.time() < end:
        data = urllib.parse.urlencode({"grant_type": "password",
            "username": "bob", "password": "bob-pw"}).encode()
        try:
            urllib.request.urlopen(url + "/token", data, timeout=20).read()
        except Exception as e:
            bad += 1
            sys.stderr.write("login: %r\n" % e)
        n += 1
    return n, bad
with ThreadPoolExecutor(4) as ex:
    res = list(ex.map(worker, range(4)))
print(sum(r[0] for r in res), sum(r[1] for r in res))
EOF
logins_pid=$!
(
	end=$(($(date +%s) + MIX_SECONDS))
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		htdbm -vb -TGDBM "$AG_TMP/users.db" gina gina-pw \
		    >>"$AG_TMP/htdbm.out" 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$AG_TMP/htdbm.count"
) &
htdbm_pid=$!
end=$(($(date +%s) + MIX_SECONDS))
i=0 ctlbad=0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	printf 'pw\n' | ctl_quiet user add "mix$i" --password-stdin ||
	    ctlbad=$((ctlbad + 1))
	ctl_quiet user lock "mix$i" || ctlbad=$((ctlbad + 1))
	if [ $((i % 2)) -eq 0 ]; then
		ctl_quiet user del "mix$i" || ctlbad=$((ctlbad + 1))
	fi
done
wait "$logins_pid"
wait "$htdbm_pid"
read -r ln lbad <"$AG_TMP/mix-logins.out"
read -r hn hbad <"$AG_TMP/htdbm.count"
diag "mixed load: $ln logins, $hn htdbm -v, $i users added by authgatectl"
is "${lbad:-x}" 0 "mixed load: every login answered 200"
[ "${lbad:-x}" = 0 ] || diag "$(head -n 5 "$AG_TMP/mix-logins.err")"
# Never a wrong answer.  A refusal to open (GDBM's readers do not wait
# for a lock) is possible only for a reader held up between opening the
# file and locking it while a write swaps it (src/dbfile.c): counted,
# and kept rare.
hwrong=$(grep -v -e '^Password validated' -e '^Error opening database' \
    -e '^APR does not understand' "$AG_TMP/htdbm.out" | grep -c .)
hrefused=$(grep -c '^Error opening database' "$AG_TMP/htdbm.out")
diag "htdbm -v: $hn tries, $hbad failed, $hrefused of them refused to open"
is "$hwrong" 0 "mixed load: htdbm -v never got a wrong answer"
ok "mixed load: htdbm -v refused to open in under 1% of tries" \
    test $((hrefused * 100)) -lt "${hn:-1}"
[ "${hbad:-x}" = 0 ] ||
    diag "$(grep -v '^Password' "$AG_TMP/htdbm.out" | sort | uniq -c | head)"
is "$ctlbad" 0 "mixed load: every authgatectl write succeeded"
[ "$ctlbad" = 0 ] || diag "$(tail -n 5 "$AG_TMP/ctl.log")"
ok "mixed load: more than a few of each ran" \
    test "${ln:-0}" -gt 10 -a "${hn:-0}" -gt 10 -a "$i" -gt 5
# No change lost: the odd users are there and locked, the even ones gone.
list=$(ag_ctl user list)
lost=0
j=1
while [ "$j" -le "$i" ]; do
	if [ $((j % 2)) -eq 1 ]; then
		printf '%s\n' "$list" | grep -qx "mix$j" || lost=$((lost + 1))
		ag_ctl user show "mix$j" 2>/dev/null | grep -q 'locked: yes' ||
		    lost=$((lost + 1))
	else
		printf '%s\n' "$list" | grep -qx "mix$j" && lost=$((lost + 1))
	fi
	j=$((j + 1))
done
is "$lost" 0 "mixed load: no change lost ($i users added, locked, half deleted)"
login bob bob-pw
is "$AG_STATUS" 200 "bob still logs in afterwards"

# Another program's write between two of ours is kept: authgatectl's
# second copy of the file is made anew from the one htdbm changed.
htdbm -bB -C 4 -TGDBM "$AG_TMP/users.db" hugo hugo-pw >/dev/null 2>&1
printf 'pw\n' | ctl_quiet user add ivy --password-stdin
ctl_quiet user lock ivy
ctl_quiet user unlock ivy
list=$(ag_ctl user list)
ok "htdbm's user added between authgatectl writes is kept" \
    sh -c 'printf "%s\n" "$0" | grep -q "^hugo"' "$list"
ok "  and authgatectl's user too" \
    sh -c 'printf "%s\n" "$0" | grep -q "^ivy"' "$list"
login hugo hugo-pw
is "$AG_STATUS" 200 "htdbm's user logs in"

# authgatectl run as root under the service's tree: what it makes is
# the service's (the owner of the directory), or every write of the
# service would fail.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	svc=$AG_TMP/svc
	mkdir "$svc"
	chown nobody "$svc"
	sed -e "s|^user_db = .*|user_db = $svc/users.db|" \
	    -e "s|^state_db = .*|state_db = $svc/state.db|" \
	    -e "s|^key_file = .*|key_file = $svc/signing.key|" \
	    "$AG_CONF" >"$AG_TMP/svc.conf"
	"$AG_CTL" -c "$AG_TMP/svc.conf" init >/dev/null 2>&1
	printf 'pw\n' | "$AG_CTL" -c "$AG_TMP/svc.conf" user add lee \
	    --password-stdin >/dev/null 2>&1
	owners=$(cd "$svc" && stat -c '%n %U' users.db users.db.shadow \
	    users.db.lock state.db state.db.lock 2>&1 | grep -v ' nobody$')
	is "$owners" "" "authgatectl as root: user_db, its shadow and lock, state_db and its lock are the directory owner's"
else
	skip 1 "not root, or no user nobody"
fi

ag_no_sanitizer_reports
ag_done
