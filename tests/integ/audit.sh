#!/bin/sh
# The audit log.  File sink under lighttpd (2 processes): login success
# and failure, lockout, refresh, refresh reuse, revoke, and authgatectl's
# admin events, one JSON object a line (a hostile user name stays inside
# its field), 0600, reopened after a real logrotate renamed it (the
# shipped etc/logrotate.d/authgate, paths changed); no password, client
# secret, refresh token or access token in any sink or error log;
# log_format = json for the error log; audit_log = off writes nothing;
# the syslog sink (authpriv.info, ident authgate) received by a listener
# on /dev/log in a private mount namespace (as syslog.sh: no system
# rsyslog touched, nothing left behind).
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
mkdir -p "$AG_TMP/log"
AUDIT=$AG_TMP/log/audit.log
PW=Alice-S3cret-pw
BAD=Wr0ng-Guess-pw
BOBPW=B0b-S3cret-pw
CSECRET=Client-S3cret-xyz
ag_setup_conf "audit_log = $AUDIT" log_format=json lockout_threshold=3
ag_init
ag_user alice "$PW" "read write"
ag_user carol carol-pw-1 "read"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

# Traffic of every kind.
ag_http POST /token -d grant_type=password -d username=alice \
    --data-urlencode "password=$PW"
AT=$(ag_json access_token)
RT=$(ag_json refresh_token)
is "$AG_STATUS" 200 "login"
ag_http POST /token -d grant_type=refresh_token --data-urlencode \
    "refresh_token=$RT"
RT2=$(ag_json refresh_token)
AT2=$(ag_json access_token)
is "$AG_STATUS" 200 "refresh"
ag_http POST /token -d grant_type=refresh_token --data-urlencode \
    "refresh_token=$RT"
is "$AG_STATUS" 400 "refresh token reused: refused"
for i in 1 2 3 4; do
	ag_http POST /token -d grant_type=password -d username=carol \
	    --data-urlencode "password=$BAD"
done
EVIL='ev"il
{"event":"forged"}'
ag_http POST /token -d grant_type=password --data-urlencode \
    "username=$EVIL" --data-urlencode "password=$BAD"
is "$AG_STATUS" 400 "login with a hostile user name refused"
ag_http POST /revoke --data-urlencode "token=$AT2"
is "$AG_STATUS" 200 "revoke"
printf '%s\n' "$BOBPW" | ag_ctl user add bob --scope read --password-stdin \
    >/dev/null 2>&1
printf '%s\n' "$CSECRET" | ag_ctl client add web --secret-stdin \
    >/dev/null 2>&1
ag_ctl token revoke "$AT" >/dev/null 2>&1
ag_ctl user list >/dev/null 2>&1

# A key reload, noticed by a request after the last ones of the same
# processes: its event names no client (the address of the request
# before is not this event's, and its memory is gone).
ag_ctl key rotate >/dev/null 2>&1
sleep 1.2
for i in 1 2 3 4 5 6; do
	ag_http GET /.well-known/jwks.json
	grep -q '"event":"key_reload"' "$AUDIT" && break
	sleep 1
done
like "$(grep '"event":"key_reload"' "$AUDIT" | head -n 1)" \
    '"outcome":"success"' "key_reload: logged when the keys are loaded again"
is "$(grep '"event":"key_reload"' "$AUDIT" | grep -c remote_addr)" 0 \
    "  with no client address"

# 24 failed logins 8 at a time through both processes: 24 whole lines.
seq 24 | xargs -P 8 -I @ curl -s -m 30 -o /dev/null -d grant_type=password \
    -d username=ghost@ --data-urlencode "password=$BAD" "$AG_URL/token"
is "$(grep -c '"event":"login","outcome":"failure","user":"ghost[0-9]*"' \
    "$AUDIT")" 24 "24 simultaneous failures: 24 lines, none torn"

ok "audit log created" test -f "$AUDIT"
is "$(stat -c %a "$AUDIT")" 600 "audit log mode 0600"
# check: every line a JSON object with time and event; prints the
# events as "event outcome user|client_id|reason|type|command".
summary=$("$AG_PY" - "$AUDIT" <<'EOF'
import json, re, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o["time"]), line
    print(" ".join([o["event"], o.get("outcome", "")] +
                   ["%s=%s" % (k, o[k]) for k in ("user", "client_id",
                    "reason", "type", "command", "remote_addr") if k in o]
                   + (["jti"] if "jti" in o else [])))
EOF
) || fail "every audit line is a JSON object with an RFC 3339 time"
diag "$summary"
like "$summary" '^login success user=alice client_id= remote_addr=127\.0\.0\.1 jti$' \
    "login success: user, client, address, jti"
like "$summary" '^refresh success user=alice .*jti$' "refresh success"
like "$summary" '^refresh_reuse failure client_id= reason=reused' \
    "refresh_reuse"
like "$summary" '^login failure user=carol client_id= reason=credentials' \
    "login failure: reason credentials"
like "$summary" '^lockout failure user=carol .*reason=threshold' \
    "lockout after lockout_threshold failures"
is "$(printf '%s\n' "$summary" | grep -c '^lockout ')" 1 \
    "  one lockout event, not one per failure after it"
like "$summary" '^login failure user=carol client_id= reason=locked' \
    "login failure while locked out: reason locked"
like "$summary" '^revoke success user=alice client_id= type=access_token .*jti$' \
    "revoke: access token, by jti"
like "$summary" '^admin success user=bob command=user add$' \
    "admin: user add bob"
like "$summary" '^admin success client_id=web command=client add$' \
    "admin: client add web"
like "$summary" '^admin success command=token revoke$' \
    "admin: token revoke, without the token"
unlike "$summary" 'command=user list' "read-only commands are not audited"
unlike "$summary" '^forged' "a hostile user name forges no event"
is "$("$AG_PY" -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("user", "").startswith("ev"):
        print(o["user"] == sys.argv[2])' "$AUDIT" "$EVIL")" True \
    "  it is logged whole, inside its field"

# No secret in any sink.
leaks=
for s in "$PW" "$BAD" "$BOBPW" "$CSECRET" "$RT" "$RT2" "$AT" "$AT2"; do
	[ -n "$s" ] || continue
	if grep -rqF -- "$s" "$AG_TMP/log" "$AG_TMP"/*.log; then
		leaks="$leaks ${s%"${s#????}"}..."
	fi
done
is "$leaks" "" "no password, secret or token in the audit or error logs"

# log_format = json: the error log's lines are JSON objects.
line=$(cat "$AG_TMP"/*.log | grep -m1 'issued jti')
ok "log_format json: an error log line is a JSON object" \
    "$AG_PY" -c 'import json, sys
o = json.loads(sys.argv[1])
sys.exit(0 if o["prog"] == "authgate" and "issued jti" in o["msg"] else 1)' \
    "$line"

# logrotate renames the file: the next line goes to a new one.
if command -v logrotate >/dev/null; then
	sed -e "s|/var/log/authgate/audit.log|$AUDIT|" \
	    -e "s|create 0600 _authgate _authgate|create 0600 $(id -un) $(id -gn)|" \
	    "$top_srcdir/etc/logrotate.d/authgate" >"$AG_TMP/logrotate.conf"
	logrotate -f -s "$AG_TMP/logrotate.state" "$AG_TMP/logrotate.conf" ||
	    fail "logrotate runs the shipped configuration"
else
	diag "no logrotate: renaming by hand"
	mv "$AUDIT" "$AUDIT.1"
fi
ok "rotated: audit.log.1 holds the old lines" test -s "$AUDIT.1"
n1=$(wc -l <"$AUDIT.1")
ag_http POST /token -d grant_type=password -d username=alice \
    --data-urlencode "password=$PW"
sleep 0.2
is "$(grep -c '"event":"login"' "$AUDIT" 2>/dev/null)" 1 \
    "after the rotation the next event goes to the new audit.log"
is "$(wc -l <"$AUDIT.1")" "$n1" "  and not to the rotated file"
is "$(stat -c %a "$AUDIT")" 600 "  which is 0600"

# audit_log = off.
ag_stop "$AG_LIGHTTPD_PID"
sed "s|^audit_log = .*|audit_log = off|" "$AG_CONF" >"$AG_TMP/off.conf"
rm -f "$AUDIT"
ag_cgi POST /token "grant_type=password&username=alice&password=x" "" "" \
    env AUTHGATE_CONF="$AG_TMP/off.conf" "$AG_BIN"
is "$AG_STATUS" 400 "audit_log off: a failed login"
ok "  writes no audit file" test ! -e "$AUDIT"

# authgatectl run as root: a new audit file goes to its directory's
# owner (the user authgate runs as), who must go on appending to it.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$AG_TMP/own"
	chown nobody "$AG_TMP/own"
	sed "s|^audit_log = .*|audit_log = $AG_TMP/own/audit.log|" "$AG_CONF" \
	    >"$AG_TMP/own.conf"
	"$AG_CTL" -c "$AG_TMP/own.conf" user lock carol >/dev/null 2>&1
	is "$(stat -c '%U %a' "$AG_TMP/own/audit.log" 2>&1)" "nobody 600" \
	    "authgatectl as root: new audit file owned by its directory's owner"
else
	skip 1 "ownership of a file root creates: needs root and user nobody"
fi

# The syslog sink, in a private mount namespace with its own /dev/log.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
    ! unshare -m sh -c 'mount -t tmpfs tmpfs /dev' >/dev/null 2>&1; then
	skip 4 "syslog sink: needs root and a private /dev (unshare -m)"
	ag_no_sanitizer_reports
	ag_done
fi
sed "s|^audit_log = .*|audit_log = syslog|" "$AG_CONF" >"$AG_TMP/sys.conf"
cp "$top_srcdir/tests/integ/devlog.py" "$AG_TMP/listen.py"
printf 'grant_type=password&username=alice&password=%s' "$PW" \
    >"$AG_TMP/login.in"
unshare -m sh -c '
    mount -t tmpfs -o mode=755 tmpfs /dev || exit 1
    mknod -m 666 /dev/null c 1 3 || exit 1
    "$0" "$1/listen.py" "$1/syslog" &
    i=0
    while [ ! -e "$1/syslog.ready" ] && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1)); done
    env -i REQUEST_METHOD=POST REQUEST_URI=/token REMOTE_ADDR=127.0.0.1 \
	CONTENT_TYPE=application/x-www-form-urlencoded \
	CONTENT_LENGTH=$(wc -c <"$1/login.in") AUTHGATE_CONF="$1/sys.conf" \
	"$2" <"$1/login.in" >"$1/sys.out" 2>"$1/sys.err"
    printf "%s\n" "$4" | "$3" -c "$1/sys.conf" user passwd carol \
	--password-stdin >/dev/null 2>&1
    wait' "$AG_PY" "$AG_TMP" "$AG_BIN" "$AG_CTL" "Carol-N3w-pw"
got=$(cat "$AG_TMP/syslog" 2>/dev/null)
diag "$got"
like "$got" '^<86>.*authgate\[[0-9]+\]: \{"time":"[^"]*","event":"login","outcome":"success","user":"alice"' \
    "syslog: login as JSON, authpriv.info, ident authgate"
like "$got" '<86>.*authgate\[[0-9]+\]: \{.*"event":"admin","outcome":"success","user":"carol".*"command":"user passwd"' \
    "syslog: authgatectl's admin event, ident authgate"
unlike "$got" "$PW|Carol-N3w-pw" "syslog: no password"
tok=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$AG_TMP/sys.out")
ok "syslog: no access token (one was issued)" sh -c \
    '[ -n "$1" ] && ! grep -qF -- "$1" "$2"' sh "$tok" "$AG_TMP/syslog"
ag_no_sanitizer_reports
ag_done
