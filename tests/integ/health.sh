#!/bin/sh
# /health/live and /health/ready through lighttpd (2 processes): ready
# turns 503 within a second of state_db becoming unwritable (chattr +i)
# or the signing key failing to load (made readable by others), naming
# the check and no path, and back to 200 once fixed; live stays 200.
# In the authorizer role /health/... and /metrics guard like any other
# path: no token, no access, whatever the User-Agent.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_tmpdir
ag_setup_conf threads=2
ag_init
ag_user alice alice-pw "read write"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

ag_http GET /health/live
is "$AG_STATUS $AG_BODY" '200 {"status":"UP"}' "live: 200 UP"
ag_http GET /health/ready
is "$AG_STATUS $AG_BODY" '200 {"status":"UP"}' "ready: 200 UP"
ag_http POST /health/ready -d x=1
is "$AG_STATUS" 405 "POST /health/ready: 405"

# ready_is STATUS SECONDS: polls /health/ready every 0.1 s until it
# answers STATUS, for at most SECONDS; prints the time taken in tenths.
ready_is() {
	_t=0
	while [ $_t -lt $(($2 * 10)) ]; do
		ag_http GET /health/ready
		[ "$AG_STATUS" = "$1" ] && break
		sleep 0.1
		_t=$((_t + 1))
	done
	echo $_t
}

if chattr +i "$AG_TMP/state.db" 2>/dev/null; then
	t=$(ready_is 503 1)
	ag_http GET /health/ready
	is "$AG_STATUS" 503 "state_db immutable: ready 503 within 1 s (${t}/10 s)"
	is "$AG_BODY" \
	    '{"status":"DOWN","checks":[{"name":"state_db","status":"DOWN"}]}' \
	    "  naming the state_db check, no path"
	ag_http GET /health/live
	is "$AG_STATUS" 200 "  live still 200"
	chattr -i "$AG_TMP/state.db"
	t=$(ready_is 200 1)
	ag_http GET /health/ready
	is "$AG_STATUS" 200 "state_db writable again: ready 200 (${t}/10 s)"
else
	skip 4 "chattr +i not supported here (tmpfs, no CAP_LINUX_IMMUTABLE)"
fi

# A key readable by others is refused at reload: the old key stays in
# use, ready says so until the key is fixed (retried every 5 s).
sleep 1.1
chmod 644 "$AG_TMP/signing.key"
t=$(ready_is 503 2)
ag_http GET /health/ready
is "$AG_STATUS" 503 "key refused at reload: ready 503 (${t}/10 s)"
like "$AG_BODY" '"name":"keys"' "  naming the keys check"
unlike "$AG_BODY" "$AG_TMP" "  without a path"
ag_http GET /metrics
like "$AG_BODY" 'authgate_config_last_reload_success 0' \
    "  /metrics: last reload failed"
chmod 600 "$AG_TMP/signing.key"
t=$(ready_is 200 8)
ag_http GET /health/ready
is "$AG_STATUS" 200 "key fixed: ready 200 again (${t}/10 s)"

# A configuration that does not load: live 200, ready 503 "config".
printf 'no_such_key = 1\n' >"$AG_TMP/broken.conf"
ag_cgi GET /health/ready "" "" "" env AUTHGATE_CONF="$AG_TMP/broken.conf" \
    "$AG_BIN"
is "$AG_STATUS $AG_BODY" \
    '503 {"status":"DOWN","checks":[{"name":"config","status":"DOWN"}]}' \
    "configuration broken: ready 503 naming config"
ag_cgi GET /health/live "" "" "" env AUTHGATE_CONF="$AG_TMP/broken.conf" \
    "$AG_BIN"
is "$AG_STATUS" 200 "  live 200"

# The authorizer role: lighttpd's authorizer in front of /private/.
ag_stop "$AG_LIGHTTPD_PID"
mkdir -p "$AG_TMP/www/private/health"
echo secret-ready >"$AG_TMP/www/private/health/ready"
echo secret-metrics >"$AG_TMP/www/private/metrics"
AG_PORT=
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate-authorizer.conf"
for p in /private/health/ready /private/metrics; do
	for ua in curl Prometheus kube-probe/1.29; do
		ag_http GET "$p" -A "$ua"
		is "$AG_STATUS" 401 "authorizer: $p without a token, UA $ua: 401"
	done
	unlike "$AG_BODY" secret "  $p: the guarded file is not served"
done
ag_cgi GET /health/live "" "" "" env FCGI_ROLE=AUTHORIZER "$AG_BIN"
is "$AG_STATUS" 401 "authorizer role (CGI): /health/live needs a token"
ag_no_sanitizer_reports
ag_done
