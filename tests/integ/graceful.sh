#!/bin/sh
# Requests in flight survive stops and restarts: a slow login (a
# password hashed at a high scrypt cost) is under way while (1) authgate
# gets SIGTERM, (2) lighttpd restarts gracefully (SIGUSR1), (3) lighttpd
# shuts down gracefully (SIGINT).  Each time the login completes with 200.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
ag_setup_conf
ag_init
# Hashes at a high cost (about 1 s to verify): made with a second
# configuration naming the same files.  A successful login re-hashes at
# the cheap cost of the first, so each slow user is good for one login.
sed 's/^password_hash = .*/password_hash = scrypt:ln=17,r=8,p=2/' \
    "$AG_CONF" >"$AG_TMP/slow.conf"
for u in slow1 slow2 slow3; do
	printf 'pw-slow\n' | "$AG_CTL" -c "$AG_TMP/slow.conf" user add $u \
	    --scope read --password-stdin >/dev/null 2>&1 ||
	    echo "Bail out! authgatectl user add $u failed"
done
ag_user fast pw-fast read
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    'var.authgate_procs := 1' \
    'server.feature-flags += ( "server.graceful-shutdown-timeout" => 20 )'

# slow_login USER: starts the login in the background (curl, 30 s at
# most); result in $AG_TMP/USER.status, start and end times in .t0/.t1.
slow_login()
{
	date +%s.%N >"$AG_TMP/$1.t0"
	( curl -s -m 30 -o "$AG_TMP/$1.body" -w '%{http_code}' \
	    -d grant_type=password -d "username=$1" -d password=pw-slow \
	    "$AG_URL/token" >"$AG_TMP/$1.status"
	  date +%s.%N >"$AG_TMP/$1.t1" ) &
	SLOW_PID=$!
}

# wait_slow: waits (35 s at most) for the background login.
wait_slow()
{
	_i=0
	while kill -0 $SLOW_PID 2>/dev/null && [ $_i -lt 350 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	wait $SLOW_PID 2>/dev/null
}

# took USER: seconds the login took.
took()
{
	"$AG_PY" -c "print(round($(cat "$AG_TMP/$1.t1") - $(cat "$AG_TMP/$1.t0"), 3))"
}

# backends: the authgate processes lighttpd spawned (its children).
backends()
{
	ps -o pid= --ppid "$AG_LIGHTTPD_PID" 2>/dev/null | tr -d ' '
}

# wait_busy PID...: until one of them has used 50 ms more CPU than when
# called (the slow login is being hashed), 10 s at most; so a signal
# then finds the request in flight however loaded the machine is.
wait_busy()
{
	"$AG_PY" - "$@" <<'EOF'
import sys, time
def cpu(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return int(v[11]) + int(v[12])
    except OSError:
        return 0
pids = sys.argv[1:]
base = {p: cpu(p) for p in pids}
end = time.time() + 10
while time.time() < end:
    if any(cpu(p) - base[p] >= 5 for p in pids):
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
EOF
}

# -- the slow login is slow enough to be caught in flight
slow_login slow1
wait_slow
is "$(cat "$AG_TMP/slow1.status")" 200 "slow login: 200"
t=$(took slow1)
diag "slow login took $t s"
ok "slow login takes over 0.4 s" \
    "$AG_PY" -c "import sys; sys.exit(0 if $t > 0.4 else 1)"

# -- (1) SIGTERM to authgate during the login
ag_http POST /token -d username=fast -d password=pw-fast
pids=$(backends)
isnt "$pids" "" "lighttpd spawned authgate"
slow_login slow2
wait_busy $pids
for p in $pids; do
	kill -TERM "$p"
done
wait_slow
is "$(cat "$AG_TMP/slow2.status")" 200 \
    "SIGTERM to authgate: the login in flight completes with 200"
like "$(cat "$AG_TMP/slow2.body")" '"access_token"' \
    "SIGTERM to authgate: with a token"
t=$(took slow2)
diag "SIGTERM to authgate: the login took $t s"
i=0
gone=1
while [ $i -lt 50 ]; do
	gone=0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && gone=1
	done
	[ $gone -eq 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
is "$gone" 0 "SIGTERM to authgate: it exits once the request is done"
ag_http POST /token -d username=fast -d password=pw-fast
is "$AG_STATUS" 200 "after SIGTERM: lighttpd respawns authgate, logins work"

# -- (2) lighttpd graceful restart (SIGUSR1)
pids=$(backends)
slow_login slow3
wait_busy $pids
kill -USR1 "$AG_LIGHTTPD_PID"
wait_slow
is "$(cat "$AG_TMP/slow3.status")" 200 \
    "lighttpd graceful restart: the login in flight completes with 200"
ag_wait_port "$AG_PORT" 10
i=0
while [ $i -lt 50 ]; do
	ag_http POST /token -d username=fast -d password=pw-fast
	[ "$AG_STATUS" = 200 ] && break
	sleep 0.2
	i=$((i + 1))
done
is "$AG_STATUS" 200 "after the graceful restart: logins work"

# -- (3) lighttpd graceful shutdown (SIGINT)
printf 'pw-slow\n' | "$AG_CTL" -c "$AG_TMP/slow.conf" user passwd slow1 \
    --password-stdin >/dev/null 2>&1
pids=$(backends)
slow_login slow1
wait_busy $pids
kill -INT "$AG_LIGHTTPD_PID"
wait_slow
is "$(cat "$AG_TMP/slow1.status")" 200 \
    "lighttpd graceful shutdown: the login in flight completes with 200"
i=0
while kill -0 "$AG_LIGHTTPD_PID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "lighttpd graceful shutdown: lighttpd exits" \
    sh -c "! kill -0 $AG_LIGHTTPD_PID 2>/dev/null"
# lighttpd sends SIGTERM to its backends as it exits; an idle authgate
# exits at once.
i=0
while [ $i -lt 50 ]; do
	left=
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && left="$left $p"
	done
	[ -z "$left" ] && break
	sleep 0.1
	i=$((i + 1))
done
is "$left" "" "lighttpd graceful shutdown: no authgate left after 5 s"
[ -z "$left" ] || diag "$(ps -o pid,stat,wchan:20,args -p "$(echo $left | tr ' ' ,)")"

ag_done
