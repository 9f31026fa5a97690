#!/bin/sh
# Hostile tokens against /protected through lighttpd with the shipped
# etc/lighttpd/authgate.conf (SECURITY.md, RFC 8725): every one is a 401
# with error="invalid_token" (or, for text that is not even an RFC 6750
# b64token, a 400 invalid_request), jku/x5u are never fetched, and the
# responders neither crash nor restart.  The tokens are made by
# attacks.py; an HS256 deployment first, then an RS256 one with an
# audience for algorithm confusion and aud checks.
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl ps
ag_require_py jwt cryptography
ag_tmpdir
ATT="$AG_PY $top_srcdir/tests/integ/attacks.py"

# authgate_pids: the pids of the processes lighttpd spawned, sorted.
authgate_pids()
{
	ps -o pid= --ppid "$AG_LIGHTTPD_PID" 2>/dev/null | tr -d ' ' |
	    sort -n | tr '\n' ' '
}

# check_case EXPECT NAME TOKEN: one request, one TAP line.
check_case()
{
	ag_http GET /protected -H "Authorization: Bearer $3" </dev/null
	_www=$(ag_header WWW-Authenticate)
	_st="401 invalid_token"
	case $1 in
	200)
		is "$AG_STATUS" 200 "$2: 200"
		return
		;;
	bad)
		_st="401 invalid_token or 400 invalid_request"
		if [ "$AG_STATUS" = 400 ] &&
		    printf '%s' "$_www" | grep -q 'error="invalid_request"' &&
		    ag_is_json; then
			pass "$2: $_st"
			return
		fi
		;;
	esac
	if [ "$AG_STATUS" = 401 ] && printf '%s' "$_www" | grep -Eq \
	    '^Bearer realm="[^"]*", error="invalid_token", error_description="[^"]+"$' &&
	    [ "$(ag_json error)" = invalid_token ]; then
		pass "$2: $_st"
	else
		fail "$2: $_st"
	fi
}

# run_cases FILE: the cases attacks.py wrote (EXPECT TAB NAME TAB TOKEN).
run_cases()
{
	_tab=$(printf '\t')
	while IFS=$_tab read -r _exp _name _tok; do
		check_case "$_exp" "$_name" "$_tok"
	done <"$1"
}

# lighttpd refuses request headers over 8 KiB by default, before
# authgate sees them: raise the limit so that authgate's own 8 KiB token
# limit and JSON depth bound are what refuses the large cases.
BIGHDR='server.max-request-field-size = 65535'

# ---------------------------------------------------------------- HS256
ag_setup_conf
ag_init
ag_user alice alice-pw "read write"
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" "$BIGHDR"

# A listener that records every connection: jku/x5u must never be
# fetched.  It stops by itself after 200 s.
ag_bg listener $ATT listen "$AG_TMP/jku.port" "$AG_TMP/jku.log" 200
i=0
while [ ! -s "$AG_TMP/jku.port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$AG_TMP/jku.port" ] || { echo "Bail out! listener did not start"; exit 1; }
JKU=http://127.0.0.1:$(cat "$AG_TMP/jku.port")/jwks.json

ag_token alice alice-pw >/dev/null
is "$AG_STATUS" 200 "a real token is issued"
TOKEN=$(ag_json access_token)
ag_http GET /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "the real token is accepted"
PIDS=$(authgate_pids)
isnt "$PIDS" "" "authgate processes are running: $PIDS"

if $ATT hs "$AG_TMP/signing.key" authgate "$JKU" >"$AG_TMP/hs.cases" \
    2>"$AG_TMP/att.err"; then
	run_cases "$AG_TMP/hs.cases"
else
	fail "attacks.py hs made the tokens"
	diag "$(cat "$AG_TMP/att.err")"
fi

# Just over the 8 KiB limit, then 1 MiB (a header lighttpd itself may
# refuse: 400, 413 or 431 are as good as authgate's 401).
BIG=$(head -c 8190 /dev/zero | tr '\0' A).A.A
check_case 401 "token of 8 KiB + 4 bytes" "$BIG"
st=$($ATT bigheader "$AG_PORT" 1048576 2>"$AG_TMP/att.err")
case $st in
400 | 401 | 413 | 431) pass "1 MiB token: refused with $st" ;;
*)
	fail "1 MiB token: refused with 400, 401, 413 or 431 (got '$st')"
	diag "$(cat "$AG_TMP/att.err")"
	;;
esac

ag_http GET /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "after the attacks the real token still works"
is "$(authgate_pids)" "$PIDS" "no authgate process crashed or restarted"
sleep 0.2
is "$(cat "$AG_TMP/jku.log" 2>/dev/null | wc -l | tr -d ' ')" 0 \
    "jku/x5u were never fetched"
if grep -Eiq 'AddressSanitizer|runtime error|segfault|core dumped' \
    "$AG_LIGHTTPD_LOG" 2>/dev/null; then
	fail "no sanitizer report or crash in the error log"
else
	pass "no sanitizer report or crash in the error log"
fi

# -- a revoked access token is refused at once by every process.  Both
# responders check a token in the same second just before the
# revocation, so neither can rely on a deny-list read a while ago.
ag_token alice alice-pw >/dev/null
VICTIM=$(ag_json access_token)
"$AG_PY" -c 'import time; time.sleep(1.05 - time.time() % 1)'
"$AG_PY" - "$AG_PORT" "$VICTIM" "$TOKEN" >"$AG_TMP/revoke.out" 2>&1 <<'EOF'
import http.client, sys, threading, urllib.parse
port, victim, other = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def get(tok, res):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/protected", headers={"Authorization": "Bearer " + tok})
    res.append(c.getresponse().status)
    c.close()
def burst(tok):
    res = []
    ts = [threading.Thread(target=get, args=(tok, res)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res
before = burst(other)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("POST", "/revoke", urllib.parse.urlencode({"token": victim,
          "token_type_hint": "access_token"}),
          {"Content-Type": "application/x-www-form-urlencoded"})
rev = c.getresponse().status
after = burst(victim) + burst(victim)
print("before", sorted(before), "revoke", rev, "after", sorted(after))
EOF
out=$(cat "$AG_TMP/revoke.out")
diag "revocation: $out"
like "$out" 'revoke 200 ' "revoke an access token: 200"
like "$out" 'after \[(401, )*401\]$' \
    "a revoked access token is refused at once by every process"
sleep 1.1
ag_http GET /protected -H "Authorization: Bearer $VICTIM"
is "$AG_STATUS" 401 "a revoked access token is refused a second later"

# ---------------------------------------------------------------- RS256
ag_stop "$AG_LIGHTTPD_PID"
ag_setup_conf algorithm=RS256 audience=api
if ! ag_ctl key generate --alg RS256 --force >"$AG_TMP/key.log" 2>&1; then
	echo "Bail out! key generate --alg RS256 failed: $(cat "$AG_TMP/key.log")"
	exit 1
fi
AG_PORT=
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf" "$BIGHDR"
_ag_logs_shown=0

ag_token alice alice-pw >/dev/null
is "$AG_STATUS" 200 "RS256: a real token is issued"
TOKEN=$(ag_json access_token)
like "$(printf '%s' "$TOKEN" | cut -d. -f1 | tr '_-' '/+' |
    base64 -d 2>/dev/null)" '"alg":"RS256"' "RS256: the token is RS256"
ag_http GET /.well-known/jwks.json
is "$AG_STATUS" 200 "RS256: JWKS published"
printf '%s' "$AG_BODY" >"$AG_TMP/jwks.json"
PIDS=$(authgate_pids)

if $ATT rs "$AG_TMP/signing.key" authgate api "$AG_TMP/jwks.json" \
    >"$AG_TMP/rs.cases" 2>"$AG_TMP/att.err"; then
	run_cases "$AG_TMP/rs.cases"
else
	fail "attacks.py rs made the tokens"
	diag "$(cat "$AG_TMP/att.err")"
fi
ag_http GET /protected -H "Authorization: Bearer $TOKEN"
is "$AG_STATUS" 200 "RS256: after the attacks the real token still works"
is "$(authgate_pids)" "$PIDS" "RS256: no authgate process crashed or restarted"

ag_done
