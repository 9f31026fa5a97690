#!/bin/sh
# authgate under valgrind memcheck: the token, protected, refresh,
# revoke and introspect flow and some error paths, with no memory error
# and no definite or indirect leak,
#  - as a CGI (one process per request, run directly), and
#  - as FastCGI under lighttpd with the shipped etc/lighttpd/authgate.conf,
#    bin-path being a wrapper that runs authgate under valgrind, stopped
#    gracefully at the end (SIGTERM) so that the leak check runs.
# Skipped in a sanitizer build (AddressSanitizer and valgrind do not mix):
# detected by __asan_init in the binary or libasan among its libraries.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd valgrind curl lighttpd
if nm "$AG_BIN" 2>/dev/null | grep -q '__asan_init' ||
    ldd "$AG_BIN" 2>/dev/null | grep -q 'libasan'; then
	skip_all "authgate is built with AddressSanitizer"
fi
ag_tmpdir
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"
printf '%s\n' svc-secret-1 | ag_ctl client add svc --secret-stdin \
    >"$AG_TMP/client.log" 2>&1 ||
    { echo "Bail out! client add svc: $(cat "$AG_TMP/client.log")"; exit 1; }

VG_OPTS="--leak-check=full --errors-for-leak-kinds=definite,indirect
 --show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no
 --num-callers=30"
mkdir -p "$AG_TMP/vg"

# vg_clean LOG: LOG is a finished memcheck log with no error.
vg_clean()
{
	grep -q 'HEAP SUMMARY' "$1" &&
	    grep -q 'ERROR SUMMARY: 0 errors' "$1" &&
	    ! grep -Eq '(definitely|indirectly) lost: [1-9]' "$1"
}

# vg_show LOG: the start of the reports of LOG.
vg_show()
{
	diag "---- $1"
	diag "$(grep -v '^==[0-9]*== *$' "$1" | sed -n '/Invalid\|uninit\|lost in\|Mismatched\|Syscall\|ERROR SUMMARY/,+14p' | head -n 80)"
}

CGI_N=0
# cgi METHOD PATH BODY [AUTHORIZATION]: one request to authgate under
# valgrind as a CGI; AG_STATUS, AG_BODY; one TAP line for valgrind.
cgi()
{
	CGI_N=$((CGI_N + 1))
	_log=$AG_TMP/vg/cgi.$CGI_N.log
	# shellcheck disable=SC2086
	ag_cgi "$1" "$2" "$3" "$4" "" timeout 120 valgrind $VG_OPTS \
	    --log-file="$_log" "$AG_BIN"
	_rc=$AG_CGI_RC
	if [ "$_rc" -ne 99 ] && vg_clean "$_log"; then
		pass "valgrind CGI $1 $2: clean"
	else
		fail "valgrind CGI $1 $2: clean (exit $_rc)"
		vg_show "$_log"
	fi
}

# ---------------------------------------------------------------- CGI
cgi POST /token 'grant_type=password&username=alice&password=alice-pw'
is "$AG_STATUS" 200 "CGI: token 200"
AT=$(ag_json access_token)
RT=$(ag_json refresh_token)
cgi GET /protected '' "Bearer $AT"
is "$AG_STATUS" 200 "CGI: protected 200"
cgi POST /token "grant_type=refresh_token&refresh_token=$RT"
is "$AG_STATUS" 200 "CGI: refresh 200"
AT2=$(ag_json access_token)
RT2=$(ag_json refresh_token)
cgi POST /introspect "token=$AT2" "Basic $(printf svc:svc-secret-1 | base64)"
is "$(ag_json active)" true "CGI: introspect active"
cgi POST /revoke "token=$RT2"
is "$AG_STATUS" 200 "CGI: revoke refresh 200"
cgi POST /revoke "token=$AT2&token_type_hint=access_token"
is "$AG_STATUS" 200 "CGI: revoke access 200"
cgi GET /protected '' "Bearer $AT2"
is "$AG_STATUS" 401 "CGI: revoked token 401"
cgi POST /token "grant_type=refresh_token&refresh_token=$RT"
is "$AG_STATUS" 400 "CGI: reused refresh token 400"
cgi POST /token 'grant_type=password&username=alice&password=wrong'
is "$AG_STATUS" 400 "CGI: wrong password 400"
cgi GET /protected '' "Bearer $AT.x"
is "$AG_STATUS" 401 "CGI: bad token 401"
cgi GET /.well-known/oauth-authorization-server ''
is "$AG_STATUS" 200 "CGI: metadata 200"
cgi GET /nowhere ''
is "$AG_STATUS" 404 "CGI: 404"

# ---------------------------------------------------------------- FastCGI
cat >"$AG_TMP/vg-authgate" <<EOF
#!/bin/sh
exec valgrind $(echo $VG_OPTS) --log-file="$AG_TMP/vg/fcgi.%p.log" \
    "$AG_BIN" "\$@"
EOF
chmod 755 "$AG_TMP/vg-authgate"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" \
    "var.authgate_bin := \"$AG_TMP/vg-authgate\""
_ag_logs_shown=0
# The first request waits for the responders to start under valgrind.
i=0
while [ $i -lt 30 ]; do
	ag_token alice alice-pw >/dev/null
	[ "$AG_STATUS" = 200 ] && break
	sleep 1
	i=$((i + 1))
done
is "$AG_STATUS" 200 "FastCGI under valgrind: token 200"
AT=$(ag_json access_token)
RT=$(ag_json refresh_token)
ag_http GET /protected -H "Authorization: Bearer $AT"
is "$AG_STATUS" 200 "FastCGI: protected 200"
ag_http POST /token -d grant_type=refresh_token --data-urlencode "refresh_token=$RT"
is "$AG_STATUS" 200 "FastCGI: refresh 200"
AT2=$(ag_json access_token)
RT2=$(ag_json refresh_token)
ag_http POST /introspect -u svc:svc-secret-1 --data-urlencode "token=$AT2"
is "$(ag_json active)" true "FastCGI: introspect active"
ag_http POST /revoke --data-urlencode "token=$RT2"
is "$AG_STATUS" 200 "FastCGI: revoke refresh 200"
ag_http POST /revoke --data-urlencode "token=$AT2" -d token_type_hint=access_token
is "$AG_STATUS" 200 "FastCGI: revoke access 200"
# The other responder may hold the deny-list it read this second
# (attacks.sh checks that the revocation is seen at once).
sleep 1.1
ag_http GET /protected -H "Authorization: Bearer $AT2"
is "$AG_STATUS" 401 "FastCGI: revoked token 401"
ag_http POST /token -d grant_type=password -d username=alice -d password=no
is "$AG_STATUS" 400 "FastCGI: wrong password 400"
ag_http GET /protected -H "Authorization: Bearer $AT.x"
is "$AG_STATUS" 401 "FastCGI: bad token 401"
head -c 9000 /dev/zero | tr '\0' a >"$AG_TMP/big"
ag_http POST /token --data-binary "@$AG_TMP/big"
is "$AG_STATUS" 413 "FastCGI: 413"
i=0
while [ $i -lt 20 ]; do
	ag_http GET /protected -H "Authorization: Bearer $AT"
	i=$((i + 1))
done
is "$AG_STATUS" 200 "FastCGI: 20 more protected requests"

# Graceful stop: lighttpd passes SIGTERM on to its responders, which
# finish and exit, and valgrind writes its report.
PIDS=$(ps -o pid= --ppid "$AG_LIGHTTPD_PID" | tr -d ' ')
kill -TERM "$AG_LIGHTTPD_PID"
i=0
while [ $i -lt 600 ]; do
	alive=
	for p in $AG_LIGHTTPD_PID $PIDS; do
		kill -0 "$p" 2>/dev/null && alive="$alive $p"
	done
	[ -z "$alive" ] && break
	# Whatever lighttpd did not pass the signal to.
	[ $i -eq 50 ] && for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.1
	i=$((i + 1))
done
is "$alive" "" "FastCGI: lighttpd and the responders stopped within 60 s"
nlog=0
for log in "$AG_TMP"/vg/fcgi.*.log; do
	[ -f "$log" ] || continue
	nlog=$((nlog + 1))
	if vg_clean "$log"; then
		pass "valgrind FastCGI $(basename "$log"): clean"
	else
		fail "valgrind FastCGI $(basename "$log"): clean"
		vg_show "$log"
	fi
done
ok "FastCGI: valgrind logs of the responders ($nlog)" [ "$nlog" -ge 1 ]
ag_stop "$AG_LIGHTTPD_PID"

ag_done
