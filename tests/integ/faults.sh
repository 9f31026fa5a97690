#!/bin/sh
# Storage and process faults (SECURITY.md "Storage faults", SPEC /token)
# through lighttpd with the shipped etc/lighttpd/authgate.conf:
#  - user_db missing, a directory, truncated, garbage, emptied in place:
#    /token answers a JSON 503 (or 500) with a log line, /protected
#    still works, no process crashes; back to normal once restored;
#  - state_db on a full file system (a 256 KiB tmpfs; skipped when mount
#    is not permitted): logins fail closed with 503;
#  - the signing key removed and the responders restarted: JSON 503
#    "misconfigured" answers, not a crash loop; serving again once the
#    key is back;
#  - responders SIGKILLed mid-login again and again (FAULT_KILLS, default
#    15): afterwards every user and every refresh token handed out is
#    there and usable.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl ps
ag_tmpdir

authgate_pids()
{
	ps -o pid= --ppid "$AG_LIGHTTPD_PID" 2>/dev/null | tr -d ' ' |
	    sort -n | tr '\n' ' '
}

login()
{
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$1" --data-urlencode "password=$2"
}

# loglines: lines in the logs of lighttpd and of what it spawned.
loglines()
{
	cat "$AG_TMP/lighttpd.log" "$AG_LIGHTTPD_LOG" 2>/dev/null | wc -l
}

# wait_token USER PASSWORD SECONDS: until a login gives 200.
wait_token()
{
	_i=0
	while [ $_i -lt $(($3 * 5)) ]; do
		login "$1" "$2"
		[ "$AG_STATUS" = 200 ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# unavailable DESC: the last answer is a JSON 503 (or 500).
unavailable()
{
	case $AG_STATUS in
	503 | 500)
		if ag_is_json; then
			pass "$1: JSON $AG_STATUS"
			return 0
		fi
		;;
	esac
	fail "$1: JSON 503 or 500"
}

ag_setup_conf lockout_threshold=3
ag_init
ag_user alice alice-pw "read write"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"
DB=$AG_TMP/users.db

login alice alice-pw
is "$AG_STATUS" 200 "a login works"
TOKEN=$(ag_json access_token)
cp "$DB" "$AG_TMP/users.db.good"
PIDS=$(authgate_pids)

# -- user_db faults.  Each: make the fault, /token, /protected, restore.
for fault in missing directory truncated garbage emptied-in-place \
    truncated-in-place; do
	case $fault in
	missing) rm -f "$DB" ;;
	directory) rm -f "$DB" && mkdir "$DB" ;;
	truncated)
		head -c 200 "$AG_TMP/users.db.good" >"$DB.new"
		mv "$DB.new" "$DB"
		;;
	garbage)
		head -c "$(wc -c <"$AG_TMP/users.db.good")" /dev/urandom \
		    >"$DB.new"
		mv "$DB.new" "$DB"
		;;
	emptied-in-place) : >"$DB" ;;
	truncated-in-place) truncate -s 600 "$DB" ;;
	esac
	n0=$(loglines)
	login alice alice-pw
	unavailable "user_db $fault: /token"
	ok "user_db $fault: a log line" [ "$(loglines)" -gt "$n0" ]
	ag_http GET /protected -H "Authorization: Bearer $TOKEN"
	is "$AG_STATUS" 200 "user_db $fault: /protected still works"
	rm -rf "$DB"
	cp "$AG_TMP/users.db.good" "$DB"
	login alice alice-pw
	is "$AG_STATUS" 200 "user_db $fault: restored, a login works"
done
is "$(authgate_pids)" "$PIDS" "user_db faults: no authgate process crashed"
tail -n 30 "$AG_TMP/lighttpd.log" | grep -i 'users.db' | tail -n 3 |
    sed 's/^/# log: /'

# -- the signing key removed, the responders killed: lighttpd restarts
# them, and they answer 503 instead of exiting.
mv "$AG_TMP/signing.key" "$AG_TMP/signing.key.away"
for p in $(authgate_pids); do
	kill -TERM "$p"
done
# The first request after the deaths may get lighttpd's own error
# while it spawns new responders.
i=0
while [ $i -lt 50 ]; do
	login alice alice-pw
	case $AG_STATUS in 503) ag_is_json && break ;; esac
	sleep 0.2
	i=$((i + 1))
done
unavailable "key removed: /token"
like "$AG_BODY" 'misconfigured' "key removed: says misconfigured"
ag_http GET /protected -H "Authorization: Bearer $TOKEN"
unavailable "key removed: /protected"
# lighttpd spawns the pool's processes one by one (slowly under the
# sanitizers): let it fill, then watch the pids over as many requests.
i=0
while [ $i -lt 10 ]; do
	ag_http GET /protected -H "Authorization: Bearer $TOKEN"
	sleep 0.1
	i=$((i + 1))
done
sleep 1
P1=$(authgate_pids)
isnt "$P1" "" "key removed: responders running: $P1"
i=0
while [ $i -lt 10 ]; do
	ag_http GET /protected -H "Authorization: Bearer $TOKEN"
	sleep 0.1
	i=$((i + 1))
done
sleep 1
is "$(authgate_pids)" "$P1" "key removed: no crash loop (same pids)"
starts=$(grep -c 'answering 503 until fixed' "$AG_TMP/lighttpd.log")
ok "key removed: one start per responder, not a loop ($starts)" \
    [ "$starts" -ge 1 ] && [ "$starts" -le 4 ]
mv "$AG_TMP/signing.key.away" "$AG_TMP/signing.key"
# Broken responders retry every SERVE_RETRY_SECONDS (5).
ok "key back: serving again within 10 s" wait_token alice alice-pw 10
ag_http GET /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "key back: the old token is valid again"

# -- SIGKILL mid-login, many times.  Users whose hashes are re-hashed at
# their first login (made at another cost), so user_db is rewritten
# while the responders die.
sed 's/^password_hash = .*/password_hash = scrypt:ln=5,r=8,p=1/' \
    "$AG_CONF" >"$AG_TMP/other.conf"
i=1
USERS="alice"
while [ $i -le 12 ]; do
	printf 'pw-%d\n' $i | "$AG_CTL" -c "$AG_TMP/other.conf" user add \
	    "u$i" --scope read --password-stdin >/dev/null 2>&1 ||
	    echo "Bail out! user add u$i failed"
	USERS="$USERS u$i"
	i=$((i + 1))
done
"$AG_PY" - "$AG_URL" "${FAULT_KILLS:-15}" "$AG_LIGHTTPD_PID" \
    "$AG_TMP/refresh.list" <<'EOF' >"$AG_TMP/kill.out" 2>&1
import json, os, random, signal, sys, threading, time, urllib.parse
import urllib.request
url, kills, lpid, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4]
stop = time.time() + 60
done = threading.Event()
tokens, errors = [], []
lock = threading.Lock()
def children():
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read().rsplit(")", 1)[1].split()
                if int(st[1]) == lpid:
                    pids.append(int(d))
            except OSError:
                pass
    return pids
def worker(k):
    i = 0
    while not done.is_set() and time.time() < stop:
        i += 1
        u = (i + k) % 13
        user, pw = ("alice", "alice-pw") if u == 0 else \
            ("u%d" % u, "pw-%d" % u)
        data = urllib.parse.urlencode({"grant_type": "password",
            "username": user, "password": pw}).encode()
        try:
            r = urllib.request.urlopen(url + "/token", data, timeout=10)
            body = json.loads(r.read())
            with lock:
                tokens.append(body["refresh_token"])
        except urllib.error.HTTPError as e:
            with lock:
                errors.append("%d %s" % (e.code, e.read()[:60]))
        except Exception as e:
            with lock:
                errors.append(type(e).__name__)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
n = 0
while n < kills and time.time() < stop:
    time.sleep(0.3)
    pids = children()
    if pids:
        os.kill(random.choice(pids), signal.SIGKILL)
        n += 1
time.sleep(0.3)
done.set()
for t in ts:
    t.join(15)
with open(out, "w") as f:
    f.write("\n".join(tokens) + "\n")
print("kills %d tokens %d errors %d" % (n, len(tokens), len(errors)))
for e in sorted(set(errors))[:8]:
    print("  answer: %s (%d times)" % (e, errors.count(e)))
EOF
diag "$(cat "$AG_TMP/kill.out")"
like "$(cat "$AG_TMP/kill.out")" "^kills ${FAULT_KILLS:-15} " \
    "SIGKILLed a responder ${FAULT_KILLS:-15} times during logins"
ok "wait: serving again after the kills" wait_token alice alice-pw 10
list=$(ag_ctl user list 2>"$AG_TMP/list.err")
is "$?" 0 "after the kills: user list works" ||
    diag "$(cat "$AG_TMP/list.err")"
missing=
for u in $USERS; do
	printf '%s\n' "$list" | grep -Eq "^$u([^0-9]|\$)" ||
	    missing="$missing $u"
done
is "$missing" "" "after the kills: every user is listed"
bad=
i=1
while [ $i -le 12 ]; do
	login "u$i" "pw-$i"
	[ "$AG_STATUS" = 200 ] || bad="$bad u$i:$AG_STATUS"
	i=$((i + 1))
done
is "$bad" "" "after the kills: every user can log in"
nt=$(grep -c . "$AG_TMP/refresh.list")
ok "refresh tokens were handed out during the kills ($nt)" [ "$nt" -gt 0 ]
# The first and the last ones (issued around the last kills), 200 at most.
{ head -n 50 "$AG_TMP/refresh.list"; tail -n 150 "$AG_TMP/refresh.list"; } |
    sort -u >"$AG_TMP/refresh.use"
bad=0
n=0
while read -r rt; do
	[ -n "$rt" ] || continue
	n=$((n + 1))
	ag_http POST /token -d grant_type=refresh_token \
	    --data-urlencode "refresh_token=$rt" </dev/null
	[ "$AG_STATUS" = 200 ] || bad=$((bad + 1))
done <"$AG_TMP/refresh.use"
is "$bad" 0 "after the kills: every refresh token handed out works ($n used)"
login alice alice-pw
is "$AG_STATUS" 200 "after the kills: alice logs in"

# -- state_db on a full file system
ag_stop "$AG_LIGHTTPD_PID"
_ag_logs_shown=0
mkdir -p "$AG_TMP/full"
if ! mount -t tmpfs -o size=256k tmpfs "$AG_TMP/full" 2>"$AG_TMP/mount.err"
then
	skip 5 "cannot mount a tmpfs: $(head -n 1 "$AG_TMP/mount.err")"
	ag_no_sanitizer_reports
	ag_done
fi
# Unmounted before the directory is removed.
trap '_rc0=$?; umount "$AG_TMP/full" 2>/dev/null ||
    umount -l "$AG_TMP/full" 2>/dev/null; (exit $_rc0); _ag_cleanup' EXIT
trap 'umount -l "$AG_TMP/full" 2>/dev/null; (exit 1); _ag_cleanup' INT TERM HUP
ag_setup_conf lockout_threshold=3 "state_db=$AG_TMP/full/state.db"
AG_PORT=
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"
# Fill it; no state_db there yet.
dd if=/dev/zero of="$AG_TMP/full/filler" bs=1k count=512 >/dev/null 2>&1
df -k "$AG_TMP/full" | tail -n 1 | sed 's/^/# /'
login alice alice-pw
unavailable "state_db on a full file system: a correct login"
login alice wrong
unavailable "state_db on a full file system: a failed login (not counted)"
# An existing state_db that has to grow: distinct unknown users each add
# a failure counter; 400 while they can be stored, then 503, never a
# failure that was not counted.
rm -f "$AG_TMP/full/filler" "$AG_TMP/full/state.db"
login alice wrong
is "$AG_STATUS" 400 "state_db with room: a failure is counted (400)"
dd if=/dev/zero of="$AG_TMP/full/filler" bs=1k count=512 >/dev/null 2>&1
res=$("$AG_PY" - "$AG_URL" <<'EOF'
import sys, time, urllib.parse, urllib.request
url = sys.argv[1]
seen = []
end = time.time() + 30
for i in range(400):
    if time.time() > end:
        break
    data = urllib.parse.urlencode({"grant_type": "password",
        "username": "ghost%04d" % i, "password": "x" * 40}).encode()
    try:
        urllib.request.urlopen(url + "/token", data, timeout=10)
        seen.append(200)
    except urllib.error.HTTPError as e:
        seen.append(e.code)
    if seen[-1] != 400:
        break
print(len(seen), seen[-1])
EOF
)
diag "growing state_db on a full file system: tries, last status: $res"
is "${res#* }" 503 "state_db that cannot grow: 503 (fails closed)"
rm -f "$AG_TMP/full/filler"
login alice alice-pw
is "$AG_STATUS" 200 "state_db: room again, a login works"

# A refresh whose replacement cannot be stored leaves the old token
# usable (SPEC: spent only together with storing its replacement): the
# client's retry is not taken for a reuse.  A login stores nothing (its
# refresh token is sealed), so failures of unknown users fill state_db
# until one cannot be stored; the token is refreshed then, and again
# once there is room.
login alice alice-pw
rt=$(ag_json refresh_token)
dd if=/dev/zero of="$AG_TMP/full/filler" bs=1k count=512 >/dev/null 2>&1
i=0
while [ $i -lt 400 ]; do
	login "filler$i" wrong
	[ "$AG_STATUS" = 400 ] || break
	i=$((i + 1))
done
is "$AG_STATUS" 503 "state_db filled by $i failures: then 503"
ag_http POST /token --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$rt"
is "$AG_STATUS" 503 "full state_db: a refresh that cannot store its replacement is a 503"
rm -f "$AG_TMP/full/filler"
ag_http POST /token --data-urlencode grant_type=refresh_token \
    --data-urlencode "refresh_token=$rt"
is "$AG_STATUS" 200 "room again: the same refresh token still works (not taken for a reuse)"

ag_stop "$AG_LIGHTTPD_PID"
umount "$AG_TMP/full" 2>/dev/null || umount -l "$AG_TMP/full" 2>/dev/null
ag_no_sanitizer_reports
ag_done
