#!/bin/sh
# OAuth2 behaviour through a real lighttpd: the token endpoint (RFC 6749
# password and refresh grants, client authentication), revocation (RFC
# 7009), introspection (RFC 7662), the metadata document (RFC 8414) and
# requests-oauthlib as an unmodified client.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integ/lib.sh"

ag_require_bins
ag_require_cmd lighttpd curl
ag_require_py json dbm.gnu
ag_tmpdir
ag_setup_conf leeway=0 lockout_threshold=3 lockout_seconds=300 \
    access_token_ttl=600 refresh_token_ttl=3600 realm=oauth-test
ag_init
ag_user alice alice-pw-1 "read write"
ag_user bob bob-pw-1 "read"
ag_user dave dave-pw-1 "read"
printf '%s\n' svc-secret-1 | ag_ctl client add svc --secret-stdin \
    >"$AG_TMP/client.log" 2>&1 ||
    { echo "Bail out! client add svc: $(cat "$AG_TMP/client.log")"; exit 1; }
ag_ctl client add app --public >"$AG_TMP/client.log" 2>&1 ||
    { echo "Bail out! client add app: $(cat "$AG_TMP/client.log")"; exit 1; }
ag_start_lighttpd "$top_srcdir/etc/lighttpd/authgate.conf"

BAD_LOGIN='{"error":"invalid_grant","error_description":"Incorrect username or password"}'

# login USER PASSWORD [CURL-ARG...]: password grant; sets AT and RT.
login()
{
	_u=$1
	_p=$2
	shift 2
	ag_http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$_u" --data-urlencode "password=$_p" \
	    "$@"
	AT=$(ag_json access_token)
	RT=$(ag_json refresh_token)
}

# refresh TOKEN [CURL-ARG...]: refresh grant; sets AT and RT.
refresh()
{
	_r=$1
	shift
	ag_http POST /token -d grant_type=refresh_token \
	    --data-urlencode "refresh_token=$_r" "$@"
	AT=$(ag_json access_token)
	RT=$(ag_json refresh_token)
}

# protected TOKEN: GET /protected with the bearer token.
protected()
{
	ag_http GET /protected -H "Authorization: Bearer $1"
}

# introspect TOKEN [CURL-ARG...]: as the confidential client by default.
introspect()
{
	_t=$1
	shift
	if [ $# -eq 0 ]; then
		set -- -u svc:svc-secret-1
	fi
	ag_http POST /introspect --data-urlencode "token=$_t" "$@"
}

# ------------------------------------------------------------ password grant

login alice alice-pw-1
is "$AG_STATUS" 200 "password grant: 200"
is "$(ag_json token_type)" bearer "password grant: token_type bearer"
is "$(ag_json expires_in)" 600 "password grant: expires_in is access_token_ttl"
is "$(ag_json scope)" "read write" "password grant: all of the user's scopes"
isnt "$RT" "" "password grant: a refresh token"
is "$(ag_header Cache-Control)" no-store "password grant: Cache-Control: no-store"
is "$(ag_header Pragma)" no-cache "password grant: Pragma: no-cache"
AT_ALICE=$AT
protected "$AT_ALICE"
is "$AG_STATUS" 200 "the access token opens /protected"
like "$AG_BODY" '"sub":"alice"' "/protected names alice"

ag_http POST /token -d username=alice -d password=alice-pw-1
is "$AG_STATUS" 200 "no grant_type means password"

login bob wrong-pw
is "$AG_STATUS" 400 "wrong password: 400"
is "$AG_BODY" "$BAD_LOGIN" "wrong password: invalid_grant body"
is "$(ag_header Cache-Control)" no-store "error: Cache-Control: no-store"
WRONG=$AG_STATUS$AG_BODY
login nobody-here some-pw
is "$AG_STATUS$AG_BODY" "$WRONG" "unknown user: same status and body as a wrong password"

ag_http POST /token -d grant_type=password -d username=alice \
    -d username=alice -d password=alice-pw-1
is "$AG_STATUS" 400 "repeated username: 400"
is "$(ag_json error)" invalid_request "repeated username: invalid_request"
ag_http POST /token -d grant_type=password -d username=alice \
    -d password=alice-pw-1 -d scope=read -d scope=write
is "$(ag_json error)" invalid_request "repeated scope: invalid_request"
ag_http POST /token -d grant_type=password -d username=alice
is "$(ag_json error)" invalid_request "missing password: invalid_request"
ag_http POST /token -d grant_type=client_credentials
is "$(ag_json error)" unauthorized_client \
    "client_credentials without a client: unauthorized_client"
ag_http POST /token -d grant_type=implicit
is "$(ag_json error)" unsupported_grant_type "implicit: unsupported_grant_type"
ag_http POST /token -d 'grant_type=password&username=%zz'
is "$(ag_json error)" invalid_request "bad escape: invalid_request"

login alice alice-pw-1 -d scope=read
is "$(ag_json scope)" read "a requested scope is granted"
login alice alice-pw-1 --data-urlencode "scope=write read"
is "$(ag_json scope)" "write read" "two requested scopes are granted"
login alice alice-pw-1 --data-urlencode "scope=read admin"
is "$AG_STATUS" 400 "scope beyond the user's: 400"
is "$(ag_json error)" invalid_scope "scope beyond the user's: invalid_scope"
login alice alice-pw-1 --data-urlencode "scope=read  write"
is "$(ag_json error)" invalid_scope "two spaces in scope: invalid_scope"

# Lockout: after 3 failures the right password fails the same way.
login dave x1
login dave x2
login dave x3
login dave dave-pw-1
is "$AG_STATUS$AG_BODY" "$WRONG" "locked out: same answer as a wrong password"
ag_ctl user lock bob >/dev/null 2>&1
login bob bob-pw-1
is "$AG_STATUS$AG_BODY" "$WRONG" "locked by the administrator: same answer"
ag_ctl user unlock bob >/dev/null 2>&1

# ------------------------------------------------------------ clients

login alice alice-pw-1 -u svc:svc-secret-1
is "$AG_STATUS" 200 "confidential client by HTTP Basic"
login alice alice-pw-1 -d client_id=svc -d client_secret=svc-secret-1
is "$AG_STATUS" 200 "confidential client by form fields"
login alice alice-pw-1 -u svc:wrong-secret
is "$AG_STATUS" 401 "wrong client secret: 401"
is "$(ag_json error)" invalid_client "wrong client secret: invalid_client"
like "$(ag_header WWW-Authenticate)" '^Basic realm="oauth-test"' \
    "invalid_client: WWW-Authenticate: Basic with the realm"
login alice alice-pw-1 -d client_id=svc
is "$AG_STATUS" 401 "confidential client without its secret: 401"
login alice alice-pw-1 -d client_id=ghost -d client_secret=x
is "$(ag_json error)" invalid_client "unknown client: invalid_client"
login alice alice-pw-1 -u svc:svc-secret-1 -d client_secret=svc-secret-1
is "$(ag_json error)" invalid_request "Basic and client_secret at once: invalid_request"
login alice alice-pw-1 -d client_id=app
is "$AG_STATUS" 200 "registered public client without a secret"

# ------------------------------------------------------------ refresh

login alice alice-pw-1
R1=$RT
refresh "$R1"
is "$AG_STATUS" 200 "refresh grant: 200"
R2=$RT
A2=$AT
isnt "$R2" "$R1" "refresh grant: the refresh token rotates"
is "$(ag_json scope)" "read write" "refresh grant: the grant's scope"
protected "$A2"
is "$AG_STATUS" 200 "refreshed access token opens /protected"
refresh "$R2" --data-urlencode "scope=read admin"
is "$(ag_json error)" invalid_scope "refresh cannot widen the scope"
refresh "$R2" -d scope=read
is "$AG_STATUS" 200 "refresh with a narrower scope (after a refused one)"
is "$(ag_json scope)" read "refresh: narrowed scope granted"
R3=$RT
refresh "$R1"
is "$AG_STATUS" 400 "reused refresh token: 400"
is "$AG_BODY" '{"error":"invalid_grant","error_description":"Invalid refresh token"}' \
    "reused refresh token: invalid_grant"
refresh "$R3"
is "$(ag_json error)" invalid_grant "after reuse the newest token of the family fails too"
refresh garbage
is "$(ag_json error)" invalid_grant "garbage refresh token: invalid_grant"

login alice alice-pw-1 -u svc:svc-secret-1
RS=$RT
refresh "$RS"
is "$(ag_json error)" invalid_grant "another client's refresh token: invalid_grant"
login alice alice-pw-1 -u svc:svc-secret-1
refresh "$RT" -u svc:svc-secret-1
is "$AG_STATUS" 200 "confidential client refreshes its own token"

# ------------------------------------------------------------ revocation

login alice alice-pw-1
RV=$RT
AV=$AT
ag_http POST /revoke --data-urlencode "token=$RV"
is "$AG_STATUS" 200 "revoke a refresh token: 200"
refresh "$RV"
is "$(ag_json error)" invalid_grant "revoked refresh token refused"
protected "$AV"
is "$AG_STATUS" 200 "access token still good before its revocation"
ag_http POST /revoke --data-urlencode "token=$AV" -d token_type_hint=access_token
is "$AG_STATUS" 200 "revoke an access token: 200"
# Each process re-reads the deny-list at most once a second (state.c):
# the propagation delay RFC 7009 2.2 allows.
sleep 1
protected "$AV"
is "$AG_STATUS" 401 "revoked access token: /protected 401"
ag_http POST /revoke -d token=garbage
is "$AG_STATUS" 200 "revoke garbage: 200 all the same (RFC 7009 2.2)"
ag_http POST /revoke -d token_type_hint=refresh_token
is "$(ag_json error)" invalid_request "revoke without token: invalid_request"
login alice alice-pw-1 -u svc:svc-secret-1
ag_http POST /revoke --data-urlencode "token=$RT"
refresh "$RT" -u svc:svc-secret-1
is "$AG_STATUS" 200 "revoking another client's token does nothing"

# ------------------------------------------------------------ introspection

login alice alice-pw-1
AI=$AT
RI=$RT
introspect "$AI"
is "$AG_STATUS" 200 "introspect: 200"
is "$(ag_json active)" true "introspect live access token: active"
is "$(ag_json sub)" alice "introspect access token: sub"
is "$(ag_json scope)" "read write" "introspect access token: scope"
is "$(ag_header Cache-Control)" no-store "introspect: Cache-Control: no-store"
introspect "$RI"
is "$(ag_json active)" true "introspect live refresh token: active"
is "$(ag_json token_type)" refresh_token "introspect refresh token: token_type"
is "$(ag_json username)" alice "introspect refresh token: username"
introspect "$AV"
is "$AG_BODY" '{"active":false}' "introspect revoked access token: inactive"
introspect "$RV"
is "$AG_BODY" '{"active":false}' "introspect revoked refresh token: inactive"
introspect garbage
is "$AG_BODY" '{"active":false}' "introspect garbage: inactive"
introspect "$AI" -d client_id=svc -d client_secret=svc-secret-1
is "$(ag_json active)" true "introspect with form client credentials"
introspect "$AI" -H 'X-None: 1'
is "$AG_STATUS" 401 "introspect without a client: 401"
like "$(ag_header WWW-Authenticate)" '^Basic ' "introspect without a client: Basic challenge"
introspect "$AI" -d client_id=app
is "$AG_STATUS" 401 "introspect by a public client: 401"
introspect "$AI" -u svc:wrong
is "$AG_STATUS" 401 "introspect with a wrong secret: 401"

# One token to show authgatectl's tokens introspect as active, another
# that expires: a 1-second token may be gone before it is first asked.
AL=$(ag_ctl token issue alice --ttl 300 2>"$AG_TMP/issue.log" | tail -n 1)
AE=$(ag_ctl token issue alice --ttl 1 2>>"$AG_TMP/issue.log" | tail -n 1)
if [ -n "$AL" ] && [ -n "$AE" ]; then
	introspect "$AL"
	is "$(ag_json active)" true "introspect authgatectl token: active"
	sleep 3
	introspect "$AE"
	is "$AG_BODY" '{"active":false}' "introspect expired token: inactive"
else
	fail "authgatectl token issue: $(cat "$AG_TMP/issue.log")"
	skip 1 "no token"
fi

# ------------------------------------------------------------ metadata

ag_http GET /.well-known/oauth-authorization-server
is "$AG_STATUS" 200 "metadata: 200"
ok "metadata: JSON" ag_is_json
MD=$AG_BODY
TE=$(ag_json token_endpoint)
like "$TE" '/token$' "metadata names the token endpoint"
ag_http POST "$TE" -d grant_type=password -d username=alice -d password=alice-pw-1
is "$AG_STATUS" 200 "metadata's token_endpoint issues tokens"
AG_BODY=$MD
RE=$(ag_json revocation_endpoint)
IE=$(ag_json introspection_endpoint)
ag_http POST "$RE" -d token=garbage
is "$AG_STATUS" 200 "metadata's revocation_endpoint answers"
ag_http POST "$IE" -u svc:svc-secret-1 -d token=garbage
is "$AG_BODY" '{"active":false}' "metadata's introspection_endpoint answers"

# ------------------------------------------------------------ re-hash

if command -v htpasswd >/dev/null 2>&1; then
	htpasswd -nbB -C 4 carol carol-pw-1 >"$AG_TMP/htpasswd"
	ag_ctl user import "$AG_TMP/htpasswd" >"$AG_TMP/import.log" 2>&1
	stored_hash()
	{
		"$AG_PY" -c 'import dbm.gnu, sys
db = dbm.gnu.open(sys.argv[1], "r")
print(db[sys.argv[2].encode()].decode().split(":")[0])' \
		    "$AG_TMP/users.db" "$1" 2>/dev/null
	}
	like "$(stored_hash carol)" '^\$2[aby]\$' "imported bcrypt hash stored as it is"
	login carol carol-pw-1
	is "$AG_STATUS" 200 "user with a bcrypt hash logs in"
	like "$(stored_hash carol)" '^\$scrypt\$' "and the hash is now scrypt"
	login carol carol-pw-1
	is "$AG_STATUS" 200 "and logs in with the re-hashed password"
else
	skip 4 "htpasswd not installed"
fi

# ------------------------------------------------------------ requests-oauthlib

if "$AG_PY" -c 'import requests_oauthlib' 2>/dev/null; then
	for args in "" "svc svc-secret-1"; do
		# shellcheck disable=SC2086
		"$AG_PY" "$top_srcdir/tests/integ/oauth_client.py" "$AG_URL" \
		    alice alice-pw-1 $args >"$AG_TMP/py.out" 2>&1
		is "$(grep -c '^ok - ' "$AG_TMP/py.out")" 4 \
		    "requests-oauthlib${args:+ (client ${args%% *})}: all 4 steps ran"
		while IFS= read -r line; do
			case $line in
			"ok - "*) pass "requests-oauthlib: ${line#ok - }" ;;
			"not ok - "*) fail "requests-oauthlib: ${line#not ok - }" ;;
			*) diag "$line" ;;
			esac
		done <"$AG_TMP/py.out"
	done
else
	skip 10 "requests-oauthlib not installed"
fi

# ------------------------------------------------------------ fail closed

# state_db unusable (its lock file replaced by a directory: the tests may
# run as root, whom permissions do not stop): logins fail with a 503
# rather than skip the failure counter or the refresh token.
mv "$AG_TMP/state.db.lock" "$AG_TMP/state.db.lock.saved" 2>/dev/null
mkdir "$AG_TMP/state.db.lock"
login alice wrong-pw
is "$AG_STATUS" 503 "state_db unusable: a failed login is a 503"
is "$(ag_json error)" temporarily_unavailable "state_db unusable: temporarily_unavailable"
login alice alice-pw-1
is "$AG_STATUS" 503 "state_db unusable: no token without its failure counters"
rmdir "$AG_TMP/state.db.lock"
login alice alice-pw-1
is "$AG_STATUS" 200 "state_db usable again: login works"

ag_done
