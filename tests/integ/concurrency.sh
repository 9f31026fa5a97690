#!/bin/sh
# Many clients at once against lighttpd spawning 4 authgate processes
# (etc/lighttpd/authgate.conf unchanged, max-procs 4, threads in each),
# while authgatectl adds and deletes other users in a loop: no request
# fails, every count is exact.  Then failed logins spread over the
# processes: the lockout counter loses no update.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py json
ag_tmpdir
THRESHOLD=10
ag_setup_conf lockout_threshold=$THRESHOLD lockout_seconds=600 threads=2
ag_init
CLIENTS=32
ROUNDS=10
i=0
while [ $i -lt $CLIENTS ]; do
	ag_user "c$i" pw-c read
	i=$((i + 1))
done
for u in v0 v1 v2; do
	ag_user $u pw-v read
done
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    'var.authgate_procs := 4'
CLIENT="$AG_PY $top_srcdir/tests/integ/concurrency.py"

# json FIELD JSON: a field of a JSON object ("" when absent).
json()
{
	printf '%s' "$2" | "$AG_PY" -c 'import json, sys
print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1" 2>/dev/null
}

# The administrator's loop: add and delete other users until told to
# stop (at most 400 rounds); every command must succeed.
cat >"$AG_TMP/churn.sh" <<CHURN
i=0
while [ ! -f "$AG_TMP/stop" ] && [ \$i -lt 400 ]; do
	printf 'pw-x\n' | "$AG_CTL" -c "$AG_CONF" user add "x\$i" \
	    --scope "read" --password-stdin || echo "FAILED add x\$i"
	"$AG_CTL" -c "$AG_CONF" user del "x\$i" || echo "FAILED del x\$i"
	i=\$((i + 1))
done
echo "rounds \$i"
CHURN
ag_bg churn sh "$AG_TMP/churn.sh"
CHURN_PID=$AG_LAST_PID

out=$(timeout 90 $CLIENT flow "$AG_URL" $CLIENTS $ROUNDS c pw-c)
rc=$?
touch "$AG_TMP/stop"
i=0
while kill -0 $CHURN_PID 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
diag "clients: $out" "admin: $(tail -n 1 "$AG_TMP/churn.log")"
is "$rc" 0 "$CLIENTS clients finished in time"
is "$(json status_5xx "$out")" 0 "no 5xx (nor dropped connection)"
is "$(json logins_ok "$out")" $((CLIENTS * ROUNDS)) "every login succeeded"
is "$(json protected_ok "$out")" $((CLIENTS * ROUNDS)) \
    "every /protected call succeeded"
is "$(json wrong_sub "$out")" 0 "every /protected answered for its own user"
is "$(json other "$out")" 0 "no other status"
like "$(tail -n 1 "$AG_TMP/churn.log")" '^rounds [1-9]' \
    "authgatectl ran during the load"
is "$(grep -c FAILED "$AG_TMP/churn.log")" 0 \
    "every authgatectl user add/del succeeded under load"
# lighttpd spread the load: authgate names its pid in every log line.
n=$(grep -o 'authgate\[[0-9]*\]' "$AG_TMP/lighttpd.log" | sort -u | wc -l)
ok "the load went to several authgate processes ($n)" test "$n" -ge 2
ag_http POST /token -d username=c0 -d password=pw-c
is "$AG_STATUS" 200 "still serving after the load"

# -- lockout: v0 one at a time, then v1 and v2 from 8 threads at once.
login()
{
	ag_http POST /token -d grant_type=password -d "username=$1" \
	    -d password=pw-v
}
out=$(timeout 60 $CLIENT fail "$AG_URL" 1 $THRESHOLD v0)
is "$(json 400 "$out")" $THRESHOLD "sequential: $THRESHOLD failures, all 400"
login v0
is "$AG_STATUS" 400 "sequential: locked after $THRESHOLD failures"

out=$(timeout 60 $CLIENT fail "$AG_URL" 8 $((THRESHOLD - 1)) v1)
is "$(json 400 "$out")" $((THRESHOLD - 1)) \
    "concurrent: $((THRESHOLD - 1)) failures, all 400"
login v1
is "$AG_STATUS" 200 "concurrent: not locked after $((THRESHOLD - 1)) failures"

out=$(timeout 60 $CLIENT fail "$AG_URL" 8 $THRESHOLD v2)
is "$(json 400 "$out")" $THRESHOLD "concurrent: $THRESHOLD failures, all 400"
login v2
is "$AG_STATUS" 400 \
    "concurrent: locked after exactly $THRESHOLD failures (no lost count)"
is "$(ag_json error)" invalid_grant "locked: the same invalid_grant"

ag_done
